"""Scene settings of the SynthHeads panels (``scene.synthheads``), one group per panel."""

from __future__ import annotations

import bpy
from bpy.props import (
    BoolProperty,
    CollectionProperty,
    EnumProperty,
    FloatProperty,
    IntProperty,
    PointerProperty,
    StringProperty,
)

from .job_commands import PHOTO_MASK_ITEMS

TEXTURE_SIZES = [(s, s, f"{s} x {s} texels") for s in ("256", "512", "1024", "2048")]
HAIR_QUALITY = [("preview", "Preview", "About 5,000 scalp strands (fast)"),
                ("render", "Render", "About 60,000 scalp strands")]  # fmt: skip


class SynthHeadsHeadSettings(bpy.types.PropertyGroup):
    seed: IntProperty(name="Seed", description="Seed of Add Synthetic Head and of the last Randomise", min=0,
                      default=0)  # fmt: skip
    texture_size: EnumProperty(name="Texture", items=TEXTURE_SIZES, default="512")
    hair_quality: EnumProperty(name="Hair", items=HAIR_QUALITY, default="preview")
    n_shape_keys: IntProperty(name="Identity Keys", description="Identity components as Shape### shape keys",
                              min=1, max=80, default=50)  # fmt: skip
    strands: BoolProperty(name="Hair Curves", description="Grow hair, beard, brows and lashes", default=True)


class SynthHeadsRenderSettings(bpy.types.PropertyGroup):
    rig: EnumProperty(name="Rig", items=[("all", "Full Rig", "All 28 cameras (14 front, 14 hemisphere)"),
                                         ("front", "Front", "The 14 front cameras"),
                                         ("custom", "Custom", "Camera names, comma separated")],
                      default="all")  # fmt: skip
    cameras: StringProperty(name="Cameras", description="Camera names for the custom rig, e.g. cam_00,cam_05")
    resolution_x: IntProperty(name="Width", min=8, max=8192, default=768, subtype="PIXEL")
    resolution_y: IntProperty(name="Height", min=8, max=8192, default=512, subtype="PIXEL")
    samples: IntProperty(name="Samples", min=1, max=4096, default=64)
    identities: IntProperty(name="Identities", min=1, max=100000, default=10)
    frames: IntProperty(name="Frames", description="Frames per identity (frame 0 is neutral)", min=1, max=1000,
                        default=4)  # fmt: skip
    output_dir: StringProperty(name="Output", subtype="DIR_PATH", default="//synthheads_dataset")
    shard_index: IntProperty(name="Shard", min=0, default=0)
    shard_count: IntProperty(name="of", min=1, default=1)
    resume: BoolProperty(name="Resume", description="Skip identities that are already complete", default=True)
    hair_quality: EnumProperty(name="Hair", items=HAIR_QUALITY, default="render")
    texture_size: EnumProperty(name="Texture", items=TEXTURE_SIZES, default="1024")
    device: EnumProperty(name="Device", items=[(d, d.upper() if d != "auto" else "Auto", "") for d in
                                               ("auto", "cpu", "gpu")], default="auto")  # fmt: skip
    seed: IntProperty(name="Seed", min=0, default=0)


class SynthHeadsPhoto(bpy.types.PropertyGroup):
    path: StringProperty(name="Photo", subtype="FILE_PATH")


class SynthHeadsBackendSettings(bpy.types.PropertyGroup):
    data_dir: StringProperty(name="Dataset", subtype="DIR_PATH", default="//synthheads_dataset")
    prior_config: StringProperty(name="Config", default="tiny", description="Preset of backend train-prior")
    prior_dir: StringProperty(name="Prior Run", subtype="DIR_PATH", default="//prior")
    invert_prior: StringProperty(name="Prior", subtype="FILE_PATH", default="",
                                 description="Prior run folder or checkpoint that Invert from Photos uses; empty: the "
                                             "prior shipped with the backend (models/reference_prior.pt)")
    photo_mask: EnumProperty(name="Photo Mask", items=PHOTO_MASK_ITEMS, default="head",
                             description="What of each photo Invert from Photos fits")
    avatar_path: StringProperty(name="Avatar", subtype="FILE_PATH", default="//avatar.pt",
                                 description="Avatar file that Invert from Photos writes and Distill GEM reads")
    gem_path: StringProperty(name="GEM File", subtype="FILE_PATH", default="//avatar.gem")
    components: IntProperty(name="Components", min=1, max=512, default=30)
    import_when_done: BoolProperty(name="Import When Done", default=True)
    photos: CollectionProperty(type=SynthHeadsPhoto)


class SynthHeadsGemSettings(bpy.types.PropertyGroup):
    display: EnumProperty(
        name="Display", default="AUTO",
        items=[("AUTO", "Automatic", "Native Gaussian splats on Blender 5.3 and newer, ellipsoids before"),
               ("SPLATS", "Gaussian Splats", "Blender 5.3's native 3D Gaussian splats (rendered by Workbench, "
                "EEVEE and Cycles)"),
               ("ELLIPSOIDS", "Ellipsoids", "An emissive ellipsoid instance per Gaussian (any Blender)")],
        description="How Import GEM shows the Gaussians")  # fmt: skip
    gn_components: IntProperty(
        name="Node Components", min=0, max=32, default=8,
        description="Rotation/scale/opacity components exposed as geometry-node inputs (each)")
    ellipsoid_sigmas: FloatProperty(
        name="Ellipsoid Size", min=0.1, max=5.0, default=1.5,
        description="Half-axes of the displayed ellipsoids in standard deviations")
    random_scale: FloatProperty(
        name="Spread", min=0.0, max=3.0, default=1.0,
        description="Random coefficients are drawn with this many standard deviations")
    seed: IntProperty(name="Seed", min=0, default=0)


class SynthHeadsSettings(bpy.types.PropertyGroup):
    head: PointerProperty(type=SynthHeadsHeadSettings)
    render: PointerProperty(type=SynthHeadsRenderSettings)
    backend: PointerProperty(type=SynthHeadsBackendSettings)
    gem: PointerProperty(type=SynthHeadsGemSettings)


classes = (SynthHeadsHeadSettings, SynthHeadsRenderSettings, SynthHeadsPhoto, SynthHeadsBackendSettings,
           SynthHeadsGemSettings, SynthHeadsSettings)  # fmt: skip


def register_pointers() -> None:
    bpy.types.Scene.synthheads = PointerProperty(type=SynthHeadsSettings)


def unregister_pointers() -> None:
    del bpy.types.Scene.synthheads
