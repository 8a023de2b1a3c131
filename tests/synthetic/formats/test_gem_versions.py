"""``.gem`` format versions: float16 bases (2), 8-bit quantised storage (3), files written by older SynthHeads
(tests/synthetic/formats/data, written by the version 2 writer) and the refusal of versions newer than the reader."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_gem import arrays_of, make_gem, orthonormal_rows, save_arrays

from synthetic.errors import UserInputError
from synthetic.formats import gem as gem_format
from synthetic.formats.gem import DIMS, MODALITIES, GemModality, GemModel, read_gem, write_gem

DATA = Path(__file__).parent / "data"
GEM_COUNTS = {"position": 50, "rotation": 40, "scale": 40, "opacity": 50}
PAPER_BYTES_PER_GAUSSIAN = {10: 7e6 / 128**2, 30: 20e6 / 128**2, 50: 34e6 / 128**2}
"""GEM (Zielonka et al., CVPR 2025) Table 4 at a 128^2 map, MB read as 10^6 bytes."""


def test_compact_float16_file(tmp_path):
    """precision="float16": version 2, float16 bases with per-row scales, about half the bytes, decode
    within float16's relative precision of the largest basis entry; float32 files stay version 1."""
    model = make_gem(n=400, counts={"position": 6, "rotation": 4, "scale": 3, "opacity": 0})
    full = write_gem(tmp_path / "full.gem", model, compress=False)
    small = write_gem(tmp_path / "small.gem", model, compress=False, precision="float16")
    raw = arrays_of(small)
    assert int(raw["version"]) == 2 and int(arrays_of(full)["version"]) == 1
    assert raw["position_basis"].dtype == np.float16 and raw["position_basis_scale"].shape == (6,)
    assert raw["opacity_basis"].shape == (0, 400) and raw["position_mean"].dtype == np.float32
    basis_bytes = sum(model.modality(m).basis.nbytes for m in MODALITIES)
    assert full.stat().st_size - small.stat().st_size > 0.45 * basis_bytes
    back = read_gem(small)
    for m in MODALITIES:
        b, b16 = model.modality(m).basis, back.modality(m).basis
        assert b16.dtype == np.float32 and b16.shape == b.shape
        if b.size:
            assert np.abs(b16 - b).max() <= 2.0**-11 * np.abs(b).max() * 1.01
        np.testing.assert_array_equal(back.modality(m).mean, model.modality(m).mean)
    c = model.random_coefficients(np.random.default_rng(1), scale=3.0)
    np.testing.assert_allclose(back.decode(c).means, model.decode(c).means, atol=1e-4)
    with pytest.raises(ValueError, match="precision 'float8'"):
        write_gem(tmp_path / "x.gem", model, precision="float8")


def step(raw: dict, key: str) -> np.ndarray:
    """The quantisation step of a version 3 array: its ``_scale`` array."""
    return raw[f"{key}_scale"].astype(np.float64)


