"""``python -m backend invert``: few-shot inversion of a trained prior into an avatar file.

Inputs are photos (``--images A.jpg B.jpg``: detection, segmentation, head-model fit, texture back-projection
by :func:`backend.photos.prepare_photos`) or views of a synthetic dataset identity (``--data ROOT --identity I
--views 0:cam_00,5:cam_06``; texture back-projected from those views only). Writes ``--out AVATAR`` (a torch
file :func:`backend.avatar.load_avatar` reads), ``<AVATAR stem>.preview.png`` (one row per input: input |
untuned prior | tuned avatar | error x4), ``<AVATAR stem>.log.json`` (summary and per-step losses) and, for
photos, ``<AVATAR stem>.fit.png`` (the head-model fit on each photo; faded: cut away, hatched: ignored). A shell over
:func:`backend.invert.run.invert_to_file`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from synthetic.cli_support import IN_DIR, IN_FILE, OUT_FILE

PHOTO_MASK_NAMES = ("head", "head-all", "person")
"""The keys of :data:`backend.photos.prepare.PHOTO_MASKS` (not imported here: it loads scipy for every command)."""
NAME = "invert"
HELP = "few-shot inversion (two-stage pivotal tuning) of a trained prior on photos or dataset views -> avatar"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--prior", type=Path, default=None,
                        help="prior run folder or checkpoint file (default: the shipped models/reference_prior.pt)")
    parser.add_argument("--images", type=IN_FILE, nargs="+", default=None, help="photos of one person")
    parser.add_argument("--data", type=IN_DIR, default=None, help="dataset root (synthetic input instead of photos)")
    parser.add_argument("--identity", type=int, default=None, help="dataset identity index (with --data)")
    parser.add_argument("--views", default="0:cam_00", help="comma list of frame:camera input views (with --data)")
    parser.add_argument("--out", type=OUT_FILE, required=True, help="avatar file to write (e.g. me.avatar.pt)")
    parser.add_argument("--photo-mask", choices=PHOTO_MASK_NAMES, default="head",
                        help="head: the head and neck, clothing over the neck ignored (default); head-all: the same "
                             "cut, every pixel fitted; person: the whole person mask")
    parser.add_argument("--texture-size", type=int, default=256, help="back-projected texture resolution (texels)")
    parser.add_argument("--config", default="default", metavar="PRESET|FILE.json",
                        help="inversion settings: a preset (default, eval) or a JSON file of InvertConfig fields")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="inversion setting (backend.invert.InvertConfig field), e.g. stage2_min_steps=50")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: as train-prior)")


def run(args: argparse.Namespace, progress) -> int:
    from backend.invert.run import invert_to_file

    res = invert_to_file(args.prior, args.out, args.images, args.data, args.identity, args.views, args.texture_size,
                         args.overrides, args.device, args.threads, progress, args.config,
                         args.photo_mask)  # fmt: skip
    s = res.summary
    after = (s.get("identity") or {}).get("csim_after") or {}
    csim = f"; CSIM {after['csim']:.3f} (dlib distance {after['distance']:.3f})" if after.get("csim") is not None else ""
    progress.message(f"invert: {res.avatar} ({s['n_gaussians']} Gaussians); input PSNR {s['psnr_inputs_before']:.2f} "
                     f"-> {s['psnr_inputs_after']:.2f} dB{csim}; {res.preview}, {res.log}"
                     + (f", {res.fit}" if res.fit else ""))
    progress.done(avatar=str(res.avatar), preview=str(res.preview), log=str(res.log),
                  psnr_before=s["psnr_inputs_before"], psnr_after=s["psnr_inputs_after"])
    return 0
