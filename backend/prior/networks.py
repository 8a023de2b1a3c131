"""Convolutional building blocks of the prior: residual blocks, UV-map encoders and decoders.

The encoders and decoders follow the VQGAN layout (Esser et al.) at a smaller size: a stem conv, one
residual block per level followed by a stride-2 conv (encoder) or a nearest upsample + conv (decoder), a
middle block, and a projection. GroupNorm + SiLU throughout, so they behave the same with a batch of one
sample per GPU (the paper's 2 per GPU).
"""

from __future__ import annotations

from jaxtyping import Float
from torch import Tensor, nn


def _norm(channels: int) -> nn.GroupNorm:
    return nn.GroupNorm(min(8, channels), channels)


class ResBlock(nn.Module):
    """``x + conv(act(norm(conv(act(norm(x))))))``, with a 1x1 projection when the width changes.

    Args:
        cin, cout: channels in and out.
        kernel: convolution kernel (1 turns the block into a per-pixel MLP).
    """

    def __init__(self, cin: int, cout: int, kernel: int = 3) -> None:
        super().__init__()
        pad = kernel // 2
        self.body = nn.Sequential(
            _norm(cin), nn.SiLU(), nn.Conv2d(cin, cout, kernel, padding=pad),
            _norm(cout), nn.SiLU(), nn.Conv2d(cout, cout, kernel, padding=pad),
        )  # fmt: skip
        self.skip = nn.Identity() if cin == cout else nn.Conv2d(cin, cout, 1)

    def forward(self, x: Float[Tensor, "B Ci H W"]) -> Float[Tensor, "B Co H W"]:
        return self.skip(x) + self.body(x)


class Encoder(nn.Module):
    """UV maps ``[B, cin, S, S]`` -> latent ``[B, latent, S / 2^L, S / 2^L]`` with ``L = len(channels) - 1``.

    Args:
        cin: input channels.
        channels: width per level, e.g. ``[32, 64, 64]`` (two downsamplings).
        latent: output channels (the codebook vector size).
    """

    def __init__(self, cin: int, channels: list[int], latent: int) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(cin, channels[0], 3, padding=1)]
        for c_in, c_out in zip(channels[:-1], channels[1:]):
            layers += [ResBlock(c_in, c_in), nn.Conv2d(c_in, c_out, 3, stride=2, padding=1)]
        layers += [ResBlock(channels[-1], channels[-1]), _norm(channels[-1]), nn.SiLU(),
                   nn.Conv2d(channels[-1], latent, 1)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: Float[Tensor, "B Ci S S"]) -> Float[Tensor, "B Cl h w"]:
        return self.net(x)


class Decoder(nn.Module):
    """Latent ``[B, latent, h, w]`` -> maps ``[B, cout, h * 2^L, w * 2^L]`` (mirror of :class:`Encoder`).

    Args:
        latent: input channels.
        channels: widths of the matching encoder (used in reverse).
        cout: output channels.
        zero_init: start the output projection at zero (decoded maps start at 0, i.e. at the template).
    """

    def __init__(self, latent: int, channels: list[int], cout: int, zero_init: bool = False) -> None:
        super().__init__()
        rev = channels[::-1]
        layers: list[nn.Module] = [nn.Conv2d(latent, rev[0], 3, padding=1), ResBlock(rev[0], rev[0])]
        for c_in, c_out in zip(rev[:-1], rev[1:]):
            layers += [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c_in, c_out, 3, padding=1),
                       ResBlock(c_out, c_out)]
        out = nn.Conv2d(rev[-1], cout, 3, padding=1)
        if zero_init:
            nn.init.zeros_(out.weight)
            nn.init.zeros_(out.bias)
        layers += [_norm(rev[-1]), nn.SiLU(), out]
        self.net = nn.Sequential(*layers)

    def forward(self, z: Float[Tensor, "B Cl h w"]) -> Float[Tensor, "B Co H W"]:
        return self.net(z)


class Regressor(nn.Module):
    """SynShot's light per-part regressor: four conv blocks with skip connections on a grid of samples.

    Works on the sample grid of one part (``[B, cin, Hs, Ws]``, bilinearly sampled features); with
    ``kernel=1`` it is a per-Gaussian MLP. The output projection starts at zero, so the Gaussians start
    exactly at their initialisation (positions, tangent-frame rotations, neighbour scales, opacity 0.7).

    Args:
        cin: input channels (F). width: hidden channels. cout: outputs. kernel: conv kernel.
    """

    def __init__(self, cin: int, width: int, cout: int, kernel: int = 3, blocks: int = 4) -> None:
        super().__init__()
        self.stem = nn.Conv2d(cin, width, 1)
        self.blocks = nn.ModuleList(ResBlock(width, width, kernel) for _ in range(blocks))
        self.out = nn.Sequential(_norm(width), nn.SiLU(), nn.Conv2d(width, cout, 1))
        nn.init.zeros_(self.out[-1].weight)
        nn.init.zeros_(self.out[-1].bias)

    def forward(self, x: Float[Tensor, "B Ci Hs Ws"]) -> Float[Tensor, "B Co Hs Ws"]:
        h = self.stem(x)
        for block in self.blocks:
            h = block(h)
        return self.out(h)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)

