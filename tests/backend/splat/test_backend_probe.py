"""The gsplat probe: a device uses gsplat only after one tiny rasterization built, ran and matched the reference;
otherwise the reference path takes over with one line that says why. Exercised on the CPU with stand-ins
for gsplat's entry point (the real one is checked against the reference on CUDA in test_rasterize.py)."""

from __future__ import annotations

import torch

from backend.splat import _backend
from backend.splat.gaussians import GaussianSet
from backend.splat.rasterize import RasterOptions, describe_rasterizer, probe_gsplat, rasterize

CPU = torch.device("cpu")


def reference_as_gsplat(means, quats, scales, opacities, colors, sh_degree, w2c, K, width, height, backgrounds,
                        near, far, eps2d, tile_size):  # fmt: skip
    """gsplat's wrapper signature, answered by the reference path (a working gsplat)."""
    from backend.splat import Cameras

    out = rasterize(GaussianSet(means, quats, scales, opacities, colors), Cameras(K, w2c, width, height),
                    background=backgrounds[0], options=RasterOptions(force_reference=True))
    return out.rgb, out.alpha, out.depth, {}


def test_probe_accepts_a_working_rasterizer():
    ok, why = probe_gsplat(CPU, reference_as_gsplat)
    assert ok, why


def test_probe_refuses_a_failed_kernel_build_with_its_first_line():
    def broken(*args):
        raise RuntimeError("Error building extension 'gsplat_cuda'\nnvcc: not found\n[long build log]")

    ok, why = probe_gsplat(CPU, broken)
    assert not ok
    assert why == "gsplat failed to build or run its kernels (RuntimeError: Error building extension 'gsplat_cuda')"


def test_probe_refuses_wrong_images():
    def wrong(*args):
        rgb, alpha, depth, meta = reference_as_gsplat(*args)
        return 1.0 - rgb, alpha, depth, meta

    ok, why = probe_gsplat(CPU, wrong)
    assert not ok and "differs from the reference" in why


def test_a_failed_probe_falls_back_once_with_one_line(monkeypatch, capsys):
    calls = []

    def fake_probe(device, gsplat_fn=None):
        calls.append(device)
        return False, "gsplat failed to build or run its kernels (OSError: nvcc not found)"

    monkeypatch.setattr(_backend, "_verdicts", {})
    monkeypatch.delenv("SYNTHHEADS_RASTERIZER", raising=False)
    cuda = torch.device("cuda", 0)  # a device object only: nothing is allocated on it
    assert _backend.use_gsplat(cuda, fake_probe) is False
    assert _backend.use_gsplat(cuda, fake_probe) is False
    assert len(calls) == 1  # probed once per device
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["synthheads: gsplat failed to build or run its kernels (OSError: nvcc not found); "
                   "cuda:0 tensors use the pure-torch rasterizer"]
    assert _backend.use_gsplat(CPU, fake_probe) is False


def test_reference_can_be_forced(monkeypatch):
    monkeypatch.setattr(_backend, "_verdicts", {})
    monkeypatch.setenv("SYNTHHEADS_RASTERIZER", "reference")
    assert _backend.use_gsplat(torch.device("cuda", 0), lambda d: (True, "ok")) is False
    assert "SYNTHHEADS_RASTERIZER" in describe_rasterizer()
