"""``python -m backend drive-gem``: drive a GEM from photos through the landmark regressor (cross-reenactment).

``--gem G --regressor R --images A.png B.jpg ... --out DIR`` detects mediapipe landmarks on each image, predicts
GEM coefficients (``backend.gem.regressor``), renders the GEM from the front and writes ``DIR/frame_0000.png ...``
(the driver's face crop beside the GEM render), ``DIR/sheet.png`` (all frames in a grid), ``DIR/coefficients.npy``
``[T, K]`` float32 (readable by ``render --gem G --coefficients``), ``DIR/drive.json`` (what was done) and a
video. With ``--train N`` and no file at ``R``, the regressor is first trained on ``N`` portrait renders of the GEM
with known coefficients (``backend.gem.regressor_data``) and saved at ``R``.

The neutral frame of the driver (``--neutral``; the regressor's features are landmarks relative to a neutral):

- ``gem`` (default): the driver's landmarks are compared with the GEM's own neutral landmarks after a similarity
  alignment, i.e. the driver is taken to have the GEM's face shape. Works for a single photo; the driver's
  identity (face proportions) leaks into the expression.
- ``first``: the first image is the driver's neutral (GEM's ``r = f - f_neutral``): identity cancels, but the
  first image maps to the GEM's mean face, whatever its expression.
- a path: that image is the driver's neutral.

Images are read by :func:`synthetic.dataset.files.read_photo` (EXIF orientation applied, as in ``fit-photos``).
Every image must show one face; an image without one stops the command with exit status 2 and one line naming it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from synthetic.cli_support import IN_FILE, OUT_DIR, OUT_FILE

NAME = "drive-gem"
HELP = "drive a GEM from images (landmark regressor); --train N builds the regressor from GEM renders"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--gem", type=IN_FILE, required=True, help=".gem file")
    parser.add_argument("--regressor", type=OUT_FILE, required=True, help="regressor .npz (written with --train)")
    parser.add_argument("--images", type=IN_FILE, nargs="*", default=[], help="driving images (RGB photos or renders)")
    parser.add_argument("--neutral", default="gem",
                        help="the driver's neutral: 'gem' (GEM's neutral landmarks, default), 'first' (the first "
                             "image) or an image file")  # fmt: skip
    parser.add_argument("--out", type=OUT_DIR, default=None, help="output folder for frames and coefficients")
    parser.add_argument("--train", type=int, default=None, metavar="N",
                        help="train the regressor on N GEM renders when --regressor does not exist yet")
    parser.add_argument("--teacher", default=None,
                        help="with --train: the GEM's avatar file (or 'mesh'/'mesh:SEED'); training coefficients "
                             "are then its random expressions projected on the GEM (realistic statistics) instead "
                             "of independent uniform +-2 sigma draws")  # fmt: skip
    parser.add_argument("--steps", type=int, default=2000, help="regressor training steps")
    parser.add_argument("--size", type=int, default=192, help="render size (px) for training and output")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fps", type=float, default=6.0)


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


def run(args: argparse.Namespace, progress) -> int:
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

    torch.set_num_threads(1)
    if args.size < 128:
        raise UserInputError(f"--size {args.size}: mediapipe needs renders of at least 128 px")
    if args.images and args.out is None:
        raise UserInputError("--out DIR is needed with --images")
    photos = [read_photo(p) for p in args.images]  # unreadable inputs fail before any long work
    neutral_path = None if args.neutral in ("gem", "first") else Path(args.neutral)
    neutral_rgb = read_photo(neutral_path) if neutral_path is not None else None
    gem = TorchGem.from_model(read_gem(args.gem))
    if not args.regressor.exists():
        if not args.train:
            raise UserInputError(f"{args.regressor}: no such regressor file (give --train N to build it)")
        known = None
        if args.teacher:
            from backend.gem.regressor_data import teacher_coefficients
            from backend.gem.teacher import load_teacher
            from synthetic.head import HeadModel

            head = HeadModel.load()
            known = teacher_coefficients(gem, load_teacher(args.teacher, head), head, args.train, args.seed)
        data = landmark_dataset(gem, args.train, args.size, args.seed, progress, coefficients=known)
        reg, stats = train_regressor(data["landmarks"], data["neutral"], data["coefficients"],
                                     gem.flat_std().numpy(), RegressorConfig(steps=args.steps, seed=args.seed),
                                     progress, groups=list(gem.counts.values()))  # fmt: skip
        save_regressor(args.regressor, reg)
        val = "" if stats["val_mse_sigma"] is None else (
            f", validation {stats['val_mse_sigma']:.3f} (zeros {stats['val_mse_zero_sigma']:.3f})")
        progress.message(f"drive-gem: regressor {args.regressor} from {stats['n_train']} of {data['tried']} renders "
                         f"({data['skipped']} without a face); weighted MSE in sigma^2: train "
                         f"{stats['train_mse_sigma']:.3f}{val}")  # fmt: skip
    reg = load_regressor(args.regressor)
    if reg.sigma.shape[0] != gem.n_coefficients:
        raise UserInputError(f"{args.regressor}: predicts {reg.sigma.shape[0]} coefficients, {args.gem} takes "
                             f"{gem.n_coefficients}")  # fmt: skip
    if not args.images:
        progress.done(regressor=str(args.regressor))
        return 0
    faces = [detect_face(rgb, str(p)) for rgb, p in zip(photos, args.images)]
    if neutral_rgb is not None:
        driver_neutral = detect_face(neutral_rgb, str(neutral_path)).landmarks
    elif args.neutral == "first":
        driver_neutral = faces[0].landmarks
    else:
        driver_neutral = None
    coeffs = reg.predict_landmarks(np.stack([f.landmarks for f in faces]), driver_neutral).astype(np.float32)
    cam = face_cameras(args.size)
    frames = []
    for i in progress.track(range(len(coeffs)), stage="render"):
        img = render_gem_rgb(gem, torch.as_tensor(coeffs[i]), cam)[0]
        frames.append(np.concatenate([face_crop(photos[i], faces[i].box, args.size), img], axis=1))
    args.out.mkdir(parents=True, exist_ok=True)
    write_atomic(args.out / "coefficients.npy", lambda p: np.save(p, coeffs))
    pngs = save_frames(args.out, frames)
    cols = 2 if len(frames) > 3 else len(frames)
    write_png(args.out / "sheet.png", grid([frames[i : i + cols] for i in range(0, len(frames), cols)]))
    sig = reg.sigma.numpy()
    summary = {"gem": str(args.gem), "regressor": str(args.regressor), "neutral": str(args.neutral),
               "images": [str(p) for p in args.images], "coefficients": str(args.out / "coefficients.npy"),
               "max_abs_sigma": [float(np.abs(c / sig).max()) for c in coeffs],
               "rms_sigma": [float(np.sqrt(((c / sig) ** 2).mean())) for c in coeffs]}  # fmt: skip
    write_json_atomic(args.out / "drive.json", summary)
    video = save_video(args.out / "video.mp4", frames, args.fps) if len(frames) > 1 else None
    progress.message(f"drive-gem: {len(pngs)} frames, sheet and coefficients in {args.out}")
    progress.done(out=str(args.out), frames=len(pngs), sheet=str(args.out / "sheet.png"),
                  video=str(video) if video else None)  # fmt: skip
    return 0
