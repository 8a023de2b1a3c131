"""`--clothing`: a collar that clears the neck and a shirt that stays under the shoulders long hair
rests on, labelled neck/clothes (6) in the seg pass."""

import json

import numpy as np
import pytest
from _cli import synthetic_cli
from _exr import read_exr

pytest.importorskip("bpy", reason="bpy 5.0.1 is a pinned dependency; this only skips outside the venv")


@pytest.fixture(scope="module")
def model():
    from synthetic.head import HeadModel

    return HeadModel.load()


@pytest.mark.parametrize("collar", [0.012, 0.04])
def test_collar_clears_the_neck_and_shirt_stays_under_the_shoulders(model, collar):
    from synthetic.assets.collision import BodyProxy
    from synthetic.assets.head_adapter import landmarks_from_model
    from synthetic.blender import clothing

    rng = np.random.default_rng(7)
    verts = model.vertices(model.sample_shape(rng))
    cloth, faces = clothing.clothing_geometry(model, verts, collar)
    assert faces.min() >= 0 and faces.max() < len(cloth) and np.isfinite(cloth).all()
    neck = verts[model.vertex_mask("neck")]
    z_cut = neck[:, 2].min()
    # every neck vertex at collar height is inside the collar's inner wall (which the mesh starts with)
    inner = cloth[: clothing.SEGMENTS]
    centre = inner[:, :2].mean(0)
    band = neck[neck[:, 2] < z_cut + collar]
    angle = np.arctan2(band[:, 1] - centre[1], band[:, 0] - centre[0])
    wall_angle = np.arctan2(inner[:, 1] - centre[1], inner[:, 0] - centre[0])
    nearest = np.argmin(np.abs(np.angle(np.exp(1j * (angle[:, None] - wall_angle[None])))), axis=1)
    r_neck = np.linalg.norm(band[:, :2] - centre, axis=1)
    r_wall = np.linalg.norm(inner[nearest, :2] - centre, axis=1)
    assert np.all(r_wall - r_neck > 0.004), "the collar must not touch the neck"
    # the shirt never rises above the top of the shoulder capsule that hair collides with
    body = BodyProxy.below_neck(model.anchors(verts)["neck_base"], landmarks_from_model(model, verts).scale)
    shoulders = BodyProxy(body.shoulder_a, body.shoulder_b, body.shoulder_radius, body.torso_centre - [0, 0, 10.0],
                          np.full(3, 1e-3))  # fmt: skip
    shirt = cloth[4 * clothing.SEGMENTS :]  # after the collar's four rings
    top = clothing._body_top(shoulders, shirt[:, :2], z_cut + 0.1, z_cut - 0.5)
    under = ~np.isnan(top)
    assert under.mean() > 0.3, "the shirt should cover the shoulders"
    assert np.all(shirt[under, 2] <= top[under] - clothing.UNDER_PROXY_M + 1e-6)


def test_render_with_clothing_labels_it(tmp_path):
    out = tmp_path / "data"
    synthetic_cli("render", "--out", out, "--identities", 1, "--frames", 1, "--resolution", "96x64", "--samples", 2,
                  "--texture-size", 128, "--hair-quality", "preview", "--device", "cpu", "--cameras", "cam_11,cam_20",
                  "--passes", "seg", "--clothing")  # fmt: skip
    synthetic_cli("validate", out)
    params = json.loads((out / "id_00000" / "identity.json").read_text())
    assert 0.01 < params["clothing"]["collar_height_m"] < 0.05
    assert json.loads((out / "dataset.json").read_text())["generator"]["clothing"] is True
    for cam in ("cam_11", "cam_20"):  # cameras above the face and behind the head look down on the shoulders
        seg = read_exr(out / "id_00000" / "frame_0000" / f"{cam}_seg.exr")["V"]
        rows = np.nonzero((seg == 6).any(1))[0]
        assert (seg == 6).sum() > 100 and rows.max() == seg.shape[0] - 1, f"{cam}: no shirt at the image bottom"
