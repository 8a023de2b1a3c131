"""Fit landmark-table rows to a face tracker's points on rendered heads (numpy; scipy for the mirror search).

Used by ``tools/calibrate_landmarks.py``, which supplies the images (mediapipe points, posed vertices,
cameras). A landmark is a point on the template surface (triangle + barycentrics); a candidate set lists many
such points, :func:`scores` charges each candidate its mean error over the images, :func:`choose_symmetric`
picks one per landmark, mirror pairs jointly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...rig import project_points

CLIP = 20.0
"""Largest per-image error (percent of the eye-corner distance) a candidate is charged: a missed detection
or a mediapipe outlier must not decide a point."""


def scores(images, faces: np.ndarray, tri: np.ndarray, bary: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Mean clipped error (%) ``[T, N]`` of ``N`` candidate points (``tri`` ``[N]``, ``bary`` ``[N, 3]``) against
    the tracker's points ``targets`` ``[T]`` (indices into each image's points) over ``images``.

    ``images``: tuples (points ``[P, 2]`` px, normaliser px (the eye-corner distance), posed vertices ``[V, 3]``
    m, ``K`` ``[3, 3]``, ``w2c`` ``[4, 4]``). Errors are in percent of the normaliser, clipped at :data:`CLIP`."""
    total = np.zeros((len(targets), len(tri)), dtype=np.float64)
    corners = faces[tri]  # [N, 3]
    for lm, io, verts, K, w2c in images:
        pts = np.einsum("nk,nkc->nc", bary, verts[corners])
        xy, _ = project_points(pts, K, w2c)
        d = np.linalg.norm(xy[None, :, :].astype(np.float32) - lm[targets][:, None, :].astype(np.float32), axis=-1)
        total += np.minimum(100.0 * d / max(io, 1e-6), CLIP)
    return total / max(len(images), 1)


def mirror_index(points: np.ndarray, partner: np.ndarray) -> np.ndarray:
    """For each of ``points`` ``[N, 3]`` the index of the nearest of ``partner`` ``[M, 3]`` to its mirror (-x)."""
    from scipy.spatial import cKDTree

    _, j = cKDTree(partner).query(points * np.array([-1.0, 1.0, 1.0]))
    return j


def _mirror_partner(pos: np.ndarray, i: int, pair_tol: float, midline_tol: float) -> int | None:
    """Index of row ``i``'s mirror image among ``pos`` ``[L, 3]`` (``i`` itself on the midline), or None when the
    nearest mirror is further than ``pair_tol`` (m) or not mutual."""
    flip = np.array([-1.0, 1.0, 1.0])
    if abs(pos[i][0]) < midline_tol:
        return i
    d = np.linalg.norm(pos - pos[i] * flip, axis=1)
    j = int(np.argmin(d))
    back = int(np.argmin(np.linalg.norm(pos - pos[j] * flip, axis=1)))
    return j if d[j] <= pair_tol and back == i and j != i else None


def tracker_mirror_pairs(points: list[np.ndarray], agree: float = 0.5) -> dict[int, int]:
    """The tracker's own left-right correspondence, ``index -> mirror index`` (``i -> i`` on the midline), from its
    points ``[P, 2]`` (pixels) on straight-ahead images of symmetric faces: each image's points are reflected about
    a symmetry line (their mean x, then a line refitted to the midpoints of the clearest mutual matches) and matched
    to the nearest point; a pair is kept when at least ``agree`` of the images vote for it and the match is
    mutual. (Pairing by the fitted 3D positions alone misses pairs whose free optima land > 4 mm
    from each other's mirror image, e.g. the face oval by the ears.)"""
    from collections import Counter

    from scipy.spatial import cKDTree

    votes: dict[int, Counter] = {}
    for p in points:
        p = np.asarray(p, np.float64)[:, :2]
        tree = cKDTree(p)
        axis = np.array([p[:, 0].mean(), 0.0])  # the symmetry line x = a + b y: first the mean x
        for refit in (True, True, True, False):  # then refitted to the midpoints of the clearest mutual matches
            d, j = tree.query(np.stack([2.0 * (axis[0] + axis[1] * p[:, 1]) - p[:, 0], p[:, 1]], 1))
            if refit:
                mutual = (j[j] == np.arange(len(p))) & (d <= np.median(d))
                mid = 0.5 * (p[mutual] + p[j[mutual]])
                axis = np.linalg.lstsq(np.stack([np.ones(len(mid)), mid[:, 1]], 1), mid[:, 0], rcond=None)[0]
        for i, jj in enumerate(j):
            votes.setdefault(i, Counter())[int(jj)] += 1
    best = {}
    for i, c in votes.items():
        j, n = c.most_common(1)[0]
        if n >= agree * len(points):
            best[i] = j
    return {i: j for i, j in best.items() if best.get(j) == i}


