"""tools/plot_prior_runs.py: one line per run from its eval.csv, two panels; a folder without eval.csv is one error
line, exit 2, and no image."""

from __future__ import annotations

import numpy as np
from PIL import Image

from tests.tool_loader import load_tool


def test_prior_run_curves_plot_each_run_and_refuse_a_folder_without_eval_csv(tmp_path, capsys):
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
