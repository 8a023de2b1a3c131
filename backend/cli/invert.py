"""``python -m backend invert``: few-shot inversion of a trained prior into an avatar file.

Inputs are photos (``--images A.jpg B.jpg``: detection, segmentation, head-model fit, texture back-projection
by :func:`backend.photos.prepare_photos`) or views of a synthetic dataset identity (``--data ROOT --identity I
--views 0:cam_00,5:cam_06``; texture back-projected from those views only). Writes ``--out AVATAR`` (a torch
file :func:`backend.avatar.load_avatar` reads), ``<AVATAR stem>.preview.png`` (one row per input: input |
untuned prior | tuned avatar | error x4) and ``<AVATAR stem>.log.json`` (summary and per-step losses).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from synthetic.cli_support import IN_DIR, IN_FILE, OUT_FILE
from synthetic.errors import UserInputError

NAME = "invert"
HELP = "few-shot inversion (two-stage pivotal tuning) of a trained prior on photos or dataset views -> avatar"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--prior", type=Path, required=True, help="prior run folder or checkpoint file")
    parser.add_argument("--images", type=IN_FILE, nargs="+", default=None, help="photos of one person")
    parser.add_argument("--data", type=IN_DIR, default=None, help="dataset root (synthetic input instead of photos)")
    parser.add_argument("--identity", type=int, default=None, help="dataset identity index (with --data)")
    parser.add_argument("--views", default="0:cam_00", help="comma list of frame:camera input views (with --data)")
    parser.add_argument("--out", type=OUT_FILE, required=True, help="avatar file to write (e.g. me.avatar.pt)")
    parser.add_argument("--texture-size", type=int, default=256, help="back-projected texture resolution (texels)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="inversion setting (backend.invert.InvertConfig field), e.g. stage2_min_steps=50")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: as train-prior)")


def parse_views(text: str) -> list[tuple[int, str]]:
    """``"0:cam_00,5:cam_06"`` -> ``[(0, "cam_00"), (5, "cam_06")]``; ``UserInputError`` when malformed."""
    out = []
    for item in (s.strip() for s in text.split(",")):
        frame, sep, cam = item.partition(":")
        if not sep or not frame.strip().isdigit() or not cam.strip():
            raise UserInputError(f"--views {text!r}: expected frame:camera pairs, e.g. 0:cam_00,5:cam_06")
        out.append((int(frame), cam.strip()))
    return out


def load_inputs(args: argparse.Namespace, head, progress):
    """PreparedPhotos from ``--images`` or ``--data/--identity/--views``, and a name for the avatar."""
    if (args.images is None) == (args.data is None):
        raise UserInputError("give either --images or --data (with --identity and --views)")
    if args.images is not None:
        from backend.photos import prepare_photos

        missing = [str(p) for p in args.images if not p.is_file()]
        if missing:
            raise UserInputError(f"{missing[0]}: no such image file")
        return prepare_photos(args.images, head, texture_size=args.texture_size, progress=progress), \
            "+".join(p.stem for p in args.images)
    from backend.photos import prepare_synthetic

    if args.identity is None:
        raise UserInputError("--data needs --identity")
    return prepare_synthetic(args.data, args.identity, parse_views(args.views), head, args.texture_size), \
        f"{args.data.name}/id_{args.identity:05d}"


def output_paths(out: Path) -> tuple[Path, Path]:
    """Preview PNG and JSON log beside the avatar file."""
    stem = out.name.removesuffix(".pt").removesuffix(".avatar")
    return out.with_name(f"{stem}.preview.png"), out.with_name(f"{stem}.log.json")


def run(args: argparse.Namespace, progress) -> int:
    from backend.devices import resolve_device, set_threads
    from backend.invert import InvertConfig, invert
    from backend.invert.report import preview_grid, save_log
    from backend.prior.checkpoint import load_prior
    from synthetic.dataset.files import write_png
    from synthetic.head import HeadModel


    set_threads(args.threads)
    cfg = InvertConfig.from_overrides(args.overrides)
    device = resolve_device(args.device)
    head = HeadModel.load()
    prior, _, ckpt = load_prior(args.prior, device, head)
    prepared, name = load_inputs(args, head, progress)
    result = invert(prior, prepared, cfg, head, progress, name)
    provenance = {"prior": ckpt["path"], "prior_step": int(ckpt["step"]), "name": name,
                  "inputs": result.summary["inputs"], "prepared_info": _jsonable(prepared.info),
                  "psnr_inputs_before": result.summary["psnr_inputs_before"],
                  "psnr_inputs_after": result.summary["psnr_inputs_after"], "invert_config": cfg.to_dict()}
    path = result.avatar.save(args.out, provenance)
    preview_path, log_path = output_paths(args.out)
    write_png(preview_path, preview_grid(result.targets.images, result.after, result.before))
    save_log(log_path, {**result.summary, "prior": ckpt["path"]}, result.log)
    s = result.summary
    progress.message(f"invert: {path} ({s['n_gaussians']} Gaussians); input PSNR {s['psnr_inputs_before']:.2f} -> "
                     f"{s['psnr_inputs_after']:.2f} dB; {preview_path}, {log_path}")
    progress.done(avatar=str(path), preview=str(preview_path), log=str(log_path),
                  psnr_before=s["psnr_inputs_before"], psnr_after=s["psnr_inputs_after"])
    return 0


def _jsonable(value):
    """Plain JSON types only (the avatar file is loaded with ``weights_only=True``)."""
    import json

    return json.loads(json.dumps(value, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))
