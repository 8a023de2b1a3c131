"""eval-inversion over identities x seeds: mean ± std per (K, split, method), camera order per seed, resuming
finished runs, and one clear line for another evaluation's rows."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
from _prior_fixture import reduced_overrides

from backend.cli import main as backend_main
from backend.invert.eval_run import held_out, markdown, summarise
from backend.invert.evaluate import input_camera_order
from synthetic.errors import UserInputError

QUICK = ["--set", "stage1_min_steps=2", "--set", "stage2_min_steps=2", "--set", "stage1_steps_per_input=1",
         "--set", "stage2_steps_per_input=1"]


def test_summary_is_mean_and_std_over_runs():
    rows = [{"k": 1, "prior": {"novel_views": {"psnr": p, "ssim": 0.5, "lpips": 0.2, "csim": None}}}
            for p in (20.0, 22.0, 24.0)]
    (row,) = summarise(rows, [1], baseline=False)
    assert row["n"] == 3 and row["psnr"] == 22.0 and abs(row["psnr_std"] - np.std([20, 22, 24])) < 1e-9
    assert row["csim"] is None and "22.00 ± 1.63" in markdown([row])


def test_camera_order_front_first_then_spread_and_seeded():
    def cam(yaw_deg):  # a camera 1 m from the origin at yaw (0 = in front, along -Y), looking at the origin
        a = np.radians(yaw_deg)
        c = np.array([np.sin(a), -np.cos(a), 0.0])
        z = -c
        x = np.cross(z, [0, 0, 1.0])
        x /= np.linalg.norm(x)
        R = np.stack([x, np.cross(z, x), z])
        w2c = np.eye(4)
        w2c[:3, :3], w2c[:3, 3] = R, -R @ c
        return w2c

    yaws = [60, 0, 180, -60, 30, 120]
    cams = SimpleNamespace(names=[f"c{y}" for y in yaws], w2c=np.stack([cam(y) for y in yaws]))
    ident = SimpleNamespace(cameras=cams)
    order = input_camera_order(ident, 0)
    assert order[:3] in (["c0", "c60", "c-60"], ["c0", "c-60", "c60"]) and order[-2:] == ["c120", "c180"]
    others = [input_camera_order(ident, s) for s in (1, 2, 3, 4)]
    assert [o[0] for o in others] == ["c30", "c60", "c-60", "c0"]  # seeds start from the next most frontal ones
    assert all(set(o[:4]) == {"c0", "c60", "c-60", "c30"} and o[-2:] == ["c120", "c180"] for o in others)


def test_more_inputs_than_frames_come_from_more_cameras():
    """K above the frame count (the prior preset renders 6 frames) takes the frames again from further cameras; K = 8
    and 13 once ran on the same 6 views as K = 6."""
    from backend.invert.evaluate import split_views

    names = [f"cam_{i:02d}" for i in range(10)]
    frames = [SimpleNamespace(expression=np.eye(6)[i] * (1 + i)) for i in range(6)]
    ident = SimpleNamespace(cameras=SimpleNamespace(names=names, w2c=np.stack([np.eye(4)] * 10)), n_frames=6,
                            frame=lambda f: frames[f], path=SimpleNamespace(name="id_00000"))
    ident.cameras.w2c[:, 2, 3] = np.linspace(1.0, 2.0, 10)  # distinct, all in front
    split = split_views(ident, 8, 3)
    assert len(split["inputs"]) == 8 and len({c for _, c in split["inputs"]}) == 8
    assert sorted({f for f, _ in split["inputs"]}) == list(range(6)) and split["novel_expressions"] == []
    assert {c for _, c in split["novel_views"]} == set(names) - {c for _, c in split["inputs"]}
    assert len(split["novel_views"]) == 6 * 2
    with pytest.raises(UserInputError, match="K=10: id_00000 has 10 cameras"):
        split_views(ident, 10, 3)


def test_held_out_choices():
    ckpt = {"path": "x.pt", "split": {"train": [0, 1], "held-out": [2]}}
    assert held_out(ckpt, [0, 1, 2, 3, 4], "held-out") == [2, 3, 4]
    assert held_out(ckpt, [0, 1, 2, 3], "all") == [2] and held_out(ckpt, [0, 1, 2, 3], "3") == [3]
    with pytest.raises(UserInputError, match="were trained on"):
        held_out(ckpt, [0, 1, 2], "1,2")


def test_eval_inversion_over_seeds_resumes_and_guards_its_rows(prior_dataset, tmp_path, capsys, monkeypatch):
    run = tmp_path / "run"
    args = ["train-prior", "--progress", "none", "--data", str(prior_dataset), "--config", "tiny", "--out", str(run),
            "--steps", "2", "--threads", "1"]
    for o in reduced_overrides(2):
        args += ["--set", o]
    assert backend_main(args) == 0
    out = tmp_path / "eval"
    cmd = ["eval-inversion", "--progress", "none", "--prior", str(run), "--data", str(prior_dataset), "--k", "1",
           "--seeds", "0,1", "--identities", "held-out", "--out", str(out), "--device", "cpu", "--threads", "1", *QUICK]
    assert backend_main(cmd) == 0, capsys.readouterr().err
    result = json.loads((out / "eval_inversion.json").read_text())
    assert [(r["identity"], r["seed"]) for r in result["rows"]] == [(1, 0), (1, 1)]
    nv = [r for r in result["table"] if r["split"] == "novel_views" and r["method"] == "prior"][0]
    assert nv["n"] == 2 and nv["psnr_std"] is not None and 5 < nv["psnr"] < 60
    assert (out / "eval_inversion.png").stat().st_size > 10_000 and "±" in (out / "eval_inversion.md").read_text()
    capsys.readouterr()

    import backend.invert.evaluate as evaluate

    # a sweep of the prior's settings takes the baseline's rows instead of fitting it again
    def no_baseline_fit(*a, **k):
        raise AssertionError("the baseline was fitted again")

    with monkeypatch.context() as m:
        m.setattr(evaluate, "fit_baseline", no_baseline_fit)
        swept = [*cmd[:cmd.index("--out")], "--out", str(tmp_path / "swept"), *cmd[cmd.index("--out") + 2:]]
        assert backend_main([*swept, "--set", "pivot=0.05", "--baseline-from", str(out)]) == 0, capsys.readouterr().err
        rows = json.loads((tmp_path / "swept" / "eval_inversion.json").read_text())["rows"]
        assert [r["baseline"] for r in rows] == [r["baseline"] for r in result["rows"]]
        assert all(r["baseline_from"] == str(out.resolve()) for r in rows)
        capsys.readouterr()
        assert backend_main([*swept, "--set", "lpips=0.3", "--baseline-from", str(out)]) == 2  # another baseline
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "other lpips" in err[0] and "--baseline-from" in err[0]

    def must_not_run(*a, **k):
        raise AssertionError("a finished run was computed again")

    monkeypatch.setattr(evaluate, "evaluate_identity", must_not_run)
    assert backend_main(cmd) == 0  # everything finished: resumed from eval_inversion.rows.json
    assert json.loads((out / "eval_inversion.json").read_text())["rows"] == result["rows"]
    rows_before = (out / "eval_inversion.rows.json").read_text()
    capsys.readouterr()
    assert backend_main([*cmd, "--novel-frames", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "rows of an evaluation with other novel_frames" in err[0]
    assert (out / "eval_inversion.rows.json").read_text() == rows_before
    checkpoint = run / "checkpoints" / "last.pt"
    assert backend_main(["train-prior", "--progress", "none", "--data", str(prior_dataset), "--out", str(run),
                         "--steps", "3", "--resume", "--threads", "1"]) == 0  # other weights at the same path
    capsys.readouterr()
    assert checkpoint.is_file() and backend_main(cmd) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "other prior_sha256" in err[0]


def test_a_k_that_takes_every_frame_is_named():
    """K = 8 and 13 on the prior preset's 6 frames leave no frame for novel expressions; the evaluation says so
    (its rows simply had no such split before) and names the frame count that would score them."""
    from backend.invert.eval_run import unscored_expressions

    assert unscored_expressions({115: 16, 116: 16}, [1, 2, 3, 5, 8, 13], 3) is None
    line = unscored_expressions({115: 6, 116: 16}, [1, 5, 6, 8, 13], 3)
    assert line is not None and "\n" not in line
    assert "K = 6, 8, 13 take every frame" in line and "with 6 frames" in line and "--frames 16" in line
    assert "with 6 / 16 frames" in unscored_expressions({115: 6, 116: 16}, [16], 3)
