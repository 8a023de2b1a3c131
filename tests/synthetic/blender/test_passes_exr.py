"""The pass files on a scene whose answer is known: a plane facing the camera at 1.5 m has depth
1.5 m in every pixel it covers (z along the optical axis, not the ray length, which grows towards
the corners), normal (0, -1, 0), and its material's pass index; the background is 0 everywhere."""

import numpy as np
import pytest
from _exr import read_exr

bpy = pytest.importorskip("bpy", reason="bpy 5.0.1 is a pinned dependency; this only skips outside the venv")

W, H = 80, 48


def _scene(tmp_path):
    import bmesh
    from mathutils import Matrix

    from synthetic.blender import render_settings

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    render_settings.configure_render(scene, render_settings.RenderSettings(W, H, samples=4, device="cpu"))
    mesh = bpy.data.meshes.new("plane")
    bm = bmesh.new()
    bmesh.ops.create_grid(bm, x_segments=1, y_segments=1, size=0.7)  # 1.4 m square, normal +Z
    bm.to_mesh(mesh)
    bm.free()
    mat = bpy.data.materials.new("wall")
    mat.pass_index = 5
    mesh.materials.append(mat)
    plane = bpy.data.objects.new("plane", mesh)
    plane.matrix_world = Matrix.Translation((0.3, 0.5, 0.0)) @ Matrix.Rotation(np.pi / 2, 4, "X")  # normal -Y
    scene.collection.objects.link(plane)
    cam = bpy.data.objects.new("cam", bpy.data.cameras.new("cam"))
    cam.data.lens = 20.0  # wide, so the ray length differs from z by several per cent at the edges
    cam.matrix_world = Matrix.Translation((0.0, -1.0, 0.0)) @ Matrix.Rotation(np.pi / 2, 4, "X")  # looks along +Y
    scene.collection.objects.link(cam)
    scene.camera = cam
    scene.world = bpy.data.worlds.new("w")
    return scene


def test_plane_passes(tmp_path):
    from synthetic.blender.passes import PassOutputs
    from synthetic.blender.worker import render_still

    scene = _scene(tmp_path)
    passes = PassOutputs(scene, ("depth", "normal", "seg"))
    final = {k: tmp_path / f"cam_{k}.exr" for k in passes.kinds}
    render_still(scene, tmp_path / "cam.png", passes, final)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cam.png", "cam_depth.exr", "cam_normal.exr", "cam_seg.exr"]
    depth, seg = read_exr(final["depth"])["V"], read_exr(final["seg"])["V"]
    n = read_exr(final["normal"])
    normal = np.stack([n["R"], n["G"], n["B"]], -1)
    assert depth.shape == seg.shape == (H, W)
    on = seg == 5
    assert 0.2 < on.mean() < 0.9 and set(np.unique(seg)) == {0.0, 5.0}
    np.testing.assert_allclose(depth[on], 1.5, atol=1e-4)  # z-depth: the same at the image edge as at the centre
    np.testing.assert_allclose(normal[on], np.broadcast_to([0.0, -1.0, 0.0], normal[on].shape), atol=1e-4)
    assert np.all(depth[~on] == 0) and np.all(seg[~on] == 0)
    # the wide lens makes the plane's covered pixels span a ray-length range the depth must not follow
    xs = np.nonzero(on.any(0))[0]
    tan_x = (xs.max() + 0.5 - W / 2) / (W / 2) * (18.0 / 20.0)  # 36 mm sensor, 20 mm lens
    assert np.sqrt(1 + tan_x**2) > 1.1, "ray length / z at the plane's far edge"
