"""PSNR, SSIM/DSSIM and L1: identities, monotonicity on a real photo, batching, masks, a float64 SSIM oracle."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.ndimage import gaussian_filter

from backend.metrics import dssim, l1, psnr, ssim


def _reference_ssim(a: np.ndarray, b: np.ndarray, window: int = 11, sigma: float = 1.5) -> float:
    """SSIM of two ``[3, H, W]`` images, float64, straight from Wang et al. (2004) with scipy's Gaussian filter."""
    a, b = a.astype(np.float64), b.astype(np.float64)
    r = window // 2
    c1, c2 = 0.01**2, 0.03**2

    def blur(x):  # scipy's kernel has 2 * int(truncate * sigma + 0.5) + 1 = window taps
        return gaussian_filter(x, sigma=(0, sigma, sigma), truncate=r / sigma)

    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a**2
    var_b = blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return float(s[:, r:-r, r:-r].mean())  # only where the window lies inside the image


def test_identical_images(photo):
    batch = torch.stack([photo, photo.flip(-1)])
    assert torch.equal(psnr(batch, batch), torch.full((2,), 100.0))  # capped: MSE floored at 1e-10
    torch.testing.assert_close(ssim(batch, batch), torch.ones(2))
    torch.testing.assert_close(dssim(batch, batch), torch.zeros(2))
    assert torch.equal(l1(batch, batch), torch.zeros(2))


def test_single_image_gives_scalar(photo, noisy):
    for fn in (psnr, ssim, dssim, l1):
        one = fn(photo, noisy[2])
        assert one.shape == ()
        torch.testing.assert_close(one, fn(photo[None], noisy[2:3])[0])


def test_psnr_known_value():
    a = torch.zeros(1, 3, 16, 16)
    b = torch.full_like(a, 0.1)  # MSE = 0.01 -> 20 dB
    torch.testing.assert_close(psnr(a, b), torch.tensor([20.0]))
    torch.testing.assert_close(l1(a, b), torch.tensor([0.1]))


@pytest.mark.parametrize("series", ["noisy", "blurred"])
def test_worse_with_stronger_degradation(photo, series, request):
    degraded = request.getfixturevalue(series)
    ref = photo.expand_as(degraded)
    for values, sign in ((dssim(ref, degraded), 1), (l1(ref, degraded), 1), (psnr(ref, degraded), -1)):
        steps = sign * values.diff()
        assert (steps > 0).all(), f"{series}: not monotonic: {values.tolist()}"


@pytest.mark.parametrize("fn", [psnr, ssim, dssim, l1])
def test_batch_equals_one_by_one(fn, photo, noisy, blurred):
    a = torch.stack([photo, photo, noisy[1], blurred[3]])
    b = torch.stack([noisy[0], blurred[2], noisy[4], photo])
    one_by_one = torch.stack([fn(x, y) for x, y in zip(a, b)])
    torch.testing.assert_close(fn(a, b), one_by_one)


@pytest.mark.parametrize("window,sigma", [(11, 1.5), (7, 1.0)])
@pytest.mark.parametrize("shape", [(128, 128), (40, 57)])
def test_ssim_matches_float64_reference(photo, noisy, blurred, window, sigma, shape):
    h, w = shape
    pairs = [(photo, noisy[1]), (photo, noisy[4]), (photo, blurred[2]), (noisy[3], blurred[0])]
    rand = torch.rand(2, 3, h, w, generator=torch.Generator().manual_seed(1))
    pairs = [(a[:, :h, :w], b[:, :h, :w]) for a, b in pairs] + [(rand[0], rand[1])]
    for a, b in pairs:
        ours = float(ssim(a, b, window=window, sigma=sigma))
        ref = _reference_ssim(a.numpy(), b.numpy(), window, sigma)
        assert abs(ours - ref) < 1e-4, (ours, ref)


def test_ssim_gradient_matches_finite_differences():
    gen = torch.Generator().manual_seed(2)
    a = torch.rand(1, 3, 14, 13, dtype=torch.float64, generator=gen)
    b = (a + 0.1 * torch.randn(a.shape, dtype=torch.float64, generator=gen)).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x: dssim(a, x, window=7, sigma=1.0), (b,), fast_mode=True)


def test_ssim_gradient_reaches_input(photo, noisy):
    x = noisy[3:4].clone().requires_grad_(True)
    dssim(photo[None], x).sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_full_mask_equals_no_mask(photo, noisy):
    ones = torch.ones(2, 1, 128, 128)
    a, b = photo.expand(2, -1, -1, -1), noisy[1:3]
    torch.testing.assert_close(psnr(a, b, ones), psnr(a, b))
    torch.testing.assert_close(l1(a, b, ones[:, 0]), l1(a, b))


def test_box_mask_equals_crop(photo, noisy):
    mask = torch.zeros(128, 128)
    mask[20:70, 30:100] = 1
    crop = (slice(None), slice(20, 70), slice(30, 100))
    torch.testing.assert_close(psnr(photo, noisy[2], mask), psnr(photo[crop], noisy[2][crop]))
    torch.testing.assert_close(l1(photo, noisy[2], mask), l1(photo[crop], noisy[2][crop]))


def test_empty_mask(photo, noisy):
    empty = torch.zeros(1, 1, 128, 128)
    assert torch.isnan(psnr(photo[None], noisy[:1], empty)).all()  # no pixels: no PSNR
    assert torch.equal(l1(photo[None], noisy[:1], empty), torch.zeros(1))  # a loss stays finite


@pytest.mark.parametrize(
    "a,b,message",
    [
        (torch.rand(2, 3, 16, 16), torch.rand(2, 3, 16, 15), "same shape"),
        (torch.rand(2, 4, 16, 16), torch.rand(2, 4, 16, 16), r"\[B, 3, H, W\]"),
        (torch.rand(16, 16), torch.rand(16, 16), r"\[B, 3, H, W\]"),
        (torch.rand(1, 3, 8, 16), torch.rand(1, 3, 8, 16), "at least 11x11"),
    ],
)
def test_bad_shapes_fail_clearly(a, b, message):
    with pytest.raises(AssertionError, match=message):
        ssim(a, b)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("fn", [psnr, ssim, l1])
def test_cuda_matches_cpu(fn, photo, noisy):
    a, b = photo.expand(4, -1, -1, -1), noisy[:4]
    torch.testing.assert_close(fn(a.cuda(), b.cuda()).cpu(), fn(a, b), atol=1e-4, rtol=1e-5)
