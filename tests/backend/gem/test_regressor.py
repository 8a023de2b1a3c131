"""Landmark regressor: features, 3-sigma bound on extreme inputs, exact numpy .npz round trip, corrupt file refused,
loss weights; analysis-by-synthesis fit."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from backend.gem.decode import TorchGem
from backend.gem.fit import FitConfig, fit_coefficients
from backend.gem.regressor import (
    RegressorConfig,
    landmark_features,
    load_regressor,
    loss_weights,
    normalise_landmarks,
    save_regressor,  # fmt: skip
    train_regressor,
)
from backend.gem.views import rig_cameras
from backend.splat import rasterize
from synthetic.errors import UserInputError


def _fake_landmarks(rng, n, k):
    """Landmark sets that depend linearly on k coefficients, under random similarity transforms."""
    base = rng.normal(size=(478, 3)) * [60, 80, 10] + [128, 128, 0]
    dirs = rng.normal(size=(k, 478, 3)) * 2.0
    coeffs = rng.uniform(-2, 2, (n, k))
    lms = []
    for c in coeffs:
        a = np.radians(rng.uniform(-10, 10))
        rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        lm = base + np.tensordot(c, dirs, 1)
        lm[:, :2] = (lm[:, :2] - 128) @ rot.T * rng.uniform(0.8, 1.2) + 128 + rng.normal(size=2) * 5
        lms.append(lm)
    return base, np.stack(lms), coeffs


def test_features_invariant_to_similarity():
    rng = np.random.default_rng(0)
    lm = rng.normal(size=(478, 3))
    ref = normalise_landmarks(lm)
    a = np.radians(20)
    moved = lm.copy()
    moved[:, :2] = lm[:, :2] @ np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]).T * 3 + 7
    moved[:, 2] += 0.5  # z is relative to mediapipe's face crop: an image similarity leaves it unscaled
    np.testing.assert_allclose(landmark_features(moved, ref), 0, atol=1e-9)
    # a small turn of the head in 3D (in normalised units) is removed by the 3D similarity fit as well
    b = np.radians(8)
    turned = ref @ np.array([[np.cos(b), 0, np.sin(b)], [0, 1, 0], [-np.sin(b), 0, np.cos(b)]]).T
    turned[:, 2] /= 9.0  # back to mediapipe z units (Z_GAIN)
    assert np.abs(landmark_features(turned, ref)).max() < 0.1 * np.abs(ref).max()


def test_regressor_learns_and_respects_three_sigma(tmp_path):
    rng = np.random.default_rng(0)
    base, lms, coeffs = _fake_landmarks(rng, 200, 4)
    sigma = np.array([1.0, 1.0, 0.5, 2.0])
    reg, stats = train_regressor(lms, base, coeffs * sigma, sigma, RegressorConfig(steps=400, components=20))
    assert stats["train_mse_sigma"] < 0.1
    pred = reg.predict_landmarks(lms[:20])
    assert np.corrcoef(pred[:, 0], coeffs[:20, 0] * sigma[0])[0, 1] > 0.9
    with torch.no_grad():
        extreme = reg(torch.randn(50, 478 * 3) * 1e3).numpy()
    assert np.all(np.abs(extreme) <= 3 * sigma + 1e-5)
    wild = rng.normal(size=(10, 478, 3)) * [1e4, 1e4, 50.0]  # nonsense landmark sets, huge and flat alike
    wild[0] = 0.0
    out = reg.predict_landmarks(wild)
    assert np.all(np.isfinite(out)) and np.all(np.abs(out) <= 3 * sigma * (1 + 1e-6))
    path = save_regressor(tmp_path / "r.npz", reg)
    again = load_regressor(path)
    # same weights bit for bit (below); BLAS may sum in another order for another buffer alignment
    np.testing.assert_allclose(again.predict_landmarks(lms[:5]), pred[:5], rtol=1e-5, atol=1e-6)
    for name, buf in reg.state_dict().items():
        assert torch.equal(again.state_dict()[name], buf), name


def test_variance_weights_and_driver_neutral():
    sigma = np.array([4.0, 2.0, 1.0, 0.3, 0.1])
    w = loss_weights(sigma, [3, 2], "variance")
    assert w.mean() == pytest.approx(1.0) and w[0] > w[1] > w[2] and w[3] > w[4]
    np.testing.assert_array_equal(loss_weights(sigma, None, "variance"), np.ones(5))
    rng = np.random.default_rng(1)
    base, lms, coeffs = _fake_landmarks(rng, 40, 2)
    reg, _ = train_regressor(lms, base, coeffs, np.ones(2), RegressorConfig(steps=20, components=8))
    f = reg.features(lms[:3], driver_neutral=lms[0])
    np.testing.assert_allclose(f[0], 0, atol=1e-12)  # the driver's neutral maps to r = 0


def test_corrupt_regressor_refused(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(UserInputError, match="bad.npz"):
        load_regressor(bad)
    with pytest.raises(UserInputError, match="no such"):
        load_regressor(tmp_path / "missing.npz")


def test_fit_coefficients_recovers_expression(distilled):
    gem = TorchGem.from_model(distilled.model)
    cams = rig_cameras(48, 40, [2, 6, 11])
    target_k = torch.zeros(1, gem.n_coefficients)
    target_k[0, 0] = 2.0 * float(gem.std("position")[0])
    with torch.no_grad():
        images = rasterize(gem.gaussian_set(gem.decode(target_k)), cams, background=torch.ones(3)).rgb
    res = fit_coefficients(gem, images, cams, FitConfig(steps=60, lr=0.1))
    assert res.psnr_after > res.psnr_before + 3
    assert abs(float(res.coefficients[0, 0]) - float(target_k[0, 0])) < 0.3 * float(target_k[0, 0])
