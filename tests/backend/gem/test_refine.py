"""Photometric refinement: bases stay orthonormal through QR, decoded Gaussians survive QR, PSNR is measured."""

from __future__ import annotations

import torch

from backend.gem.decode import TorchGem
from backend.gem.distill import project_frames
from backend.gem.refine import RefineConfig, evaluate_psnr, qr_step, refine
from backend.gem.views import rig_cameras
from synthetic.formats.gem import MODALITIES, read_gem, write_gem


def test_qr_step_keeps_decoded_gaussians(distilled):
    gem = TorchGem.from_model(distilled.model, dtype=torch.float64)
    k = {m: v.clone() for m, v in project_frames(gem, distilled.train_canonical, distilled.neutral_quats).items()}
    k = {m: v.double() for m, v in k.items()}
    with torch.no_grad():
        for m in MODALITIES:  # make the bases non-orthonormal, as Adam does
            gem.basis(m).add_(0.05 * torch.randn_like(gem.basis(m)))
        before = gem.decode_raw(k)
    qr_step(gem, k)
    after = gem.decode_raw(k)
    for m in MODALITIES:
        torch.testing.assert_close(after[m], before[m], atol=1e-9, rtol=0)
        b = gem.basis(m)
        torch.testing.assert_close(b @ b.T, torch.eye(b.shape[0], dtype=b.dtype), atol=1e-9, rtol=0)
        torch.testing.assert_close(k[m].mean(0), torch.zeros(b.shape[0], dtype=b.dtype), atol=1e-9, rtol=0)


def test_refine_keeps_orthonormal_bases_and_writes(distilled, tmp_path):
    gem = TorchGem.from_model(distilled.model)
    k = project_frames(gem, distilled.train_canonical, distilled.neutral_quats)
    cams = rig_cameras(40, 32)
    before = evaluate_psnr(gem, k, distilled.train_canonical, cams[:3], [0, 5])
    stats = refine(gem, distilled.train_canonical, k, cams, RefineConfig(steps=6, qr_every=3, width=40, height=32,
                                                                         lpips_weight=0.0))
    assert stats["steps"] == 6 and stats["loss_last"] > 0
    after = evaluate_psnr(gem, k, distilled.train_canonical, cams[:3], [0, 5])
    assert before > 25 and after > before - 1.0  # a few small steps neither help nor hurt much
    for m in MODALITIES:
        b = gem.basis(m).detach().double()
        assert float((b @ b.T - torch.eye(b.shape[0], dtype=b.dtype)).abs().max()) < 1e-5
    path = write_gem(tmp_path / "r.gem", gem.to_model())  # write_gem checks orthonormality itself
    assert read_gem(path).n_gaussians == distilled.model.n_gaussians
