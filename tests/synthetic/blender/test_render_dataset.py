"""End to end: `python -m synthetic render` with real bpy and Cycles at a tiny size, then
`python -m synthetic validate`; resume, shards, refusal to overwrite, and a failing identity."""

import json
import os
import sys

import numpy as np
import pytest
from _cli import ROOT, synthetic_cli

TINY = ["--resolution", "64x48", "--samples", "4", "--cameras", "cam_00,cam_05,cam_09,cam_20",
        "--texture-size", "128", "--hair-quality", "preview", "--device", "cpu"]  # fmt: skip


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("ds") / "data"
    synthetic_cli("render", "--identities", 2, "--frames", 2, "--out", out, *TINY)
    return out


def test_render_writes_a_valid_dataset(dataset):
    proc = synthetic_cli("validate", dataset)
    assert "valid, 2 complete identities" in proc.stdout + proc.stderr
    from synthetic.dataset import Dataset

    ds = Dataset(dataset)
    assert ds.identities == [0, 1]
    ident = ds.identity(0)
    assert ident.n_frames == 2 and len(ident.cameras) == 4
    img = ident.image(1, "cam_05")
    assert img.shape == (48, 64, 4)
    alpha = img[..., 3]
    assert 0.05 < (alpha > 0.5).mean() < 0.9, "the head should fill part of the frame"
    rgb = img[..., :3][alpha > 0.5]
    assert 0.05 < rgb.mean() < 0.95 and rgb.std() > 0.02, "foreground must be lit, not black, white or flat"
    # frame 1 is a performance frame: it differs from the neutral frame 0
    assert np.abs(ident.image(0, "cam_05") - img).mean() > 1e-3
    # with only 2 frames, frame 1 is taken from the middle of the performance, not its near-neutral start
    assert np.abs(ident.frame(1).expression).max() > 0.05
    # frame 0 is neutral but for the eyelids, which rest where this identity's do (identity.json: eyelids.rest)
    rest = json.loads((dataset / "id_00000" / "identity.json").read_text())["eyelids"]["rest"]
    e0 = np.asarray(ident.frame(0).expression)
    assert rest > 0 and np.allclose(np.sort(e0[e0 != 0]), rest, atol=1e-6) and np.count_nonzero(e0) == 2
    # two identities are different people (different seeds, shapes, textures)
    other = ds.identity(1)
    assert ident.seed != other.seed and not np.allclose(ident.shape, other.shape)
    tex = ident.texture("backprojected.png")
    mask = ident.texture("backprojected_mask.png")
    assert tex.shape[:2] == (128, 128) and mask.mean() > 0.02
    params = json.loads((dataset / "id_00000" / "identity.json").read_text())
    assert {"lighting", "hair", "skin", "seed", "proxy_offsets_m"} <= params.keys()
    from synthetic.head import HeadModel

    offsets = np.asarray(params["proxy_offsets_m"])
    assert offsets.shape == (HeadModel.load().n_vertices,) and offsets.min() >= 0


def test_resume_skips_complete_identities_and_refuses_overwrite(dataset):
    refused = synthetic_cli("render", "--identities", 2, "--frames", 2, "--out", dataset, *TINY, check=False)
    assert refused.returncode == 2 and "--resume" in refused.stderr
    stamp = (dataset / "id_00000" / "done.json").stat().st_mtime_ns
    resumed = synthetic_cli("render", "--identities", 2, "--frames", 2, "--out", dataset, "--resume", *TINY)
    assert "rendering 0 of 2" in resumed.stderr
    assert (dataset / "id_00000" / "done.json").stat().st_mtime_ns == stamp


def test_different_settings_are_refused(dataset):
    proc = synthetic_cli("render", "--identities", 2, "--frames", 3, "--out", dataset, "--resume", *TINY, check=False)
    assert proc.returncode == 2 and "dataset.json" in proc.stderr and "frames_per_identity" in proc.stderr


