"""Fixtures of the prior tests: the head model, and a tiny dataset rendered once per session with real Cycles."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from _prior_fixture import FIXTURE_CAMERAS

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def head_model():
    from synthetic.head import HeadModel

    return HeadModel.load()


@pytest.fixture(scope="session")
def prior_dataset(tmp_path_factory) -> Path:
    """2 identities x 2 frames x 4 cameras at 64x48 (~15 s): identity 0 trains, identity 1 is held out."""
    out = tmp_path_factory.mktemp("prior_data") / "data"
    cmd = [sys.executable, "-m", "synthetic", "render", "--identities", "2", "--frames", "2", "--out", str(out),
           "--resolution", "64x48", "--samples", "2", "--hair-quality", "preview", "--texture-size", "64",
           "--cameras", FIXTURE_CAMERAS, "--device", "cpu", "--progress", "none"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"render failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
    return out
