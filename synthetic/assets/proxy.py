"""Hair proxy: voxelise strands and fit a per-vertex offset of a region along its normals.

SynShot back-projects photos onto "the neutral mesh plus the hair proxy" and samples hair
Gaussians on it. The proxy here is the region's own vertices moved out along their normals by
``offset`` (V,) metres, fitted so the offset surface encloses the strands above the region:

1. ``voxelize_strands``: every strand segment is sampled at half-voxel spacing and counted
   into an occupancy grid (numpy ``bincount``), then box-blurred by one voxel to close the gaps
   between sparse strands.
2. ``fit_offsets``: from each region vertex a ray is marched along the normal; the offset is the
   distance at which the ray has passed ``quantile`` of its hair mass (0 when the ray meets less
   than ``min_mass``). Offsets are then Laplace-smoothed inside the region, never dropping below
   the raw fit, so the surface is smooth and still encloses the hair.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import AssetInputError, as_faces, as_points, as_weights, check_positive


@dataclass
class Occupancy:
    """Strand density grid: ``density[i, j, k]`` is the (blurred) sample count of the voxel whose
    centre is ``origin + voxel * (i, j, k)`` (m)."""

    origin: np.ndarray
    voxel: float
    density: np.ndarray

    def sample(self, points: np.ndarray) -> np.ndarray:
        """Nearest-voxel density (N,) at world points (N, 3); 0 outside the grid."""
        g = np.round((points - self.origin) / self.voxel).astype(np.int64)
        ok = np.all((g >= 0) & (g < np.array(self.density.shape)), axis=1)
        out = np.zeros(len(points), np.float32)
        out[ok] = self.density[g[ok, 0], g[ok, 1], g[ok, 2]]
        return out


def voxelize_strands(points: np.ndarray, voxel: float = 0.003, pad: float = 0.01, blur: int = 1,
                     chunk: int = 4096) -> Occupancy:
    """Occupancy grid of polylines (S, P, 3) in metres; see the module docstring."""
    voxel = check_positive("voxel", voxel)
    pts = np.asarray(points, float)
    if pts.ndim != 3 or pts.shape[2] != 3 or pts.shape[1] < 2:
        raise AssetInputError(f"points: expected strands (S, P >= 2, 3), got {pts.shape}")
    if len(pts) == 0:
        return Occupancy(np.zeros(3), voxel, np.zeros((1, 1, 1), np.float32))
    flat = pts.reshape(-1, 3)
    lo = flat.min(0) - pad
    shape = np.ceil((flat.max(0) + pad - lo) / voxel).astype(np.int64) + 1
    if np.prod(shape) > 80_000_000:
        raise AssetInputError(f"voxel: {voxel} m gives a {tuple(shape)} grid for these strands; use a coarser voxel")
    counts = np.zeros(int(np.prod(shape)), np.float64)
    seg = float(np.percentile(np.linalg.norm(np.diff(pts[:: max(1, len(pts) // 2000)], axis=1), axis=2), 99))
    n_sub = int(np.clip(np.ceil(seg / (0.5 * voxel)), 1, 16))  # rare longer segments are sampled more sparsely
    t = (np.arange(n_sub) / n_sub)[None, None, :, None]
    for a in range(0, len(pts), chunk):
        p = pts[a:a + chunk]
        dense = (p[:, :-1, None] * (1 - t) + p[:, 1:, None] * t).reshape(-1, 3)
        dense = np.concatenate([dense, p[:, -1]])
        g = np.clip(np.round((dense - lo) / voxel).astype(np.int64), 0, shape - 1)
        counts += np.bincount(np.ravel_multi_index(g.T, shape), minlength=len(counts))
    dens = counts.reshape(shape).astype(np.float32)
    for _ in range(blur):
        for ax in range(3):
            dens = (dens + np.roll(dens, 1, ax) + np.roll(dens, -1, ax)) / 3.0
    return Occupancy(lo, voxel, dens)


def vertex_neighbours(faces: np.ndarray, n_vertices: int) -> tuple[np.ndarray, np.ndarray]:
    """Directed edge list (E, 2) of the mesh (both directions) and per-vertex neighbour counts (V,)."""
    e = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    e = np.unique(np.concatenate([e, e[:, ::-1]]), axis=0)
    return e, np.bincount(e[:, 0], minlength=n_vertices)


def fit_offsets(vertices, faces, normals, weights, strand_points, voxel: float = 0.0025, max_offset: float = 0.15,
                quantile: float = 0.95, min_mass: float = 0.5, smooth_iterations: int = 8,
                occupancy: Occupancy | None = None) -> np.ndarray:
    """Per-vertex proxy offsets (V,) in metres along the normals; 0 outside the region and where no hair.

    Args:
        vertices: (V, 3) m. faces: (F, 3) int. normals: (V, 3) outward unit normals.
        weights: (V,) region weights in [0, 1] (scalp for hair, the beard area for beards).
        strand_points: (S, P, 3) strands in metres (may be empty).
        voxel: occupancy voxel (m). max_offset: longest ray (m).
        quantile: share of a ray's hair mass the offset must enclose.
        min_mass: rays meeting less blurred mass than this get offset 0.
        smooth_iterations: Laplace smoothing steps after the 1-ring dilation.
        occupancy: a precomputed ``voxelize_strands`` grid (else built from ``strand_points``).
    """
    v = as_points("vertices", vertices)
    f = as_faces("faces", faces, len(v))
    n = as_points("normals", normals)
    w = as_weights("weights", weights, len(v))
    if not 0 < quantile <= 1:
        raise AssetInputError(f"quantile: expected a value in (0, 1], got {quantile}")
    sp = np.asarray(strand_points, float)
    out = np.zeros(len(v))
    region = np.flatnonzero(w > 0.01)
    if len(region) == 0 or sp.size == 0 or len(sp) == 0:
        return out
    occ = occupancy or voxelize_strands(sp, voxel)
    step = 0.5 * occ.voxel
    t = np.arange(1, int(np.ceil(max_offset / step)) + 1) * step
    raw = np.zeros(len(region))
    for a in range(0, len(region), 2048):
        ids = region[a:a + 2048]
        ray = v[ids, None, :] + n[ids, None, :] * t[None, :, None]
        mass = occ.sample(ray.reshape(-1, 3)).reshape(len(ids), len(t)).astype(np.float64)
        cum = np.cumsum(mass, axis=1)
        total = cum[:, -1]
        k = np.argmax(cum >= quantile * total[:, None], axis=1)
        raw[a:a + 2048] = np.where(total >= min_mass, t[k], 0.0)
    out[region] = raw
    edges, deg = vertex_neighbours(f, len(v))
    inside = np.zeros(len(v), bool)
    inside[region] = True
    e = edges[inside[edges[:, 0]] & inside[edges[:, 1]]]
    cur = out.copy()
    for _ in range(smooth_iterations):
        acc = np.zeros(len(v))
        cnt = np.zeros(len(v))
        np.add.at(acc, e[:, 0], cur[e[:, 1]])
        np.add.at(cnt, e[:, 0], 1.0)
        avg = np.where(cnt > 0, acc / np.maximum(cnt, 1), cur)
        cur = np.maximum(0.5 * cur + 0.5 * avg, out)  # never below the raw fit
    cur[~inside] = 0.0
    return cur
