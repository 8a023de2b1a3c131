"""Cameras, rendering and picture sheets shared by GEM distillation, fitting, the CLIs and the benchmark.

Images are ``[C, H, W, 3]`` float32 in [0, 1] (display sRGB, as the 3DGS code renders SH colour), row 0 = top.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from jaxtyping import Float
from torch import Tensor

from backend.splat import Cameras, GaussianSet, rasterize
from synthetic.dataset.files import to_uint8 as files_to_uint8
from synthetic.rig import RigSettings, build_rig

FRONTAL = (2, 6, 11)
"""Rig cameras facing the face (bottom-row centre, middle-row centre-ish, top-row centre)."""


def rig_cameras(width: int = 96, height: int = 64, indices: Sequence[int] | None = None) -> Cameras:
    """The 28-camera rig of ``synthetic.rig`` (no per-identity jitter) at ``width`` x ``height`` pixels.

    Args:
        width: image width in pixels. height: image height in pixels.
        indices: which of the 28 cameras (default all).
    """
    rig = build_rig(RigSettings(width=int(width), height=int(height)))
    if indices is not None:
        rig = [rig[i] for i in indices]
    K = torch.as_tensor(np.stack([c.K for c in rig]), dtype=torch.float32)
    w2c = torch.as_tensor(np.stack([c.w2c for c in rig]), dtype=torch.float32)
    return Cameras(K, w2c, int(width), int(height))


def gaussian_set(g: dict[str, Tensor], b: int = 0) -> GaussianSet:
    """Batch element ``b`` of a canonical-Gaussian dict (``means [B, N, 3]``...; ``sh`` may be ``[N, K, 3]``)."""
    sh = g["sh"][b] if g["sh"].ndim == 4 else g["sh"]
    return GaussianSet(g["means"][b], g["quats"][b], g["scales"][b], g["opacities"][b], sh)


def render(g: dict[str, Tensor], cameras: Cameras, background: float = 1.0) -> Float[Tensor, "B C H W 3"]:
    """Render every batch element of a canonical-Gaussian dict into every camera (white background)."""
    return torch.stack([rasterize(gaussian_set(g, b), cameras, background=float(background)).rgb
                        for b in range(len(g["means"]))])


def to_uint8(images: Tensor | np.ndarray) -> np.ndarray:
    """Float images in [0, 1] (tensor or array) -> uint8 (:func:`synthetic.dataset.files.to_uint8`)."""
    return files_to_uint8(images.detach().cpu().numpy() if isinstance(images, Tensor) else np.asarray(images))


def grid(rows: Sequence[Sequence[np.ndarray]], pad: int = 2) -> np.ndarray:
    """Tile ``[h, w, 3]`` uint8 images (rows may differ in length) on a grey canvas."""
    h = max(im.shape[0] for r in rows for im in r)
    w = max(im.shape[1] for r in rows for im in r)
    ncol = max(len(r) for r in rows)
    canvas = np.full((len(rows) * (h + pad) + pad, ncol * (w + pad) + pad, 3), 128, np.uint8)
    for i, r in enumerate(rows):
        for j, im in enumerate(r):
            y, x = pad + i * (h + pad), pad + j * (w + pad)
            canvas[y : y + im.shape[0], x : x + im.shape[1]] = im[..., :3]
    return canvas
