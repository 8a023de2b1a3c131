"""Mediapipe on rendered synthetic heads (backend.photos.dataset_faces) and the landmark table against it."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from backend.photos.dataset_faces import dataset_faces, over_grey

ROOT = Path(__file__).resolve().parents[3]
CAMERAS = ("cam_02", "cam_06", "cam_07")


@pytest.fixture(scope="module")
def face_dataset(tmp_path_factory) -> Path:
    """Identity 0 of seed 0 (held out from the table's calibration), neutral, three front views at 256x256."""
    out = tmp_path_factory.mktemp("faces") / "data"
    cmd = [sys.executable, "-m", "synthetic", "render", "--identities", "1", "--frames", "1", "--resolution",
           "256x256", "--samples", "8", "--cameras", ",".join(CAMERAS), "--texture-size", "256", "--hair-quality",
           "preview", "--device", "cpu", "--progress", "none", "--seed", "0", "--out", str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, f"render failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
    return out


@pytest.fixture(scope="module")
def records(face_dataset):
    return list(dataset_faces(face_dataset))


def test_every_front_view_of_a_rendered_head_has_a_face(records, face_dataset):
    assert [r.camera for r in records] == list(CAMERAS)
    for r in records:
        assert r.face is not None, r.why
        assert r.face.landmarks.shape == (478, 3) and r.rgb.shape == (256, 256, 3) and r.rgb.dtype == np.uint8
        assert r.dataset == str(face_dataset) and r.shape is not None and r.pose.shape[1] == 3
        box = r.face.landmarks[:, :2]
        assert 60 < box[:, 0].min() and box[:, 0].max() < 200  # the face is in the middle of the frame


def test_the_landmark_table_agrees_with_mediapipe_on_a_held_out_head(records, head_model):
    """Our projected landmarks against mediapipe's, normalised by the eye-corner distance (NME, %)."""
    from synthetic.dataset.landmarks import project_frame

    model = head_model
    verts = model.vertices(records[0].shape, records[0].expression, records[0].pose)
    view = project_frame(model.landmarks(verts), model.landmark_mediapipe, verts, model.faces,
                         records[0].ident.cameras.rig())
    mp = list(model.landmark_mediapipe)
    nme = []
    for r in records:
        ours, vis = view.camera(r.camera)
        io = np.linalg.norm(ours[mp.index(33)] - ours[mp.index(263)])
        theirs = r.face.landmarks[model.landmark_mediapipe, :2]
        nme.append(100 * np.linalg.norm(theirs - ours, axis=1)[vis].mean() / io)
    # measured 2026-12-05: first template 4.9 / 3.9 / 3.9 % with its calibrated table (6.3 / 5.5 / 5.3 % before the
    # calibration); the re-sculpted template with its recalibrated table 5.7 / 5.4 / 5.5 % (identity 0 is another
    # face on the new basis; over 6 held-out identities the realism bench moved 4.27 -> 4.73 %, bench/RESULTS.md);
    # the wider eye openings (generator 3) with their recalibrated, symmetric table 6.3 / 5.9 / 5.1 % (mean 5.77; the
    # generator 2 table on them: 6.4 / 6.3 / 5.8 %, mean 6.18; realism bench 4.72 %); identities with people's
    # proportions (generator 4, another face for identity 0) with their recalibrated table 3.8 / 4.3 / 4.6 % (mean
    # 4.22; the generator 3 table on them: mean 4.36; realism bench 4.52 %); brows placed where people's are, with
    # the table recalibrated on 512 px render-hair views: 2.7 / 3.8 / 4.3 % (mean 3.57; realism bench 3.52 %)
    assert max(nme) < 5.0 and np.mean(nme) < 4.3, nme


def test_calibration_on_rendered_views_lowers_their_error(records, head_model):
    """In-sample: refitting the table to these three views must gain, and no row may get worse by more than a
    trace (each candidate pays ``MOVE_COST`` per mm from the row's old place, which is itself rarely a grid point;
    a midline row is held to the midline; a mirror pair by the pair's sum)."""
    from synthetic.head import landmark_table
    from synthetic.head.build.landmark_fit import calibrate_table
    from synthetic.head.template import build_template

    model = head_model
    images = []
    for r in records:
        lm = r.face.landmarks[:, :2]
        verts = model.vertices(r.shape, r.expression, r.pose)
        images.append((lm, float(np.linalg.norm(lm[33] - lm[263])), verts, r.K, r.w2c))
    surface = [row for row in landmark_table.SURFACE if row[0] in (70, 300, 105, 334, 10, 152, 1, 4)]
    contours = {"eye_right_upper": landmark_table.CONTOURS["eye_right_upper"]}
    cal = calibrate_table(images, build_template(), contours, surface, grid=3)
    # a mirror pair is chosen jointly (one symmetric place for both), so it is judged as a pair: the brows 70 / 300
    # once went -0.30 / +0.10 on these views
    worse = cal.after - cal.before
    paired = sorted({k for pair in cal.pairs for k in pair})
    assert paired and all(0 <= k < len(worse) for k in paired), cal.pairs
    for a, b in cal.pairs:
        assert worse[a] + worse[b] <= 0.1, (cal.mediapipe[[a, b]], worse[[a, b]])
    single = np.setdiff1d(np.arange(len(worse)), paired)
    assert np.all(worse[single] <= 0.1), (cal.mediapipe[single], worse[single])
    assert cal.after.mean() < 0.8 * cal.before.mean(), (cal.before.mean(), cal.after.mean())


def test_over_grey_composites_alpha():
    rgba = np.zeros((2, 2, 4), np.float32)
    rgba[0, 0] = (1, 0, 0, 1)
    out = over_grey(rgba)
    assert out[0, 0].tolist() == [255, 0, 0] and out[1, 1].tolist() == [128, 128, 128]
