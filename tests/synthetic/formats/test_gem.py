"""The ``.gem`` file format: exact round trips, decoding identities, and clear refusals of bad files."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from synthetic.errors import UserInputError
from synthetic.formats.gem import DIMS, FORMAT_NAME, MODALITIES, SH_C0, GemModality, GemModel, read_gem, write_gem

COUNTS = {"position": 5, "rotation": 3, "scale": 2, "opacity": 1}


def orthonormal_rows(rng: np.random.Generator, k: int, width: int) -> np.ndarray:
    q, _ = np.linalg.qr(rng.standard_normal((width, k)))
    return q.T.astype(np.float32)


def make_gem(n: int = 50, counts=None, sh_k: int = 4, seed: int = 0, metadata=None) -> GemModel:
    rng = np.random.default_rng(seed)
    counts = counts or COUNTS
    mods = {}
    for m in MODALITIES:
        width = n * DIMS[m]
        mean = rng.standard_normal(width).astype(np.float32) * 0.1
        if m == "rotation":
            mean = np.tile(np.array([1, 0, 0, 0], np.float32), n) + mean * 0.1
        mods[m] = GemModality(mean, orthonormal_rows(rng, counts[m], width),
                              rng.uniform(0.01, 0.5, counts[m]).astype(np.float32))  # fmt: skip
    sh = (rng.standard_normal((n, sh_k, 3)) * 0.3).astype(np.float32)
    return GemModel(**mods, colour_sh=sh, metadata=metadata or {})


def arrays_of(path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def save_arrays(path, arrays) -> None:
    with open(path, "wb") as f:
        np.savez(f, **arrays)


@pytest.mark.parametrize("compress", [True, False])
def test_round_trip_is_exact(tmp_path, compress):
    gem = make_gem(metadata={"source_avatar": "a.pt", "psnr": 31.5, "expression_names": ["smile"]})
    path = write_gem(tmp_path / "a.gem", gem, compress=compress)
    assert path == tmp_path / "a.gem" and not list(tmp_path.glob(".*tmp*"))  # atomic: no temp file left
    back = read_gem(path)
    for m in MODALITIES:
        for part in ("mean", "basis", "std"):
            np.testing.assert_array_equal(getattr(back.modality(m), part), getattr(gem.modality(m), part))
    np.testing.assert_array_equal(back.colour_sh, gem.colour_sh)
    assert back.metadata == gem.metadata and back.component_counts == COUNTS and back.n_gaussians == 50
    assert back.sh_degree == 1 and back.source == str(path)
    raw = arrays_of(path)
    assert str(raw["format"]) == FORMAT_NAME and int(raw["version"]) == 1 and int(raw["n_gaussians"]) == 50
    assert raw["component_counts"].tolist() == [5, 3, 2, 1]
    assert back.nbytes == sum(a.nbytes for a in raw.values())
    write_gem(tmp_path / "b.gem", back, compress=compress)  # written again: the same arrays
    again = arrays_of(tmp_path / "b.gem")
    assert raw.keys() == again.keys() and all(np.array_equal(raw[k], again[k]) for k in raw)


def test_decode_of_zero_coefficients_is_the_mean():
    gem = make_gem()
    inst = gem.decode({})
    np.testing.assert_allclose(inst.means.ravel(), gem.position.mean, rtol=0, atol=1e-7)
    q = gem.rotation.mean.reshape(-1, 4).astype(np.float64)
    np.testing.assert_allclose(inst.quats, q / np.linalg.norm(q, axis=1, keepdims=True), atol=1e-7)
    np.testing.assert_allclose(inst.scales, np.exp(gem.scale.mean.reshape(-1, 3)), rtol=1e-6)
    np.testing.assert_allclose(inst.opacities, 1 / (1 + np.exp(-gem.opacity.mean)), rtol=1e-6)
    same = gem.decode(gem.zero_coefficients())
    np.testing.assert_array_equal(same.means, inst.means)


def test_decode_is_linear_in_the_coefficients_and_batches():
    gem = make_gem()
    rng = np.random.default_rng(3)
    c = gem.random_coefficients(rng, scale=2.0)
    raw = gem.decode_raw(c)
    for m in MODALITIES:
        mod = gem.modality(m)
        expected = mod.mean.astype(np.float64) + c[m] @ mod.basis.astype(np.float64)
        np.testing.assert_allclose(raw[m].reshape(-1), expected, rtol=1e-12, atol=1e-12)
        # the basis is orthonormal, so projecting back recovers the coefficients
        np.testing.assert_allclose((raw[m].reshape(-1) - mod.mean) @ mod.basis.T, c[m], atol=1e-5)
    batch = {m: np.stack([c[m], np.zeros_like(c[m])]) for m in MODALITIES}
    inst = gem.decode(batch)
    assert inst.means.shape == (2, 50, 3) and inst.quats.shape == (2, 50, 4) and inst.opacities.shape == (2, 50)
    np.testing.assert_allclose(inst.means[1], gem.decode({}).means)
    np.testing.assert_allclose(np.linalg.norm(inst.quats, axis=-1), 1.0, atol=1e-12)
    assert np.all(inst.scales > 0) and np.all((inst.opacities > 0) & (inst.opacities < 1))
    partial = gem.decode_raw({"position": c["position"][:2]})  # the first k components only
    np.testing.assert_allclose(partial["position"].reshape(-1),
                               gem.position.mean + c["position"][:2] @ gem.position.basis[:2], atol=1e-6)


def test_random_coefficients_follow_the_stds_and_shared_mode():
    gem = make_gem(n=20)
    draws = np.stack([gem.random_coefficients(np.random.default_rng(i))["position"] for i in range(2000)])
    np.testing.assert_allclose(draws.std(0), gem.position.std, rtol=0.1)
    shared = make_gem(n=20, counts={m: 3 for m in MODALITIES}, metadata={"shared_coefficients": True})
    c = shared.random_coefficients(np.random.default_rng(0))
    assert all(np.array_equal(c[m], c["position"]) for m in MODALITIES)
    with pytest.raises(UserInputError, match="shared_coefficients but the component counts differ"):
        make_gem(metadata={"shared_coefficients": True}).check()


def test_base_colour_uses_the_3dgs_dc_convention():
    gem = make_gem(n=4, sh_k=1)
    gem.colour_sh[:] = 0
    gem.colour_sh[0, 0] = (1.0 / SH_C0) * np.array([0.25, -0.25, 0.0])
    np.testing.assert_allclose(gem.base_colour()[0], [0.75, 0.25, 0.5])


def test_bases_must_be_orthonormal(tmp_path):
    gem = make_gem()
    bad = GemModality(gem.scale.mean, gem.scale.basis * 1.1, gem.scale.std)
    broken = GemModel(gem.position, gem.rotation, bad, gem.opacity, gem.colour_sh)
    with pytest.raises(UserInputError, match=r"rows of 'scale_basis' are not orthonormal"):
        write_gem(tmp_path / "x.gem", broken)
    assert not (tmp_path / "x.gem").exists()
    arrays = make_gem().arrays()
    arrays["position_basis"][1] = arrays["position_basis"][0]  # two equal rows
    save_arrays(tmp_path / "y.gem", arrays)
    with pytest.raises(UserInputError, match=r"y\.gem: the rows of 'position_basis' are not orthonormal"):
        read_gem(tmp_path / "y.gem")


def test_truncated_and_corrupt_files_are_refused(tmp_path):
    good = write_gem(tmp_path / "good.gem", make_gem(), compress=True).read_bytes()
    cases = {
        "truncated.gem": good[: len(good) // 2],
        "tail_cut.gem": good[:-30],
        "garbage.gem": b"\x00\x01 not a zip at all" * 10,
        "empty.gem": b"",
    }
    flipped = bytearray(good)
    flipped[200:260] = bytes(60)  # inside the first member's compressed data
    cases["flipped.gem"] = bytes(flipped)
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(UserInputError) as info:
            read_gem(tmp_path / name)
        assert name in str(info.value), str(info.value)
        assert any(w in str(info.value) for w in ("corrupt", "truncated", "not a .gem archive")), str(info.value)
    with pytest.raises(UserInputError, match=r"missing\.gem: no such \.gem file"):
        read_gem(tmp_path / "missing.gem")


def test_pickled_and_non_gem_archives_are_refused(tmp_path):
    arrays = make_gem().arrays()
    arrays["metadata"] = np.array([{"evil": 1}], dtype=object)
    with open(tmp_path / "pickle.gem", "wb") as f:
        np.savez(f, **arrays)
    with pytest.raises(UserInputError, match=r"pickle\.gem: holds a pickled Python object"):
        read_gem(tmp_path / "pickle.gem")
    with zipfile.ZipFile(tmp_path / "other.gem", "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(UserInputError, match=r"other\.gem: missing array\(s\) format, version"):
        read_gem(tmp_path / "other.gem")
    save_arrays(tmp_path / "wrong.gem", {**make_gem().arrays(), "format": np.array("something-else")})
    with pytest.raises(UserInputError, match="format is 'something-else', expected 'synthheads-gem'"):
        read_gem(tmp_path / "wrong.gem")
    save_arrays(tmp_path / "future.gem", {**make_gem().arrays(), "version": np.array(7)})
    with pytest.raises(UserInputError, match="format version 7.*newer than this reader"):
        read_gem(tmp_path / "future.gem")


@pytest.mark.parametrize("key", ["rotation_basis", "colour_sh", "opacity_std", "n_gaussians", "component_counts"])
def test_missing_keys_are_named(tmp_path, key):
    arrays = make_gem().arrays()
    del arrays[key]
    save_arrays(tmp_path / "m.gem", arrays)
    with pytest.raises(UserInputError, match=rf"m\.gem: missing array\(s\) {key}\b"):
        read_gem(tmp_path / "m.gem")


@pytest.mark.parametrize("key, value, message", [
    ("scale_mean", np.zeros(30, np.float32), r"'scale_mean' has shape \(30,\), expected \(150,\)"),
    ("position_basis", np.zeros((4, 150), np.float32), r"'position_basis' has shape \(4, 150\), expected \(5, 150\)"),
    ("rotation_std", np.ones(2, np.float32), r"'rotation_std' has shape \(2,\), expected \(3,\)"),
    ("colour_sh", np.zeros((50, 5, 3), np.float32), r"'colour_sh' has shape \(50, 5, 3\)"),
    ("component_counts", np.array([5, 3, 2]), r"'component_counts' must be 4 non-negative integers"),
    ("n_gaussians", np.array(49), r"'position_mean' has shape \(150,\), expected \(147,\)"),
    ("opacity_std", -np.ones(1, np.float32), r"'opacity_std' has negative standard deviations"),
    ("opacity_mean", np.full(50, np.nan, np.float32), r"'opacity_mean' holds 50 non-finite values"),
    ("version", np.array(1.0), r"'version' must be a single integer"),
    ("metadata", np.array("{not json"), r"'metadata' is not valid JSON"),
    ("metadata", np.array(json.dumps([1, 2])), r"'metadata' must be a JSON object"),
    ("position_mean", np.zeros(150, np.int32), r"'position_mean' must hold floats"),
])  # fmt: skip
def test_inconsistent_files_are_refused_with_the_reason(tmp_path, key, value, message):
    arrays = make_gem().arrays()
    arrays[key] = value
    save_arrays(tmp_path / "bad.gem", arrays)
    with pytest.raises(UserInputError, match=message) as info:
        read_gem(tmp_path / "bad.gem")
    assert str(info.value).startswith(str(tmp_path / "bad.gem") + ": ")


def test_bad_coefficients_are_refused():
    gem = make_gem()
    with pytest.raises(UserInputError, match=r"position coefficients have shape \(6,\); expected \(\.\.\., k\) "
                                             r"with k <= 5"):  # fmt: skip
        gem.decode({"position": np.zeros(6)})
    with pytest.raises(UserInputError, match="unknown coefficient modality"):
        gem.decode({"colour": np.zeros(1)})
    with pytest.raises(UserInputError, match="must be finite"):
        gem.decode({"scale": np.array([np.inf, 0])})


def test_zero_components_and_high_sh_degree(tmp_path):
    gem = make_gem(counts={"position": 4, "rotation": 0, "scale": 0, "opacity": 0}, sh_k=16)
    back = read_gem(write_gem(tmp_path / "z.gem", gem))
    assert back.component_counts == {"position": 4, "rotation": 0, "scale": 0, "opacity": 0}
    assert back.sh_degree == 3 and back.decode({}).quats.shape == (50, 4)
