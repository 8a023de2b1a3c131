"""Optional simple clothing (``--clothing``): a collar around the neck base and a shirt over the
shoulders, so the cut at the bottom of the neck is hidden and the head sits on a body.

The shirt slopes away from the collar (gently over the shoulders, steeply down chest and back) and
never rises above the shoulders of the body proxy that long hair rests on
(:class:`synthetic.assets.collision.BodyProxy`, placed under the neck cut; the shirt stays
:data:`UNDER_PROXY_M` below it), so hair lying on the shoulders lies on the cloth instead of passing
through it. The proxy's torso is ignored (it sits far lower than a chest), so long hair hanging
straight down behind the neck may end in the shirt's back, as if tucked in. The collar
is a rolled band around the neck's lowest few centimetres, :data:`NECK_GAP_M` away from the skin.
All geometry is in the identity's neutral pose and stays static (the body does not move when the
neck joint turns the head). Units: metres, Blender world (Z up, the face looks along -Y).
"""

from __future__ import annotations

import colorsys

import bpy
import numpy as np

from synthetic.assets.collision import BodyProxy
from synthetic.assets.head_adapter import landmarks_from_model

from . import materials
from .bpy_data import mesh_from_arrays

NECK_GAP_M = 0.007
"""Air between the neck skin and the inside of the collar (room for small head turns)."""
UNDER_PROXY_M = 0.002
"""How far below the body proxy's surface the shirt lies (hair stays outside the proxy)."""
SEGMENTS = 72
"""Vertices around the neck per ring."""


