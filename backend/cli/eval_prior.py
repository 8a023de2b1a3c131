"""``python -m backend eval-prior``: L1, PSNR, SSIM and LPIPS of a trained prior on a dataset split.

Renders every frame of the chosen identities (novel expressions and poses for held-out identities) from the
evaluation cameras, prints the metrics, and writes ``eval_<split>.json`` and a comparison image
``eval_<split>.png`` (rendered rows above ground-truth rows) into the run folder (or ``--out``; for an exported
prior file, ``./<file stem>_eval/`` in the working directory, so ``models/`` stays as shipped). A shell over
:func:`backend.prior.run.evaluate_prior`.
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
    parser.add_argument("--out", type=OUT_DIR, default=None,
                        help="folder for the JSON and PNG (default: the run; ./<stem>_eval/ for an exported file)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: as train-prior)")


def run(args: argparse.Namespace, progress) -> int:
    from backend.prior.run import evaluate_prior

    res = evaluate_prior(args.prior, args.data, args.identities, args.cameras, args.frames, args.out, args.device,
                         args.threads, progress)  # fmt: skip
    m = res.metrics
    print(json.dumps({k: m[k] for k in ("l1", "psnr", "ssim", "lpips", "images", "identities", "step")}))
    progress.message(f"eval-prior: {res.json} and {res.image}")
    progress.done(metrics=str(res.json), image=str(res.image), **{k: m[k] for k in ("l1", "psnr", "ssim", "lpips")})
    return 0
