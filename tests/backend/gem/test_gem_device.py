"""GEM fitting, refinement and decoding follow the device of the model they are given.

A CUDA run fails when code creates a tensor without ``device=`` (it lands on the CPU) and mixes it with the
model's tensors. Here the same failure is provoked without a GPU: the model, cameras and images are built
on the CPU explicitly, then the work runs with torch's *default* device set to ``meta``. Any tensor that the
code creates without naming a device becomes a meta tensor, and mixing it with the CPU model raises, just as
a CPU tensor mixed with CUDA tensors does on a GPU machine.
"""

from __future__ import annotations

import pytest
import torch

from backend.gem.decode import TorchGem
from backend.gem.distill import project_frames
from backend.gem.fit import FitConfig, fit_coefficients
from backend.gem.refine import RefineConfig, evaluate_psnr, refine
from backend.gem.sheet import render_flat, sweep_coefficients
from backend.gem.views import rig_cameras
from backend.splat import rasterize


@pytest.fixture
def on_cpu_with_meta_default():
    """Run the body with ``torch.set_default_device("meta")``; restores the CPU default afterwards."""
    torch.set_default_device("meta")
    try:
        yield
    finally:
        torch.set_default_device(None)


def test_a_tensor_made_without_device_is_caught():
    """The trick works: an implicit-device tensor mixed with the model's tensors raises."""
    x = torch.ones(3, device="cpu")
    torch.set_default_device("meta")
    try:
        with pytest.raises((RuntimeError, NotImplementedError)):
            float((x + torch.zeros(3)).sum())
    finally:
        torch.set_default_device(None)


def test_decode_fit_refine_follow_the_model_device(distilled):
    gem = TorchGem.from_model(distilled.model, device="cpu")
    cams = rig_cameras(32, 24)
    k = project_frames(gem, distilled.train_canonical, distilled.neutral_quats)
    with torch.no_grad():
        target = rasterize(gem.gaussian_set(gem.decode({m: v[3:4] for m, v in k.items()})), cams[:2],
                           background=torch.ones(3, device="cpu")).rgb
    torch.set_default_device("meta")
    try:
        flat = sweep_coefficients(gem, 0, steps=3)
        assert flat.device.type == "cpu"
        images = render_flat(gem, flat, cams[:1])
        assert images.device.type == "cpu" and images.shape == (3, 1, 24, 32, 3)
        gem.decode(torch.zeros(1, gem.n_coefficients, device="cpu"))
        fit = fit_coefficients(gem, target, cams[:2], FitConfig(steps=3, pose=True))
        assert fit.coefficients.device.type == "cpu" and fit.psnr_after > 10
        stats = refine(gem, distilled.train_canonical, k, cams, RefineConfig(steps=2, qr_every=2, width=32,
                       height=24, lpips_weight=0.0, cameras_per_step=1, frames_per_step=1))
        assert stats["steps"] == 2
        assert evaluate_psnr(gem, k, distilled.train_canonical, cams[:1], [0]) > 10
    finally:
        torch.set_default_device(None)
