"""distill-gem / render --gem / drive-gem command lines: files written, PLY readable, bad input exits 2."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from backend.cli import main
from backend.io import read_ply
from synthetic.formats.gem import read_gem, write_gem


@pytest.fixture(scope="module")
def gem_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("gem") / "tiny.gem"
    rc = main(["distill-gem", "--avatar", "mesh", "--gaussians", "500", "--components", "6", "--expressions", "12",
               "--heldout", "3", "--refine-steps", "2", "--qr-every", "1", "--resolution", "40x32",
               "--eval-frames", "2", "--out", str(out), "--progress", "json"])  # fmt: skip
    assert rc == 0
    return out


def test_distill_writes_gem_sheet_and_summary(gem_file):
    with np.load(gem_file) as raw:
        assert int(raw["version"]) == 3 and raw["position_basis"].dtype == np.uint8  # the compact default
    model = read_gem(gem_file)
    assert model.n_gaussians == 500 and model.component_counts["position"] == 6
    assert "psnr_before_refine" in model.metadata and model.metadata["psnr"] > 20
    sheet = np.asarray(Image.open(gem_file.with_suffix(".png")))
    assert sheet.shape[0] > 128 * 4 and sheet.std() > 10  # teacher, GEM and 3 sweep rows; not blank
    summary = json.loads(gem_file.with_suffix(".json").read_text())
    assert summary["psnr_after"]["heldout"] > 20


def test_render_coefficients_and_ply(gem_file, tmp_path):
    seq = np.zeros((3, 6), np.float32)
    seq[1, 0], seq[2, 0] = 0.05, -0.05
    np.save(tmp_path / "seq.npy", seq)
    out = tmp_path / "frames"
    rc = main(["render", "--gem", str(gem_file), "--coefficients", str(tmp_path / "seq.npy"), "--out", str(out),
               "--width", "64", "--height", "48", "--ply", str(tmp_path / "f.ply"), "--ply-frame", "1",
               "--progress", "none"])  # fmt: skip
    assert rc == 0
    frames = [np.asarray(Image.open(out / f"frame_{i:04d}.png")) for i in range(3)]
    assert all(f.shape == (48, 64, 3) and f.min() < 200 for f in frames)  # a head on white, not blank
    assert (out / "video.mp4").exists() or (out / "video.gif").exists()
    g = read_ply(tmp_path / "f.ply")
    model = read_gem(gem_file)
    assert len(g) == model.n_gaussians
    ref = model.decode({"position": seq[1]})
    np.testing.assert_allclose(g.means.numpy(), ref.means, atol=1e-5)


def test_render_json_coefficients_and_sweep(gem_file, tmp_path):
    (tmp_path / "c.json").write_text(json.dumps({"position": [[0.0], [0.01]], "opacity": [[0.0, 0.1]]}))
    assert main(["render", "--gem", str(gem_file), "--coefficients", str(tmp_path / "c.json"), "--out",
                 str(tmp_path / "j"), "--width", "32", "--height", "32", "--progress", "none"]) == 0  # fmt: skip
    assert len(list((tmp_path / "j").glob("frame_*.png"))) == 2
    assert main(["render", "--gem", str(gem_file), "--sweep", "2", "--out", str(tmp_path / "s"), "--width", "32",
                 "--height", "32", "--progress", "none"]) == 0  # fmt: skip
    assert len(list((tmp_path / "s").glob("frame_*.png"))) == 25


def test_corrupt_gem_exits_2(gem_file, tmp_path, capsys):
    bad = tmp_path / "bad.gem"
    bad.write_bytes(gem_file.read_bytes()[:2000])  # truncated archive
    assert main(["render", "--gem", str(bad), "--sweep", "--out", str(tmp_path / "o")]) == 2
    assert str(bad) in capsys.readouterr().err
    model = read_gem(gem_file)
    model.position.basis[0] *= 2.0  # no longer orthonormal: write_gem refuses, so patch the archive by hand
    arrays = model.arrays()
    with open(tmp_path / "nonortho.gem", "wb") as f:
        np.savez(f, **arrays)
    assert main(["render", "--gem", str(tmp_path / "nonortho.gem"), "--sweep", "--out", str(tmp_path / "o")]) == 2
    assert "orthonormal" in capsys.readouterr().err


def test_bad_coefficients_exit_2(gem_file, tmp_path, capsys):
    np.save(tmp_path / "wide.npy", np.zeros((2, 99)))
    assert main(["render", "--gem", str(gem_file), "--coefficients", str(tmp_path / "wide.npy"), "--out",
                 str(tmp_path / "o")]) == 2  # fmt: skip
    assert "wide.npy" in capsys.readouterr().err


def test_gem_file_round_trip_exact(gem_file, tmp_path):
    model = read_gem(gem_file)
    again = read_gem(write_gem(tmp_path / "again.gem", model))
    for k, a in model.arrays().items():
        np.testing.assert_array_equal(again.arrays()[k], a)


def test_render_npz_sequence_with_fps(gem_file, tmp_path):
    """The add-on's sequence files render in the backend too (one reader: synthetic.formats.coefficients)."""
    np.savez(tmp_path / "seq.npz", position=np.array([[0.0, 0.01], [0.02, 0.0], [0.0, 0.0]]), fps=np.array(5.0))
    assert main(["render", "--gem", str(gem_file), "--coefficients", str(tmp_path / "seq.npz"), "--out",
                 str(tmp_path / "n"), "--width", "32", "--height", "32", "--progress", "none"]) == 0  # fmt: skip
    assert len(list((tmp_path / "n").glob("frame_*.png"))) == 3


