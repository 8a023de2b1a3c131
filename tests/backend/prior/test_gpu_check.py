"""bench/gpu_check.sh checked on the CPU: the dry run goes through every section on the prior fixture dataset
(gsplat's place taken by the reference) and writes one JSON; bad arguments get one line and exit 2."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "bench" / "gpu_check.sh"
SECTIONS = ["environment", "gsplat probe", "gsplat vs reference", "cuda tests", "gem fps", "prior", "inversion"]


def run(*args, timeout=900):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(["bash", str(SCRIPT), *map(str, args)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_dry_run_goes_through_every_section(prior_dataset, tmp_path):
    out = tmp_path / "gpu_check.json"
    proc = run("--dry-run", "--data", prior_dataset, "--out", out, "--budget", "900")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    record = json.loads(out.read_text())
    assert record["dry_run"] is True and record["machine"]["torch"]
    rows = record["rows"]
    assert [s for s in SECTIONS if s not in {r["section"] for r in rows}] == []
    assert all(r["status"] == "ok" for r in rows), [r for r in rows if r["status"] != "ok"]
    prior = [r for r in rows if r["section"] == "prior"]
    assert len(prior) == 2 and all(r["steps_per_s"] > 0 for r in prior)
    gem = next(r for r in rows if r["section"] == "gem fps")
    assert gem["fps"] > 0 and gem["decode_ms"] > 0
    inv = next(r for r in rows if r["section"] == "inversion")
    assert inv["steps"] == 6 and inv["psnr_in_after"] > 10
    assert "| section | status |" in proc.stdout  # the table


def test_bad_arguments_get_one_line_and_exit_2(tmp_path):
    proc = run("--dry-run", "--data", tmp_path, timeout=300)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"gpu_check: --data must be a rendered dataset folder (with dataset.json), got {tmp_path}"]
    proc = run("--wheels", tmp_path / "missing", "--dry-run", timeout=60)
    assert proc.returncode == 2 and "is not a folder" in proc.stderr
    proc = run("--data", tmp_path, timeout=300)  # no --dry-run on a machine without CUDA
    assert proc.returncode == 2 and "no CUDA device" in proc.stderr
