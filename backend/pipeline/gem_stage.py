"""Main-job stage: distil the photo avatar into a 30-component GEM (:func:`backend.gem.make.make_gem`) and render
coefficient sweeps of its first three position components (:func:`backend.gem.frames.render_gem`), exporting the
GEM's mean as a PLY."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from synthetic.progress import Progress

from .avatar_stages import sheet
from .stages import Stage

COMPONENTS = 30
PRESET = {"cpu": "quick", "cuda": "gpu"}
"""The :data:`backend.gem.make.PRESETS` of the main job's GEM: 60 photometric refinement steps on a CPU, 300 on CUDA."""
MEAN_FRAME = 6
"""Frame 6 of a sweep (-3..+3 sigma in 13 steps, then back) is the GEM's mean: exported once as a PLY."""


def gem_stage(device: torch.device, avatar_stage: str, avatar_name: str) -> Stage:
    """Distil the avatar ``avatar_stage/avatar_name`` into a GEM and render its coefficient sweeps."""

    def run(folder: Path, progress: Progress) -> dict[str, Any]:
        from backend.gem.frames import render_gem
        from backend.gem.make import GemConfig, make_gem

        avatar = folder.parent / avatar_stage / avatar_name
        preset = PRESET["cuda" if device.type == "cuda" else "cpu"]
        cfg = GemConfig.load(preset, [f"distill.components={COMPONENTS}"])
        made = make_gem(str(avatar), folder / "avatar.gem", cfg)
        report = made.summary
        images = [f"{folder.name}/{made.sheet.name}"]
        for j in (1, 2, 3):
            ply = folder / "neutral.ply" if j == 1 else None
            sweep = render_gem(made.gem, folder / f"sweep_{j}", sweep=j, ply=ply, ply_frame=MEAN_FRAME)
            # the sweep is a -3..+3..-3 sigma loop of 25 frames (for the video): every other frame of the way up
            images.append(sheet(folder, sweep.frames[0:13:2], f"sweep_{j}.png", 7))
        facts = {"file": made.gem.name, "size (MB)": round(made.gem.stat().st_size / 1e6, 2),
                 "PLY of a frame": "neutral.ply", "Gaussians": report["n_gaussians"],
                 "components per modality": report["components"],
                 "explained variance": {k: round(v, 4) for k, v in report["explained_variance"].items()},
                 "refinement": f"{report['refine'].get('steps', 0)} steps, "
                               + ("kept" if report.get("refinement_kept") else "not kept (the PCA was better)")}
        rows = [{"expressions": split, "PCA (dB)": report["psnr_before"].get(split),
                 "after refinement (dB)": report["psnr_after"].get(split)} for split in ("train", "heldout")]
        return {"facts": facts, "tables": {"GEM vs the avatar (PSNR, rig views)": rows}, "images": images}

    return Stage("07_gem", "GEM distilled from the photo avatar: coefficient sweeps (-3 sigma .. +3 sigma)", run)
