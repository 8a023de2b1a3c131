"""Level of detail for hair strands by their projected width (numpy only).

A head hair is 50-120 um thick; at the dataset's image sizes one strand covers a few hundredths of
a pixel, so Cycles spends most of a frame finding which of tens of thousands of sub-pixel curves a
ray hits, and the image is the average of many such hits. Keeping every k-th strand and making it k
times thicker keeps what a pixel sees the same -- the projected area of the hair (strand count x
width) is unchanged -- while the renderer intersects k times fewer curves. The factor k is chosen
so that the thinned strands stay below ``target_px`` pixels wide in the camera that resolves the
head best, so no camera sees strands as distinct ribbons.

Measured with ``bench/bench_render.py`` (see bench/RESULTS.md): at 256x256 / 16 spp, k = 4 renders a
view about 2x faster but lies 2-3 dB further from a 256-spp full-detail reference (k = 2: 1.4x,
1 dB): four-times-thicker strands make curls read as coarser ropes. So it is opt-in
(``python -m synthetic render --hair-lod PX``), for quick datasets and previews.
"""

from __future__ import annotations

import numpy as np

from .assets.strands import Strands

TARGET_WIDTH_PX = 0.25
"""Projected diameter (pixels) that thinned strands may reach in the sharpest camera."""
MAX_FACTOR = 16
LOD_GROUPS = ("hair", "beard")
"""Strand groups thinned; brows and lashes have a few hundred strands each and are left whole."""


def pixels_per_metre(cameras, target) -> float:
    """Largest image scale (pixels per metre) at ``target`` ``[3]`` (m) over ``cameras`` (objects with
    ``K`` ``[3, 3]`` and OpenCV ``w2c`` ``[4, 4]``): focal length in pixels over the target's depth."""
    target = np.asarray(target, dtype=np.float64)
    best = 0.0
    for cam in cameras:
        depth = float((np.asarray(cam.w2c)[:3, :3] @ target + np.asarray(cam.w2c)[:3, 3])[2])
        if depth > 0:
            best = max(best, float(np.asarray(cam.K)[1, 1]) / depth)
    return best


def lod_factor(root_radius_m: float, px_per_m: float, target_px: float = TARGET_WIDTH_PX,
               max_factor: int = MAX_FACTOR) -> int:
    """Thinning factor k >= 1: the largest k with ``k * 2 * root_radius_m * px_per_m <= target_px``
    (strands already wider than ``target_px`` keep k = 1); at most ``max_factor``."""
    if root_radius_m <= 0 or px_per_m <= 0 or target_px <= 0:
        return 1
    width_px = 2.0 * root_radius_m * px_per_m
    return int(np.clip(np.floor(target_px / width_px), 1, max_factor))


def thin_strands(strands: Strands, k: int) -> Strands:
    """Every ``k``-th strand of ``strands``, ``k`` times as thick (same projected hair area); k = 1
    returns ``strands`` itself. Strands are sampled independently, so every k-th one is an unbiased
    subset of the same density."""
    k = int(k)
    if k <= 1 or strands.count == 0:
        return strands
    return Strands(strands.name, strands.points[::k], strands.radius[::k] * np.float32(k),
                   strands.root_normal[::k], strands.melanin[::k],
                   {**strands.params, "lod_factor": k, "n_rendered": int((strands.count + k - 1) // k)})  # fmt: skip


def strand_lod(groups: dict, px_per_m: float, target_px: float = TARGET_WIDTH_PX) -> dict[str, int]:
    """Factor per strand group (``{name: Strands}``) for an image scale of ``px_per_m``; groups
    outside :data:`LOD_GROUPS`, and every group when ``target_px`` is 0, get 1."""
    out = {}
    for name, s in groups.items():
        if name in LOD_GROUPS and target_px > 0 and s.count:
            out[name] = lod_factor(float(np.max(s.radius[:, 0])), px_per_m, target_px)
        else:
            out[name] = 1
    return out
