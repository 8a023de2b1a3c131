"""Fitting the head model to photos of one person and writing the result into a folder, as one library call:
``python -m backend fit-photos`` is a thin shell over :func:`fit_photos`.

Writes ``crops/<name>.png`` (RGBA, alpha = person mask), ``overlays/<name>.png`` (the fit drawn on the crop),
``texture.png`` and ``texture_mask.png`` (UV texture, row 0 = top = v 1), and ``fit.json`` (format
``synthheads-photo-fit``: per view K, w2c, expression, pose, residual in pixels; the shared shape).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORMAT = "synthheads-photo-fit"
FORMAT_VERSION = 1


@dataclass
class PhotoFit:
    """What :func:`fit_photos` wrote."""

    fit: Path
    """``fit.json``."""
    content: dict[str, Any]
    """The content of ``fit.json``."""
    summary: dict[str, Any]
    """``fit`` path, number of views, residual per view (px), texture coverage."""


def fit_photos(images: Sequence[str | Path], out: str | Path, size: str = "384x256", texture_size: int = 256,
               progress=None) -> PhotoFit:
    """Detect, segment, crop and fit the head model to ``images`` (:func:`backend.photos.prepare_photos`) and write
    the crops, overlays, texture and ``fit.json`` into ``out`` (see the module docstring).

    Args:
        size: crop size ``WIDTHxHEIGHT`` in pixels (default the dataset's 3:2).
        texture_size: UV texture size in texels.
    """
    from backend.photos import prepare_photos
    from synthetic.atomic import write_json_atomic
    from synthetic.dataset.files import write_png
    from synthetic.head import HeadModel
    from synthetic.rig import parse_resolution

    crop_size = parse_resolution(size)
    model = HeadModel.load()
    prepared = prepare_photos(list(images), model, crop_size, texture_size, progress)
    out = Path(out)
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
    fit = {"format": FORMAT, "version": FORMAT_VERSION, "head_model_fingerprint": model.fingerprint(),
           "shape": prepared.shape.tolist(), "views": views, "texture": "texture.png",
           "texture_mask": "texture_mask.png", "texture_coverage": prepared.info["texture_coverage"],
           "seconds": prepared.info["seconds"]}
    path = write_json_atomic(out / "fit.json", fit)
    summary = {"fit": str(path), "views": len(views), "residual_px": prepared.info["residual_px"],
               "texture_coverage": round(prepared.info["texture_coverage"], 4)}
    return PhotoFit(path, fit, summary)
