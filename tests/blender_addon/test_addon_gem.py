"""Import GEM, its geometry nodes, coefficient sequences and PLY export in headless Blender."""

from __future__ import annotations

import numpy as np
import pytest
from _addon_gem_fixture import BIG_STD_COMPONENT, random_sequence
from _addon_harness import run_scenario

from synthetic.formats.gem import MODALITIES, GemModality, GemModel, write_gem
from synthetic.formats.ply import decode_ply, ply_arrays_to_gaussians

GN_COMPONENTS = 2  # fewer than the rotation components (3): the limit is exercised
FRAMES, FPS = 6, 24.0
CHECK_FRAMES = [0, 4]


@pytest.fixture(scope="module")
def sequence(gem):
    return random_sequence(gem, {"position": gem.position.n_components, "rotation": 3, "scale": 1}, FRAMES)


def shared_gem(gem, k: int = 2) -> GemModel:
    """The first ``k`` components of every modality, driven by one shared coefficient vector."""
    mods = [GemModality(m.mean, m.basis[:k], m.std[:k]) for m in (gem.position, gem.rotation, gem.scale, gem.opacity)]
    return GemModel(*mods, colour_sh=gem.colour_sh, metadata={"shared_coefficients": True}).check()


@pytest.fixture(scope="module")
def run(addon_zip, tmp_path_factory, gem, sequence, blender):
    work = tmp_path_factory.mktemp("gem")
    write_gem(work / "demo.gem", gem)
    np.savez(work / "seq.npz", **sequence, fps=np.array(FPS))
    write_gem(work / "shared.gem", shared_gem(gem), precision="uint8")  # the compact version 3 in every Blender
    (work / "corrupt.gem").write_bytes((work / "demo.gem").read_bytes()[:4000])
    np.save(work / "bad.npy", np.zeros((3, 99)))
    # the ellipsoid path: automatic before Blender 5.3, chosen explicitly in 5.3 (test_addon_gem_splats.py: native)
    display = "AUTO" if blender == "5.0" else "ELLIPSOIDS"
    report = run_scenario("gem", work, blender=blender, display=display, zip=str(addon_zip), gem=str(work / "demo.gem"),
                          gn_components=GN_COMPONENTS,
                          frame_start=3, sequence=str(work / "seq.npz"), check_frames=CHECK_FRAMES,
                          corrupt=str(work / "corrupt.gem"), bad_sequence=str(work / "bad.npy"),
                          shared_gem=str(work / "shared.gem"))  # fmt: skip
    return report, work


def test_point_object_and_attributes(run, gem):
    report, _ = run
    obj = report["object"]
    assert obj["info"]["display"] == "ELLIPSOIDS"
    assert (obj["type"], obj["vertices"], obj["edges"], obj["polygons"]) == ("MESH", gem.n_gaussians, 0, 0)
    assert obj["modifiers"] == [["NODES", "SynthHeads GEM"]]
    assert report["rest_position_err"] == 0.0
    attrs = report["attributes"]
    for name in ("gs_colour", "gs_opacity", "gs_scale", "gs_rotation", "rot_mean_xyz", "scale_mean", "opacity_mean",
                 "rot_00_xyz", "rot_01_w", "scale_00", "opacity_01"):  # fmt: skip
        assert attrs[name]["domain"] == "POINT", name
    assert "rot_02_xyz" not in attrs  # past the node-input limit
    assert attrs["gs_rotation"]["type"] == "QUATERNION" and attrs["gs_colour"]["type"] == "FLOAT_COLOR"
    assert max(report["attribute_err"].values()) == 0.0


def test_sliders_span_three_sigma(run, gem):
    report, _ = run
    keys = report["keys"]
    assert [k[0] for k in keys] == ["Basis", *(f"Pos{k:03d}" for k in range(gem.position.n_components))]
    units = report["object"]["info"]["position_units"]
    for k, (_, lo, hi) in enumerate(keys[1:]):
        std = gem.position.std[k]
        assert hi * units[k] == pytest.approx(3 * std, rel=1e-6) and lo == -hi
    assert units[BIG_STD_COMPONENT] == pytest.approx(5.0) and keys[1 + BIG_STD_COMPONENT][2] == pytest.approx(3.0)
    gn = {name: (lo, hi) for name, kind, lo, hi in report["gn_inputs"] if kind == "NodeSocketFloat"}
    assert set(gn) == {"Ellipsoid Size", "Rotation 00", "Rotation 01", "Scale 00", "Scale 01", "Opacity 00",
                       "Opacity 01"}  # fmt: skip
    assert gn["Rotation 01"][1] == pytest.approx(3 * gem.rotation.std[1], rel=1e-6)
    assert gn["Opacity 00"][0] == pytest.approx(-3 * gem.opacity.std[0], rel=1e-6)
    instancer = {(t, a) for kind, t, a in report["material"] if kind == "ShaderNodeAttribute"}
    assert instancer == {("INSTANCER", "gs_colour"), ("INSTANCER", "gs_opacity")}


