"""An autoregressive transformer over the prior's identity code indices: the part that makes the prior generative.

SynShot's VQ-VAE quantises a person's identity into a grid of codebook indices ``[h, w]`` (16 x 16 for the
reference prior, 512 codes); following Taming Transformers (Esser et al. 2021), which SynShot cites, a causal
transformer learns ``p(i_t | i_<t)`` over the indices in raster order, and sampling it token by token gives the
code of a person nobody rendered. The decoders then turn that code into Gaussians like any encoded one
(:meth:`backend.prior.model.SynShotPrior.code_from_indices`).

Example::

    sampler = CodeSampler(SamplerConfig(codebook_size=512, height=16, width=16))
    loss = sampler.nll(indices)                      # indices [B, 16, 16] -> mean nats per token
    people = sampler.sample(4, temperature=1.0)      # [4, 16, 16] int64
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from jaxtyping import Float, Int
from torch import Tensor, nn


@dataclass
class SamplerConfig:
    """Size of the sampler; ``codebook_size``, ``height`` and ``width`` come from the prior it samples for."""

    codebook_size: int
    height: int
    width: int
    dim: int = 128
    layers: int = 4
    heads: int = 4
    dropout: float = 0.1

    @property
    def tokens(self) -> int:
        return self.height * self.width

    def to_dict(self) -> dict:
        return asdict(self)


class CodeSampler(nn.Module):
    """Causal (GPT-style, pre-norm) transformer over ``h * w`` code indices with a start token.

    Token ``t`` sees the start token and indices ``0 .. t-1`` and predicts index ``t`` (logits over the codebook).
    """

    def __init__(self, cfg: SamplerConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.start = cfg.codebook_size  # the start token's id, one past the codebook
        self.embed = nn.Embedding(cfg.codebook_size + 1, cfg.dim)
        self.pos = nn.Parameter(torch.randn(1, cfg.tokens, cfg.dim) * 0.02)
        layer = nn.TransformerEncoderLayer(cfg.dim, cfg.heads, 4 * cfg.dim, cfg.dropout, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, cfg.layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(cfg.dim)
        self.head = nn.Linear(cfg.dim, cfg.codebook_size)
        self.drop = nn.Dropout(cfg.dropout)

    def _logits(self, prefix: Int[Tensor, "B t"]) -> Float[Tensor, "B t K"]:
        """Logits of the token after each position of ``start + prefix[:, :t-1]`` (length ``t`` <= tokens)."""
        t = prefix.shape[1]
        x = self.drop(self.embed(prefix) + self.pos[:, :t])
        mask = nn.Transformer.generate_square_subsequent_mask(t, device=prefix.device)
        return self.head(self.norm(self.blocks(x, mask=mask, is_causal=True)))

    def logits(self, indices: Int[Tensor, "B h w"]) -> Float[Tensor, "B T K"]:
        """Teacher-forced logits of every token of ``indices`` (raster order, ``T = h * w``)."""
        flat = indices.flatten(1)
        start = flat.new_full((flat.shape[0], 1), self.start)
        return self._logits(torch.cat([start, flat[:, :-1]], 1))

    def nll(self, indices: Int[Tensor, "B h w"]) -> Tensor:
        """Mean negative log-likelihood per token (nats) of ``indices`` under the model."""
        logits = self.logits(indices)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), indices.flatten())

    @torch.no_grad()
    def sample(self, n: int, temperature: float = 1.0, top_k: int | None = None,
               generator: torch.Generator | None = None) -> Int[Tensor, "n h w"]:
        """``n`` index grids drawn token by token (``temperature`` > 0 scales the logits; ``top_k`` keeps the k
        most likely codes at each step). Deterministic for a given ``generator`` state on one device."""
        if temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        dev = self.pos.device
        was_training = self.training
        self.eval()  # no dropout while sampling
        seq = torch.full((n, 1), self.start, dtype=torch.long, device=dev)
        for _ in range(self.cfg.tokens):
            logits = self._logits(seq)[:, -1].float() / temperature
            if top_k:
                kth = torch.topk(logits, min(top_k, logits.shape[-1]), dim=-1).values[:, -1:]
                logits = logits.masked_fill(logits < kth, float("-inf"))
            probs = torch.softmax(logits, -1)
            nxt = torch.multinomial(probs.cpu(), 1, generator=generator).to(dev)
            seq = torch.cat([seq, nxt], 1)
        self.train(was_training)
        return seq[:, 1:].reshape(n, self.cfg.height, self.cfg.width)
