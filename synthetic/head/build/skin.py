"""The skin surface mesh: ring patches + a blue-noise fill joined by a spherical Delaunay (build step).

Every skin point has a radial direction from :data:`shape.RADIAL_CENTRE`; the skin is star-shaped
from there, so the convex hull of the unit directions is a Delaunay triangulation of the skin.
The fill points are a variable-radius Poisson-disk sample of the sculpted surface (edge length
about 2.5 mm on the central face, 7 mm on the back of the head). Patch interiors (eyes, mouth)
and the neck cap are removed from the hull and replaced by the structured ring quads.

Needs scipy (ConvexHull, cKDTree); runs only in the offline build.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import rings, shape


@dataclass
class SkinMesh:
    vertices: np.ndarray  # [V, 3] m
    faces: np.ndarray  # [F, 3]
    patches: dict  # name -> (RingPatch, [K, M] vertex ids)
    neck_ring: np.ndarray  # vertex ids of the open neck edge
    fill: np.ndarray  # vertex ids of the fill points


NECK_FILL_TOP_Z = -0.115
"""Up to this height (m) the neck gets fill candidates found horizontally from its axis (below the jaw's shadow,
where rays from the radial centre meet the neck at a grazing angle and leave 30 mm gaps)."""


def target_edge(points: np.ndarray) -> np.ndarray:
    """Wanted edge length (m) at skin points ``[N, 3]``: fine on the face, coarse behind."""
    x, y, z = points[:, 0], points[:, 1], points[:, 2]
    e = (x / 0.048) ** 2 + ((z + 0.018) / 0.066) ** 2 + (np.maximum(y + 0.060, 0.0) / 0.035) ** 2
    t = np.clip((e - 0.9) / 2.6, 0.0, 1.0)
    t = t * t * (3 - 2 * t)
    return 0.0026 + 0.0046 * t


def fibonacci_directions(n: int) -> np.ndarray:
    """``[n, 3]`` near-uniform unit vectors (golden-angle spiral)."""
    i = np.arange(n) + 0.5
    polar = np.arccos(1.0 - 2.0 * i / n)
    azim = np.pi * (1.0 + 5**0.5) * i
    return np.stack([np.cos(azim) * np.sin(polar), np.sin(azim) * np.sin(polar), np.cos(polar)], axis=-1)


def _inside_polygon(pts: np.ndarray, poly: np.ndarray) -> np.ndarray:
    """Even-odd test of 2D points ``[N, 2]`` against a closed polygon ``[M, 2]``."""
    x, y = pts[:, 0][:, None], pts[:, 1][:, None]
    x0, y0 = poly[:, 0][None], poly[:, 1][None]
    x1, y1 = np.roll(poly[:, 0], -1)[None], np.roll(poly[:, 1], -1)[None]
    cross = (y0 > y) != (y1 > y)
    xi = x0 + (y - y0) * (x1 - x0) / np.where(y1 == y0, 1e-30, y1 - y0)
    return np.sum(cross & (x < xi), axis=1) % 2 == 1


def poisson_select(points: np.ndarray, radius: np.ndarray, rng: np.random.Generator, fixed: np.ndarray,
                   fixed_radius: np.ndarray) -> np.ndarray:
    """Greedy variable-radius Poisson-disk subset of ``points`` (indices), in random order, around
    already placed ``fixed`` points ``[P, 3]`` with radii ``fixed_radius``."""
    from scipy.spatial import cKDTree

    order = rng.permutation(len(points))
    accepted: list[int] = []
    acc_pts = fixed.copy()
    acc_r = fixed_radius.copy()
    r_max = radius.max()
    batch = 1500
    for s in range(0, len(order), batch):
        idx = order[s : s + batch]
        ok = np.ones(len(idx), bool)
        if len(acc_pts):
            tree = cKDTree(acc_pts)
            dist, nn = tree.query(points[idx], k=6, distance_upper_bound=r_max)
            for c in range(dist.shape[1]):
                valid = np.isfinite(dist[:, c])
                need = 0.5 * (radius[idx] + acc_r[np.where(valid, nn[:, c], 0)])
                ok &= ~(valid & (dist[:, c] < need))
        cand = idx[ok]
        local = cKDTree(points[cand])
        pairs = local.query_pairs(r_max, output_type="ndarray")
        keep = np.ones(len(cand), bool)
        if len(pairs):
            dd = np.linalg.norm(points[cand[pairs[:, 0]]] - points[cand[pairs[:, 1]]], axis=1)
            need = 0.5 * (radius[cand[pairs[:, 0]]] + radius[cand[pairs[:, 1]]])
            pairs = pairs[dd < need]
            pairs = pairs[np.argsort(pairs[:, 0], kind="stable")]
            for a, b in pairs:  # earlier candidate wins
                if keep[a] and keep[b]:
                    keep[b] = False
        new = cand[keep]
        accepted.extend(new.tolist())
        acc_pts = np.concatenate([acc_pts, points[new]])
        acc_r = np.concatenate([acc_r, radius[new]])
    return np.array(accepted)


def build_skin(seed: int = 7, n_candidates: int = 70000) -> SkinMesh:
    """Build the skin surface (no ears, eyeballs or mouth interior)."""
    from scipy.spatial import ConvexHull, cKDTree

    rng = np.random.default_rng(seed)
    patches = {"eye_left": rings.eye_patch("left"), "eye_right": rings.eye_patch("right"), "mouth": rings.mouth_patch()}
    neck = rings.neck_ring()
    # fill candidates on the sculpted surface
    dirs = fibonacci_directions(n_candidates)
    dirs = dirs[dirs[:, 0] > 0.0]  # the fill is built on the subject's left half and mirrored
    ang = np.linspace(-np.pi, np.pi, 3000, endpoint=False)
    mid_dirs = np.stack([np.zeros_like(ang), np.cos(ang), np.sin(ang)], -1)
    dirs = np.concatenate([mid_dirs, dirs])
    cand = shape.project_radial(dirs)
    is_mid = np.arange(len(cand)) < len(mid_dirs)
    # rays from the centre graze the neck, so few of them land on it: candidates found from the neck's own axis
    neck_z = np.arange(shape.NECK_CUT_Z + 0.002, NECK_FILL_TOP_Z, 0.0015)
    neck_ang = np.linspace(0.0, np.pi, 160)[1:-1]
    neck_cand = np.concatenate([shape.project_neck_ring(neck_ang, z) for z in neck_z])
    cand = np.concatenate([cand, neck_cand])
    is_mid = np.concatenate([is_mid, np.zeros(len(neck_cand), bool)])
    h = target_edge(cand)
    keep = cand[:, 2] > shape.NECK_CUT_Z + 0.6 * target_edge(cand)
    # keep the fill away from patches (inside the outer ring, and a band around it)
    boundary_pts = [neck]
    for p in patches.values():
        outer = p.points[-1]
        boundary_pts.append(outer)
        poly = p.param[-1]
        front = cand[:, 1] < -0.02
        inside = np.zeros(len(cand), bool)
        inside[front] = _inside_polygon(cand[front][:, [0, 2]], poly)
        keep &= ~inside
    bpts = np.concatenate(boundary_pts)
    spacing = np.concatenate([_ring_spacing(b) for b in boundary_pts])
    dist, nn = cKDTree(bpts).query(cand, k=1)
    keep &= dist > 0.85 * np.maximum(spacing[nn], 0.7 * h)
    mid = np.nonzero(keep & is_mid)[0]
    mid = mid[_select_along(cand[mid], 0.80 * h[mid])]
    half = np.nonzero(keep & ~is_mid & (cand[:, 0] > 0.42 * 0.80 * h))[0]
    half = half[poisson_select(cand[half], 0.80 * h[half], rng, cand[mid], 0.80 * h[mid])]
    fill = np.concatenate([cand[mid], cand[half], cand[half] * np.array([-1.0, 1.0, 1.0])])
    fill[: len(mid), 0] = 0.0
    # assemble: fill, patch rings, neck ring
    verts = [fill]
    offset = len(fill)
    patch_ids = {}
    for name, p in patches.items():
        k, m = p.points.shape[:2]
        patch_ids[name] = (p, offset + np.arange(k * m).reshape(k, m))
        verts.append(p.points.reshape(-1, 3))
        offset += k * m
    neck_ids = offset + np.arange(len(neck))
    verts.append(neck)
    vertices = np.concatenate(verts)
    # Delaunay of the fill + outermost rings + neck ring on the sphere of directions
    hull_ids = np.concatenate([np.arange(len(fill))] + [ids[-1] for _, ids in patch_ids.values()] + [neck_ids])
    hull = ConvexHull(shape.radial_direction(vertices[hull_ids]))
    tri = hull_ids[hull.simplices]
    drop = np.all(np.isin(tri, neck_ids), axis=1)
    for p, ids in patch_ids.values():
        outer = ids[-1]
        on = np.all(np.isin(tri, outer), axis=1)
        lookup = {int(v): j for j, v in enumerate(outer)}
        cent = np.array([p.param[-1][[lookup[int(v)] for v in t]].mean(axis=0) for t in tri[on]])
        inside = _inside_polygon(cent, p.param[-1]) if len(cent) else np.zeros(0, bool)
        on_idx = np.nonzero(on)[0]
        drop[on_idx[inside]] = True
        _check_ring_edges(tri[~drop], outer, p.name)
    _check_ring_edges(tri[~drop], neck_ids, "neck")
    faces = [tri[~drop]] + [rings.ring_faces(ids) for _, ids in patch_ids.values()]
    faces = orient_outward(vertices, np.concatenate(faces))
    pinned = np.zeros(len(vertices), bool)
    pinned[neck_ids] = True
    for name, (p, ids) in patch_ids.items():
        last = p.ring("border") if name == "mouth" else p.ring("skin1")
        pinned[ids[: last + 1].reshape(-1)] = True
    sym = cKDTree(vertices).query(vertices * [-1.0, 1.0, 1.0])[1]
    smooth = taubin_smooth(vertices, faces, pinned)
    vertices = 0.5 * (smooth + smooth[sym] * [-1.0, 1.0, 1.0])  # the triangulation is not symmetric
    return SkinMesh(vertices, faces, patch_ids, neck_ids, np.arange(len(fill)))


def taubin_smooth(vertices: np.ndarray, faces: np.ndarray, pinned: np.ndarray, iterations: int = 12,
                  lam: float = 0.5, mu: float = -0.53) -> np.ndarray:
    """Taubin (lambda|mu) smoothing with uniform weights: removes the sculpt's small creases and
    evens the triangles without shrinking the head; ``pinned`` vertices stay put."""
    from scipy.sparse import coo_matrix, diags

    n = len(vertices)
    i = np.concatenate([faces[:, 0], faces[:, 1], faces[:, 2], faces[:, 1], faces[:, 2], faces[:, 0]])
    j = np.concatenate([faces[:, 1], faces[:, 2], faces[:, 0], faces[:, 0], faces[:, 1], faces[:, 2]])
    adj = coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n)).tocsr()
    adj.data[:] = 1.0
    lap = diags(1.0 / np.maximum(np.asarray(adj.sum(axis=1)).ravel(), 1)) @ adj
    v = vertices.copy()
    free = ~pinned
    for _ in range(iterations):
        for f in (lam, mu):
            delta = lap @ v - v
            v[free] += f * delta[free]
    return v


def _select_along(points: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """Greedy subset of points ordered along a curve, consecutive picks at least ``radius`` apart."""
    keep = [0]
    for i in range(1, len(points)):
        if np.linalg.norm(points[i] - points[keep[-1]]) >= 0.5 * (radius[i] + radius[keep[-1]]):
            keep.append(i)
    wrap = np.linalg.norm(points[keep[-1]] - points[keep[0]])
    if len(keep) > 1 and wrap < 0.5 * (radius[keep[0]] + radius[keep[-1]]):
        keep.pop()
    return np.array(keep)


def _ring_spacing(ring: np.ndarray) -> np.ndarray:
    d = np.linalg.norm(ring - np.roll(ring, 1, axis=0), axis=1)
    return np.maximum(d, np.roll(d, -1))


def _check_ring_edges(faces: np.ndarray, ring: np.ndarray, name: str) -> None:
    """Every consecutive edge of a boundary ring must be an edge of the Delaunay triangulation."""
    edges = set()
    for a, b in ((0, 1), (1, 2), (2, 0)):
        edges.update(zip(np.minimum(faces[:, a], faces[:, b]).tolist(), np.maximum(faces[:, a], faces[:, b]).tolist()))
    nxt = np.roll(ring, -1)
    missing = [(int(a), int(b)) for a, b in zip(ring, nxt) if (min(a, b), max(a, b)) not in edges]
    if missing:
        raise RuntimeError(f"skin build: {len(missing)} edges of the {name} ring are not in the triangulation")


def orient_outward(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Orient every face consistently (edge-adjacency flood fill), then so that the skin faces outward."""
    faces = faces.copy()
    n = len(faces)
    e = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    fid = np.tile(np.arange(n), 3)
    key = np.minimum(e[:, 0], e[:, 1]) * (len(vertices) + 1) + np.maximum(e[:, 0], e[:, 1])
    order = np.argsort(key, kind="stable")
    ks = key[order]
    same = np.nonzero(ks[1:] == ks[:-1])[0]
    nbr: list[list[int]] = [[] for _ in range(n)]
    for i in same:
        a, b = fid[order[i]], fid[order[i + 1]]
        nbr[a].append(b)
        nbr[b].append(a)
    done = np.zeros(n, bool)
    for root in range(n):
        if done[root]:
            continue
        done[root] = True
        stack = [root]
        comp = [root]
        while stack:
            f = stack.pop()
            fe = {(faces[f, i], faces[f, (i + 1) % 3]) for i in range(3)}
            for g in nbr[f]:
                if done[g]:
                    continue
                ge = {(faces[g, i], faces[g, (i + 1) % 3]) for i in range(3)}
                if fe & ge:  # shares a directed edge: opposite orientation, flip g
                    faces[g] = faces[g, ::-1]
                done[g] = True
                stack.append(g)
                comp.append(g)
        comp = np.array(comp)
        tri = vertices[faces[comp]]
        nrm = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
        out = tri.mean(axis=1) - shape.RADIAL_CENTRE
        if np.sum(np.sum(nrm * out, axis=1)) < 0:
            faces[comp] = faces[comp][:, ::-1]
    return faces
