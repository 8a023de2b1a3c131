"""The head's share of a photo's person mask: head, hair and neck, without the shoulders and clothes.

The prior's data (the synthetic renders) show a head on its neck and nothing below; a photo's person mask
(:mod:`.segmentation`) also holds the shoulders, the collar and whatever the person wears. Left in, the inversion
spends Gaussians on them: the photo avatars grew smeared streaks of sweater and jacket below the jaw that swing
round with the head in an orbit. Here the person mask is kept only near the fitted head, its hair proxy included
(:mod:`.hair_proxy`): inside the head's silhouette widened by a margin, falling off to 0 over a soft ramp.

Units: metres for geometry, pixels for images. Shapes: ``[V, 3]`` vertices, ``[V]`` offsets, ``[3, 3]`` K,
``[4, 4]`` OpenCV w2c, ``[H, W]`` masks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthetic.backproject import head_proxy_vertices
from synthetic.raster import rasterize_triangles
from synthetic.rig import project_points


@dataclass(frozen=True)
class HeadAlphaOptions:
    """Settings of :func:`head_alpha`, as fractions of the image height (a crop's scale follows the face)."""

    margin: float = 0.03
    """The person mask is kept in full this far outside the head's silhouette (hair the proxy missed, fit error)."""
    ramp: float = 0.03
    """...then falls linearly to 0 over this much more."""


def visible_regions(model, vertices: np.ndarray, offsets_m: np.ndarray, K: np.ndarray, w2c: np.ndarray,
                    width: int, height: int) -> np.ndarray:
    """``[H, W]`` int64: the region index (``model.region_names``) of the nearest surface of the head mesh (every
    part) moved out along its normals by ``offsets_m`` (the hair proxy) and projected with ``K`` / ``w2c``; -1 where
    the head does not cover the pixel. ``>= 0`` is the head's silhouette."""
    v = head_proxy_vertices(model, vertices, offsets_m)
    xy, z = project_points(v, np.asarray(K, np.float64), np.asarray(w2c, np.float64))
    faces = np.asarray(model.faces)
    front = np.flatnonzero((z[faces] > 1e-6).all(axis=1))
    ids = rasterize_triangles(xy[faces[front]], int(width), int(height), z[faces[front]])[0]
    regions = np.full(ids.shape, -1, np.int64)
    covered = ids >= 0
    regions[covered] = np.asarray(model.face_regions)[front[ids[covered]]]
    return regions


def head_alpha(person_alpha: np.ndarray, silhouette: np.ndarray,
               opt: HeadAlphaOptions | None = None) -> np.ndarray:
    """``person_alpha`` ``[H, W]`` in [0, 1] kept near ``silhouette`` ``[H, W]`` bool: 1 up to ``margin`` outside
    it, 0 beyond ``margin + ramp`` (fractions of H), linear between. Returns float32 ``[H, W]``."""
    from scipy.ndimage import distance_transform_edt

    opt = opt or HeadAlphaOptions()
    alpha = np.asarray(person_alpha, np.float32)
    if alpha.shape != silhouette.shape:
        raise ValueError(f"head_alpha: mask {alpha.shape} and silhouette {silhouette.shape} differ")
    if not silhouette.any():
        return alpha.copy()  # nothing to go by (the fit missed the image): keep the person
    h = alpha.shape[0]
    outside = distance_transform_edt(~silhouette)  # pixels from the silhouette, 0 inside
    keep = np.clip(1.0 - (outside - opt.margin * h) / max(opt.ramp * h, 1e-6), 0.0, 1.0)
    return (alpha * keep).astype(np.float32)
