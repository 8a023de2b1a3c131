"""drive-gem end to end on a small mesh-teacher GEM: regressor trained from GEM renders (mediapipe finds the face),
driven by renders of another mesh identity, coefficients readable by ``render --gem``; a photo without a face
exits 2 with one line naming it."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from backend.cli import main
from backend.gem.regressor import load_regressor


@pytest.fixture(scope="module")
def driven(tmp_path_factory):
    from backend.gem.regressor_data import face_cameras
    from backend.gem.teacher import MeshTeacher
    from backend.gem.views import render, to_uint8
    from synthetic.head import HeadModel

    root = tmp_path_factory.mktemp("drive")
    gem = root / "mesh.gem"
    assert main(["distill-gem", "--avatar", "mesh", "--gaussians", "6000", "--components", "4", "--expressions",
                 "10", "--heldout", "0", "--refine-steps", "0", "--resolution", "40x32", "--eval-frames", "1",
                 "--out", str(gem), "--progress", "none"]) == 0  # fmt: skip
    head = HeadModel.load()
    other = MeshTeacher(head, 6000, head.sample_shape(np.random.default_rng(5)), seed=5, detail_m=0.0)
    expr = np.zeros((2, head.n_expression))
    expr[1, head.expression_index("jaw_open")] = 0.6
    with torch.no_grad():
        imgs = to_uint8(render(other.canonical(torch.as_tensor(expr, dtype=torch.float32)), face_cameras(160))[:, 0])
    drivers = [root / "d0.png", root / "d1.png"]
    for p, im in zip(drivers, imgs):
        Image.fromarray(im).save(p)
    out = root / "out"
    rc = main(["drive-gem", "--gem", str(gem), "--regressor", str(root / "r.npz"), "--train", "12", "--steps", "60",
               "--size", "160", "--images", *map(str, drivers), "--neutral", "first", "--out", str(out),
               "--progress", "none"])  # fmt: skip
    return {"rc": rc, "gem": gem, "out": out, "root": root, "drivers": drivers}


def test_drive_writes_frames_sheet_and_coefficients(driven):
    assert driven["rc"] == 0
    out = driven["out"]
    k = np.load(out / "coefficients.npy")
    reg = load_regressor(driven["root"] / "r.npz")
    assert k.shape == (2, reg.sigma.shape[0]) and k.dtype == np.float32
    assert np.all(np.abs(k) <= 3 * reg.sigma.numpy() + 1e-6)
    frame = np.asarray(Image.open(out / "frame_0001.png"))
    assert frame.shape == (160, 320, 3) and frame[:, 160:].min() < 200  # driver | GEM, not blank
    assert (out / "sheet.png").is_file()
    assert json.loads((out / "drive.json").read_text())["neutral"] == "first"
    assert main(["render", "--gem", str(driven["gem"]), "--coefficients", str(out / "coefficients.npy"), "--out",
                 str(driven["root"] / "render"), "--width", "32", "--height", "32", "--progress", "none"]) == 0


def test_photo_without_face_exits_2(driven, capsys):
    blank = driven["root"] / "blank.png"
    Image.fromarray(np.full((200, 200, 3), 200, np.uint8)).save(blank)
    rc = main(["drive-gem", "--gem", str(driven["gem"]), "--regressor", str(driven["root"] / "r.npz"), "--images",
               str(driven["drivers"][0]), str(blank), "--out", str(driven["root"] / "o2"), "--progress", "none"])
    assert rc == 2
    err = capsys.readouterr().err.strip()
    assert "blank.png" in err and "no face" in err and len(err.splitlines()) == 1


def test_missing_regressor_without_train_exits_2(driven, capsys):
    rc = main(["drive-gem", "--gem", str(driven["gem"]), "--regressor", str(driven["root"] / "none.npz"),
               "--images", str(driven["drivers"][0]), "--out", str(driven["root"] / "o3"), "--progress", "none"])
    assert rc == 2 and "none.npz" in capsys.readouterr().err
