"""``python -m synthetic preview``: a contact sheet of random heads from the head model.

A shell over :func:`synthetic.preview.preview_sheet`: writes ``<out>/heads_preview.png`` and prints its path.
"""

from __future__ import annotations

import argparse

from ..cli_support import IN_FILE, OUT_DIR
from ..progress import Progress

NAME = "preview"
HELP = "render a contact sheet PNG of random heads from the head model (front and three-quarter views)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--identities", type=int, default=16, help="number of random heads (default 16)")
    parser.add_argument("--out", type=OUT_DIR, required=True,
                        help="output folder; the sheet is <out>/heads_preview.png")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first identity (the others follow)")
    parser.add_argument("--size", type=int, default=240, help="height of one view in pixels (default 240)")
    parser.add_argument("--columns", type=int, default=None,
                        help="identities per row (default 4, or 2 when the sheet has hair views)")
    parser.add_argument("--expressions", action="store_true", help="add a view with a random expression")
    parser.add_argument("--hair", choices=("auto", "on", "off"), default="auto",
                        help="also draw the views with hair from synthetic.assets (auto: when available)")
    parser.add_argument("--head-model", type=IN_FILE, default=None, metavar="PATH",
                        help="head model .npz (default: packaged/cache)")


def run(args: argparse.Namespace, progress: Progress) -> int:
    from ..preview import preview_sheet

    sheet = preview_sheet(args.out, args.identities, args.seed, args.size, args.columns, args.expressions, args.hair,
                          args.head_model, progress)  # fmt: skip
    if sheet.hair_note and args.hair == "auto":
        progress.message(f"preview: drawn without hair ({sheet.hair_note})")
    progress.message(f"preview: {sheet.path}")
    progress.done(out=str(sheet.path), identities=sheet.identities, fingerprint=sheet.fingerprint)
    return 0
