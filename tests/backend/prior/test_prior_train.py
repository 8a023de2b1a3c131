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
        extra = list(extra)
        if extra[:1] == ["--init"]:
            args += extra[:2]
            extra = extra[2:]
        for o in reduced_overrides(steps) + extra:
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


def test_init_starts_a_new_run_from_a_prior_s_weights(prior_dataset, tmp_path, capsys):
    """--init: step 0, the source's weights (before the first step), fresh optimizer; provenance kept through
    export; refuses --resume with it and an architecture that does not fit."""
    assert train(prior_dataset, tmp_path / "src", steps=3) == 0
    src = load_checkpoint(tmp_path / "src")
    assert train(prior_dataset, tmp_path / "zero", steps=0, extra=["--init", str(tmp_path / "src")]) == 0
    zero = load_checkpoint(tmp_path / "zero")
    assert zero["step"] == 0 and zero["init_from"]["step"] == 3
    assert all(torch.equal(v, src["model"][k]) for k, v in zero["model"].items())
    assert zero["optimizer"]["state"] == {}
    assert train(prior_dataset, tmp_path / "tuned", steps=2, extra=["--init", str(tmp_path / "src")]) == 0
    tuned = load_checkpoint(tmp_path / "tuned")
    assert tuned["step"] == 2 and any(not torch.equal(v, src["model"][k]) for k, v in tuned["model"].items()
                                      if v.is_floating_point())
    out = tmp_path / "exported.pt"
    assert backend_main(["export-prior", "--progress", "none", "--prior", str(tmp_path / "tuned"),
                         "--out", str(out)]) == 0
    assert load_checkpoint(out)["init_from"]["path"] == src["path"]
    capsys.readouterr()
    assert train(prior_dataset, tmp_path / "wide", steps=1,
                 extra=["--init", str(tmp_path / "src"), "model.feat_channels=4"]) == 2
    assert "--init weights do not fit the config" in capsys.readouterr().err
    args = ["train-prior", "--progress", "none", "--data", str(prior_dataset), "--out", str(tmp_path / "tuned"),
            "--resume", "--init", str(tmp_path / "src"), "--steps", "3"]
    assert backend_main(args) == 2
    assert "--init starts a new run" in capsys.readouterr().err


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


def test_eval_prior_writes_metrics(prior_dataset, tmp_path, capsys, monkeypatch):
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
    # an exported file: the metrics go to ./<stem>_eval/, never beside the file (models/ stays as shipped)
    models, cwd = tmp_path / "models", tmp_path / "work"
    cwd.mkdir()
    assert backend_main(["export-prior", "--progress", "none", "--prior", str(run), "--out",
                         str(models / "shipped.pt")]) == 0
    monkeypatch.chdir(cwd)
    code = backend_main(["eval-prior", "--progress", "none", "--prior", str(models / "shipped.pt"), "--data",
                         str(prior_dataset), "--cameras", "all"])
    assert code == 0 and sorted(p.name for p in models.iterdir()) == ["shipped.pt"]
    exported = json.loads((cwd / "shipped_eval" / "eval_held-out.json").read_text())
    assert exported["images"] == res["images"] and exported["psnr"] == pytest.approx(res["psnr"], abs=0.5)


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


def test_time_limit_ends_with_eval_and_checkpoint(prior_dataset, tmp_path):
    """A tiny time limit stops after the first step (not at --steps) with the final eval and checkpoint."""
    out = tmp_path / "timed"
    args = ["train-prior", "--progress", "none", "--data", str(prior_dataset), "--config", "tiny", "--out", str(out),
            "--steps", "50", "--threads", "1", "--time-limit", "1e-6"]
    for o in reduced_overrides(50):
        args += ["--set", o]
    assert backend_main(args) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 1 and summary["stopped_by_time_limit"] is True
    assert load_checkpoint(out)["step"] == 1
    assert [int(r["step"]) for r in csv.DictReader((out / "eval.csv").open())] == [0, 1]
    assert [int(r["step"]) for r in csv.DictReader((out / "log.csv").open())] == [1]


