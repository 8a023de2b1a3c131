"""Operators that run background jobs: Render Dataset, Train Prior, Invert from Photos, Distill GEM.

From the UI (``invoke``) a job starts and a modal timer polls it, so Blender stays responsive; the
panel shows its progress and a Cancel button. From scripts (``execute``) the call blocks until the
job ends. Either way a failure becomes an ERROR report with the command's own message and the log.
"""

from __future__ import annotations

import os
import tempfile

import bpy
from bpy.props import CollectionProperty, StringProperty

from . import prefs
from .jobs import REGISTRY

POLL_SECONDS = 0.25


def log_dir() -> str:
    """The extension's user folder for job logs (kept after the jobs end)."""
    try:
        return bpy.utils.extension_path_user(__package__, path="logs", create=True)
    except ValueError:  # installed as a legacy add-on: no extension user folder
        path = os.path.join(tempfile.gettempdir(), "synthheads_logs")
        os.makedirs(path, exist_ok=True)
        return path


def backend(context):
    from .job_commands import Backend

    p = prefs.get(context)
    return Backend(bpy.path.abspath(p.backend_python), bpy.path.abspath(p.project_dir))


def _redraw(context) -> None:
    for window in context.window_manager.windows:
        for area in window.screen.areas:
            if area.type in ("VIEW_3D", "PREFERENCES"):
                area.tag_redraw()


class _JobOperator:
    """Mixin: subclasses set ``kind`` and implement ``spec(context) -> JobSpec``."""

    bl_options = {"REGISTER"}
    kind = ""
    _timer = None
    _job = None

    @classmethod
    def poll(cls, context):
        return not REGISTRY.running(cls.kind)

    def spec(self, context):
        raise NotImplementedError

    def _start(self, context):
        from synthetic.errors import UserInputError

        from .jobs import Job

        try:
            job = REGISTRY.add(Job(self.spec(context)))
        except (UserInputError, RuntimeError, OSError) as exc:
            self.report({"ERROR"}, str(exc))
            return None
        job.start()
        return job

    def execute(self, context):
        job = self._start(context)
        if job is None:
            return {"CANCELLED"}
        job.wait()
        return self._finish(context, job)

    def invoke(self, context, event):
        job = self._start(context)
        if job is None:
            return {"CANCELLED"}
        self._job = job
        wm = context.window_manager
        self._timer = wm.event_timer_add(POLL_SECONDS, window=context.window)
        wm.modal_handler_add(self)
        self.report({"INFO"}, f"{job.spec.title} started; log: {job.spec.log_path}")
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        status = self._job.poll()
        _redraw(context)
        if not status.finished:
            return {"PASS_THROUGH"}
        context.window_manager.event_timer_remove(self._timer)
        return self._finish(context, self._job)

    def _finish(self, context, job):
        status = job.poll()
        if status.state == "done":
            self.report({"INFO"}, f"{job.spec.title} done in {status.elapsed():.0f} s (log: {job.spec.log_path})")
            self.after_success(context, job)
            return {"FINISHED"}
        if status.state == "cancelled":
            self.report({"WARNING"}, f"{job.spec.title} cancelled (log: {job.spec.log_path})")
            return {"CANCELLED"}
        self.report({"ERROR"}, status.error)
        return {"CANCELLED"}

    def after_success(self, context, job) -> None:
        pass


class SCENE_OT_synthheads_render_dataset(_JobOperator, bpy.types.Operator):
    """Render a synthetic multi-view dataset with `python -m synthetic render` in a background process"""

    bl_idname = "scene.synthheads_render_dataset"
    bl_label = "Render Dataset"
    kind = "render"

    def spec(self, context):
        from .job_commands import RenderSettings, job_spec

        r = context.scene.synthheads.render
        settings = RenderSettings(
            output_dir=bpy.path.abspath(r.output_dir), identities=r.identities, frames=r.frames,
            width=r.resolution_x, height=r.resolution_y, samples=r.samples, rig=r.rig, cameras=r.cameras,
            shard_index=r.shard_index, shard_count=r.shard_count, resume=r.resume, hair_quality=r.hair_quality,
            device=r.device, seed=r.seed, texture_size=int(r.texture_size))  # fmt: skip
        return job_spec(self.kind, backend(context), settings.args(), log_dir(), settings.output_dir)


class SCENE_OT_synthheads_train_prior(_JobOperator, bpy.types.Operator):
    """Train the Gaussian head prior on a rendered dataset (`python -m backend train-prior`)"""

    bl_idname = "scene.synthheads_train_prior"
    bl_label = "Train Prior"
    kind = "train-prior"

    def spec(self, context):
        from .job_commands import TrainPriorSettings, job_spec

        b = context.scene.synthheads.backend
        s = TrainPriorSettings(bpy.path.abspath(b.data_dir), bpy.path.abspath(b.prior_dir), b.prior_config)
        return job_spec(self.kind, backend(context), s.args(), log_dir(), s.out_dir)


