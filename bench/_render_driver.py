"""Blender side of ``bench/bench_render.py``: one measurement per process, so peak memory is per measurement.

    python bench/_render_driver.py '{"mode": "throughput", "width": 256, ...}'

Prints Blender's chatter, then one line ``RESULT {json}``. Modes (all through the renderer's own
staging code, :mod:`synthetic.blender.staging`, on the CPU):

- ``throughput``: stage one identity, render ``n_images`` views of its neutral frame (distinct cameras);
  returns per-image seconds (the first includes Cycles' scene sync) and the staging phase times.
- ``memory``: stage, render one tiny view, clear, for ``n_identities`` identities; returns VmRSS (MiB)
  after each identity is cleared, and the per-identity wall time.
- ``frames``: frames 1 .. ``n_frames - 1`` of one identity, each rendered with ``cameras`` twice back to
  back: once updating the built scene (the renderer's way), once after deleting and rebuilding the
  identity's bpy objects, materials, textures and lights (the numpy assets are sampled once either
  way). Returns per-frame preparation and render seconds for both.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def vm_rss_mib() -> float:
    """Resident set size of this process now (MiB), from /proc/self/status."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far (MiB; Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _setup(cfg: dict):
    import bpy

    from synthetic.blender import cameras
    from synthetic.blender.render_settings import RenderSettings, configure_render
    from synthetic.head import HeadModel
    from synthetic.rig import RigSettings, build_rig

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    configure_render(scene, RenderSettings(cfg["width"], cfg["height"], cfg["samples"], device="cpu"))
    model = HeadModel.load()
    rig_settings = RigSettings(width=cfg["width"], height=cfg["height"])
    rig0 = build_rig(rig_settings)
    cam_objects = dict(zip([c.name for c in rig0], cameras.setup_rig_cameras(scene, rig0, cfg["width"],
                                                                             cfg["height"])))  # fmt: skip
    return scene, model, rig_settings, cam_objects


def _render(scene, cam_object, folder: Path, name: str) -> float:
    """Render ``cam_object`` to a PNG in ``folder`` as the worker does; returns seconds."""
    from synthetic.blender.worker import render_still

    scene.camera = cam_object
    t0 = time.perf_counter()
    render_still(scene, folder / f"{name}.png")
    return time.perf_counter() - t0


def throughput(cfg: dict, tmp: Path) -> dict:
    from synthetic.blender import identity_scene, staging

    scene, model, rig_settings, cam_objects = _setup(cfg)
    staged = staging.stage_identity(scene, model, cfg["seed"], rig_settings, cam_objects, cfg["quality"],
                                    cfg["texture_size"], 1, cfg["cameras"])  # fmt: skip
    expression, pose, _ = staging.frame_inputs(model, staged.assets, 0, 1)
    identity_scene.update_frame(staged.objs, model, staged.shape, expression, pose)
    times = [_render(scene, cam_objects[c.name], tmp, c.name) for c in staged.rig[: cfg["n_images"]]]
    strands = {k: int(v.count) for k, v in staged.assets.strands.items()}
    staging.clear_identity(scene, staged.objs)
    return {"image_s": times, "timings": staged.timings, "strands": strands, "peak_rss_mib": peak_rss_mib()}


def memory(cfg: dict, tmp: Path) -> dict:
    from synthetic.blender import identity_scene, staging

    scene, model, rig_settings, cam_objects = _setup(cfg)
    rss, seconds = [vm_rss_mib()], []
    for i in range(cfg["n_identities"]):
        t0 = time.perf_counter()
        staged = staging.stage_identity(scene, model, cfg["seed"] + i, rig_settings, cam_objects, cfg["quality"],
                                        cfg["texture_size"], 1, cfg["cameras"])  # fmt: skip
        expression, pose, _ = staging.frame_inputs(model, staged.assets, 0, 1)
        identity_scene.update_frame(staged.objs, model, staged.shape, expression, pose)
        for c in staged.rig:
            _render(scene, cam_objects[c.name], tmp, c.name)
        staging.clear_identity(scene, staged.objs)
        seconds.append(time.perf_counter() - t0)
        rss.append(vm_rss_mib())
    import bpy

    left = {k: len(getattr(bpy.data, k)) for k in ("objects", "meshes", "hair_curves", "materials", "images",
                                                   "worlds", "lights", "node_groups")}  # fmt: skip
    return {"rss_mib": rss, "identity_s": seconds, "peak_rss_mib": peak_rss_mib(), "datablocks_left": left}


def frames(cfg: dict, tmp: Path) -> dict:
    from synthetic.blender import identity_scene, staging

    scene, model, rig_settings, cam_objects = _setup(cfg)
    seed, n = cfg["seed"], cfg["n_frames"]
    params, assets, timings = staging.sample_assets(model, seed, cfg["quality"], cfg["texture_size"], n)
    shape = np.asarray(params["shape"])
    rig = staging.pose_rig(seed, rig_settings, cam_objects, cfg["cameras"])
    objs, _ = staging.build_objects(scene, model, seed, params, assets, rig_settings.target)

    def frame(f: int, rebuild: bool) -> dict:
        nonlocal objs
        t0 = time.perf_counter()
        if rebuild:
            staging.clear_identity(scene, objs)
            objs, _ = staging.build_objects(scene, model, seed, params, assets, rig_settings.target)
        expression, pose, _ = staging.frame_inputs(model, assets, f, n)
        identity_scene.update_frame(objs, model, shape, expression, pose)
        prep = time.perf_counter() - t0
        renders = [_render(scene, cam_objects[c.name], tmp, f"{c.name}_{f}") for c in rig]
        return {"frame": f, "prep_s": prep, "render_s": renders, "total_s": prep + sum(renders)}

    frame(0, False)  # the neutral frame, right after the build: pays the first scene sync in either mode
    updated, rebuilt = [], []
    for f in range(1, n):  # the same frame both ways, back to back, so machine load hits both alike
        updated.append(frame(f, False))
        rebuilt.append(frame(f, True))
    staging.clear_identity(scene, objs)
    return {"updated": updated, "rebuilt": rebuilt, "asset_timings": timings, "peak_rss_mib": peak_rss_mib()}


MODES = {"throughput": throughput, "memory": memory, "frames": frames}


def main() -> int:
    cfg = json.loads(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="synthheads_bench_") as tmp:
        result = MODES[cfg["mode"]](cfg, Path(tmp))
    print("RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
