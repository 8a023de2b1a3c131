"""Panels in the 3D View sidebar, tab "SynthHeads" (drawing only; no data changes here)."""

from __future__ import annotations

import os

import bpy

from . import prefs
from .jobs import REGISTRY, project_dir_for, python_executable_ok

CATEGORY = "SynthHeads"


class _Panel:
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = CATEGORY


def draw_job(layout, kind: str) -> None:
    """Progress bar, message and Cancel/Log buttons of the latest ``kind`` job."""
    job = REGISTRY.get(kind)
    if job is None:
        return
    s = job.poll()
    box = layout.box()
    if not s.finished:
        text = f"{s.stage or 'starting'} {s.done}/{s.total}" if s.total else (s.stage or "starting")
        if hasattr(box, "progress"):
            box.progress(factor=s.fraction, type="BAR", text=text)
        else:  # Blender < 4.0 has no progress widget
            box.label(text=f"{text} ({100 * s.fraction:.0f} %)")
        if s.message:
            box.label(text=s.message[:80])
        row = box.row(align=True)
        row.operator("scene.synthheads_job_cancel", text="Cancel", icon="CANCEL").kind = kind
        row.operator("scene.synthheads_job_log", text="Log", icon="TEXT").kind = kind
        return
    icon = {"done": "CHECKMARK", "cancelled": "CANCEL"}.get(s.state, "ERROR")
    box.label(text=f"{job.spec.title}: {s.state} after {s.elapsed():.0f} s", icon=icon)
    if s.state == "failed":
        for line in _wrap(s.error, 60)[:4]:
            box.label(text=line)
    box.operator("scene.synthheads_job_log", text="Open Log", icon="TEXT").kind = kind


def _wrap(text: str, width: int) -> list[str]:
    words, lines, line = text.split(), [], ""
    for w in words:
        if len(line) + len(w) + 1 > width and line:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return [*lines, line] if line else lines


class VIEW3D_PT_synthheads_head(_Panel, bpy.types.Panel):
    bl_label = "Synthetic Head"

    def draw(self, context):
        from .scene_head import head_root

        s = context.scene.synthheads.head
        layout = self.layout
        layout.use_property_split = True
        layout.prop(s, "seed")
        col = layout.column(align=True)
        col.prop(s, "texture_size")
        col.prop(s, "hair_quality")
        col.prop(s, "n_shape_keys")
        col.prop(s, "strands")
        layout.operator("scene.synthheads_add_head", icon="USER")
        root = head_root(context.active_object)
        if root is None:
            layout.label(text="Select a synthetic head to randomise it", icon="INFO")
            return
        layout.label(text=f"Randomise {root.name} (next seed {s.seed + 1}):")
        grid = layout.grid_flow(columns=3, align=True)
        for part, label, icon in (("identity", "Identity", "USER"), ("expression", "Expression", "MONKEY"),
                                  ("skin", "Skin", "MATERIAL"), ("hair", "Hair", "CURVES"),
                                  ("beard", "Beard", "CURVES")):  # fmt: skip
            grid.operator("scene.synthheads_randomize", text=label, icon=icon).part = part


class VIEW3D_PT_synthheads_render(_Panel, bpy.types.Panel):
    bl_label = "Render Dataset"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        r = context.scene.synthheads.render
        layout = self.layout
        layout.use_property_split = True
        layout.prop(r, "rig")
        if r.rig == "custom":
            layout.prop(r, "cameras")
        col = layout.column(align=True)
        col.prop(r, "resolution_x")
        col.prop(r, "resolution_y")
        col = layout.column(align=True)
        for name in ("samples", "identities", "frames", "hair_quality", "texture_size", "device", "seed"):
            col.prop(r, name)
        layout.prop(r, "output_dir")
        row = layout.row(align=True)
        row.prop(r, "shard_index")
        row.prop(r, "shard_count")
        layout.prop(r, "resume")
        layout.operator("scene.synthheads_render_dataset", icon="RENDER_ANIMATION")
        draw_job(layout, "render")


class VIEW3D_PT_synthheads_backend(_Panel, bpy.types.Panel):
    bl_label = "Backend Jobs"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        p = prefs.get(context)
        b = context.scene.synthheads.backend
        layout = self.layout
        python = bpy.path.abspath(p.backend_python)
        if not python_executable_ok(python) or not project_dir_for(python, bpy.path.abspath(p.project_dir)):
            layout.label(text="Set the backend Python in the add-on preferences", icon="ERROR")
        layout.use_property_split = True
        box = layout.box()
        box.prop(b, "data_dir")
        box.prop(b, "prior_config")
        box.prop(b, "prior_dir")
        box.operator("scene.synthheads_train_prior", icon="MOD_DATA_TRANSFER")
        draw_job(box, "train-prior")
        box = layout.box()
        box.prop(b, "invert_prior", placeholder="shipped reference prior")
        box.prop(b, "photo_mask")
        box.prop(b, "avatar_path")
        row = box.row()
        row.operator("scene.synthheads_choose_photos", icon="IMAGE_DATA")
        row.label(text=f"{len(b.photos)} photo(s)")
        for photo in list(b.photos)[:4]:
            box.label(text=os.path.basename(photo.path), icon="IMAGE")
        box.operator("scene.synthheads_invert", icon="USER")
        draw_job(box, "invert")
        box = layout.box()
        box.prop(b, "avatar_path")
        box.prop(b, "components")
        box.prop(b, "gem_path")
        box.prop(b, "import_when_done")
        box.operator("scene.synthheads_distill_gem", icon="OUTLINER_OB_POINTCLOUD")
        draw_job(box, "distill-gem")


class VIEW3D_PT_synthheads_gem(_Panel, bpy.types.Panel):
    bl_label = "GEM Avatar"

    def draw(self, context):
        from .scene_gem import gem_info

        g = context.scene.synthheads.gem
        layout = self.layout
        layout.use_property_split = True
        layout.prop(g, "display")
        layout.prop(g, "gn_components")
        layout.prop(g, "ellipsoid_sigmas")
        layout.operator("scene.synthheads_import_gem", icon="IMPORT")
        obj = context.active_object
        info = gem_info(obj)
        if info is None:
            layout.label(text="Select an imported GEM to drive it", icon="INFO")
            return
        counts = info["component_counts"]
        shown = "native splats" if info.get("display") == "SPLATS" else "ellipsoids"
        layout.label(text=f"{obj.name}: {info['n_gaussians']} Gaussians ({shown})", icon="OUTLINER_OB_POINTCLOUD")
        layout.label(text="Components: " + ", ".join(f"{m} {k}" for m, k in counts.items()))
        layout.prop(g, "random_scale")
        row = layout.row(align=True)
        row.operator("scene.synthheads_gem_coefficients", text="Random", icon="RNDCURVE").mode = "RANDOM"
        row.operator("scene.synthheads_gem_coefficients", text="Mean", icon="LOOP_BACK").mode = "ZERO"
        layout.operator("scene.synthheads_load_sequence", icon="ACTION")
        layout.operator("scene.synthheads_export_ply", icon="EXPORT")
        keys = obj.data.shape_keys
        if keys is not None:
            col = layout.column(align=True)
            col.use_property_split = False
            for kb in list(keys.key_blocks)[1:9]:
                col.prop(kb, "value", text=kb.name, slider=True)
            if len(keys.key_blocks) > 9:
                col.label(text="More sliders: Object Data > Shape Keys and the modifier's inputs")


classes = (VIEW3D_PT_synthheads_head, VIEW3D_PT_synthheads_render, VIEW3D_PT_synthheads_backend,
           VIEW3D_PT_synthheads_gem)  # fmt: skip
