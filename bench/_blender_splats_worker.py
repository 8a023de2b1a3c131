"""Blender side of ``bench_blender_splats.py`` (runs in Blender 5.3's Python, ``.venv-blender``; one JSON argument).

Installs the add-on zip into a fresh user folder, then for ``renders``: imports the GEM (native splats or
ellipsoids), sets the frame's coefficients, renders from the given camera (OpenGL camera-to-world, horizontal
FOV) into an RGBA PNG (Standard view transform, transparent film); and for ``speed``: imports each GEM both
ways, keys its coefficient sequence and times ``scene.frame_set`` over it (depsgraph evaluation, no drawing).
Writes ``report.json`` in ``out``.
"""

import json
import math
import os
import sys
import time

import bpy
import numpy as np
from mathutils import Matrix

A = json.loads(sys.argv[-1])
ADDON = "bl_ext.user_default.synthheads"


def reset() -> None:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    if ADDON not in bpy.context.preferences.addons:
        bpy.ops.extensions.package_install_files(filepath=A["zip"], repo="user_default", enable_on_install=True)


def import_gem(path: str, display: str, gn_components: int):
    s = bpy.context.scene.synthheads.gem
    s.display, s.gn_components = display, gn_components
    bpy.ops.scene.synthheads_import_gem(filepath=path)
    return bpy.context.active_object


def set_camera(c2w, fov_x_deg: float, size: int) -> None:
    scene = bpy.context.scene
    cam = bpy.data.objects.new("bench_camera", bpy.data.cameras.new("bench_camera"))
    scene.collection.objects.link(cam)
    cam.data.sensor_fit = "HORIZONTAL"
    cam.data.angle = math.radians(fov_x_deg)
    cam.data.clip_start = 0.01
    cam.matrix_world = Matrix(np.asarray(c2w, dtype=np.float64).tolist())  # rows (a plain list would be columns)
    scene.camera = cam
    r = scene.render
    r.resolution_x = r.resolution_y = size
    r.resolution_percentage = 100
    r.film_transparent = True
    r.image_settings.file_format = "PNG"
    r.image_settings.color_mode = "RGBA"
    scene.view_settings.view_transform = "Standard"
    scene.view_settings.look = "None"
    if scene.world is None:
        scene.world = bpy.data.worlds.new("bench_world")
    scene.world.color = (0.0, 0.0, 0.0)


def render(engine: str, path: str, samples: int) -> float:
    scene = bpy.context.scene
    scene.render.engine = engine
    if engine == "CYCLES":
        scene.cycles.device = "CPU"
        scene.cycles.samples = samples
        scene.cycles.use_denoising = False
        scene.cycles.seed = 0
        scene.cycles.pixel_filter_type = "BOX"
        scene.cycles.filter_width = 1.0
    elif engine == "BLENDER_EEVEE":
        scene.eevee.taa_render_samples = samples
    scene.render.filepath = path
    t0 = time.perf_counter()
    bpy.ops.render.render(write_still=True)
    return time.perf_counter() - t0


def set_coefficients(obj, npz: str) -> None:
    from bl_ext.user_default.synthheads import scene_gem

    with np.load(npz) as z:
        coeffs = {k: z[k] for k in z.files}
    scene_gem.set_coefficients(obj, coeffs)
    bpy.context.view_layer.update()


report = {"blender": bpy.app.version_string, "renders": [], "speed": []}
for job in A.get("renders", []):
    reset()
    obj = import_gem(job["gem"], job["display"], job["gn_components"])
    set_coefficients(obj, job["coefficients"])
    set_camera(job["c2w"], job["fov"], job["size"])
    entry = {k: job[k] for k in ("name", "display", "engine", "path")}
    try:
        entry["seconds"] = render(job["engine"], job["path"], job["samples"])
    except Exception as exc:  # EEVEE without a usable GPU context: reported, not fatal
        entry["error"] = f"{type(exc).__name__}: {exc}"
    report["renders"].append(entry)
    print(entry, flush=True)

for job in A.get("speed", []):
    for display in ("SPLATS", "ELLIPSOIDS"):
        reset()
        t0 = time.perf_counter()
        obj = import_gem(job["gem"], display, job["gn_components"])
        bpy.context.view_layer.update()
        t_import = time.perf_counter() - t0
        scene = bpy.context.scene
        scene.frame_set(1)
        bpy.ops.scene.synthheads_load_sequence(filepath=job["sequence"])
        frames = list(range(1, job["frames"] + 1))
        scene.frame_set(frames[-1])  # warm-up
        runs = []
        for _ in range(3):  # the median of 3 passes (the machine is shared)
            t0 = time.perf_counter()
            for f in frames:
                scene.frame_set(f)
            runs.append(time.perf_counter() - t0)
        seconds = sorted(runs)[1]
        ev = obj.evaluated_get(bpy.context.evaluated_depsgraph_get())
        geometry = ev.evaluated_geometry()
        pc = geometry.pointcloud
        entry = {"gaussians": job["gaussians"], "display": display, "import_s": t_import,
                 "fps": len(frames) / seconds, "ms_per_frame": 1e3 * seconds / len(frames),
                 "evaluated": pc.type if pc is not None else "INSTANCES"}  # fmt: skip
        report["speed"].append(entry)
        print(entry, flush=True)

with open(os.path.join(A["out"], "report.json"), "w") as f:
    json.dump(report, f, indent=1)
