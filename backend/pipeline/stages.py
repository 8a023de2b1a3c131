"""A tiny stage runner: each stage writes into its own folder and marks completion with a
``stage.json`` (written last, atomically), so a second run skips finished stages and an
interrupted run resumes at the first unfinished one.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthetic.atomic import write_json_atomic
from synthetic.progress import Progress

STAGE_VERSION = 1


@dataclass
class Stage:
    name: str
    """Folder name under the job's output root."""
    title: str
    """Heading in the report."""
    run: Callable[[Path, Progress], dict[str, Any]]
    """Does the work into the given folder; returns a JSON-serialisable summary for the report."""
    resumable: bool = False
    """Its work resumes by itself (``--resume`` of render / train-prior): an interrupted attempt's folder is
    kept for it instead of being cleared."""


def run_stages(stages: list[Stage], root: Path, progress: Progress, force: bool = False) -> list[dict[str, Any]]:
    """Run every stage not already finished under ``root``; returns the summaries in order."""
    results = []
    for i, stage in enumerate(stages):
        folder = root / stage.name
        marker = folder / "stage.json"
        if marker.exists() and not force:
            summary = json.loads(marker.read_text())
            summary["cached"] = True
            progress.message(f"[{i + 1}/{len(stages)}] {stage.title}: cached ({summary['seconds']:.1f} s when run)")
        else:
            if folder.exists() and not stage.resumable:  # an interrupted earlier attempt: start afresh
                shutil.rmtree(folder)
            folder.mkdir(parents=True, exist_ok=True)
            progress.message(f"[{i + 1}/{len(stages)}] {stage.title} ...")
            t0 = time.perf_counter()
            body = stage.run(folder, progress)
            summary = {"version": STAGE_VERSION, "name": stage.name, "title": stage.title,
                       "seconds": time.perf_counter() - t0, "result": body}  # fmt: skip
            write_json_atomic(marker, summary)
            summary["cached"] = False
            progress.message(f"[{i + 1}/{len(stages)}] {stage.title}: done in {summary['seconds']:.1f} s")
        progress.update("main job", i + 1, len(stages))
        results.append(summary)
    return results
