"""MeshSDF against the stand-in's exact inside test and brute-force distances."""

import numpy as np
import pytest

import _assets_standin as standin
from synthetic.assets import AssetInputError, MeshSDF


def test_sign_and_distance_match_brute_force(standin_surface):
    sdf = standin_surface.sdf
    rng = np.random.default_rng(0)
    p = rng.uniform(-0.11, 0.11, (800, 3)) * np.array([1, 1, 1.3])
    p = p[p[:, 2] > -0.17]  # away from the open-edge neck cut
    inside = standin.inside(p)
    sd = sdf.signed_distance(p)
    assert np.mean((sd < 0) == inside) > 0.998
    d = np.sqrt(((p[:, None, :] - sdf.samples[None, ::2]) ** 2).sum(-1)).min(1)
    ref = np.where(inside, -d, d)
    near = np.abs(ref) < 0.02
    err = np.abs(sd - ref)[near]
    assert np.percentile(err, 90) < 5e-4 and err.max() < 4e-3


def test_push_outside_moves_inside_points_out(standin_surface):
    rng = np.random.default_rng(1)
    p = rng.normal(0, 0.03, (3000, 3)) + np.array([0, 0, 0.02])
    q = standin_surface.sdf.push_outside(p, margin=1e-3)
    assert not standin.inside(q, tol=3e-4).any()
    outside = ~standin.inside(p)
    np.testing.assert_array_equal(q[outside & (standin_surface.sdf.signed_distance(p) > 1e-3)],
                                  p[outside & (standin_surface.sdf.signed_distance(p) > 1e-3)])


def test_bad_mesh_inputs_raise():
    v = np.zeros((3, 3))
    with pytest.raises(ValueError, match="faces"):
        MeshSDF.build(v, np.array([[0, 1, 5]]))
    with pytest.raises(AssetInputError, match="vertices"):
        MeshSDF.build(np.zeros((3, 2)), np.array([[0, 1, 2]]))
