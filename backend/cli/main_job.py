"""``python -m backend main``: the main job on embedded defaults (README command one).

A shell over :func:`backend.pipeline.main_stages.run_main_job`: runs every stage, each cached under ``--out`` so a
second run is quick and an interrupted run resumes, and writes ``report.html`` with images, tables and timings.
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
    from backend.pipeline.main_stages import run_main_job

    job = run_main_job(args.out, args.device, args.force, progress)
    progress.message(f"report: {job.report}")
    progress.done(report=str(job.report), out=str(job.out))
    return 0
