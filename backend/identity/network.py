"""dlib's face-recognition ResNet as a differentiable torch module, built from :mod:`.dlib_reader`'s layers.

The network (dlib's ``dnn_face_recognition_ex.cpp``: a ResNet-29 with 32-256 channels) maps an aligned
150x150 RGB face chip to a 128-D descriptor; two photos of one person are under 0.6 apart (Euclidean),
different people usually over. Its layer list is read as::

    stem:   conv 7x7/2 -> affine -> relu -> max_pool 3x3/2
    blocks: conv -> affine -> relu -> conv -> affine [-> avg_pool of the block input] -> add -> relu
    head:   avg_pool over the whole map -> fc (no bias)

where a block's shortcut is its input (average-pooled 2x2/2 in the down-sampling blocks, whose first
convolution has stride 2 and no padding), added as dlib's ``add_prev`` does: over the larger of each size,
the smaller tensor zero-padded (channels 32 -> 64, and 3x3 outputs onto 4x4 shortcuts at 8x8 -> 4x4).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from jaxtyping import Float
from torch import Tensor, nn

from .dlib_reader import DlibLayer, DlibNetwork


class _ConvAffine(nn.Module):
    """A convolution followed by its frozen affine (batch-norm) layer, folded into one convolution."""

    def __init__(self, conv: DlibLayer, affine: DlibLayer) -> None:
        super().__init__()
        gamma, beta = (torch.from_numpy(affine.arrays[k].copy()) for k in ("gamma", "beta"))
        w = torch.from_numpy(conv.arrays["weight"].copy())
        self.register_buffer("weight", w * gamma[:, None, None, None])
        self.register_buffer("bias", torch.from_numpy(conv.arrays["bias"].copy()) * gamma + beta)
        self.stride, self.padding = conv.settings["stride"], conv.settings["padding"]

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding)


class _Block(nn.Module):
    def __init__(self, first: _ConvAffine, second: _ConvAffine, pool: DlibLayer | None) -> None:
        super().__init__()
        self.first, self.second, self.pool = first, second, pool.settings if pool else None

    def forward(self, x: Tensor) -> Tensor:
        y = self.second(F.relu(self.first(x)))
        skip = x
        if self.pool is not None:
            skip = F.avg_pool2d(x, self.pool["size"], self.pool["stride"], self.pool["padding"])
        return F.relu(_add_prev(y, skip))


def _add_prev(a: Tensor, b: Tensor) -> Tensor:
    """dlib's ``add_prev``: the sum over the larger of each size (channels, rows, columns), the smaller
    tensor zero-padded at the end (e.g. a 3x3 block output plus its 4x4 pooled shortcut gives 4x4)."""
    size = [max(x, y) for x, y in zip(a.shape[1:], b.shape[1:])]

    def grow(t: Tensor) -> Tensor:
        c, h, w = t.shape[1:]
        return F.pad(t, (0, size[2] - w, 0, size[1] - h, 0, size[0] - c))

    return grow(a) + grow(b)


class DlibFaceNet(nn.Module):
    """``forward(chips [B, 3, 150, 150] in 0..1, RGB) -> descriptors [B, 128]`` (not normalised, as dlib's).

    Frozen weights (buffers); gradients flow to the input, so it serves as an identity loss.
    """

    def __init__(self, net: DlibNetwork) -> None:
        super().__init__()
        layers = list(net.layers)
        kinds = [layer.kind for layer in layers]
        if kinds[:4] != ["conv", "affine", "relu", "max_pool"] or kinds[-2:] != ["avg_pool", "fc"]:
            raise ValueError(f"unexpected dlib network layout: starts {kinds[:4]}, ends {kinds[-2:]}")
        self.register_buffer("mean", torch.tensor(net.input_mean_rgb, dtype=torch.float32).view(1, 3, 1, 1))
        self.size = net.input_size
        self.stem = _ConvAffine(layers[0], layers[1])
        self.stem_pool = layers[3].settings
        blocks, i = [], 4
        while kinds[i] == "conv":
            down = kinds[i + 5] == "avg_pool"
            want = ["conv", "affine", "relu", "conv", "affine"] + (["avg_pool"] if down else []) + ["add_prev", "relu"]
            if kinds[i : i + len(want)] != want:
                raise ValueError(f"unexpected dlib residual block at layer {i}: {kinds[i : i + len(want)]}")
            blocks.append(_Block(_ConvAffine(layers[i], layers[i + 1]), _ConvAffine(layers[i + 3], layers[i + 4]),
                                 layers[i + 5] if down else None))  # fmt: skip
            i += len(want)
        if i != len(layers) - 2:
            raise ValueError(f"unexpected dlib network layout after block {len(blocks)}: {kinds[i:]}")
        self.blocks = nn.ModuleList(blocks)
        self.register_buffer("fc", torch.from_numpy(layers[-1].arrays["weight"].copy()))
        self.requires_grad_(False)

    @property
    def descriptor_size(self) -> int:
        return int(self.fc.shape[1])

    def forward(self, chips: Float[Tensor, "B 3 S S"]) -> Float[Tensor, "B D"]:
        x = (chips * 255.0 - self.mean) / 256.0
        p = self.stem_pool
        x = F.max_pool2d(F.relu(self.stem(x)), p["size"], p["stride"], p["padding"])
        for block in self.blocks:
            x = block(x)
        return x.mean(dim=(2, 3)) @ self.fc
