"""Re-projecting a dataset's landmarks after the landmark table changed (``python -m synthetic landmarks``)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from synthetic.cli import main
from synthetic.dataset import layout
from synthetic.dataset.checks import validate_dataset
from synthetic.dataset.landmarks import project_frame
from synthetic.dataset.reader import Dataset
from synthetic.dataset.relandmark import reproject_landmarks
from synthetic.errors import UserInputError


def _recalibrated(tiny_head):
    other = tiny_head.__class__()
    other.landmark_barycentric = other.landmark_barycentric[::-1].copy()
    assert other.matches(tiny_head.fingerprint()) and other.landmark_fingerprint() != tiny_head.landmark_fingerprint()
    return other


def test_reprojected_landmarks_follow_the_new_table_and_leave_images_alone(tiny_dataset, tiny_head, tmp_path):
    root = tmp_path / "d"
    shutil.copytree(tiny_dataset, root)
    other = _recalibrated(tiny_head)
    image = root / "id_00000" / "frame_0001" / "cam_03.png"
    before = image.read_bytes()
    assert validate_dataset(root, other)[0]  # stale: reported

    assert reproject_landmarks(root, other) == (1, 2)

    assert validate_dataset(root, other)[0] == []
    manifest = json.loads((root / layout.DATASET_JSON).read_text())
    assert manifest["landmark_fingerprint"] == other.landmark_fingerprint()
    assert manifest["n_identities"] == 1 and manifest["format"] == layout.FORMAT
    ident = Dataset(root).identity(0)
    frame = ident.frame(1)
    verts = other.vertices(ident.shape, frame.expression, frame.pose)
    ref = project_frame(other.landmarks(verts), other.landmark_mediapipe, verts, other.faces, ident.cameras.rig())
    got = ident.landmarks(1)
    assert np.abs(got.xy - ref.xy).max() < 0.01 and np.array_equal(got.visible, ref.visible)
    old = Dataset(tiny_dataset).identity(0).landmarks(1)
    assert np.abs(got.xy - old.xy).max() > 1.0  # the points really moved
    assert image.read_bytes() == before


def test_reprojection_refuses_other_geometry_and_datasets_without_landmarks(tiny_dataset, tiny_head, tmp_path):
    with pytest.raises(UserInputError, match="another head model"):
        reproject_landmarks(tiny_dataset, tiny_head.__class__(size_std=0.02))
    from _tiny_dataset import write_tiny_dataset

    bare = write_tiny_dataset(tmp_path / "bare", tiny_head, landmarks=False).root
    with pytest.raises(UserInputError, match="without per-view landmarks"):
        reproject_landmarks(bare, tiny_head)


def test_landmarks_command_names_a_dataset_of_another_model(tiny_dataset, capsys):
    """The packaged head model is not the tiny one: one error line, exit 2, nothing rewritten."""
    manifest = (tiny_dataset / layout.DATASET_JSON).read_bytes()
    assert main(["landmarks", str(tiny_dataset)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "another head model" in err[0]
    assert (tiny_dataset / layout.DATASET_JSON).read_bytes() == manifest
