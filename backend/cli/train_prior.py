"""``python -m backend train-prior``: train the SynShot prior on a rendered dataset.

Writes ``RUN/config.json``, ``log.csv``, ``eval.csv``, ``previews/`` and ``checkpoints/last.pt`` (see
:mod:`backend.prior.trainer`). Multi-GPU / multi-node: launch the same command with ``torchrun``.
"""

from __future__ import annotations

import argparse
import shutil
from synthetic.cli_support import IN_DIR, OUT_DIR

NAME = "train-prior"
HELP = "train the generative Gaussian head prior (SynShot) on a synthetic dataset"
RUN_FILES = ("config.json", "log.csv", "eval.csv", "summary.json", "checkpoints", "previews")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=IN_DIR, required=True, help="dataset root (python -m synthetic render output)")
    parser.add_argument("--config", default="tiny",
                        help="preset (tiny, small, paper) or a JSON config file; --resume uses the run's own config")
    parser.add_argument("--out", type=OUT_DIR, required=True, help="run folder")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="override a config value, e.g. --set model.vq=false (repeatable)")
    parser.add_argument("--steps", type=int, default=None, help="override optim.steps (also when resuming)")
    parser.add_argument("--resume", action="store_true", help="continue from RUN/checkpoints/last.pt")
    parser.add_argument("--overwrite", action="store_true", help="start over in an existing run folder")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads; default 1 while other work keeps the CPU busy (load average >= half "
                             "the cores: measured 20x faster than 2 contended threads), else torch's default")


def run(args: argparse.Namespace, progress) -> int:
    import torch

    from backend.devices import set_threads
    from backend.prior.config import load_config
    from backend.prior.trainer import Trainer
    from synthetic.errors import UserInputError

    set_threads(args.threads)
    out = args.out
    if args.resume and args.overwrite:
        raise UserInputError("--resume and --overwrite exclude each other")
    if args.resume and args.overrides:
        raise UserInputError("--set cannot change a resumed run (its checkpoint carries the config); use --steps")
    if (out / "config.json").exists() and not (args.resume or args.overwrite):
        raise UserInputError(f"{out}: already a run folder; pass --resume to continue or --overwrite to start over")
    if args.overwrite and out.is_dir():
        for name in RUN_FILES:
            p = out / name
            shutil.rmtree(p) if p.is_dir() else p.unlink(missing_ok=True)
    cfg = load_config(args.config, args.overrides)
    trainer = Trainer(cfg, args.data, out, args.device, resume=args.resume, progress=progress, steps=args.steps)
    if trainer.dist.main:
        progress.message(f"train-prior: {trainer.model.n_gaussians} Gaussians, {len(trainer.train_set)} training "
                         f"samples, device {trainer.device}, world {trainer.dist.world}, from step {trainer.step}")
    summary = trainer.fit()
    if trainer.dist.main:
        for when in ("first_eval", "last_eval"):
            if summary.get(when):
                e = summary[when]
                progress.message(f"{when} (step {e['step']}): L1 {e['l1']:.4f} PSNR {e['psnr']:.2f} "
                                 f"SSIM {e['ssim']:.4f} LPIPS {e['lpips']:.4f}")
        progress.done(out=str(out), **{k: v for k, v in summary.items() if not isinstance(v, dict)})
    if trainer.dist.world > 1:
        torch.distributed.destroy_process_group()
    return 0
