"""Blender 5.3: a GEM imported as native Gaussian splats, driven by its sliders and keys, and PLY both ways."""

from __future__ import annotations

import numpy as np
import pytest
from _addon_gem_fixture import random_sequence
from _addon_harness import BLENDERS, run_scenario

from synthetic.formats.gem import read_gem, write_gem

GN_COMPONENTS = 2
FRAMES, FPS, FRAME_START = 6, 24.0, 3
CHECK_FRAMES = [0, 4]


@pytest.fixture(scope="module")
def sequence(gem):
    return random_sequence(gem, {"position": gem.position.n_components, "rotation": 2, "scale": 1, "opacity": 2},
                           FRAMES)  # fmt: skip


def frame_coefficients(gem, sequence, f: int) -> dict[str, np.ndarray]:
    """What Blender plays at sequence frame ``f``: the file's row, zero past the node inputs."""
    out = {}
    for m in ("position", "rotation", "scale", "opacity"):
        c = np.zeros(gem.modality(m).n_components)
        row = sequence[m][f]
        k = len(row) if m == "position" else min(len(row), GN_COMPONENTS)
        c[:k] = row[:k]
        out[m] = c
    return out


@pytest.fixture(scope="module")
def run(addon_zip, tmp_path_factory, gem, sequence):
    if not BLENDERS["5.3"].is_file():
        pytest.skip(f"Blender 5.3: no interpreter at {BLENDERS['5.3']} (tools/bootstrap.sh makes .venv-blender)")
    import torch

    from backend.gem.decode import TorchGem
    from backend.io import write_ply

    work = tmp_path_factory.mktemp("gem_splats")
    write_gem(work / "demo.gem", gem, precision="uint8")  # the compact format distill-gem writes by default
    np.savez(work / "seq.npz", **sequence, fps=np.array(FPS))
    # the backend's PLY of the last check frame, written as `render --gem --ply` writes it (from the same file)
    tg = TorchGem.from_model(read_gem(work / "demo.gem"))
    coeffs = frame_coefficients(gem, sequence, CHECK_FRAMES[-1])
    with torch.no_grad():
        decoded = tg.decode({m: torch.as_tensor(c[None], dtype=torch.float32) for m, c in coeffs.items()})
        write_ply(work / "backend.ply", tg.gaussian_set(decoded))
    report = run_scenario("gem_splats", work, blender="5.3", zip=str(addon_zip), gem=str(work / "demo.gem"),
                          gn_components=GN_COMPONENTS, frame_start=FRAME_START, sequence=str(work / "seq.npz"),
                          check_frames=CHECK_FRAMES, backend_ply=str(work / "backend.ply"), n_frames=FRAMES)  # fmt: skip
    return report, work


def test_one_object_with_native_splats(run, gem):
    report, work = run
    with np.load(work / "demo.gem") as raw:
        assert int(raw["version"]) == 3  # the compact file imports like the float32 one
    obj = report["object"]
    assert obj["info"]["display"] == "SPLATS"  # the automatic choice in Blender 5.3
    assert obj["type"] == "MESH" and obj["modifiers"] == [["NODES", "SynthHeads GEM"]] and obj["materials"] == 0
    assert {"GeometryNodeMeshToPoints", "GeometryNodePointsSetType"} <= set(report["nodes"])
    assert "GeometryNodeInstanceOnPoints" not in report["nodes"]
    c = report["gn_mean"]
    assert (c["type"], c["count"]) == ("GAUSSIAN_SPLAT", gem.n_gaussians)
    types = report["types"]
    assert types["rotation"] == "QUATERNION" and types["scale"] == "FLOAT_VECTOR"
    assert types["radiance:base"] in ("FLOAT4", "FLOAT_COLOR")
    assert {f"radiance:sh_{j}" for j in range(gem.colour_sh.shape[1] - 1)} <= set(types)  # SH degree as stored


def test_sliders_span_three_sigma(run, gem):
    gn = {name: (lo, hi) for name, lo, hi in run[0]["gn_inputs"]}
    assert set(gn) == {f"{m} {k:02d}" for m in ("Rotation", "Scale", "Opacity") for k in range(GN_COMPONENTS)}
    assert gn["Scale 01"][1] == pytest.approx(3 * gem.scale.std[1], rel=1e-6)
    assert gn["Opacity 00"][0] == pytest.approx(-3 * gem.opacity.std[0], rel=1e-6)


def _matches(c: dict) -> None:
    assert c["position_err"] < 1e-5 and c["scale_rel_err"] < 1e-5 and c["rotation_err"] < 1e-5, c
    assert c["opacity_err"] < 1e-5 and c["dc_err"] < 1e-6 and c["sh_err"] < 1e-6, c


def test_evaluated_splats_equal_the_numpy_decode(run):
    report, _ = run
    for case in ("gn_mean", "gn_random"):
        _matches(report[case])


def test_a_slider_moves_the_splats(run):
    slider = run[0]["slider"]
    assert slider["moved"] > 1e-3
    _matches(slider["compare"])


def test_keyed_sequence_plays_on_the_splats(run, gem, sequence):
    frames = run[0]["frames"]
    for f in CHECK_FRAMES:
        want = frame_coefficients(gem, sequence, f)
        got = frames[str(f)]
        for m, c in want.items():
            np.testing.assert_allclose(got["coefficients"][m], c, rtol=1e-5, atol=1e-6)
        _matches(got["compare"])


@pytest.mark.parametrize("source", ["addon", "backend"])
def test_ply_imports_as_the_same_native_splats(run, gem, source):
    """The add-on's Export PLY of the animated frame and the backend's PLY of that frame, read by Blender's
    own PLY importer, give the splats the GEM object evaluates to at that frame."""
    c = run[0]["ply_import"][source]
    assert (c["objects"], c["object_type"], c["type"], c["count"]) == (1, "POINTCLOUD", "GAUSSIAN_SPLAT",
                                                                      gem.n_gaussians), c  # fmt: skip
    assert c["matrix_is_identity"], c
    assert c["sh_names"] == [f"radiance:sh_{j}" for j in range(gem.colour_sh.shape[1] - 1)]
    assert c["position_err"] < 1e-6 and c["scale_rel_err"] < 1e-5 and c["rotation_err"] < 1e-5, c
    assert c["base_err"] < 1e-5 and c["sh_err"] < 1e-6, c


def test_cycles_renders_the_splats(run):
    stats = run[0]["render"]
    assert stats["coverage"] > 0.08 and stats["rgb_std"] > 0.03, stats
