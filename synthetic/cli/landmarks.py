"""``python -m synthetic landmarks ROOT``: re-project a dataset's per-view landmarks with the current table.

After the head model's landmark table is recalibrated (same geometry), a dataset's ``landmarks.json`` files are
stale; this rewrites them from the recorded shapes, expressions, poses and cameras (no rendering) and records the
table's fingerprint, so that ``validate`` checks them again and ``render --resume`` may add identities.
"""

from __future__ import annotations

import argparse

from ..cli_support import IN_DIR

NAME = "landmarks"
HELP = "re-project every frame's landmarks.json with the head model's current landmark table (no rendering)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("root", type=IN_DIR, help="dataset root folder (holds dataset.json)")


def run(args: argparse.Namespace, progress) -> int:
    from ..dataset.relandmark import reproject_landmarks
    from ..head.model import HeadModel

    n_ids, n_frames = reproject_landmarks(args.root, HeadModel.load(), progress)
    progress.done(identities=n_ids, frames=n_frames, out=str(args.root))
    if progress.mode != "json":
        print(f"{args.root}: landmarks of {n_frames} frames of {n_ids} identities re-projected")
    return 0
