"""Texture back-projection: colour a mesh's UV texture from calibrated RGBA views (numpy only).

For every texel, its 3D point and normal come from rasterising the UV triangles; each view then
contributes the colour seen at the texel's projection when the texel is (a) in front of the camera
and facing it, (b) not hidden by the mesh itself (checked against a z-buffer of the same mesh in
that view) and (c) on the foreground (alpha). Samples are blended with weight
``max(cos, 0) ** cos_power * alpha`` where ``cos`` is the cosine between the surface normal and the
direction to the camera. Texels no view saw are filled by push-pull so the texture has no black
holes at seams; the coverage mask stays honest (True only where a view contributed).

The same function back-projects synthetic renders (SynShot's ``x_tex`` encoder input) and, later,
real photos with fitted cameras.

Conventions: metres, world = model frame. Cameras are OpenCV (``K`` 3x3 pixels, pixel centres at
+0.5; ``w2c`` 4x4). Images are ``[H, W, 4]`` float in [0, 1], row 0 = top, straight (not
premultiplied) alpha; colours are blended in whatever encoding the images use (sRGB in, sRGB out).
UVs have (0, 0) at the bottom-left (Blender); returned textures are arrays with row 0 = top,
i.e. texel ``(row, col)`` has its centre at ``u = (col + 0.5) / R``, ``v = 1 - (row + 0.5) / R``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from .raster import perspective_barycentrics, rasterize_triangles, uv_to_raster  # noqa: F401
from .rig import project_points


# the rasteriser lives in synthetic.raster; re-exported here for callers of this module


def sample_bilinear(image: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Bilinear lookup of ``image`` ``[H, W, C]`` at pixel coords ``xy`` ``[N, 2]`` (centres at +0.5, clamped)."""
    h, w = image.shape[:2]
    x = np.clip(xy[:, 0] - 0.5, 0.0, w - 1.0)
    y = np.clip(xy[:, 1] - 0.5, 0.0, h - 1.0)
    x0 = np.minimum(x.astype(np.int64), w - 2) if w > 1 else np.zeros(len(x), np.int64)
    y0 = np.minimum(y.astype(np.int64), h - 2) if h > 1 else np.zeros(len(y), np.int64)
    fx, fy = (x - x0)[:, None], (y - y0)[:, None]
    x1, y1 = np.minimum(x0 + 1, w - 1), np.minimum(y0 + 1, h - 1)
    top = image[y0, x0] * (1 - fx) + image[y0, x1] * fx
    bottom = image[y1, x0] * (1 - fx) + image[y1, x1] * fx
    return top * (1 - fy) + bottom * fy


# ----------------------------------------------------------------------------- back-projection
@dataclass(frozen=True)
class View:
    """One calibrated image: ``image`` ``[H, W, 4]`` float RGBA in [0, 1] (``[H, W, 3]`` = opaque),
    ``K`` ``[3, 3]`` pixels, ``w2c`` ``[4, 4]`` OpenCV world-to-camera (m)."""

    image: np.ndarray
    K: np.ndarray
    w2c: np.ndarray


@dataclass(frozen=True)
class BackprojectOptions:
    cos_power: float = 3.0
    """Exponent p of the view weight cos(normal, direction to camera) ** p."""
    min_cos: float = 0.1
    """Samples seen at a grazing angle with a smaller cosine are ignored."""
    alpha_min: float = 0.5
    """Samples whose alpha is below this are background and ignored."""
    depth_scale: float = 0.5
    """Resolution of the visibility z-buffer relative to the images (0.5 = half)."""
    depth_tolerance: float = 0.001
    """Metres (plus 0.05 % of the depth, plus the depth change of the texel's surface across half a
    z-buffer pixel) a texel may lie behind the visible surface and still count as visible."""
    # Surfaces closer together than the tolerance (an ear's base sunk 1 mm into the scalp, an iris
    # under the cornea) are not told apart: texels there take the colour of whichever is in front.
    fill: bool = True
    """Fill texels no view saw by push-pull (the mask is unaffected)."""
    trust_edge_px: float = 8.0
    """Image pixels inside the foreground's outline (alpha >= ``alpha_min``) over which a view's trust in a texel
    (the ``weight`` ``with_weight`` returns, not the blending or the mask) ramps up linearly, from 1 / px on the
    outline pixel (a seen texel keeps some weight): colour there mixes the fit's error with the background and
    whatever lies beside the head (a photo's hair proxy is fitted to the person's outline, and its folds there took
    a flag's stripes and glasses' arms). 0: no ramp."""


