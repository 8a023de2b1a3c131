"""bench/pack_prior_kit.py and bench/device_prior.sh checked on the CPU: the fixture dataset packed losslessly,
then the whole device session in its dry run (GPU check at toy sizes, a time-limited reference prior, the
float16 export) with every file that would come back."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np

from synthetic.dataset import Dataset
from synthetic.head.storage import locate_model_file

ROOT = Path(__file__).resolve().parents[3]


def test_pack_keeps_pixels_and_what_training_reads(prior_dataset, tmp_path):
    out = tmp_path / "kit.tar.gz"
    proc = subprocess.run([sys.executable, "bench/pack_prior_kit.py", "--data", str(prior_dataset), "--identities",
                           "2", "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    with tarfile.open(out) as tar:
        names = tar.getnames()
        tar.extractall(tmp_path / "x", filter="data")
    assert not [n for n in names if n.endswith(("landmarks.json", "albedo.png"))]
    packed, orig = Dataset(tmp_path / "x" / "data"), Dataset(prior_dataset)
    assert packed.identities == orig.identities == [0, 1]
    a, b = packed.identity(1), orig.identity(1)
    assert np.array_equal(a.images(1), b.images(1))
    assert np.array_equal(a.texture("backprojected.png"), b.texture("backprojected.png"))
    bad = subprocess.run([sys.executable, "bench/pack_prior_kit.py", "--data", str(prior_dataset), "--identities",
                          "5", "--out", str(tmp_path / "no.tar.gz")], cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.strip().splitlines() == [
        f"pack_prior_kit: {prior_dataset}: 2 complete identities, 5 asked for"]
    assert not (tmp_path / "no.tar.gz").exists()
    names = Dataset(prior_dataset).identity(0).cameras.names
    sub = subprocess.run([sys.executable, "bench/pack_prior_kit.py", "--data", str(prior_dataset), "--identities", "2",
                          "--cameras", ",".join(names[:2]), "--out", str(tmp_path / "sub.tar.gz")], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert sub.returncode == 0, sub.stderr
    with tarfile.open(tmp_path / "sub.tar.gz") as tar:
        tar.extractall(tmp_path / "sub", filter="data")
    small = Dataset(tmp_path / "sub" / "data").identity(1)
    assert list(small.cameras.names) == list(names[:2]) and small.images(0).shape[0] == 2
    assert np.array_equal(small.images(0), b.images(0)[:2])


def test_device_session_dry_run_brings_back_a_loadable_prior(prior_dataset, tmp_path, head_model):
    kit, out = tmp_path / "kit", tmp_path / "out"
    (kit / "wheels").mkdir(parents=True)
    out.mkdir()
    shutil.copy(locate_model_file(), kit / "head_model.npz")
    subprocess.run([sys.executable, "bench/pack_prior_kit.py", "--data", str(prior_dataset), "--identities", "2",
                    "--out", str(kit / "prior_data.tar.gz")], cwd=ROOT, check=True, capture_output=True)
    env = {**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, "OUT": str(out)}
    proc = subprocess.run(["bash", "bench/device_prior.sh", str(kit), "200", "120", "--dry-run"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert sorted(p.name for p in out.iterdir()) == ["gpu_check.json", "gpu_check.log", "reference_prior.pt",
                                                     "run.tar.gz", "train.log"]
    assert len(list(out.iterdir())) <= 8  # what the device tool brings back
    rows = json.loads((out / "gpu_check.json").read_text())["rows"]
    assert {r["section"] for r in rows} >= {"environment", "gsplat probe"}
    from backend.prior.checkpoint import load_prior

    model, cfg, ckpt = load_prior(out / "reference_prior.pt", "cpu", head_model)
    assert cfg.name == "reference" and ckpt["step"] >= 1 and ckpt["exported"]["dtype"] == "float16"
    with tarfile.open(out / "run.tar.gz") as tar:
        assert {"./summary.json", "./eval.csv", "./log.csv"} <= set(tar.getnames())
    bad = subprocess.run(["bash", "bench/device_prior.sh", str(tmp_path / "nokit"), "100"], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "is not a folder" in bad.stderr
