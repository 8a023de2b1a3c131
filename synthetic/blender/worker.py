"""The Blender worker process of ``python -m synthetic render`` (started by ``synthetic.render_job``).

    python -m synthetic.blender.worker --job JOB.json --events-fd N

For each identity of the job (with a shared queue, ``job.claims``: each it claims before another worker
does; the others are reported as taken): sample it from its seed and stage it once (:mod:`.staging`: assets,
cameras, lights, objects, clothing when the dataset's generator settings ask for it), then per
frame pose it and render every camera (plus the EXR passes the dataset lists, see :mod:`.passes`);
after the neutral frame (frame 0) back-project its views onto the UV atlas. Files go through the
dataset writer or are written to a temp name and renamed (atomic), ``done.json`` last. A failing
identity is reported on the events pipe and the next one starts. Between identities the scene is
cleared, orphan datablocks are purged and Cycles' persistent data is dropped, so an identity renders
the same pixels whatever the worker rendered before it.
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

from synthetic.backproject import View, backproject_head
from synthetic.dataset.files import read_png
from synthetic.dataset.landmarks import project_frame
from synthetic.dataset.shard import claim_identity
from synthetic.dataset.writer import DatasetSettings, DatasetWriter, identity_seed
from synthetic.head import HeadModel
from synthetic.render_job import RenderJob
from synthetic.rig import RigSettings, build_rig

from . import cameras as blender_cameras
from . import identity_scene, materials, staging
from .passes import PassOutputs
from .render_settings import RenderSettings, configure_render


class Events:
    """One JSON object a line on the pipe the parent reads."""

    def __init__(self, fd: int | None):
        self._f = os.fdopen(fd, "w", buffering=1) if fd is not None else sys.stdout

    def emit(self, **event) -> None:
        self._f.write(json.dumps(event) + "\n")
        self._f.flush()


def render_still(scene: bpy.types.Scene, path: Path, passes: PassOutputs | None = None,
                 pass_paths: dict[str, Path] | None = None) -> None:
    """Render the active camera into ``path`` atomically (temp name in the same folder, then rename);
    with ``passes``, also the EXR passes into ``pass_paths`` ({kind: path}, same folder) the same way."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name("." + path.stem + ".tmp.png")
    scene.render.filepath = str(tmp)
    if passes is not None:
        passes.target(path.parent, path.stem)
    bpy.ops.render.render(write_still=True)
    if passes is not None:
        passes.commit(pass_paths)
    os.replace(tmp, path)


def render_identity(scene, model, job: RenderJob, ds: DatasetWriter, index: int, cam_objects, events: Events,
                    passes: PassOutputs | None = None, render: RenderSettings | None = None) -> None:
    settings: DatasetSettings = ds.settings
    seed = identity_seed(settings.seed_base, index)
    writer = ds.identity(index, overwrite=job.overwrite, n_frames=job.frames)
    staged = staging.stage_identity(scene, model, seed, settings.rig, cam_objects, job.quality, job.texture_size,
                                    job.frames, job.cameras, bool(settings.generator.get("clothing")), render)  # fmt: skip
    objs, rig, assets = staged.objs, staged.rig, staged.assets
    try:
        writer.write_cameras(rig)
        total = job.frames * len(rig)
        done = 0
        for f in range(job.frames):
            expression, pose, gaze = staging.frame_inputs(model, assets, f, job.frames)
            verts = identity_scene.update_frame(objs, model, staged.shape, expression, pose)
            for cam in rig:
                scene.camera = cam_objects[cam.name]
                pass_paths = {k: writer.pass_path(f, cam.name, k) for k in settings.passes}
                render_still(scene, writer.image_path(f, cam.name), passes, pass_paths)
                done += 1
                events.emit(event="image", identity=index, frame=f, camera=cam.name, done=done, total=total)
            writer.write_frame(f, expression, pose, gaze)
            if settings.landmarks:
                view = project_frame(model.landmarks(verts), model.landmark_mediapipe, verts, model.faces, rig)
                writer.write_landmarks(f, view)
            if f == 0:
                _write_textures(writer, model, assets, verts, rig, f, job.texture_size)
        params_out = {
            **staged.params,
            "lighting": staged.lighting,
            "renderer": {"device": scene.cycles.device, "samples": job.samples,
                         "strand_lod": staged.detail.strand_lod, "subsurface": staged.detail.subsurface},
            # per-vertex offsets (m) along the neutral normals that turn the skin into the hair/beard proxy
            # surface; the prior places hair Gaussians and reads x_verts on it
            "proxy_offsets_m": np.round(assets.hair_offsets + assets.beard_offsets, 5).tolist(),
        }
        if staged.clothing is not None:
            params_out["clothing"] = staged.clothing
        if "seg" in settings.passes:
            params_out["seg_labels"] = materials.SEG_LABELS
        writer.write_identity(params_out)
        writer.finish()
    finally:
        staging.clear_identity(scene, objs)


def _write_textures(writer, model, assets, verts, rig, frame, size) -> None:
    """Generated albedo, and the neutral frame's views back-projected through the mesh plus hair proxy."""
    writer.write_texture("albedo.png", assets.textures.albedo_srgb8())
    views = [View(read_png(writer.image_path(frame, c.name)).astype(np.float32) / 255.0, c.K, c.w2c) for c in rig]
    tex, mask = backproject_head(model, verts, views, assets.hair_offsets + assets.beard_offsets, min(size, 1024))
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
    render = RenderSettings.for_size(settings.rig.width, settings.rig.height, job.samples, job.device,
                                     hair_width_px=job.hair_lod, threads=job.threads)
    device = configure_render(scene, render)
    passes = PassOutputs(scene, settings.passes) if settings.passes else None
    print(f"synthheads worker: Blender {bpy.app.version_string} (Python {sys.version.split()[0]}), {device}, "
          f"{len(job.identities)} identities, passes {settings.passes}", flush=True)  # fmt: skip
    model = HeadModel.load()
    rig0 = build_rig(settings.rig)
    cam_objects = {c.name: o for c, o in zip(rig0, blender_cameras.setup_rig_cameras(
        scene, rig0, settings.rig.width, settings.rig.height))}  # fmt: skip
    for index in job.identities:
        if job.claims is not None and not claim_identity(job.claims, index):
            events.emit(event="identity_taken", identity=index)
            continue
        events.emit(event="identity_start", identity=index)
        print(f"synthheads worker: identity {index}", flush=True)  # which worker took which, for the log's reader
        t0 = time.perf_counter()
        try:
            render_identity(scene, model, job, ds, index, cam_objects, events, passes, render)
        except Exception as exc:
            traceback.print_exc()
            events.emit(event="identity_failed", identity=index, message=f"{type(exc).__name__}: {exc}")
            continue
        events.emit(event="identity_done", identity=index, seconds=time.perf_counter() - t0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
