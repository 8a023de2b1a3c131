"""Analytic stand-in head for the asset tests: a star-shaped ellipsoid with a nose and a neck.

The surface is r(d) along unit directions d from the origin, so "inside" has an exact test
(|p| < r(p/|p|)) that does not depend on the mesh or the SDF under test. It has a closed
lat-long mesh (~10k vertices), five landmarks, per-vertex scalp/face weights and an
equirectangular UV atlas with per-texel region masks and a position map.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthetic.assets.anatomy import Landmarks
from synthetic.assets.sdf import vertex_normals

RADII = np.array([0.076, 0.098, 0.112])
NOSE_DIR = np.array([0.0, -1.0, -0.18]) / np.linalg.norm([0.0, -1.0, -0.18])
NECK_R, NECK_Z = 0.052, 0.21


def radius(d: np.ndarray) -> np.ndarray:
    """Surface distance (N,) from the origin along unit directions d (N, 3)."""
    r_e = 1.0 / np.sqrt(((d / RADII) ** 2).sum(1))
    ang = np.arccos(np.clip(d @ NOSE_DIR, -1, 1))
    r_e = r_e + 0.022 * np.exp(-(ang / 0.16) ** 2)
    rho = np.hypot(d[:, 0], d[:, 1])
    down = np.maximum(-d[:, 2], 1e-9)
    r_c = np.where(d[:, 2] < 0, np.minimum(NECK_R / np.maximum(rho, 1e-9), NECK_Z / down), 0.0)
    k = 150.0
    m = np.maximum(r_e, r_c)
    return m + np.log(np.exp(k * (r_e - m)) + np.exp(k * (r_c - m))) / k


def inside(points: np.ndarray, tol: float = 0.0) -> np.ndarray:
    """Exact inside test with radial tolerance ``tol`` (m): True where |p| < r(dir) - tol."""
    p = np.asarray(points, float).reshape(-1, 3)
    n = np.linalg.norm(p, axis=1)
    d = p / np.maximum(n, 1e-12)[:, None]
    return n < radius(d) - tol


def radial_distance(points: np.ndarray) -> np.ndarray:
    """|p| - r(dir): positive outside, negative inside (a radial, not Euclidean, distance)."""
    p = np.asarray(points, float).reshape(-1, 3)
    n = np.linalg.norm(p, axis=1)
    return n - radius(p / np.maximum(n, 1e-12)[:, None])


def _surface_y(x: float, z: float) -> float:
    lo, hi = -0.25, 0.0  # bisection on y for the front surface point (x, y, z)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if inside(np.array([[x, mid, z]]))[0]:
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


def hairline(fwd: np.ndarray) -> np.ndarray:
    """Scalp hairline height (local ``up``, mm) as a function of local ``fwd`` (mm)."""
    return np.interp(fwd, [-250.0, -110.0, -75.0, -30.0, 0.0, 40.0], [-70.0, -60.0, 5.0, 32.0, 55.0, 60.0])


@dataclass
class StandIn:
    vertices: np.ndarray
    faces: np.ndarray
    normals: np.ndarray
    landmarks: Landmarks
    scalp: np.ndarray
    face: np.ndarray


def build(n_theta: int = 80, n_phi: int = 120) -> StandIn:
    """The stand-in mesh with landmarks and per-vertex region weights."""
    th = np.linspace(0.0, np.pi, n_theta)
    ph = np.linspace(0.0, 2 * np.pi, n_phi, endpoint=False)
    T, P = np.meshgrid(th, ph, indexing="ij")
    d = np.stack([np.sin(T) * np.cos(P), np.sin(T) * np.sin(P), np.cos(T)], -1).reshape(-1, 3)
    v = d * radius(d)[:, None]
    faces = []
    for i in range(n_theta - 1):
        for j in range(n_phi):
            a, b = i * n_phi + j, i * n_phi + (j + 1) % n_phi
            c, e = a + n_phi, b + n_phi
            faces += [(a, c, b), (b, c, e)]
    f = np.array(faces, np.int64)
    n = vertex_normals(v, f)
    if np.mean(np.einsum("ij,ij->i", n, v)) < 0:  # make the winding outward
        f = f[:, ::-1].copy()
        n = vertex_normals(v, f)
    lm = landmarks()
    loc = lm.to_local(v)
    scalp = _smooth(hairline(loc[:, 1]) - 3.0, hairline(loc[:, 1]) + 3.0, loc[:, 2])
    face = (1 - scalp) * _smooth(-80.0, -70.0, loc[:, 1]) * _smooth(-140.0, -125.0, loc[:, 2])
    return StandIn(v, f, n, lm, scalp.astype(float), face.astype(float))


def landmarks() -> Landmarks:
    ys = {k: _surface_y(*xz) for k, xz in {"el": (0.032, 0.02), "nose": (0.0, -0.02), "mouth": (0.0, -0.052),
                                            "chin": (0.0, -0.09)}.items()}
    return Landmarks(eye_left=np.array([0.032, ys["el"] + 0.012, 0.02]), eye_right=np.array([-0.032, ys["el"] + 0.012,
                                                                                            0.02]),
                     nose_tip=np.array([0.0, ys["nose"], -0.02]), mouth=np.array([0.0, ys["mouth"] + 0.003, -0.052]),
                     chin=np.array([0.0, ys["chin"], -0.09]))


def _smooth(e0, e1, x):
    t = np.clip((x - e0) / (e1 - e0), 0, 1)
    return t * t * (3 - 2 * t)


def uv_maps(size: int = 256) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Equirectangular atlas: position map (H, W, 3) in m and region masks (H, W) float32.

    Row 0 is the top of the image (v = 1); u runs along the azimuth, v from the bottom pole up.
    """
    h = w = int(size)
    v = 1.0 - (np.arange(h) + 0.5) / h
    u = (np.arange(w) + 0.5) / w
    V, U = np.meshgrid(v, u, indexing="ij")
    T, P = np.pi * (1 - V), 2 * np.pi * U
    d = np.stack([np.sin(T) * np.cos(P), np.sin(T) * np.sin(P), np.cos(T)], -1).reshape(-1, 3)
    pos = d * radius(d)[:, None]
    lm = landmarks()
    loc = lm.to_local(pos)
    scalp = _smooth(hairline(loc[:, 1]) - 3.0, hairline(loc[:, 1]) + 3.0, loc[:, 2])
    m = lm.local_of("mouth")
    lips = _smooth(-1.0, 0.0, -(((loc[:, 0] / 24.0) ** 2) + ((loc[:, 2] - m[2]) / 8.0) ** 2 - 1.0)) * (loc[:, 1] > -40)
    eyes = ((np.hypot(np.abs(loc[:, 0]) - 31.5, loc[:, 2]) < 11.0) & (loc[:, 1] > -10)).astype(float)
    face = (1 - scalp) * _smooth(-80.0, -70.0, loc[:, 1]) * _smooth(-140.0, -125.0, loc[:, 2])
    face = face * (1 - lips) * (1 - eyes)
    neck = (1 - scalp) * (1 - face - lips - eyes).clip(0, 1)
    masks = {"face": face, "scalp": scalp * (1 - eyes), "lips": lips * (1 - eyes), "eyes": eyes, "neck": neck}
    return pos.reshape(h, w, 3), {k: val.reshape(h, w).astype(np.float32) for k, val in masks.items()}
