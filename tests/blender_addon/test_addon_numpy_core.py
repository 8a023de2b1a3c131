"""The add-on's numpy-only modules in plain pytest (no bpy): head numbers, GEM sliders and sequences,
job command lines."""

from __future__ import annotations

import json

import numpy as np
import pytest
from _addon_gem_fixture import head_gem
from _addon_harness import addon_source_module

from synthetic.errors import UserInputError
from synthetic.formats.gem import MODALITIES
from synthetic.head import HeadModel

head_data = addon_source_module("head_data")
gem_eval = addon_source_module("gem_eval")
job_commands = addon_source_module("job_commands")


@pytest.fixture(scope="module")
def model():
    return HeadModel.load()


@pytest.fixture(scope="module")
def gem():
    return head_gem(n=400)


# ----------------------------------------------------------------------------- head
def test_shape_key_targets_and_values_reproduce_the_identity(model):
    state = head_data.initial_state(model, head_data.HeadOptions(seed=7, n_shape_keys=50))
    assert np.all(np.asarray(state.params["shape"])[50:] == 0)
    shape_t, expr_t = head_data.shape_key_targets(model, 50)
    values = head_data.identity_values(model, state.params, 50)
    blended = model.template + np.einsum("k,kvc->vc", values, shape_t.astype(np.float64))
    np.testing.assert_allclose(blended, model.shaped(np.asarray(state.params["shape"])), atol=2e-6)
    assert expr_t.shape == (model.n_expression, model.n_vertices, 3)
    assert np.all(np.abs(values) < 6)  # slider range is +-3 std; draws beyond 6 std would be a units bug


def test_redraw_part_changes_only_that_part(model):
    state = head_data.initial_state(model, head_data.HeadOptions(seed=1))
    keys = {"identity": ("shape",), "skin": ("skin", "iris"), "hair": ("hair",), "beard": ("facial_hair",),
            "expression": ()}  # fmt: skip
    for part, changed in keys.items():
        new = head_data.redraw_part(model, state, part, seed=99)
        assert new.seeds[part] == 99 and all(new.seeds[p] == 1 for p in head_data.PARTS if p != part)
        for key in ("shape", "skin", "iris", "hair", "facial_hair"):
            same = json.dumps(new.params[key], sort_keys=True) == json.dumps(state.params[key], sort_keys=True)
            assert same == (key not in changed), (part, key)
    again = head_data.redraw_part(model, state, "hair", seed=99)
    assert again.params == head_data.redraw_part(model, state, "hair", seed=99).params  # same seed, same draw
    assert head_data.HeadState.from_json(again.to_json()).params == again.params
    with pytest.raises(ValueError, match="unknown part"):
        head_data.redraw_part(model, state, "nose", 1)


def test_expression_values_stay_in_range(model):
    e = head_data.expression_values(model, 5)
    lo, hi = model.expression_ranges.T
    assert e.shape == (model.n_expression,) and np.all((e >= lo) & (e <= hi)) and np.any(e != 0)
    np.testing.assert_array_equal(e, head_data.expression_values(model, 5))


def test_jaw_driver_terms_rotate_into_the_bone_frame(model):
    rest = np.array([[-1.0, 0, 0], [0, -1, 0], [0, 0, 1]])  # a bone along -Y (Blender's rest frame for it)
    terms = head_data.jaw_driver_terms(model, rest)
    aa_world = model.expression_vector(jaw_open=0.7, jaw_left=0.3) @ model.expression_jaw
    local = np.zeros(3)
    values = model.expression_vector(jaw_open=0.7, jaw_left=0.3)
    for axis, axis_terms in enumerate(terms):
        local[axis] = sum(coef * values[e] for e, coef in axis_terms)
    np.testing.assert_allclose(rest @ local, aa_world, atol=1e-12)
    jaw_expressions = set(np.flatnonzero(np.abs(model.expression_jaw).sum(1)))
    assert {e for axis_terms in terms for e, _ in axis_terms} <= jaw_expressions


