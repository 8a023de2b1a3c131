"""Resolve the landmark table (``synthetic/head/landmark_table.py``) onto the built template.

Contour rows are placed on the template's lip and lid-margin rings; surface rows are projected
onto the nearest facial-skin triangle. The result is, per landmark, one triangle index and three
barycentric weights, so landmarks follow every identity, expression and pose.
"""

from __future__ import annotations

import numpy as np

from .. import landmark_table
from ..regions import REGION_NAMES

_CONTOUR_RINGS = {  # contour -> (patch, ring role, upper half?)
    "lip_outer_upper": ("mouth", "border", True),
    "lip_outer_lower": ("mouth", "border", False),
    "lip_inner_upper": ("mouth", "contact", True),
    "lip_inner_lower": ("mouth", "contact", False),
    "eye_right_upper": ("eye_right", "margin", True),
    "eye_right_lower": ("eye_right", "margin", False),
    "eye_left_upper": ("eye_left", "margin", True),
    "eye_left_lower": ("eye_left", "margin", False),
}


def resolve_table(tpl, contours: dict | None = None, surface: list | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return mediapipe indices ``[L]``, triangle ids ``[L]`` and barycentrics ``[L, 3]`` of a landmark table
    (``contours``/``surface`` in the layout of :mod:`synthetic.head.landmark_table`; None = that module's)."""
    contours = landmark_table.CONTOURS if contours is None else contours
    surface = landmark_table.SURFACE if surface is None else surface
    idx, tri, bary = [], [], []
    rings = ContourRings(tpl)
    for name, entries in contours.items():
        for mp_index, u in entries:
            f, bc = rings.point(name, u)
            idx.append(mp_index)
            tri.append(f)
            bary.append(bc)
    cand = facial_faces(tpl)
    for mp_index, x, y, z in surface:
        f, bc = surface_point(np.array([x, y, z]), tpl.vertices, tpl.faces[cand])
        idx.append(mp_index)
        tri.append(int(cand[f]))
        bary.append(bc)
    return np.array(idx), np.array(tri), np.array(bary)


def facial_faces(tpl) -> np.ndarray:
    """Indices of the template's face and lip triangles: where surface landmarks may lie."""
    return np.nonzero(np.isin(tpl.face_regions, [REGION_NAMES.index("face"), REGION_NAMES.index("lips")]))[0]


class ContourRings:
    """Points along the template's lip and lid-margin rings, addressed as in the table's ``CONTOURS``."""

    def __init__(self, tpl):
        self.tpl = tpl
        self.edge_faces: dict[tuple[int, int], list[int]] = {}
        for f, (a, b, c) in enumerate(tpl.faces):
            for u, v in ((a, b), (b, c), (c, a)):
                self.edge_faces.setdefault((min(u, v), max(u, v)), []).append(f)

    def point(self, name: str, u: float) -> tuple[int, np.ndarray]:
        """Triangle id and barycentrics ``[3]`` of the point at ``u`` (0 = the subject's right end, -X; 1 = the
        left end) along contour ``name`` (a key of :data:`_CONTOUR_RINGS`), by x between ring vertices."""
        faces, p = self.tpl.faces, self.tpl.vertices
        patch, role, upper = _CONTOUR_RINGS[name]
        ids, roles, t = self.tpl.rings[patch]
        k = roles.index(role)
        ring = ids[k]
        s = np.sin(t)
        sel = np.nonzero(s >= -1e-9 if upper else s <= 1e-9)[0]
        order = sel[np.argsort(p[ring[sel], 0])]
        xs = p[ring[order], 0]
        # the side of the ring the landmark's triangle must lie on: toward the lip / lid body
        side_ring = ids[k + 1] if patch == "mouth" and role == "contact" else ids[k - 1]
        x = xs[0] + u * (xs[-1] - xs[0])
        j = int(np.clip(np.searchsorted(xs, x) - 1, 0, len(xs) - 2))
        w = float(np.clip((x - xs[j]) / max(xs[j + 1] - xs[j], 1e-12), 0.0, 1.0))
        a, b = int(ring[order[j]]), int(ring[order[j + 1]])
        if (min(a, b), max(a, b)) not in self.edge_faces:  # x-neighbours not ring-neighbours (a corner turning
            # back): the segment along the ring that spans x; the lower half runs from t = pi through 2 pi = 0
            along = sel[np.argsort(t[sel] if upper else (t[sel] - np.pi) % (2 * np.pi))]
            if p[ring[along[0]], 0] > p[ring[along[-1]], 0]:
                along = along[::-1]
            xa = p[ring[along], 0]
            j = int(next((k for k in range(len(along) - 1) if min(xa[k], xa[k + 1]) <= x <= max(xa[k], xa[k + 1])),
                         0))
            w = float(np.clip((x - xa[j]) / (xa[j + 1] - xa[j]) if xa[j + 1] != xa[j] else 0.0, 0.0, 1.0))
            a, b = int(ring[along[j]]), int(ring[along[j + 1]])
        cands = self.edge_faces[(min(a, b), max(a, b))]
        pick = next((f for f in cands if np.isin(faces[f], side_ring).any()), cands[0])
        corner = list(faces[pick])
        bc = np.zeros(3)
        bc[corner.index(a)] = 1.0 - w
        bc[corner.index(b)] = w
        return int(pick), bc


SURFACE_MOVED_M = 0.0005
"""A surface row this far (m) or further off the skin was placed on an earlier sculpt (the table was calibrated before
the skin there moved): it goes onto the skin straight along the view axis (Y) where the skin faces the front."""


def surface_point(q: np.ndarray, p: np.ndarray, faces: np.ndarray) -> tuple[int, np.ndarray]:
    """Where a surface row ``q`` ``[3]`` (m) lies on the skin triangles: (local triangle index, barycentrics).

    On the skin (within :data:`SURFACE_MOVED_M`): its closest point. Off it, where the skin faces the front: the
    skin's crossing of the line through ``q`` along Y nearest ``q``, so the row keeps its place as the frontal
    cameras see it (generator 12 brought the brows 3-5 mm forward: the closest point slid down the ridge's lower slope
    and the brows' landmark error against mediapipe grew from 4.1 to 5.0 % of the eye distance)."""
    f, bc = closest_point(q, p, faces)
    tri = p[faces]
    if np.linalg.norm(bc @ tri[f] - q) < SURFACE_MOVED_M:
        return f, bc
    hit = crossing_along_y(q, tri)
    if hit is None:
        return f, bc
    g, bg = hit
    n = np.cross(tri[g, 1] - tri[g, 0], tri[g, 2] - tri[g, 0])
    if abs(n[1]) < 0.5 * np.linalg.norm(n):  # the skin there turns away from the front: keep the closest point
        return f, bc
    return g, bg


def crossing_along_y(q: np.ndarray, tri: np.ndarray, reach: float = 0.008) -> tuple[int, np.ndarray] | None:
    """The triangle of ``tri`` ``[F, 3, 3]`` that the line through ``q`` along Y crosses nearest ``q`` (within
    ``reach`` m) and the crossing's barycentrics, or None."""
    a, b, c = tri[:, 0][:, [0, 2]], tri[:, 1][:, [0, 2]], tri[:, 2][:, [0, 2]]
    v0, v1, v2 = b - a, c - a, q[[0, 2]] - a
    den = v0[:, 0] * v1[:, 1] - v1[:, 0] * v0[:, 1]
    ok = np.abs(den) > 1e-14
    den = np.where(ok, den, 1.0)
    w1 = (v2[:, 0] * v1[:, 1] - v1[:, 0] * v2[:, 1]) / den
    w2 = (v0[:, 0] * v2[:, 1] - v2[:, 0] * v0[:, 1]) / den
    bary = np.stack([1 - w1 - w2, w1, w2], axis=1)
    inside = ok & np.all(bary >= -1e-9, axis=1)
    y = np.einsum("fk,fk->f", bary, tri[:, :, 1])
    dist = np.where(inside, np.abs(y - q[1]), np.inf)
    f = int(np.argmin(dist))
    return (f, bary[f]) if dist[f] < reach else None


def closest_point(q: np.ndarray, p: np.ndarray, faces: np.ndarray) -> tuple[int, np.ndarray]:
    """Closest point on a triangle set to ``q``: (local triangle index, barycentrics)."""
    tri = p[faces]
    centroid = tri.mean(axis=1)
    near = np.argsort(np.linalg.norm(centroid - q, axis=1))[:64]
    best, best_d, best_b = -1, np.inf, None
    for f in near:
        b = _closest_on_triangle(q, *tri[f])
        d = np.linalg.norm(b @ tri[f] - q)
        if d < best_d:
            best, best_d, best_b = f, d, b
    return int(best), best_b


def _closest_on_triangle(q, a, b, c) -> np.ndarray:
    """Barycentrics of the point of triangle abc closest to q (Ericson, Real-Time Collision Detection)."""
    ab, ac, ap = b - a, c - a, q - a
    d1, d2 = ab @ ap, ac @ ap
    if d1 <= 0 and d2 <= 0:
        return np.array([1.0, 0.0, 0.0])
    bp = q - b
    d3, d4 = ab @ bp, ac @ bp
    if d3 >= 0 and d4 <= d3:
        return np.array([0.0, 1.0, 0.0])
    vc = d1 * d4 - d3 * d2
    if vc <= 0 and d1 >= 0 and d3 <= 0:
        v = d1 / (d1 - d3)
        return np.array([1 - v, v, 0.0])
    cp = q - c
    d5, d6 = ab @ cp, ac @ cp
    if d6 >= 0 and d5 <= d6:
        return np.array([0.0, 0.0, 1.0])
    vb = d5 * d2 - d1 * d6
    if vb <= 0 and d2 >= 0 and d6 <= 0:
        w = d2 / (d2 - d6)
        return np.array([1 - w, 0.0, w])
    va = d3 * d6 - d5 * d4
    if va <= 0 and (d4 - d3) >= 0 and (d5 - d6) >= 0:
        w = (d4 - d3) / ((d4 - d3) + (d5 - d6))
        return np.array([0.0, 1 - w, w])
    denom = 1.0 / (va + vb + vc)
    v, w = vb * denom, vc * denom
    return np.array([1 - v - w, v, w])
