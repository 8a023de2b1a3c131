"""Operators of the Synthetic Head panel (thin: settings -> core -> report)."""

from __future__ import annotations

import bpy
from bpy.props import EnumProperty, IntProperty

PART_ITEMS = [("identity", "Identity", "Head shape (Shape### keys) and the rig fitted to it"),
              ("expression", "Expression", "A random expression on the Exp### keys"),
              ("skin", "Skin", "Skin textures and iris colour"),
              ("hair", "Hair", "Hair style and colour"),
              ("beard", "Beard", "Beard, brows and lashes")]  # fmt: skip


def _domain_errors():
    from synthetic.assets.errors import AssetInputError
    from synthetic.errors import UserInputError

    return (UserInputError, AssetInputError, LookupError, OSError)


class SCENE_OT_synthheads_add_head(bpy.types.Operator):
    """Add a synthetic head: mesh with identity and expression shape keys, rig, textured materials, hair curves"""

    bl_idname = "scene.synthheads_add_head"
    bl_label = "Add Synthetic Head"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        return context.mode == "OBJECT"

    def execute(self, context):
        from .head_data import HeadOptions
        from .scene_head import add_head

        s = context.scene.synthheads.head
        options = HeadOptions(seed=s.seed, texture_size=int(s.texture_size), hair_quality=s.hair_quality,
                              n_shape_keys=s.n_shape_keys, strands=s.strands)  # fmt: skip
        try:
            root = add_head(context, options)
        except _domain_errors() as exc:
            self.report({"ERROR"}, f"Add Synthetic Head: {exc}")
            return {"CANCELLED"}
        for obj in context.view_layer.objects:
            obj.select_set(False)
        root.select_set(True)
        context.view_layer.objects.active = root
        self.report({"INFO"}, f"Added {root.name} (seed {options.seed})")
        return {"FINISHED"}


class SCENE_OT_synthheads_randomize(bpy.types.Operator):
    """Draw one part of the active synthetic head afresh from a seed (each part has its own random stream)"""

    bl_idname = "scene.synthheads_randomize"
    bl_label = "Randomise"
    bl_options = {"REGISTER", "UNDO"}

    part: EnumProperty(name="Part", items=PART_ITEMS, default="identity")
    seed: IntProperty(name="Seed", description="-1: the next seed (the panel's seed + 1, shown in the panel)",
                      min=-1, default=-1)  # fmt: skip

    @classmethod
    def poll(cls, context):
        from .scene_head import head_root

        return context.mode == "OBJECT" and head_root(context.active_object) is not None

    @classmethod
    def description(cls, context, properties):
        return next(d for key, _, d in PART_ITEMS if key == properties.part)

    def execute(self, context):
        from .scene_head import head_root, randomize

        settings = context.scene.synthheads.head
        seed = self.seed
        if seed < 0:
            settings.seed += 1
            seed = settings.seed
        root = head_root(context.active_object)
        try:
            randomize(context, root, self.part, seed)
        except _domain_errors() as exc:
            self.report({"ERROR"}, f"Randomise {self.part}: {exc}")
            return {"CANCELLED"}
        self.report({"INFO"}, f"{root.name}: {self.part} from seed {seed}")
        return {"FINISHED"}


classes = (SCENE_OT_synthheads_add_head, SCENE_OT_synthheads_randomize)
