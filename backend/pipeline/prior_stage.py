"""Main-job stage: train a ``tiny`` SynShot prior on the main job's rendered dataset
(:func:`backend.prior.run.train_prior`), then evaluate it on the held-out identities (novel people, expressions and
views) with :func:`backend.prior.run.evaluate_prior`."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import torch

from synthetic.progress import Progress

from .stages import Stage

PRIOR_STEPS = {"cpu": 1000, "cuda": 4000}
"""Training steps of the main job's prior: minutes on the 2-core CPU machine; a CUDA machine affords more."""
PRIOR_FOLDER = "prior"
"""The run folder inside the stage folder (later stages find the prior there)."""


def prior_stage(device: torch.device, data_stage: str) -> Stage:
    """The stage; ``data_stage`` names the stage folder whose ``data/`` is the dataset."""

    def run(folder: Path, progress: Progress) -> dict[str, Any]:
        from backend.prior.run import evaluate_prior, train_prior

        data = folder.parent / data_stage / "data"
        run_dir = folder / PRIOR_FOLDER
        steps = PRIOR_STEPS[device.type] if device.type in PRIOR_STEPS else PRIOR_STEPS["cpu"]
        resume = (run_dir / "checkpoints" / "last.pt").exists()
        # a run stopped before its first checkpoint has nothing to resume: start it over
        restart = not resume and (run_dir / "config.json").exists()
        trained = train_prior(data, run_dir, "tiny", steps=steps, resume=resume, overwrite=restart,
                              device=device.type)
        held = evaluate_prior(run_dir, data, "held-out", device=device.type)
        summary = trained.summary
        previews = sorted((run_dir / "previews").glob("step_*.png"))
        images = []
        if previews:
            shutil.copy(previews[-1], folder / "preview_last.png")
            images.append(f"{folder.name}/preview_last.png")
        shutil.copy(held.image, folder / "eval_held_out.png")
        images.append(f"{folder.name}/eval_held_out.png")
        metrics = ("l1", "psnr", "ssim", "lpips")
        rows = [{"when": f"during training, step {e['step']} (held-out views)", **{k: e[k] for k in metrics}}
                for e in (summary.get("first_eval"), summary.get("last_eval")) if e]  # fmt: skip
        rows.append({"when": f"eval-prior: held-out identities {held.metrics['identities']}, every frame",
                     **{k: held.metrics[k] for k in metrics}})  # fmt: skip
        return {
            "facts": {"run": str(run_dir), "steps": steps, "Gaussians": summary.get("n_gaussians"),
                      "median step (s)": round(summary.get("step_time_median_s") or float("nan"), 3)},
            "tables": {"Prior evaluation (rendered vs ground truth)": rows},
            "images": images,
        }  # fmt: skip

    return Stage("04_prior", "SynShot prior (tiny) trained on the synthetic dataset", run, resumable=True)