def test_skin_weight_groups_hold_every_weight(model):
    groups = head_data.skin_weight_groups(model)
    w = np.zeros_like(model.skin_weights)
    for j, name in enumerate(model.joint_names):
        for weight, ids in groups[name]:
            w[ids, j] = weight
    kept = np.round(model.skin_weights, 5) >= head_data.MIN_SKIN_WEIGHT  # rounded to 1e-5, then the threshold
    expected = np.where(kept, model.skin_weights, 0)
    np.testing.assert_allclose(w, expected, atol=6e-6)
    layout = head_data.bone_layout(model, model.joints())
    assert [b[0] for b in layout] == list(model.joint_names) and layout[0][1] is None


# ----------------------------------------------------------------------------- GEM
def test_position_slider_units_respect_blenders_limit():
    sliders = gem_eval.position_sliders(np.array([0.5, 3.0, 4.0, 0.0]))
    assert [s.name for s in sliders] == ["Pos000", "Pos001", "Pos002", "Pos003"]
    assert [s.unit for s in sliders] == [1.0, 1.0, 4.0, 1.0]
    assert (sliders[0].lo, sliders[0].hi) == (-1.5, 1.5) and (sliders[1].lo, sliders[1].hi) == (-9.0, 9.0)
    assert (sliders[2].lo, sliders[2].hi) == (-3.0, 3.0)
    assert all(-10 <= s.lo < s.hi <= 10 for s in sliders)


def test_gn_sliders_limit_and_point_attributes(gem):
    gn = gem_eval.gn_sliders(gem, limit=1)
    assert {m: len(v) for m, v in gn.items()} == {"rotation": 1, "scale": 1, "opacity": 1}
    assert gn["scale"][0].name == "Scale 00" and gn["scale"][0].hi == pytest.approx(3 * gem.scale.std[0])
    attrs = gem_eval.point_attributes(gem, {m: len(v) for m, v in gn.items()})
    n = gem.n_gaussians
    assert attrs["gs_colour"][1].shape == (n, 4) and attrs["rot_00_xyz"][1].shape == (n, 3)
    assert "rot_01_w" not in attrs and attrs["opacity_00"][0] == "FLOAT"
    lin = attrs["gs_colour"][1][:, :3]
    np.testing.assert_allclose(lin, gem_eval.srgb_to_linear(gem.base_colour()), atol=1e-6)
    assert np.all(lin <= gem.base_colour() + 1e-6)  # linear values are darker than display values


def test_coefficients_from_controls(gem):
    units = np.ones(gem.position.n_components)
    units[-1] = 5.0
    pos = np.linspace(-1, 1, gem.position.n_components)
    c = gem_eval.coefficients_from_controls(gem, pos, units, {"rotation": [0.5], "scale": [], "opacity": [1.0, 2.0]})
    np.testing.assert_allclose(c["position"], pos * units)
    assert c["rotation"].tolist() == [0.5, 0.0, 0.0] and c["scale"].tolist() == [0.0, 0.0]
    assert c["opacity"].tolist() == [1.0, 2.0]