def test_newer_gem_version_exits_2_with_one_line(gem_file, tmp_path, capsys, monkeypatch):
    """How a reader refuses a file from a newer SynthHeads: this one a version 4 file, and one that knows versions 1
    and 2 (the previous SynthHeads, emulated) the compact version 3 file distill-gem writes by default."""
    arrays = read_gem(gem_file).arrays("uint8")
    with open(tmp_path / "future.gem", "wb") as f:
        np.savez(f, **{**arrays, "version": np.array(4)})
    assert main(["render", "--gem", str(tmp_path / "future.gem"), "--sweep", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "format version 4, this reader knows versions 1, 2 and 3 (newer than this reader" in err[0]
    from synthetic.formats import gem as gem_format

    monkeypatch.setattr(gem_format, "READABLE_VERSIONS", (1, 2))
    monkeypatch.setattr(gem_format, "FORMAT_VERSION", 2)
    assert main(["render", "--gem", str(gem_file), "--sweep", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "format version 3, this reader knows versions 1 and 2 (newer than this reader" in err[0]


@pytest.mark.parametrize("precision, min_psnr, max_size", [("float16", 45, 0.75), ("uint8", 40, 0.5)])
def test_compact_gem_renders_like_the_full_one(gem_file, tmp_path, precision, min_psnr, max_size):
    """The distilled GEM (as read: float32 arrays) written as float32 and at a compact precision: smaller, and the
    renders (8-bit PNG) within a fraction of a grey level."""
    model = read_gem(gem_file)
    paths = {"full": write_gem(tmp_path / "full.gem", model), "small": write_gem(tmp_path / "small.gem", model,
                                                                                 precision=precision)}  # fmt: skip
    assert paths["small"].stat().st_size < max_size * paths["full"].stat().st_size
    frames = {}
    for name, path in paths.items():
        assert main(["render", "--gem", str(path), "--sweep", "2", "--out", str(tmp_path / name), "--width", "48",
                     "--height", "48", "--progress", "none"]) == 0  # fmt: skip
        frames[name] = np.stack([np.asarray(Image.open(p), np.float64)
                                 for p in sorted((tmp_path / name).glob("frame_*.png"))[::6]])  # fmt: skip
    mse = np.mean((frames["full"] - frames["small"]) ** 2)
    assert 10 * np.log10(255.0**2 / max(mse, 1e-12)) > min_psnr


@pytest.mark.parametrize("text, want", [("30", 30), ("position=50,rotation=40,scale=40,opacity=50",
                                                     {"position": 50, "rotation": 40, "scale": 40, "opacity": 50}),
                                        ("position=8", {"position": 8})])  # fmt: skip
def test_per_modality_components(text, want):
    from backend.cli.distill_gem import parse_components

    assert parse_components(text) == want


def test_bad_components_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["distill-gem", "--avatar", "mesh", "--components", "pos=5", "--out", "x.gem"])
    assert exc.value.code == 2 and "MODALITY=K" in capsys.readouterr().err
