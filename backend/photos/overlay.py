"""Fit pictures: the photo with the fitted head mesh and the landmarks drawn on it (:func:`fit_overlay`).

The fitted mesh is rasterised with :mod:`synthetic.raster` (z-buffered), shaded by the cosine between its
normal and the view ray and blended over the photo, its silhouette drawn in yellow; detected landmarks are
green dots, the fitted model's projected landmarks red dots, joined by a line where they differ. With ``trust`` the
photo shows what the inversion fits: what the mask cut away faded towards white, untrusted pixels (clothing over
the neck, :mod:`.neck_trust`) hatched in magenta. The picture is drawn at ``scale`` times the image size so a few
pixels of error show.
"""

from __future__ import annotations

import numpy as np

from synthetic.raster import rasterize_triangles
from synthetic.rig import project_points

GREEN, RED, YELLOW, MAGENTA = (40, 230, 60), (240, 40, 40), (255, 220, 0), (230, 40, 200)


def mesh_shading(vertices: np.ndarray, faces: np.ndarray, K: np.ndarray, w2c: np.ndarray,
                 size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Headlight shading of a mesh seen by a camera.

    Args:
        vertices: ``[V, 3]`` (m, world); faces: ``[F, 3]``.
        K: ``[3, 3]`` pixels; w2c: ``[4, 4]`` OpenCV.
        size: ``(width, height)`` pixels.

    Returns:
        ``shade`` ``[H, W]`` float in [0, 1] (|cos| of the face normal and the view ray), ``covered`` ``[H, W]`` bool.
    """
    w, h = size
    xy, z = project_points(vertices, K, w2c)
    front = np.all(z[faces] > 1e-4, axis=1)
    f = faces[front]
    face_id, _, _ = rasterize_triangles(xy[f], w, h, z[f])
    covered = face_id >= 0
    pc = vertices @ w2c[:3, :3].T + w2c[:3, 3]
    tri = pc[f]
    n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-20)
    ray = tri.mean(1)
    ray /= np.maximum(np.linalg.norm(ray, axis=1, keepdims=True), 1e-20)
    cos = np.abs(np.einsum("fc,fc->f", n, ray))
    shade = np.zeros((h, w))
    shade[covered] = cos[face_id[covered]]
    return shade, covered


def fit_overlay(image: np.ndarray, vertices: np.ndarray, faces: np.ndarray, K: np.ndarray, w2c: np.ndarray,
                detected: np.ndarray | None, fitted: np.ndarray | None, scale: int = 2,
                trust: np.ndarray | None = None) -> np.ndarray:
    """Draw a fit over its photo.

    Args:
        image: ``[H, W, 3|4]`` uint8 or float in [0, 1] (alpha used only with ``trust``).
        vertices: ``[V, 3]`` fitted mesh (m, world); faces: ``[F, 3]``.
        K: ``[3, 3]``; w2c: ``[4, 4]`` the fitted camera for ``image``.
        detected: ``[L, 2]`` detected landmarks (pixels) or None.
        fitted: ``[L, 2]`` projected model landmarks (pixels, same order as ``detected``) or None.
        scale: the picture is ``scale`` times the image size.
        trust: ``[H, W]`` in [0, 1] (``PreparedView.trust``) or None: the photo as is.

    Returns:
        ``[scale * H, scale * W, 3]`` uint8.
    """
    from PIL import Image, ImageDraw

    img = np.asarray(image)
    rgb = img[..., :3].astype(np.float64) / (255.0 if img.dtype == np.uint8 else 1.0)
    h, w = rgb.shape[:2]
    if trust is not None:
        alpha = img[..., 3].astype(np.float64) / (255.0 if img.dtype == np.uint8 else 1.0) if img.shape[-1] == 4 \
            else np.ones((h, w))
        rgb = rgb * (0.3 + 0.7 * alpha[..., None]) + 0.7 * (1.0 - alpha[..., None])  # cut away: faded
        yy, xx = np.mgrid[:h, :w]
        hatch = ((xx + yy) % 4 < 2) & (np.asarray(trust) < 0.5) & (alpha > 0.5)
        rgb[hatch] = 0.4 * rgb[hatch] + 0.6 * np.array(MAGENTA) / 255.0
    big = np.repeat(np.repeat(rgb, scale, 0), scale, 1)
    ks = np.diag([scale, scale, 1.0]) @ K
    shade, covered = mesh_shading(vertices, faces, ks, w2c, (w * scale, h * scale))
    out = big.copy()
    out[covered] = 0.55 * big[covered] + 0.45 * (0.15 + 0.85 * shade[covered])[:, None] * [0.75, 0.85, 1.0]
    edge = covered ^ _erode(covered)
    out[edge] = np.array(YELLOW) / 255.0
    pic = Image.fromarray((np.clip(out, 0, 1) * 255 + 0.5).astype(np.uint8))
    draw = ImageDraw.Draw(pic)
    r = max(1, scale)
    if detected is not None and fitted is not None:
        for (x0, y0), (x1, y1) in zip(detected * scale, fitted * scale):
            draw.line([(x0, y0), (x1, y1)], fill=(255, 255, 255), width=1)
    for pts, colour in ((detected, GREEN), (fitted, RED)):
        if pts is None:
            continue
        for x, y in np.asarray(pts, dtype=np.float64)[:, :2] * scale:
            draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)
    return np.asarray(pic)


def _erode(mask: np.ndarray) -> np.ndarray:
    """4-neighbour binary erosion (edges of the image count as outside)."""
    p = np.pad(mask, 1)
    return p[1:-1, 1:-1] & p[:-2, 1:-1] & p[2:, 1:-1] & p[1:-1, :-2] & p[1:-1, 2:]
