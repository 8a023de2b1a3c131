"""Blender side of ``bench/bench_render.py``: one measurement per process, so peak memory is per measurement.

    python bench/_render_driver.py '{"mode": "throughput", "width": 256, ...}'

Prints Blender's chatter, then one line ``RESULT {json}``. Modes (all through the renderer's own
staging code, :mod:`synthetic.blender.staging`, on the CPU):

- ``throughput``: stage one identity, render ``n_images`` views of its neutral frame (distinct cameras);
  returns per-image seconds (the first includes Cycles' scene sync) and the staging phase times; with
  ``keep`` (a folder) the PNGs are kept there as ``cam_XX.png``; ``cycles_seed`` overrides the
  identity's Cycles seed (the reference uses another one, so its noise is independent).

- ``profile``: stage once with the given settings, then render ``cameras`` once per tweak of
  :data:`PROFILE_TWEAKS` (denoiser off, hair hidden, ...) to attribute the frame time by difference.

Render settings: ``profile`` "new" (default: :meth:`RenderSettings.for_size`, as the renderer uses it) or "old"
(:meth:`RenderSettings.legacy`, before issue 17), then ``overrides`` ({field: value}) on top.
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


def render_settings(cfg: dict):
    """The :class:`RenderSettings` of a measurement (see the module docstring)."""
    import dataclasses

    from synthetic.blender.render_settings import RenderSettings

    w, h, spp = cfg["width"], cfg["height"], cfg["samples"]
    base = RenderSettings.legacy(w, h, spp, "cpu") if cfg.get("profile") == "old" else RenderSettings.for_size(w, h, spp, "cpu")
    return dataclasses.replace(base, **cfg.get("overrides", {}))


def _setup(cfg: dict):
    import bpy

    from synthetic.blender import cameras
    from synthetic.blender.render_settings import configure_render
    from synthetic.head import HeadModel
    from synthetic.rig import RigSettings, build_rig

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    configure_render(scene, render_settings(cfg))
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
                                    cfg["texture_size"], 1, cfg["cameras"], render=render_settings(cfg))  # fmt: skip
    expression, pose, _ = staging.frame_inputs(model, staged.assets, 0, 1)
    identity_scene.update_frame(staged.objs, model, staged.shape, expression, pose)
    if cfg.get("cycles_seed") is not None:  # a reference must not share the sample pattern of what it judges
        scene.cycles.seed = int(cfg["cycles_seed"])
    out = Path(cfg["keep"]) if cfg.get("keep") else tmp
    names = [c.name for c in staged.rig[: cfg["n_images"]]]
    times = [_render(scene, cam_objects[n], out, n) for n in names]
    strands = {k: int(v.count) for k, v in staged.assets.strands.items()}
    staging.clear_identity(scene, staged.objs)
    return {"image_s": times, "cameras": names, "timings": staged.timings, "strands": strands,
            "strand_lod": staged.detail.strand_lod, "subsurface": staged.detail.subsurface,
            "peak_rss_mib": peak_rss_mib()}  # fmt: skip


def memory(cfg: dict, tmp: Path) -> dict:
    from synthetic.blender import identity_scene, staging

    scene, model, rig_settings, cam_objects = _setup(cfg)
    rss, seconds = [vm_rss_mib()], []
    for i in range(cfg["n_identities"]):
        t0 = time.perf_counter()
        staged = staging.stage_identity(scene, model, cfg["seed"] + i, rig_settings, cam_objects, cfg["quality"],
                                        cfg["texture_size"], 1, cfg["cameras"], render=render_settings(cfg))  # fmt: skip
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
    rs = render_settings(cfg)
    detail = staging.RenderDetail.for_rig(assets, rig, rig_settings.target, rs.hair_width_px, rs.subsurface)
    objs, _ = staging.build_objects(scene, model, seed, params, assets, rig_settings.target, detail=detail)

    def frame(f: int, rebuild: bool) -> dict:
        nonlocal objs
        t0 = time.perf_counter()
        if rebuild:
            staging.clear_identity(scene, objs)
            objs, _ = staging.build_objects(scene, model, seed, params, assets, rig_settings.target, detail=detail)
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


def _diffuse_hair(objs) -> None:
    """Swap every strand material's hair BSDF for a plain diffuse one (same geometry, cheap shading)."""
    for g in objs.strands:
        for mat in g.obj.data.materials:
            nt = mat.node_tree
            out = next(n for n in nt.nodes if n.bl_idname == "ShaderNodeOutputMaterial")
            diffuse = nt.nodes.new("ShaderNodeBsdfDiffuse")
            diffuse.inputs["Color"].default_value = (0.05, 0.03, 0.02, 1.0)
            nt.links.new(diffuse.outputs["BSDF"], out.inputs["Surface"])


