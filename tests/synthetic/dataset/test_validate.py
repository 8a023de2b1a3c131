"""``python -m synthetic validate``: a pristine dataset passes; each kind of damage is named."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shutil

import numpy as np
import pytest

from synthetic.cli import validate as validate_cmd
from synthetic.dataset import read_png, write_png
from synthetic.dataset.checks import validate_dataset
from synthetic.progress import Progress


@pytest.fixture
def run_cli(monkeypatch, tiny_head):
    """Run the validate command in-process with the tiny head model; returns (exit code, stdout)."""
    monkeypatch.setattr(validate_cmd, "_load_head_model", lambda path: tiny_head)

    def run(root, *extra, progress="none"):
        parser = argparse.ArgumentParser()
        validate_cmd.add_arguments(parser)
        args = parser.parse_args([str(root), *extra])
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = validate_cmd.run(args, Progress(progress, stream_bar=io.StringIO(), stream_json=out))
        return code, out.getvalue()

    return run


@pytest.fixture
def damaged(tiny_dataset, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(tiny_dataset, root)
    return root, root / "id_00000"


def test_pristine_dataset_is_valid(tiny_dataset, run_cli):
    code, out = run_cli(tiny_dataset)
    assert code == 0, out
    assert "OK:" in out and "landmark check on" in out
    code, out = run_cli(tiny_dataset, progress="json")
    events = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and events[-1] == {"event": "done", "valid": True, "identities": 1}
    assert any(e["event"] == "progress" and e["stage"] == "validate" for e in events)


def test_each_problem_is_named(damaged, run_cli):
    root, ident = damaged
    (ident / "frame_0001" / "cam_04.png").unlink()  # deleted PNG
    text = (ident / "identity.json").read_text()
    (ident / "frame_0000" / "frame.json").write_text(text[: len(text) // 2])  # truncated JSON
    write_png(ident / "frame_0000" / "cam_05.png", np.ones((40, 64, 4)))  # wrong size
    write_png(ident / "frame_0001" / "cam_06.png", np.zeros((48, 64, 4)))  # empty mask
    write_png(ident / "frame_0001" / "cam_08.png", np.ones((48, 64, 3)))  # RGB, no alpha
    cams = json.loads((ident / "cameras.json").read_text())
    cams["cameras"][9]["w2c"][0][0] *= 2.0  # not a rotation
    (ident / "cameras.json").write_text(json.dumps(cams))
    code, out = run_cli(root)
    assert code == 2
    lines = [line for line in out.splitlines() if line.startswith("problem:")]
    expect = [
        ("frame_0001/cam_04.png", "missing"),
        ("frame_0000/frame.json", "corrupt JSON"),
        ("frame_0000/cam_05.png", "image is 64x40, cameras.json says 64x48"),
        ("frame_0001/cam_06.png", "mask is empty"),
        ("frame_0001/cam_08.png", "expected 8-bit RGBA"),
        ("cameras.json", "cam_09: w2c rotation is not orthonormal"),
    ]
    for path, what in expect:
        assert any(path in line and what in line for line in lines), (path, what, out)
    assert "INVALID" in out


def test_wrong_version_is_named(damaged, run_cli):
    root, ident = damaged
    data = json.loads((ident / "cameras.json").read_text())
    data["version"] = 99
    (ident / "cameras.json").write_text(json.dumps(data))
    problems, _ = validate_dataset(root)
    assert any(p.path.endswith("id_00000/cameras.json") and "format version 99" in p.what for p in problems)
    data = json.loads((root / "dataset.json").read_text())
    data["version"] = 3
    (root / "dataset.json").write_text(json.dumps(data))
    code, out = run_cli(root)
    assert code == 2 and "dataset.json: format version 3" in out


def test_missing_and_unfinished_identities(damaged):
    root, ident = damaged
    data = json.loads((root / "dataset.json").read_text())
    data["n_identities"] = 2  # identity 1 was never rendered
    (root / "dataset.json").write_text(json.dumps(data))
    problems, _ = validate_dataset(root)
    assert [str(p).split("/")[-1] for p in problems] == ["id_00001: identity folder is missing"]
    assert validate_dataset(root, partial=True)[0] == []
    (ident / "done.json").unlink()
    problems, n = validate_dataset(root)
    assert n == 0 and any("done.json" in p.path and "incomplete" in p.what for p in problems)


def test_landmarks_outside_the_masks_are_named(damaged, tiny_head):
    root, ident = damaged
    # shift every mask of frame 0 far to the side: the head model no longer lands inside them
    for png in sorted((ident / "frame_0000").glob("cam_*.png")):
        img = read_png(png)
        img = np.roll(img, 28, axis=1)
        img[:, :28] = 0
        write_png(png, img)
    problems, _ = validate_dataset(root, tiny_head)
    bad = [p for p in problems if "landmarks fall inside the mask" in p.what]
    assert len(bad) >= 10 and all("frame_0000" in p.path for p in bad)
    # without a head model the per-view landmark files still locate the face in every image
    assert {p.path for p in validate_dataset(root)[0]} == {p.path for p in bad}
    # a different head model is reported, not silently used
    other = tiny_head.__class__(size_std=0.02)
    problems, _ = validate_dataset(root, other)
    assert any("head_model_fingerprint differs" in p.what for p in problems)


def test_a_recalibrated_landmark_table_is_reported(tiny_dataset, tiny_head):
    """Same geometry, other landmark table: the dataset's landmarks.json files are stale, and validate says so."""
    other = tiny_head.__class__()
    other.landmark_barycentric = other.landmark_barycentric[::-1].copy()
    assert other.matches(tiny_head.fingerprint())
    problems, _ = validate_dataset(tiny_dataset, other)
    assert [p.what.split(";")[0] for p in problems] == [
        "landmark_fingerprint differs from the loaded head model's landmark table (recalibrated since)"]
    assert validate_dataset(tiny_dataset, tiny_head)[0] == []


