"""Torch GEM decoding: one matrix product per modality, then the activations.

:class:`TorchGem` holds a :class:`~synthetic.formats.gem.GemModel` as tensors (learnable in refinement).
Coefficients are a dict ``{modality: [B, k_m]}`` or one flat vector ``[B, sum k_m]`` in modality order
(position, rotation, scale, opacity) -- the layout of coefficient sequences on disk. The numpy path for
the Blender add-on is ``GemModel.decode`` in ``synthetic.formats.gem``; tests check the two agree.

Example::

    gem = TorchGem.from_model(read_gem("head.gem"))
    g = gem.decode(gem.zero_coefficients(1))   # means [1, N, 3] ...
    rasterize(gem.gaussian_set(g), cameras)
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from jaxtyping import Float
from torch import Tensor, nn

from backend.splat import GaussianSet
from synthetic.formats.gem import DIMS, MODALITIES, GemModality, GemModel

Coefficients = Mapping[str, Tensor]


class TorchGem(nn.Module):
    """A GEM as torch parameters: ``{m}_mean [N*D]``, ``{m}_basis [K, N*D]``, buffers ``{m}_std [K]``, ``sh``.

    Args:
        model: the numpy model; ``dtype``/``device`` of the tensors.
    """

    def __init__(self, model: GemModel, dtype: torch.dtype = torch.float32, device: str | torch.device = "cpu"):
        super().__init__()
        self.n_gaussians = model.n_gaussians
        self.metadata = dict(model.metadata)
        for m in MODALITIES:
            mod = model.modality(m)
            setattr(self, f"{m}_mean", nn.Parameter(torch.tensor(mod.mean, dtype=dtype, device=device)))
            setattr(self, f"{m}_basis", nn.Parameter(torch.tensor(mod.basis, dtype=dtype, device=device)))
            self.register_buffer(f"{m}_std", torch.tensor(mod.std, dtype=dtype, device=device))
        self.register_buffer("sh", torch.tensor(model.colour_sh, dtype=dtype, device=device))

    @classmethod
    def from_model(cls, model: GemModel, dtype: torch.dtype = torch.float32, device="cpu") -> TorchGem:
        return cls(model, dtype, device)

    # ------------------------------------------------------------------ sizes
    def mean(self, m: str) -> Tensor:
        return getattr(self, f"{m}_mean")

    def basis(self, m: str) -> Tensor:
        return getattr(self, f"{m}_basis")

    def std(self, m: str) -> Tensor:
        return getattr(self, f"{m}_std")

    @property
    def counts(self) -> dict[str, int]:
        return {m: int(self.basis(m).shape[0]) for m in MODALITIES}

    @property
    def n_coefficients(self) -> int:
        return sum(self.counts.values())

    def zero_coefficients(self, batch: int = 1) -> dict[str, Tensor]:
        return {m: self.mean(m).new_zeros(batch, k) for m, k in self.counts.items()}

    def split(self, flat: Float[Tensor, "B K"]) -> dict[str, Tensor]:
        """Flat ``[B, sum k_m]`` coefficients (modality order) -> ``{modality: [B, k_m]}``."""
        if flat.shape[-1] != self.n_coefficients:
            raise ValueError(f"flat coefficients have {flat.shape[-1]} values, this GEM takes {self.n_coefficients} "
                             f"({self.counts})")  # fmt: skip
        return dict(zip(MODALITIES, torch.split(flat, list(self.counts.values()), dim=-1)))

    def flatten(self, coeffs: Coefficients) -> Tensor:
        """``{modality: [B, k_m]}`` -> flat ``[B, sum k_m]``."""
        return torch.cat([coeffs[m] for m in MODALITIES], dim=-1)

    def flat_std(self) -> Float[Tensor, " K"]:
        return torch.cat([self.std(m) for m in MODALITIES])

    # ------------------------------------------------------------------ decoding
    def decode_raw(self, coeffs: Coefficients) -> dict[str, Float[Tensor, "B N D"]]:
        """Raw values ``{modality: [B, N, D]}``: ``mean + k @ basis`` (one matrix product per modality).
        A modality's coefficients may have fewer columns than components (the first ones are used); they are
        moved to the GEM's device and dtype."""
        out = {}
        batch = next(iter(coeffs.values())).shape[0]
        for m in MODALITIES:
            mean, basis = self.mean(m), self.basis(m)
            c = coeffs.get(m)
            raw = mean.expand(batch, -1) if c is None or c.shape[-1] == 0 else torch.addmm(
                mean[None], c.to(basis), basis[: c.shape[-1]])  # fmt: skip
            out[m] = raw.reshape(batch, self.n_gaussians, DIMS[m])
        return out

    def decode(self, coeffs: Coefficients | Tensor) -> dict[str, Tensor]:
        """Activated Gaussians ``means [B, N, 3]`` m, ``quats [B, N, 4]`` unit w-x-y-z, ``scales [B, N, 3]`` m,
        ``opacities [B, N]``, ``sh [N, K, 3]`` for coefficients (dict or flat)."""
        if isinstance(coeffs, Tensor):
            coeffs = self.split(coeffs)
        raw = self.decode_raw(coeffs)
        q = raw["rotation"]
        return {
            "means": raw["position"],
            "quats": q / q.norm(dim=-1, keepdim=True).clamp(min=1e-12),
            "scales": raw["scale"].exp(),
            "opacities": torch.sigmoid(raw["opacity"][..., 0]),
            "sh": self.sh,
        }

    def gaussian_set(self, decoded: dict[str, Tensor], b: int = 0) -> GaussianSet:
        """Batch element ``b`` of :meth:`decode`'s output as a :class:`GaussianSet`."""
        return GaussianSet(decoded["means"][b], decoded["quats"][b], decoded["scales"][b],
                           decoded["opacities"][b], decoded["sh"])  # fmt: skip

    # ------------------------------------------------------------------ back to numpy
    def to_model(self, metadata: dict | None = None, source: str = "GemModel") -> GemModel:
        """The numpy :class:`GemModel` of the current tensors (float32)."""

        def arr(t: Tensor) -> np.ndarray:
            return t.detach().float().cpu().numpy().copy()

        mods = {m: GemModality(arr(self.mean(m)), arr(self.basis(m)), arr(self.std(m))) for m in MODALITIES}
        return GemModel(**mods, colour_sh=arr(self.sh), metadata=dict(metadata or self.metadata), source=source)