PROFILE_TWEAKS = {  # name -> (what it removes, tweak(scene, objs)); applied on top of the legacy settings
    "full": ("nothing (the frame as rendered)", lambda scene, objs: None),
    "no_denoise": ("OpenImageDenoise", lambda scene, objs: setattr(scene.cycles, "use_denoising", False)),
    "one_bounce": ("light paths beyond the first bounce",
                   lambda scene, objs: setattr(scene.cycles, "max_bounces", 1)),
    "burley": ("random-walk SSS (-> Christensen-Burley)", lambda scene, objs: __import__(
        "synthetic.blender.materials", fromlist=["x"]).set_subsurface_method(objs.head.data.materials, "BURLEY")),
    "no_light_tree": ("the light tree", lambda scene, objs: setattr(scene.cycles, "use_light_tree", False)),
    "one_sample": ("all path tracing and denoising (1 spp, no denoiser): what is left is sync, "
                   "session setup and PNG writing", lambda scene, objs: (setattr(scene.cycles, "samples", 1),
                                                                        setattr(scene.cycles, "use_denoising", False))),
    "diffuse_hair": ("hair shading (Principled Hair -> diffuse)", lambda scene, objs: _diffuse_hair(objs)),
    "no_hair": ("hair entirely (hidden)", lambda scene, objs: [setattr(g.obj, "hide_render", True)
                                                              for g in objs.strands]),
}  # fmt: skip
"""Order matters: the last two change the scene for good, so they run last."""


def profile(cfg: dict, tmp: Path) -> dict:
    """Stage one identity with the legacy settings, then per tweak in ``cfg['tweaks']``: re-apply the
    settings, apply the tweak, render ``cameras`` (the first render after a change re-syncs, so its
    time is kept apart). Returns {tweak: per-image seconds} and the first image after the build."""
    from synthetic.blender import identity_scene, staging
    from synthetic.blender.render_settings import configure_render

    scene, model, rig_settings, cam_objects = _setup(cfg)
    rs = render_settings(cfg)
    staged = staging.stage_identity(scene, model, cfg["seed"], rig_settings, cam_objects, cfg["quality"],
                                    cfg["texture_size"], 1, cfg["cameras"], render=rs)  # fmt: skip
    expression, pose, _ = staging.frame_inputs(model, staged.assets, 0, 1)
    identity_scene.update_frame(staged.objs, model, staged.shape, expression, pose)
    names = [c.name for c in staged.rig]
    first = _render(scene, cam_objects[names[0]], tmp, "first")
    out = {}
    for tweak in cfg["tweaks"]:
        configure_render(scene, rs)
        PROFILE_TWEAKS[tweak][1](scene, staged.objs)
        out[tweak] = [_render(scene, cam_objects[n], tmp, f"{tweak}_{n}") for n in names]
    staging.clear_identity(scene, staged.objs)
    return {"first_image_s": first, "image_s": out, "strands": {k: int(v.count) for k, v in staged.assets.strands.items()}}


MODES = {"throughput": throughput, "memory": memory, "frames": frames, "profile": profile}


def main() -> int:
    cfg = json.loads(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="synthheads_bench_") as tmp:
        result = MODES[cfg["mode"]](cfg, Path(tmp))
    print("RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
