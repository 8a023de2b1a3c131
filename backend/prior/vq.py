"""Vector quantisation of spatial latents and the small transformer over the code grid.

:class:`VectorQuantizer` snaps every latent vector ``z_ij`` to its nearest codebook entry (VQ-VAE, van den
Oord et al.): codebook loss ``||sg[z] - q||^2`` plus commitment ``beta ||z - sg[q]||^2``, straight-through
gradients. Usage is kept alive by restarts: a per-code usage EMA (hits per step) is tracked, and every
``restart_every`` steps the codes under ``threshold`` are re-seeded with latent vectors of the current batch
(Dhariwal et al., Jukebox). At step 0 every code is unused, so the codebook is initialised from data.
Under DDP the usage counts are summed over processes and the restarted codebook is broadcast from rank 0,
so every process keeps the same codebook.

:class:`CodeTransformer` is a bidirectional transformer encoder over the (quantised) code grid with learned
position embeddings, as in SynShot ("a transformer operates over the quantised codes"); it lets every code
see the whole head before decoding.
"""

from __future__ import annotations

import torch
import torch.distributed as dist
import torch.nn.functional as F
from jaxtyping import Float, Int
from torch import Tensor, nn


class VectorQuantizer(nn.Module):
    """Nearest-neighbour quantiser with a learned codebook.

    Args:
        size: number of codes K.
        dim: code vector size (the latent channels).
        beta: commitment weight.
        restart_every: steps between dead-code restarts (0 = never).
        threshold: usage EMA (hits per step) under which a code is dead.
        decay: usage EMA decay per step.
    """

    def __init__(self, size: int, dim: int, beta: float = 0.25, restart_every: int = 50, threshold: float = 0.03,
                 decay: float = 0.99) -> None:
        super().__init__()
        self.size, self.dim, self.beta = size, dim, beta
        self.restart_every, self.threshold, self.decay = restart_every, threshold, decay
        self.codebook = nn.Parameter(torch.empty(size, dim).uniform_(-1.0 / size, 1.0 / size))
        self.register_buffer("usage", torch.zeros(size))

    def lookup(self, z: Float[Tensor, "N D"]) -> Int[Tensor, " N"]:
        """Index of the nearest code of every row (squared Euclidean distance in float32).

        Autocast is switched off here: under bf16/fp16 autocast ``z @ c.t()`` would run in half precision
        (~3 significant digits) and training (under autocast) and inversion (without) would assign codes
        differently.
        """
        with torch.autocast(z.device.type, enabled=False):
            z, c = z.float(), self.codebook.float()
            d = (z * z).sum(1, keepdim=True) - 2 * z @ c.t() + (c * c).sum(1)[None]
            return d.argmin(dim=1)

    def forward(
        self, z: Float[Tensor, "B D h w"], step: int | None = None
    ) -> tuple[Float[Tensor, "B D h w"], Tensor, dict[str, float], Int[Tensor, "B h w"]]:
        """Quantise ``z``; ``step`` (training only) drives usage tracking and restarts.

        Returns:
            ``q`` (straight-through: its gradient flows to ``z``), the VQ loss (codebook + beta * commitment),
            stats (``usage``: share of codes used in this batch, ``perplexity``) and the code indices.
        """
        b, d, h, w = z.shape
        flat = z.permute(0, 2, 3, 1).reshape(-1, d)
        if self.training and step is not None and self.restart_every and step % self.restart_every == 0:
            self._restart(flat.detach(), step)
        idx = self.lookup(flat.detach())
        q = self.codebook[idx].to(flat.dtype)
        loss = F.mse_loss(q.float(), flat.detach().float()) + self.beta * F.mse_loss(flat.float(), q.detach().float())
        q_st = flat + (q - flat).detach()
        counts = torch.bincount(idx, minlength=self.size).float()
        if self.training and step is not None:
            total = counts.clone()
            if dist.is_available() and dist.is_initialized():
                dist.all_reduce(total)
            with torch.no_grad():
                self.usage.mul_(self.decay).add_(total, alpha=1 - self.decay)
        p = counts / counts.sum()
        stats = {"usage": float((counts > 0).float().mean()),
                 "perplexity": float(torch.exp(-(p * torch.log(p.clamp_min(1e-10))).sum()))}
        return q_st.reshape(b, h, w, d).permute(0, 3, 1, 2), loss, stats, idx.reshape(b, h, w)

    @torch.no_grad()
    def _restart(self, flat: Float[Tensor, "N D"], step: int) -> None:
        dead = (self.usage < self.threshold).nonzero()[:, 0]
        if len(dead):
            gen = torch.Generator().manual_seed(1_000_003 * step + self.size)
            pick = torch.randint(len(flat), (len(dead),), generator=gen).to(flat.device)
            noise = torch.randn(len(dead), self.dim, generator=gen).to(flat.device) * 0.01
            std = flat.float().std().clamp_min(1e-6)
            self.codebook.data[dead] = (flat[pick].float() + noise * std).to(self.codebook.dtype)
            self.usage[dead] = 2 * self.threshold  # a grace period before the next check
        if dist.is_available() and dist.is_initialized():
            dist.broadcast(self.codebook.data, 0)
            dist.broadcast(self.usage, 0)


class CodeTransformer(nn.Module):
    """Pre-norm transformer encoder over a ``h x w`` code grid (tokens in raster order).

    Args:
        dim: token (code) size. tokens: ``h * w``. layers, heads: transformer size.
    """

    def __init__(self, dim: int, tokens: int, layers: int = 2, heads: int = 4) -> None:
        super().__init__()
        self.pos = nn.Parameter(torch.randn(1, tokens, dim) * 0.02)
        layer = nn.TransformerEncoderLayer(dim, heads, dim_feedforward=4 * dim, dropout=0.0, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)

    def forward(self, q: Float[Tensor, "B D h w"]) -> Float[Tensor, "B D h w"]:
        b, d, h, w = q.shape
        x = q.flatten(2).transpose(1, 2) + self.pos
        x = self.norm(self.blocks(x))
        return x.transpose(1, 2).reshape(b, d, h, w)
