"""How much of the face's eyes-nose-mouth region strands hide in the rig's front cameras (numpy only).

The **face core** (``anatomy.in_face_core``) is a fixed patch of the head: the convex hull of both
eyes and the mouth in the anatomical frame's (``lat``, ``up``) plane, in front of the face; the
nose lies inside it, the forehead, brows (so a fringe), outer cheeks and chin do not.

For each camera the head mesh (every face: skin, eyeballs, mouth) is z-buffered with
``synthetic.raster``; the **region** is the pixels whose visible surface point lies in the face core
(so it follows occlusion: a far eye hidden by the nose is not counted). A region pixel is **covered**
when a strand passes in front of the visible surface there:

* ``width_px`` a number (default 1.0, conservative): each strand is an opaque line that wide; a pixel
  is covered (1) or not (0). Suits the 5k-strand 'preview' quality, whose 1-px lines hide about as
  much as 60k rendered fibres of ~0.06-0.12 px.
* ``width_px=None``: each strand is as wide as its fibre (``2 * radius`` projected); a pixel's
  opacity is ``1 - exp(-A)``, ``A`` the strand area (px^2) in front of the surface there (what a
  renderer's alpha would be for independent fibres). Needs ``strand_radius``.

The covered fraction of a camera is the mean coverage over its region pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..raster import perspective_barycentrics, rasterize_triangles
from ..rig import N_FRONT, RigCamera, RigSettings, build_rig, project_points
from .anatomy import Landmarks, in_face_core
from .errors import AssetInputError, as_faces, as_points

SAMPLE_STEP_PX = 0.5
"""Strands are sampled at most this far apart along their projected length (pixels)."""


def front_cameras(settings: RigSettings | None = None) -> list[RigCamera]:
    """The rig's 14 front cameras without per-identity jitter (default: 256x256 images)."""
    s = settings or RigSettings(width=256, height=256)
    return build_rig(s)[:N_FRONT]


@dataclass
class FaceCoverage:
    """Per camera: ``names`` (C,), ``fraction`` (C,) covered share of the region in [0, 1] (NaN when
    the camera sees no face core), ``region_px`` (C,) region size in pixels."""

    names: list
    fraction: np.ndarray
    region_px: np.ndarray

    def worst(self) -> float:
        """Largest covered fraction over the cameras that see the face core."""
        return float(np.nanmax(self.fraction))


def face_coverage(strand_points: np.ndarray, head_vertices: np.ndarray, head_faces: np.ndarray,
                  landmarks: Landmarks, cameras: list[RigCamera] | None = None, width_px: float | None = 1.0,
                  strand_radius: np.ndarray | None = None) -> FaceCoverage:
    """Covered fraction of the face core in each camera (see the module docstring).

    Args:
        strand_points: (S, P, 3) polylines in m (head hair; S may be 0).
        head_vertices: (V, 3) m and head_faces: (F, 3) int: the mesh that hides strands behind it
            (the whole head: skin, eyes, mouth).
        landmarks: the head's landmarks (place the face core).
        cameras: ``RigCamera`` list (default ``front_cameras()``: 14 views at 256x256).
        width_px: line width in pixels (binary coverage), or None for fibre width (opacity).
        strand_radius: (S, P) m, fibre radius; required when ``width_px`` is None.
    """
    pts = np.asarray(strand_points, float)
    if pts.ndim != 3 or pts.shape[2] != 3 or (pts.shape[0] and pts.shape[1] < 2) or not np.isfinite(pts).all():
        raise AssetInputError(f"strand_points: expected finite (S, P >= 2, 3) metres, got {pts.shape}")
    verts = as_points("head_vertices", head_vertices)
    faces = as_faces("head_faces", head_faces, len(verts))
    if not isinstance(landmarks, Landmarks):
        raise AssetInputError(f"landmarks: expected synthetic.assets.anatomy.Landmarks, got {type(landmarks)}")
    if width_px is None:
        rad = np.asarray(strand_radius if strand_radius is not None else np.nan, float)
        if rad.shape != pts.shape[:2] or not np.all(np.isfinite(rad) & (rad >= 0)):
            raise AssetInputError(f"strand_radius: expected non-negative (S, P) = {pts.shape[:2]} metres with "
                                  "width_px=None")
    elif not (np.isfinite(width_px) and 0 < width_px <= 16):
        raise AssetInputError(f"width_px: expected a width in (0, 16] pixels or None, got {width_px!r}")
    cams = front_cameras() if cameras is None else list(cameras)
    if not cams:
        raise AssetInputError("cameras: expected at least one camera")
    core = in_face_core(verts, landmarks)
    fractions, sizes = [], []
    for cam in cams:
        region, depth = _region(verts, faces, core, landmarks, cam)
        cover = np.zeros(region.shape) if not len(pts) else _strand_cover(
            pts, None if width_px is None else float(width_px), strand_radius, cam, region, depth)
        n = int(region.sum())
        sizes.append(n)
        fractions.append(float(cover[region].mean()) if n else np.nan)
    return FaceCoverage([c.name for c in cams], np.asarray(fractions), np.asarray(sizes))


