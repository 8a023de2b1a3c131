"""Contact sheet of avatar orbits: one labelled row per ``python -m backend render --orbit N`` folder.

    .venv/bin/python tools/orbit_sheet.py --out docs/images/shipped_prior_orbits.jpg \\
        --suffix " - shipped prior, sixth version, invert defaults, 30 deg steps" \\
        "held-out synthetic identity 127 (3 views)=/tmp/orb_synthetic127" "astronaut (1 photo)=/tmp/orb_astronaut"

Each row holds the folder's ``frame_*.png`` in order under its label (black text on an 18 px white band).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def row_image(label: str, folder: Path):
    """One labelled strip ``[h + 18, w * n]`` of the orbit frames in ``folder``."""
    from PIL import Image, ImageDraw

    frames = sorted(folder.glob("frame_*.png"))
    if not frames:
        raise FileNotFoundError(f"{folder} holds no frame_*.png (python -m backend render --orbit N --out {folder})")
    ims = [Image.open(f).convert("RGB") for f in frames]
    w, h = ims[0].size
    row = Image.new("RGB", (w * len(ims), h + 18), "white")
    for i, im in enumerate(ims):
        row.paste(im, (i * w, 18))
    ImageDraw.Draw(row).text((4, 3), label, fill="black")
    return row


def main(argv=None) -> int:
    from PIL import Image

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rows", nargs="+", metavar="LABEL=FOLDER", help="a row's label and its orbit folder")
    ap.add_argument("--out", required=True, type=Path, help="sheet file (.jpg or .png)")
    ap.add_argument("--suffix", default="", help="text appended to every label")
    args = ap.parse_args(argv)
    tiles = []
    for item in args.rows:
        label, sep, folder = item.rpartition("=")
        if not sep or not label:
            print(f"orbit_sheet: error: {item!r} is not LABEL=FOLDER", file=sys.stderr)
            return 2
        try:
            tiles.append(row_image(label + args.suffix, Path(folder)))
        except FileNotFoundError as exc:
            print(f"orbit_sheet: error: {exc}", file=sys.stderr)
            return 2
    sheet = Image.new("RGB", (max(t.width for t in tiles), sum(t.height for t in tiles)), "white")
    y = 0
    for t in tiles:
        sheet.paste(t, (0, y))
        y += t.height
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out, quality=88)
    print(f"{args.out}: {sheet.width}x{sheet.height}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
