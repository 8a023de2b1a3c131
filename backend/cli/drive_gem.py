"""``python -m backend drive-gem``: drive a GEM from photos through the landmark regressor (cross-reenactment).

``--gem G --regressor R --images A.png B.jpg ... --out DIR`` detects mediapipe landmarks on each image, predicts
GEM coefficients (``backend.gem.regressor``), renders the GEM from the front and writes ``DIR/frame_0000.png ...``
(the driver's face crop beside the GEM render), ``DIR/sheet.png`` (all frames in a grid), ``DIR/coefficients.npy``
``[T, K]`` float32 (readable by ``render --gem G --coefficients``), ``DIR/drive.json`` (what was done) and a
video. With ``--train N`` and no file at ``R``, the regressor is first trained on ``N`` portrait renders of the GEM
with known coefficients (``backend.gem.regressor_data``) and saved at ``R``. A shell over
:func:`backend.gem.drive.drive_gem`.

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


def run(args: argparse.Namespace, progress) -> int:
    from backend.gem.drive import drive_gem

    res = drive_gem(args.gem, args.regressor, args.images, args.out, args.neutral, args.train, args.teacher,
                    args.steps, args.size, args.seed, args.fps, progress)  # fmt: skip
    if res.out is None:
        progress.done(regressor=str(res.regressor))
        return 0
    progress.message(f"drive-gem: {len(res.frames)} frames, sheet and coefficients in {res.out}")
    progress.done(out=str(res.out), frames=len(res.frames), sheet=str(res.sheet),
                  video=str(res.video) if res.video else None)  # fmt: skip
    return 0
