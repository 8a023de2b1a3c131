"""A small pure-numpy z-buffer renderer for previews (Lambert + Blinn-Phong, optional albedo).

Not a production renderer: one directional key light, a fill light and ambient, per-pixel
interpolated normals, no shadows. Enough for a person to judge a head's shape.

Frames: world = the head model's frame (m, Z up, face along -Y). The camera is built by
:func:`orbit_camera` and follows OpenCV conventions (x right, y down, z forward); images are
``[H, W, 3]`` float in [0, 1], row 0 on top.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..raster import perspective_barycentrics, rasterize_triangles


@dataclass(frozen=True)
class Camera:
    """Pinhole camera: ``w2c`` 4x4 world-to-camera (OpenCV axes), focal length and size in pixels."""

    w2c: np.ndarray
    focal: float
    width: int
    height: int


def orbit_camera(yaw_deg: float, pitch_deg: float, distance: float, target, width: int, height: int,
                 fov_deg: float = 18.0) -> Camera:
    """Camera on a sphere around ``target`` (m). Yaw 0 looks at the face from the front (camera on
    -Y looking along +Y); positive yaw moves the camera toward the subject's left (+X)."""
    yaw, pitch = np.radians(yaw_deg), np.radians(pitch_deg)
    target = np.asarray(target, float)
    eye = target + distance * np.array([np.sin(yaw) * np.cos(pitch), -np.cos(yaw) * np.cos(pitch), np.sin(pitch)])
    forward = (target - eye) / np.linalg.norm(target - eye)
    right = np.cross(forward, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    rot = np.stack([right, down, forward])
    w2c = np.eye(4)
    w2c[:3, :3] = rot
    w2c[:3, 3] = -rot @ eye
    focal = 0.5 * height / np.tan(np.radians(fov_deg) * 0.5)
    return Camera(w2c, float(focal), int(width), int(height))


def world_to_pixels(points: np.ndarray, cam: Camera) -> tuple[np.ndarray, np.ndarray]:
    """Project world points ``[N, 3]`` -> pixel coords ``[N, 2]`` (x right, y down) and depth ``[N]`` (m)."""
    pc = points @ cam.w2c[:3, :3].T + cam.w2c[:3, 3]
    z = pc[:, 2]
    xy = cam.focal * pc[:, :2] / np.maximum(z, 1e-6)[:, None] + np.array([cam.width, cam.height]) * 0.5
    return xy, z


def rasterize(vertices: np.ndarray, faces: np.ndarray, cam: Camera):
    """Z-buffer: per pixel the nearest face id ``[H, W]`` (-1 = background) and barycentrics ``[H, W, 3]``."""
    xy, z = world_to_pixels(vertices, cam)
    tri_z = z[faces]
    ids, bary, _ = rasterize_triangles(xy[faces], cam.width, cam.height, tri_z)
    hit = ids >= 0
    bary[hit] = perspective_barycentrics(bary[hit], tri_z[ids[hit]])
    return ids, bary


def shade(
    vertices: np.ndarray,
    faces: np.ndarray,
    normals: np.ndarray,
    cam: Camera,
    albedo: np.ndarray | None = None,
    face_albedo: np.ndarray | None = None,
    background=(0.93, 0.93, 0.93),
    specular: float = 0.25,
    return_depth: bool = False,
):
    """Render an RGB image ``[H, W, 3]`` in [0, 1] (sRGB-ish gamma applied).

    ``albedo`` ``[V, 3]`` per-vertex or ``face_albedo`` ``[F, 3]`` per-face linear colours; grey if neither.
    With ``return_depth`` also returns the camera-space depth ``[H, W]`` (m, inf on the background).
    """
    ids, bary = rasterize(vertices, faces, cam)
    img = np.empty((cam.height, cam.width, 3))
    img[:] = np.asarray(background, float)
    hit = ids >= 0
    f = faces[ids[hit]]
    b = bary[hit]
    nrm = np.einsum("pk,pkc->pc", b, normals[f])
    nrm /= np.maximum(np.linalg.norm(nrm, axis=-1, keepdims=True), 1e-12)
    pos = np.einsum("pk,pkc->pc", b, vertices[f])
    if albedo is not None:
        col = np.einsum("pk,pkc->pc", b, albedo[f])
    elif face_albedo is not None:
        col = face_albedo[ids[hit]]
    else:
        col = np.full((len(f), 3), 0.6)
    cam_pos = -cam.w2c[:3, :3].T @ cam.w2c[:3, 3]
    view = cam_pos - pos
    view /= np.linalg.norm(view, axis=-1, keepdims=True)
    nrm = np.where(np.sum(nrm * view, axis=-1, keepdims=True) < 0, -nrm, nrm)  # back faces seen from inside
    # lights in camera-relative world directions: key from upper left-front, fill from the right
    right, down, fwd = cam.w2c[:3, :3]
    key = -fwd * 0.75 - down * 0.55 - right * 0.45
    fill = -fwd * 0.8 + right * 0.6 - down * 0.1
    out = np.zeros_like(col)
    for light, power in ((key, 0.85), (fill, 0.3)):
        light = light / np.linalg.norm(light)
        lam = np.clip(nrm @ light, 0.0, None)
        half = light + view
        half /= np.linalg.norm(half, axis=-1, keepdims=True)
        spec = np.clip(np.sum(nrm * half, axis=-1), 0.0, None) ** 40
        out += power * (col * lam[:, None] + specular * spec[:, None] * (lam[:, None] > 0))
    out += 0.18 * col
    img[hit] = np.clip(out, 0.0, 1.0) ** (1.0 / 2.2)
    if return_depth:
        depth = np.full(ids.shape, np.inf)
        depth[hit] = world_to_pixels(pos, cam)[1]
        return img, depth
    return img


def draw_strands(img: np.ndarray, depth: np.ndarray, points: np.ndarray, rgb, cam: Camera) -> np.ndarray:
    """Draw polylines ``[N, P, 3]`` (m) as depth-tested 1-pixel samples with a Kajiya-Kay-like shade.

    ``rgb`` is one linear colour ``[3]`` or one per strand ``[N, 3]``; returns a new image.
    """
    out = img.copy()
    zbuf = depth.copy()
    p = np.asarray(points, float)
    if p.ndim != 3 or p.shape[1] < 2:
        return out
    seg = p[:, 1:] - p[:, :-1]
    steps = 4
    t = (np.arange(steps) + 0.5) / steps
    pts = (p[:, :-1, None] + seg[:, :, None] * t[None, None, :, None]).reshape(-1, 3)
    tang = np.repeat(seg / np.maximum(np.linalg.norm(seg, axis=-1, keepdims=True), 1e-12), steps, axis=1)
    tang = tang.reshape(-1, 3)
    col = np.broadcast_to(np.asarray(rgb, float), (p.shape[0], 3))
    col = np.repeat(col, (p.shape[1] - 1) * steps, axis=0)
    right, down, fwd = cam.w2c[:3, :3]
    light = -fwd * 0.75 - down * 0.55 - right * 0.45
    light /= np.linalg.norm(light)
    kk = np.sqrt(np.clip(1.0 - (tang @ light) ** 2, 0.0, 1.0))
    shade = col * (0.25 + 0.75 * kk[:, None]) + 0.15 * (kk**30)[:, None]
    xy, z = world_to_pixels(pts, cam)
    x = np.round(xy[:, 0] - 0.5).astype(np.int64)
    y = np.round(xy[:, 1] - 0.5).astype(np.int64)
    ok = (x >= 0) & (y >= 0) & (x < cam.width) & (y < cam.height) & (z > 0)
    x, y, z, shade = x[ok], y[ok], z[ok], shade[ok]
    order = np.argsort(-z)  # far to near, so the nearest sample is written last
    x, y, z, shade = x[order], y[order], z[order], shade[order]
    vis = z < zbuf[y, x] + 0.002
    out[y[vis], x[vis]] = np.clip(shade[vis], 0.0, 1.0) ** (1.0 / 2.2)
    return out


def to_uint8(img: np.ndarray) -> np.ndarray:
    """``[H, W, 3]`` float in [0, 1] -> uint8."""
    return (np.clip(img, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
