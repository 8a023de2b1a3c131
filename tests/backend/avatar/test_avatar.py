"""Avatar: canonical vs posed, rigid transforms, resampling, save/load round trip and refusal of bad files."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from backend.avatar import Avatar, load_avatar, save_avatar
from backend.metrics import psnr
from synthetic.errors import UserInputError
from tests.backend.avatar.avatar_fixture import HEIGHT, WIDTH, cameras, flat_prepared


def _expr(avatar, seed=0, b=2):
    g = torch.Generator().manual_seed(seed)
    e = torch.zeros(b, avatar.n_expression)
    e[:, :6] = torch.randn(b, 6, generator=g)
    return e


def _render(avatar, e, n_cams=2):
    cams = cameras(n_cams)
    with torch.no_grad():
        return avatar.render(e, None, cams.K, cams.w2c, WIDTH, HEIGHT)


def test_properties_and_shapes(avatar, head_model):
    assert avatar.n_expression == head_model.n_expression
    assert avatar.joint_names == list(head_model.joint_names)
    with torch.no_grad():
        g = avatar.canonical(_expr(avatar))
    n = avatar.n_gaussians
    assert g["means"].shape == (2, n, 3) and g["quats"].shape == (2, n, 4) and g["scales"].shape == (2, n, 3)
    assert g["opacities"].shape == (2, n) and g["sh"].shape[:2] == (2, n) and g["sh"].shape[-1] == 3
    torch.testing.assert_close(g["quats"].norm(dim=-1), torch.ones(2, n), atol=1e-5, rtol=0)
    assert float(g["opacities"].min()) > 0 and float(g["opacities"].max()) < 1 and float(g["scales"].min()) > 0
    # the untrained prior is the template head: within the head's bounding box (m)
    assert float(g["means"].abs().max()) < 0.3


def test_canonical_is_posed_with_zero_pose_and_global_transform(avatar):
    e = _expr(avatar)
    with torch.no_grad():
        can = avatar.canonical(e)
        zero = avatar.posed(e, torch.zeros(2, len(avatar.joint_names), 3))
        c, s = np.cos(0.4), np.sin(0.4)
        R = torch.tensor([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]], dtype=torch.float32).expand(2, 3, 3)
        t = torch.tensor([0.1, -0.2, 0.05]).expand(2, 3)
        moved = avatar.posed(e, None, R, t)
        neck = torch.zeros(2, len(avatar.joint_names), 3)
        neck[:, avatar.joint_names.index("neck"), 0] = 0.3
        nodded = avatar.posed(e, neck)
    for k in ("means", "quats", "scales", "opacities", "sh"):
        torch.testing.assert_close(can[k], zero[k])
    torch.testing.assert_close(moved["means"], can["means"] @ R.transpose(1, 2) + t[:, None], atol=1e-5, rtol=0)
    assert float((nodded["means"] - can["means"]).norm(dim=-1).max()) > 0.01  # the neck pose moves the head


def test_expression_changes_geometry(avatar, head_model):
    with torch.no_grad():
        a = avatar.canonical(torch.zeros(1, avatar.n_expression))
        e = torch.zeros(1, avatar.n_expression)
        e[0, 0] = 2.0
        b = avatar.canonical(e)
    assert float((a["means"] - b["means"]).norm(dim=-1).max()) > 1e-3


def test_from_prior_refuses_wrong_shape(head_model, prior):
    bad = flat_prepared(head_model)
    bad.shape = np.zeros(3)
    with pytest.raises(UserInputError, match="shape"):
        Avatar.from_prior(prior, bad, head_model)


def test_resampled_scales_count_and_renders_alike(avatar):
    n32 = avatar.n_gaussians
    dense = avatar.resampled(48)
    assert dense.n_gaussians == pytest.approx(n32 * (48 / 32) ** 2, rel=0.15)
    assert avatar.n_gaussians == n32  # the original is untouched
    e = _expr(avatar, b=1)
    a, b = _render(avatar, e), _render(dense, e)
    assert float(psnr(a[0], b[0]).mean()) > 24.0
    assert float(a.std()) > 0.05  # not blank


def test_save_load_round_trip_renders_identically(avatar, tmp_path):
    path = save_avatar(avatar, tmp_path / "a.avatar.pt", {"note": "test"})
    back = load_avatar(path)
    e = _expr(avatar, b=1)
    torch.testing.assert_close(_render(back, e), _render(avatar, e), atol=1e-6, rtol=0)
    dense = avatar.resampled(40)
    back_dense = load_avatar(save_avatar(dense, tmp_path / "dense.pt"))
    assert back_dense.n_gaussians == dense.n_gaussians != avatar.n_gaussians


def test_bad_files_are_refused(avatar, tmp_path):
    with pytest.raises(UserInputError, match="no such avatar file"):
        load_avatar(tmp_path / "missing.pt")
    path = save_avatar(avatar, tmp_path / "a.pt")
    data = path.read_bytes()
    (tmp_path / "trunc.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(UserInputError, match="trunc.pt: not a readable avatar file"):
        load_avatar(tmp_path / "trunc.pt")
    torch.save({"format": "synthheads-avatar", "version": 99}, tmp_path / "v99.pt")
    with pytest.raises(UserInputError, match="avatar file version 99"):
        load_avatar(tmp_path / "v99.pt")
    torch.save({"format": "something-else"}, tmp_path / "other.pt")
    with pytest.raises(UserInputError, match="not a SynthHeads avatar"):
        load_avatar(tmp_path / "other.pt")
