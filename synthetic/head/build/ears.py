"""Procedural outer ears (build step, numpy).

An ear is a closed "pillow": a sculpted front (lateral) surface and a plain back surface joined
along the outline, built on a polar grid around the concha. Its front edge sinks 4 mm into the
side of the head, which hides the join. Ear-local 2D coordinates (mm): ``u`` backward along the
head side, ``v`` up; the height field ``h(u, v)`` (mm) points away from the head.

Shape terms: helix rim (rolled ridge around the top and back), scapha (the groove inside it),
antihelix (Y-shaped ridge), concha (deep bowl in front of the antihelix), tragus (small flap in
front of the concha), lobe (soft, thick, no cartilage ridges).
"""

from __future__ import annotations

import numpy as np

from . import shape
from .parts import Part

# outline control points (u, v) in mm, counter-clockwise from the helix root
_OUTLINE = np.array(
    [
        (3, 23), (10, 30), (19, 31), (26, 26), (30, 16), (30.5, 5), (28, -6), (23, -16), (18, -24),
        (11, -30), (5, -29), (2, -22), (0, -12), (-1, -2), (0, 8), (1, 16),
    ],
    dtype=float,
)
_CENTRE = np.array([11.0, 0.0])  # pole of the polar grid (in the concha), mm


def _closed_spline(points: np.ndarray, n: int) -> np.ndarray:
    """Periodic Catmull-Rom through ``points`` ``[K, 2]``, resampled to ``n`` points by arc length."""
    k = len(points)
    dense = []
    for i in range(k):
        p0, p1, p2, p3 = points[(i - 1) % k], points[i], points[(i + 1) % k], points[(i + 2) % k]
        s = np.linspace(0, 1, 40, endpoint=False)[:, None]
        dense.append(0.5 * ((2 * p1) + (-p0 + p2) * s + (2 * p0 - 5 * p1 + 4 * p2 - p3) * s**2
                            + (-p0 + 3 * p1 - 3 * p2 + p3) * s**3))
    dense = np.concatenate(dense)
    seg = np.linalg.norm(np.diff(np.vstack([dense, dense[:1]]), axis=0), axis=1)
    arc = np.concatenate([[0], np.cumsum(seg)])
    want = np.linspace(0, arc[-1], n, endpoint=False)
    closed = np.vstack([dense, dense[:1]])
    return np.stack([np.interp(want, arc, closed[:, 0]), np.interp(want, arc, closed[:, 1])], -1)


def _bump(x, centre, width):
    return np.exp(-(((x - centre) / width) ** 2))


