"""``python -m backend eval-prior``: L1, PSNR, SSIM and LPIPS of a trained prior on a dataset split.

Renders every frame of the chosen identities (novel expressions and poses for held-out identities) from the
evaluation cameras, prints the metrics, and writes ``eval_<split>.json`` and a comparison image
``eval_<split>.png`` (rendered rows above ground-truth rows) into the run folder (or ``--out``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from synthetic.cli_support import IN_DIR, OUT_DIR

NAME = "eval-prior"
HELP = "evaluate a trained prior (L1, PSNR, SSIM, LPIPS) on held-out or training identities"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--prior", type=Path, required=True, help="run folder or checkpoint file")
    parser.add_argument("--data", type=IN_DIR, required=True, help="dataset root")
    parser.add_argument("--identities", default="held-out", choices=("held-out", "train", "all"),
                        help="which split of the dataset's identities (the run's deterministic split)")
    parser.add_argument("--cameras", default="config",
                        help="'config' (the run's eval cameras), 'all', or a comma list of camera names")
    parser.add_argument("--frames", type=int, default=None, help="evenly spaced frames per identity (default all)")
    parser.add_argument("--out", type=OUT_DIR, default=None, help="folder for the JSON and PNG (default: the run)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: as train-prior)")


def run(args: argparse.Namespace, progress) -> int:
    from backend.devices import resolve_device, set_threads
    from backend.prior.checkpoint import load_prior
    from backend.prior.data import PriorDataset
    from backend.prior.evaluate import comparison_image, evaluate
    from synthetic.atomic import write_json_atomic
    from synthetic.dataset.files import write_png
    from synthetic.head import HeadModel


    set_threads(args.threads)
    device = resolve_device(args.device)
    head = HeadModel.load()
    model, cfg, ckpt = load_prior(args.prior, device, head)
    split = ckpt.get("split") or {}
    known = {"train": split.get("train"), "held-out": split.get("held-out")}
    if split and args.identities == "all":
        known["all"] = sorted(split["train"] + split["held-out"])
    ids = known.get(args.identities)  # the run's own split when it recorded one
    dataset = PriorDataset(args.data, cfg.data, args.identities, head, cfg.train.seed, False, ids or None)
    cameras = {"config": cfg.data.eval_cameras, "all": None}.get(args.cameras)
    if args.cameras not in ("config", "all"):
        cameras = [c.strip() for c in args.cameras.split(",") if c.strip()]
    res = evaluate(model, dataset, device, cameras, args.frames, keep=3, progress=progress)
    renders = res.pop("renders")
    out = args.out or (args.prior if args.prior.is_dir() else args.prior.parent)
    res.update(split=args.identities, step=int(ckpt["step"]), checkpoint=ckpt["path"], data=str(args.data))
    path = write_json_atomic(Path(out) / f"eval_{args.identities}.json", res)
    image = write_png(Path(out) / f"eval_{args.identities}.png", comparison_image(renders))
    print(json.dumps({k: res[k] for k in ("l1", "psnr", "ssim", "lpips", "images", "identities", "step")}))
    progress.message(f"eval-prior: {path} and {image}")
    progress.done(metrics=str(path), image=str(image), **{k: res[k] for k in ("l1", "psnr", "ssim", "lpips")})
    return 0
