"""``python -m backend main``: the main job on embedded defaults (README command one).

Runs every stage that exists so far, each cached under ``--out`` so a second run is quick and an
interrupted run resumes, and writes ``report.html`` with images, tables and timings.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from synthetic.cli_support import OUT_DIR

NAME = "main"
HELP = "run the main job (all stages on embedded defaults) and write an HTML report"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=OUT_DIR, default=Path("runs/main"), help="output folder (default runs/main)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--force", action="store_true", help="re-run stages that already finished")


def run(args: argparse.Namespace, progress) -> int:
    from backend.devices import resolve_device
    from backend.pipeline.main_stages import build_stages
    from backend.pipeline.report import write_report
    from backend.pipeline.stages import run_stages

    device = resolve_device(args.device)
    out = args.out.resolve()
    summaries = run_stages(build_stages(device), out, progress, force=args.force)
    report = write_report(out / "report.html", "SynthHeads main job", summaries)
    progress.message(f"report: {report}")
    progress.done(report=str(report), out=str(out))
    return 0