def _neck_ellipse(model, neutral: np.ndarray, height: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Centre ``[2]`` (x, y), radii ``[2]`` and z of the neck cut, widest over the lowest ``height`` m."""
    neck = neutral[model.vertex_mask("neck")]
    z_cut = float(neck[:, 2].min())
    ring = neck[neck[:, 2] < z_cut + 0.004]
    centre = 0.5 * (ring[:, :2].min(0) + ring[:, :2].max(0))
    band = neck[neck[:, 2] < z_cut + height]
    radii = np.abs(band[:, :2] - centre).max(0)
    return centre, radii, z_cut


def _body_top(proxy: BodyProxy, xy: np.ndarray, z_hi: float, z_lo: float, steps: int = 96) -> np.ndarray:
    """Height ``[N]`` of the proxy's upper surface above each ``xy`` ``[N, 2]`` (NaN where none lies below z_hi)."""
    zs = np.linspace(z_hi, z_lo, steps)
    pts = np.concatenate([np.repeat(xy, steps, 0), np.tile(zs, len(xy))[:, None]], 1)
    inside = (proxy.query(pts)[0] <= 0).reshape(len(xy), steps)
    hit = inside.any(1)
    first = np.argmax(inside, 1)
    lo, hi = zs[first], zs[np.maximum(first - 1, 0)]  # lo inside, hi outside: bisect the crossing
    for _ in range(20):
        mid = 0.5 * (lo + hi)
        d = proxy.query(np.concatenate([xy, mid[:, None]], 1))[0]
        lo, hi = np.where(d <= 0, mid, lo), np.where(d <= 0, hi, mid)
    return np.where(hit, lo, np.nan)


def clothing_geometry(model, neutral: np.ndarray, collar_height: float, reach: float = 0.23,
                      n_sheet: int = 14) -> tuple[np.ndarray, np.ndarray]:
    """Vertices ``[V, 3]`` (m) and triangles ``[F, 3]`` of collar plus shirt for the neutral head ``neutral``.

    Each of :data:`SEGMENTS` directions around the neck gets one profile: up the inside of the collar,
    over its rolled top, down its outside, then outward (``n_sheet`` points, to where the body proxy
    ends, at most ``reach`` m from the neck axis) and straight down to 0.12 m below the neck cut.
    """
    centre, radii, z_cut = _neck_ellipse(model, neutral, collar_height + 0.01)
    lm = landmarks_from_model(model, neutral)
    neck_base = model.anchors(neutral).get("neck_base", np.array([centre[0], centre[1], z_cut]))
    body = BodyProxy.below_neck(neck_base, lm.scale)
    # shoulders only: the proxy's torso sits far lower than a chest, and hair rests on the shoulders
    proxy = BodyProxy(body.shoulder_a, body.shoulder_b, body.shoulder_radius, body.torso_centre - [0, 0, 10.0],
                      np.full(3, 1e-3))  # fmt: skip
    theta = np.linspace(0.0, 2 * np.pi, SEGMENTS, endpoint=False)
    direction = np.stack([np.cos(theta), np.sin(theta)], 1)  # [S, 2]
    thick, top = 0.006, z_cut + collar_height

    def around(offset: float) -> np.ndarray:  # [S, 2]: the neck ellipse grown by ``offset`` m
        return centre + direction * (radii + NECK_GAP_M + offset)

    profile = [np.concatenate([around(0.0), np.full((SEGMENTS, 1), z)], 1) for z in (z_cut - 0.03, top)]
    profile.append(np.concatenate([around(0.5 * thick), np.full((SEGMENTS, 1), top + 0.4 * thick)], 1))
    profile.append(np.concatenate([around(thick), np.full((SEGMENTS, 1), top)], 1))
    start = around(thick)
    outer = centre + direction * np.array([reach, 0.6 * reach])  # shoulders to the sides, chest and back
    z_floor = z_cut - 0.12
    # how far out along each direction the body lies under the shirt (the proxy's outline is star-shaped)
    scan = np.linspace(0.0, 1.0, 41)
    xy = start[:, None] + (outer - start)[:, None] * scan[None, :, None]  # [S, T, 2]
    found = ~np.isnan(_body_top(proxy, xy.reshape(-1, 2), top, z_floor - 0.3)).reshape(SEGMENTS, len(scan))
    t_max = scan[np.where(found, np.arange(len(scan)), 0).max(1)]
    t_max = np.maximum(t_max, 0.35)
    # a plain shirt sloping away from the collar: gently over the shoulders, steeply down chest and back
    slope = 0.35 + 0.65 * direction[:, 1] ** 2
    for k in range(n_sheet):
        t = t_max * k / (n_sheet - 1)
        xy = start + (outer - start) * t[:, None]
        z_plain = z_cut - 0.005 - slope * np.linalg.norm(xy - start, axis=1)
        z = np.fmin(z_plain, _body_top(proxy, xy, top, z_floor - 0.3) - UNDER_PROXY_M)  # never above the proxy
        profile.append(np.concatenate([xy, z[:, None]], 1))
    hem = profile[-1].copy()
    hem[:, 2] = np.minimum(hem[:, 2], z_floor)
    profile.append(hem)
    verts = np.concatenate(profile)
    faces = []
    for r in range(len(profile) - 1):
        a = r * SEGMENTS + np.arange(SEGMENTS)
        b = r * SEGMENTS + (np.arange(SEGMENTS) + 1) % SEGMENTS
        faces += [np.stack([a, b, b + SEGMENTS], 1), np.stack([a, b + SEGMENTS, a + SEGMENTS], 1)]
    return verts, np.concatenate(faces).astype(np.int32)


def sample_clothing(rng: np.random.Generator) -> dict:
    """Clothing parameters (JSON-ready): collar height (m), fabric colour (linear RGB), roughness, sheen."""
    hue, sat = rng.uniform(0, 1), rng.choice([rng.uniform(0.0, 0.15), rng.uniform(0.3, 0.7)])
    value = rng.choice([rng.uniform(0.03, 0.12), rng.uniform(0.2, 0.6)])
    srgb = np.array(colorsys.hsv_to_rgb(hue, sat, value))
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    return {"collar_height_m": float(rng.uniform(0.012, 0.04)), "colour": [float(c) for c in linear],
            "roughness": float(rng.uniform(0.6, 0.9)), "sheen": float(rng.uniform(0.2, 0.6))}


def build_clothing(scene: bpy.types.Scene, model, neutral: np.ndarray, params: dict) -> bpy.types.Object:
    """The clothing object (pass index of 'clothes') for ``params`` from :func:`sample_clothing`."""
    verts, faces = clothing_geometry(model, neutral, params["collar_height_m"])
    mesh = mesh_from_arrays("clothing", verts, faces)
    mat = materials.plain_material("clothes", "clothes", params["colour"], roughness=params["roughness"])
    bsdf = next(n for n in mat.node_tree.nodes if n.bl_idname == "ShaderNodeBsdfPrincipled")
    bsdf.inputs["Sheen Weight"].default_value = params["sheen"]
    mesh.materials.append(mat)
    ob = bpy.data.objects.new("clothing", mesh)
    scene.collection.objects.link(ob)
    return ob
