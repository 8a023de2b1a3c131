"""The stages of the main job, in order. Later stages (dataset, prior, inversion, GEM, add-on) are
appended here as they land."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from synthetic.progress import Progress

from .stages import Stage


def _environment(folder: Path, progress: Progress) -> dict[str, Any]:
    import platform

    from backend.models_available import optional_models
    from backend.splat import _backend

    facts = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none",
        "rasterizer": _backend.describe(),
    }
    models = [{"model": k, "status": v} for k, v in optional_models().items()]
    (folder / "environment.json").write_text(json.dumps({"facts": facts, "models": models}, indent=2))
    return {"facts": facts, "tables": {"Pretrained models shipped in installed packages": models}}


def build_stages(device: torch.device) -> list[Stage]:
    from .avatar_stages import addon_stage, gem_stage, invert_photo_stage, invert_synthetic_stage
    from .prior_stage import prior_stage
    from .synthetic_stages import synthetic_stages

    return [
        Stage("00_environment", "Environment", _environment),
        *synthetic_stages(device.type),
        prior_stage(device, "03_synthetic_dataset"),
        invert_synthetic_stage(device, "03_synthetic_dataset", "04_prior"),
        invert_photo_stage(device, "04_prior"),
        gem_stage(device, "06_invert_photo", "astronaut.avatar.pt"),
        addon_stage(),
    ]
