"""Few-shot inversion as one library call that writes the avatar file and its report and returns what it did.

``python -m backend invert`` is a thin shell over :func:`invert_to_file`; the main job calls it directly.

Example::

    run = invert_to_file("runs/prior", "me.avatar.pt", images=["a.jpg", "b.jpg"])
    run.summary["psnr_inputs_after"], run.preview
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from synthetic.errors import UserInputError


@dataclass
class AvatarRun:
    """What :func:`invert_to_file` wrote and measured."""

    avatar: Path
    """The avatar file (:func:`backend.avatar.load_avatar` reads it)."""
    preview: Path
    """``<stem>.preview.png``: one row per input: input | untuned prior | tuned avatar | error x4."""
    log: Path
    """``<stem>.log.json``: the summary and every step's losses."""
    summary: dict[str, Any]
    """Gaussians, input PSNR before/after, per-stage steps and times, unseen fraction, identity loss."""
    config: dict[str, Any]
    """The resolved :class:`~backend.invert.InvertConfig` (also stored in the avatar's provenance)."""
    fit: Path | None = None
    """``<stem>.fit.png`` for photos: the head-model fit on each (faded: cut away; hatched: untrusted); else None."""


def parse_views(text: str) -> list[tuple[int, str]]:
    """``"0:cam_00,5:cam_06"`` -> ``[(0, "cam_00"), (5, "cam_06")]``; ``UserInputError`` when malformed."""
    out = []
    for item in (s.strip() for s in text.split(",")):
        frame, sep, cam = item.partition(":")
        if not sep or not frame.strip().isdigit() or not cam.strip():
            raise UserInputError(f"--views {text!r}: expected frame:camera pairs, e.g. 0:cam_00,5:cam_06")
        out.append((int(frame), cam.strip()))
    return out


def output_paths(out: str | Path) -> tuple[Path, Path]:
    """Preview PNG and JSON log beside the avatar file ``out``."""
    return beside(out, "preview.png"), beside(out, "log.json")


def beside(out: str | Path, suffix: str) -> Path:
    """``<avatar stem>.<suffix>`` next to the avatar file ``out`` (``me.avatar.pt`` -> ``me.<suffix>``)."""
    out = Path(out)
    return out.with_name(f"{out.name.removesuffix('.pt').removesuffix('.avatar')}.{suffix}")


def prepare_inputs(head, images: Sequence[str | Path] | None = None, data: str | Path | None = None,
                   identity: int | None = None, views: str = "0:cam_00", texture_size: int = 256, progress=None,
                   aspect: float = 1.5, photo_mask: str = "head"):
    """PreparedPhotos from ``images`` (cropped 256 pixels high at ``aspect`` = width / height, the prior's render
    aspect, so a photo is framed as the prior's training views were; masked as ``photo_mask`` says, a key of
    :data:`backend.photos.prepare.PHOTO_MASKS`), or from ``views`` of dataset ``identity`` under ``data``; and a
    name."""
    if (images is None) == (data is None):
        raise UserInputError("give either --images or --data (with --identity and --views)")
    if images is not None:
        from backend.photos import prepare_photos
        from backend.photos.prepare import PHOTO_MASKS

        if photo_mask not in PHOTO_MASKS:
            raise UserInputError(f"unknown photo mask {photo_mask!r}; choose one of {', '.join(PHOTO_MASKS)}")
        images = [Path(p) for p in images]
        missing = [str(p) for p in images if not p.is_file()]
        if missing:
            raise UserInputError(f"{missing[0]}: no such image file")
        size = (int(round(256 * aspect)), 256)
        return prepare_photos(images, head, size=size, texture_size=texture_size, progress=progress,
                              **PHOTO_MASKS[photo_mask]), \
            "+".join(p.stem for p in images)
    from backend.photos import prepare_synthetic

    if identity is None:
        raise UserInputError("--data needs --identity")
    data = Path(data)
    return prepare_synthetic(data, identity, parse_views(views), head, texture_size), f"{data.name}/id_{identity:05d}"


def invert_to_file(prior: str | Path | None, out: str | Path, images: Sequence[str | Path] | None = None,
                   data: str | Path | None = None, identity: int | None = None, views: str = "0:cam_00",
                   texture_size: int = 256, overrides: list[str] | None = None, device: str = "auto",
                   threads: int | None = None, progress=None, config: str | None = None,
                   photo_mask: str = "head") -> AvatarRun:
    """Invert a trained prior on photos (``images``) or dataset views (``data``, ``identity``, ``views``) and write
    the avatar file ``out`` with its preview and log beside it (:func:`output_paths`), and for photos their fit
    pictures side by side (``<stem>.fit.png``, :func:`backend.photos.overlay.fit_overlay`).

    Args:
        prior: prior run folder or checkpoint file; None: the shipped prior (:mod:`backend.prior.shipped`).
        views: comma list of ``frame:camera`` input views (with ``data``).
        texture_size: back-projected texture resolution (texels).
        overrides: :class:`~backend.invert.InvertConfig` settings ``key=value``.
        config: an :data:`~backend.invert.config.PRESETS` name or a JSON file, applied before ``overrides``.
        photo_mask: how photos are masked (:data:`backend.photos.prepare.PHOTO_MASKS`: ``head``, ``head-all``,
            ``person``).
    """
    from backend.avatar import save_avatar
    from backend.devices import resolve_device, set_threads
    from backend.invert import InvertConfig, invert
    from backend.invert.report import preview_grid, save_log
    from backend.prior.checkpoint import load_prior
    from backend.prior.shipped import prior_or_shipped
    from synthetic.dataset.files import write_png
    from synthetic.head import HeadModel

    set_threads(threads)
    cfg = InvertConfig.load(config, overrides)
    head = HeadModel.load()
    model, _, ckpt = load_prior(prior_or_shipped(prior), resolve_device(device), head)
    aspect = model.cfg.data.render_width / model.cfg.data.render_height
    prepared, name = prepare_inputs(head, images, data, identity, views, texture_size, progress, aspect, photo_mask)
    result = invert(model, prepared, cfg, head, progress, name)
    provenance = {"prior": ckpt["path"], "prior_step": int(ckpt["step"]), "name": name,
                  "inputs": result.summary["inputs"], "prepared_info": _jsonable(prepared.info),
                  "psnr_inputs_before": result.summary["psnr_inputs_before"],
                  "psnr_inputs_after": result.summary["psnr_inputs_after"],
                  "identity": _jsonable(result.summary["identity"]), "invert_config": cfg.to_dict()}
    path = save_avatar(result.avatar, out, provenance)
    preview_path, log_path = output_paths(out)
    write_png(preview_path, preview_grid(result.targets.images, result.after, result.before,
                                         trust=result.targets.trust))
    fit = write_png(beside(out, "fit.png"), np.concatenate(prepared.overlays, axis=1)) if prepared.overlays else None
    summary = {**result.summary, "prior": ckpt["path"]}
    save_log(log_path, summary, result.log)
    return AvatarRun(path, preview_path, log_path, summary, cfg.to_dict(), fit)


def _jsonable(value):
    """Plain JSON types only (the avatar file is loaded with ``weights_only=True``)."""
    return json.loads(json.dumps(value, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))