@dataclass(frozen=True)
class TexelSurface:
    """Surface samples of the texels a UV layout covers (row 0 = top, see module doc).

    ``rows``, ``cols`` ``[N]``; ``face`` ``[N]`` mesh face; ``points`` ``[N, 3]`` (m); ``normals`` ``[N, 3]`` unit.
    """

    resolution: int
    rows: np.ndarray
    cols: np.ndarray
    face: np.ndarray
    points: np.ndarray
    normals: np.ndarray


def vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Unit area-weighted vertex normals ``[V, 3]`` (outward for counter-clockwise faces seen from outside)."""
    tri = vertices[faces]
    fn = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])  # length = twice the area
    n = np.zeros_like(vertices)
    for k in range(3):
        for c in range(3):
            n[:, c] += np.bincount(faces[:, k], weights=fn[:, c], minlength=len(vertices))
    return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-20)


def texel_surface(vertices, faces, uv_coords, uv_faces, resolution: int) -> TexelSurface:
    """3D point and interpolated vertex normal at every texel centre covered by a UV triangle."""
    v = np.asarray(vertices, dtype=np.float64)
    faces = np.asarray(faces, dtype=np.int64)
    tri_uv = uv_to_raster(np.asarray(uv_coords)[np.asarray(uv_faces, dtype=np.int64)], resolution)  # v flipped
    face_id, bary, _ = rasterize_triangles(tri_uv, resolution, resolution)
    rows, cols = np.nonzero(face_id >= 0)
    f = face_id[rows, cols]
    b = bary[rows, cols]  # UV space is affine to the triangle: linear barycentrics are exact
    corners = faces[f]
    points = np.einsum("nk,nkc->nc", b, v[corners])
    n = np.einsum("nk,nkc->nc", b, vertex_normals(v, faces)[corners])
    n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-20)
    return TexelSurface(resolution, rows, cols, f, points, n)


def _seen_faces(buf_face: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Faces the z-buffer shows around continuous buffer coords ``q`` ``[N, 2]``: ``[N, 5]``, column 0 the
    pixel containing the point, then the 2x2 pixels whose centres surround it (-1 = empty)."""
    bh, bw = buf_face.shape
    col, row = np.floor(q[:, 0]).astype(np.int64), np.floor(q[:, 1]).astype(np.int64)
    c0, r0 = np.floor(q[:, 0] - 0.5).astype(np.int64), np.floor(q[:, 1] - 0.5).astype(np.int64)
    cols = np.stack([col, c0, c0 + 1, c0, c0 + 1], axis=1).clip(0, bw - 1)
    rows = np.stack([row, r0, r0, r0 + 1, r0 + 1], axis=1).clip(0, bh - 1)
    return buf_face[rows, cols]


def inside_steps(inside: np.ndarray, steps: int) -> np.ndarray:
    """How many 3x3 erosions each pixel of the bool mask ``inside`` ``[H, W]`` survives, capped at ``steps``:
    ``[H, W]`` int, 0 outside, 1 on the outline, ``k`` about ``k`` pixels (Chebyshev) inside it."""
    depth = np.zeros(inside.shape, np.int64)
    cur = inside.copy()
    for _ in range(steps):
        if not cur.any():
            break
        depth += cur
        p = np.pad(cur, 1, constant_values=False)
        h, w = cur.shape
        cur = np.logical_and.reduce([p[dy:dy + h, dx:dx + w] for dy in range(3) for dx in range(3)])
    return depth


