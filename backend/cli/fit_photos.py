"""``python -m backend fit-photos``: prepare photos of one person for few-shot inversion.

Detects the face and its landmarks, segments, crops to the dataset's framing, fits the head model and
back-projects the texture (:func:`backend.photos.prepare_photos`), then writes into ``--out``:
``crops/<name>.png`` (RGBA, alpha = person mask), ``overlays/<name>.png`` (the fit drawn on the crop),
``texture.png`` and ``texture_mask.png`` (UV texture, row 0 = top = v 1), and ``fit.json`` (per view K,
w2c, expression, residual in pixels; the shared shape). A photo with no face, several faces, a too small
face, or an unreadable file is exit 2 with one line naming it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from synthetic.cli_support import IN_FILE, OUT_DIR

NAME = "fit-photos"
HELP = "fit the head model to photos of one person (landmarks, mask, crop, cameras, texture)"
FORMAT_VERSION = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--images", type=IN_FILE, nargs="+", required=True, help="photos of one person (JPEG/PNG)")
    parser.add_argument("--out", type=OUT_DIR, required=True, help="output folder")
    parser.add_argument("--size", default="384x256", help="crop size WxH in pixels (default the dataset's 3:2)")
    parser.add_argument("--texture-size", type=int, default=256, help="UV texture size in texels")


def run(args: argparse.Namespace, progress) -> int:
    from backend.photos import prepare_photos
    from synthetic.atomic import write_json_atomic
    from synthetic.dataset.files import write_png
    from synthetic.head import HeadModel
    from synthetic.rig import parse_resolution

    size = parse_resolution(args.size)
    model = HeadModel.load()
    prepared = prepare_photos(args.images, model, size, args.texture_size, progress)
    out = Path(args.out)
    views = []
    for i, v in enumerate(prepared.views):
        write_png(out / "crops" / f"{v.name}.png", v.image)
        write_png(out / "overlays" / f"{v.name}.png", prepared.overlays[i])
        views.append({"name": v.name, "image": f"crops/{v.name}.png", "width": int(v.image.shape[1]),
                      "height": int(v.image.shape[0]), "K": v.K.tolist(), "w2c": v.w2c.tolist(),
                      "expression": v.expression.tolist(), "pose": v.pose.tolist(),
                      "residual_px": prepared.info["residual_px"][i],
                      "residual_inner_px": prepared.info["residual_inner_px"][i]})
    write_png(out / "texture.png", prepared.texture)
    write_png(out / "texture_mask.png", prepared.texture_mask.astype("uint8") * 255)
    fit = {"format": "synthheads-photo-fit", "version": FORMAT_VERSION, "head_model_fingerprint": model.fingerprint(),
           "shape": prepared.shape.tolist(), "views": views, "texture": "texture.png",
           "texture_mask": "texture_mask.png", "texture_coverage": prepared.info["texture_coverage"],
           "seconds": prepared.info["seconds"]}
    path = write_json_atomic(out / "fit.json", fit)
    summary = {"fit": str(path), "views": len(views), "residual_px": prepared.info["residual_px"],
               "texture_coverage": round(prepared.info["texture_coverage"], 4)}
    print(json.dumps(summary))
    progress.done(**summary)
    return 0

