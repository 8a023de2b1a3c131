"""The Blender worker process of ``python -m synthetic render`` (started by ``synthetic.render_job``).

    python -m synthetic.blender.worker --job JOB.json --events-fd N

For each identity of the job: sample it from its seed, build it once, then per frame pose it and
render every camera; after the neutral frame (frame 0) back-project its views onto the UV atlas.
Files go through the dataset writer (atomic), ``done.json`` last. A failing identity is reported
on the events pipe and the next one starts; the scene is cleaned between identities.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from pathlib import Path

import bpy
import numpy as np

from synthetic.assets import IdentityConfig, IdentitySampler
from synthetic.assets.seeds import stream
from synthetic.backproject import View, backproject
from synthetic.dataset.files import read_png
from synthetic.dataset.writer import DatasetSettings, DatasetWriter, identity_seed
from synthetic.head import HeadModel
from synthetic.render_job import RenderJob
from synthetic.rig import RigSettings, build_rig

from . import cameras as blender_cameras
from . import identity_scene, lighting
from .bpy_data import purge_orphans
from .render_settings import RenderSettings, configure_render


class Events:
    """One JSON object a line on the pipe the parent reads."""

    def __init__(self, fd: int | None):
        self._f = os.fdopen(fd, "w", buffering=1) if fd is not None else sys.stdout

    def emit(self, **event) -> None:
        self._f.write(json.dumps(event) + "\n")
        self._f.flush()


def render_still(scene: bpy.types.Scene, path: Path) -> None:
    """Render the active camera into ``path`` atomically (temp name in the same folder, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name("." + path.stem + ".tmp.png")
    scene.render.filepath = str(tmp)
    bpy.ops.render.render(write_still=True)
    os.replace(tmp, path)


def render_identity(scene, model, job: RenderJob, ds: DatasetWriter, index: int, cam_objects, events: Events) -> None:
    settings: DatasetSettings = ds.settings
    seed = identity_seed(settings.seed_base, index)
    writer = ds.identity(index, overwrite=job.overwrite, n_frames=job.frames)
    n_perf = max(job.frames - 1, 1)
    sampler = IdentitySampler(model, IdentityConfig(quality=job.quality, texture_size=job.texture_size, n_frames=n_perf))
    params = sampler.sample(seed)
    assets = sampler.build(params)
    shape = np.asarray(params["shape"])
    neutral = model.vertices(shape)

    rig = build_rig(settings.rig, stream(seed, "rig"))
    if job.cameras:
        rig = [c for c in rig if c.name in job.cameras]
    for cam in rig:
        blender_cameras.pose_camera(cam_objects[cam.name], cam, settings.rig.width, settings.rig.height)
    writer.write_cameras(rig)

    light_objs, light_desc = lighting.build_lighting(scene, stream(seed, "lighting"), target=settings.rig.target)
    scene.cycles.seed = seed % (2**31)
    objs = identity_scene.build_identity(scene, model, params, assets, neutral)
    objs.others.extend(light_objs)
    try:
        perf = assets.performance
        total = job.frames * len(rig)
        done = 0
        for f in range(job.frames):
            if f == 0:  # the neutral frame: what the back-projected texture is made from
                expression, pose = np.zeros(model.n_expression), np.zeros((model.n_joints, 3))
                gaze = np.zeros(2)
            else:
                expression, pose, gaze = perf.expression[f - 1], perf.pose[f - 1], perf.gaze[f - 1]
            verts = identity_scene.update_frame(objs, model, shape, expression, pose)
            for cam in rig:
                scene.camera = cam_objects[cam.name]
                render_still(scene, writer.image_path(f, cam.name))
                done += 1
                events.emit(event="image", identity=index, frame=f, camera=cam.name, done=done, total=total)
            writer.write_frame(f, expression, pose, gaze)
            if f == 0:
                _write_textures(writer, model, assets, verts, rig, f, job.texture_size)
        params_out = {
            **params,
            "lighting": light_desc,
            "renderer": {"device": scene.cycles.device, "samples": job.samples},
            # per-vertex offsets (m) along the neutral normals that turn the skin into the hair/beard proxy
            # surface; the prior places hair Gaussians and reads x_verts on it
            "proxy_offsets_m": np.round(assets.hair_offsets + assets.beard_offsets, 5).tolist(),
        }
        writer.write_identity(params_out)
        writer.finish()
    finally:
        identity_scene.remove_identity(objs)
        if scene.world is not None:
            bpy.data.worlds.remove(scene.world)
        purge_orphans()


def _write_textures(writer, model, assets, verts, rig, frame, size) -> None:
    """Generated albedo, and the neutral frame's views back-projected through the mesh plus hair proxy."""
    writer.write_texture("albedo.png", assets.textures.albedo_srgb8())
    normals = model.normals(vertices=verts)
    proxy = verts + normals * (assets.hair_offsets + assets.beard_offsets)[:, None]
    views = [View(read_png(writer.image_path(frame, c.name)).astype(np.float32) / 255.0, c.K, c.w2c) for c in rig]
    tex, mask = backproject(proxy, model.faces, model.uv_coords, model.uv_faces, views, resolution=min(size, 1024))
    writer.write_texture("backprojected.png", tex)
    writer.write_texture("backprojected_mask.png", mask)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--job", required=True, type=Path)
    ap.add_argument("--events-fd", type=int, default=None)
    args = ap.parse_args(argv)
    events = Events(args.events_fd)
    job = RenderJob(**json.loads(args.job.read_text()))
    dataset = dict(job.dataset)
    dataset["rig"] = RigSettings.from_dict(dataset["rig"])
    dataset["textures"] = tuple(dataset["textures"])
    dataset["passes"] = tuple(dataset["passes"])
    settings = DatasetSettings(**dataset)
    ds = DatasetWriter(job.out, settings)

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    device = configure_render(scene, RenderSettings(settings.rig.width, settings.rig.height, job.samples, job.device))
    print(f"synthheads worker: {device}, {len(job.identities)} identities", flush=True)
    model = HeadModel.load()
    rig0 = build_rig(settings.rig)
    cam_objects = {c.name: o for c, o in zip(rig0, blender_cameras.setup_rig_cameras(
        scene, rig0, settings.rig.width, settings.rig.height))}  # fmt: skip
    for index in job.identities:
        events.emit(event="identity_start", identity=index)
        t0 = time.perf_counter()
        try:
            render_identity(scene, model, job, ds, index, cam_objects, events)
        except Exception as exc:
            traceback.print_exc()
            events.emit(event="identity_failed", identity=index, message=f"{type(exc).__name__}: {exc}")
            continue
        events.emit(event="identity_done", identity=index, seconds=time.perf_counter() - t0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
