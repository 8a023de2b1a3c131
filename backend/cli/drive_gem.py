"""``python -m backend drive-gem``: drive a GEM from photos through the landmark regressor (cross-reenactment).

``--gem G --regressor R --images A.png B.jpg ... --out DIR`` detects mediapipe landmarks on each image, predicts
GEM coefficients (``backend.gem.regressor``: relative to the first image, or to ``--neutral IMAGE``), renders
the GEM from the front and writes ``DIR/frame_0000.png ...`` (the input beside the GEM render),
``DIR/coefficients.npy`` ``[T, K]`` (readable by ``render --gem --coefficients``) and a video. With ``--train N``
and no file at ``R``, the regressor is first trained on ``N`` renders of the GEM with known coefficients.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

NAME = "drive-gem"
HELP = "drive a GEM from images (landmark regressor); --train N builds the regressor from GEM renders"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--gem", type=Path, required=True, help=".gem file")
    parser.add_argument("--regressor", type=Path, required=True, help="regressor .npz (written with --train)")
    parser.add_argument("--images", type=Path, nargs="*", default=[], help="driving images (RGB photos or renders)")
    parser.add_argument("--neutral", type=Path, default=None, help="neutral image of the driver (default the first)")
    parser.add_argument("--out", type=Path, default=None, help="output folder for frames and coefficients")
    parser.add_argument("--train", type=int, default=None, metavar="N",
                        help="train the regressor on N GEM renders when --regressor does not exist yet")
    parser.add_argument("--steps", type=int, default=2000, help="regressor training steps")
    parser.add_argument("--size", type=int, default=256, help="training render size (px)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fps", type=float, default=6.0)


def _read_rgb(path: Path) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    from synthetic.errors import UserInputError

    if not path.is_file():
        raise UserInputError(f"{path}: no such image")
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"))
    except (UnidentifiedImageError, OSError) as exc:
        raise UserInputError(f"{path}: not a readable image ({exc})") from None


def run(args: argparse.Namespace, progress) -> int:
    import torch

    from backend.avatar.video import save_frames, save_video
    from backend.gem.decode import TorchGem
    from backend.gem.regressor import RegressorConfig, load_regressor, save_regressor, train_regressor
    from backend.gem.regressor_data import landmark_dataset, render_gem_rgb
    from backend.gem.views import FRONTAL, rig_cameras
    from backend.photos import detect_face
    from synthetic.errors import UserInputError
    from synthetic.gem_format import read_gem

    torch.set_num_threads(1)
    gem = TorchGem.from_model(read_gem(args.gem))
    if not args.regressor.exists() and args.train:
        data = landmark_dataset(gem, args.train, args.size, args.seed, progress)
        reg, stats = train_regressor(data["landmarks"], data["neutral"], data["coefficients"],
                                     gem.flat_std().numpy(), RegressorConfig(steps=args.steps, seed=args.seed),
                                     progress)  # fmt: skip
        save_regressor(args.regressor, reg)
        progress.message(f"drive-gem: regressor {args.regressor} from {stats['n_train']} renders "
                         f"({data['skipped']} without a face), train MSE {stats['train_mse_sigma']:.3f} sigma^2")
    reg = load_regressor(args.regressor)
    if reg.sigma.shape[0] != gem.n_coefficients:
        raise UserInputError(f"{args.regressor}: predicts {reg.sigma.shape[0]} coefficients, {args.gem} takes "
                             f"{gem.n_coefficients}")  # fmt: skip
    if not args.images:
        progress.done(regressor=str(args.regressor))
        return 0
    if args.out is None:
        raise UserInputError("--out DIR is needed with --images")
    photos = [_read_rgb(p) for p in args.images]
    faces = [detect_face(rgb, str(p)) for rgb, p in zip(photos, args.images)]
    neutral = detect_face(_read_rgb(args.neutral), str(args.neutral)) if args.neutral else faces[0]
    # relative to the driver's own neutral (GEM's r = f - f_neutral); the GEM's neutral has r = 0
    from backend.gem.regressor import landmark_features

    ref = reg.neutral.numpy()
    rel = np.stack([landmark_features(f.landmarks, ref) - landmark_features(neutral.landmarks, ref) for f in faces])
    with torch.no_grad():
        coeffs = reg(torch.as_tensor(rel)).numpy()
    cam = rig_cameras(256, 256, [FRONTAL[1]])
    frames = []
    from PIL import Image

    for i in progress.track(range(len(coeffs)), stage="render"):
        img = render_gem_rgb(gem, torch.as_tensor(coeffs[i]), cam)[0]
        src = np.asarray(Image.fromarray(photos[i]).resize((256 * photos[i].shape[1] // photos[i].shape[0], 256)))
        frames.append(np.concatenate([src, img], axis=1))
    args.out.mkdir(parents=True, exist_ok=True)
    from synthetic.atomic import write_atomic

    write_atomic(args.out / "coefficients.npy", lambda p: np.save(p, coeffs.astype(np.float32)))
    pngs = save_frames(args.out, frames)
    video = save_video(args.out / "video.mp4", frames, args.fps)
    progress.message(f"drive-gem: {len(pngs)} frames in {args.out}")
    progress.done(out=str(args.out), frames=len(pngs), video=str(video))
    return 0
