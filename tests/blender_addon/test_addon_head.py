"""Add Synthetic Head and Randomise in headless Blender, from the installed extension zip."""

from __future__ import annotations

import numpy as np
import pytest
from _addon_harness import run_scenario

from synthetic.head import HeadModel

SEED = 3
OPERATORS = {"add_head", "randomize", "import_gem", "gem_coefficients", "load_sequence", "export_ply",
             "render_dataset", "train_prior", "choose_photos", "invert", "distill_gem", "job_cancel", "job_log"}


@pytest.fixture(scope="module")
def report(addon_zip, tmp_path_factory, blender):
    return run_scenario("head", tmp_path_factory.mktemp("head"), blender=blender, zip=str(addon_zip), seed=SEED)


@pytest.fixture(scope="module")
def model():
    return HeadModel.load()


def test_registers_operators_and_panels(report):
    assert {o.removeprefix("synthheads_") for o in report["operators"]} == OPERATORS
    assert report["panels"] == ["SynthHeads:Backend Jobs", "SynthHeads:GEM Avatar", "SynthHeads:Render Dataset",
                                "SynthHeads:Synthetic Head"]  # fmt: skip


def test_head_mesh_and_shape_keys(report, model):
    mesh = report["mesh"]
    assert (mesh["vertices"], mesh["polygons"]) == (model.n_vertices, model.n_faces)
    assert mesh["uv_layers"] == ["UVMap"] and mesh["modifiers"] == [["ARMATURE", report["root"]["name"]]]
    keys = report["keys"]
    assert [k[0] for k in keys] == ["Basis", *(f"Shape{k:03d}" for k in range(50)),
                                    *(f"Exp{e:03d}" for e in range(model.n_expression))]  # fmt: skip
    assert all((lo, hi) == (-3.0, 3.0) for _, lo, hi, _ in keys[1:51])
    ranges = np.array([(lo, hi) for _, lo, hi, _ in keys[51:]])
    np.testing.assert_allclose(ranges, np.clip(model.expression_ranges, -10, 10), atol=1e-6)
    assert report["identity_value_err"] < 1e-5  # slider = coefficient / std of the seed's identity
    assert any(abs(v) > 0.1 for _, _, _, v in keys[1:51])
    # neutral expression, the eyelids at the identity's resting drop (as the dataset's frame 0)
    exp = {model.expression_names[e]: v for e, (_, _, _, v) in enumerate(keys[51:])}
    rest = report["lid_rest"]
    assert 0.05 <= rest <= 0.3
    assert exp.pop("eye_blink_left") == pytest.approx(rest) and exp.pop("eye_blink_right") == pytest.approx(rest)
    assert all(v == 0 for v in exp.values())
    assert report["key_names"] == {f"Exp{e:03d}": n for e, n in enumerate(model.expression_names)}


def test_rig_bones_weights_and_drivers(report, model):
    bones = report["bones"]
    assert list(bones) == list(model.joint_names)
    for j, name in enumerate(model.joint_names):
        parent = model.joint_parents[j]
        assert bones[name]["parent"] == (None if parent < 0 else model.joint_names[parent])
    assert report["bone_head_err"] < 1e-6 and report["skin_weight_err"] < 1e-5
    paths = {(p, i) for p, i, _ in report["drivers"]}
    assert ('pose.bones["jaw"].rotation_euler', 0) in paths and all("Exp0" not in e for _, _, e in report["drivers"])
    # jaw_open through its driver, a head turn and a glance match the numpy model's skinning to 0.01 mm
    assert report["rig_jaw_motion"] > 0.01 and report["rig_err"] < 1e-5
    assert report["full_model_diff"] < 0.01  # the full model adds pose correctives the add-on leaves out
    assert report["teeth_offset_max"] > 2e-4  # the identity's own teeth are in the base mesh (rig_err includes them)
    assert report["hair_follows_head"]


