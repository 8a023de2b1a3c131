"""Operators of the GEM panel: import a .gem, set or key its coefficients, export a 3DGS PLY."""

from __future__ import annotations

import bpy
from bpy.props import EnumProperty, IntProperty, StringProperty
from bpy_extras.io_utils import ExportHelper, ImportHelper


def _errors():
    from synthetic.errors import UserInputError

    return (UserInputError, OSError, ValueError)


def _active_gem(context):
    from .scene_gem import gem_info

    obj = context.active_object
    return obj if gem_info(obj) is not None else None


class SCENE_OT_synthheads_import_gem(bpy.types.Operator, ImportHelper):
    """Import a Gaussian Eigen Model (.gem) as a point object with coefficient sliders, shown as native Gaussian splats (Blender 5.3+) or ellipsoids"""

    bl_idname = "scene.synthheads_import_gem"
    bl_label = "Import GEM"
    bl_options = {"REGISTER", "UNDO"}
    filename_ext = ".gem"
    filter_glob: StringProperty(default="*.gem", options={"HIDDEN"})

    @classmethod
    def poll(cls, context):
        return context.mode == "OBJECT"

    def execute(self, context):
        from .gem_eval import GemImportOptions
        from .scene_gem import import_gem

        s = context.scene.synthheads.gem
        options = GemImportOptions(display=s.display, gn_components=s.gn_components,
                                   ellipsoid_sigmas=s.ellipsoid_sigmas)  # fmt: skip
        try:
            obj, warnings = import_gem(context, bpy.path.abspath(self.filepath), options)
        except _errors() as exc:
            self.report({"ERROR"}, f"Import GEM: {exc}")
            return {"CANCELLED"}
        for other in context.view_layer.objects:
            other.select_set(False)
        obj.select_set(True)
        context.view_layer.objects.active = obj
        for warning in warnings:
            self.report({"WARNING"}, f"{obj.name}: {warning}")
        self.report({"INFO"}, f"Imported {obj.name}: {len(obj.data.vertices)} Gaussians")
        return {"FINISHED"}


class SCENE_OT_synthheads_gem_coefficients(bpy.types.Operator):
    """Set the active GEM's coefficients: zero (the mean) or random (from the seed, spread in standard deviations)"""

    bl_idname = "scene.synthheads_gem_coefficients"
    bl_label = "Set GEM Coefficients"
    bl_options = {"REGISTER", "UNDO"}

    mode: EnumProperty(items=[("ZERO", "Mean", "All coefficients zero"),
                              ("RANDOM", "Random", "Normal coefficients with the GEM's standard deviations")],
                       default="RANDOM")  # fmt: skip
    seed: IntProperty(name="Seed", min=-1, default=-1, description="-1: the panel's seed + 1")

    @classmethod
    def poll(cls, context):
        return _active_gem(context) is not None

    def execute(self, context):
        import numpy as np

        from .scene_gem import gem_info, read_model, set_coefficients

        obj = _active_gem(context)
        s = context.scene.synthheads.gem
        try:
            gem = read_model(gem_info(obj))
        except _errors() as exc:
            self.report({"ERROR"}, f"GEM coefficients: {exc}")
            return {"CANCELLED"}
        if self.mode == "ZERO":
            coeffs = gem.zero_coefficients()
        else:
            seed = self.seed
            if seed < 0:
                s.seed += 1
                seed = s.seed
            coeffs = gem.random_coefficients(np.random.default_rng(seed), scale=s.random_scale)
        set_coefficients(obj, coeffs)
        return {"FINISHED"}


class SCENE_OT_synthheads_load_sequence(bpy.types.Operator, ImportHelper):
    """Key a coefficient sequence (.npy, .npz or .json; one frame per row) on the active GEM from the current frame"""

    bl_idname = "scene.synthheads_load_sequence"
    bl_label = "Load Coefficient Sequence"
    bl_options = {"REGISTER", "UNDO"}
    filter_glob: StringProperty(default="*.npy;*.npz;*.json", options={"HIDDEN"})

    @classmethod
    def poll(cls, context):
        return _active_gem(context) is not None

    def execute(self, context):
        from .gem_eval import load_sequence
        from .scene_gem import gem_info, key_sequence, read_model

        obj = _active_gem(context)
        scene = context.scene
        try:
            seq = load_sequence(bpy.path.abspath(self.filepath), read_model(gem_info(obj)))
        except _errors() as exc:
            self.report({"ERROR"}, f"Load sequence: {exc}")
            return {"CANCELLED"}
        start = scene.frame_current
        curves = key_sequence(obj, seq, start)
        scene.frame_end = max(scene.frame_end, start + seq.n_frames - 1)
        if seq.fps:
            scene.render.fps, scene.render.fps_base = round(seq.fps), round(seq.fps) / seq.fps
        self.report({"INFO"}, f"Keyed {seq.n_frames} frames on {curves} channels from frame {start}")
        return {"FINISHED"}


class SCENE_OT_synthheads_export_ply(bpy.types.Operator, ExportHelper):
    """Export the active GEM at the current frame's coefficients as a 3D Gaussian Splatting PLY (GEM frame)"""

    bl_idname = "scene.synthheads_export_ply"
    bl_label = "Export 3DGS PLY"
    filename_ext = ".ply"
    filter_glob: StringProperty(default="*.ply", options={"HIDDEN"})

    @classmethod
    def poll(cls, context):
        return _active_gem(context) is not None

    def execute(self, context):
        from .scene_gem import export_ply

        try:
            path, n = export_ply(_active_gem(context), bpy.path.abspath(self.filepath))
        except _errors() as exc:
            self.report({"ERROR"}, f"Export PLY: {exc}")
            return {"CANCELLED"}
        self.report({"INFO"}, f"Wrote {n} Gaussians (frame {context.scene.frame_current}) to {path}")
        return {"FINISHED"}


classes = (SCENE_OT_synthheads_import_gem, SCENE_OT_synthheads_gem_coefficients, SCENE_OT_synthheads_load_sequence,
           SCENE_OT_synthheads_export_ply)  # fmt: skip
