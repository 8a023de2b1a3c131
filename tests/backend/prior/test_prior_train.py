"""Training end to end on the fixture dataset: every preset, the ablation flags, exact resume, checkpoint
errors, eval-prior, and DDP with two CPU processes on gloo."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from _prior_fixture import reduced_overrides

from backend.cli import main as backend_main
from backend.prior.checkpoint import load_checkpoint
from backend.prior.config import PRESETS, load_config
from backend.prior.trainer import Trainer

ROOT = Path(__file__).resolve().parents[3]


def train(data, out, preset="tiny", extra=(), steps=2, resume=False):
    args = ["train-prior", "--progress", "none", "--data", str(data), "--config", preset, "--out", str(out),
            "--steps", str(steps), "--threads", "1"]
    if resume:
        args.append("--resume")
    else:
        for o in reduced_overrides(steps) + list(extra):
            args += ["--set", o]
    return backend_main(args)


@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_trains_two_steps(prior_dataset, tmp_path, preset):
    cfg = load_config(preset)  # the preset itself loads and validates at full size
    assert cfg.name == preset
    out = tmp_path / preset
    assert train(prior_dataset, out, preset) == 0
    saved = json.loads((out / "config.json").read_text())
    assert saved["name"] == preset and saved["optim"]["steps"] == 2
    rows = list(csv.DictReader((out / "log.csv").open()))
    assert [int(r["step"]) for r in rows] == [1, 2]
    assert all(float(r["loss"]) > 0 for r in rows) and "step_time" in rows[0] and "usage_id" in rows[0]
    evals = list(csv.DictReader((out / "eval.csv").open()))
    assert [int(r["step"]) for r in evals] == [0, 2]
    assert (out / "previews" / "step_000002.png").is_file()
    ckpt = load_checkpoint(out)
    assert ckpt["step"] == 2 and ckpt["config"]["name"] == preset


@pytest.mark.parametrize("flags", [["model.vq=false"], ["model.single_layer=true"], ["model.sampling=false"],
                                   ["model.feat_channels=4", "model.transformer_layers=0"]])
def test_ablation_flags_train(prior_dataset, tmp_path, flags):
    assert train(prior_dataset, tmp_path / "run", extra=flags) == 0
    cfg = load_checkpoint(tmp_path / "run")["config"]
    for f in flags:
        key, value = f.split("=")
        section, name = key.split(".")
        assert cfg[section][name] == json.loads(value)


def test_resume_is_exact(prior_dataset, tmp_path):
    assert train(prior_dataset, tmp_path / "full", steps=4) == 0
    assert train(prior_dataset, tmp_path / "split", steps=2) == 0
    assert train(prior_dataset, tmp_path / "split", steps=4, resume=True) == 0
    a = load_checkpoint(tmp_path / "full")
    b = load_checkpoint(tmp_path / "split")
    assert a["step"] == b["step"] == 4
    for k, v in a["model"].items():
        assert torch.equal(v, b["model"][k]), k
    rows = [int(r["step"]) for r in csv.DictReader((tmp_path / "split" / "log.csv").open())]
    assert rows == [1, 2, 3, 4]


def test_refuses_bad_checkpoints_and_runs(prior_dataset, tmp_path, capsys):
    run = tmp_path / "run"
    assert train(prior_dataset, run) == 0
    assert train(prior_dataset, run) == 2  # an existing run needs --resume or --overwrite
    ckpt = run / "checkpoints" / "last.pt"
    ckpt.write_bytes(ckpt.read_bytes()[:1000])  # truncated
    assert train(prior_dataset, run, resume=True) == 2
    assert "last.pt" in capsys.readouterr().err
    args = ["eval-prior", "--progress", "none", "--prior", str(run), "--data", str(prior_dataset)]
    assert backend_main(args) == 2
    assert backend_main(args[:4] + [str(tmp_path / "missing")] + args[5:]) == 2
    assert train(prior_dataset, tmp_path / "bad", extra=["model.no_such_flag=1"]) == 2


def test_eval_prior_writes_metrics(prior_dataset, tmp_path, capsys):
    run = tmp_path / "run"
    assert train(prior_dataset, run) == 0
    code = backend_main(["eval-prior", "--progress", "none", "--prior", str(run), "--data", str(prior_dataset),
                         "--identities", "held-out", "--cameras", "all"])
    assert code == 0
    res = json.loads((run / "eval_held-out.json").read_text())
    assert res["identities"] == [1] and res["images"] == 2 * 4 and res["step"] == 2
    assert 0 < res["l1"] < 1 and res["psnr"] > 5 and 0 < res["ssim"] <= 1 and res["lpips"] > 0
    assert (run / "eval_held-out.png").is_file()
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed["psnr"] == pytest.approx(res["psnr"])


def test_ddp_two_cpu_processes_stay_in_sync(prior_dataset, tmp_path):
    """2 gloo ranks, held-out evaluation and previews every step: no rank hangs (a 3-minute group timeout turns a
    hang into a failure), parameters stay identical, and the distributed evaluation equals one process's."""
    out = tmp_path / "ddp"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    overrides = reduced_overrides(3) + ["train.eval_every=1", "train.eval_frames=2", "train.preview_every=2",
                                        "train.dist_timeout_min=3"]
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           str(Path(__file__).parent / "_ddp_worker.py"), str(prior_dataset), str(out), json.dumps(overrides)]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    a = torch.load(out / "params_rank0.pt")
    b = torch.load(out / "params_rank1.pt")
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    assert load_checkpoint(out)["step"] == 3
    with (out / "eval.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [int(r["step"]) for r in rows] == [0, 1, 2, 3, 3]  # every step, plus the worker's own call at the end
    alone = json.loads((out / "eval_alone.json").read_text())
    per_rank = [json.loads((out / f"eval_rank{r}.json").read_text()) for r in (0, 1)]
    assert per_rank[0] == per_rank[1] and per_rank[0]["images"] == 4
    assert int(rows[-1]["images"]) == alone["images"] == 4  # 2 frames x 2 cameras, one frame per rank
    for k in ("l1", "psnr", "ssim", "lpips"):
        assert abs(float(rows[-1][k]) - alone[k]) <= 1e-4 * max(1.0, abs(alone[k])), k
    assert sorted(p.name for p in (out / "previews").iterdir()) == ["step_000000.png", "step_000002.png",
                                                                   "step_000003.png"]


def test_trainer_reads_torchrun_environment(monkeypatch):
    from backend.prior.trainer import init_distributed

    monkeypatch.setenv("WORLD_SIZE", "1")
    info, device = init_distributed("cpu")
    assert info.world == 1 and info.main and device.type == "cpu"
    assert Trainer  # importable without a process group
