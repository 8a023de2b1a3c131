"""EWA projection of 3D Gaussians to the image plane (pure torch, differentiable).

Follows gsplat's pinhole conventions exactly so that the CPU rasterizer and gsplat agree:
the Jacobian is evaluated at the mean clamped to 1.3x the view frustum, a low-pass ``eps2d``
(0.3 px^2) is added to the 2D covariance, and the screen-space radius per axis is
``ceil(3.33 * sigma)``. Gaussians closer than ``near`` or farther than ``far``, with a
degenerate 2D covariance, or whose 3.33-sigma box misses the image, get radius 0 (culled).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from jaxtyping import Float, Int
from torch import Tensor


def quats_to_rotmats(quats: Float[Tensor, "*batch 4"]) -> Float[Tensor, "*batch 3 3"]:
    """Rotation matrices from w-x-y-z quaternions (normalised here)."""
    w, x, y, z = F.normalize(quats, dim=-1).unbind(-1)
    R = torch.stack(
        [
            1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
            2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
            2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
        ],
        dim=-1,
    )  # fmt: skip
    return R.reshape(quats.shape[:-1] + (3, 3))


def covariances_3d(quats: Float[Tensor, "N 4"], scales: Float[Tensor, "N 3"]) -> Float[Tensor, "N 3 3"]:
    """World-space covariance ``R S S^T R^T`` (m^2) from rotations and per-axis std devs (m)."""
    M = quats_to_rotmats(quats) * scales[..., None, :]
    return M @ M.transpose(-1, -2)


def _project_gaussians(
    means: Float[Tensor, "N 3"],
    covars: Float[Tensor, "N 3 3"],
    w2c: Float[Tensor, "C 4 4"],
    K: Float[Tensor, "C 3 3"],
    width: int,
    height: int,
    eps2d: float = 0.3,
    near: float = 0.01,
    far: float = 1e10,
) -> tuple[Float[Tensor, "C N 2"], Float[Tensor, "C N 3"], Float[Tensor, "C N"], Int[Tensor, "C N 2"]]:
    """Project N Gaussians into C cameras.

    Returns:
        means2d ``[C, N, 2]`` pixel coordinates (x right, y down; pixel centres at +0.5),
        conics ``[C, N, 3]`` upper triangle (a, b, c) of the inverse 2D covariance (px^-2),
        depths ``[C, N]`` camera-space z (m),
        radii ``[C, N, 2]`` int32 screen-space half extents per axis (px); 0 means culled.
    """
    R = w2c[:, None, :3, :3]  # [C, 1, 3, 3]
    t = w2c[:, None, :3, 3]  # [C, 1, 3]
    p = (R @ means[None, :, :, None])[..., 0] + t  # [C, N, 3]
    cov_c = R @ covars[None] @ R.transpose(-1, -2)  # [C, N, 3, 3]
    x, y, z = p.unbind(-1)
    fx, fy = K[:, 0, 0, None], K[:, 1, 1, None]
    cx, cy = K[:, 0, 2, None], K[:, 1, 2, None]
    z_safe = torch.where(z.abs() < 1e-6, torch.full_like(z, 1e-6), z)
    tan_x, tan_y = 0.5 * width / fx, 0.5 * height / fy
    lim_x_pos = (width - cx) / fx + 0.3 * tan_x
    lim_x_neg = cx / fx + 0.3 * tan_x
    lim_y_pos = (height - cy) / fy + 0.3 * tan_y
    lim_y_neg = cy / fy + 0.3 * tan_y
    tx = z_safe * torch.maximum(torch.minimum(x / z_safe, lim_x_pos), -lim_x_neg)
    ty = z_safe * torch.maximum(torch.minimum(y / z_safe, lim_y_pos), -lim_y_neg)
    zero = torch.zeros_like(z)
    J = torch.stack(
        [fx / z_safe, zero, -fx * tx / z_safe**2, zero, fy / z_safe, -fy * ty / z_safe**2], dim=-1
    ).reshape(z.shape + (2, 3))
    cov2d = J @ cov_c @ J.transpose(-1, -2)
    a = cov2d[..., 0, 0] + eps2d
    b = 0.5 * (cov2d[..., 0, 1] + cov2d[..., 1, 0])
    c = cov2d[..., 1, 1] + eps2d
    det = a * c - b * b
    det_safe = det.clamp(min=1e-10)
    conics = torch.stack([c / det_safe, -b / det_safe, a / det_safe], dim=-1)
    means2d = torch.stack([fx * x / z_safe + cx, fy * y / z_safe + cy], dim=-1)

    with torch.no_grad():
        radius = torch.stack([torch.ceil(3.33 * a.clamp(min=0).sqrt()), torch.ceil(3.33 * c.clamp(min=0).sqrt())], -1)
        valid = (det > 0) & (z > near) & (z < far)
        m = means2d.detach()
        inside = (
            (m[..., 0] + radius[..., 0] > 0)
            & (m[..., 0] - radius[..., 0] < width)
            & (m[..., 1] + radius[..., 1] > 0)
            & (m[..., 1] - radius[..., 1] < height)
        )
        radii = torch.where((valid & inside)[..., None], radius, torch.zeros_like(radius)).to(torch.int32)
    return means2d, conics, z, radii
