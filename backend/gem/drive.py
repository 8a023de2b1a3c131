"""Driving a GEM from photos through the landmark regressor (cross-reenactment) as one library call:
``python -m backend drive-gem`` is a thin shell over :func:`drive_gem` (see that command for the neutral modes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


@dataclass
class GemDrive:
    """What :func:`drive_gem` trained, predicted and wrote."""

    regressor: Path
    """The regressor ``.npz`` (written first when it was trained)."""
    training: dict[str, Any] | None = None
    """The regressor's training statistics (and renders tried / without a face) when it was trained now."""
    out: Path | None = None
    """The output folder (None without images)."""
    coefficients: np.ndarray | None = None
    """``[T, K]`` float32 predicted GEM coefficients, one row per image (also ``out/coefficients.npy``)."""
    frames: list[Path] = field(default_factory=list)
    """``frame_0000.png`` ...: the driver's face crop beside the GEM render."""
    sheet: Path | None = None
    """``sheet.png``: every frame in a grid."""
    video: Path | None = None
    """The video of the frames (more than one image only)."""
    summary: dict[str, Any] = field(default_factory=dict)
    """``drive.json``: inputs and per-frame coefficient sizes in sigma."""


def face_crop(rgb: np.ndarray, box, size: int) -> np.ndarray:
    """A square ``size`` px crop of ``rgb`` around a face box ``(x0, y0, x1, y1)`` (1.6x its side, white outside)."""
    from PIL import Image

    cx, cy = 0.5 * (box[0] + box[2]), 0.5 * (box[1] + box[3])
    half = 0.8 * max(box[2] - box[0], box[3] - box[1])
    x0, y0, n = int(round(cx - half)), int(round(cy - half)), max(int(round(2 * half)), 1)
    crop = np.full((n, n, 3), 255, np.uint8)
    h, w = rgb.shape[:2]
    sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x0 + n, w), min(y0 + n, h)
    if sx1 > sx0 and sy1 > sy0:
        crop[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = rgb[sy0:sy1, sx0:sx1, :3]
    return np.asarray(Image.fromarray(crop).resize((size, size), Image.BILINEAR))


def drive_gem(gem: str | Path, regressor: str | Path, images: Sequence[str | Path] = (), out: str | Path | None = None,
              neutral: str = "gem", train: int | None = None, teacher: str | None = None, steps: int = 2000,
              size: int = 192, seed: int = 0, fps: float = 6.0, progress=None) -> GemDrive:
    """Predict GEM coefficients for each of ``images`` and render the GEM with them into ``out``; with ``train`` and
    no file at ``regressor``, first train the regressor on ``train`` renders of the GEM and save it there.

    Args:
        neutral: the driver's neutral: ``gem`` (the GEM's neutral landmarks), ``first`` (the first image) or an
            image file.
        teacher: with ``train``: the GEM's avatar file (or ``mesh``/``mesh:SEED``): training coefficients are its
            random expressions projected on the GEM instead of independent uniform +-2 sigma draws.
        steps: regressor training steps.
        size: render size (px) for training and output (at least 128).
    """
    import torch

    from backend.avatar.video import save_frames, save_video
    from backend.gem.decode import TorchGem
    from backend.gem.regressor import RegressorConfig, load_regressor, save_regressor, train_regressor
    from backend.gem.regressor_data import face_cameras, landmark_dataset, render_gem_rgb
    from backend.gem.views import grid
    from backend.photos import detect_face
    from synthetic.atomic import write_atomic, write_json_atomic
    from synthetic.dataset.files import read_photo, write_png
    from synthetic.errors import UserInputError
    from synthetic.formats.gem import read_gem
    from synthetic.progress import Progress

    progress = progress or Progress("none")
    torch.set_num_threads(1)
    if size < 128:
        raise UserInputError(f"--size {size}: mediapipe needs renders of at least 128 px")
    if images and out is None:
        raise UserInputError("--out DIR is needed with --images")
    photos = [read_photo(p) for p in images]  # unreadable inputs fail before any long work
    regressor, out = Path(regressor), None if out is None else Path(out)
    trained = None
    neutral_path = None if neutral in ("gem", "first") else Path(neutral)
    neutral_rgb = read_photo(neutral_path) if neutral_path is not None else None
    tgem = TorchGem.from_model(read_gem(gem))
    if not regressor.exists():
        if not train:
            raise UserInputError(f"{regressor}: no such regressor file (give --train N to build it)")
        known = None
        if teacher:
            from backend.gem.regressor_data import teacher_coefficients
            from backend.gem.teacher import load_teacher
            from synthetic.head import HeadModel

            head = HeadModel.load()
            known = teacher_coefficients(tgem, load_teacher(teacher, head), head, train, seed)
        data = landmark_dataset(tgem, train, size, seed, progress, coefficients=known)
        reg, stats = train_regressor(data["landmarks"], data["neutral"], data["coefficients"],
                                     tgem.flat_std().numpy(), RegressorConfig(steps=steps, seed=seed),
                                     progress, groups=list(tgem.counts.values()))  # fmt: skip
        save_regressor(regressor, reg)
        trained = {**stats, "tried": data["tried"], "skipped": data["skipped"]}
        val = "" if stats["val_mse_sigma"] is None else (
            f", validation {stats['val_mse_sigma']:.3f} (zeros {stats['val_mse_zero_sigma']:.3f})")
        progress.message(f"drive-gem: regressor {regressor} from {stats['n_train']} of {data['tried']} renders "
                         f"({data['skipped']} without a face); weighted MSE in sigma^2: train "
                         f"{stats['train_mse_sigma']:.3f}{val}")  # fmt: skip
    reg = load_regressor(regressor)
    if reg.sigma.shape[0] != tgem.n_coefficients:
        raise UserInputError(f"{regressor}: predicts {reg.sigma.shape[0]} coefficients, {gem} takes "
                             f"{tgem.n_coefficients}")  # fmt: skip
    if not images:
        return GemDrive(regressor, trained)
    faces = [detect_face(rgb, str(p)) for rgb, p in zip(photos, images)]
    if neutral_rgb is not None:
        driver_neutral = detect_face(neutral_rgb, str(neutral_path)).landmarks
    elif neutral == "first":
        driver_neutral = faces[0].landmarks
    else:
        driver_neutral = None
    coeffs = reg.predict_landmarks(np.stack([f.landmarks for f in faces]), driver_neutral).astype(np.float32)
    cam = face_cameras(size)
    frames = []
    for i in progress.track(range(len(coeffs)), stage="render"):
        img = render_gem_rgb(tgem, torch.as_tensor(coeffs[i]), cam)[0]
        frames.append(np.concatenate([face_crop(photos[i], faces[i].box, size), img], axis=1))
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / "coefficients.npy", lambda p: np.save(p, coeffs))
    pngs = save_frames(out, frames)
    cols = 2 if len(frames) > 3 else len(frames)
    write_png(out / "sheet.png", grid([frames[i : i + cols] for i in range(0, len(frames), cols)]))
    sig = reg.sigma.numpy()
    summary = {"gem": str(gem), "regressor": str(regressor), "neutral": str(neutral),
               "images": [str(p) for p in images], "coefficients": str(out / "coefficients.npy"),
               "max_abs_sigma": [float(np.abs(c / sig).max()) for c in coeffs],
               "rms_sigma": [float(np.sqrt(((c / sig) ** 2).mean())) for c in coeffs]}  # fmt: skip
    write_json_atomic(out / "drive.json", summary)
    video = save_video(out / "video.mp4", frames, fps) if len(frames) > 1 else None
    return GemDrive(regressor, trained, out, coeffs, pngs, out / "sheet.png", video, summary)