def test_a_dataset_grows_by_the_new_identities_only(dataset, tmp_path):
    """--resume with a larger --identities renders only the new ones; the old ones are left as they were."""
    import shutil

    out = tmp_path / "data"
    shutil.copytree(dataset, out)
    stamp = (out / "id_00001" / "done.json").stat().st_mtime_ns
    proc = synthetic_cli("render", "--identities", 3, "--frames", 2, "--out", out, "--resume", *TINY)
    assert "rendering 1 of 3" in proc.stderr and "identity 2 done" in proc.stderr
    assert (out / "id_00001" / "done.json").stat().st_mtime_ns == stamp
    assert json.loads((out / "dataset.json").read_text())["n_identities"] == 3
    assert "valid, 3 complete identities" in (lambda p: p.stdout + p.stderr)(synthetic_cli("validate", out))


def test_a_failing_identity_is_reported_and_the_rest_continue(tmp_path):
    out = tmp_path / "data"
    out.mkdir()
    (out / "id_00000").write_text("a file where the identity folder should be")  # identity 0 cannot be written
    proc = synthetic_cli("render", "--identities", 2, "--frames", 1, "--out", out, "--shard", "0/1", *TINY,
                         check=False)  # fmt: skip
    assert proc.returncode == 1
    assert "identity 0" in proc.stderr and "1 of 2 identities failed" in proc.stderr
    assert (out / "id_00001" / "done.json").is_file()
    assert (out / "id_00000").read_text().startswith("a file")  # nothing already there was clobbered


def test_two_workers_render_the_same_dataset_side_by_side(dataset, tmp_path):
    """--workers 2: two Blender processes (one Cycles thread each on 2 cores) share one queue of identities, each
    rendering those it claims first, each with its own log; every identity is rendered once, the claims are
    cleaned up, and the images match the one-worker dataset's (Cycles' sampling does not depend on threads)."""
    out = tmp_path / "data"
    proc = synthetic_cli("render", "--identities", 2, "--frames", 2, "--out", out, "--workers", 2, *TINY)
    assert proc.stderr.count("identity 0 done") == 1 and proc.stderr.count("identity 1 done") == 1
    logs = sorted(p.name for p in (out / "logs").glob("*.log"))
    assert logs == ["render_shard-0-of-1_worker-0-of-2.log", "render_shard-0-of-1_worker-1-of-2.log"]
    texts = [(out / "logs" / name).read_text() for name in logs]
    assert all("identities [0, 1]" in t for t in texts)  # one shared queue
    assert sorted(i for t in texts for i in (0, 1) if f"synthheads worker: identity {i}\n" in t) == [0, 1]
    assert [p.name for p in (out / "logs").iterdir() if p.is_dir()] == []  # the queue's claims are gone
    from synthetic.dataset import Dataset

    one, two = Dataset(dataset), Dataset(out)
    assert two.identities == [0, 1]
    for i in (0, 1):
        for cam in ("cam_00", "cam_20"):
            a, b = one.identity(i).image(1, cam), two.identity(i).image(1, cam)
            assert np.abs(a - b).mean() < 2 / 255, (i, cam)


def test_bad_arguments_exit_2_with_one_line(tmp_path):
    for args, words in [
        (["--identities", 1, "--out", tmp_path / "x", "--resolution", "big"], "resolution"),
        (["--identities", 1, "--out", tmp_path / "x", "--shard", "3/2"], "shard"),
        (["--identities", 1, "--out", tmp_path / "x", "--cameras", "cam_99"], "cam_99"),
        (["--identities", 1, "--out", tmp_path / "x", "--hair-lod", "-1"], "--hair-lod"),
        (["--identities", 1, "--out", tmp_path / "x", "--workers", "0"], "--workers"),
    ]:
        proc = synthetic_cli("render", *args, check=False)
        assert proc.returncode == 2, proc.stderr
        assert words in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def _worker_blender(log_dir) -> str:
    return next(line for p in sorted(log_dir.glob("*.log")) for line in p.read_text().splitlines()
                if line.startswith("synthheads worker: Blender "))  # fmt: skip


