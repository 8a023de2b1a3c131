"""The main job's prior stage runs as library calls on the fixture dataset (2 training steps instead of 1000) and
leaves what the inversion stages read: the run folder and its held-out split."""

from __future__ import annotations

import torch

from backend.pipeline import prior_stage as stage_module
from backend.pipeline.stages import run_stages
from backend.prior.run import held_out_identities
from synthetic.progress import Progress


def test_prior_stage_trains_evaluates_and_reports(prior_dataset, tmp_path, monkeypatch):
    monkeypatch.setattr(stage_module, "PRIOR_STEPS", {"cpu": 2})
    (tmp_path / "03_synthetic_dataset").mkdir()
    (tmp_path / "03_synthetic_dataset" / "data").symlink_to(prior_dataset, target_is_directory=True)
    stage = stage_module.prior_stage(torch.device("cpu"), "03_synthetic_dataset")
    [summary] = run_stages([stage], tmp_path, Progress("none"))
    result = summary["result"]
    assert result["facts"]["steps"] == 2 and result["facts"]["Gaussians"] > 1000
    rows = result["tables"]["Prior evaluation (rendered vs ground truth)"]
    assert rows[-1]["when"].startswith("eval-prior: held-out identities [1]") and rows[-1]["psnr"] > 5
    assert (tmp_path / "04_prior" / "eval_held_out.png").is_file()
    assert held_out_identities(tmp_path / "04_prior" / stage_module.PRIOR_FOLDER) == [1]
