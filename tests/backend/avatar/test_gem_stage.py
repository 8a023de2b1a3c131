"""The main job's GEM stage runs as library calls (make_gem, render_gem) on a tiny avatar, with a reduced preset,
and reports the files it made."""

from __future__ import annotations

import torch

from backend.avatar import save_avatar
from backend.gem import make
from backend.pipeline.gem_stage import gem_stage
from backend.pipeline.stages import run_stages
from synthetic.progress import Progress


def test_gem_stage_distils_sweeps_and_exports_the_mean(avatar, tmp_path, monkeypatch):
    monkeypatch.setitem(make.PRESETS, "quick", {"refine": {"steps": 2, "width": 48, "height": 32},
                                                 "distill": {"n_train": 12, "n_heldout": 2}, "eval_frames": 2})
    save_avatar(avatar, tmp_path / "06_invert_photo" / "astronaut.avatar.pt")
    [summary] = run_stages([gem_stage(torch.device("cpu"), "06_invert_photo", "astronaut.avatar.pt")], tmp_path,
                           Progress("none"))  # fmt: skip
    result, folder = summary["result"], tmp_path / "07_gem"
    assert result["facts"]["components per modality"]["position"] == 11  # 30 asked, capped at 12 frames - 1
    assert result["facts"]["refinement"].startswith("2 steps")
    assert result["images"] == ["07_gem/avatar.png", "07_gem/sweep_1.png", "07_gem/sweep_2.png", "07_gem/sweep_3.png"]
    assert all((tmp_path / image).is_file() for image in result["images"])
    assert (folder / "neutral.ply").is_file() and (folder / "avatar.gem").is_file()
    assert len(list((folder / "sweep_1").glob("frame_*.png"))) == 25