def test_geometry_nodes_match_numpy(run, gem):
    report, _ = run
    for case in ("gn_mean", "gn_random"):
        c = report[case]
        assert c["count"] == gem.n_gaussians, case
        assert c["position_err"] < 1e-6 and c["scale_rel_err"] < 1e-5 and c["rotation_err"] < 1e-5, (case, c)
        assert c["opacity_err"] is not None and c["opacity_err"] < 1e-5, (case, c)
    assert report["controls_roundtrip_err"] < 1e-5
    assert any(abs(v) > 1e-3 for v in report["random_op_values"]) and not any(report["zero_op_values"])


def test_shared_coefficients_drive_the_node_inputs(run, gem):
    """shared.gem is a compact version 3 file: the add-on reads it through synthetic.formats.gem like the others."""
    with np.load(run[1] / "shared.gem") as raw:
        assert int(raw["version"]) == 3
    shared = run[0]["shared"]
    assert shared["drivers"] == 6  # rotation, scale, opacity: 2 inputs each, driven by Pos000/Pos001
    c = shared["compare"]
    assert c["count"] == gem.n_gaussians and c["position_err"] < 1e-6, c
    assert c["scale_rel_err"] < 1e-5 and c["rotation_err"] < 1e-5 and c["opacity_err"] < 1e-5, c


def test_sequence_keyframes(run, gem, sequence):
    report, _ = run
    curves = {c["path"]: np.array(c["keys"]) for c in report["fcurves"]}
    units = report["object"]["info"]["position_units"]
    sockets = report["object"]["info"]["sockets"]
    assert len(curves) == gem.position.n_components + sum(len(v) for v in sockets.values())
    frames = 3 + np.arange(FRAMES)
    for k in range(gem.position.n_components):
        keys = curves[f'key_blocks["Pos{k:03d}"].value']
        np.testing.assert_allclose(keys[:, 0], frames)
        np.testing.assert_allclose(keys[:, 1] * units[k], sequence["position"][:, k], rtol=1e-5, atol=1e-6)
    paths = report["gn_paths"]
    rot0 = curves[paths[sockets["rotation"][0]]]
    np.testing.assert_allclose(rot0[:, 1], sequence["rotation"][:, 0], rtol=1e-5)
    opacity0 = curves[paths[sockets["opacity"][0]]]
    assert np.all(opacity0[:, 1] == 0)  # not in the file: keyed at zero
    assert report["frame_end"] >= 3 + FRAMES - 1 and report["fps"] == pytest.approx(FPS)
    for f in CHECK_FRAMES:
        c = report["coefficients_at"][str(f)]
        np.testing.assert_allclose(c["position"], sequence["position"][f], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(c["rotation"][:GN_COMPONENTS], sequence["rotation"][f, :GN_COMPONENTS], rtol=1e-5)
        assert c["rotation"][GN_COMPONENTS:] == [0.0]  # past the node-input limit


def test_exported_ply_is_the_gem_at_that_frame(run, gem):
    report, work = run
    for f in CHECK_FRAMES:
        coeffs = {m: np.array(v) for m, v in report["coefficients_at"][str(f)].items()}
        want = gem.decode(coeffs)
        got = ply_arrays_to_gaussians(decode_ply((work / f"frame_{f}.ply").read_bytes(), f"frame_{f}.ply"))
        np.testing.assert_allclose(got.means, want.means, atol=1e-6)
        np.testing.assert_allclose(got.quats, want.quats, atol=1e-6)
        np.testing.assert_allclose(got.scales, want.scales, rtol=1e-5)
        np.testing.assert_allclose(got.opacities, np.clip(want.opacities, 1e-6, 1 - 1e-6), atol=1e-6)
        np.testing.assert_allclose(got.sh, gem.colour_sh, atol=0)
    a = (work / f"frame_{CHECK_FRAMES[0]}.ply").read_bytes()
    b = (work / f"frame_{CHECK_FRAMES[1]}.ply").read_bytes()
    assert a[:200].startswith(b"ply\nformat binary_little_endian 1.0") and a != b


def test_bad_files_are_reported(run):
    report, work = run
    assert "corrupt.gem: is not a readable .gem archive" in report["errors"]["corrupt"]
    assert "bad.npy: rows have 99 values" in report["errors"]["bad_sequence"]
    assert report["objects_after_errors"] == ["demo"]  # nothing half-imported
    if report["blender_version"] < "5.3":
        assert "native Gaussian splats need Blender 5.3 or newer" in report["errors_splats"]


def test_cycles_render_is_not_blank(run):
    stats = run[0]["render"]
    assert stats["coverage"] > 0.08 and stats["rgb_std"] > 0.03, stats


def test_modalities_constant():
    assert MODALITIES == ("position", "rotation", "scale", "opacity")
