"""Per-modality PCA: exact at full rank, orthonormal bases, torch decode = numpy decode = teacher."""

from __future__ import annotations

import numpy as np
import torch

from backend.gem.decode import TorchGem
from backend.gem.distill import DistillConfig, distill, project_frames
from backend.gem.pca import build_gem, encode_raw, fit_pca, project
from synthetic.formats.gem import MODALITIES


def test_full_rank_pca_reconstructs_exactly():
    rows = torch.randn(12, 300, dtype=torch.float64)
    mean, basis, std = fit_pca(rows, 50)
    assert basis.shape == (11, 300) and std.shape == (11,)
    recon = mean + project(rows, mean, basis) @ basis
    torch.testing.assert_close(recon, rows, atol=1e-10, rtol=0)
    torch.testing.assert_close(basis @ basis.T, torch.eye(11, dtype=torch.float64), atol=1e-10, rtol=0)
    assert torch.all(std[:-1] >= std[1:])


def test_std_matches_coefficient_spread():
    rows = torch.randn(40, 20, dtype=torch.float64) * torch.linspace(3, 0.1, 20)
    mean, basis, std = fit_pca(rows, 5)
    torch.testing.assert_close(project(rows, mean, basis).std(0), std, atol=1e-9, rtol=1e-9)


def test_decode_matches_teacher_at_full_rank(head, teacher):
    n = 10
    res = distill(teacher, DistillConfig(components=n - 1, n_train=n, n_heldout=0), head)
    gem = TorchGem.from_model(res.model)
    k = project_frames(gem, res.train_canonical, res.neutral_quats)
    with torch.no_grad():
        out = gem.decode(k)
    canon = res.train_canonical
    torch.testing.assert_close(out["means"], canon["means"], atol=2e-6, rtol=0)  # float32 storage, metres
    dots = (out["quats"] * canon["quats"]).sum(-1).abs()
    assert float(dots.min()) > 1 - 1e-5  # same rotation (q and -q alike)
    torch.testing.assert_close(out["scales"], canon["scales"], rtol=1e-4, atol=0)
    torch.testing.assert_close(out["opacities"], canon["opacities"], atol=1e-5, rtol=0)
    torch.testing.assert_close(out["sh"], canon["sh"][0])  # colour fixed from the neutral frame


def test_quaternions_sign_aligned_to_neutral():
    q = torch.nn.functional.normalize(torch.randn(1, 50, 4), dim=-1)
    canon = {"means": torch.zeros(2, 50, 3), "quats": torch.cat([q, -q]), "scales": torch.ones(2, 50, 3) * 0.01,
             "opacities": torch.full((2, 50), 0.5)}
    raw = encode_raw(canon)["rotation"]
    torch.testing.assert_close(raw[0], raw[1])


def test_torch_decode_matches_numpy_decode(distilled):
    model = distilled.model
    gem = TorchGem.from_model(model)
    rng = np.random.default_rng(1)
    coeffs = model.random_coefficients(rng, 2.0)
    ref = model.decode(coeffs)
    with torch.no_grad():
        out = gem.decode({m: torch.as_tensor(coeffs[m], dtype=torch.float32)[None] for m in MODALITIES})
    np.testing.assert_allclose(out["means"][0].numpy(), ref.means, atol=1e-5)
    np.testing.assert_allclose(out["quats"][0].numpy(), ref.quats, atol=1e-5)
    np.testing.assert_allclose(out["scales"][0].numpy(), ref.scales, rtol=1e-4)
    np.testing.assert_allclose(out["opacities"][0].numpy(), ref.opacities, atol=1e-5)


def test_components_capped_and_per_modality(distilled, teacher):
    canon = distilled.train_canonical
    model, coeffs = build_gem({k: v[:6] for k, v in canon.items()}, {"position": 50, "rotation": 2, "scale": 0,
                                                                      "opacity": 3})
    assert model.component_counts == {"position": 5, "rotation": 2, "scale": 0, "opacity": 3}
    assert coeffs["position"].shape == (6, 5)
    model.check()
