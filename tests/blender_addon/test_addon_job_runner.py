"""The job runner (``blender_addon/jobs.py``) with real subprocesses, in plain pytest (no bpy)."""

from __future__ import annotations

import os
import sys
import time

import pytest
from _addon_harness import ROOT, addon_source_module

jobs = addon_source_module("jobs")

EMIT = """
import json, sys, time
def ev(**kw):
    print(json.dumps(kw), flush=True)
ev(event="info", message="starting")
for i in range(3):
    ev(event="progress", stage="work", done=i + 1, total=3)
    print("a plain line for people", file=sys.stderr, flush=True)
ev(event="done", out="somewhere", rendered=3)
"""
FAIL_WITH_EVENT = """
import json
print(json.dumps({"event": "error", "message": "--data: folder not found"}), flush=True)
raise SystemExit(2)
"""
CRASH = """
print("working", flush=True)
raise RuntimeError("boom in the middle")
"""
SPAWN_AND_SLEEP = """
import json, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print(json.dumps({"event": "info", "message": f"child {child.pid}"}), flush=True)
time.sleep(60)
"""


def spec(tmp_path, code: str, kind: str = "test") -> jobs.JobSpec:
    return jobs.JobSpec(kind=kind, argv=[sys.executable, "-c", code], cwd=str(tmp_path),
                        log_path=str(tmp_path / "logs" / f"{kind}.log"), title="Test Job")  # fmt: skip


def test_progress_events_and_log(tmp_path):
    seen = []
    job = jobs.start(spec(tmp_path, EMIT))
    status = job.wait(timeout=60, on_update=lambda s: seen.append((s.done, s.total)))
    assert status.state == "done" and status.returncode == 0 and status.error == ""
    assert (status.stage, status.done, status.total, status.fraction) == ("work", 3, 3, 1.0)
    assert status.result == {"out": "somewhere", "rendered": 3}
    assert all(d <= t for d, t in seen)
    log = (tmp_path / "logs" / "test.log").read_text()
    assert '"event": "progress"' in log and "a plain line for people" in log and "done (exit 0)" in log
    assert f"=== cwd {tmp_path}" in log


def test_error_event_is_the_message(tmp_path):
    status = jobs.start(spec(tmp_path, FAIL_WITH_EVENT)).wait(timeout=60)
    assert status.state == "failed" and status.returncode == 2
    assert status.error.startswith("Test Job bad input: --data: folder not found (log: ")
    assert str(tmp_path / "logs" / "test.log") in status.error


def test_crash_without_event_names_the_last_line(tmp_path):
    status = jobs.start(spec(tmp_path, CRASH)).wait(timeout=60)
    assert status.state == "failed" and status.returncode == 1
    assert "RuntimeError: boom in the middle" in status.error and "(log: " in status.error


def test_missing_interpreter_fails_cleanly(tmp_path):
    s = spec(tmp_path, "")
    s.argv = [str(tmp_path / "no_python"), "-c", "pass"]
    status = jobs.start(s).poll()
    assert status.state == "failed" and "cannot start" in status.error


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped by its parent) counts as gone
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


@pytest.mark.skipif(os.name != "posix", reason="process groups are POSIX")
def test_cancel_stops_the_whole_process_group(tmp_path):
    job = jobs.start(spec(tmp_path, SPAWN_AND_SLEEP))
    deadline = time.monotonic() + 30
    while "child" not in job.poll().message and time.monotonic() < deadline:
        time.sleep(0.05)
    child = int(job.status.message.split()[-1])
    assert _alive(child)
    job.cancel()
    status = job.wait(timeout=30)
    assert status.state == "cancelled" and status.error == "cancelled"
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "the grandchild survived the cancel"
    assert "cancelled" in (tmp_path / "logs" / "test.log").read_text()


def test_registry_allows_one_job_per_kind(tmp_path):
    registry = jobs.JobRegistry()
    first = registry.add(jobs.Job(spec(tmp_path, SPAWN_AND_SLEEP, kind="render")).start())
    try:
        with pytest.raises(RuntimeError, match="a render job is already running"):
            registry.add(jobs.Job(spec(tmp_path, EMIT, kind="render")))
        registry.add(jobs.Job(spec(tmp_path, EMIT, kind="other")).start()).wait(timeout=60)
    finally:
        registry.cancel_all()
    assert first.wait(timeout=30).state == "cancelled"
    assert registry.add(jobs.Job(spec(tmp_path, EMIT, kind="render")).start()).wait(timeout=60).state == "done"


def test_synthetic_render_usage_error_through_the_runner(tmp_path):
    """The real CLI, failing on bad input: exit 2 and its JSON error line become the job's error."""
    s = jobs.JobSpec(kind="render", argv=[sys.executable, "-m", "synthetic", "render", "--identities", "0", "--out",
                                          str(tmp_path / "ds"), "--progress", "json"],
                     cwd=str(ROOT), log_path=str(tmp_path / "render.log"), title="Render Dataset")  # fmt: skip
    status = jobs.start(s).wait(timeout=120)
    assert status.state == "failed" and status.returncode == 2
    assert "--identities must be at least 1" in status.error