def test_uint8_file_round_trip_error_per_modality(tmp_path):
    """precision="uint8" with GEM's 50/40/40/50 components: version 3 storage, and each modality within its
    quantisation bound: means and colour within half a step of their channel; basis rows (orthonormalised on
    read) within 1.5 half-steps of the row's largest channel step, orthonormal again; decoded raw values within
    the sum of those bounds."""
    model = make_gem(n=400, counts=GEM_COUNTS, sh_k=4)
    path = write_gem(tmp_path / "q.gem", model, compress=False, precision="uint8")
    raw = arrays_of(path)
    assert int(raw["version"]) == 3 and raw["component_counts"].tolist() == [50, 40, 40, 50]
    assert raw["position_basis"].dtype == np.uint8 and raw["position_basis"].shape == (50, 1200)
    assert raw["rotation_basis_scale"].shape == raw["rotation_basis_offset"].shape == (40, 4)
    assert raw["scale_mean"].dtype == np.uint16 and raw["scale_mean_scale"].shape == (3,)
    assert raw["colour_sh"].dtype == np.uint16 and raw["colour_sh_offset"].shape == (4, 3)
    assert raw["opacity_std"].dtype == np.float32
    back = read_gem(path)
    eps = 1e-6
    sh_err = np.abs(back.colour_sh - model.colour_sh)
    assert np.all(sh_err <= step(raw, "colour_sh") / 2 + eps)
    coeffs = model.random_coefficients(np.random.default_rng(3), scale=2.0)
    want, got = model.decode_raw(coeffs), back.decode_raw(coeffs)
    for m in MODALITIES:
        k, d, n = model.modality(m).n_components, DIMS[m], model.n_gaussians
        mean_err = np.abs(back.modality(m).mean - model.modality(m).mean).reshape(n, d)
        assert np.all(mean_err <= step(raw, f"{m}_mean") / 2 + eps), m
        basis = back.modality(m).basis
        np.testing.assert_allclose(basis @ basis.T, np.eye(k), atol=1e-5)
        row_bound = 1.5 * step(raw, f"{m}_basis").max(axis=1) / 2
        row_err = np.abs(basis - model.modality(m).basis).max(axis=1)
        assert np.all(row_err <= row_bound), (m, (row_err / row_bound).max())
        np.testing.assert_array_equal(back.modality(m).std, model.modality(m).std)
        bound = step(raw, f"{m}_mean").max() / 2 + np.abs(coeffs[m]) @ row_bound + eps
        assert np.abs(got[m] - want[m]).max() <= bound, m
    again = read_gem(write_gem(tmp_path / "again.gem", back))  # a model read from version 3 is a valid float32 GEM
    np.testing.assert_array_equal(again.position.basis, back.position.basis)


def test_uint8_keeps_still_gaussians_still(tmp_path):
    """Zero is a code of every basis channel: a component that moves only some Gaussians leaves the others exactly
    (to the read's re-orthonormalisation, ~1e-3 of the other rows) where they are."""
    model = make_gem(n=400, counts={"position": 3, "rotation": 1, "scale": 1, "opacity": 1})
    basis = np.zeros((3, 1200), np.float32)
    rng = np.random.default_rng(0)
    basis[:, :60] = orthonormal_rows(rng, 3, 60)  # only the first 20 Gaussians move
    model.position = GemModality(model.position.mean, basis, model.position.std)
    raw = arrays_of(write_gem(tmp_path / "z.gem", model, precision="uint8"))
    q = raw["position_basis"].astype(np.float64) * raw["position_basis_scale"].repeat(400, 0).reshape(3, -1)
    dequantised = q + np.repeat(raw["position_basis_offset"][:, None, :], 400, 1).reshape(3, -1)
    assert np.abs(dequantised[:, 60:]).max() < 1e-7
    assert np.abs(read_gem(tmp_path / "z.gem").position.basis[:, 60:]).max() < 1e-3 * np.abs(basis).max()


@pytest.mark.parametrize("k", [10, 50])
def test_uint8_file_is_at_most_half_the_papers_bytes_per_gaussian(tmp_path, k):
    """A real uncompressed version 3 file at a 128^2 map (GEM's Table 4 Gaussian count), SH degree 0 colour."""
    n = 128 * 128
    rng = np.random.default_rng(k)
    mods = {m: GemModality((rng.standard_normal(n * DIMS[m]) * 0.1).astype(np.float32),
                           orthonormal_rows(rng, k, n * DIMS[m]), np.ones(k, np.float32))
            for m in MODALITIES}  # fmt: skip
    model = GemModel(**mods, colour_sh=(rng.standard_normal((n, 1, 3)) * 0.3).astype(np.float32))
    size = write_gem(tmp_path / "big.gem", model, compress=False, precision="uint8").stat().st_size
    assert size / n <= 0.5 * PAPER_BYTES_PER_GAUSSIAN[k], (size / n, PAPER_BYTES_PER_GAUSSIAN[k])


def test_files_of_older_versions_still_read():
    """gem_v1.gem and gem_v2.gem were written by the version 2 writer (make_gem(n=20, counts 5/3/2/0))."""
    model = make_gem(n=20, counts={"position": 5, "rotation": 3, "scale": 2, "opacity": 0})
    for name, atol in (("gem_v1.gem", 1e-6), ("gem_v2.gem", 2.0**-11)):
        assert int(arrays_of(DATA / name)["version"]) == int(name[5])
        back = read_gem(DATA / name)
        assert back.component_counts == {"position": 5, "rotation": 3, "scale": 2, "opacity": 0}
        assert back.metadata["created_by"].startswith("synthetic.formats.gem")
        for m in MODALITIES:
            np.testing.assert_allclose(back.modality(m).basis, model.modality(m).basis, atol=atol)
            np.testing.assert_allclose(back.modality(m).mean, model.modality(m).mean, atol=1e-6)
        np.testing.assert_allclose(back.colour_sh, model.colour_sh, atol=1e-6)


