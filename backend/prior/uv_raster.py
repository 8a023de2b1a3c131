"""UV rasterizer: per-vertex attributes -> H x W UV maps with a validity mask (pure torch, vectorised).

For one topology (mesh ``faces`` into the vertices, ``uv_faces`` into ``uv_coords``) and one map size,
:func:`locate_uv` finds for every query UV point the triangle that covers it and its barycentric
coordinates; :class:`UVRasterizer` does this once for the texel centres and turns attributes into maps by
a gather and a weighted sum. Texels no triangle covers are filled with the value of the nearest covered
texel (so maps are smooth across chart borders, which bilinear sampling and finite differences need) and
flagged in ``mask``.

Conventions: UV (0, 0) is the bottom-left of the texture (Blender). Maps are arrays with row 0 at the TOP,
so texel ``(row, col)`` has its centre at ``u = (col + 0.5) / W``, ``v = 1 - (row + 0.5) / H``.

Example::

    rast = UVRasterizer.for_head_model(model, 64)
    maps = rast(torch.as_tensor(model.template)[None])  # [1, 3, 64, 64]
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
from jaxtyping import Bool, Float, Int
from scipy import ndimage
from torch import Tensor


def texel_centres(height: int, width: int) -> Float[Tensor, "H W 2"]:
    """UV of every texel centre, ``[H, W, 2]`` (u, v), row 0 on top (v near 1)."""
    u = (torch.arange(width, dtype=torch.float64) + 0.5) / width
    v = 1.0 - (torch.arange(height, dtype=torch.float64) + 0.5) / height
    return torch.stack(torch.meshgrid(u, v, indexing="xy"), dim=-1)


def locate_uv(
    points: Float[Tensor, "M 2"], face_uvs: Float[Tensor, "F 3 2"], cell: int = 256, budget: int = 4_000_000
) -> tuple[Int[Tensor, " M"], Float[Tensor, "M 3"]]:
    """Which UV triangle covers each point, and the point's barycentric coordinates in it.

    Points are bucketed into a ``cell x cell`` grid over [0, 1]^2; each triangle is tested only against the
    points in the buckets its bounding box touches (vectorised over (triangle, point) pairs, in chunks of
    ``budget`` pairs). Where several triangles cover a point (shared edges), the highest face index wins,
    so the result does not depend on the evaluation order.

    Args:
        points: ``[M, 2]`` UV points.
        face_uvs: ``[F, 3, 2]`` per-corner UVs.
        cell: bucket grid size.
        budget: (triangle, point) pairs tested at once (memory ~ 100 B each).

    Returns:
        ``face`` ``[M]`` int64 (-1 where no triangle covers the point) and ``bary`` ``[M, 3]`` float64
        (zeros where uncovered).
    """
    pts = points.to(torch.float64)
    tri = face_uvs.to(torch.float64)
    m = pts.shape[0]
    key = (pts.clamp(0, 1 - 1e-12) * cell).long()
    bucket = key[:, 1] * cell + key[:, 0]
    order = torch.argsort(bucket)
    counts = torch.bincount(bucket, minlength=cell * cell)
    starts = torch.cumsum(counts, 0) - counts
    lo = (tri.min(dim=1).values.clamp(0, 1 - 1e-12) * cell).long()
    hi = (tri.max(dim=1).values.clamp(0, 1 - 1e-12) * cell).long()
    # one row per (triangle, bucket row y); each row covers buckets [y*cell + lo_x, y*cell + hi_x], contiguous
    n_rows = hi[:, 1] - lo[:, 1] + 1
    t_of_row = torch.repeat_interleave(torch.arange(len(tri)), n_rows)
    row_start = torch.repeat_interleave(torch.cumsum(n_rows, 0) - n_rows, n_rows)
    y = lo[t_of_row, 1] + torch.arange(len(t_of_row)) - row_start
    first = starts[y * cell + lo[t_of_row, 0]]
    last = starts[y * cell + hi[t_of_row, 0]] + counts[y * cell + hi[t_of_row, 0]]
    n_pairs = last - first
    best = torch.full((m,), -1, dtype=torch.long)
    cum = torch.cumsum(n_pairs, 0)
    start = 0
    while start < len(n_pairs):
        base = cum[start - 1] if start > 0 else 0
        stop = max(start + 1, int(torch.searchsorted(cum, base + budget)))
        rows = torch.arange(start, min(stop, len(n_pairs)))
        start = int(rows[-1]) + 1
        reps = n_pairs[rows]
        row = torch.repeat_interleave(rows, reps)
        local = torch.arange(len(row)) - torch.repeat_interleave(torch.cumsum(reps, 0) - reps, reps)
        p = order[first[row] + local]
        t = t_of_row[row]
        b = _barycentric(pts[p], tri[t])
        inside = (b >= -1e-12).all(dim=1)
        best.scatter_reduce_(0, p[inside], t[inside], reduce="amax")
    bary = torch.zeros(m, 3, dtype=torch.float64)
    hit = best >= 0
    bary[hit] = _barycentric(pts[hit], tri[best[hit]]).clamp(0, 1)
    bary[hit] /= bary[hit].sum(dim=1, keepdim=True)
    return best, bary


def _barycentric(p: Float[Tensor, "N 2"], tri: Float[Tensor, "N 3 2"]) -> Float[Tensor, "N 3"]:
    """Barycentric coordinates of points in triangles (degenerate triangles give NaN, i.e. never inside)."""
    a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
    area = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    area = torch.where(area.abs() > 1e-18, area, torch.full_like(area, float("nan")))
    w0 = ((b[:, 0] - p[:, 0]) * (c[:, 1] - p[:, 1]) - (b[:, 1] - p[:, 1]) * (c[:, 0] - p[:, 0])) / area
    w1 = ((c[:, 0] - p[:, 0]) * (a[:, 1] - p[:, 1]) - (c[:, 1] - p[:, 1]) * (a[:, 0] - p[:, 0])) / area
    return torch.stack([w0, w1, 1.0 - w0 - w1], dim=1)


class UVRasterizer:
    """Texel-centre rasterization of one topology at one map size (precomputed once, then cheap).

    Attributes:
        face: ``[H, W]`` covering face per texel (-1 empty).
        vertex_ids: ``[H*W, 3]`` mesh vertex ids whose attributes each texel blends (those of the nearest
            covered texel for empty texels).
        weights: ``[H*W, 3]`` float32 barycentric weights matching ``vertex_ids``.
        mask: ``[H, W]`` bool, True where a triangle covers the texel centre.
    """

    def __init__(self, faces: np.ndarray, uv_coords: np.ndarray, uv_faces: np.ndarray, height: int, width: int):
        self.height, self.width = int(height), int(width)
        face_uvs = torch.as_tensor(np.asarray(uv_coords)[np.asarray(uv_faces)])
        face, bary = locate_uv(texel_centres(height, width).reshape(-1, 2), face_uvs)
        self.face = face.reshape(height, width)
        self.mask: Bool[Tensor, "H W"] = self.face >= 0
        # fill: every texel takes the triangle and weights of its nearest covered texel
        _, (ri, ci) = ndimage.distance_transform_edt(~self.mask.numpy(), return_indices=True)
        src = torch.as_tensor(ri * width + ci).reshape(-1)
        self.vertex_ids = torch.as_tensor(np.asarray(faces))[face[src].clamp(min=0)]
        self.weights = bary[src].to(torch.float32)

    @staticmethod
    def for_head_model(model, size: int) -> UVRasterizer:
        """The (cached) rasterizer of the head model's UV atlas at ``size x size`` texels."""
        return _cached_head_rasterizer(model, int(size))

    def __call__(self, attributes: Float[Tensor, "B V C"]) -> Float[Tensor, "B C H W"]:
        """Per-vertex attributes ``[B, V, C]`` (or ``[V, C]``) -> maps ``[B, C, H, W]`` (or ``[C, H, W]``)."""
        single = attributes.ndim == 2
        a = attributes[None] if single else attributes
        ids = self.vertex_ids.to(a.device)
        w = self.weights.to(device=a.device, dtype=a.dtype)
        gathered = a[:, ids.reshape(-1)].reshape(a.shape[0], ids.shape[0], 3, a.shape[-1])  # [B, HW, 3, C]
        maps = (gathered * w[None, :, :, None]).sum(dim=2)
        maps = maps.transpose(1, 2).reshape(a.shape[0], a.shape[-1], self.height, self.width)
        return maps[0] if single else maps