def test_sequence_formats(tmp_path, gem):
    k = gem.component_counts
    total = sum(k.values())
    rng = np.random.default_rng(0)
    combined = rng.normal(size=(6, total))
    np.save(tmp_path / "c.npy", combined)
    seq = gem_eval.load_sequence(tmp_path / "c.npy", gem)
    assert seq.n_frames == 6 and seq.fps is None
    np.testing.assert_array_equal(np.concatenate([seq.coefficients[m] for m in MODALITIES], axis=1), combined)
    np.savez(tmp_path / "p.npz", position=combined[:, :2], fps=np.array(25.0))
    seq = gem_eval.load_sequence(tmp_path / "p.npz", gem)
    assert seq.fps == 25.0 and seq.coefficients["position"].shape == (6, k["position"])
    assert np.all(seq.coefficients["position"][:, 2:] == 0) and np.all(seq.coefficients["opacity"] == 0)
    (tmp_path / "s.json").write_text(json.dumps({"fps": 30, "rotation": [[0.1], [0.2]], "scale": [[1, 2], [3, 4]]}))
    seq = gem_eval.load_sequence(tmp_path / "s.json", gem)
    assert seq.n_frames == 2 and seq.coefficients["scale"].tolist() == [[1, 2], [3, 4]] and seq.fps == 30
    # short rows are the first position coefficients (as render --gem --coefficients always read them)
    np.save(tmp_path / "short.npy", combined[:, :2])
    seq = gem_eval.load_sequence(tmp_path / "short.npy", gem)
    np.testing.assert_array_equal(seq.coefficients["position"][:, :2], combined[:, :2])
    assert np.all(seq.coefficients["position"][:, 2:] == 0) and np.all(seq.flat()[:, k["position"]:] == 0)
    (tmp_path / "rows.json").write_text(json.dumps([[0.5], [0.25]]))
    assert gem_eval.load_sequence(tmp_path / "rows.json", gem).coefficients["position"][:, 0].tolist() == [0.5, 0.25]


@pytest.mark.parametrize("name, content, message", [
    ("wide.npy", np.zeros((3, 8)), r"rows have 8 values; give 14 \(all modalities: position 7 \| rotation 3"),
    ("many.npz", {"position": np.zeros((2, 99))}, r"position: 99 coefficients per frame, the GEM has 7"),
    ("frames.npz", {"position": np.zeros((2, 1)), "scale": np.zeros((3, 1))}, r"different frame counts"),
    ("unknown.npz", {"colour": np.zeros((2, 1))}, r"unknown array\(s\) \['colour'\]"),
    ("nan.npz", {"position": np.full((2, 1), np.nan)}, r"non-finite"),
    ("text.json", "42", r"expected a JSON list of rows or an object"),
    ("fps.npz", {"position": np.zeros((2, 1)), "fps": np.array(-1.0)}, r"fps must be a positive number"),
    ("broken.json", "{", r"cannot read the coefficient sequence"),
    ("seq.txt", "1 2 3", r"unknown sequence type '.txt'"),
])  # fmt: skip
def test_bad_sequences_are_refused(tmp_path, gem, name, content, message):
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content)
    elif isinstance(content, dict):
        np.savez(path, **content)
    else:
        np.save(path, content)
    with pytest.raises(UserInputError, match=message) as info:
        gem_eval.load_sequence(path, gem)
    assert str(info.value).startswith(str(path))


def test_shared_coefficient_sequences(tmp_path):
    from synthetic.formats.gem import GemModel

    base = head_gem(n=200)
    k = 2
    mods = [type(base.position)(m.mean, m.basis[:k], m.std[:k]) for m in (base.position, base.rotation, base.scale,
                                                                           base.opacity)]  # fmt: skip
    shared = GemModel(*mods, colour_sh=base.colour_sh, metadata={"shared_coefficients": True}).check()
    np.save(tmp_path / "s.npy", np.ones((4, 2)))
    seq = gem_eval.load_sequence(tmp_path / "s.npy", shared)
    assert all(seq.coefficients[m].tolist() == [[1.0, 1.0]] * 4 for m in MODALITIES)
    c = gem_eval.coefficients_from_controls(shared, np.array([0.3, 0.4]), np.ones(2), {})
    assert all(c[m].tolist() == [0.3, 0.4] for m in MODALITIES)


