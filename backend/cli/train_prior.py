"""``python -m backend train-prior``: train the SynShot prior on a rendered dataset.

A shell over :func:`backend.prior.run.train_prior`. Writes ``RUN/config.json``, ``log.csv``, ``eval.csv``,
``previews/`` and ``checkpoints/last.pt`` (see :mod:`backend.prior.trainer`). Multi-GPU / multi-node: launch the
same command with ``torchrun``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from synthetic.cli_support import IN_DIR, OUT_DIR

NAME = "train-prior"
HELP = "train the generative Gaussian head prior (SynShot) on a synthetic dataset"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=IN_DIR, required=True, help="dataset root (python -m synthetic render output)")
    parser.add_argument("--config", default="tiny",
                        help="preset (tiny, small, paper) or a JSON config file; --resume uses the run's own config")
    parser.add_argument("--out", type=OUT_DIR, required=True, help="run folder")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="override a config value, e.g. --set model.vq=false (repeatable)")
    parser.add_argument("--steps", type=int, default=None, help="override optim.steps (also when resuming)")
    parser.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                        help="stop at the first step past this many seconds of training, with the final eval and "
                             "checkpoint; the learning-rate milestones then count as fractions of the run")
    parser.add_argument("--resume", action="store_true", help="continue from RUN/checkpoints/last.pt")
    parser.add_argument("--init", type=Path, default=None, metavar="PRIOR",
                        help="start from this prior's weights (run folder, checkpoint or exported file, e.g. "
                             "models/reference_prior.pt; same architecture) with a fresh optimizer and step 0")
    parser.add_argument("--overwrite", action="store_true", help="start over in an existing run folder")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads; default 1 while other work keeps the CPU busy (load average >= half "
                             "the cores: measured 20x faster than 2 contended threads), else torch's default")


def run(args: argparse.Namespace, progress) -> int:
    from backend.prior.run import train_prior

    result = train_prior(args.data, args.out, args.config, args.overrides, args.steps, args.resume, args.overwrite,
                         args.device, args.threads, progress, args.time_limit,
                         args.init)  # fmt: skip
    if result.main_process:
        for when in ("first_eval", "last_eval"):
            if result.summary.get(when):
                e = result.summary[when]
                progress.message(f"{when} (step {e['step']}): L1 {e['l1']:.4f} PSNR {e['psnr']:.2f} "
                                 f"SSIM {e['ssim']:.4f} LPIPS {e['lpips']:.4f}")
        progress.done(out=str(result.run_dir), **{k: v for k, v in result.summary.items() if not isinstance(v, dict)})
    return 0
