"""Shared test images: a real photo (matplotlib's grace_hopper.jpg sample) and graded degradations of it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from scipy.ndimage import gaussian_filter

NOISE_SIGMAS = (0.02, 0.05, 0.1, 0.2, 0.4)
BLUR_SIGMAS = (0.5, 1.0, 2.0, 3.0, 4.0)


@pytest.fixture(scope="session")
def photo() -> torch.Tensor:
    """``[3, 128, 128]`` float32 in [0, 1]: the top square of the 512x600 portrait, downsampled 4x (bicubic)."""
    # = matplotlib.cbook.get_sample_data("grace_hopper.jpg"), found without importing matplotlib (slow, noisy)
    spec = importlib.util.find_spec("matplotlib")
    assert spec is not None and spec.submodule_search_locations, "matplotlib is needed for its sample photo"
    path = Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "sample_data" / "grace_hopper.jpg"
    img = Image.open(path).convert("RGB")
    w, _ = img.size
    img = img.crop((0, 0, w, w)).resize((128, 128), Image.BICUBIC)
    return torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0).permute(2, 0, 1).contiguous()


@pytest.fixture(scope="session")
def noisy(photo) -> torch.Tensor:
    """``[len(NOISE_SIGMAS), 3, 128, 128]``: photo + N(0, sigma^2) (one fixed noise draw, seed 0), clipped."""
    noise = torch.randn(photo.shape, generator=torch.Generator().manual_seed(0))
    return torch.stack([(photo + s * noise).clamp(0, 1) for s in NOISE_SIGMAS])


@pytest.fixture(scope="session")
def blurred(photo) -> torch.Tensor:
    """``[len(BLUR_SIGMAS), 3, 128, 128]``: photo under a Gaussian blur of sigma px (reflecting borders)."""
    return torch.stack([torch.from_numpy(gaussian_filter(photo.numpy(), sigma=(0, s, s))) for s in BLUR_SIGMAS])
