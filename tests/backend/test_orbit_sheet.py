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


def test_prior_run_curves_plot_each_run_and_refuse_a_folder_without_eval_csv(tmp_path, capsys):
    """tools/plot_prior_runs.py (beside the orbit sheet: both draw docs images from run outputs)."""
    for name, lp in (("a", "0.12,0.11"), ("b", "0.12,0.13")):
        (tmp_path / name).mkdir()
        rows = [f"{s},0.04,{21 + i},0.78,{v},156" for i, (s, v) in enumerate(zip((0, 100), lp.split(","), strict=True))]
        (tmp_path / name / "eval.csv").write_text("step,l1,psnr,ssim,lpips,images\n" + "\n".join(rows) + "\n")
    tool, out = load_tool("plot_prior_runs"), tmp_path / "curves.png"
    assert tool.read_curve(tmp_path / "b") == {"step": [0.0, 100.0], "psnr": [21.0, 22.0], "lpips": [0.12, 0.13]}
    assert tool.main([f"A={tmp_path / 'a'}", f"B={tmp_path / 'b'}", "--out", str(out)]) == 0
    img = np.asarray(Image.open(out).convert("RGB")).astype(int)
    assert img.shape[1] > img.shape[0] and img.std() > 10  # two panels with lines, not blank
    assert tool.main([f"A={tmp_path}", "--out", str(tmp_path / "x.png")]) == 2
    assert "no eval.csv" in capsys.readouterr().err and not (tmp_path / "x.png").exists()
