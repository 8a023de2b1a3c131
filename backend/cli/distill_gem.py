"""``python -m backend distill-gem``: distil a Gaussian Eigen Model (``.gem``) from an avatar.

Samples expressions, takes the teacher's canonical Gaussians, fits a PCA per modality (colour fixed from the
neutral frame), refines means and bases photometrically against the teacher's renders in the 28-camera rig,
and writes ``NAME.gem`` with, next to it, ``NAME.png`` (teacher vs GEM on held-out expressions, then sweeps of
position components 1..3 from -3 sigma to +3 sigma) and ``NAME.json`` (settings and PSNR before/after).
``--avatar mesh`` (or ``mesh:SEED``) uses the head-model mesh teacher instead of an avatar file. A shell over
:func:`backend.gem.make.make_gem`; every setting is a :class:`backend.gem.make.GemConfig` field (the options are
shortcuts, ``--set`` reaches the rest) and the resolved config is saved as ``config`` in ``NAME.json``.
"""

from __future__ import annotations

import argparse
import json

from synthetic.cli_support import IN_DIR, OUT_FILE

NAME = "distill-gem"
HELP = "distil a Gaussian Eigen Model (.gem) from an avatar: PCA per modality plus photometric refinement"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--avatar", required=True, help="avatar file, or 'mesh' / 'mesh:SEED' (head-model teacher)")
    parser.add_argument("--out", type=OUT_FILE, required=True, help="output .gem file (PNG and JSON go beside it)")
    parser.add_argument("--components", type=parse_components, metavar="K|position=K,rotation=K,...",
                        help="principal components per modality (10/30/50; default 30), or per modality, e.g. GEM's "
                             "position=50,rotation=40,scale=40,opacity=50 (missing ones 0)")
    parser.add_argument("--precision", choices=("uint8", "float16", "float32"),
                        help="how the .gem stores its numbers: uint8 (format version 3, 8-bit bases; the default), "
                             "float16 (version 2) or float32 (version 1, exact)")
    parser.add_argument("--expressions", type=int, help="training expressions, neutral included (default 120)")
    parser.add_argument("--heldout", type=int, help="held-out expressions for the PSNR report (default 16)")
    parser.add_argument("--trajectory", action="append", default=[], type=IN_DIR,
                        help="dataset identity folder whose frames' expressions join training (repeatable)")
    parser.add_argument("--map-size", type=int, help="resample the avatar to this UV map size")
    parser.add_argument("--gaussians", type=int, help="mesh teacher Gaussian count, no --map-size (default 4096)")
    parser.add_argument("--refine-steps", type=int, help="photometric refinement steps (0: none; default 200)")
    parser.add_argument("--qr-every", type=int, help="steps between QR re-orthogonalisations (default 50)")
    parser.add_argument("--resolution", help="refinement render size WIDTHxHEIGHT (default 96x64)")
    parser.add_argument("--eval-frames", type=int, help="training frames in the PSNR report (default 8)")
    parser.add_argument("--seed", type=int, help="seeds expression sampling and refinement (default 0)")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default 1)")
    parser.add_argument("--config", default="default", metavar="PRESET|FILE.json",
                        help="GEM settings: a preset (default, quick, gpu) or a JSON file of GemConfig fields")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="any backend.gem.make.GemConfig field, e.g. refine.lr_basis=1e-6 or distill.activity=0.2 "
                             "(applied after the options above)")  # fmt: skip


def config_from_args(args: argparse.Namespace):
    """:class:`~backend.gem.make.GemConfig` from ``--config``, then the options given, then ``--set``."""
    from backend.gem.make import GemConfig
    from synthetic.overrides import apply_overrides
    from synthetic.rig import parse_resolution

    cfg = GemConfig.load(args.config)
    d, r = cfg.distill, cfg.refine
    given = {"components": (d, "components"), "expressions": (d, "n_train"), "heldout": (d, "n_heldout"),
             "map_size": (cfg, "map_size"), "gaussians": (cfg, "gaussians"), "refine_steps": (r, "steps"),
             "qr_every": (r, "qr_every"), "eval_frames": (cfg, "eval_frames"), "threads": (cfg, "threads"),
             "precision": (cfg, "precision")}
    for option, (target, name) in given.items():
        if getattr(args, option) is not None:
            setattr(target, name, getattr(args, option))
    if args.seed is not None:
        d.seed = r.seed = args.seed
    if args.resolution is not None:
        r.width, r.height = parse_resolution(args.resolution)
    d.trajectories = [str(t) for t in args.trajectory]
    return apply_overrides(cfg, args.overrides)


def parse_components(text: str) -> int | dict[str, int]:
    """``"30"`` -> 30; ``"position=50,rotation=40"`` -> ``{"position": 50, "rotation": 40}`` (others 0)."""
    from synthetic.formats.gem import MODALITIES

    text = str(text).strip()
    if text.isdigit():
        return int(text)
    out = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        if not sep or name.strip() not in MODALITIES or not value.strip().isdigit():
            raise argparse.ArgumentTypeError(f"{text!r}: give one count (30) or MODALITY=K pairs with MODALITY in "
                                             f"{', '.join(MODALITIES)} (e.g. position=50,rotation=40)")  # fmt: skip
        out[name.strip()] = int(value)
    return out


def run(args: argparse.Namespace, progress) -> int:
    from backend.gem.make import make_gem

    res = make_gem(args.avatar, args.out, config_from_args(args), progress)
    print(json.dumps({k: res.summary[k] for k in ("gem", "n_gaussians", "psnr_before", "psnr_after", "size_mb")}))
    progress.done(gem=str(res.gem), sheet=str(res.sheet), psnr=res.summary["psnr_after"].get(
        "heldout", res.summary["psnr_after"]["train"]))
    return 0
