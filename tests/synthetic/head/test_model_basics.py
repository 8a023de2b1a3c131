"""Identity basis, template, symmetry, sampling and input checks of the head model."""

import numpy as np
import pytest


def test_sizes_and_units(model):
    assert 3000 <= model.n_vertices <= 20000
    assert model.n_shape >= 50
    assert model.n_expression >= 30
    lo, hi = model.template.min(axis=0), model.template.max(axis=0)
    crown = model.anchors()["crown"][2]
    chin = model.template[model.vertex_mask("face"), 2].min()
    assert 0.20 < crown - chin < 0.26  # chin to crown about 0.23 m
    assert hi[0] - lo[0] < 0.25 and lo[1] < -0.1  # metres; the face looks along -Y
    assert model.anchors()["nose_tip"][1] < model.anchors()["eye_left"][1]


def test_identity_basis_is_orthonormal(model):
    b = model.shape_basis.reshape(-1, model.n_shape).astype(np.float64)
    np.testing.assert_allclose(b.T @ b, np.eye(model.n_shape), atol=2e-5)
    assert np.all(model.shape_std > 0) and np.all(np.diff(model.shape_std) <= 1e-9)


def test_zero_coefficients_give_the_template(model):
    zero = model.vertices(np.zeros(model.n_shape), np.zeros(model.n_expression), np.zeros((model.n_joints, 3)))
    np.testing.assert_allclose(zero, model.template, atol=1e-9)
    np.testing.assert_allclose(model.vertices(), model.template, atol=0)


def test_template_is_mirror_symmetric(model):
    mirrored = model.template[model.symmetry_map] * np.array([-1.0, 1.0, 1.0])
    np.testing.assert_allclose(mirrored, model.template, atol=1e-6)
    np.testing.assert_array_equal(model.symmetry_map[model.symmetry_map], np.arange(model.n_vertices))


def test_same_seed_same_identity(model):
    a, b, c = model.sample(42), model.sample(42), model.sample(43)
    np.testing.assert_array_equal(a.shape, b.shape)
    assert not np.allclose(a.shape, c.shape)
    std = model.sample_shape(np.random.default_rng(0), size=4000).std(axis=0)
    np.testing.assert_allclose(std, model.shape_std, rtol=0.1)


def test_random_identities_stay_plausible(model):
    rng = np.random.default_rng(3)
    for s in model.sample_shape(rng, size=5):
        v = model.vertices(s)
        disp = np.linalg.norm(v - model.template, axis=1)
        assert 0.001 < disp.max() < 0.03  # visibly different, not exploded
        assert np.all(np.isfinite(model.normals(vertices=v)))


def test_batched_evaluation_matches_single(model):
    rng = np.random.default_rng(1)
    shapes = model.sample_shape(rng, size=3)
    expr = model.sample_expression(rng, size=3)
    pose = model.sample_pose(rng, size=3)
    batch = model.vertices(shapes, expr, pose)
    assert batch.shape == (3, model.n_vertices, 3)
    for i in range(3):
        np.testing.assert_allclose(batch[i], model.vertices(shapes[i], expr[i], pose[i]), atol=1e-12)
    assert model.normals(shapes, expr, pose).shape == (3, model.n_vertices, 3)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"shape": np.zeros(7)}, "shape: expected shape (..., "),
        ({"expression": np.zeros((2, 3))}, "expression: expected shape (..., "),
        ({"pose": np.zeros((4, 3))}, "pose: expected shape (..., 5, 3)"),
        ({"pose": np.zeros(15)}, "pose: expected shape"),
        ({"shape": 1.0}, "got ()"),
    ],
)
def test_bad_coefficient_shapes_raise_clear_errors(model, kwargs, message):
    with pytest.raises(ValueError) as info:
        model.vertices(**kwargs)
    assert message in str(info.value)
    assert "got" in str(info.value)


def test_mismatched_batches_raise(model):
    with pytest.raises(ValueError, match="batch shapes do not broadcast"):
        model.vertices(np.zeros((2, model.n_shape)), np.zeros((3, model.n_expression)))


def test_fingerprint_is_stable_sha256(model):
    fp = model.fingerprint()
    assert len(fp) == 64 and fp == model.fingerprint()
    int(fp, 16)


def test_expression_names_are_clean(model):
    names = model.expression_names
    assert len(set(names)) == len(names)
    for required in ("jaw_open", "mouth_smile_left", "mouth_smile_right", "mouth_frown_left", "mouth_pucker",
                     "mouth_funnel", "eye_blink_left", "eye_blink_right", "brow_inner_up", "cheek_puff_left",
                     "nose_sneer_left", "mouth_left", "jaw_left"):
        assert required in names
    assert all(n == n.lower() and " " not in n for n in names)
    assert model.expression_ranges.shape == (model.n_expression, 2)
    assert np.all(model.expression_ranges[:, 0] < model.expression_ranges[:, 1])
