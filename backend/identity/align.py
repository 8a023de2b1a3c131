"""Aligned face chips for the identity network, from mediapipe landmarks, differentiable in the image.

dlib computes a descriptor on a 150x150 chip whose five landmarks (both corners of both eyes, the base
of the nose) sit at fixed template positions with 25 % padding (``get_face_chip_details``). Here the same
five points come from mediapipe's 478-point mesh; the chip is the least-squares similarity transform of
the template onto them, sampled bilinearly with ``grid_sample`` so gradients reach the image (identity loss).

Pixel convention: ``(x, y)`` with ``(0, 0)`` the centre of the top-left pixel, as dlib's chip extraction.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from jaxtyping import Float
from torch import Tensor

MEDIAPIPE_FIVE = (263, 362, 33, 133, 2)
"""mediapipe indices of dlib's five points in its order: the image-right eye's outer and inner corners
(the subject's left eye), the image-left eye's outer and inner corners, the base of the nose."""

_TEMPLATE = np.array([[0.8595674595992, 0.2134981538014], [0.6460604764104, 0.2289674387677],
                      [0.1205750620789, 0.2137274526848], [0.3340850613712, 0.2290642403242],
                      [0.4901123135679, 0.6277975316475]])  # fmt: skip
"""dlib's five-point template in the unit square (dlib/image_transforms/interpolation.h)."""

CHIP_SIZE = 150
CHIP_PADDING = 0.25


def five_points(landmarks: np.ndarray) -> np.ndarray:
    """``[..., 5, 2]`` dlib-order points (px) from mediapipe landmarks ``[..., 478, 2 or 3]`` (px)."""
    return np.asarray(landmarks)[..., MEDIAPIPE_FIVE, :2].astype(np.float64)


def chip_transform(points: np.ndarray, size: int = CHIP_SIZE, padding: float = CHIP_PADDING) -> np.ndarray:
    """``[2, 3]`` similarity transform taking chip pixel ``(x, y, 1)`` to image pixels, from five points ``[5, 2]``.

    Least squares over the five pairs (Umeyama without reflection), as dlib's ``find_similarity_transform``.
    """
    src = (padding + _TEMPLATE) / (2 * padding + 1) * size
    dst = np.asarray(points, dtype=np.float64)
    if dst.shape != (5, 2) or not np.isfinite(dst).all():
        raise ValueError(f"chip_transform needs five finite (x, y) points, got {dst.shape}")
    ms, md = src.mean(0), dst.mean(0)
    a, b = src - ms, dst - md
    cov = b.T @ a / len(src)
    u, s, vt = np.linalg.svd(cov)
    d = np.diag([1.0, np.sign(np.linalg.det(u @ vt))])
    rot = u @ d @ vt
    scale = np.trace(np.diag(s) @ d) / (a**2).sum(1).mean()
    m = np.zeros((2, 3))
    m[:, :2] = scale * rot
    m[:, 2] = md - scale * rot @ ms
    return m


def extract_chips(images: Float[Tensor, "B 3 H W"], transforms: Float[Tensor, "B 2 3"],
                  size: int = CHIP_SIZE) -> Float[Tensor, "B 3 S S"]:  # fmt: skip
    """Bilinear ``size x size`` chips of ``images`` (0..1) through chip-to-image transforms (px); outside is 0."""
    b, _, h, w = images.shape
    t = transforms.to(images)
    ys, xs = torch.meshgrid(torch.arange(size, device=images.device, dtype=images.dtype),
                            torch.arange(size, device=images.device, dtype=images.dtype), indexing="ij")
    chip = torch.stack([xs, ys, torch.ones_like(xs)], -1).reshape(-1, 3)  # [S*S, 3]
    pix = chip @ t.transpose(1, 2)  # [B, S*S, 2] image pixels
    grid = torch.stack([2 * pix[..., 0] / (w - 1) - 1, 2 * pix[..., 1] / (h - 1) - 1], -1).reshape(b, size, size, 2)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=True)


def scaled(t: np.ndarray, from_size: tuple[int, int], to_size: tuple[int, int]) -> np.ndarray:
    """A chip transform for the same picture resized from ``from_size`` to ``to_size`` (w, h; pixel centres)."""
    sx, sy = to_size[0] / from_size[0], to_size[1] / from_size[1]
    s = np.diag([sx, sy])
    out = s @ t
    out[:, 2] += 0.5 * np.array([sx, sy]) - 0.5  # pixel-centre convention: x' = (x + 0.5) s - 0.5
    return out
