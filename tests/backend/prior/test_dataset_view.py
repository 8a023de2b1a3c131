"""tools/dataset_view.py: a symlinked subset of a dataset (identities, and frames from one identity on) that the
dataset reader and the prior's data load as a dataset of its own; bad input is one error line, exit 2."""

from __future__ import annotations

import json

import numpy as np

from synthetic.dataset.reader import Dataset
from tests.tool_loader import load_tool


def _tool():
    return load_tool("dataset_view")


def test_view_keeps_identities_and_renumbers_cut_frames(prior_dataset, tmp_path):
    view = tmp_path / "view"
    assert _tool().main([str(prior_dataset), str(view), "--identities", "2", "--frames", "0",
                         "--frames-from", "1"]) == 0
    src, out = Dataset(prior_dataset), Dataset(view)
    assert out.identities == src.identities == [0, 1]
    assert out.identity(0).n_frames == 2 and out.identity(1).n_frames == 1
    assert (view / "id_00000").is_symlink()  # untouched identities are links, not copies
    name = src.identity(1).cameras.names[0]
    np.testing.assert_array_equal(out.identity(1).image(0, name), src.identity(1).image(0, name))
    assert json.loads((view / "id_00001" / "done.json").read_text())["n_frames"] == 1
    assert not (view / "id_00001" / "frame_0001").exists()


def test_bad_input_is_one_line_and_exit_2(prior_dataset, tmp_path, capsys):
    tool = _tool()
    assert tool.main([str(tmp_path), str(tmp_path / "v1"), "--identities", "1"]) == 2
    assert "not a dataset root" in capsys.readouterr().err
    assert tool.main([str(prior_dataset), str(tmp_path / "v2"), "--identities", "3"]) == 2
    assert "the dataset has 2" in capsys.readouterr().err
    assert tool.main([str(prior_dataset), str(tmp_path / "v3"), "--identities", "2", "--frames", "1"]) == 2
    assert "starting at 0" in capsys.readouterr().err
    (tmp_path / "v4").mkdir()
    assert tool.main([str(prior_dataset), str(tmp_path / "v4"), "--identities", "2"]) == 2
    assert "already exists" in capsys.readouterr().err
