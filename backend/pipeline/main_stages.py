"""The stages of the main job, in order: environment, synthetic preview and dataset, prior, inversions (synthetic
and photo), GEM, sampled people, add-on. Each stage calls library functions and reads what they return (no command
lines, no side files by name); :func:`build_stages` is the whole job at a glance."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from synthetic.progress import Progress

from .stages import Stage


def _environment(folder: Path, progress: Progress) -> dict[str, Any]:
    import platform

    from backend.models_available import optional_models
    from backend.splat.rasterize import describe_rasterizer

    facts = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none",
        "rasterizer": describe_rasterizer(),
    }
    models = [{"model": k, "status": v} for k, v in optional_models().items()]
    (folder / "environment.json").write_text(json.dumps({"facts": facts, "models": models}, indent=2))
    return {"facts": facts, "tables": {"Pretrained models shipped in installed packages": models}}


def build_stages(device: torch.device) -> list[Stage]:
    """Every stage of the main job, in order, for ``device``."""
    from .addon_stage import addon_stage
    from .avatar_stages import invert_photo_stage, invert_synthetic_stage
    from .gem_stage import gem_stage
    from .prior_stage import prior_stage
    from .sample_stage import sample_stage
    from .synthetic_stages import synthetic_stages

    return [
        Stage("00_environment", "Environment", _environment),
        *synthetic_stages(device.type),
        prior_stage(device, "03_synthetic_dataset"),
        invert_synthetic_stage(device, "03_synthetic_dataset", "04_prior"),
        invert_photo_stage(device, "04_prior"),
        gem_stage(device, "06_invert_photo", "astronaut.avatar.pt"),
        sample_stage(device),
        addon_stage(),
    ]


@dataclass
class MainJob:
    """What :func:`run_main_job` did."""

    out: Path
    """The job's folder: one sub-folder per stage."""
    report: Path
    """``report.html``."""
    stages: list[dict[str, Any]]
    """Per stage: name, title, seconds, cached, and the stage's result (facts, tables, images)."""


def run_main_job(out: str | Path, device: str = "auto", force: bool = False,
                 progress: Progress | None = None) -> MainJob:
    """Run every stage of :func:`build_stages` not already finished under ``out`` (all with ``force``) and write
    ``out/report.html``."""
    from backend.devices import resolve_device

    from .report import write_report
    from .stages import run_stages

    out = Path(out).resolve()
    summaries = run_stages(build_stages(resolve_device(device)), out, progress or Progress("none"), force=force)
    return MainJob(out, write_report(out / "report.html", "SynthHeads main job", summaries), summaries)