def _front_height(rho: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """Front-surface height (mm) at normalised radius ``rho`` (0 pole, 1 outline) and ear coords ``uv``."""
    u, v = uv[..., 0], uv[..., 1]
    upper_back = np.clip((v + 14.0) / 16.0, 0.0, 1.0) * np.clip((u + 2.0) / 6.0, 0.0, 1.0)  # no helix on lobe
    lobe = np.clip((-v - 12.0) / 10.0, 0.0, 1.0)
    helix = 3.4 * _bump(rho, 0.90, 0.075) * upper_back
    scapha = -1.2 * _bump(rho, 0.76, 0.06) * upper_back
    antihelix = 2.6 * _bump(rho, 0.60, 0.09) * np.clip((u - 8.0) / 6.0, 0.0, 1.0) * np.clip((v + 12) / 10, 0, 1)
    concha = -6.5 * np.clip(1.0 - ((u - 9.0) / 11.0) ** 2 - ((v + 1.0) / 13.0) ** 2, 0.0, 1.0) ** 0.8
    tragus = 2.5 * np.exp(-(((u - 1.0) / 3.0) ** 2) - ((v + 4.0) / 5.0) ** 2)
    lobe_round = 2.0 * lobe * np.sin(np.pi * np.clip(rho, 0, 1)) ** 0.5
    edge_roll = -2.2 * np.clip((rho - 0.95) / 0.05, 0.0, 1.0) ** 2 * (1.0 - lobe * 0.6)
    return 3.0 + helix + scapha + antihelix + concha + tragus + lobe_round + edge_roll


def ear(side: str, n_angles: int = 36, n_rings: int = 9) -> Part:
    """One ear as a closed surface, placed on the head side (``side`` = "left" (+X) or "right")."""
    outline = _closed_spline(_OUTLINE, n_angles)
    rho = np.linspace(0.12, 1.0, n_rings)
    grid = _CENTRE + rho[:, None, None] * (outline[None] - _CENTRE)  # [K, M, 2] mm
    front = _front_height(rho[:, None], grid)
    back = np.minimum(front - 1.6, 0.6 + 2.5 * (1 - rho[:, None] ** 2)) * np.ones_like(front)
    back[-1] = front[-1]  # pillow closes along the outline
    front_pts = np.concatenate([grid, front[..., None]], -1)
    back_pts = np.concatenate([grid[:-1], back[:-1, :, None]], -1)
    pole_f = np.array([*_CENTRE, _front_height(np.array(0.0), _CENTRE)])
    pole_b = np.array([*_CENTRE, 0.0])
    # front: polar grid around its pole; back: its own rings sharing the outline ring
    k, m = n_rings, n_angles
    ids_f = np.arange(k * m).reshape(k, m)
    ids_b = k * m + np.arange((k - 1) * m).reshape(k - 1, m)
    ids_b = np.vstack([ids_b, ids_f[-1:]])  # the outline is shared
    pf, pb = 2 * k * m - m, 2 * k * m - m + 1
    verts = np.concatenate([front_pts.reshape(-1, 3), back_pts.reshape(-1, 3), pole_f[None], pole_b[None]])
    # UVs: front disc on the left half, back disc (with its own copy of the outline) on the right half
    ang = 2 * np.pi * np.arange(m) / m
    circ = np.stack([np.cos(ang), np.sin(ang)], -1)
    r_uv = (0.23 * rho / rho[-1])[:, None, None]
    uv = np.concatenate([(np.array([0.25, 0.5]) + r_uv * circ).reshape(-1, 2),
                         (np.array([0.75, 0.5]) - r_uv * circ * [1, -1]).reshape(-1, 2), [[0.25, 0.5], [0.75, 0.5]]])
    uv_ids_b = k * m + np.arange(k * m).reshape(k, m)
    faces, uvfaces = [], []
    for ids, pole, uids, upole in ((ids_f, pf, ids_f, 2 * k * m), (ids_b, pb, uv_ids_b, 2 * k * m + 1)):
        for grid_ids, pole_id, out in ((ids, pole, faces), (uids, upole, uvfaces)):
            out.append(np.stack([np.full(m, pole_id), grid_ids[0], np.roll(grid_ids[0], -1)], -1))
            for r in range(k - 1):
                a_, b_ = grid_ids[r], np.roll(grid_ids[r], -1)
                c_, d_ = np.roll(grid_ids[r + 1], -1), grid_ids[r + 1]
                out += [np.stack([a_, d_, c_], -1), np.stack([a_, c_, b_], -1)]
    faces = np.concatenate(faces)
    uvfaces = np.concatenate(uvfaces)
    n_front = m * (1 + 2 * (k - 1))
    # place: mm -> m, ear plane rotated out from the head side and tilted back
    p = verts * 1e-3
    tilt, flare = np.radians(16.0), np.radians(24.0)
    # ear axes in the model frame (left ear): u -> +Y (back), v -> +Z (up), h -> +X (out)
    u_ax = np.array([0.0, np.cos(tilt), -np.sin(tilt)])
    v_ax = np.array([0.0, np.sin(tilt), np.cos(tilt)])
    h_ax = np.array([1.0, 0.0, 0.0])
    # flare: rotate about the v axis so the back edge stands out from the head
    u_f = np.cos(flare) * u_ax + np.sin(flare) * h_ax
    h_f = -np.sin(flare) * u_ax + np.cos(flare) * h_ax
    side_x = shape.project_radial(np.array([[1.0, 0.0, 0.0]]))[0, 0]  # head surface beside the ear canal
    origin = np.array([side_x - 0.0045, 0.0020, 0.0030])
    pos = origin + p[:, :1] * u_f + p[:, 1:2] * v_ax + p[:, 2:3] * h_f
    flip = _ear_flips(pos, faces, n_front, h_f)
    faces[flip] = faces[flip][:, ::-1]
    uvfaces[flip] = uvfaces[flip][:, ::-1]
    if side == "right":
        pos = pos * np.array([-1.0, 1.0, 1.0])
        faces = faces[:, ::-1].copy()
        uvfaces = uvfaces[:, ::-1].copy()
    elif side != "left":
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    return Part(f"ear_{side}", pos, faces, uv, uvfaces, ["ears"] * len(faces))


def _ear_flips(pos: np.ndarray, faces: np.ndarray, n_front: int, out_axis: np.ndarray) -> np.ndarray:
    """Which faces to flip so front faces point away from the head (+out_axis), back faces toward it."""
    tri = pos[faces]
    n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    want = np.where(np.arange(len(faces)) < n_front, 1.0, -1.0)
    return np.sign(n @ out_axis) != want