def test_versions_newer_than_the_reader_are_refused_with_one_line(tmp_path, monkeypatch):
    """The newest reader refuses version 4; a reader that knows only 1 and 2 (the previous SynthHeads) refuses a
    real version 3 file with the same one line."""
    arrays = make_gem().arrays("uint8")
    save_arrays(tmp_path / "v4.gem", {**arrays, "version": np.array(4)})
    with pytest.raises(UserInputError) as info:
        read_gem(tmp_path / "v4.gem")
    assert str(info.value) == (f"{tmp_path / 'v4.gem'}: format version 4, this reader knows versions 1, 2 and 3 "
                               "(newer than this reader: update SynthHeads)")  # fmt: skip
    path = write_gem(tmp_path / "v3.gem", make_gem(), precision="uint8")
    monkeypatch.setattr(gem_format, "READABLE_VERSIONS", (1, 2))
    monkeypatch.setattr(gem_format, "FORMAT_VERSION", 2)
    with pytest.raises(UserInputError) as info:
        read_gem(path)
    assert str(info.value) == (f"{path}: format version 3, this reader knows versions 1 and 2 (newer than this "
                               "reader: update SynthHeads)")  # fmt: skip


def test_compact_files_are_checked(tmp_path):
    arrays = make_gem().arrays("float16")
    save_arrays(tmp_path / "v1.gem", {**arrays, "version": np.array(1)})
    with pytest.raises(UserInputError, match="'position_basis_scale' is a version 2 array"):
        read_gem(tmp_path / "v1.gem")
    save_arrays(tmp_path / "neg.gem", {**arrays, "scale_basis_scale": -arrays["scale_basis_scale"]})
    with pytest.raises(UserInputError, match="'scale_basis_scale' must be 2 positive finite floats"):
        read_gem(tmp_path / "neg.gem")
    save_arrays(tmp_path / "v2.gem", {**arrays, "colour_sh_offset": np.zeros((4, 3), np.float32)})
    with pytest.raises(UserInputError, match="'colour_sh_offset' is a version 3 array, the file says version 2"):
        read_gem(tmp_path / "v2.gem")


@pytest.mark.parametrize("change, message", [
    ({"version": np.array(2)}, r"'position_mean' must hold floats, found dtype uint16"),
    ({"scale_basis": np.zeros((2, 150), np.float32)}, r"'scale_basis' must hold uint8, found dtype float32"),
    ({"colour_sh": np.zeros((50, 4, 3), np.float32)}, r"'colour_sh' must hold uint16, found dtype float32"),
    ({"rotation_basis_scale": np.ones((3, 3), np.float32)}, r"'rotation_basis_scale' must be finite floats of "
                                                            r"shape \(3, 4\)"),
    ({"opacity_mean_offset": np.array([np.nan], np.float32)}, r"'opacity_mean_offset' must be finite floats"),
    ({"position_basis_scale": np.full((5, 3), -1e-3, np.float32)}, r"'position_basis_scale' has negative scales"),
    ({"position_basis_scale": np.full((5, 3), 0.5, np.float32)}, r"rows of 'position_basis' are not orthonormal"),
])  # fmt: skip
def test_broken_uint8_files_are_refused_with_the_reason(tmp_path, change, message):
    save_arrays(tmp_path / "bad.gem", {**make_gem().arrays("uint8"), **change})
    with pytest.raises(UserInputError, match=message):
        read_gem(tmp_path / "bad.gem")
    arrays = make_gem().arrays("uint8")
    del arrays["colour_sh_offset"]
    save_arrays(tmp_path / "missing.gem", arrays)
    with pytest.raises(UserInputError, match=r"version 3 file is missing array\(s\) colour_sh_offset"):
        read_gem(tmp_path / "missing.gem")
