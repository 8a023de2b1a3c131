"""The project's one numpy triangle rasteriser (pure numpy: runs in Blender and in the core).

Used for UV atlases (which face covers each texel), for z-buffers of a mesh seen by a pinhole
camera (visibility, previews, fake test data) and by texture back-projection.

Conventions: continuous pixel coordinates, x right, y down; pixel ``(row, col)`` covers
``[col, col + 1) x [row, row + 1)`` so its centre is ``(col + 0.5, row + 0.5)``. UVs have (0, 0) at the
bottom-left (Blender); :func:`uv_to_raster` flips v so that raster row 0 is the top of the image.
"""

from __future__ import annotations

import numpy as np

_CHUNK = 2_000_000  # fragments expanded at once (memory ~ 100 B each)


def rasterize_triangles(tri_xy: np.ndarray, width: int, height: int, tri_z: np.ndarray | None = None,
                        tol: float = 1e-9, return_counts: bool = False):
    """Rasterise 2D triangles at pixel centres (vectorised).

    Args:
        tri_xy: ``[F, 3, 2]`` corner positions in continuous pixel coordinates (see module docstring).
        width, height: raster size in pixels.
        tri_z: optional ``[F, 3]`` camera depths (m, > 0) of the corners. With it, the nearest
            fragment wins (z-buffer on perspective-correct depth); without it, an arbitrary covering
            triangle wins (use for non-overlapping layouts such as UV atlases).
        tol: a pixel centre is inside when every barycentric is ``>= -tol`` (``tol < 0``: strict, so
            shared edges are not counted twice).
        return_counts: also return ``[H, W]`` how many triangles cover each pixel centre.

    Returns:
        ``face`` ``[H, W]`` int64 (-1 where no triangle covers the pixel centre), ``bary`` ``[H, W, 3]``
        screen-space (linear) barycentrics of the pixel centre in that face, and ``depth`` ``[H, W]``
        (m, inf where empty; all inf without ``tri_z``); then the counts when asked. Use
        :func:`perspective_barycentrics` to interpolate surface attributes of a perspective view.
    """
    tri_xy = np.asarray(tri_xy, dtype=np.float64)
    p = tri_xy - 0.5  # pixel centres at integer coordinates
    n_pix = width * height
    face = np.full(n_pix, -1, np.int64)
    depth = np.full(n_pix, np.inf)
    bary = np.zeros((n_pix, 3))
    counts = np.zeros(n_pix, np.int64) if return_counts else None
    size = np.array([width, height])
    lo = np.clip(np.ceil(p.min(axis=1) - max(tol, 0.0)), 0, size).astype(np.int64)  # first/last pixel centre in box
    hi = np.clip(np.floor(p.max(axis=1) + max(tol, 0.0)), -1, size - 1).astype(np.int64)
    p0, p1, p2 = p[:, 0], p[:, 1], p[:, 2]
    area = (p1[:, 0] - p0[:, 0]) * (p2[:, 1] - p0[:, 1]) - (p1[:, 1] - p0[:, 1]) * (p2[:, 0] - p0[:, 0])
    bw, bh = hi[:, 0] - lo[:, 0] + 1, hi[:, 1] - lo[:, 1] + 1
    keep = (bw > 0) & (bh > 0) & (np.abs(area) > 1e-12)
    if tri_z is not None:
        tri_z = np.asarray(tri_z, dtype=np.float64)
        keep &= np.all(tri_z > 1e-6, axis=1)  # no near-plane clipping: drop triangles crossing the camera
    n = np.where(keep, bw * bh, 0)
    order = np.nonzero(n)[0]
    start = 0
    while start < len(order):
        stop = start + max(1, int(np.searchsorted(np.cumsum(n[order[start:]]), _CHUNK)))
        t_ids = order[start:stop]
        start = stop
        reps = n[t_ids]
        t = np.repeat(t_ids, reps)
        local = np.arange(len(t)) - np.repeat(np.cumsum(reps) - reps, reps)
        x = lo[t, 0] + local % bw[t]
        y = lo[t, 1] + local // bw[t]
        a = area[t]
        b0 = ((p1[t, 0] - x) * (p2[t, 1] - y) - (p1[t, 1] - y) * (p2[t, 0] - x)) / a
        b1 = ((p2[t, 0] - x) * (p0[t, 1] - y) - (p2[t, 1] - y) * (p0[t, 0] - x)) / a
        b2 = 1.0 - b0 - b1
        inside = (b0 >= -tol) & (b1 >= -tol) & (b2 >= -tol)
        t, pix = t[inside], (y * width + x)[inside]
        bb = np.stack([b0[inside], b1[inside], b2[inside]], axis=-1)
        if counts is not None:
            counts += np.bincount(pix, minlength=n_pix)
        if tri_z is None:
            face[pix], bary[pix] = t, bb
            continue
        z = 1.0 / np.einsum("nk,nk->n", bb, 1.0 / tri_z[t])  # perspective-correct: 1/z is linear on screen
        np.minimum.at(depth, pix, z)
        win = z <= depth[pix]  # nearest fragment of this chunk and of every earlier chunk
        face[pix[win]], bary[pix[win]] = t[win], bb[win]
    out = (face.reshape(height, width), bary.reshape(height, width, 3), depth.reshape(height, width))
    return (*out, counts.reshape(height, width)) if return_counts else out


def perspective_barycentrics(bary: np.ndarray, corner_z: np.ndarray) -> np.ndarray:
    """Screen-space barycentrics ``[..., 3]`` -> perspective-correct (3D) ones, given corner depths ``[..., 3]``."""
    w = bary / corner_z
    return w / np.maximum(w.sum(axis=-1, keepdims=True), 1e-30)


def uv_to_raster(uv: np.ndarray, resolution: int) -> np.ndarray:
    """UV ``[..., 2]`` ((0, 0) bottom-left) -> continuous raster coords (x right, y DOWN, row 0 = top).

    The v axis is flipped here: ``y = (1 - v) * R``.
    """
    uv = np.asarray(uv, dtype=np.float64)
    return np.stack([uv[..., 0] * resolution, (1.0 - uv[..., 1]) * resolution], axis=-1)
