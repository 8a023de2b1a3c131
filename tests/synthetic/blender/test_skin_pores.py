"""The skin shader's pores and grain reach Cycles: a close-up of a skin-shaded ball has fine structure in its
highlight that the same ball without them lacks (the texture maps are too coarse to carry pores)."""

import numpy as np
import pytest

bpy = pytest.importorskip("bpy", reason="bpy 5.0.1 is a pinned dependency; this only skips outside the venv")


def _high_frequency(img: np.ndarray) -> float:
    """Mean absolute Laplacian of the luminance (fine structure), over the lit part of the ball."""
    lum = img.mean(axis=2)
    lap = np.abs(4 * lum[1:-1, 1:-1] - lum[:-2, 1:-1] - lum[2:, 1:-1] - lum[1:-1, :-2] - lum[1:-1, 2:])
    lit = lum[1:-1, 1:-1] > 0.15
    return float(lap[lit].mean())


def test_pores_roughen_a_close_up_highlight(tmp_path):
    from PIL import Image

    from synthetic.blender import materials

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = 32
    scene.cycles.use_denoising = False
    scene.cycles.seed = 3
    scene.render.resolution_x = scene.render.resolution_y = 96
    bpy.ops.mesh.primitive_uv_sphere_add(radius=0.02, segments=64, ring_count=32)
    ball = bpy.context.active_object
    bpy.ops.object.shade_smooth()
    skin = materials.skin_material("skin", np.full((8, 8, 3), 0.55, np.float32), relief=np.zeros((8, 8, 1), np.float32),
                                   subsurface=((1.0, 0.35, 0.2), 0.004, 0.0))
    ball.data.materials.append(skin)
    cam_data = bpy.data.cameras.new("cam")
    cam_data.lens, cam_data.sensor_width = 300.0, 36.0  # ~5 mm of skin across 96 px: a pore spans ~7 px
    cam_data.clip_start = 0.001
    cam = bpy.data.objects.new("cam", cam_data)
    cam.location = (0.0, -0.06, 0.0)
    cam.rotation_euler = (np.pi / 2, 0.0, 0.0)
    scene.collection.objects.link(cam)
    scene.camera = cam
    sun = bpy.data.objects.new("sun", bpy.data.lights.new("sun", "SUN"))
    sun.data.energy = 4.0
    sun.rotation_euler = (np.radians(70), 0.0, np.radians(-20))
    scene.collection.objects.link(sun)

    def render(name: str) -> np.ndarray:
        scene.render.filepath = str(tmp_path / f"{name}.png")
        bpy.ops.render.render(write_still=True)
        return np.asarray(Image.open(scene.render.filepath).convert("RGB"), dtype=np.float64) / 255.0

    with_pores = render("pores")
    nodes = skin.node_tree.nodes
    for node in nodes:  # mute the pits and the grain: what the shader had before
        if node.bl_idname == "ShaderNodeMapRange":
            node.inputs["To Min"].default_value = 0.0
        if node.bl_idname == "ShaderNodeMath" and node.operation == "MULTIPLY_ADD" and \
                abs(node.inputs[2].default_value + materials.SKIN_GRAIN_MM) < 1e-6:
            node.inputs[1].default_value = node.inputs[2].default_value = 0.0
    smooth = render("smooth")
    assert with_pores.mean() > 0.1 and smooth.mean() > 0.1  # the ball is lit and seen
    assert _high_frequency(with_pores) > 1.5 * _high_frequency(smooth)