def _region(verts, faces, core, landmarks, cam):
    """(H, W) region mask and (H, W) depth (m, inf where empty) of one camera."""
    xy, z = project_points(verts, cam.K, cam.w2c)
    near = core[faces].any(1)  # only faces touching the core can hold region pixels, but all occlude
    face, bary, depth = rasterize_triangles(xy[faces], cam.width, cam.height, z[faces])
    hit = face >= 0
    region = np.zeros(hit.shape, bool)
    cand = hit & near[np.maximum(face, 0)]
    f = face[cand]
    w = perspective_barycentrics(bary[cand], z[faces[f]])
    p = np.einsum("nk,nkc->nc", w, verts[faces[f]])
    region[cand] = in_face_core(p, landmarks)
    return region, depth


def _strand_cover(pts, width_px, radius, cam, region, depth):
    """(H, W) coverage in [0, 1] of strands in front of the surface (see ``face_coverage``)."""
    h, w = region.shape
    ys, xs = np.nonzero(region)
    if len(ys) == 0:
        return np.zeros(region.shape)
    lo, hi = np.array([xs.min(), ys.min()]) - 2.0, np.array([xs.max(), ys.max()]) + 3.0
    xy, z = project_points(pts, cam.K, cam.w2c)
    a, b = xy[:, :-1].reshape(-1, 2), xy[:, 1:].reshape(-1, 2)
    za, zb = z[:, :-1].ravel(), z[:, 1:].ravel()
    keep = (np.minimum(a, b) <= hi).all(1) & (np.maximum(a, b) >= lo).all(1) & (za > 1e-3) & (zb > 1e-3)
    if width_px is None:
        r = np.asarray(radius, float)
        ra, rb = r[:, :-1].ravel()[keep], r[:, 1:].ravel()[keep]
    a, b, za, zb = a[keep], b[keep], za[keep], zb[keep]
    length = np.linalg.norm(b - a, axis=1)
    n_sub = np.maximum(np.ceil(length / SAMPLE_STEP_PX).astype(np.int64), 1)
    seg = np.repeat(np.arange(len(a)), n_sub)
    t = (np.arange(len(seg)) - np.repeat(np.cumsum(n_sub) - n_sub, n_sub) + 0.5) / n_sub[seg]
    p = a[seg] + t[:, None] * (b[seg] - a[seg])
    zs = za[seg] + t * (zb[seg] - za[seg])
    if width_px is None:  # fibre area deposited by each sample: step length x projected diameter
        area = (length / n_sub)[seg] * 2.0 * (ra[seg] + t * (rb[seg] - ra[seg])) * cam.K[0, 0] / zs
        offsets = np.zeros((1, 2), np.int64)
    else:
        k = int(np.ceil(width_px / 2.0))
        grid = np.stack(np.meshgrid(np.arange(-k, k + 1), np.arange(-k, k + 1)), -1).reshape(-1, 2)
        offsets = grid[(np.abs(grid) <= max(width_px / 2.0 - 0.5, 0.0)).all(1) | (grid == 0).all(1)]
    acc = np.zeros(h * w)
    base = np.floor(p).astype(np.int64)
    for off in offsets:
        q = base + off
        ok = (q[:, 0] >= 0) & (q[:, 0] < w) & (q[:, 1] >= 0) & (q[:, 1] < h)
        pix = q[ok, 1] * w + q[ok, 0]
        front = region.ravel()[pix] & (zs[ok] < depth.ravel()[pix])
        if width_px is None:
            np.add.at(acc, pix[front], area[ok][front])
        else:
            acc[pix[front]] = 1.0
    acc = acc.reshape(h, w)
    return 1.0 - np.exp(-acc) if width_px is None else acc
