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
    # an earlier attempt stopped before its first checkpoint: the stage starts it over instead of refusing
    (tmp_path / "04_prior" / stage_module.PRIOR_FOLDER).mkdir(parents=True)
    (tmp_path / "04_prior" / stage_module.PRIOR_FOLDER / "config.json").write_text("{}")
    [summary] = run_stages([stage], tmp_path, Progress("none"))
    result = summary["result"]
    assert result["facts"]["steps"] == 2 and result["facts"]["Gaussians"] > 1000
    rows = result["tables"]["Prior evaluation (rendered vs ground truth)"]
    assert rows[-1]["when"].startswith("eval-prior: held-out identities [1]") and rows[-1]["psnr"] > 5
    assert (tmp_path / "04_prior" / "eval_held_out.png").is_file()
    assert held_out_identities(tmp_path / "04_prior" / stage_module.PRIOR_FOLDER) == [1]


def test_invert_to_file_returns_what_the_avatar_stages_report(prior_dataset, tmp_path):
    from _prior_fixture import reduced_overrides

    from backend.invert.run import invert_to_file
    from backend.pipeline.avatar_stages import inversion_facts
    from backend.prior.run import train_prior

    prior = train_prior(prior_dataset, tmp_path / "prior", "tiny", reduced_overrides(1), device="cpu").run_dir
    quick = ["stage1_min_steps=2", "stage2_min_steps=2", "stage1_steps_per_input=0", "stage2_steps_per_input=0"]
    run = invert_to_file(prior, tmp_path / "x.avatar.pt", data=prior_dataset, identity=held_out_identities(prior)[0],
                         views="0:cam_00,0:cam_05", overrides=quick, device="cpu")  # fmt: skip
    assert run.avatar.is_file() and run.preview.name == "x.preview.png" and run.log.name == "x.log.json"
    assert run.fit is None and not (tmp_path / "x.fit.png").exists()  # dataset views: no photo fit to draw
    assert run.config["stage2_min_steps"] == 2 and len(run.summary["inputs"]) == 2
    facts = inversion_facts(run.summary)
    assert facts["stage1"].startswith("2/2 steps") and facts["Gaussians"] > 100
