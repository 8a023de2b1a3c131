"""Helpers for the scenario scripts that run inside headless Blender (the ``bpy`` module) in a subprocess.

The subprocess has a fresh ``BLENDER_USER_RESOURCES`` and no checkout on ``sys.path``: the add-on
and its bundled ``synthetic`` core come only from the installed zip.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time

import bpy
import numpy as np

ADDON = "bl_ext.user_default.synthheads"


def install(zip_path: str):
    """Install the zip as an extension of the user repository, enable it, return the add-on package."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default", enable_on_install=True)
    if ADDON not in bpy.context.preferences.addons:
        raise SystemExit(f"{ADDON} did not enable")
    import synthetic

    user = os.path.abspath(bpy.utils.user_resource("EXTENSIONS"))
    if not os.path.abspath(synthetic.__file__).startswith(user):
        raise SystemExit(f"synthetic came from {synthetic.__file__}, not the installed extension")
    return sys.modules[ADDON]


def args() -> dict:
    return json.loads(sys.argv[-1])


def write_report(path: str, report: dict) -> None:
    report = {"blender_version": bpy.app.version_string, **report}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1, default=_jsonable)


def _jsonable(x):
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.generic):
        return x.item()
    raise TypeError(type(x))


class Timer:
    def __init__(self):
        self.times: dict[str, float] = {}

    def __call__(self, name: str):
        timer = self

        class _T:
            def __enter__(self):
                self.t = time.perf_counter()

            def __exit__(self, *exc):
                timer.times[name] = round(time.perf_counter() - self.t, 3)

        return _T()


def frame_camera(target=(0.0, -0.02, 0.03), distance=0.9, yaw_deg=0.0, lens=85.0, height=0.0):
    """A camera looking at ``target`` from the front (-Y), turned ``yaw_deg`` about Z."""
    scene = bpy.context.scene
    cam = bpy.data.objects.get("test_camera")
    if cam is None:
        cam = bpy.data.objects.new("test_camera", bpy.data.cameras.new("test_camera"))
        scene.collection.objects.link(cam)
    cam.data.lens = lens
    yaw = math.radians(yaw_deg)
    cam.location = (target[0] + distance * math.sin(yaw), target[1] - distance * math.cos(yaw), target[2] + height)
    direction = np.array(target) - np.array(cam.location)
    pitch = math.atan2(direction[2], math.hypot(direction[0], direction[1]))
    cam.rotation_euler = (math.pi / 2 + pitch, 0.0, yaw)
    scene.camera = cam
    return cam


def light_scene(strength: float = 3.0) -> None:
    scene = bpy.context.scene
    if scene.world is None:
        scene.world = bpy.data.worlds.new("test_world")
    scene.world.color = (0.35, 0.35, 0.35)
    if bpy.data.objects.get("test_sun") is None:
        sun = bpy.data.objects.new("test_sun", bpy.data.lights.new("test_sun", "SUN"))
        sun.data.energy = strength
        sun.rotation_euler = (math.radians(50), math.radians(10), math.radians(-30))
        scene.collection.objects.link(sun)


def render(path: str, size=(64, 64), samples: int = 4, engine: str = "CYCLES", denoise: bool = False,
           view_transform: str = "Standard") -> dict:
    """Render the scene with Cycles (CPU) or EEVEE into an RGBA PNG; returns its coverage and colour statistics."""
    scene = bpy.context.scene
    r = scene.render
    r.engine = engine
    if engine == "CYCLES":
        scene.cycles.device = "CPU"
        scene.cycles.samples = samples
        scene.cycles.use_denoising = denoise
        scene.cycles.seed = 0
    else:
        scene.eevee.taa_render_samples = samples
    r.resolution_x, r.resolution_y = size
    r.resolution_percentage = 100
    r.film_transparent = True
    r.image_settings.file_format = "PNG"
    r.image_settings.color_mode = "RGBA"
    scene.view_settings.view_transform = view_transform
    r.filepath = path
    bpy.ops.render.render(write_still=True)
    return image_stats(path)


def image_stats(path: str) -> dict:
    img = bpy.data.images.load(path, check_existing=False)
    size = list(img.size)
    px = np.array(img.pixels[:], dtype=np.float32).reshape(size[1], size[0], 4)
    bpy.data.images.remove(img)
    alpha = px[..., 3]
    covered = alpha > 0.5
    rgb = px[..., :3][covered]
    return {"coverage": float(covered.mean()), "rgb_std": float(rgb.std()) if len(rgb) else 0.0,
            "rgb_mean": rgb.mean(0).tolist() if len(rgb) else [0, 0, 0], "size": size}  # fmt: skip


def evaluated_vertices(obj) -> np.ndarray:
    dg = bpy.context.evaluated_depsgraph_get()
    ev = obj.evaluated_get(dg)
    mesh = ev.to_mesh()
    co = np.empty(len(mesh.vertices) * 3, dtype=np.float32)
    mesh.vertices.foreach_get("co", co)
    ev.to_mesh_clear()
    return co.reshape(-1, 3).astype(np.float64)


def operator_error(call) -> str | None:
    """Run an operator call; return the message of the ERROR it reported (bpy raises RuntimeError), or None."""
    try:
        call()
    except RuntimeError as exc:
        return str(exc)
    return None


ATTRIBUTE_WIDTH = {"FLOAT": (1, "value"), "FLOAT_VECTOR": (3, "vector"), "FLOAT_COLOR": (4, "color"),
                   "FLOAT4": (4, "vector"), "QUATERNION": (4, "value")}  # fmt: skip


def attribute_arrays(attributes, skip_hidden: bool = True) -> dict:
    """``name -> {"type", "domain", "values" [n, width] float32}`` of the float attributes of a geometry."""
    out = {}
    for a in attributes:
        if (skip_hidden and a.name.startswith(".")) or a.data_type not in ATTRIBUTE_WIDTH:
            continue
        width, field = ATTRIBUTE_WIDTH[a.data_type]
        buf = np.empty(len(a.data) * width, np.float32)
        a.data.foreach_get(field, buf)
        out[a.name] = {"type": a.data_type, "domain": a.domain, "values": buf.reshape(len(a.data), width)}
    return out


def evaluated_splats(obj) -> dict:
    """The evaluated point cloud of ``obj`` (a GEM with native splats, or an imported PLY): type, count, attributes."""
    dg = bpy.context.evaluated_depsgraph_get()
    ev = obj.evaluated_get(dg)
    if obj.type == "POINTCLOUD":
        pc = ev.data
    else:
        geometry = ev.evaluated_geometry()
        pc = geometry.pointcloud
    if pc is None:
        return {"type": None, "count": 0, "attributes": {}}
    return {"type": pc.type, "count": len(pc.points), "attributes": attribute_arrays(pc.attributes)}
