"""Quick-look images of heads, strands and textures (numpy splatting; pillow only to write PNGs).

``render_preview`` draws an orthographic view of a head surface (dense samples, Lambert shaded)
and strand groups (points along every segment, shaded with a Kajiya-Kay-like tangent term) with
a z-buffer. It is for eyeballing assets, not for the dataset (that is Cycles' job).
Images are (H, W, 3) uint8 sRGB, row 0 at the top.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import AssetInputError, check_choice
from .sdf import sample_surface
from .strands import Strands
from .texture import linear_to_srgb8

VIEWS = {  # (right, up, towards the viewer) world axes of each view
    "front": (np.array([1.0, 0, 0]), np.array([0, 0, 1.0]), np.array([0, -1.0, 0])),
    "side": (np.array([0, -1.0, 0]), np.array([0, 0, 1.0]), np.array([-1.0, 0, 0])),
    "back": (np.array([-1.0, 0, 0]), np.array([0, 0, 1.0]), np.array([0, 1.0, 0])),
    "top": (np.array([1.0, 0, 0]), np.array([0, 1.0, 0]), np.array([0, 0, 1.0])),
}


def _splat(img, depth, px, py, z, col, radius=0):
    """Z-buffered point splats: the largest ``z`` (nearest to the viewer) wins each pixel."""
    h, w = depth.shape
    d = depth.reshape(-1)
    im = img.reshape(-1, 3)
    for dx in range(-radius, radius + 1):
        for dy in range(-radius, radius + 1):
            x, y = px + dx, py + dy
            ok = (x >= 0) & (x < w) & (y >= 0) & (y < h)
            flat, zz = y[ok] * w + x[ok], z[ok]
            np.maximum.at(d, flat, zz)
            win = zz >= d[flat]
            im[flat[win]] = col[ok][win]


def _sphere_dirs(n_theta: int, n_phi: int) -> np.ndarray:
    u = np.linspace(0, np.pi, max(n_theta, 3))
    w = np.linspace(0, 2 * np.pi, max(n_phi, 3), endpoint=False)
    U, W = np.meshgrid(u, w, indexing="ij")
    return np.stack([np.sin(U) * np.cos(W), np.sin(U) * np.sin(W), np.cos(U)], -1).reshape(-1, 3)


def body_samples(body, spacing: float = 0.004):
    """Surface points and normals of a ``BodyProxy`` (shoulder capsule and torso ellipsoid), for previews."""
    big = float(np.max(body.torso_radii))
    d = _sphere_dirs(int(np.pi * big / spacing), int(2 * np.pi * big / spacing))
    torso = body.torso_centre + d * body.torso_radii
    tn = d / body.torso_radii
    r = body.shoulder_radius
    ring = _sphere_dirs(int(np.pi * r / spacing), int(2 * np.pi * r / spacing))
    axis = body.shoulder_b - body.shoulder_a
    t = np.linspace(0, 1, max(int(np.linalg.norm(axis) / spacing), 2))[:, None, None]
    caps = (body.shoulder_a + t * axis + r * ring[None, :, :]).reshape(-1, 3)
    cn = np.tile(ring, (t.shape[0], 1))
    pts = np.concatenate([torso, caps])
    nrm = np.concatenate([tn / np.linalg.norm(tn, axis=1, keepdims=True), cn])
    keep = body.query(pts)[0] > -1e-3  # only the outer surface of the union
    return pts[keep], nrm[keep]


def render_preview(vertices, faces, normals, skin_rgb, groups: list[Strands], view: str = "front",
                   size: int = 512, centre=None, extent: float = 0.5, colours: dict | None = None,
                   body=None, vertex_rgb=None) -> np.ndarray:
    """Orthographic preview image (size, size, 3) uint8.

    Args:
        vertices, faces, normals: the head mesh (m). skin_rgb: linear RGB of the skin.
        groups: strand groups to draw. view: 'front', 'side' (subject's right side), 'back' or 'top'.
        size: image edge (px). centre: world point at the image centre (default mesh centre).
        extent: world width (m) covered by the image. colours: group name -> linear RGB override.
        body: an optional ``BodyProxy`` drawn in grey.
        vertex_rgb: optional (V, 3) linear per-vertex colours (e.g. the albedo at each vertex's UV).
    """
    check_choice("view", view, VIEWS)
    right, up, toward = VIEWS[view]
    light = 0.75 * toward + 0.55 * up + 0.35 * right
    light /= np.linalg.norm(light)
    v = np.asarray(vertices, float)
    c = v.mean(0) if centre is None else np.asarray(centre, float)
    scale = size / extent
    img = np.zeros((size, size, 3), np.float32)
    img[:] = np.array([0.82, 0.84, 0.88], np.float32) ** 2.2
    depth = np.full((size, size), -np.inf, np.float32)
    vrgb = None if vertex_rgb is None else np.asarray(vertex_rgb, float)
    pts, nrm, _, att = sample_surface(v, np.asarray(faces), np.asarray(normals, float), 0.9 * extent / size, vrgb)
    shade = np.clip(nrm @ light, 0, 1) * 0.75 + 0.25
    base = np.asarray(skin_rgb, np.float32)[None, :] if att is None else att.astype(np.float32)
    col = base * shade[:, None].astype(np.float32)
    _project_splat(img, depth, pts, col, c, right, up, toward, scale, size, 1)
    if body is not None:
        bp, bn = body_samples(body, 1.5 * extent / size)
        bcol = np.float32(0.25) * (np.clip(bn @ light, 0, 1) * 0.7 + 0.3)[:, None].astype(np.float32) * np.ones(3,
                                                                                                             np.float32)
        _project_splat(img, depth, bp, bcol, c, right, up, toward, scale, size, 1)
    for grp in groups:
        if grp.count == 0:
            continue
        p = grp.points.astype(float)
        seg_len = np.linalg.norm(np.diff(p, axis=1), axis=2).max() if p.shape[1] > 1 else 0.0
        n_sub = int(np.clip(np.ceil(seg_len * scale * 1.5), 1, 12))
        t = np.linspace(0, 1, n_sub, endpoint=False)
        dense = (p[:, :-1, None] * (1 - t)[None, None, :, None] + p[:, 1:, None] * t[None, None, :, None])
        tang = np.repeat(np.diff(p, axis=1)[:, :, None], n_sub, axis=2)
        dense = dense.reshape(-1, 3)
        tang = tang.reshape(-1, 3)
        tang /= np.maximum(np.linalg.norm(tang, axis=1, keepdims=True), 1e-12)
        kk = np.sqrt(np.clip(1 - (tang @ light) ** 2, 0, 1))
        if colours and grp.name in colours:
            base = np.tile(np.asarray(colours[grp.name], np.float32), (grp.count, 1))
        else:
            from .pigments import hair_preview_rgb

            base = hair_preview_rgb(grp.melanin, grp.params.get("melanin_redness", 0.3)).astype(np.float32)
        per_pt = np.repeat(base, (p.shape[1] - 1) * n_sub, axis=0)
        spec = (kk ** 40)[:, None] * 0.25
        colp = per_pt * (0.35 + 0.85 * kk)[:, None] + spec
        _project_splat(img, depth, dense, colp.astype(np.float32), c, right, up, toward, scale, size, 0)
    return linear_to_srgb8(img)


def _project_splat(img, depth, pts, col, c, right, up, toward, scale, size, radius):
    q = pts - c
    px = np.round(q @ right * scale + size / 2).astype(np.int64)
    py = np.round(size / 2 - q @ up * scale).astype(np.int64)
    _splat(img, depth, px, py, (q @ toward).astype(np.float32), col, radius)


def save_png(path, image: np.ndarray) -> Path:
    """Write a (H, W, 3|4) uint8 image as PNG (needs pillow, imported here only)."""
    try:
        from PIL import Image
    except ImportError as exc:  # pragma: no cover - pillow is optional in Blender
        raise AssetInputError("save_png: pillow is not installed; it is only needed for preview PNGs") from exc
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(image, np.uint8)).save(path)
    return path


def grid(images: list[np.ndarray], columns: int, pad: int = 4) -> np.ndarray:
    """Tile equally sized (H, W, 3) uint8 images into one sheet, row-major."""
    if not images:
        raise AssetInputError("grid: no images")
    h, w = images[0].shape[:2]
    rows = (len(images) + columns - 1) // columns
    out = np.full((rows * (h + pad) + pad, columns * (w + pad) + pad, 3), 255, np.uint8)
    for i, im in enumerate(images):
        r, c = divmod(i, columns)
        out[pad + r * (h + pad):pad + r * (h + pad) + h, pad + c * (w + pad):pad + c * (w + pad) + w] = im[..., :3]
    return out
