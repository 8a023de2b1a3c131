"""The numpy-only PLY layer: exact raw encoding, layout helpers and byte-level round trips."""

from __future__ import annotations

import io

import numpy as np
import pytest

from synthetic.formats.ply import (
    OPACITY_EPS,
    GaussianArrays,
    PlyFormatError,
    decode_opacities,
    decode_ply,
    decode_scales,
    encode_opacities,
    encode_scales,
    gaussians_to_ply_arrays,
    ply_arrays_to_gaussians,
    property_names,
    write_ply_stream,
)


def _adversarial_scales(rng) -> np.ndarray:
    near_one = np.float32(1.0) + rng.integers(-200, 200, 2000).astype(np.float32) * np.float32(2**-24)
    tiny = np.float32([1e-38, 1e-45, 3e-30, 1e5, 1.0, 0.5, 2.0])
    return np.concatenate([np.exp(rng.uniform(-40, 10, 5000)).astype(np.float32), near_one, tiny])


def _adversarial_opacities(rng) -> np.ndarray:
    near_half = np.float32(0.5) + rng.integers(-200, 200, 2000).astype(np.float32) * np.float32(2**-25)
    edges = np.float32([0.0, 1.0, OPACITY_EPS, 1 - OPACITY_EPS, 1e-9, 1 - 1e-8, 0.5])
    return np.concatenate([rng.uniform(0, 1, 5000).astype(np.float32), near_half, edges])


def test_encode_is_a_fixed_point_after_one_round():
    rng = np.random.default_rng(3)
    s = _adversarial_scales(rng)
    raw = encode_scales(s)
    np.testing.assert_array_equal(encode_scales(decode_scales(raw)), raw)
    np.testing.assert_allclose(decode_scales(raw), s, rtol=2.0**-24 * 100)  # |log s| <= 104
    o = _adversarial_opacities(rng)
    raw = encode_opacities(o)
    np.testing.assert_array_equal(encode_opacities(decode_opacities(raw)), raw)
    np.testing.assert_allclose(decode_opacities(raw), np.clip(o, OPACITY_EPS, 1 - OPACITY_EPS), rtol=0, atol=1e-7)


def test_encode_prefers_the_natural_inverse():
    """Where several raw floats decode to the same value, the one nearest log/logit is chosen."""
    assert encode_scales(np.float32([1.0]))[0] == 0.0
    assert encode_opacities(np.float32([0.5]))[0] == 0.0
    s = np.exp(np.random.default_rng(0).uniform(-8, 0, 1000)).astype(np.float32)
    raw = encode_scales(s)
    natural = np.log(s.astype(np.float64)).astype(np.float32)
    ulps = np.abs(raw.view(np.int32).astype(np.int64) - natural.view(np.int32))
    assert ulps.max() <= 4


def test_opacity_clamp_is_documented_value():
    raw = encode_opacities(np.float32([0.0, 1.0]))
    bounds = np.float32([OPACITY_EPS, 1 - OPACITY_EPS])  # the clamp happens in float32
    np.testing.assert_allclose(raw, np.log(bounds / (1 - bounds.astype(np.float64))), rtol=1e-6)
    np.testing.assert_allclose(decode_opacities(raw), bounds, rtol=0, atol=1e-7)
    with pytest.raises(ValueError, match="NaN"):
        encode_opacities(np.float32([np.nan]))
    with pytest.raises(ValueError, match="positive and finite"):
        encode_scales(np.float32([0.1, -1.0, np.inf]))


@pytest.mark.parametrize("degree", [0, 1, 2, 3])
def test_arrays_bytes_arrays(degree):
    rng = np.random.default_rng(degree)
    n, k = 50, (degree + 1) ** 2
    g = GaussianArrays(
        rng.normal(size=(n, 3)).astype(np.float32), rng.normal(size=(n, 4)).astype(np.float32),
        np.exp(rng.uniform(-7, 0, (n, 3))).astype(np.float32), rng.uniform(0, 1, n).astype(np.float32),
        rng.normal(size=(n, k, 3)).astype(np.float32),
    )  # fmt: skip
    vertices = gaussians_to_ply_arrays(g)
    assert vertices.dtype.names == tuple(property_names(degree)) and vertices.shape == (n,)
    stream = io.BytesIO()
    write_ply_stream(stream, vertices)
    parsed = decode_ply(stream.getvalue(), source="mem")
    assert parsed.tobytes() == vertices.tobytes()
    back = ply_arrays_to_gaussians(parsed)
    np.testing.assert_array_equal(back.sh, g.sh)
    np.testing.assert_array_equal(back.means, g.means)
    stream2 = io.BytesIO()
    write_ply_stream(stream2, gaussians_to_ply_arrays(back))
    assert stream2.getvalue() == stream.getvalue()


def test_errors_name_the_source():
    with pytest.raises(PlyFormatError, match=r"^in-memory\.ply: not a PLY file"):
        decode_ply(b"hello", source="in-memory.ply")
    bad = np.zeros(1, np.dtype([("x", "<f4")]))
    with pytest.raises(PlyFormatError, match=r"^arr: missing vertex properties y, z, f_dc_0"):
        ply_arrays_to_gaussians(bad, source="arr")
