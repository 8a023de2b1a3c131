"""Blender cameras built from the rig reproduce the OpenCV projection: a small sphere rendered by
Cycles lands where K and w2c put it (checked on the alpha mask's centroid)."""

import numpy as np
import pytest

bpy = pytest.importorskip("bpy", reason="bpy 5.0.1 is a pinned dependency; this only skips outside the venv")


def render_alpha(scene, path):
    scene.render.filepath = str(path)
    bpy.ops.render.render(write_still=True)
    from PIL import Image

    return np.asarray(Image.open(path))[..., 3].astype(np.float64) / 255.0


@pytest.mark.parametrize("width,height", [(96, 64), (64, 96)])
def test_rendered_sphere_lands_where_the_rig_projects_it(tmp_path, width, height):
    import bmesh

    from synthetic.blender import cameras, render_settings
    from synthetic.rig import RigSettings, build_rig, project_points

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    render_settings.configure_render(scene, render_settings.RenderSettings(width, height, samples=4, device="cpu",
                                                                           denoise=False))
    settings = RigSettings(width=width, height=height, distance=1.0)
    rig = build_rig(settings, np.random.default_rng(3))
    # a 1 cm sphere away from the rig target, so a wrong shift or lens would move it visibly
    centre = np.array([0.05, -0.06, 0.07])
    mesh = bpy.data.meshes.new("ball")
    bm = bmesh.new()
    bmesh.ops.create_uvsphere(bm, u_segments=24, v_segments=12, radius=0.01)
    bm.to_mesh(mesh)
    bm.free()
    ball = bpy.data.objects.new("ball", mesh)
    ball.location = centre.tolist()
    scene.collection.objects.link(ball)
    world = bpy.data.worlds.new("w")
    scene.world = world
    obs = cameras.setup_rig_cameras(scene, rig, width, height)
    for cam, ob in list(zip(rig, obs))[::7]:  # front and hemisphere cameras
        scene.camera = ob
        alpha = render_alpha(scene, tmp_path / f"{cam.name}.png")
        assert alpha.sum() > 3, f"{cam.name}: the sphere is not in the image"
        ys, xs = np.nonzero(alpha > 0.5)
        w = alpha[ys, xs]
        centroid = np.array([(xs + 0.5) @ w / w.sum(), (ys + 0.5) @ w / w.sum()])
        expected, _ = project_points(centre[None], cam.K, cam.w2c)
        assert np.linalg.norm(centroid - expected[0]) < 0.75, (cam.name, centroid, expected[0])
