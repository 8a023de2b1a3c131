"""A hair proxy for photos: how far hair stands off the scalp, measured at the head's silhouette in each photo.

The synthetic data give the prior a per-vertex hair/beard offset along the normals (``identity.json``
``proxy_offsets_m``, 1-6 cm over the hair); photos gave zeros, so hair was outside what the prior had seen. Here,
from the fitted head and the person mask of each photo (:mod:`.segmentation`: person with hair vs background):

1. *Measure* at scalp vertices above the ears that sit on the head's silhouette in a photo (normal within ``silhouette_cos`` of
   perpendicular to the viewing ray): step outwards along the normal and keep the last offset whose projection
   is still inside the person mask; that is the hair's thickness there, seen edge-on. A vertex whose own
   projection falls outside the mask (fit error) measures nothing.
2. *Spread* the measurements over the whole scalp with a Gaussian kernel on 3D distance (``spread_m``), falling
   back to their median far from any measurement (the back of the head, which no photo saw edge-on).

Units: metres. Shapes: ``[V]`` offsets, ``[V, 3]`` vertices, ``[3, 3]`` K, ``[4, 4]`` OpenCV w2c, ``[H, W]`` masks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from synthetic.rig import project_points


@dataclass(frozen=True)
class HairProxyOptions:
    """Settings of :func:`hair_proxy_offsets`."""

    max_offset_m: float = 0.06
    """Longest offset measured (the synthetic proxies reach ~6 cm for curly and afro hair)."""
    step_m: float = 0.002
    """March step along the normal."""
    silhouette_cos: float = 0.3
    """A scalp vertex measures in a view when ``|normal . ray| <=`` this (near edge-on)."""
    spread_m: float = 0.03
    """Gaussian kernel width (3D distance) that spreads measurements over the scalp."""
    inside: float = 0.5
    """Mask value above which a pixel is person (hair included)."""
    above_ears_m: float = 0.0
    """Only scalp vertices this far above the ears' mean height (template) measure: lower ones, seen edge-on,
    march onto the neck and shoulders, which the person mask also covers."""


def _sample(mask: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """Nearest-pixel mask values at ``uv`` ``[..., 2]`` (outside the image: 0)."""
    h, w = mask.shape
    x, y = np.floor(uv[..., 0]).astype(int), np.floor(uv[..., 1]).astype(int)
    ok = (x >= 0) & (x < w) & (y >= 0) & (y < h)
    out = np.zeros(uv.shape[:-1], dtype=np.float32)
    out[ok] = mask[y[ok], x[ok]]
    return out


def measure_view(vertices: np.ndarray, normals: np.ndarray, scalp: np.ndarray, K: np.ndarray, w2c: np.ndarray,
                 mask: np.ndarray, opt: HairProxyOptions) -> np.ndarray:
    """Offsets ``[V]`` measured in one photo (NaN where this view measures nothing)."""
    centre = -w2c[:3, :3].T @ w2c[:3, 3]
    ray = vertices - centre
    ray /= np.linalg.norm(ray, axis=1, keepdims=True)
    edge = scalp & (np.abs(np.sum(normals * ray, axis=1)) <= opt.silhouette_cos)
    out = np.full(len(vertices), np.nan)
    idx = np.flatnonzero(edge)
    if not len(idx):
        return out
    steps = np.arange(0.0, opt.max_offset_m + 1e-9, opt.step_m)
    pts = vertices[idx, None, :] + normals[idx, None, :] * steps[None, :, None]  # [n, S, 3]
    uv, z = project_points(pts, K, w2c)
    inside = (_sample(mask, uv) > opt.inside) & (z > 0)
    base = inside[:, 0]
    run = np.cumprod(inside, axis=1)  # 1 while still inside from the scalp outwards
    out[idx[base]] = steps[np.maximum(run[base].sum(axis=1) - 1, 0)]
    return out


def spread(template: np.ndarray, scalp: np.ndarray, measured: np.ndarray, spread_m: float) -> np.ndarray:
    """Fill every scalp vertex from the measured ones (NaN = unmeasured); 0 off the scalp."""
    out = np.zeros(len(template))
    have = np.flatnonzero(~np.isnan(measured))
    if not len(have):
        return out
    fallback = float(np.median(measured[have]))
    targets = np.flatnonzero(scalp)
    d2 = ((template[targets, None, :] - template[None, have, :]) ** 2).sum(-1)
    w = np.exp(-d2 / (2 * spread_m**2))
    total = w.sum(1)
    est = (w @ measured[have]) / np.maximum(total, 1e-12)
    far = np.clip(total / 3.0, 0.0, 1.0)  # confidence: ~3 measurements within a kernel width = trusted
    out[targets] = far * est + (1 - far) * fallback
    return out


def hair_proxy_offsets(model, meshes: Sequence[np.ndarray], Ks: Sequence[np.ndarray], w2cs: Sequence[np.ndarray],
                       masks: Sequence[np.ndarray], opt: HairProxyOptions | None = None) -> tuple[np.ndarray, dict]:
    """Per-vertex hair offsets ``[V]`` (m) for one person from photos, and facts (vertices measured, median).

    Args:
        model: :class:`synthetic.head.HeadModel`.
        meshes: posed vertices ``[V, 3]`` per photo (the fit's).
        Ks, w2cs: the fit's cameras per photo.
        masks: person alpha ``[H, W]`` in [0, 1] per photo, in the same pixels as ``Ks``.
    """
    opt = opt or HairProxyOptions()
    scalp = model.vertex_mask("scalp")
    template = np.asarray(model.template, np.float64)
    z = template[:, 2]  # the head model is z up (Blender)
    measurable = scalp & (z > z[model.vertex_mask("ears")].mean() + opt.above_ears_m)
    per_view = []
    for v, K, w2c, m in zip(meshes, Ks, w2cs, masks):
        v = np.asarray(v, dtype=np.float64)
        per_view.append(measure_view(v, model.normals(vertices=v), measurable, np.asarray(K, np.float64),
                                     np.asarray(w2c, np.float64), np.asarray(m, np.float32), opt))
    stacked = np.stack(per_view)
    measured = np.full(len(scalp), np.nan)
    seen = ~np.isnan(stacked).all(0)
    measured[seen] = np.nanmax(stacked[:, seen], axis=0)
    offsets = np.clip(spread(template, scalp, measured, opt.spread_m), 0.0,
                      opt.max_offset_m)
    facts = {"measured_vertices": int(seen.sum()), "scalp_vertices": int(scalp.sum()),
             "median_mm": round(1000 * float(np.median(offsets[scalp])), 1) if scalp.any() else 0.0}
    return offsets, facts
