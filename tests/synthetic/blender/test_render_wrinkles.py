"""Expression wrinkles reach Cycles: the skin's wrinkle values bump the forehead when the brows go
up (and only there), and a neutral frame renders as the micro-detail alone; the eyes are textured."""

import numpy as np
import pytest

bpy = pytest.importorskip("bpy", reason="bpy 5.0.1 is a pinned dependency; this only skips outside the venv")

from _stage import staged_identity  # noqa: E402

SIZE = 256


def _render(scene, path):
    from PIL import Image

    scene.render.filepath = str(path)
    bpy.ops.render.render(write_still=True)
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.float64) / 255.0


def test_brow_raise_lines_the_forehead_in_the_render(tmp_path):
    from synthetic.assets.wrinkles import WRINKLES, wrinkle_activations
    from synthetic.blender import identity_scene
    from synthetic.rig import project_points

    with staged_identity(11, SIZE) as st:
        scene, model, staged = st.scene, st.model, st.staged
        for g in staged.objs.strands:  # hair would hide the forehead
            g.obj.hide_render = True
        bsdf = next(n for n in staged.objs.skin.node_tree.nodes if n.bl_idname == "ShaderNodeBsdfPrincipled")
        bsdf.inputs["Subsurface Weight"].default_value = 0.0  # the bump, not subsurface noise, is under test
        names = model.expression_names
        brows = np.zeros(len(names))
        brows[names.index("brow_inner_up")] = 1.0
        images = {}
        for label, expr in (("neutral", np.zeros(len(names))), ("brows", brows)):
            identity_scene.update_frame(staged.objs, model, staged.shape, expr, np.zeros((model.n_joints, 3)))
            images[label] = _render(scene, tmp_path / f"{label}.png")
        # the same brow raise with the wrinkle values forced to 0: only the geometry moves
        flat = dict.fromkeys(WRINKLES, 0.0)
        from synthetic.blender.materials import set_wrinkles

        set_wrinkles(staged.objs.skin, flat)
        images["no_wrinkles"] = _render(scene, tmp_path / "no_wrinkles.png")
        assert wrinkle_activations(names, brows)[WRINKLES.index("forehead")] > 0.5

        verts = model.vertices(staged.shape, brows, np.zeros((model.n_joints, 3)))
        lm = dict(zip(model.landmark_mediapipe.tolist(), model.landmarks(verts), strict=True))
        cam = next(c for c in staged.rig if c.name == "cam_02")
        (fx, fy), (mx, my) = project_points(np.array([lm[10], lm[0]]), cam.K, cam.w2c)[0]  # forehead top, upper lip
        brow_y = np.mean([project_points(lm[i][None], cam.K, cam.w2c)[0][0, 1] for i in (105, 334)])
        forehead = (slice(int(fy) - 16, int(brow_y) - 2), slice(int(fx) - 24, int(fx) + 24))
        mouth = (slice(int(my) - 4, int(my) + 6), slice(int(mx) - 10, int(mx) + 10))
        wrinkled = np.abs(images["brows"] - images["no_wrinkles"])
        lines = wrinkled[forehead].max(-1)
        assert np.percentile(lines, 95) > 0.03, "the forehead lines do not show"
        assert wrinkled[mouth].mean() < 0.25 * wrinkled[forehead].mean(), "wrinkles appeared around the mouth"
        # the eyes read the identity's painted texture (iris pattern, veins), not flat colours
        for m in staged.objs.head.data.materials:
            if m.name.startswith(("sclera", "iris")):
                bsdf = next(n for n in m.node_tree.nodes if n.bl_idname == "ShaderNodeBsdfPrincipled")
                link = bsdf.inputs["Base Color"].links[0]
                assert link.from_node.image.name.endswith("_albedo"), m.name
        # the skin scatters as its chromophores say
        from synthetic.assets.skin import SkinParams

        radius, scale, weight = SkinParams.from_json(staged.params["skin"]).subsurface()
        skin_bsdf = next(n for n in staged.objs.skin.node_tree.nodes if n.bl_idname == "ShaderNodeBsdfPrincipled")
        assert skin_bsdf.inputs["Subsurface Scale"].default_value == pytest.approx(scale)
        assert tuple(skin_bsdf.inputs["Subsurface Radius"].default_value) == pytest.approx(tuple(radius))
        # at neutral every wrinkle value is 0
        assert all(staged.objs.skin.node_tree.nodes[f"wrinkle_{w}"].outputs[0].default_value == 0.0 for w in WRINKLES)