def test_expression_sliders_drive_the_skin_wrinkles(report, model):
    """The skin's wrinkle values follow the expression shape keys through drivers, as the dataset
    renderer sets them from the frame's coefficients (jaw open + half a left smile here)."""
    from synthetic.assets.wrinkles import WRINKLES, wrinkle_activations

    want = wrinkle_activations(model.expression_names, np.array(report["wrinkle_expression"]))
    got = report["wrinkles"]
    assert set(got) == {f"wrinkle_{w}" for w in WRINKLES}
    assert want[WRINKLES.index("nasolabial")] > 0.2 and want[WRINKLES.index("forehead")] == 0
    for w, a in zip(WRINKLES, want, strict=True):
        assert abs(got[f"wrinkle_{w}"] - a) < 1e-5, (w, got[f"wrinkle_{w}"], a)


def test_materials_and_hair_curves(report):
    mats = report["materials"]
    assert mats["count"] >= 8 and {"skin", "neck", "iris", "sclera", "pupil"} <= set(mats["roles"])
    # the eyes read the skin's albedo image (painted iris, sclera veins), as in the dataset renders
    assert len(report["eye_images"]) == 1 and report["eye_images"][0].endswith("_albedo")
    assert all(packed and tuple(size) == (256, 256) for _, packed, size in mats["images"])  # saved with the .blend
    assert sum("relief" in name for name, _, _ in mats["images"]) == 3  # micro-detail + six wrinkle maps
    strands = report["strands"]
    assert set(strands) == {"hair", "beard", "brows", "lashes"}
    for group, s in strands.items():
        assert s["type"] == "CURVES" and s["parent_type"] == "BONE" and s["parent_bone"] == "head", group
        assert s["world_is_identity_at_rest"], group
    assert strands["hair"]["curves"] > 1000 and strands["brows"]["curves"] > 50 and strands["lashes"]["curves"] > 50


def test_randomise_changes_only_its_part(report, model):
    r = report["randomize"]
    order = ["before", "identity", "expression", "skin", "hair", "beard"]
    for prev, part in zip(order, order[1:]):
        a, b = r[prev], r[part]
        assert b["seeds"][part] == 100 + order.index(part) - 1
        changed = {
            "shape": a["shape"] != b["shape"], "exp": a["exp"] != b["exp"], "bones": a["bones"] != b["bones"],
            "skin": a["skin_image"] != b["skin_image"], "hair": a["hair"]["hair"] != b["hair"]["hair"],
            "facial": a["params"]["facial_hair"] != b["params"]["facial_hair"],
        }  # fmt: skip
        expected = {"identity": {"shape", "bones", "hair"}, "expression": {"exp"}, "skin": {"skin"},
                    "hair": {"hair"}, "beard": {"facial"}}[part]  # fmt: skip
        assert {k for k, v in changed.items() if v} == expected, (part, changed)
        # nothing leaks: the same number of images, materials and curve datablocks after each redraw
        assert (b["n_images"], b["n_materials"], b["n_curves"]) == (a["n_images"], a["n_materials"], a["n_curves"])
    np.testing.assert_allclose(r["expression"]["exp"], report["expected_expression"], atol=1e-6)
    # the base mesh carries the current identity's mouth (teeth, gums, lip corners), the keys keep their offsets
    assert r["identity"]["base"] != r["before"]["base"]
    assert all(r[k]["rest_error"] < 1e-5 and r[k]["key_error"] < 1e-5 for k in order), \
        {k: (r[k]["rest_error"], r[k]["key_error"]) for k in order}
    # a new skin brings a new painted iris: the eyes follow the skin's new albedo image
    assert r["skin"]["eye_images"] != r["expression"]["eye_images"]
    assert all(r[k]["eye_images"] == [r[k]["skin_image"]] for k in order)
    assert r["skin"]["skin_pixels"] != r["expression"]["skin_pixels"]
    assert report["next_seed"] == {"panel": 42, "state": 42}
    assert report["poll_without_head"] is False


def test_cycles_render_is_not_blank(report):
    stats = report["render"]
    assert stats["size"] == [64, 64]
    assert stats["coverage"] > 0.08 and stats["rgb_std"] > 0.03, stats
