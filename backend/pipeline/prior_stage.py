"""Main-job stage: train a ``tiny`` SynShot prior on the main job's rendered dataset, then evaluate it on
the held-out identities (novel people, expressions and views) with ``eval-prior``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import torch

from synthetic.progress import Progress

from .stages import Stage

PRIOR_STEPS = {"cpu": 1000, "cuda": 4000}
"""Training steps of the main job's prior: minutes on the 2-core CPU machine; a CUDA machine affords more."""


def run_backend(argv: list[str]) -> None:
    """Run ``python -m backend ARGV`` in this process; a non-zero exit code raises."""
    from backend.cli import main as backend_main

    rc = backend_main(argv)
    if rc != 0:
        raise RuntimeError(f"python -m backend {' '.join(argv)} failed with exit code {rc}")


def prior_stage(device: torch.device, data_stage: str) -> Stage:
    """The stage; ``data_stage`` names the stage folder whose ``data/`` is the dataset."""

    def run(folder: Path, progress: Progress) -> dict[str, Any]:
        data = folder.parent / data_stage / "data"
        run_dir = folder / "prior"
        steps = PRIOR_STEPS[device.type] if device.type in PRIOR_STEPS else PRIOR_STEPS["cpu"]
        resume = ["--resume"] if (run_dir / "checkpoints" / "last.pt").exists() else []
        run_backend(["train-prior", "--data", str(data), "--config", "tiny", "--out", str(run_dir), "--steps",
                  str(steps), "--device", device.type, "--progress", "none", *resume])  # fmt: skip
        run_backend(["eval-prior", "--prior", str(run_dir), "--data", str(data), "--identities", "held-out",
                  "--device", device.type, "--progress", "none"])  # fmt: skip
        summary = json.loads((run_dir / "summary.json").read_text())
        held = json.loads((run_dir / "eval_held-out.json").read_text())
        previews = sorted((run_dir / "previews").glob("step_*.png"))
        images = []
        if previews:
            shutil.copy(previews[-1], folder / "preview_last.png")
            images.append(f"{folder.name}/preview_last.png")
        shutil.copy(run_dir / "eval_held-out.png", folder / "eval_held_out.png")
        images.append(f"{folder.name}/eval_held_out.png")
        metrics = ("l1", "psnr", "ssim", "lpips")
        rows = [{"when": f"during training, step {e['step']} (held-out views)", **{k: e[k] for k in metrics}}
                for e in (summary.get("first_eval"), summary.get("last_eval")) if e]  # fmt: skip
        rows.append({"when": f"eval-prior: held-out identities {held['identities']}, every frame",
                     **{k: held[k] for k in metrics}})  # fmt: skip
        return {
            "facts": {"run": str(run_dir), "steps": steps, "Gaussians": summary.get("n_gaussians"),
                      "median step (s)": round(summary.get("step_time_median_s", float("nan")), 3)},
            "tables": {"Prior evaluation (rendered vs ground truth)": rows},
            "images": images,
        }  # fmt: skip

    return Stage("04_prior", "SynShot prior (tiny) trained on the synthetic dataset", run, resumable=True)
