"""``python -m backend fit-photos`` as a subprocess: outputs on a real photo, exit 2 on bad photos."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[3]


def _cli(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "backend", "fit-photos", *map(str, args), "--progress", "none"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_fit_photos_writes_crops_overlays_texture_and_fit_json(tmp_path, astronaut):
    photo = tmp_path / "astro.png"
    Image.fromarray(astronaut).save(photo)
    out = tmp_path / "out"
    proc = _cli("--images", photo, "--out", out, "--texture-size", "64")
    assert proc.returncode == 0, proc.stderr[-3000:]
    fit = json.loads((out / "fit.json").read_text())
    assert fit["format"] == "synthheads-photo-fit" and len(fit["views"]) == 1
    v = fit["views"][0]
    assert np.array(v["K"]).shape == (3, 3) and np.array(v["w2c"]).shape == (4, 4)
    assert v["residual_px"] < 3.0 and len(fit["shape"]) > 0
    crop = np.asarray(Image.open(out / v["image"]))
    assert crop.shape == (256, 384, 4) and 0.2 < crop[..., 3].mean() / 255 < 0.8
    overlay = np.asarray(Image.open(out / "overlays" / "astro.png"))
    assert overlay.shape[2] == 3 and overlay.std() > 20
    tex = np.asarray(Image.open(out / "texture.png"))
    assert tex.shape == (64, 64, 3) and tex.std() > 10


def test_fit_photos_exit_2_on_bad_photos(tmp_path):
    import skimage.data

    coffee = tmp_path / "coffee.png"
    Image.fromarray(skimage.data.coffee()).save(coffee)
    proc = _cli("--images", coffee, "--out", tmp_path / "o1")
    assert proc.returncode == 2
    assert proc.stderr.strip().endswith("coffee.png: no face found")  # one clear line, mediapipe noise silenced
    bad = tmp_path / "bad.jpg"
    bad.write_text("x")
    proc = _cli("--images", bad, "--out", tmp_path / "o2")
    assert proc.returncode == 2 and "bad.jpg: not a readable image" in proc.stderr
    assert not (tmp_path / "o2" / "fit.json").exists()
