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


def _sphere(centre, radius, n=24):
    """Closed UV sphere: vertices (V, 3) and counter-clockwise (outward) faces."""
    th, ph = np.meshgrid(np.linspace(0, np.pi, n + 1)[1:-1], np.linspace(0, 2 * np.pi, 2 * n, endpoint=False),
                         indexing="ij")
    ring = np.stack([np.sin(th) * np.cos(ph), np.sin(th) * np.sin(ph), np.cos(th)], -1).reshape(-1, 3)
    v = np.concatenate([[[0, 0, 1]], ring, [[0, 0, -1]]]) * radius + np.asarray(centre, float)
    m, faces = 2 * n, []
    for j in range(m):
        faces.append([0, 1 + j, 1 + (j + 1) % m])
        last = 1 + (n - 2) * m
        faces.append([len(v) - 1, last + (j + 1) % m, last + j])
    for i in range(n - 2):
        for j in range(m):
            a, b = 1 + i * m + j, 1 + i * m + (j + 1) % m
            faces += [[a, a + m, b], [b, a + m, b + m]]
    return v, np.array(faces)


def test_far_inside_points_beside_a_buried_shell_read_inside():
    """A 60 mm sphere with a small closed shell buried inside it near its wall (as an ear's shell continues under the
    head's skin): 15 mm from the shell, 27 mm inside the big sphere, the nearest surface is the shell, whose normal
    faces the point. Ray parity makes it inside; outside points stay outside."""
    big_v, big_f = _sphere((0, 0, 0), 0.06)
    small_v, small_f = _sphere((0.035, 0, 0), 0.008)
    v = np.concatenate([big_v, small_v])
    f = np.concatenate([big_f, small_f + len(big_v)])
    sdf = MeshSDF.build(v, f, voxel=0.004)
    deep = np.array([[0.035 - 0.008 - 0.015, 0.0, 0.0], [0.035, 0.0, 0.023]])
    assert (sdf.signed_distance(deep) < -0.01).all(), sdf.signed_distance(deep)
    out = np.array([[0.09, 0.0, 0.0], [0.0, -0.08, 0.03]])
    assert (sdf.signed_distance(out) > 0.015).all()
    assert abs(sdf.signed_distance(np.array([[0.0, 0.0, 0.03]]))[0] + 0.03) < 2e-3  # 30 mm inside, nothing near