def visible_samples(surface: TexelSurface, vertices, faces, view: View, opts: BackprojectOptions):
    """Which texels ``view`` sees and how well: returns ``(index [M], rgb [M, 3], weight [M], edge [M])``, edge in
    [0, 1] ramping up from the foreground's outline in this view (:attr:`BackprojectOptions.trust_edge_px`)."""
    v = np.asarray(vertices, dtype=np.float64)
    faces = np.asarray(faces, dtype=np.int64)
    h, w = view.image.shape[:2]
    xy, z = project_points(surface.points, view.K, view.w2c)
    centre = -view.w2c[:3, :3].T @ view.w2c[:3, 3]
    to_cam = centre - surface.points
    cos = np.einsum("nc,nc->n", surface.normals, to_cam) / np.maximum(np.linalg.norm(to_cam, axis=1), 1e-12)
    ok = (cos >= opts.min_cos) & (z > 1e-6) & (xy[:, 0] >= 0) & (xy[:, 0] < w) & (xy[:, 1] >= 0) & (xy[:, 1] < h)
    idx = np.nonzero(ok)[0]
    # z-buffer of the mesh in this view at reduced resolution (continuous coords scale by depth_scale)
    s = opts.depth_scale
    bw, bh = max(1, int(round(w * s))), max(1, int(round(h * s)))
    vxy, vz = project_points(v, view.K, view.w2c)
    tri_xy, tri_z = vxy[faces] * [bw / w, bh / h], vz[faces]
    buf_face, _, _ = rasterize_triangles(tri_xy, bw, bh, tri_z)
    q = xy[idx] * [bw / w, bh / h]
    around = _seen_faces(buf_face, q)
    # seen: the face at the containing pixel or, where that is empty (a silhouette pixel whose centre
    # missed the mesh), the first non-empty one of the 2x2 pixels around the point
    seen = around[np.arange(len(q)), np.argmax(around >= 0, axis=1)]
    own = np.any(around == surface.face[idx, None], axis=1)  # the texel's own face shows up right there
    hit = seen >= 0
    idx, q, seen, own = idx[hit], q[hit], seen[hit], own[hit]
    # otherwise compare with the depth of the surface seen there, evaluated exactly at the texel's
    # projection on the seen face's plane (1/z interpolated with the point's barycentrics) rather than
    # at the buffer pixel's centre, so a tight tolerance works on smooth surfaces
    p = tri_xy[seen]
    d0, d1 = p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]
    det = d0[:, 0] * d1[:, 1] - d0[:, 1] * d1[:, 0]
    r = q - p[:, 0]
    safe = np.where(np.abs(det) < 1e-12, 1e-12, det)
    b1 = np.clip((r[:, 0] * d1[:, 1] - r[:, 1] * d1[:, 0]) / safe, -0.5, 1.5)
    b2 = np.clip((d0[:, 0] * r[:, 1] - d0[:, 1] * r[:, 0]) / safe, -0.5, 1.5)
    inv_z = (1.0 - b1 - b2) / tri_z[seen, 0] + b1 / tri_z[seen, 1] + b2 / tri_z[seen, 2]
    z_seen = 1.0 / np.maximum(inv_z, 1e-12)
    zt = z[idx]
    # tolerance: absolute + relative, plus how much the texel's own surface changes depth across half a
    # buffer pixel (footprint zt / f_buffer times tan of the viewing angle): grazing texels near a
    # silhouette project within a pixel of surface points much nearer or farther than themselves
    c = cos[idx]
    slope = 0.5 * zt / (view.K[0, 0] * bw / w) * np.sqrt(1.0 - c * c) / c
    vis = own | (zt <= z_seen + opts.depth_tolerance + 0.0005 * zt + slope)
    idx = idx[vis]
    img = np.asarray(view.image, dtype=np.float64)
    if img.shape[2] == 3:
        img = np.concatenate([img, np.ones(img.shape[:2] + (1,))], axis=2)
    rgba = sample_bilinear(img, xy[idx])
    alpha = rgba[:, 3]
    fg = alpha >= opts.alpha_min
    idx, rgba = idx[fg], rgba[fg]
    weight = np.maximum(cos[idx], 0.0) ** opts.cos_power * rgba[:, 3]
    edge = np.ones(len(idx))
    steps = int(round(opts.trust_edge_px))
    if steps > 0:
        depth = inside_steps(img[..., 3] >= opts.alpha_min, steps)
        px = np.floor(xy[idx]).astype(np.int64)
        edge = np.maximum(depth[px[:, 1].clip(0, h - 1), px[:, 0].clip(0, w - 1)], 1) / steps  # > 0: seen
    return idx, rgba[:, :3], weight, edge


