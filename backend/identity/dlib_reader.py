"""Reader of dlib's serialised face-recognition network (``dlib_face_recognition_resnet_model_v1.dat``).

numpy only; no dlib needed. dlib writes a network as nested ``add_layer`` objects (outermost first: a
prefix of version integers), then the layers from the input upwards, each as a name string (``con_4``,
``affine_``, ``relu_``, ``max_pool_2``, ``avg_pool_2``, ``add_prev_``, ``fc_2``) followed by its
settings and parameter tensors. Tag and skip layers write nothing but their prefix version.

Encodings (dlib/serialize.h, dlib/cuda/tensor.h): an integer is a control byte (low 4 bits: number of
bytes, 0x80: negative) then little-endian bytes; a string is its length (integer) then its bytes; a tensor
(version 2) is ``version, num_samples, k, nr, nc`` then ``num_samples*k*nr*nc`` little-endian float32.

Only what the forward pass needs is kept, in file order (input to output):

- ``conv``: ``weight [F, C, kh, kw]`` (cross-correlation, like torch), ``bias [F]``, ``stride``, ``padding``.
- ``affine``: ``gamma [C]``, ``beta [C]`` (a frozen batch norm: ``x * gamma + beta`` per channel).
- ``relu``, ``add_prev`` (adds the tagged output; channels zero-padded to the larger count).
- ``max_pool`` / ``avg_pool``: ``size (kh, kw)``, ``stride``, ``padding``; size 0 = the whole map.
- ``fc``: ``weight [in, out]`` (no bias in this network).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from synthetic.errors import UserInputError

_NAME = re.compile(rb"\x01([\x03-\x20])(con_\d|affine_\d?|relu_\d?|max_pool_\d|avg_pool_\d|add_prev_|fc_\d)")


@dataclass
class DlibLayer:
    kind: str
    """``conv``, ``affine``, ``relu``, ``max_pool``, ``avg_pool``, ``add_prev`` or ``fc``."""
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    settings: dict[str, tuple[int, int]] = field(default_factory=dict)


@dataclass
class DlibNetwork:
    layers: list[DlibLayer]
    """Input to output."""
    input_mean_rgb: tuple[float, float, float]
    """Subtracted from 0-255 pixel values before dividing by 256 (``input_rgb_image_sized``)."""
    input_size: int
    """Side of the aligned face chip (150)."""


class _Cursor:
    def __init__(self, data: bytes, where: str) -> None:
        self.data, self.pos, self.where = data, 0, where

    def fail(self, what: str) -> UserInputError:
        return UserInputError(f"{self.where}: not a dlib face-recognition network ({what} at byte {self.pos})")

    def int(self) -> int:
        if self.pos >= len(self.data):
            raise self.fail("truncated")
        ctrl = self.data[self.pos]
        n = ctrl & 0x0F
        if n == 0 or n > 8 or ctrl & 0x70:
            raise self.fail(f"bad integer control byte {ctrl:#x}")
        raw = self.data[self.pos + 1 : self.pos + 1 + n]
        if len(raw) < n:
            raise self.fail("truncated")
        self.pos += 1 + n
        value = int.from_bytes(raw, "little")
        return -value if ctrl & 0x80 else value

    def float(self) -> float:
        mantissa, exponent = self.int(), self.int()
        return float(mantissa) * 2.0**exponent

    def string(self) -> str:
        n = self.int()
        s = self.data[self.pos : self.pos + n]
        self.pos += n
        return s.decode("latin-1")

    def tensor(self) -> np.ndarray:
        version = self.int()
        if version != 2:
            raise self.fail(f"tensor version {version} (expected 2)")
        shape = tuple(self.int() for _ in range(4))
        count = int(np.prod(shape))
        end = self.pos + 4 * count
        if end > len(self.data):
            raise self.fail("truncated tensor")
        values = np.frombuffer(self.data, "<f4", count, self.pos).astype(np.float32).reshape(shape)
        self.pos = end
        return values

    def seek_layer(self) -> str | None:
        m = _NAME.search(self.data, self.pos)
        if m is None:
            return None
        self.pos = m.start() + 2 + m.group(1)[0]
        return m.group(2).decode()


def read_dlib_network(path: str | Path) -> DlibNetwork:
    """Parse the network; ``UserInputError`` (one line) when the file is missing, truncated or foreign."""
    path = Path(path)
    if not path.is_file():
        raise UserInputError(f"{path}: no such file (dlib face-recognition network)")
    data = path.read_bytes()
    cur = _Cursor(data, str(path))
    marker = data.find(b"input_rgb_image_sized")
    if marker < 0 or b"loss_metric" not in data[:64]:
        raise cur.fail("no loss_metric / input_rgb_image_sized header")
    cur.pos = marker + len(b"input_rgb_image_sized")
    mean = (cur.float(), cur.float(), cur.float())
    size = cur.int()
    layers: list[DlibLayer] = []
    while (name := cur.seek_layer()) is not None:
        if name.startswith("con_"):
            params = cur.tensor().reshape(-1)
            f, kh, kw, sy, sx, py, px = (cur.int() for _ in range(7))
            c = (params.size - f) // (f * kh * kw)
            if c * f * kh * kw + f != params.size:
                raise cur.fail(f"convolution with {params.size} parameters for {f} {kh}x{kw} filters")
            layers.append(DlibLayer("conv", {"weight": params[: f * c * kh * kw].reshape(f, c, kh, kw),
                                             "bias": params[f * c * kh * kw :]},
                                    {"stride": (sy, sx), "padding": (py, px)}))  # fmt: skip
        elif name.startswith("affine_"):
            params = cur.tensor().reshape(-1)
            half = params.size // 2
            layers.append(DlibLayer("affine", {"gamma": params[:half], "beta": params[half:]}))
        elif name.startswith(("max_pool_", "avg_pool_")):
            kh, kw, sy, sx, py, px = (cur.int() for _ in range(6))
            layers.append(DlibLayer(name[:8], {}, {"size": (kh, kw), "stride": (sy, sx), "padding": (py, px)}))
        elif name.startswith("fc_"):
            n_out, n_in = cur.int(), cur.int()
            params = cur.tensor().reshape(-1)
            if params.size < n_in * n_out:
                raise cur.fail(f"fully connected layer with {params.size} parameters for {n_in}x{n_out}")
            layers.append(DlibLayer("fc", {"weight": params[: n_in * n_out].reshape(n_in, n_out)}))
        else:
            layers.append(DlibLayer("relu" if name.startswith("relu") else "add_prev"))
    if not layers or layers[-1].kind != "fc":
        raise cur.fail("no final fully connected layer")
    return DlibNetwork(layers, mean, size)
