"""A dataset that is a subset of another, made of symlinks (no image copied): the first N identities, and from one
identity on only some of their frames. For training-data experiments at equal rendering cost (bench/RESULTS.md,
"Data per CPU-hour: six frames or three"), e.g. identities 0-127 whole and 128-255 with frames 0, 2, 4::

    python tools/dataset_view.py DATA VIEW --identities 256 --frames 0,2,4 --frames-from 128

Kept frames are renumbered 0, 1, 2, ... (``frame.json`` says so; ``identity.json`` and ``done.json`` hold the new
count); keep frame 0, the neutral frame the back-projected texture was made from. Exit 2 with one line on bad input.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from synthetic.dataset import layout  # noqa: E402
from synthetic.dataset.reader import Dataset  # noqa: E402
from synthetic.errors import UserInputError  # noqa: E402

REWRITTEN = (layout.IDENTITY_JSON, layout.DONE_JSON)


def make_view(src: Path, out: Path, identities: int, frames: list[int] | None, frames_from: int) -> int:
    """Write the view; returns its identity count."""
    if not (src / layout.DATASET_JSON).is_file():
        raise UserInputError(f"{src}: not a dataset root (no {layout.DATASET_JSON})")
    if out.exists():
        raise UserInputError(f"{out}: already exists (the view is written into a new folder)")
    dataset = Dataset(src)  # the one reader of dataset.json (its checks, its errors)
    if not 0 < identities <= dataset.n_identities:
        raise UserInputError(f"--identities {identities}: the dataset has {dataset.n_identities}")
    if frames is not None and (not frames or frames[0] != 0 or sorted(set(frames)) != frames):
        raise UserInputError(f"--frames {frames}: increasing frame numbers starting at 0 (the neutral frame)")
    out.mkdir(parents=True)
    (out / layout.DATASET_JSON).write_text(json.dumps({**dataset.manifest, "n_identities": identities}, indent=2))
    for index in range(identities):
        name = layout.identity_dir(index)
        if frames is None or index < frames_from:
            os.symlink((src / name).resolve(), out / name)
        else:
            _frame_subset(src / name, out / name, frames)
    return identities


def _frame_subset(src: Path, out: Path, frames: list[int]) -> None:
    """One identity folder keeping ``frames`` (renumbered), everything else linked."""
    out.mkdir()
    for entry in src.iterdir():
        if not entry.name.startswith("frame_") and entry.name not in REWRITTEN:
            os.symlink(entry.resolve(), out / entry.name)
    for new, old in enumerate(frames):
        old_dir = src / layout.frame_dir(old)
        if not old_dir.is_dir():
            raise UserInputError(f"{old_dir}: no such frame (--frames {frames})")
        new_dir = out / layout.frame_dir(new)
        new_dir.mkdir()
        for entry in old_dir.iterdir():
            if entry.name == layout.FRAME_JSON:
                entry_json = json.loads(entry.read_text())
                (new_dir / entry.name).write_text(json.dumps({**entry_json, "frame": new}))
            else:
                os.symlink(entry.resolve(), new_dir / entry.name)
    for name in REWRITTEN:
        data = json.loads((src / name).read_text())
        (out / name).write_text(json.dumps({**data, "n_frames": len(frames)}, indent=2))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("src", type=Path, help="dataset root")
    p.add_argument("out", type=Path, help="new folder for the view")
    p.add_argument("--identities", type=int, required=True, help="keep identities 0 .. N-1")
    p.add_argument("--frames", default=None, help="comma list of frames to keep (default all)")
    p.add_argument("--frames-from", type=int, default=0, help="first identity whose frames are cut (default 0)")
    args = p.parse_args(argv)
    try:
        frames = None if args.frames is None else [int(f) for f in args.frames.split(",")]
        n = make_view(args.src, args.out, args.identities, frames, args.frames_from)
    except (UserInputError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.out}: {n} identities")
    return 0


if __name__ == "__main__":
    sys.exit(main())
