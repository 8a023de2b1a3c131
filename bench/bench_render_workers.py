"""Benchmark of ``python -m synthetic render --workers N``: the same identities rendered by one Blender worker
using every core and by N workers side by side (the cores split among them), in one run.

    python bench/bench_render_workers.py                       # prior preset, 8 identities, workers 1 and 2
    python bench/bench_render_workers.py --identities 2 --preset none --resolution 192x128 --frames 2

Each configuration renders the same identities (seed 0) into its own folder under ``bench/out/render_workers``
from nothing, timed end to end (worker start, identity builds, rendering, texture back-projection). The images of
every configuration are compared with the first one's (mean absolute difference in 8-bit levels over every image
and channel), so a faster setting that changed the data would show. Prints a markdown table and writes
``bench/out/render_workers.json``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from bench_common import OUT_DIR, ROOT, write_results


def render(out: Path, workers: int, args: argparse.Namespace) -> float:
    """Render the benchmark's identities into ``out`` with ``workers`` workers; returns wall seconds."""
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "synthetic", "render", "--identities", str(args.identities), "--out", str(out),
           "--workers", str(workers), "--seed", "0", "--device", "cpu", "--progress", "none"]
    if args.preset != "none":
        cmd += ["--preset", args.preset]
    for flag in ("frames", "resolution", "samples", "cameras"):
        if getattr(args, flag) is not None:
            cmd += [f"--{flag}", str(getattr(args, flag))]
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return time.perf_counter() - t0


def image_difference(a: Path, b: Path) -> tuple[float, int]:
    """Mean absolute difference (8-bit levels) over every PNG under ``a`` and its twin under ``b``; image count."""
    from synthetic.dataset.files import read_png

    diffs = []
    for p in sorted(a.glob("id_*/frame_*/*.png")):
        q = b / p.relative_to(a)
        diffs.append(float(np.abs(read_png(p).astype(np.float64) - read_png(q).astype(np.float64)).mean()))
    return (float(np.mean(diffs)) if diffs else float("nan")), len(diffs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--identities", type=int, default=8)
    ap.add_argument("--preset", default="prior", help="render preset, or 'none' for the render defaults")
    ap.add_argument("--workers", default="1,2", help="comma list of worker counts (the first is the baseline)")
    ap.add_argument("--frames", type=int, default=None)
    ap.add_argument("--resolution", default=None)
    ap.add_argument("--samples", type=int, default=None)
    ap.add_argument("--cameras", default=None)
    args = ap.parse_args()
    counts = [int(w) for w in args.workers.split(",")]
    base = OUT_DIR / "render_workers"
    rows, first = [], None
    for w in counts:
        out = base / f"workers_{w}"
        seconds = render(out, w, args)
        images = len(list(out.glob("id_*/frame_*/*.png")))
        diff, n = image_difference(first, out) if first is not None else (0.0, images)
        first = first or out
        rows.append({"workers": w, "identities": args.identities, "images": images, "seconds": round(seconds, 1),
                     "s_per_identity": round(seconds / args.identities, 2),
                     "images_per_s": round(images / seconds, 3),
                     "speedup": round(rows[0]["seconds"] / seconds, 3) if rows else 1.0,
                     "mean_abs_diff_8bit": round(diff, 3), "compared_images": n})
    notes = (f"preset {args.preset}, seed 0, identities 0-{args.identities - 1}; every configuration from nothing; "
             f"the image difference is against workers={counts[0]}")
    write_results("render_workers", rows, list(rows[0].keys()), notes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
