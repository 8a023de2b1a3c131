"""Linear blend skinning of the head model in torch (the part of ``synthetic.head.lbs`` the prior needs).

Same frame and units as the numpy model: metres, model frame (X to the subject's left, face along -Y,
Z up); per-joint axis-angle poses in radians, joints ``neck, head, jaw, eye_left, eye_right``. The prior
poses its Gaussians exactly as the head model poses vertices::

    rot_j   = rodrigues(pose_j)   (+ jaw rotation driven by the jaw_* expressions)
    x_posed = x_rest + posedirs(x) @ pose_features(rot)        (pose correctives)
    x_out   = sum_j w_j(x) G_j(rot, joints) x_posed            (LBS)

with ``w(x)`` and ``posedirs(x)`` interpolated at each Gaussian's UV. Gaussian rotations follow the
rotation part of the blended transform (projected onto SO(3)). ``tests/backend/prior`` checks
:meth:`HeadLBS.vertices` against ``HeadModel.vertices``.
"""

from __future__ import annotations

import torch
from jaxtyping import Float
from torch import Tensor, nn


def axis_angle_to_matrix(aa: Float[Tensor, "*B 3"]) -> Float[Tensor, "*B 3 3"]:
    """Rodrigues with a Taylor expansion below 1e-4 rad (exact identity at zero, as the numpy model)."""
    theta2 = (aa * aa).sum(-1)
    theta = theta2.clamp_min(1e-30).sqrt()
    small = theta < 1e-4
    safe = torch.where(small, torch.ones_like(theta), theta)
    a = torch.where(small, 1.0 - theta2 / 6.0, torch.sin(safe) / safe)
    b = torch.where(small, 0.5 - theta2 / 24.0, (1.0 - torch.cos(safe)) / (safe * safe))
    x, y, z = aa.unbind(-1)
    zero = torch.zeros_like(x)
    k = torch.stack([zero, -z, y, z, zero, -x, -y, x, zero], dim=-1).reshape(aa.shape[:-1] + (3, 3))
    eye = torch.eye(3, dtype=aa.dtype, device=aa.device).expand(k.shape)
    return eye + a[..., None, None] * k + b[..., None, None] * (k @ k)


def pose_features(rot: Float[Tensor, "*B J 3 3"], joints: list[int]) -> Float[Tensor, "*B P"]:
    """Pose-corrective features: flattened ``R_j - I`` of the corrective joints (zero at rest)."""
    sel = rot[..., joints, :, :] - torch.eye(3, dtype=rot.dtype, device=rot.device)
    return sel.reshape(sel.shape[:-3] + (len(joints) * 9,))


def forward_kinematics(
    rot: Float[Tensor, "*B J 3 3"], rest_joints: Float[Tensor, "*B J 3"], parents: list[int]
) -> Float[Tensor, "*B J 4 4"]:
    """Skinning matrices ``G_j`` (world transform of joint j with its rest position removed)."""
    batch = torch.broadcast_shapes(rot.shape[:-3], rest_joints.shape[:-2])
    rot = rot.expand(batch + rot.shape[-3:])
    rj = rest_joints.expand(batch + rest_joints.shape[-2:])
    world: list[Tensor] = []
    bottom = torch.zeros(batch + (1, 4), dtype=rot.dtype, device=rot.device)
    bottom[..., 0, 3] = 1.0
    for j, p in enumerate(parents):
        t = rj[..., j, :] - (rj[..., p, :] if p >= 0 else 0.0)
        local = torch.cat([torch.cat([rot[..., j, :, :], t[..., None]], dim=-1), bottom], dim=-2)
        world.append(local if p < 0 else world[p] @ local)
    w = torch.stack(world, dim=-3)
    offset = (w[..., :3, :3] @ rj[..., None])[..., 0]
    return torch.cat([torch.cat([w[..., :3, :3], w[..., :3, 3:] - offset[..., None]], dim=-1), w[..., 3:, :]], -2)


def blend_transforms(
    weights: Float[Tensor, "*B N J"], transforms: Float[Tensor, "*B J 4 4"]
) -> Float[Tensor, "*B N 3 4"]:
    """Per-point blended ``[R | t]`` = sum_j w_j G_j (top three rows)."""
    return torch.einsum("...nj,...jab->...nab", weights, transforms[..., :3, :])


def apply_blended(blended: Float[Tensor, "*B N 3 4"], points: Float[Tensor, "*B N 3"]) -> Float[Tensor, "*B N 3"]:
    """LBS of points with their blended transforms."""
    return (blended[..., :3] @ points[..., None])[..., 0] + blended[..., 3]


def nearest_rotation(m: Float[Tensor, "*B 3 3"]) -> Float[Tensor, "*B 3 3"]:
    """The rotation closest to ``m`` (polar decomposition by SVD; no gradient is needed through it)."""
    u, _, vh = torch.linalg.svd(m)
    d = torch.det(u @ vh)
    fix = torch.ones_like(m[..., 0, :])
    fix[..., 2] = d
    return (u * fix[..., None, :]) @ vh