class SCENE_OT_synthheads_choose_photos(bpy.types.Operator):
    """Choose the photos (about three views of one face) for Invert from Photos"""

    bl_idname = "scene.synthheads_choose_photos"
    bl_label = "Choose Photos"
    bl_options = {"REGISTER", "UNDO"}

    directory: StringProperty(subtype="DIR_PATH")
    files: CollectionProperty(type=bpy.types.OperatorFileListElement)
    filter_image: bpy.props.BoolProperty(default=True, options={"HIDDEN"})
    filter_folder: bpy.props.BoolProperty(default=True, options={"HIDDEN"})

    def invoke(self, context, event):
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context):
        photos = context.scene.synthheads.backend.photos
        photos.clear()
        for f in self.files:
            if f.name:
                photos.add().path = os.path.join(bpy.path.abspath(self.directory), f.name)
        self.report({"INFO"}, f"{len(photos)} photo(s) chosen")
        return {"FINISHED"}


class SCENE_OT_synthheads_invert(_JobOperator, bpy.types.Operator):
    """Fit an avatar to the chosen photos with the prior (`python -m backend invert`)"""

    bl_idname = "scene.synthheads_invert"
    bl_label = "Invert from Photos"
    kind = "invert"

    def spec(self, context):
        from .job_commands import InvertSettings, job_spec

        b = context.scene.synthheads.backend
        images = [bpy.path.abspath(p.path) for p in b.photos]
        prior = bpy.path.abspath(b.invert_prior) if b.invert_prior else ""
        s = InvertSettings(prior, bpy.path.abspath(b.avatar_path), images, b.photo_mask)
        return job_spec(self.kind, backend(context), s.args(), log_dir(), s.out_path)


class SCENE_OT_synthheads_distill_gem(_JobOperator, bpy.types.Operator):
    """Distill a Gaussian Eigen Model (.gem) from an avatar (`python -m backend distill-gem`)"""

    bl_idname = "scene.synthheads_distill_gem"
    bl_label = "Distill GEM"
    kind = "distill-gem"

    def spec(self, context):
        from .job_commands import DistillSettings, job_spec

        b = context.scene.synthheads.backend
        s = DistillSettings(bpy.path.abspath(b.avatar_path), bpy.path.abspath(b.gem_path), b.components)
        return job_spec(self.kind, backend(context), s.args(), log_dir(), s.out_path)

    def after_success(self, context, job) -> None:
        if context.scene.synthheads.backend.import_when_done and job.spec.result_path:
            bpy.ops.scene.synthheads_import_gem(filepath=job.spec.result_path)


class SCENE_OT_synthheads_job_cancel(bpy.types.Operator):
    """Stop the running job (its whole process group); the log is kept"""

    bl_idname = "scene.synthheads_job_cancel"
    bl_label = "Cancel Job"

    kind: StringProperty()

    @classmethod
    def poll(cls, context):
        return True

    def execute(self, context):
        job = REGISTRY.get(self.kind)
        if job is None or job.poll().finished:
            self.report({"WARNING"}, f"no {self.kind} job is running")
            return {"CANCELLED"}
        job.cancel()
        return {"FINISHED"}


class SCENE_OT_synthheads_job_log(bpy.types.Operator):
    """Open the job's log file in a Text datablock (Text Editor)"""

    bl_idname = "scene.synthheads_job_log"
    bl_label = "Open Log"

    kind: StringProperty()

    def execute(self, context):
        job = REGISTRY.get(self.kind)
        if job is None or not os.path.isfile(job.spec.log_path):
            self.report({"WARNING"}, f"no {self.kind} log yet")
            return {"CANCELLED"}
        name = os.path.basename(job.spec.log_path)
        text = bpy.data.texts.get(name)
        if text is None:
            text = bpy.data.texts.load(job.spec.log_path)
        else:
            text.from_string(open(job.spec.log_path, encoding="utf-8", errors="replace").read())
        self.report({"INFO"}, f"Log in the Text Editor as {text.name!r}: {job.spec.log_path}")
        return {"FINISHED"}


classes = (SCENE_OT_synthheads_render_dataset, SCENE_OT_synthheads_train_prior,
           SCENE_OT_synthheads_choose_photos, SCENE_OT_synthheads_invert, SCENE_OT_synthheads_distill_gem,
           SCENE_OT_synthheads_job_cancel, SCENE_OT_synthheads_job_log)  # fmt: skip

