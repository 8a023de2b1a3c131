"""Pixel and structure metrics between two RGB images: PSNR, SSIM (and DSSIM), L1.

Every function takes two images of the same shape, either one image ``[3, H, W]`` or a batch
``[B, 3, H, W]``, with values in [0, 1] (linear or sRGB, as long as both agree), and returns one
value per image: ``[B]`` for a batch, a 0-d tensor for a single image. All functions are plain
torch ops, so they run on any device and are differentiable (SSIM and L1 are meant as losses).

Example:
    >>> a = torch.rand(2, 3, 64, 64)
    >>> psnr(a, a)  # identical images hit the cap
    tensor([100., 100.])
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from jaxtyping import Float
from torch import Tensor

PSNR_EPS_MSE = 1e-10
"""MSE floor in :func:`psnr`: identical images give ``10 * log10(1 / 1e-10) = 100`` dB, not inf."""

SSIM_K1 = 0.01
SSIM_K2 = 0.03
"""Stabilising constants of Wang et al. (2004); ``C1 = (K1 * L)^2``, ``C2 = (K2 * L)^2`` with L = 1."""


def _check_pair(a: Tensor, b: Tensor, fn: str) -> None:
    """Assert that ``a`` and ``b`` are equal-shaped ``[3, H, W]`` or ``[B, 3, H, W]`` float tensors."""
    assert isinstance(a, Tensor) and isinstance(b, Tensor), f"{fn}: images must be torch tensors"
    assert a.shape == b.shape, f"{fn}: images must have the same shape, got {list(a.shape)} and {list(b.shape)}"
    assert a.ndim in (3, 4) and a.shape[-3] == 3, f"{fn}: images must be [3, H, W] or [B, 3, H, W], got {list(a.shape)}"
    assert a.is_floating_point() and b.is_floating_point(), f"{fn}: images must be float, got {a.dtype}, {b.dtype}"


def _batched(x: Tensor) -> Tensor:
    return x if x.ndim == 4 else x.unsqueeze(0)


def _unbatch_like(values: Float[Tensor, " B"], like: Tensor) -> Tensor:
    return values if like.ndim == 4 else values[0]


def _mask_weights(mask: Tensor | None, a: Tensor, fn: str) -> Tensor | None:
    """Bring a mask to ``[B, 1, H, W]`` for a batch ``a`` of shape ``[B, 3, H, W]`` (``a`` already batched).

    Accepted mask shapes: ``[B, 1, H, W]``, ``[B, H, W]``, and for ``B == 1`` also ``[1, H, W]``/``[H, W]``.
    """
    if mask is None:
        return None
    b, _, h, w = a.shape
    m = mask
    if m.ndim == 2:
        m = m[None, None]
    elif m.ndim == 3:
        m = m[:, None]
    ok = m.ndim == 4 and m.shape[1] == 1 and m.shape[2:] == (h, w) and m.shape[0] in (1, b)
    assert ok, (
        f"{fn}: mask must be [B, 1, H, W], [B, H, W] or [H, W] matching images {list(a.shape)}, got {list(mask.shape)}"
    )
    return m.to(a.dtype).expand(b, 1, h, w)


def _masked_mean(per_pixel: Float[Tensor, "B 3 H W"], weights: Tensor | None) -> Float[Tensor, " B"]:
    """Mean over channels and pixels, weighted by ``weights`` ``[B, 1, H, W]`` when given."""
    if weights is None:
        return per_pixel.mean(dim=(1, 2, 3))
    total = (per_pixel * weights).sum(dim=(1, 2, 3))
    count = weights.sum(dim=(1, 2, 3)) * per_pixel.shape[1]
    return total / count


def mse(
    a: Float[Tensor, "*B 3 H W"], b: Float[Tensor, "*B 3 H W"], mask: Float[Tensor, "*B 1 H W"] | None = None
) -> Float[Tensor, "*B"]:
    """Mean squared error per image; with ``mask``, the mask-weighted mean (NaN where the mask is all zero)."""
    _check_pair(a, b, "mse")
    a4, b4 = _batched(a), _batched(b)
    return _unbatch_like(_masked_mean((a4 - b4) ** 2, _mask_weights(mask, a4, "mse")), a)


def psnr(
    a: Float[Tensor, "*B 3 H W"],
    b: Float[Tensor, "*B 3 H W"],
    mask: Float[Tensor, "*B 1 H W"] | None = None,
) -> Float[Tensor, "*B"]:
    """Peak signal-to-noise ratio in dB for images in [0, 1] (peak value 1).

    Args:
        a: Images ``[B, 3, H, W]`` or ``[3, H, W]``, values in [0, 1].
        b: Images of the same shape as ``a``.
        mask: Optional per-pixel weights in [0, 1], ``[B, 1, H, W]``, ``[B, H, W]`` or ``[H, W]``
            (broadcast over channels). The MSE is then the weighted mean over the masked pixels.

    Returns:
        PSNR per image, ``[B]`` (0-d for a single image), in dB. Identical images give 100 dB: the MSE is
        floored at :data:`PSNR_EPS_MSE` so that averages over a data set stay finite. An all-zero mask
        gives NaN (no pixels to compare).

    .. note::
        Differentiable, but ``-psnr`` is a poor loss (log of MSE); use :func:`l1` or :func:`dssim`.
    """
    err = mse(a, b, mask)
    return 10.0 * torch.log10(1.0 / err.clamp_min(PSNR_EPS_MSE))


def l1(
    a: Float[Tensor, "*B 3 H W"],
    b: Float[Tensor, "*B 3 H W"],
    mask: Float[Tensor, "*B 1 H W"] | None = None,
) -> Float[Tensor, "*B"]:
    """Mean absolute error per image.

    Args:
        a: Images ``[B, 3, H, W]`` or ``[3, H, W]``, values in [0, 1].
        b: Images of the same shape as ``a``.
        mask: Optional per-pixel weights in [0, 1], ``[B, 1, H, W]``, ``[B, H, W]`` or ``[H, W]``.

    Returns:
        L1 per image, ``[B]`` (0-d for a single image), in [0, 1]; 0 for identical images. An all-zero
        mask gives 0 (not NaN), so a masked L1 loss stays finite on an empty mask.
    """
    _check_pair(a, b, "l1")
    a4, b4 = _batched(a), _batched(b)
    weights = _mask_weights(mask, a4, "l1")
    diff = (a4 - b4).abs()
    if weights is None:
        out = diff.mean(dim=(1, 2, 3))
    else:
        count = (weights.sum(dim=(1, 2, 3)) * 3).clamp_min(torch.finfo(diff.dtype).tiny)
        out = (diff * weights).sum(dim=(1, 2, 3)) / count
    return _unbatch_like(out, a)


def gaussian_window(window: int, sigma: float, dtype: torch.dtype, device: torch.device) -> Float[Tensor, " window"]:
    """Normalised 1D Gaussian of odd length ``window``, centred, standard deviation ``sigma`` in pixels."""
    assert window % 2 == 1 and window > 0, f"gaussian_window: window must be a positive odd size, got {window}"
    assert sigma > 0, f"gaussian_window: sigma must be > 0, got {sigma}"
    x = torch.arange(window, dtype=torch.float64, device=device) - (window - 1) / 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    return (g / g.sum()).to(dtype=dtype, device=device)


def _blur_valid(x: Float[Tensor, "B C H W"], g: Float[Tensor, " window"]) -> Float[Tensor, "B C h w"]:
    """Separable depthwise Gaussian filter with no padding: ``h = H - window + 1``, ``w = W - window + 1``."""
    c = x.shape[1]
    k = g.numel()
    x = F.conv2d(x, g.view(1, 1, 1, k).expand(c, 1, 1, k), groups=c)
    return F.conv2d(x, g.view(1, 1, k, 1).expand(c, 1, k, 1), groups=c)


def ssim_map(
    a: Float[Tensor, "B 3 H W"], b: Float[Tensor, "B 3 H W"], window: int = 11, sigma: float = 1.5
) -> Float[Tensor, "B 3 h w"]:
    """Per-pixel, per-channel SSIM over the valid region ``h = H - window + 1``, ``w = W - window + 1``.

    See :func:`ssim` for the definition; inputs must already be batched.
    """
    _check_pair(a, b, "ssim")
    assert a.ndim == 4, f"ssim_map: images must be batched [B, 3, H, W], got {list(a.shape)}"
    h, w = a.shape[-2:]
    assert min(h, w) >= window, f"ssim: images must be at least {window}x{window} (the window), got {h}x{w}"
    g = gaussian_window(window, sigma, a.dtype, a.device)
    c1, c2 = SSIM_K1**2, SSIM_K2**2
    stats = _blur_valid(torch.cat([a, b, a * a, b * b, a * b], dim=1), g)
    mu_a, mu_b, e_aa, e_bb, e_ab = stats.chunk(5, dim=1)
    var_a = e_aa - mu_a**2
    var_b = e_bb - mu_b**2
    cov = e_ab - mu_a * mu_b
    num = (2 * mu_a * mu_b + c1) * (2 * cov + c2)
    den = (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
    return num / den


def ssim(
    a: Float[Tensor, "*B 3 H W"], b: Float[Tensor, "*B 3 H W"], window: int = 11, sigma: float = 1.5
) -> Float[Tensor, "*B"]:
    """Structural similarity (Wang, Bovik, Sheikh, Simoncelli 2004) with a Gaussian window.

    Local means, variances and the covariance are Gaussian-weighted (``window`` taps, standard deviation
    ``sigma``), each colour channel on its own, with ``C1 = 0.01^2`` and ``C2 = 0.03^2`` for a data range
    of 1. The SSIM map is evaluated only where the window fits inside the image ("valid", no padding,
    as in the paper's reference code) and averaged over channels and pixels.

    Args:
        a: Images ``[B, 3, H, W]`` or ``[3, H, W]``, values in [0, 1]; ``H, W >= window``.
        b: Images of the same shape as ``a``.
        window: Odd window size in pixels. Default 11.
        sigma: Gaussian standard deviation in pixels. Default 1.5.

    Returns:
        Mean SSIM per image, ``[B]`` (0-d for a single image), at most 1 (exactly 1 for identical images),
        typically in [0, 1]; negative only for anti-correlated images.

    .. note::
        No automatic downsampling (the paper's MATLAB script shrinks images larger than 256 px first).
        The same definition as scikit-image's ``structural_similarity(gaussian_weights=True, sigma=1.5,
        use_sample_covariance=False, data_range=1, channel_axis=0)``; the tests compare against a float64
        ``scipy.ndimage.gaussian_filter`` reference. Differentiable: use :func:`dssim` as a loss.
    """
    a4, b4 = _batched(a), _batched(b)
    return _unbatch_like(ssim_map(a4, b4, window, sigma).mean(dim=(1, 2, 3)), a)


def dssim(
    a: Float[Tensor, "*B 3 H W"], b: Float[Tensor, "*B 3 H W"], window: int = 11, sigma: float = 1.5
) -> Float[Tensor, "*B"]:
    """Structural dissimilarity ``(1 - ssim) / 2`` per image, in [0, 1] (0 for identical images); a loss.

    Args and shapes as in :func:`ssim`.
    """
    return (1.0 - ssim(a, b, window, sigma)) / 2.0


__all__ = ["PSNR_EPS_MSE", "dssim", "gaussian_window", "l1", "mse", "psnr", "ssim", "ssim_map"]
