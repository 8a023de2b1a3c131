"""The torch LBS port against the numpy head model, and its rotation helpers."""

from __future__ import annotations

import numpy as np
import torch

from backend.prior.lbs_torch import (HeadLBS, axis_angle_to_matrix, matrix_to_quaternion, nearest_rotation,
                                     quaternion_multiply)
from backend.splat._projection import quats_to_rotmats


def test_vertices_match_the_numpy_model(head_model):
    m = head_model
    rng = np.random.default_rng(0)
    shape = m.sample_shape(rng, 3)
    expr = m.sample_expression(rng, 3, activity=0.4)  # includes jaw_* components for some samples
    pose = m.sample_pose(rng, 3, head_deg=25)
    pose[:, m.joint_index("jaw")] += rng.normal(0, 0.1, (3, 3))
    ref = m.vertices(shape, expr, pose)
    lbs = HeadLBS(m).double()
    out = lbs.vertices(m, torch.as_tensor(shape), torch.as_tensor(expr), torch.as_tensor(pose))
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-9)
    assert np.abs(ref - m.shaped(shape, expr)).max() > 0.01, "the poses must actually move the mesh"


def test_joints_and_rotations_match(head_model):
    m = head_model
    rng = np.random.default_rng(1)
    shape, expr, pose = m.sample_shape(rng), m.sample_expression(rng, activity=0.5), m.sample_pose(rng)
    lbs = HeadLBS(m).double()
    rot = lbs.rotations(torch.as_tensor(pose)[None], torch.as_tensor(expr)[None])[0]
    np.testing.assert_allclose(rot.numpy(), m.rotations(pose, expr), atol=1e-12)
    joints = lbs.joints(torch.as_tensor(m.shaped(shape, expr))[None])[0]
    np.testing.assert_allclose(joints.numpy(), m.joints(shape, expr), atol=1e-12)


def test_quaternion_helpers():
    gen = torch.Generator().manual_seed(0)
    r1 = axis_angle_to_matrix(torch.randn(500, 3, generator=gen, dtype=torch.float64) * 2)
    r2 = axis_angle_to_matrix(torch.randn(500, 3, generator=gen, dtype=torch.float64))
    q1, q2 = matrix_to_quaternion(r1), matrix_to_quaternion(r2)
    torch.testing.assert_close(quats_to_rotmats(q1), r1)
    torch.testing.assert_close(quats_to_rotmats(quaternion_multiply(q2, q1)), r2 @ r1)
    noisy = r1 + 0.01 * torch.randn(500, 3, 3, generator=gen, dtype=torch.float64)
    r = nearest_rotation(noisy)
    torch.testing.assert_close(r @ r.transpose(1, 2), torch.eye(3, dtype=torch.float64).expand(500, 3, 3))
    assert torch.allclose(torch.det(r), torch.ones(500, dtype=torch.float64))
    assert (r - r1).abs().max() < 0.05


def test_rotation_helpers_make_no_tensor_on_the_default_device():
    """Under a ``meta`` default device, an index made without ``device=`` reads garbage from a CPU tensor
    (GEM fitting returned NaN coefficients in CI); the helpers must give the same answer as on the CPU."""
    gen = torch.Generator().manual_seed(1)
    r = axis_angle_to_matrix(torch.randn(64, 3, generator=gen, dtype=torch.float64) * 2)
    expected = matrix_to_quaternion(r)
    torch.set_default_device("meta")
    try:
        r_meta_default = axis_angle_to_matrix(torch.randn(64, 3, generator=gen, dtype=torch.float64, device="cpu"))
        got = matrix_to_quaternion(r)
    finally:
        torch.set_default_device(None)
    assert r_meta_default.device.type == "cpu"
    torch.testing.assert_close(got, expected)
