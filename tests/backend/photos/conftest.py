"""Fixtures of the photo-preparation tests: the head model, two real face photos, a tiny rendered dataset."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def head_model():
    from synthetic.head import HeadModel

    return HeadModel.load()


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    import skimage.data

    return skimage.data.astronaut()


@pytest.fixture(scope="session")
def grace_hopper_path() -> Path:
    import matplotlib.cbook

    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as f:
        return Path(f.name)


@pytest.fixture(scope="session")
def grace_hopper(grace_hopper_path) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(grace_hopper_path).convert("RGB"))


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory) -> Path:
    """1 identity x 2 frames x 3 cameras at 64x48 with real Cycles (~30 s)."""
    out = tmp_path_factory.mktemp("photos_data") / "data"
    cmd = [sys.executable, "-m", "synthetic", "render", "--identities", "1", "--frames", "2", "--resolution", "64x48",
           "--samples", "4", "--cameras", "cam_00,cam_05,cam_09", "--texture-size", "128", "--hair-quality",
           "preview", "--device", "cpu", "--progress", "none", "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"render failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
    return out
