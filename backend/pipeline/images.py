"""Pictures for the main job's report: PNG writing and contact sheets."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from synthetic.atomic import write_atomic


def save_png(path: Path, rgb: np.ndarray) -> Path:
    """Write a float image ``[H, W, 3]`` (or ``[H, W, 4]``) in [0, 1] as an 8-bit PNG (atomic)."""
    from PIL import Image

    data = (np.clip(rgb, 0, 1) * 255 + 0.5).astype(np.uint8)
    return write_atomic(Path(path), lambda p: Image.fromarray(data).save(p, format="PNG"))


def read_rgba(path: Path) -> np.ndarray:
    """A PNG as float RGBA ``[H, W, 4]`` in [0, 1]."""
    from PIL import Image

    return np.asarray(Image.open(path).convert("RGBA"), dtype=np.float32) / 255.0


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
