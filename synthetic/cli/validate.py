"""``python -m synthetic validate ROOT``: the judge of a complete, consistent dataset.

Checks every file, camera and mask (see :mod:`synthetic.dataset.checks`), names each problem
(file: what) on stdout, prints a summary, and exits 0 when the dataset is valid, 2 otherwise.
With ``--progress json`` each problem is an ``info`` event and the outcome a ``done`` or ``error`` event.
"""

from __future__ import annotations

import argparse
import sys

from ..cli_support import IN_DIR, IN_FILE
from ..errors import UserInputError
from ..progress import Progress

NAME = "validate"
HELP = "check every file, camera and mask of a dataset; exit 0 if valid, 2 if problems"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("root", type=IN_DIR, help="dataset root folder (holds dataset.json)")
    parser.add_argument("--head-model", type=IN_FILE, default=None, metavar="PATH",
                        help="head model .npz the dataset was made with (default: the packaged or cached model)")
    parser.add_argument("--no-landmarks", action="store_true",
                        help="skip projecting head-model landmarks into the masks (no head model needed)")
    parser.add_argument("--partial", action="store_true",
                        help="do not report missing or unfinished identities (a dataset still being rendered)")
    parser.add_argument("--max-frames", type=int, default=None, metavar="N",
                        help="check at most N frames per identity (default: all)")


def _load_head_model(path):
    from ..head.model import HeadModel

    try:
        return HeadModel.load(path)
    except (OSError, ValueError, ImportError) as exc:
        raise UserInputError(f"cannot load the head model ({exc}); pass --head-model PATH or --no-landmarks") from None


def run(args: argparse.Namespace, progress: Progress) -> int:
    from ..dataset.checks import validate_dataset

    if args.max_frames is not None and args.max_frames < 1:
        raise UserInputError(f"--max-frames must be >= 1, got {args.max_frames}")
    model = None if args.no_landmarks else _load_head_model(args.head_model)
    problems, n_checked = validate_dataset(args.root, model, partial=args.partial, max_frames=args.max_frames,
                                           progress=progress)
    for p in problems:
        if progress.mode == "json":
            progress.message(f"problem: {p}")
        else:
            print(f"problem: {p}", file=sys.stdout)
    landmarks = "off" if model is None else "on"
    if problems:
        summary = f"{args.root}: {len(problems)} problem(s) in {n_checked} complete identities checked"
        if progress.mode == "json":
            progress.error(summary)
        else:
            print(f"INVALID: {summary} (landmark check {landmarks})", file=sys.stdout)
        return 2
    summary = f"{args.root}: valid, {n_checked} complete identities checked (landmark check {landmarks})"
    if progress.mode == "json":
        progress.done(valid=True, identities=n_checked)
    else:
        print(f"OK: {summary}", file=sys.stdout)
    return 0
