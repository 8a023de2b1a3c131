"""Inside Blender: the README screenshots, made with the add-on's own operators from the installed zip:
a synthetic head, and an imported GEM at three coefficient values (Cycles, headless); with ``splats``
(Blender 5.3) only the GEM, as native Gaussian splats, at its mean and with jaw and smile, in Cycles and
EEVEE."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _addon_in_blender as B  # noqa: E402
import bpy  # noqa: E402
import numpy as np  # noqa: E402

A = B.args()
B.install(A["zip"])
from bl_ext.user_default.synthheads import scene_gem  # noqa: E402

from synthetic.formats.gem import read_gem  # noqa: E402

SIZE, SAMPLES = tuple(A["size"]), A["samples"]
scene = bpy.context.scene
scene.cycles.use_denoising = True
report = {"images": {}}


def shoot(name: str, hide=(), engine: str = "CYCLES") -> None:
    for obj in bpy.data.objects:
        obj.hide_render = obj.name in hide
    path = os.path.join(A["out"], f"{name}.png")
    report["images"][name] = {"path": path, **B.render(path, size=SIZE, samples=SAMPLES, engine=engine)}


def gem_coefficients(gem):
    """The GEM's mean, jaw open + smile, and a random face with bigger, fainter splats."""
    zero = gem.zero_coefficients()
    smile = {m: v.copy() for m, v in zero.items()}
    smile["position"][0] = 2.5 * gem.position.std[0]  # jaw open
    smile["position"][1] = 2.5 * gem.position.std[1]  # smile
    wild = gem.random_coefficients(np.random.default_rng(A["seed"]), scale=1.0)
    wild["position"][-1] = 0.0  # the fixture's noise component
    wild["scale"][0] = 1.5 * gem.scale.std[0]  # bigger splats
    wild["opacity"][0] = -1.5 * gem.opacity.std[0]  # more transparent
    return {"mean": zero, "jaw_smile": smile, "scale_opacity": wild}


if A.get("splats"):
    bpy.ops.scene.synthheads_import_gem(filepath=A["gem"])
    gem_obj, gem = bpy.context.active_object, read_gem(A["gem"])
    assert scene_gem.gem_info(gem_obj)["display"] == "SPLATS"
    B.frame_camera(target=(-0.01, -0.01, 0.0), distance=0.8, lens=70, yaw_deg=20, height=0.04)
    for label, coeffs in list(gem_coefficients(gem).items())[:2]:
        scene_gem.set_coefficients(gem_obj, coeffs)
        for engine, tag in (("CYCLES", "cycles"), ("BLENDER_EEVEE", "eevee")):
            shoot(f"addon_splats_gem_{label}_{tag}", engine=engine)
    B.write_report(os.path.join(A["out"], "report.json"), report)
    sys.exit(0)


# a synthetic head with an expression
s = scene.synthheads.head
s.seed, s.texture_size, s.hair_quality = A["seed"], "1024", A["hair_quality"]
bpy.ops.scene.synthheads_add_head()
head = bpy.context.active_object
keys = next(c for c in head.children if c.get("synthheads_part") == "mesh").data.shape_keys.key_blocks
for name, value in (("Exp008", 0.6), ("Exp024", 0.6), ("Exp000", 0.15)):  # smile left/right, a little jaw
    keys[name].value = value
B.light_scene(strength=3.5)
scene.world.color = (0.18, 0.2, 0.23)
B.frame_camera(target=(0.0, -0.02, 0.0), distance=0.95, lens=70, yaw_deg=-25, height=0.06)
shoot("addon_synthetic_head")
head_objects = {head.name, *(c.name for c in head.children)}

if A.get("closeup_size"):
    # a close-up as an artist would light it: key and fill area lights, a dim rim, AgX, denoised
    import mathutils

    for name, loc, energy, size in (("closeup_key", (-0.55, -0.75, 0.45), 22.0, 0.5),
                                    ("closeup_fill", (0.7, -0.6, 0.05), 5.0, 0.8),
                                    ("closeup_rim", (0.3, 0.7, 0.5), 12.0, 0.4)):
        light = bpy.data.objects.new(name, bpy.data.lights.new(name, "AREA"))
        light.data.energy, light.data.size = energy, size
        light.location = loc
        light.rotation_euler = (mathutils.Vector((0.0, -0.02, 0.02)) - mathutils.Vector(loc)).to_track_quat(
            "-Z", "Y").to_euler()
        scene.collection.objects.link(light)
    bpy.data.objects["test_sun"].hide_render = True
    scene.world.color = (0.05, 0.05, 0.055)
    for name, value in (("Exp008", 0.35), ("Exp024", 0.35), ("Exp000", 0.05)):
        keys[name].value = value
    B.frame_camera(target=(0.0, -0.03, 0.02), distance=0.78, lens=85, yaw_deg=-28, height=0.025)
    size = (A["closeup_size"], A["closeup_size"])
    path = os.path.join(A["out"], "addon_synthetic_head_closeup.png")
    scene.view_settings.look = "None"
    stats = B.render(path, size=size, samples=A["closeup_samples"], denoise=True, view_transform="AgX")
    report["images"]["addon_synthetic_head_closeup"] = {"path": path, **stats}
    for obj in list(bpy.data.objects):
        if obj.name.startswith("closeup_"):
            bpy.data.objects.remove(obj)
    bpy.data.objects["test_sun"].hide_render = False

# an imported GEM at three coefficient values
bpy.ops.scene.synthheads_import_gem(filepath=A["gem"])
gem_obj = bpy.context.active_object
gem = read_gem(A["gem"])
B.frame_camera(target=(-0.01, -0.01, 0.0), distance=0.8, lens=70, yaw_deg=20, height=0.04)
for label, coeffs in gem_coefficients(gem).items():
    scene_gem.set_coefficients(gem_obj, coeffs)
    shoot(f"addon_gem_{label}", head_objects)
B.write_report(os.path.join(A["out"], "report.json"), report)
