"""Rotations and linear blend skinning (pure numpy; runs inside Blender).

Frames and units: everything is in the head model's frame (metres, Blender world axes: X to the
subject's left, Y backwards, so the face looks along -Y, Z up). A pose is one axis-angle vector
(radians, length = angle) per joint, expressed in the rest-pose axes of the model frame, as in
FLAME/SMPL: joint ``j`` rotates about its rest position, and the chain composes parent-first.

Shapes: ``...`` stands for any batch shape; ``V`` vertices, ``J`` joints.
"""

from __future__ import annotations

import numpy as np


def axis_angle_to_matrix(axis_angle: np.ndarray) -> np.ndarray:
    """Rodrigues: ``[..., 3]`` axis-angle (radians) -> ``[..., 3, 3]`` rotation matrices.

    Exact at zero (returns the identity) and smooth near it (uses the Taylor series of the
    sin/cos coefficients for angles below 1e-4 rad).
    """
    aa = np.asarray(axis_angle, dtype=np.float64)
    theta2 = np.sum(aa * aa, axis=-1)
    theta = np.sqrt(theta2)
    small = theta < 1e-4
    safe = np.where(small, 1.0, theta)
    a = np.where(small, 1.0 - theta2 / 6.0, np.sin(safe) / safe)  # sin(t)/t
    b = np.where(small, 0.5 - theta2 / 24.0, (1.0 - np.cos(safe)) / (safe * safe))  # (1-cos t)/t^2
    x, y, z = aa[..., 0], aa[..., 1], aa[..., 2]
    zero = np.zeros_like(x)
    k = np.stack([zero, -z, y, z, zero, -x, -y, x, zero], axis=-1).reshape(aa.shape[:-1] + (3, 3))
    eye = np.broadcast_to(np.eye(3), k.shape)
    return eye + a[..., None, None] * k + b[..., None, None] * (k @ k)


def matrix_to_axis_angle(rot: np.ndarray) -> np.ndarray:
    """``[..., 3, 3]`` rotation matrices -> ``[..., 3]`` axis-angle (radians), angle in [0, pi]."""
    r = np.asarray(rot, dtype=np.float64)
    cos = np.clip((np.trace(r, axis1=-2, axis2=-1) - 1.0) * 0.5, -1.0, 1.0)
    angle = np.arccos(cos)
    vec = np.stack([r[..., 2, 1] - r[..., 1, 2], r[..., 0, 2] - r[..., 2, 0], r[..., 1, 0] - r[..., 0, 1]], axis=-1)
    sin = np.sin(angle)
    scale = np.where(sin > 1e-6, angle / np.maximum(2.0 * sin, 1e-12), 0.5)
    out = vec * scale[..., None]
    near_pi = angle > np.pi - 1e-3  # axis from the symmetric part when sin(angle) ~ 0
    if np.any(near_pi):
        sym = (r[near_pi] + np.swapaxes(r[near_pi], -1, -2)) * 0.5 - np.eye(3) * cos[near_pi][..., None, None]
        idx = np.argmax(np.abs(np.diagonal(sym, axis1=-2, axis2=-1)), axis=-1)
        axis = sym[np.arange(len(idx)), idx]
        axis /= np.linalg.norm(axis, axis=-1, keepdims=True)
        sign = np.where(np.sum(axis * vec[near_pi], axis=-1) < 0, -1.0, 1.0)
        out[near_pi] = axis * (angle[near_pi] * sign)[..., None]
    return out


def pose_features(rotations: np.ndarray, joints: np.ndarray) -> np.ndarray:
    """Pose-corrective features ``[..., len(joints) * 9]``: flattened ``R_j - I`` of the given joints.

    ``rotations`` is ``[..., J, 3, 3]`` (local joint rotations); ``joints`` the joint indices that
    drive correctives. Zero at the rest pose, so correctives vanish there.
    """
    sel = rotations[..., joints, :, :] - np.eye(3)
    return sel.reshape(sel.shape[:-3] + (len(joints) * 9,))


def forward_kinematics(rotations: np.ndarray, rest_joints: np.ndarray, parents: np.ndarray) -> np.ndarray:
    """World transforms of every joint: ``[..., J, 4, 4]``.

    Args:
        rotations: ``[..., J, 3, 3]`` local rotations (rest-pose axes).
        rest_joints: ``[..., J, 3]`` joint positions in the rest pose (m, model frame).
        parents: ``[J]`` parent index per joint, -1 for the root; parents come before children.

    Returns:
        ``[..., J, 4, 4]`` transforms that map a rest-pose point to its posed position when the
        point is fully attached to that joint (the rest offset is already removed), i.e. the
        skinning matrices ``G_j`` of LBS.
    """
    batch = np.broadcast_shapes(rotations.shape[:-3], rest_joints.shape[:-2])
    n_j = len(parents)
    rot = np.broadcast_to(rotations, batch + (n_j, 3, 3))
    rj = np.broadcast_to(rest_joints, batch + (n_j, 3))
    world = np.zeros(batch + (n_j, 4, 4))
    for j in range(n_j):
        local = np.zeros(batch + (4, 4))
        local[..., :3, :3] = rot[..., j, :, :]
        p = parents[j]
        local[..., :3, 3] = rj[..., j, :] - (rj[..., p, :] if p >= 0 else 0.0)
        local[..., 3, 3] = 1.0
        world[..., j, :, :] = local if p < 0 else world[..., p, :, :] @ local
    # remove the rest position: G_j = world_j * translate(-rest_j)
    skin = world.copy()
    skin[..., :3, 3] -= np.einsum("...ij,...j->...i", world[..., :3, :3], rj)
    return skin


def skin_vertices(vertices: np.ndarray, weights: np.ndarray, transforms: np.ndarray) -> np.ndarray:
    """Linear blend skinning: ``[..., V, 3]`` rest-pose vertices -> posed vertices.

    ``weights`` is ``[V, J]`` (rows sum to 1), ``transforms`` ``[..., J, 4, 4]`` from
    :func:`forward_kinematics`. Computed as sum_j w_j (R_j v + t_j) without forming per-vertex
    matrices for every joint pair.
    """
    blended = np.einsum("vj,...jab->...vab", weights, transforms[..., :3, :])
    return np.einsum("...vab,...vb->...va", blended[..., :3], vertices) + blended[..., 3]
