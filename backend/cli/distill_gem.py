"""``python -m backend distill-gem``: distil a Gaussian Eigen Model (``.gem``) from an avatar.

Samples expressions, takes the teacher's canonical Gaussians, fits a PCA per modality (colour fixed from the
neutral frame), refines means and bases photometrically against the teacher's renders in the 28-camera rig,
and writes ``NAME.gem`` with, next to it, ``NAME.png`` (teacher vs GEM on held-out expressions, then sweeps of
position components 1..3 from -3 sigma to +3 sigma) and ``NAME.json`` (settings and PSNR before/after).
``--avatar mesh`` (or ``mesh:SEED``) uses the head-model mesh teacher instead of an avatar file.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

NAME = "distill-gem"
HELP = "distil a Gaussian Eigen Model (.gem) from an avatar: PCA per modality plus photometric refinement"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--avatar", required=True, help="avatar file, or 'mesh' / 'mesh:SEED' (head-model teacher)")
    parser.add_argument("--out", type=Path, required=True, help="output .gem file (PNG and JSON go beside it)")
    parser.add_argument("--components", type=parse_components, default=30, metavar="K|position=K,rotation=K,...",
                        help="principal components per modality (10/30/50), or per modality, e.g. GEM's "
                             "position=50,rotation=40,scale=40,opacity=50 (missing ones 0)")
    parser.add_argument("--precision", choices=("float32", "float16"), default="float32",
                        help="float16: the compact .gem (format version 2, float16 bases, about half the size)")
    parser.add_argument("--expressions", type=int, default=120, help="training expressions (neutral included)")
    parser.add_argument("--heldout", type=int, default=16, help="held-out expressions for the PSNR report")
    parser.add_argument("--trajectory", action="append", default=[], type=Path,
                        help="dataset identity folder whose frames' expressions join training (repeatable)")
    parser.add_argument("--map-size", type=int, default=None, help="resample the avatar to this UV map size")
    parser.add_argument("--gaussians", type=int, default=4096, help="mesh teacher Gaussian count (no --map-size)")
    parser.add_argument("--refine-steps", type=int, default=200, help="photometric refinement steps (0: none)")
    parser.add_argument("--qr-every", type=int, default=50, help="steps between QR re-orthogonalisations")
    parser.add_argument("--resolution", default="96x64", help="refinement render size WIDTHxHEIGHT")
    parser.add_argument("--eval-frames", type=int, default=8, help="training frames in the PSNR report")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")


def parse_components(text: str) -> int | dict[str, int]:
    """``"30"`` -> 30; ``"position=50,rotation=40"`` -> ``{"position": 50, "rotation": 40}`` (others 0)."""
    from synthetic.gem_format import MODALITIES

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
    import torch

    from backend.gem.decode import TorchGem
    from backend.gem.distill import DistillConfig, distill, project_frames
    from backend.gem.refine import RefineConfig, evaluate_psnr, refine
    from backend.gem.sheet import distill_sheet
    from backend.gem.teacher import load_teacher
    from backend.gem.views import FRONTAL, rig_cameras
    from synthetic.atomic import write_json_atomic
    from synthetic.dataset.files import write_png
    from synthetic.errors import UserInputError
    from synthetic.gem_format import write_gem
    from synthetic.head import HeadModel
    from synthetic.rig import parse_resolution

    torch.set_num_threads(max(1, args.threads))
    if args.out.suffix != ".gem":
        raise UserInputError(f"--out {args.out}: the output must end in .gem")
    counts = args.components.values() if isinstance(args.components, dict) else [args.components]
    if max(counts) < 1 or args.expressions < 2:
        raise UserInputError("--components must be >= 1 and --expressions >= 2")
    width, height = parse_resolution(args.resolution)
    head = HeadModel.load()
    teacher = load_teacher(args.avatar, head, args.map_size, args.gaussians)
    dcfg = DistillConfig(components=args.components, n_train=args.expressions, n_heldout=args.heldout,
                         seed=args.seed, trajectories=[str(t) for t in args.trajectory])  # fmt: skip
    res = distill(teacher, dcfg, head, progress)
    gem = TorchGem.from_model(res.model)
    cams = rig_cameras(width, height)
    eval_cams = rig_cameras(width, height, [*FRONTAL, 16, 24])
    train_frames = sorted(set(torch.linspace(0, len(res.train_expressions) - 1, args.eval_frames).long().tolist()))
    train_k = project_frames(gem, res.train_canonical, res.neutral_quats)

    def report() -> dict:
        out = {"train": evaluate_psnr(gem, train_k, res.train_canonical, eval_cams, train_frames)}
        if res.heldout_canonical is not None:
            held_k = project_frames(gem, res.heldout_canonical, res.neutral_quats)
            out["heldout"] = evaluate_psnr(gem, held_k, res.heldout_canonical, eval_cams)
        return out

    before = report()
    rcfg = RefineConfig(steps=args.refine_steps, qr_every=args.qr_every, width=width, height=height, seed=args.seed)
    pca_state = {k: v.clone() for k, v in gem.state_dict().items()}
    pca_k = {m: k.clone() for m, k in train_k.items()}
    stats = refine(gem, res.train_canonical, train_k, cams, rcfg, progress)
    after = report() if args.refine_steps > 0 else before
    stats["kept"] = args.refine_steps > 0 and after["train"] >= before["train"]
    if args.refine_steps > 0 and not stats["kept"]:  # refinement only adds optimiser noise to a near-exact PCA
        gem.load_state_dict(pca_state)
        train_k.update(pca_k)
        progress.message(f"distill-gem: refinement lowered the training PSNR ({before['train']:.2f} -> "
                         f"{after['train']:.2f} dB); keeping the PCA bases")
        after = before
    progress.message(f"distill-gem: PSNR train {before['train']:.2f} -> {after['train']:.2f} dB, held-out "
                     f"{before.get('heldout', float('nan')):.2f} -> {after.get('heldout', float('nan')):.2f} dB")
    meta = dict(res.model.metadata, source_avatar=str(args.avatar), psnr=after.get("heldout", after["train"]),
                psnr_before_refine=before, psnr_after_refine=after, refine=asdict(rcfg), refine_stats=stats,
                expression_names=list(head.expression_names), explained_variance=res.stats["explained_variance"],
                created_by="python -m backend distill-gem")  # fmt: skip
    model = gem.to_model(meta, source=str(args.out))
    path = write_gem(args.out, model, precision=args.precision)
    sheet_cam = rig_cameras(128, 128, [FRONTAL[1]])
    held_flat = None
    if res.heldout_canonical is not None:
        held_flat = gem.flatten(project_frames(gem, res.heldout_canonical, res.neutral_quats))
    sheet = write_png(path.with_suffix(".png"), distill_sheet(gem, res.heldout_canonical, held_flat, sheet_cam))
    summary = {"gem": str(path), "sheet": str(sheet), "n_gaussians": model.n_gaussians,
               "components": model.component_counts, "size_mb": path.stat().st_size / 1e6,
               "psnr_before": before, "psnr_after": after, "refine": stats, "refinement_kept": stats.get("kept"),
               "explained_variance": res.stats["explained_variance"]}  # fmt: skip
    write_json_atomic(path.with_suffix(".json"), summary)
    print(json.dumps({k: summary[k] for k in ("gem", "n_gaussians", "psnr_before", "psnr_after", "size_mb")}))
    progress.done(gem=str(path), sheet=str(sheet), psnr=meta["psnr"])
    return 0
