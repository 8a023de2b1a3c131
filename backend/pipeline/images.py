"""Contact sheets for the main job's report (PNGs are written by ``synthetic.dataset.files.write_png``)."""

from __future__ import annotations

import numpy as np


def contact_sheet(images: list[np.ndarray], columns: int, background=(0.35, 0.35, 0.35)) -> np.ndarray:
    """Tile RGBA images ``[H, W, 4]`` (float, [0, 1]) over a plain background into one RGB sheet."""
    h, w = images[0].shape[:2]
    rows = (len(images) + columns - 1) // columns
    sheet = np.empty((rows * h, columns * w, 3), dtype=np.float32)
    sheet[:] = background
    for i, img in enumerate(images):
        r, c = divmod(i, columns)
        a = img[..., 3:4] if img.shape[-1] == 4 else np.ones_like(img[..., :1])
        sheet[r * h : (r + 1) * h, c * w : (c + 1) * w] = img[..., :3] * a + (1 - a) * np.asarray(background)
    return sheet
