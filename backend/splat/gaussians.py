"""The Gaussian set type shared by every stage of the backend.

A :class:`GaussianSet` holds *activated* parameters (ARCHITECTURE.md, "Gaussians"):

- ``means``      ``[N, 3]`` world positions in metres,
- ``quats``      ``[N, 4]`` rotations as w-x-y-z quaternions (normalised on use, need not be unit),
- ``scales``     ``[N, 3]`` standard deviations along the local axes in metres (> 0),
- ``opacities``  ``[N]``    in [0, 1],
- ``sh``         ``[N, K, 3]`` spherical-harmonics coefficients, K = (degree + 1)^2 with degree 0..3.

The PLY file stores raw log-scales and logit opacities; conversion lives in ``backend.io.ply``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import torch
from jaxtyping import Float
from torch import Tensor

SH_COEFFS_FOR_DEGREE = {0: 1, 1: 4, 2: 9, 3: 16}
SH_C0 = 0.28209479177387814  # Y_0^0; DC coefficient = (rgb - 0.5) / SH_C0


def sh_degree_from_coeffs(k: int) -> int:
    """Degree of an SH expansion with ``k`` coefficients per channel (1, 4, 9 or 16)."""
    for degree, count in SH_COEFFS_FOR_DEGREE.items():
        if count == k:
            return degree
    raise ValueError(f"SH coefficient count must be one of 1, 4, 9, 16 (degree 0..3), got {k}")


def rgb_to_sh_dc(rgb: Tensor) -> Tensor:
    """Colour in [0, 1] ``[..., 3]`` to the degree-0 SH coefficient ``[..., 3]``."""
    return (rgb - 0.5) / SH_C0


def sh_dc_to_rgb(dc: Tensor) -> Tensor:
    return dc * SH_C0 + 0.5


@dataclass
class GaussianSet:
    """A set of N 3D Gaussians with activated parameters; see the module docstring for units."""

    means: Float[Tensor, "N 3"]
    quats: Float[Tensor, "N 4"]
    scales: Float[Tensor, "N 3"]
    opacities: Float[Tensor, "N"]
    sh: Float[Tensor, "N K 3"]

    def __post_init__(self) -> None:
        self.validate()

    # ------------------------------------------------------------------ checks
    def validate(self) -> None:
        """Raise ``ValueError`` naming the field when shapes, dtypes or devices disagree."""
        n = self.means.shape[0] if self.means.ndim == 2 else -1
        expected = {
            "means": (n, 3),
            "quats": (n, 4),
            "scales": (n, 3),
            "opacities": (n,),
        }
        for name, shape in expected.items():
            t = getattr(self, name)
            if not isinstance(t, Tensor):
                raise TypeError(f"GaussianSet.{name} must be a torch.Tensor, got {type(t).__name__}")
            if tuple(t.shape) != shape:
                raise ValueError(f"GaussianSet.{name} must have shape {list(shape)} (N={n}), got {list(t.shape)}")
        if self.sh.ndim != 3 or self.sh.shape[0] != n or self.sh.shape[2] != 3:
            raise ValueError(f"GaussianSet.sh must have shape [N, K, 3] (N={n}), got {list(self.sh.shape)}")
        sh_degree_from_coeffs(self.sh.shape[1])
        dtype, device = self.means.dtype, self.means.device
        if not dtype.is_floating_point:
            raise TypeError(f"GaussianSet tensors must be floating point, got {dtype}")
        for f in fields(self):
            t = getattr(self, f.name)
            if t.dtype != dtype:
                raise TypeError(f"GaussianSet.{f.name} has dtype {t.dtype}, but means has {dtype}")
            if t.device != device:
                raise ValueError(f"GaussianSet.{f.name} is on {t.device}, but means is on {device}")

    # ------------------------------------------------------------ properties
    def __len__(self) -> int:
        return self.means.shape[0]

    @property
    def sh_degree(self) -> int:
        return sh_degree_from_coeffs(self.sh.shape[1])

    @property
    def device(self) -> torch.device:
        return self.means.device

    @property
    def dtype(self) -> torch.dtype:
        return self.means.dtype

    # ------------------------------------------------------------ operations
    def _map(self, fn) -> GaussianSet:
        return GaussianSet(**{f.name: fn(getattr(self, f.name)) for f in fields(self)})

    def __getitem__(self, index) -> GaussianSet:
        """Select Gaussians by integer index tensor, boolean mask or slice (keeps 2D layout)."""
        if isinstance(index, int):
            index = slice(index, index + 1 if index != -1 else None)
        return self._map(lambda t: t[index])

    def to(self, *args, **kwargs) -> GaussianSet:
        """Move/cast every tensor, as ``Tensor.to``."""
        return self._map(lambda t: t.to(*args, **kwargs))

    def detach(self) -> GaussianSet:
        return self._map(lambda t: t.detach())

    def clone(self) -> GaussianSet:
        return self._map(lambda t: t.clone())

    def with_sh_degree(self, degree: int) -> GaussianSet:
        """Truncate or zero-pad the SH coefficients to ``degree``."""
        k = SH_COEFFS_FOR_DEGREE[degree]
        cur = self.sh.shape[1]
        if k <= cur:
            sh = self.sh[:, :k]
        else:
            sh = torch.cat([self.sh, self.sh.new_zeros(len(self), k - cur, 3)], dim=1)
        return GaussianSet(self.means, self.quats, self.scales, self.opacities, sh)

    @staticmethod
    def cat(sets: Sequence[GaussianSet]) -> GaussianSet:
        """Concatenate sets; SH is padded to the highest degree among them."""
        if not sets:
            raise ValueError("GaussianSet.cat needs at least one set")
        degree = max(s.sh_degree for s in sets)
        sets = [s.with_sh_degree(degree) for s in sets]
        return GaussianSet(**{f.name: torch.cat([getattr(s, f.name) for s in sets]) for f in fields(GaussianSet)})

    @staticmethod
    def empty(sh_degree: int = 0, device="cpu", dtype=torch.float32) -> GaussianSet:
        k = SH_COEFFS_FOR_DEGREE[sh_degree]
        z = lambda *s: torch.zeros(*s, device=device, dtype=dtype)  # noqa: E731
        return GaussianSet(z(0, 3), z(0, 4), z(0, 3), z(0), z(0, k, 3))