def matrix_to_quaternion(r: Float[Tensor, "*B 3 3"]) -> Float[Tensor, "*B 4"]:
    """Rotation matrices to unit w-x-y-z quaternions (branch on the largest diagonal term, w >= 0)."""
    m = r.reshape(-1, 3, 3)
    tr = m[:, 0, 0] + m[:, 1, 1] + m[:, 2, 2]
    cands = torch.stack([
        torch.stack([1 + tr, m[:, 2, 1] - m[:, 1, 2], m[:, 0, 2] - m[:, 2, 0], m[:, 1, 0] - m[:, 0, 1]], -1),
        torch.stack([m[:, 2, 1] - m[:, 1, 2], 1 + m[:, 0, 0] - m[:, 1, 1] - m[:, 2, 2], m[:, 0, 1] + m[:, 1, 0],
                     m[:, 0, 2] + m[:, 2, 0]], -1),
        torch.stack([m[:, 0, 2] - m[:, 2, 0], m[:, 0, 1] + m[:, 1, 0], 1 - m[:, 0, 0] + m[:, 1, 1] - m[:, 2, 2],
                     m[:, 1, 2] + m[:, 2, 1]], -1),
        torch.stack([m[:, 1, 0] - m[:, 0, 1], m[:, 0, 2] + m[:, 2, 0], m[:, 1, 2] + m[:, 2, 1],
                     1 - m[:, 0, 0] - m[:, 1, 1] + m[:, 2, 2]], -1),
    ], dim=1)  # fmt: skip
    diag = torch.stack([tr, m[:, 0, 0], m[:, 1, 1], m[:, 2, 2]], -1)
    q = cands[torch.arange(len(m), device=m.device), diag.argmax(-1)]
    q = q * torch.where(q[:, :1] < 0, -1.0, 1.0)
    return torch.nn.functional.normalize(q, dim=-1).reshape(r.shape[:-2] + (4,))


def quaternion_multiply(a: Float[Tensor, "*B 4"], b: Float[Tensor, "*B 4"]) -> Float[Tensor, "*B 4"]:
    """Hamilton product ``a * b`` of w-x-y-z quaternions (rotation b first, then a)."""
    aw, ax, ay, az = a.unbind(-1)
    bw, bx, by, bz = b.unbind(-1)
    return torch.stack([aw * bw - ax * bx - ay * by - az * bz, aw * bx + ax * bw + ay * bz - az * by,
                        aw * by - ax * bz + ay * bw + az * bx, aw * bz + ax * by - ay * bx + az * bw], -1)


class HeadLBS(nn.Module):
    """The head model's rig as torch buffers: joint regressor, parents, jaw-from-expression, pose basis.

    Args:
        model: a ``synthetic.head.HeadModel``.
    """

    def __init__(self, model) -> None:
        super().__init__()
        f32 = lambda a: torch.as_tensor(a, dtype=torch.float32)  # noqa: E731
        self.parents = [int(p) for p in model.joint_parents]
        self.corrective_joints = [int(j) for j in model.corrective_joints]
        self.jaw = model.joint_index("jaw")
        self.register_buffer("expression_jaw", f32(model.expression_jaw), persistent=False)  # [E, 3]
        self.register_buffer("joint_regressor", f32(model.joint_regressor), persistent=False)  # [J, V]

    def rotations(self, pose: Float[Tensor, "B J 3"], expression: Float[Tensor, "B E"]) -> Float[Tensor, "B J 3 3"]:
        """Local joint rotations: the pose plus the jaw rotation of the ``jaw_*`` expressions."""
        aa = pose.clone()
        aa[:, self.jaw] = aa[:, self.jaw] + expression @ self.expression_jaw.to(expression.dtype)
        return axis_angle_to_matrix(aa)

    def joints(self, v_shaped: Float[Tensor, "B V 3"]) -> Float[Tensor, "B J 3"]:
        """Rest joints regressed from shaped (identity + expression) vertices."""
        return torch.einsum("jv,bvc->bjc", self.joint_regressor.to(v_shaped.dtype), v_shaped)

    def pose_points(
        self,
        points: Float[Tensor, "B N 3"],
        weights: Float[Tensor, "N J"],
        posedirs: Float[Tensor, "N 3 P"],
        rot: Float[Tensor, "B J 3 3"],
        joints: Float[Tensor, "B J 3"],
    ) -> tuple[Float[Tensor, "B N 3"], Float[Tensor, "B N 3 3"]]:
        """Pose rest-pose points; returns posed points and the per-point rotation (for Gaussian frames)."""
        feats = pose_features(rot, self.corrective_joints)  # [B, P]
        corrected = points + torch.einsum("ncp,bp->bnc", posedirs.to(points.dtype), feats.to(points.dtype))
        g = forward_kinematics(rot, joints, self.parents)
        blended = blend_transforms(weights.to(points.dtype)[None].expand(points.shape[0], -1, -1), g.to(points.dtype))
        with torch.no_grad():
            r = nearest_rotation(blended[..., :3].float()).to(points.dtype)
        return apply_blended(blended, corrected), r

    def vertices(self, model, shape: Tensor, expression: Tensor, pose: Tensor) -> Float[Tensor, "B V 3"]:
        """Posed mesh vertices, as ``HeadModel.vertices`` computes them (for tests)."""
        dt = shape.dtype
        v = torch.as_tensor(model.template, dtype=dt)[None] + torch.einsum(
            "vcs,bs->bvc", torch.as_tensor(model.shape_basis, dtype=dt), shape
        ) + torch.einsum("vce,be->bvc", torch.as_tensor(model.expression_basis, dtype=dt), expression)
        rot = self.rotations(pose, expression)
        weights = torch.as_tensor(model.skin_weights, dtype=dt)
        posedirs = torch.as_tensor(model.pose_basis, dtype=dt)
        posed, _ = self.pose_points(v, weights, posedirs, rot, self.joints(v))
        return posed
