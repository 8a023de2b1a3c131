"""The progress bar people read and the JSON lines the add-on reads."""

from __future__ import annotations

import io
import json

from synthetic.progress import Progress


def test_bar_says_the_eta_is_unknown_before_the_first_unit_then_counts():
    bar = io.StringIO()
    p = Progress("bar", stream_bar=bar)
    p.update("landmarks", 0, 4)
    p.update("landmarks", 4, 4)
    first, last = bar.getvalue().splitlines()
    assert "0/4" in first and "eta      ?" in first and "nan" not in first
    assert "4/4" in last and "eta    0.0s" in last and "#" * 30 in last


def test_json_lines_carry_stage_counts_and_extras():
    out = io.StringIO()
    p = Progress("json", stream_json=out)
    p.update("render", 2, 5, identity=7)
    p.done(out="x")
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[0] == {"event": "progress", "stage": "render", "done": 2, "total": 5, "identity": 7}
    assert lines[1]["event"] == "done" and lines[1]["out"] == "x"
