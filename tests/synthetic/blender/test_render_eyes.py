"""The eyes in Cycles keep their painted colour: a brown iris renders brown with a black pupil in it.

Under a Principled sheen of their own (the default specular) and a refractive glass cornea (shadow rays stop at
glass, so the iris was lit only by caustic paths), brown irises rendered as flat grey-lilac discs, the pupil
0.05 grey: the eyes of a doll."""

import numpy as np
import pytest

bpy = pytest.importorskip("bpy", reason="bpy 5.0.1 is a pinned dependency; this only skips outside the venv")

from _stage import staged_identity  # noqa: E402

SIZE = 512
SEED = 11  # a brown-eyed man of 75 (the iris family is checked below)


def _srgb_to_linear(c: np.ndarray) -> np.ndarray:
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def test_a_brown_iris_renders_brown_around_a_black_pupil(tmp_path):
    from PIL import Image

    from synthetic.assets.pigments import IrisColour
    from synthetic.blender import identity_scene, staging
    from synthetic.rig import project_points

    with staged_identity(SEED, SIZE, samples=32) as st:
        scene, model, staged = st.scene, st.model, st.staged
        iris = IrisColour(**staged.params["iris"])
        assert iris.name == "brown", iris.name  # the test's premise: a saturated, dark iris
        for g in staged.objs.strands:  # lashes and hair are not under test
            g.obj.hide_render = True
        expr, pose, _ = staging.frame_inputs(model, staged.assets, 0, 1)
        identity_scene.update_frame(staged.objs, model, staged.shape, expr, pose)
        verts = model.vertices(staged.shape, expr, pose)
        cornea = verts[model.part_vertices("cornea_left")]
        centre = cornea.mean(axis=0)
        limbus = cornea[np.argmax(np.linalg.norm(cornea - centre, axis=1))]
        cam = next(c for c in staged.rig if c.name == "cam_02")
        (c_px, l_px), _ = project_points(np.stack([centre, limbus]), cam.K, cam.w2c)
        radius = float(np.linalg.norm(l_px - c_px))  # the iris's radius in pixels
        assert radius > 8, radius
        # render only a box round the eye
        pad = 2.5 * radius
        r = scene.render
        r.use_border, r.use_crop_to_border = True, False
        r.border_min_x, r.border_max_x = (c_px[0] - pad) / SIZE, (c_px[0] + pad) / SIZE
        r.border_min_y, r.border_max_y = 1 - (c_px[1] + pad) / SIZE, 1 - (c_px[1] - pad) / SIZE
        r.filepath = str(tmp_path / "eye.png")
        bpy.ops.render.render(write_still=True)
        img = _srgb_to_linear(np.asarray(Image.open(r.filepath).convert("RGB"), np.float64) / 255.0)
    yy, xx = np.mgrid[:SIZE, :SIZE] + 0.5
    d = np.hypot(xx - c_px[0], yy - c_px[1]) / radius
    below = yy > c_px[1] + 0.2 * radius  # the upper lid covers the iris's top
    ring = img[(d > 0.5) & (d < 0.8) & below]
    pupil = img[d < 0.3]
    assert len(ring) >= 20 and len(pupil) >= 10, (len(ring), len(pupil))
    seen = np.median(ring, axis=0)
    painted = 0.5 * (np.asarray(iris.inner) + np.asarray(iris.outer))
    chroma = lambda c: c / c.sum()  # noqa: E731
    assert np.abs(chroma(seen) - chroma(painted)).max() < 0.08, (chroma(seen), chroma(painted))
    luminance = lambda c: c @ np.array([0.2126, 0.7152, 0.0722])  # noqa: E731
    # the pupil is darker than the iris, though not black: the cornea mirrors the room over both (2.5 % head-on),
    # and in an even light that is half a brown iris's brightness (a brown eye's pupil is hard to see in people too)
    darkest = np.percentile(luminance(pupil), 25)  # a catchlight may cross the pupil
    assert darkest < 0.8 * luminance(seen), (darkest, luminance(seen))