@lru_cache(maxsize=8)
def _cached_head_rasterizer(model, size: int) -> UVRasterizer:
    return UVRasterizer(model.faces, model.uv_coords, model.uv_faces, size, size)


def _attributes_to_uv_reference(
    attributes: np.ndarray, faces: np.ndarray, uv_coords: np.ndarray, uv_faces: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Brute force, for tests: every texel centre tested against every triangle, one texel at a time.

    Returns ``maps`` ``[C, H, W]`` (0 where uncovered) and ``mask`` ``[H, W]``; the highest covering face
    index wins, as in :func:`locate_uv`.
    """
    tri = np.asarray(uv_coords, np.float64)[np.asarray(uv_faces)]
    a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
    area = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    ok = np.abs(area) > 1e-18
    maps = np.zeros((attributes.shape[1], size, size))
    mask = np.zeros((size, size), bool)
    for row in range(size):
        for col in range(size):
            p = np.array([(col + 0.5) / size, 1.0 - (row + 0.5) / size])
            w0 = ((b[:, 0] - p[0]) * (c[:, 1] - p[1]) - (b[:, 1] - p[1]) * (c[:, 0] - p[0])) / np.where(ok, area, 1)
            w1 = ((c[:, 0] - p[0]) * (a[:, 1] - p[1]) - (c[:, 1] - p[1]) * (a[:, 0] - p[0])) / np.where(ok, area, 1)
            w2 = 1.0 - w0 - w1
            inside = np.flatnonzero(ok & (w0 >= -1e-12) & (w1 >= -1e-12) & (w2 >= -1e-12))
            if len(inside) == 0:
                continue
            f = inside[-1]
            w = np.clip([w0[f], w1[f], w2[f]], 0, 1)
            maps[:, row, col] = (w / w.sum()) @ attributes[faces[f]]
            mask[row, col] = True
    return maps, mask
