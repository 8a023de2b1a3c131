"""Held-out curves of several prior runs side by side: PSNR (dB) and LPIPS against training step, read from each
run folder's ``eval.csv`` (written by ``train-prior`` at every ``train.eval_every``)::

    python tools/plot_prior_runs.py "6 frames=RUN_A" "3 frames=RUN_B" --out curves.png

Runs compared this way should share their held-out identities and cameras (the same ``eval.csv`` images). Exit 2
with one line when a run has no ``eval.csv``.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from synthetic.errors import UserInputError  # noqa: E402

METRICS = (("psnr", "held-out PSNR (dB), higher is better"), ("lpips", "held-out LPIPS (Alex), lower is better"))


def read_curve(run: Path) -> dict[str, list[float]]:
    """``step``, ``psnr``, ``lpips`` columns of ``run/eval.csv`` as float lists."""
    path = run / "eval.csv"
    if not path.is_file():
        raise UserInputError(f"{run}: no eval.csv (not a train-prior run folder, or it never evaluated)")
    with path.open() as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise UserInputError(f"{path}: no rows")
    return {k: [float(r[k]) for r in rows] for k in ("step", "psnr", "lpips")}


def plot(curves: dict[str, dict[str, list[float]]], out: Path, title: str) -> None:
    """Two panels (PSNR, LPIPS), one line with markers per run."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), dpi=110)
    for ax, (key, label) in zip(axes, METRICS, strict=True):
        for name, c in curves.items():
            ax.plot(c["step"], c[key], marker="o", label=f"{name}: {c[key][-1]:.4g}")
        ax.set_xlabel("training step")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("runs", nargs="+", help="LABEL=RUN_FOLDER")
    p.add_argument("--out", type=Path, required=True, help="PNG to write")
    p.add_argument("--title", default="prior runs on the same held-out images")
    args = p.parse_args(argv)
    try:
        curves = {}
        for item in args.runs:
            label, sep, run = item.partition("=")
            if not sep:
                raise UserInputError(f"{item}: expected LABEL=RUN_FOLDER")
            curves[label] = read_curve(Path(run))
        plot(curves, args.out, args.title)
    except UserInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
