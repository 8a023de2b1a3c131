"""Real spherical harmonics up to degree 3, in the ordering and sign convention of 3D Gaussian
Splatting (and gsplat): index l*l + l + m for m = -l..l, Condon-Shortley phase included.

Colour of a Gaussian seen along unit direction d (from the camera centre to the Gaussian):
``rgb = max(sum_k Y_k(d) * sh[k] + 0.5, 0)``.
"""

from __future__ import annotations

import torch
from jaxtyping import Float
from torch import Tensor

_C0 = 0.28209479177387814
_C1 = 0.4886025119029199
_C2 = (1.0925484305920792, -1.0925484305920792, 0.31539156525252005, -1.0925484305920792, 0.5462742152960396)
_C3 = (
    -0.5900435899266435,
    2.890611442640554,
    -0.4570457994644658,
    0.3731763325901154,
    -0.4570457994644658,
    1.445305721320277,
    -0.5900435899266435,
)


def eval_sh_basis(degree: int, dirs: Float[Tensor, "*batch 3"]) -> Float[Tensor, "*batch K"]:
    """Evaluate the (degree+1)^2 real SH basis functions at unit directions.

    Args:
        degree: 0..3.
        dirs: ``[..., 3]`` unit vectors (not re-normalised here).

    Returns:
        ``[..., (degree+1)^2]`` basis values.
    """
    if degree not in (0, 1, 2, 3):
        raise ValueError(f"SH degree must be 0..3, got {degree}")
    assert dirs.shape[-1] == 3, f"dirs must be [..., 3], got {list(dirs.shape)}"
    out = [torch.full_like(dirs[..., 0], _C0)]
    if degree >= 1:
        x, y, z = dirs.unbind(-1)
        out += [-_C1 * y, _C1 * z, -_C1 * x]
    if degree >= 2:
        xx, yy, zz = x * x, y * y, z * z
        out += [
            _C2[0] * x * y,
            _C2[1] * y * z,
            _C2[2] * (2.0 * zz - xx - yy),
            _C2[3] * x * z,
            _C2[4] * (xx - yy),
        ]
    if degree >= 3:
        out += [
            _C3[0] * y * (3.0 * xx - yy),
            _C3[1] * x * y * z,
            _C3[2] * y * (4.0 * zz - xx - yy),
            _C3[3] * z * (2.0 * zz - 3.0 * xx - 3.0 * yy),
            _C3[4] * x * (4.0 * zz - xx - yy),
            _C3[5] * z * (xx - yy),
            _C3[6] * x * (xx - 3.0 * yy),
        ]
    return torch.stack(out, dim=-1)


def sh_to_rgb(
    sh: Float[Tensor, "*batch K 3"], dirs: Float[Tensor, "*batch 3"], degree: int | None = None
) -> Float[Tensor, "*batch 3"]:
    """Colour from SH coefficients seen along ``dirs`` (normalised here), clamped at 0 like gsplat.

    Args:
        sh: ``[..., K, 3]`` coefficients, K >= (degree+1)^2.
        dirs: ``[..., 3]`` viewing directions (camera centre to Gaussian), any length.
        degree: degree to use; defaults to the highest the coefficients hold.

    Returns:
        ``[..., 3]`` colours, >= 0 (not clamped above).
    """
    k = sh.shape[-2]
    if degree is None:
        degree = {1: 0, 4: 1, 9: 2, 16: 3}[k]
    n = (degree + 1) ** 2
    if n > k:
        raise ValueError(f"SH degree {degree} needs {n} coefficients, got {k}")
    d = torch.nn.functional.normalize(dirs, dim=-1)
    basis = eval_sh_basis(degree, d)  # [..., n]
    rgb = (basis[..., :, None] * sh[..., :n, :]).sum(dim=-2)
    return torch.clamp_min(rgb + 0.5, 0.0)
