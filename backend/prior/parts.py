"""Per-part primitive sampling in UV space (SynShot 3.2, "per-part initialisation").

Each part (``face`` and ``hair`` = the scalp/hair-proxy chart, or one ``head`` part for the "single layer"
ablation) owns a grid of UV sample points over its charts' bounding box: ``density`` samples per map texel
along each axis (densification), optionally jittered by a fixed seed. Cells whose point lies on a triangle
of the part are Gaussians. Everything that does not depend on the network is precomputed exactly from the
mesh by barycentric interpolation at the sample points: the template position and its UV derivatives, the
skin weights and the pose-corrective basis. With ``sampling=False`` ("no sampling") a part gets one sample
per map texel at the texel centre, i.e. one Gaussian per valid texel.

Grid coordinates for ``grid_sample`` are ``x = 2u - 1``, ``y = 1 - 2v`` (row 0 on top, ``align_corners=False``),
matching the maps of :mod:`backend.prior.uv_raster`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from jaxtyping import Bool, Float, Int
from torch import Tensor

from .uv_raster import locate_uv

HAIR_REGIONS = ("scalp",)


@dataclass
class PartGrid:
    """The sample grid of one part; ``N`` = valid cells (Gaussians), ``Hs x Ws`` = grid."""

    name: str
    grid: Float[Tensor, "Hs Ws 2"]
    valid: Bool[Tensor, "Hs Ws"]
    index: Int[Tensor, " N"]
    template: Float[Tensor, "N 3"]
    template_du: Float[Tensor, "N 3"]
    template_dv: Float[Tensor, "N 3"]
    weights: Float[Tensor, "N J"]
    posedirs: Float[Tensor, "N 3 P"]

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.valid.shape)

    def __len__(self) -> int:
        return len(self.index)

    def buffers(self) -> dict[str, Tensor]:
        return {k: getattr(self, k) for k in ("grid", "valid", "index", "template", "template_du", "template_dv",
                                              "weights", "posedirs")}


def part_regions(model, single_layer: bool) -> dict[str, list[int]]:
    """Region ids of every part: ``{"head": all}`` or ``{"face": all but the scalp, "hair": scalp}``."""
    all_ids = list(range(len(model.region_names)))
    if single_layer:
        return {"head": all_ids}
    hair = [model.region_index(n) for n in HAIR_REGIONS]
    return {"face": [i for i in all_ids if i not in hair], "hair": hair}


def build_part(model, name: str, regions: list[int], map_size: int, density: float, jitter: float,
               seed: int = 0) -> PartGrid:
    """Sample grid of one part (see the module docstring); ``density`` 1 and ``jitter`` 0 = texel centres."""
    face_uvs = model.uv_coords[model.uv_faces]  # [F, 3, 2]
    in_part = np.isin(model.face_regions, regions)
    uv = face_uvs[in_part].reshape(-1, 2)
    s = map_size
    u0, v0 = np.floor(uv.min(0) * s) / s
    u1, v1 = np.ceil(uv.max(0) * s) / s
    ws = max(1, int(round((u1 - u0) * s * density)))
    hs = max(1, int(round((v1 - v0) * s * density)))
    cu = u0 + (np.arange(ws) + 0.5) / ws * (u1 - u0)
    cv = v1 - (np.arange(hs) + 0.5) / hs * (v1 - v0)
    pts = np.stack(np.meshgrid(cu, cv, indexing="xy"), -1)  # [Hs, Ws, 2]
    if jitter > 0:
        rng = np.random.default_rng([seed, hs, ws])
        cell = np.array([(u1 - u0) / ws, (v1 - v0) / hs])
        pts = pts + (rng.random(pts.shape) - 0.5) * jitter * cell
    face, bary = locate_uv(torch.as_tensor(pts.reshape(-1, 2)), torch.as_tensor(face_uvs))
    face, bary = face.numpy(), bary.numpy()
    valid = (face >= 0) & np.isin(model.face_regions[np.maximum(face, 0)], regions)
    index = np.flatnonzero(valid)
    f, w = face[index], bary[index]
    vids = model.faces[f]  # [N, 3]
    interp = lambda a: np.einsum("nk,nk...->n...", w, a[vids])  # noqa: E731
    du, dv = _uv_jacobian(model.template[vids], face_uvs[f])
    grid = np.stack([2 * pts[..., 0] - 1, 1 - 2 * pts[..., 1]], -1)
    f32 = lambda a: torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float32)  # noqa: E731
    return PartGrid(name, f32(grid), torch.as_tensor(valid.reshape(hs, ws)), torch.as_tensor(index),
                    f32(interp(model.template)), f32(du), f32(dv), f32(interp(model.skin_weights)),
                    f32(interp(model.pose_basis)))


def _uv_jacobian(corners: np.ndarray, uvs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """d position / du and d position / dv of the affine map of each triangle ``[N, 3, 3]`` from its UVs."""
    e = corners[:, 1:] - corners[:, :1]  # [N, 2, 3]
    t = uvs[:, 1:] - uvs[:, :1]  # [N, 2, 2]: rows = edges, cols = (du, dv)
    det = t[:, 0, 0] * t[:, 1, 1] - t[:, 0, 1] * t[:, 1, 0]
    det = np.where(np.abs(det) > 1e-14, det, 1e-14)
    inv = np.stack([np.stack([t[:, 1, 1], -t[:, 0, 1]], -1), np.stack([-t[:, 1, 0], t[:, 0, 0]], -1)], 1) / det[:,
                                                                                                           None, None]
    jac = np.einsum("nij,njc->nic", inv, e)  # rows: d/du, d/dv
    return jac[:, 0], jac[:, 1]


def sample_grid(maps: Float[Tensor, "B C S S"], grid: Float[Tensor, "Hs Ws 2"]) -> Float[Tensor, "B C Hs Ws"]:
    """Bilinear samples (float32) of the maps at a part's grid (normalised [-1, 1] coordinates).

    Sampling runs in float32 whatever the maps' dtype or an enclosing autocast: in bf16 the coordinates
    would be quantised to ~0.004 (a texel at 512^2), collapsing densified samples onto texel centres.
    """
    with torch.autocast(maps.device.type, enabled=False):
        g = grid.to(dtype=torch.float32, device=maps.device)[None].expand(maps.shape[0], -1, -1, -1)
        return F.grid_sample(maps.float(), g, mode="bilinear", padding_mode="border", align_corners=False)


def gather_valid(x: Float[Tensor, "B C Hs Ws"], index: Int[Tensor, " N"]) -> Float[Tensor, "B N C"]:
    """The valid cells of a sample grid as a list of Gaussians."""
    return x.flatten(2)[:, :, index].transpose(1, 2)


def uv_derivatives(maps: Float[Tensor, "B C S S"]) -> tuple[Float[Tensor, "B C S S"], Float[Tensor, "B C S S"]]:
    """Central differences of UV maps: d/du (along columns) and d/dv (rows run towards smaller v)."""
    s_v, s_u = maps.shape[-2:]
    p = F.pad(maps, (1, 1, 1, 1), mode="replicate")
    du = (p[..., 1:-1, 2:] - p[..., 1:-1, :-2]) * (s_u / 2.0)
    dv = -(p[..., 2:, 1:-1] - p[..., :-2, 1:-1]) * (s_v / 2.0)
    return du, dv


def neighbour_distance(points: Float[Tensor, "B 3 Hs Ws"], valid: Bool[Tensor, "Hs Ws"], k: int = 3) -> Tensor:
    """Distance to the nearest neighbours among the 8 grid neighbours, ``[B, Hs, Ws]`` (m).

    ``sqrt(mean of the k smallest squared distances)`` to valid neighbours, as 3DGS initialises scales from
    its k = 3 nearest points; cells without a valid neighbour get the median. The grid neighbours are the
    nearest points except across UV seams, where this overestimates slightly; it is O(N), unlike a k-NN search.
    """
    b, _, hs, ws = points.shape
    p = F.pad(points, (1, 1, 1, 1))
    m = F.pad(valid.float()[None, None], (1, 1, 1, 1))[0, 0] > 0
    d2 = []
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dx == 0 and dy == 0:
                continue
            q = p[:, :, 1 + dy : 1 + dy + hs, 1 + dx : 1 + dx + ws]
            ok = m[1 + dy : 1 + dy + hs, 1 + dx : 1 + dx + ws] & valid
            d = ((points - q) ** 2).sum(1)
            d2.append(torch.where(ok[None], d, torch.full_like(d, math.inf)))
    d2 = torch.stack(d2, -1).sort(dim=-1).values[..., :k]
    finite = torch.isfinite(d2)
    mean = torch.where(finite, d2, torch.zeros_like(d2)).sum(-1) / finite.sum(-1).clamp_min(1)
    dist = mean.sqrt()
    has = finite.any(-1) & valid[None]
    fallback = dist[has].median() if has.any() else torch.tensor(1e-3, dtype=dist.dtype)
    return torch.where(has, dist, fallback.to(dist.dtype))


def tangent_frame(t: Float[Tensor, "*B 3"], b: Float[Tensor, "*B 3"]) -> Float[Tensor, "*B 3 3"]:
    """Rotation with columns ``[T/|T|, N x T/|T|, N]``, ``N = T x B / |T x B|``.

    SynShot writes ``[T/|T|, B/|B|, N/|N|]``; T and B are not orthogonal on a stretched chart, so B is
    replaced by its component orthogonal to T (Gram-Schmidt), which keeps the frame a rotation.
    """
    tn = F.normalize(t, dim=-1, eps=1e-12)
    n = F.normalize(torch.linalg.cross(t, b, dim=-1), dim=-1, eps=1e-12)
    bn = torch.linalg.cross(n, tn, dim=-1)
    return torch.stack([tn, bn, n], dim=-1)