def test_unloadable_head_model_is_a_user_error(tiny_dataset, tmp_path):
    from synthetic.errors import UserInputError

    parser = argparse.ArgumentParser()
    validate_cmd.add_arguments(parser)
    args = parser.parse_args([str(tiny_dataset), "--head-model", str(tmp_path / "missing.npz")])
    with pytest.raises(UserInputError, match="--no-landmarks"):
        validate_cmd.run(args, Progress("none"))
    args = parser.parse_args([str(tiny_dataset), "--no-landmarks"])
    with contextlib.redirect_stdout(io.StringIO()) as out:
        assert validate_cmd.run(args, Progress("none")) == 0
    assert "landmark check off" in out.getvalue()


def test_landmark_files_are_checked(damaged, tiny_head, tmp_path):
    from _tiny_dataset import write_tiny_dataset

    root, ident = damaged
    path = ident / "frame_0001" / "landmarks.json"
    data = json.loads(path.read_text())
    data["cameras"]["cam_03"]["xy"] = [[x + 3.0, y] for x, y in data["cameras"]["cam_03"]["xy"]]
    path.write_text(json.dumps(data))
    (ident / "frame_0000" / "landmarks.json").unlink()
    problems, _ = validate_dataset(root, tiny_head)
    said = {(p.path.split("id_00000/")[-1], p.what.split(" (")[0]) for p in problems}
    assert ("frame_0000/landmarks.json", "missing") in said
    assert any(f == "frame_0001/landmarks.json" and "px from the head model's projection" in w for f, w in said)
    data["cameras"].pop("cam_03")
    path.write_text(json.dumps(data))
    problems, _ = validate_dataset(root)
    assert any("malformed landmarks" in p.what and "cam_03" in p.what for p in problems)
    # a dataset made before landmarks were written stays valid and the reader says what is missing
    old = write_tiny_dataset(tmp_path / "old", tiny_head, n_frames=1, landmarks=False)
    assert validate_dataset(old.root, tiny_head)[0] == []
    from synthetic.dataset import Dataset
    from synthetic.errors import UserInputError

    with pytest.raises(UserInputError, match="no per-view landmarks"):
        Dataset(old.root).identity(0).landmarks(0)