# ----------------------------------------------------------------------------- job command lines
def test_render_command_line(tmp_path):
    s = job_commands.RenderSettings(output_dir=str(tmp_path / "ds"), identities=3, frames=2, width=64, height=48,
                                    samples=2, rig="front", shard_index=1, shard_count=2, resume=False)  # fmt: skip
    args = s.args()
    assert args[:3] == ["-m", "synthetic", "render"] and args[-2:] == ["--progress", "json"]
    assert args[args.index("--cameras") + 1] == ",".join(f"cam_{i:02d}" for i in range(14))
    assert args[args.index("--shard") + 1] == "1/2" and args[args.index("--resolution") + 1] == "64x48"
    assert "--resume" not in args
    for bad, message in ((dict(rig="custom", cameras=" "), "needs camera names"),
                         (dict(shard_index=2, shard_count=2), "shard 2 of 2 does not exist"),
                         (dict(output_dir=""), "choose an output folder")):  # fmt: skip
        with pytest.raises(UserInputError, match=message):
            job_commands.RenderSettings(**{"output_dir": "x", **bad}).args()


def test_backend_command_lines(tmp_path):
    photo = tmp_path / "a.jpg"
    photo.write_bytes(b"x")
    (tmp_path / "prior").mkdir()
    inv = job_commands.InvertSettings(str(tmp_path / "prior"), str(tmp_path / "av"), [str(photo)]).args()
    assert inv[:3] == ["-m", "backend", "invert"] and str(photo) in inv
    assert inv[inv.index("--prior") + 1] == str(tmp_path / "prior")
    shipped = job_commands.InvertSettings("", str(tmp_path / "av"), [str(photo)]).args()
    assert "--prior" not in shipped  # the backend's shipped prior
    assert shipped[shipped.index("--photo-mask") + 1] == "head"
    from backend.photos.prepare import PHOTO_MASKS

    assert [key for key, _, _ in job_commands.PHOTO_MASK_ITEMS] == list(PHOTO_MASKS)  # the backend's names
    person = job_commands.InvertSettings("", "av", [str(photo)], "person").args()
    assert person[person.index("--photo-mask") + 1] == "person"
    with pytest.raises(UserInputError, match="unknown photo mask"):
        job_commands.InvertSettings("", "av", [str(photo)], "body").args()
    with pytest.raises(UserInputError, match="prior not found"):
        job_commands.InvertSettings(str(tmp_path / "nope"), "a", [str(photo)]).args()
    with pytest.raises(UserInputError, match="photo not found"):
        job_commands.InvertSettings("p", "a", [str(tmp_path / "missing.jpg")]).args()
    with pytest.raises(UserInputError, match="at least one photo"):
        job_commands.InvertSettings("p", "a", []).args()
    dist = job_commands.DistillSettings("av", str(tmp_path / "x.gem"), 12).args()
    assert dist[dist.index("--components") + 1] == "12"
    with pytest.raises(UserInputError, match="should end in .gem"):
        job_commands.DistillSettings("av", "x.ply").args()
    train = job_commands.TrainPriorSettings("data", "run").args()
    assert train[:3] == ["-m", "backend", "train-prior"] and train[train.index("--config") + 1] == "tiny"


def test_backend_resolution(tmp_path):
    from _addon_harness import ROOT

    venv_python = ROOT / ".venv" / "bin" / "python"
    python, root = job_commands.Backend(str(venv_python)).resolve()
    assert root == str(ROOT)  # found from the interpreter's path, links not resolved
    with pytest.raises(UserInputError, match="not set"):
        job_commands.Backend("").resolve()
    with pytest.raises(UserInputError, match="not an executable"):
        job_commands.Backend(str(tmp_path / "python")).resolve()
    with pytest.raises(UserInputError, match="no synthetic/ package"):
        job_commands.Backend(str(venv_python), str(tmp_path)).resolve()
    spec = job_commands.job_spec("render", job_commands.Backend(str(venv_python)), ["-m", "synthetic"],
                                 str(tmp_path / "logs"), "out")  # fmt: skip
    assert spec.argv[0] == str(venv_python) and spec.cwd == str(ROOT) and spec.log_path.startswith(str(tmp_path))
