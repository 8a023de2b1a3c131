"""Foreground (person, hair included) alpha of a photo with mediapipe's bundled selfie segmentation.

:func:`foreground_alpha` returns a soft ``[H, W]`` float mask in [0, 1]: the network's probability, its
uncertain band stretched to a clean 0/1 away from the edge, then a small blur so the edge stays soft
(about :data:`EDGE_PX` pixels wide), as the dataset's rendered alpha is anti-aliased.
The graph is built once per process.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from synthetic.errors import UserInputError

from .landmarks import run_graph

EDGE_PX = 1.5
"""Gaussian sigma (pixels of the input image) of the final edge softening."""
_LOW, _HIGH = 0.2, 0.8
"""Probabilities mapped to alpha 0 and 1 (linear in between)."""


@cache
def _graph():
    from mediapipe.python.solutions import selfie_segmentation

    # model 0 = the general 256x256 model (better on portraits than the 144x256 landscape one)
    return selfie_segmentation.SelfieSegmentation(model_selection=0)


def foreground_alpha(rgb: np.ndarray, source: str = "image") -> np.ndarray:
    """Soft person mask of a photo.

    Args:
        rgb: ``[H, W, 3]`` uint8 sRGB (an alpha channel, if any, is ignored).
        source: name used in error messages.

    Returns:
        ``[H, W]`` float32 alpha in [0, 1] (1 = person incl. hair, 0 = background).

    Raises:
        UserInputError: not an ``[H, W, 3]`` uint8 image.
    """
    a = np.asarray(rgb)
    if a.ndim != 3 or a.shape[2] not in (3, 4) or a.dtype != np.uint8:
        raise UserInputError(f"{source}: expected a uint8 RGB image [H, W, 3], found {a.dtype} {a.shape}")
    a = np.ascontiguousarray(a[..., :3])
    res = run_graph(_graph(), a)
    prob = np.asarray(res.segmentation_mask, dtype=np.float32)
    alpha = np.clip((prob - _LOW) / (_HIGH - _LOW), 0.0, 1.0)
    return np.clip(_gaussian_blur(alpha, EDGE_PX), 0.0, 1.0).astype(np.float32)


def _gaussian_blur(a: np.ndarray, sigma: float) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    return gaussian_filter(a, sigma, mode="nearest") if sigma > 0 else a
