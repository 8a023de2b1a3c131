"""Training data for the image regressor: renders of a GEM with known coefficients and their landmarks.

Coefficients are drawn uniformly within ``+-2 sigma`` (all modalities); each sample is seen by one of the
frontal rig cameras at ``size`` x ``size`` pixels (mediapipe needs a face of some 100 px), and mediapipe's
landmarks are detected on it. Renders where no single face is found are skipped (counted in the stats).
"""

from __future__ import annotations

import numpy as np
import torch

from backend.splat import rasterize
from synthetic.errors import UserInputError

from .decode import TorchGem
from .views import FRONTAL, rig_cameras, to_uint8


def render_gem_rgb(gem: TorchGem, flat: torch.Tensor, cameras, background: float = 1.0) -> np.ndarray:
    """uint8 ``[C, H, W, 3]`` renders of one flat coefficient vector ``[K]``."""
    with torch.no_grad():
        g = gem.gaussian_set(gem.decode(flat[None].float()))
        return to_uint8(rasterize(g, cameras, background=torch.full((3,), background)).rgb)


def landmark_dataset(gem: TorchGem, n: int, size: int = 256, seed: int = 0, progress=None) -> dict:
    """``{"landmarks": [T, 478, 3], "coefficients": [T, K], "neutral": [478, 3], "skipped": int}``.

    Raises:
        UserInputError: mediapipe finds no face on the neutral render (the GEM is not face-like enough).
    """
    from backend.photos import detect_face

    cams = rig_cameras(size, size, FRONTAL)
    sigma = gem.flat_std().cpu()
    neutral = detect_face(render_gem_rgb(gem, torch.zeros(gem.n_coefficients), cams[1])[0], "neutral GEM render")
    rng = np.random.default_rng(seed)
    lms, ks, skipped = [], [], 0
    for i in range(n):
        k = torch.as_tensor(rng.uniform(-2, 2, gem.n_coefficients), dtype=torch.float32) * sigma
        cam = cams[int(rng.integers(len(cams)))]
        try:
            face = detect_face(render_gem_rgb(gem, k, cam)[0], f"training render {i}")
        except UserInputError:
            skipped += 1
            continue
        lms.append(face.landmarks)
        ks.append(k.numpy())
        if progress is not None:
            progress.update("regressor data", i + 1, n)
    if len(lms) < 8:
        raise UserInputError(f"mediapipe found a face on only {len(lms)} of {n} GEM renders; cannot train")
    return {"landmarks": np.stack(lms), "coefficients": np.stack(ks), "neutral": neutral.landmarks,
            "skipped": skipped}  # fmt: skip