def test_the_worker_runs_in_blender_53_when_set_up(dataset):
    """With .venv-blender (tools/bootstrap.sh) the worker is Blender 5.3's Python (bpy 5.3.0, Python 3.13)."""
    from synthetic.render_job import default_blender

    line = _worker_blender(dataset / "logs")
    if default_blender() == sys.executable:
        pytest.skip("no .venv-blender: the worker ran in this Python's bpy")
    assert line.startswith("synthheads worker: Blender 5.3.") and "Python 3.13" in line, line


def test_blender_option_picks_the_interpreter(tmp_path):
    """--blender PYTHON renders with that Python's bpy (here the .venv's bpy 5.0.1, the older Blender)."""
    out = tmp_path / "data"
    synthetic_cli("render", "--identities", 1, "--frames", 1, "--out", out, *TINY, "--cameras", "cam_05",
                  "--blender", sys.executable)  # fmt: skip
    assert "valid, 1 complete" in (lambda p: p.stdout + p.stderr)(synthetic_cli("validate", out))
    import bpy

    assert _worker_blender(out / "logs").startswith(f"synthheads worker: Blender {bpy.app.version_string}")
    proc = synthetic_cli("render", "--identities", 1, "--frames", 1, "--out", tmp_path / "x", *TINY,
                         "--blender", tmp_path / "no-such-python", check=False)  # fmt: skip
    assert proc.returncode == 2 and "--blender" in proc.stderr and "no-such-python" in proc.stderr, proc.stderr


def test_a_blender_executable_gets_blenders_command_line(tmp_path):
    from synthetic.render_job import worker_command

    cmd, env = worker_command("/opt/blender-5.3/blender", tmp_path / "job.json", 7)
    assert cmd[:5] == ["/opt/blender-5.3/blender", "--background", "--factory-startup", "--python-exit-code", "1"]
    assert cmd[5] == "--python-expr" and "synthetic.blender.worker" in cmd[6]
    assert cmd[7:] == ["--", "--job", str(tmp_path / "job.json"), "--events-fd", "7"]
    assert env["PYTHONPATH"].split(os.pathsep)[0] == str(ROOT)


STAND_IN = """#!{python}
# A stand-in for a Blender executable: Blender's documented command line (options, then '--', then
# the script's own arguments), run by a Python whose bpy is Blender. No Blender binary can be
# installed on the test machine; this checks everything on our side of that command line.
import sys
args = sys.argv[1:]
assert args[:2] == ["--background", "--factory-startup"], args
assert args[2:4] == ["--python-exit-code", "1"], args
expr = args[args.index("--python-expr") + 1]
sys.argv = [sys.argv[0], *args]  # Blender keeps its whole command line in sys.argv
try:
    exec(compile(expr, "<python-expr>", "exec"), {{"__name__": "__main__"}})
except SystemExit:
    raise
except BaseException:
    import traceback
    traceback.print_exc()
    sys.exit(1)  # --python-exit-code 1
"""


def test_a_blender_executable_renders_a_dataset_end_to_end(tmp_path):
    """--blender PATH/blender: the worker starts through Blender's command line and renders."""
    from synthetic.render_job import default_blender

    exe = tmp_path / "bin" / "blender"
    exe.parent.mkdir()
    exe.write_text(STAND_IN.format(python=default_blender()))
    exe.chmod(0o755)
    out = tmp_path / "data"
    synthetic_cli("render", "--identities", 1, "--frames", 1, "--out", out, *TINY, "--cameras", "cam_05",
                  "--blender", exe)  # fmt: skip
    assert "valid, 1 complete" in (lambda p: p.stdout + p.stderr)(synthetic_cli("validate", out))
    assert _worker_blender(out / "logs").startswith("synthheads worker: Blender ")
