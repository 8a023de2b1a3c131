"""Read and write a :class:`GaussianSet` as a PLY file in the original 3D Gaussian Splatting layout.

The layout, the raw encoding (log-scales, logit opacities, channel-major ``f_rest``) and the
exact-round-trip rule live in the numpy-only :mod:`synthetic.formats.ply`; this module converts
between tensors and those arrays, writes atomically and turns format problems into
:class:`~synthetic.errors.UserInputError` naming the file.

Example::

    write_ply("avatar.ply", gaussians)
    again = read_ply("avatar.ply")  # activated values equal to float32 precision
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from backend import __version__
from backend.splat.gaussians import GaussianSet
from synthetic.atomic import write_atomic
from synthetic.errors import UserInputError
from synthetic.formats.ply import (
    GaussianArrays,
    PlyFormatError,
    decode_ply,
    gaussians_to_ply_arrays,
    ply_arrays_to_gaussians,
    write_ply_stream,
)

PLY_COMMENT = f"generator synthheads {__version__} (3DGS PLY layout)"
"""The one ``comment`` line written into the header, stamping the producer."""


def gaussian_set_to_arrays(gaussians: GaussianSet) -> GaussianArrays:
    """Copy a :class:`GaussianSet` (any device, any float dtype) to float32 numpy arrays."""
    def to_np(t: torch.Tensor) -> np.ndarray:
        return t.detach().to("cpu", torch.float32).numpy()

    g = gaussians
    return GaussianArrays(to_np(g.means), to_np(g.quats), to_np(g.scales), to_np(g.opacities), to_np(g.sh))


def arrays_to_gaussian_set(arrays: GaussianArrays, device="cpu", dtype=torch.float32) -> GaussianSet:
    """:class:`GaussianArrays` -> :class:`GaussianSet` on ``device`` with ``dtype``."""
    a = arrays
    parts = (a.means, a.quats, a.scales, a.opacities, a.sh)
    return GaussianSet(*(torch.from_numpy(np.ascontiguousarray(p)).to(device, dtype) for p in parts))


def write_ply(path: str | os.PathLike, gaussians: GaussianSet) -> Path:
    """Write ``gaussians`` as a binary little-endian 3DGS PLY file, atomically.

    Args:
        path: target file; its folder is created. An existing file is replaced.
        gaussians: N Gaussians with activated scales (m) and opacities ([0, 1]); SH degree 0..3.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        ValueError: a scale is not positive and finite, an opacity is NaN, or another value is not finite.

    .. note::
        Opacities are clamped to ``[OPACITY_EPS, 1 - OPACITY_EPS]`` (1e-6) before the logit. Writing the
        result of :func:`read_ply` of a file written here gives the same bytes.
    """
    vertices = gaussians_to_ply_arrays(gaussian_set_to_arrays(gaussians))

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as stream:
            write_ply_stream(stream, vertices, comments=[PLY_COMMENT])

    return write_atomic(path, write)


def read_ply(path: str | os.PathLike, device="cpu", dtype=torch.float32) -> GaussianSet:
    """Read a binary little-endian 3DGS PLY file into an activated :class:`GaussianSet`.

    Properties may come in any order (the header is parsed); normals and unknown extra properties
    are ignored. The SH degree follows from the number of ``f_rest_*`` properties (0, 9, 24, 45).

    Args:
        path: the ``.ply`` file.
        device: where the tensors go.
        dtype: their float dtype (default float32, the precision of the file).

    Returns:
        The N Gaussians: means ``[N, 3]`` (m), quats ``[N, 4]`` (w-x-y-z, as stored), scales ``[N, 3]``
        (m), opacities ``[N]``, sh ``[N, K, 3]``.

    Raises:
        UserInputError: the file is missing, not a PLY, not binary little-endian, truncated, or lacks a
            3DGS property; the message names the file.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
        raise UserInputError(f"{path}: cannot read PLY file ({exc.strerror})") from exc
    try:
        arrays = ply_arrays_to_gaussians(decode_ply(data, source=str(path)), source=str(path))
    except PlyFormatError as exc:
        raise UserInputError(str(exc)) from exc
    return arrays_to_gaussian_set(arrays, device=device, dtype=dtype)
