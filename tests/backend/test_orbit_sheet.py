"""tools/orbit_sheet.py: labelled rows of orbit frames; a folder without frames is one error line, exit 2."""

from __future__ import annotations

import numpy as np
from PIL import Image

from tests.tool_loader import load_tool


def _tool():
    return load_tool("orbit_sheet")


def test_sheet_stacks_labelled_rows_in_frame_order(tmp_path, capsys):
    for name, n, colour in (("a", 3, (255, 0, 0)), ("b", 2, (0, 0, 255))):
        (tmp_path / name).mkdir()
        for i in range(n):
            shade = tuple(c * (i + 1) // n for c in colour)
            Image.new("RGB", (20, 10), shade).save(tmp_path / name / f"frame_{i:04d}.png")
    out = tmp_path / "sheet.png"
    assert _tool().main([f"first={tmp_path / 'a'}", f"second={tmp_path / 'b'}", "--out", str(out)]) == 0
    sheet = np.asarray(Image.open(out).convert("RGB")).astype(int)
    assert sheet.shape == (2 * (10 + 18), 60, 3)
    assert sheet[18 + 5, 45, 0] == 255 and sheet[18 + 5, 5, 0] == 85  # row 1: frames in order, darkest first
    assert tuple(sheet[28 + 18 + 5, 25]) == (0, 0, 255) and tuple(sheet[28 + 18 + 5, 50]) == (255, 255, 255)
    assert (sheet[:18] < 128).any()  # the label is drawn


def test_a_folder_without_frames_is_one_error_line(tmp_path, capsys):
    assert _tool().main([f"x={tmp_path}", "--out", str(tmp_path / "s.png")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "holds no frame_*.png" in err[0]
    assert not (tmp_path / "s.png").exists()
    assert _tool().main(["no-label", "--out", str(tmp_path / "s.png")]) == 2

