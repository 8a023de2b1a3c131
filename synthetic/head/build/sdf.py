"""Signed-distance primitives and smooth blends used to sculpt the template (build step, numpy).

All functions take points ``p`` ``[N, 3]`` in metres and return distances ``[N]`` in metres
(negative inside). The ellipsoid distance is the usual first-order bound, exact on the surface,
which is all the surface search needs.
"""

from __future__ import annotations

import numpy as np


def ellipsoid(p: np.ndarray, centre, radii) -> np.ndarray:
    """Approximate signed distance to an axis-aligned ellipsoid (``radii`` in m)."""
    q = (p - np.asarray(centre)) / np.asarray(radii)
    k0 = np.linalg.norm(q, axis=-1)
    k1 = np.linalg.norm(q / np.asarray(radii), axis=-1)
    return k0 * (k0 - 1.0) / np.maximum(k1, 1e-12)


def superellipsoid(p: np.ndarray, centre, radii, power: float) -> np.ndarray:
    """Approximate signed distance to an axis-aligned superellipsoid ``|x/a|^n + |y/b|^n + |z/c|^n = 1``
    (``power`` n > 2 gives a boxier, flatter-sided shape than an ellipsoid)."""
    q = np.abs((p - np.asarray(centre)) / np.asarray(radii))
    k = np.sum(q**power, axis=-1) ** (1.0 / power)
    return (k - 1.0) * min(radii)


def sphere(p: np.ndarray, centre, radius: float) -> np.ndarray:
    return np.linalg.norm(p - np.asarray(centre), axis=-1) - radius


def round_cone(p: np.ndarray, a, b, ra: float, rb: float) -> np.ndarray:
    """Capsule from ``a`` (radius ``ra``) to ``b`` (radius ``rb``), radius varying linearly."""
    a = np.asarray(a, float)
    ab = np.asarray(b, float) - a
    t = np.clip(((p - a) @ ab) / (ab @ ab), 0.0, 1.0)
    closest = a + t[:, None] * ab
    return np.linalg.norm(p - closest, axis=-1) - (ra + (rb - ra) * t)


def elliptic_cylinder_z(p: np.ndarray, centre_xy, radii_xy, z_top: float, tilt: float = 0.0) -> np.ndarray:
    """Vertical elliptic cylinder below ``z_top``; its axis moves by ``tilt`` metres in y per metre in z."""
    cx, cy = centre_xy
    dx = (p[:, 0] - cx) / radii_xy[0]
    dy = (p[:, 1] - (cy + tilt * p[:, 2])) / radii_xy[1]
    side = (np.sqrt(dx * dx + dy * dy) - 1.0) * min(radii_xy)
    return np.maximum(side, p[:, 2] - z_top)


def smin(a: np.ndarray, b: np.ndarray, k: float) -> np.ndarray:
    """Polynomial smooth minimum (union) with blend width ``k`` (m)."""
    h = np.clip(0.5 + 0.5 * (b - a) / k, 0.0, 1.0)
    return b + (a - b) * h - k * h * (1.0 - h)


def smax(a: np.ndarray, b: np.ndarray, k: float) -> np.ndarray:
    """Polynomial smooth maximum (intersection, or subtraction with ``-b``) with blend width ``k``."""
    return -smin(-a, -b, k)


def mirror_x(p: np.ndarray) -> np.ndarray:
    """Fold points onto the subject's left half (x >= 0), for bilaterally symmetric primitives."""
    q = p.copy()
    q[:, 0] = np.abs(q[:, 0])
    return q