def with_named_pairs(tracker: dict[int, int], named: dict[int, int]) -> dict[int, int]:
    """``tracker``'s mirror pairs (index -> mirror index) with ``named`` pairs put over them: every pair that
    names one of ``named``'s indices is dropped first, so a tracker vote such as 130 <-> 263 cannot survive beside
    the named 33 <-> 263 (the first pair met would win, and the eye corners would be fitted apart)."""
    out = {a: b for a, b in tracker.items() if a not in named and b not in named}
    out.update(named)
    return out


def choose_symmetric(score: list[np.ndarray], cand_pts: list[np.ndarray], owner: list[int], pair_tol: float = 0.004,
                     midline_tol: float = 0.0015, reference: np.ndarray | None = None,
                     known: list[tuple[int, int]] = ()) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Pick one candidate per landmark, mirror pairs jointly.

    Args:
        score: list of ``[N_g]`` score rows, one per landmark (``owner[l]`` = its candidate group ``g``).
        cand_pts: per group, template candidate points ``[N_g, 3]`` (m).
        reference: ``[L, 3]`` positions (m), e.g. the table before the fit (symmetric): rows that the
            unconstrained best candidates leave unpaired are paired by its mirror symmetry (without it a pair whose
            free choices land > ``pair_tol`` apart stays unpaired and comes out asymmetric: mediapipe 93/323 by
            6 mm).
        known: row pairs ``(l, l')`` to choose jointly before any other (``l == l'``: a midline row), e.g. from
            :func:`tracker_mirror_pairs`.
    Returns:
        chosen candidate index per landmark and the pairs (l, l') that were chosen jointly (l == l': midline).
    """
    free = np.array([int(np.argmin(s)) for s in score])
    pos = np.array([cand_pts[owner[i]][free[i]] for i in range(len(score))])
    chosen = free.copy()
    pairs = []
    candidates = [(int(i), int(j)) for i, j in known]
    candidates += [(i, _mirror_partner(pos, i, pair_tol, midline_tol)) for i in range(len(score))]
    if reference is not None:
        candidates += [(i, _mirror_partner(reference, i, pair_tol, midline_tol)) for i in range(len(score))]
    paired: set[int] = set()
    for i, j in candidates:
        if j is None or i in paired or j in paired:
            continue
        i, j = min(i, j), max(i, j)
        paired.update((i, j))
        m = mirror_index(cand_pts[owner[i]], cand_pts[owner[j]])
        joint = score[i] + score[j][m]
        if i == j:  # a midline row stays on the midline (candidates within 0.5 mm of it, where there are any)
            off = np.abs(cand_pts[owner[i]][:, 0]) > 0.0005
            if not off.all():
                joint = np.where(off, np.inf, joint)
        c = int(np.argmin(joint))
        chosen[i], chosen[j] = c, int(m[c])
        pairs.append((i, j))
    return chosen, pairs


@dataclass
class Calibration:
    """What :func:`calibrate_table` found. Per landmark row (contour rows first, in table order, then surface):
    ``mediapipe`` ``[L]`` indices, ``group`` names ("surface" or the contour), ``before``/``after`` ``[L]`` mean
    clipped error (%), ``moved`` ``[L]`` m; ``pairs`` chosen jointly; ``contours``/``surface`` the new table rows
    (the :mod:`synthetic.head.landmark_table` layout)."""

    mediapipe: np.ndarray
    group: list[str]
    before: np.ndarray
    after: np.ndarray
    moved: np.ndarray
    pairs: list[tuple[int, int]]
    contours: dict[str, list[tuple[int, float]]]
    surface: list[tuple[int, float, float, float]]


MOVE_COST = 0.02
"""Score (% of the eye-corner distance) charged per mm a row moves from the table before the fit: where the error
hardly changes over a wide area (face-oval points by the ears) the unpenalised optimum wandered 28 mm for 0.3 %."""


def charge_moves(score: np.ndarray, cand_pts: np.ndarray, old: np.ndarray, move_cost: float = MOVE_COST) -> np.ndarray:
    """``score`` ``[N]`` (%) of candidates ``cand_pts`` ``[N, 3]`` (m) plus ``move_cost`` (% per mm) times each
    one's distance from the row's place ``old`` ``[3]`` before the fit."""
    return score + move_cost * 1000.0 * np.linalg.norm(cand_pts - old, axis=1)


def calibrate_table(images, tpl, contours: dict, surface: list, grid: int = 4, free=(),
                    mirror: dict[int, int] | None = None, move_cost: float = MOVE_COST) -> Calibration:
    """Refit every row of a landmark table (``contours``, ``surface`` as in ``landmark_table``) to ``images``
    (see :func:`scores`) on template ``tpl``.

    Surface rows choose among a barycentric grid (``grid`` steps per edge) over the face and lip triangles;
    contour rows choose ``u`` in [0, 1] (step 1/400) along their ring. Mediapipe indices in ``free`` leave their
    contour and become surface rows (eye corners, whose tracker meaning may lie past the lid-margin ring's end).
    ``mirror`` (tracker index -> mirror index, :func:`tracker_mirror_pairs`) names the rows chosen jointly first.
    ``move_cost`` (% per mm, :data:`MOVE_COST`) is added to each candidate's score for its distance from the row's
    place before the fit (the reported ``after`` scores leave it out)."""
    from .landmarks import ContourRings, closest_point, facial_faces

    g = int(grid)
    bary_grid = np.array([(i, j, g - i - j) for i in range(g + 1) for j in range(g + 1 - i)], dtype=np.float64) / g
    facial = facial_faces(tpl)
    groups = [(np.repeat(facial, len(bary_grid)), np.tile(bary_grid, (len(facial), 1)))]
    rings = ContourRings(tpl)
    us = np.linspace(0.0, 1.0, 401)
    names = list(contours)
    for name in names:
        tb = [rings.point(name, u) for u in us]
        groups.append((np.array([t for t, _ in tb]), np.array([b for _, b in tb])))
    cand_pts = [np.einsum("nk,nkc->nc", b, tpl.vertices[tpl.faces[t]]) for t, b in groups]

    rows = []  # (mediapipe index, group, current triangle, current barycentrics)
    for gi, name in enumerate(names, start=1):
        for mp_index, u in contours[name]:
            rows.append((int(mp_index), 0 if int(mp_index) in free else gi, *rings.point(name, u)))
    surface_faces = tpl.faces[facial]
    for mp_index, x, y, z in surface:
        f, bc = closest_point(np.array([x, y, z]), tpl.vertices, surface_faces)
        rows.append((int(mp_index), 0, int(facial[f]), bc))
    owner = [r[1] for r in rows]
    score: list = [None] * len(rows)
    before = np.zeros(len(rows))
    for gi, (tri, bary) in enumerate(groups):
        idx = [k for k, r in enumerate(rows) if r[1] == gi]
        if not idx:
            continue
        targets = np.array([rows[k][0] for k in idx])
        s = scores(images, tpl.faces, tri, bary, targets)
        cur = scores(images, tpl.faces, np.array([rows[k][2] for k in idx]), np.array([rows[k][3] for k in idx]),
                     targets)
        for n, k in enumerate(idx):
            score[k] = s[n]
            before[k] = cur[n, n]
    old_pts = np.array([r[3] @ tpl.vertices[tpl.faces[r[2]]] for r in rows])
    row_of = {r[0]: k for k, r in enumerate(rows)}
    known = sorted({tuple(sorted((row_of[a], row_of[b]))) for a, b in (mirror or {}).items()
                    if a in row_of and b in row_of})
    charged = [charge_moves(score[k], cand_pts[owner[k]], old_pts[k], move_cost) for k in range(len(rows))]
    chosen, pairs = choose_symmetric(charged, cand_pts, owner, reference=old_pts, known=known)
    after = np.array([score[k][chosen[k]] for k in range(len(rows))])
    new_pts = np.array([cand_pts[owner[k]][chosen[k]] for k in range(len(rows))])
    out_contours: dict[str, list[tuple[int, float]]] = {name: [] for name in names}
    out_surface = []
    for k, r in enumerate(rows):
        if r[1] == 0:
            out_surface.append((r[0], *np.round(new_pts[k], 5).tolist()))
        else:
            out_contours[names[r[1] - 1]].append((r[0], round(float(us[chosen[k]]), 4)))
    return Calibration(np.array([r[0] for r in rows]), ["surface" if r[1] == 0 else names[r[1] - 1] for r in rows],
                       before, after, np.linalg.norm(new_pts - old_pts, axis=1), pairs, out_contours,
                       sorted(out_surface))
