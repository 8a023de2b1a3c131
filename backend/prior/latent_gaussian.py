"""A low-rank Gaussian over the prior's continuous identity latents: the sampler that works with few people.

The autoregressive :class:`~backend.prior.code_sampler.CodeSampler` needs far more people than a CPU can render
(Taming Transformers trains on thousands of images; our code grids are 256 tokens over 512 codes and people share
~10 % of them). With ~100 identities, the latents ``z_id = E_id(...)`` ``[D, h, w]`` before quantisation are better
modelled like a morphable model: their mean plus a principal-component basis with the observed spreads
(probabilistic PCA with the rank of the data). A sample ``mean + sum_i t * s_i * n_i * b_i`` (``n_i`` standard
normal, ``t`` the temperature) is snapped to the nearest codebook entries, so it decodes like an encoded person.
"""

from __future__ import annotations

import torch
from jaxtyping import Float, Int
from torch import Tensor, nn

from .vq import VectorQuantizer


class LatentGaussian(nn.Module):
    """Mean ``[D * h * w]``, orthonormal basis ``[r, D * h * w]`` and standard deviations ``[r]`` of the identity
    latents, with the prior's identity codebook ``[K, D]`` to snap samples to indices."""

    def __init__(self, mean: Tensor, basis: Tensor, scales: Tensor, codebook: Tensor, height: int, width: int):
        super().__init__()
        self.register_buffer("mean", mean.float())
        self.register_buffer("basis", basis.float())
        self.register_buffer("scales", scales.float())
        self.snap = VectorQuantizer(*codebook.shape)  # the prior's nearest-code lookup, with its codebook
        self.snap.codebook.data.copy_(codebook.float())
        self.snap.requires_grad_(False)
        self.height, self.width = int(height), int(width)

    @staticmethod
    def fit(latents: Float[Tensor, "N D h w"], codebook: Float[Tensor, "K D"], rank: int = 64) -> LatentGaussian:
        """Fit to the latents of ``N`` >= 2 people: the ``rank`` largest of the ``N - 1`` components of their spread
        (64 keep the file at ~2 MB; the rest of the spread is dropped, not folded into noise)."""
        n, _d, h, w = latents.shape
        flat = latents.flatten(1).double()
        mean = flat.mean(0)
        _u, s, vh = torch.linalg.svd(flat - mean, full_matrices=False)
        keep = (s > s[0] * 1e-6) & (torch.arange(len(s)) < rank)
        return LatentGaussian(mean, vh[keep], s[keep] / (n - 1) ** 0.5, codebook, h, w)

    @torch.no_grad()
    def sample(self, n: int, temperature: float = 1.0, top_k: int | None = None,
               generator: torch.Generator | None = None) -> Int[Tensor, "n h w"]:
        """``n`` index grids: Gaussian latents (spread scaled by ``temperature``) snapped to the codebook.
        ``top_k`` is accepted for a common interface and ignored."""
        if temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        coef = torch.randn(n, len(self.scales), generator=generator, dtype=torch.float64).to(self.mean.device)
        z = self.mean + (coef * self.scales.double() * temperature) @ self.basis.double()
        z = z.float().reshape(n, -1, self.height, self.width)
        return self.snap.lookup(z.permute(0, 2, 3, 1).reshape(-1, z.shape[1])).reshape(n, self.height, self.width)