def test_time_limited_learning_rate_follows_the_run_fraction(prior_dataset, tmp_path, head_model):
    cfg = load_config("tiny", reduced_overrides(100) + ["optim.milestones=[50,75]", "optim.lr=0.001",
                                                         "optim.gamma=0.5"])
    trainer = Trainer(cfg, prior_dataset, tmp_path / "lr", "cpu", head_model=head_model, time_limit_s=10.0)
    assert trainer.lr_by_progress(0.0) == pytest.approx(1e-3)
    assert trainer.lr_by_progress(0.49) == pytest.approx(1e-3)
    assert trainer.lr_by_progress(0.5) == pytest.approx(5e-4)
    assert trainer.lr_by_progress(0.9) == pytest.approx(2.5e-4)
    with pytest.raises(Exception, match="positive seconds"):
        Trainer(cfg, prior_dataset, tmp_path / "lr2", "cpu", head_model=head_model, time_limit_s=0)


def test_export_prior_half_evaluates_like_the_checkpoint(prior_dataset, tmp_path):
    run = tmp_path / "run"
    assert train(prior_dataset, run, steps=2) == 0
    out = tmp_path / "shipped.pt"
    assert backend_main(["export-prior", "--progress", "none", "--prior", str(run), "--out", str(out)]) == 0
    shipped, full = load_checkpoint(out), load_checkpoint(run)
    assert "optimizer" not in shipped and shipped["split"] == full["split"] and shipped["step"] == 2
    assert shipped["exported"]["dtype"] == "float16"
    assert out.stat().st_size < 0.6 * (run / "checkpoints" / "last.pt").stat().st_size
    halves = [k for k, v in shipped["model"].items() if v.dtype == torch.float16]
    assert halves and all(torch.allclose(shipped["model"][k].float(), full["model"][k], rtol=2e-3, atol=1e-4)
                          for k in halves)
    from backend.prior.run import evaluate_prior

    a = evaluate_prior(run, prior_dataset, out=tmp_path / "a", device="cpu", threads=1).metrics
    b = evaluate_prior(out, prior_dataset, out=tmp_path / "b", device="cpu", threads=1).metrics
    assert abs(a["psnr"] - b["psnr"]) < 0.05 and a["images"] == b["images"]


def test_export_prior_bits_quantises_compresses_and_evaluates_alike(prior_dataset, tmp_path, capsys):
    import lzma

    from backend.prior.quantise import dequantise_weights, quantise_weights

    run = tmp_path / "run"
    assert train(prior_dataset, run, steps=2) == 0
    out = tmp_path / "six.pt"
    assert backend_main(["export-prior", "--progress", "none", "--prior", str(run), "--out", str(out),
                         "--bits", "6"]) == 0
    assert out.read_bytes()[:6] == b"\xfd7zXZ\x00"  # xz
    full, six = load_checkpoint(run), load_checkpoint(out)
    raw = torch.load(__import__("io").BytesIO(lzma.decompress(out.read_bytes())), weights_only=True)["model"]
    quantised = [k for k, v in raw.items() if isinstance(v, dict)]
    assert quantised and not any("codebook" in k for k in quantised) and six["exported"]["dtype"].startswith("6-bit")
    for k in quantised:  # within half a level of the row's range (plus float16 rounding of the source)
        x, y = full["model"][k].reshape(len(full["model"][k]), -1), six["model"][k].reshape(len(full["model"][k]), -1)
        step = (x.max(1, keepdim=True).values - x.min(1, keepdim=True).values) / 63
        assert ((x - y).abs() <= step / 2 + 1e-3 * x.abs().max()).all(), k
    from backend.prior.run import evaluate_prior

    a = evaluate_prior(run, prior_dataset, out=tmp_path / "a", device="cpu", threads=1).metrics
    b = evaluate_prior(out, prior_dataset, out=tmp_path / "b", device="cpu", threads=1).metrics
    assert abs(a["psnr"] - b["psnr"]) < 0.3, (a["psnr"], b["psnr"])
    w = {"w": torch.randn(64, 32), "b": torch.randn(64), "vq.codebook": torch.randn(64, 32)}
    q = quantise_weights(w, 4)
    assert isinstance(q["w"], dict) and torch.equal(q["b"], w["b"]) and torch.equal(q["vq.codebook"], w["vq.codebook"])
    assert (dequantise_weights(q)["w"] - w["w"]).abs().max() <= (w["w"].max(1).values - w["w"].min(1).values).max() / 30
    broken = tmp_path / "broken.pt"
    broken.write_bytes(out.read_bytes()[:200])
    assert backend_main(["eval-prior", "--progress", "none", "--prior", str(broken), "--data", str(prior_dataset)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a readable prior checkpoint" in err[-1]