def push_pull(color: np.ndarray, weight: np.ndarray, levels: int = 12) -> np.ndarray:
    """Fill texels with ``weight == 0`` from coarser averages (push-pull); known texels keep their colour.

    ``color`` ``[R, R, C]``, ``weight`` ``[R, R]`` >= 0. Returns ``[R, R, C]``.
    """
    def down(c, w):
        h, wd = c.shape[:2]
        if h % 2 or wd % 2:  # pad odd sizes with empty texels
            c = np.pad(c, ((0, h % 2), (0, wd % 2), (0, 0)))
            w = np.pad(w, ((0, h % 2), (0, wd % 2)))
        cw = (c * w[..., None]).reshape(c.shape[0] // 2, 2, c.shape[1] // 2, 2, -1).sum(axis=(1, 3))
        ws = w.reshape(w.shape[0] // 2, 2, w.shape[1] // 2, 2).sum(axis=(1, 3))
        return cw / np.maximum(ws, 1e-12)[..., None], np.minimum(ws, 1.0)

    pyramid = [(color, (weight > 0).astype(np.float64))]
    while len(pyramid) < levels and min(pyramid[-1][0].shape[:2]) > 1:
        pyramid.append(down(*pyramid[-1]))
    filled = pyramid[-1][0]
    for c, w in reversed(pyramid[:-1]):
        up = _smooth(np.repeat(np.repeat(filled, 2, axis=0), 2, axis=1))[: c.shape[0], : c.shape[1]]
        filled = c * w[..., None] + up * (1.0 - w[..., None])
    return filled


def _smooth(a: np.ndarray) -> np.ndarray:
    """Separable [1, 2, 1] / 4 blur of ``[H, W, C]`` (edges repeated): turns block upsampling into a ramp."""
    p = np.pad(a, ((1, 1), (0, 0), (0, 0)), mode="edge")
    a = 0.25 * p[:-2] + 0.5 * p[1:-1] + 0.25 * p[2:]
    p = np.pad(a, ((0, 0), (1, 1), (0, 0)), mode="edge")
    return 0.25 * p[:, :-2] + 0.5 * p[:, 1:-1] + 0.25 * p[:, 2:]


def backproject(vertices, faces, uv_coords, uv_faces, views: Sequence[View], resolution: int = 512,
                options: BackprojectOptions | None = None, with_weight: bool = False) -> tuple[np.ndarray, ...]:
    """Back-project ``views`` onto the mesh's UV texture.

    Args:
        vertices: ``[V, 3]`` (m, same world frame as the cameras); faces: ``[F, 3]`` vertex indices.
        uv_coords: ``[T, 2]`` UVs, (0, 0) = bottom-left; uv_faces: ``[F, 3]`` indices into ``uv_coords``.
        views: calibrated RGBA images (:class:`View`).
        resolution: texture size R (texels, square).
        options: :class:`BackprojectOptions` (defaults when None).
        with_weight: also return how squarely, and how far inside the foreground's outline, the best view saw each
            texel.

    Returns:
        ``texture`` ``[R, R, 3]`` float in the images' encoding (row 0 = top, v = 1), and ``mask``
        ``[R, R]`` bool, True where at least one view contributed; with ``with_weight`` also ``weight``
        ``[R, R]`` float in [0, 1], the largest blending weight ``cos ** cos_power * alpha`` any one view gave the
        texel times that view's ramp up from the foreground's outline (``options.trust_edge_px``; 0 where none saw
        it, 1 = seen head-on well inside the outline): how far its colour can be trusted.
    """
    v = np.asarray(vertices, dtype=np.float64)
    return backproject_posed([v] * len(views), faces, uv_coords, uv_faces, views, resolution, options, with_weight)


def backproject_posed(meshes: Sequence[np.ndarray], faces, uv_coords, uv_faces, views: Sequence[View],
                      resolution: int = 512, options: BackprojectOptions | None = None,
                      with_weight: bool = False) -> tuple[np.ndarray, ...]:
    """:func:`backproject` with one mesh pose per view (``meshes[i]`` ``[V, 3]`` is the surface ``views[i]``
    saw, e.g. the head in that frame's expression); all meshes share ``faces`` and the UV layout, so every
    view lands in the same texels. The same array object passed for several views is rasterised once."""
    if len(meshes) != len(views):
        raise ValueError(f"backproject_posed: {len(meshes)} meshes for {len(views)} views")
    opts = options or BackprojectOptions()
    view_opts = opts if with_weight else replace(opts, trust_edge_px=0.0)  # the ramp only feeds the weight
    surfaces: dict[int, TexelSurface] = {}
    acc = wsum = best = None
    rows = cols = None
    for mesh, view in zip(meshes, views):
        if id(mesh) not in surfaces:
            surfaces[id(mesh)] = texel_surface(mesh, faces, uv_coords, uv_faces, resolution)
        surface = surfaces[id(mesh)]
        if acc is None:  # texel rows/cols depend on the UV layout only, the same for every mesh
            rows, cols = surface.rows, surface.cols
            acc, wsum, best = np.zeros((len(rows), 3)), np.zeros(len(rows)), np.zeros(len(rows))
        idx, rgb, w, edge = visible_samples(surface, mesh, faces, view, view_opts)
        wsum[idx] += w  # idx has no duplicates, so fancy-index accumulation is exact
        best[idx] = np.maximum(best[idx], w * edge)
        acc[idx] += rgb * w[:, None]
    color = np.zeros((resolution, resolution, 3))
    weight = np.zeros((resolution, resolution))
    if acc is not None:
        covered = wsum > 0
        color[rows[covered], cols[covered]] = acc[covered] / wsum[covered, None]
        weight[rows[covered], cols[covered]] = best[covered]
    mask = weight > 0  # every sample's weight and outline ramp are > 0
    if opts.fill:
        color = push_pull(color, mask.astype(np.float64))
    color = np.clip(color, 0.0, 1.0)
    return (color, mask, np.clip(weight, 0.0, 1.0)) if with_weight else (color, mask)


def head_proxy_vertices(model, vertices: np.ndarray, proxy_offsets_m: np.ndarray | None) -> np.ndarray:
    """The head mesh pushed out along its vertex normals by the hair/beard proxy offsets.

    Args:
        model: a :class:`synthetic.head.HeadModel` (its ``normals``).
        vertices: ``[V, 3]`` posed head-model vertices (m).
        proxy_offsets_m: ``[V]`` offsets (m) along the normals (identity.json ``proxy_offsets_m``), or None = 0.

    Returns:
        ``[V, 3]`` proxy surface vertices (m).
    """
    v = np.asarray(vertices, dtype=np.float64)
    if proxy_offsets_m is None:
        return v
    return v + model.normals(vertices=v) * np.asarray(proxy_offsets_m, dtype=np.float64)[:, None]


def backproject_head(model, vertices, views: Sequence[View], proxy_offsets_m: np.ndarray | None = None,
                     resolution: int = 512, options: BackprojectOptions | None = None, with_weight: bool = False):
    """Back-project views onto the head model's UV atlas through the posed mesh plus hair proxy.

    The dataset renderer (``backprojected.png``) and photo preparation (few-shot inversion's texture)
    both go through this function.

    Args:
        model: a :class:`synthetic.head.HeadModel` (faces, UV layout, normals).
        vertices: ``[V, 3]`` posed vertices (m) shared by every view, or a sequence of them, one per view.
        views: calibrated RGBA images (:class:`View`).
        proxy_offsets_m: ``[V]`` hair/beard proxy offsets (m) along the posed vertex normals, or None.
        resolution: texture size R.
        options: :class:`BackprojectOptions`.
        with_weight: also return the best view's weight per texel, as :func:`backproject`.

    Returns:
        ``texture`` ``[R, R, 3]`` (row 0 = top) and ``mask`` ``[R, R]`` bool (and ``weight``), as :func:`backproject`.
    """
    shared = isinstance(vertices, np.ndarray) and vertices.ndim == 2
    if shared:
        proxy = head_proxy_vertices(model, vertices, proxy_offsets_m)
        meshes = [proxy] * len(views)
    else:
        if len(vertices) != len(views):
            raise ValueError(f"backproject_head: {len(vertices)} meshes for {len(views)} views")
        cache: dict[int, np.ndarray] = {}
        for v in vertices:  # the same pose array for several views: one proxy, one rasterisation
            if id(v) not in cache:
                cache[id(v)] = head_proxy_vertices(model, v, proxy_offsets_m)
        meshes = [cache[id(v)] for v in vertices]
    return backproject_posed(meshes, model.faces, model.uv_coords, model.uv_faces, views, resolution, options,
                             with_weight)
