"""The main job's stage runner: finished stages are cached, interrupted ones restart or resume."""

import json

import pytest

from backend.pipeline.report import write_report
from backend.pipeline.stages import Stage, run_stages
from synthetic.progress import Progress


def _counting_stage(name, calls, resumable=False, fail=False):
    def run(folder, progress):
        calls.append(name)
        seen_before = (folder / "partial.txt").exists()
        (folder / "partial.txt").write_text("work in progress")
        if fail:
            raise RuntimeError("interrupted")
        return {"facts": {"saw earlier work": seen_before}, "tables": {"t": [{"a": 1.5}]}}

    return Stage(name, name.title(), run, resumable=resumable)


def test_finished_stages_are_cached_and_interrupted_ones_restart_or_resume(tmp_path):
    progress = Progress(mode="none")
    calls = []
    with pytest.raises(RuntimeError, match="interrupted"):
        run_stages([_counting_stage("a", calls), _counting_stage("b", calls, fail=True)], tmp_path, progress)
    with pytest.raises(RuntimeError):
        run_stages([_counting_stage("c", calls, resumable=True, fail=True)], tmp_path, progress)
    assert (tmp_path / "a" / "stage.json").exists() and not (tmp_path / "b" / "stage.json").exists()
    calls.clear()
    stages = [_counting_stage("a", calls), _counting_stage("b", calls), _counting_stage("c", calls, resumable=True)]
    summaries = run_stages(stages, tmp_path, progress)
    assert calls == ["b", "c"], "a finished stage must not run again"
    assert [s["cached"] for s in summaries] == [True, False, False]
    assert summaries[1]["result"]["facts"]["saw earlier work"] is False, "a plain stage restarts in a clean folder"
    assert summaries[2]["result"]["facts"]["saw earlier work"] is True, "a resumable stage keeps its earlier work"
    marker = json.loads((tmp_path / "c" / "stage.json").read_text())
    assert marker["name"] == "c" and marker["seconds"] >= 0
    report = write_report(tmp_path / "report.html", "job", summaries).read_text()
    assert "<h2>B</h2>" in report and "<td>1.5</td>" in report
