"""The job operators in headless Blender: a real tiny dataset render, and failures surfaced as reports."""

from __future__ import annotations

import json
import struct
import sys
import zlib

import pytest
from _addon_harness import ROOT, run_scenario


def _png(path) -> None:
    raw = b"".join(b"\x00" + b"\x80\x40\x20" * 8 for _ in range(8))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))  # fmt: skip


@pytest.fixture(scope="module")
def run(addon_zip, tmp_path_factory, blender):
    work = tmp_path_factory.mktemp("jobs")
    (work / "photos").mkdir()
    for name in ("a.png", "b.png"):
        _png(work / "photos" / name)
    report = run_scenario("jobs", work, blender=blender, zip=str(addon_zip), python=sys.executable, project=str(ROOT),
                          dataset=str(work / "dataset"), photos_dir=str(work / "photos"),
                          photos=["a.png", "b.png"])  # fmt: skip
    return report, work


def test_render_dataset_job_runs_and_keeps_its_log(run):
    report, work = run
    assert report["render_ok_error"] is None
    ok = report["render_ok"]
    assert ok["state"] == "done" and (ok["done"], ok["total"]) == (1, 1) and ok["result"]["rendered"] == 1
    argv = ok["argv"]
    assert argv[:4] == [sys.executable, "-m", "synthetic", "render"] and ok["cwd"] == str(ROOT)
    assert argv[argv.index("--texture-size") + 1] == "256" and argv[argv.index("--cameras") + 1] == "cam_00"
    dataset = work / "dataset"
    assert json.loads((dataset / "dataset.json").read_text())
    assert list(dataset.rglob("*.png")), "the job wrote no image"
    log = report["log_text"]
    assert '"event": "progress"' in log and '"event": "done"' in log and "=== " in log


def test_failures_become_blender_error_reports(run):
    report, _ = run
    bad = report["render_bad_error"]
    assert bad.startswith("Error: Render Dataset bad input: --cameras: unknown camera name(s) ['cam_99']")
    assert "(log: " in bad and report["render_bad_state"] == "failed"
    for key, title in (("train_error", "Train Prior"), ("invert_error", "Invert from Photos"),
                       ("distill_error", "Distill GEM")):  # fmt: skip
        msg = report[key]
        assert msg is not None and msg.startswith(f"Error: {title} ") and "(log: " in msg, msg
        assert "invalid choice" not in msg, f"the backend does not know the {title} command: {msg}"
    assert "not an executable file" in report["no_python_error"]
    assert len(report["photos"]) == 2 and report["photos"][0].endswith("a.png")
    assert len(report["logs"]) == 5  # one kept log per job run


def test_cancel_operator(run):
    report, _ = run
    assert report["cancel_idle"] == ["CANCELLED"]  # nothing running: a warning, no error
    assert report["cancel_running"] == ["FINISHED"] and report["cancelled_state"] == "cancelled"


def test_blender_environment_is_left_alone(run):
    """Importing the bundled core must not redirect Blender's user folders (synthetic.cache_env)."""
    report, work = run
    assert report["environ_changed"] == []
    assert report["blender_user_resources"] == str(work / "user")
