"""``python -m backend fit-photos``: prepare photos of one person for few-shot inversion.

Detects the face and its landmarks, segments, crops to the dataset's framing, fits the head model and
back-projects the texture (:func:`backend.photos.prepare_photos`), then writes into ``--out``:
``crops/<name>.png`` (RGBA, alpha = person mask), ``overlays/<name>.png`` (the fit drawn on the crop),
``texture.png`` and ``texture_mask.png`` (UV texture, row 0 = top = v 1), and ``fit.json`` (per view K,
w2c, expression, residual in pixels; the shared shape). A photo with no face, several faces, a too small
face, or an unreadable file is exit 2 with one line naming it. A shell over
:func:`backend.photos.fit_folder.fit_photos`.
"""

from __future__ import annotations

import argparse
import json

from synthetic.cli_support import IN_FILE, OUT_DIR

NAME = "fit-photos"
HELP = "fit the head model to photos of one person (landmarks, mask, crop, cameras, texture)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--images", type=IN_FILE, nargs="+", required=True, help="photos of one person (JPEG/PNG)")
    parser.add_argument("--out", type=OUT_DIR, required=True, help="output folder")
    parser.add_argument("--size", default="384x256", help="crop size WxH in pixels (default the dataset's 3:2)")
    parser.add_argument("--texture-size", type=int, default=256, help="UV texture size in texels")


def run(args: argparse.Namespace, progress) -> int:
    from backend.photos.fit_folder import fit_photos

    res = fit_photos(args.images, args.out, args.size, args.texture_size, progress)
    print(json.dumps(res.summary))
    progress.done(**res.summary)
    return 0
