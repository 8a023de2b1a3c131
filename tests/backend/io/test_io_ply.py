"""3DGS PLY read/write through ``backend.io``: exact round trips, the raw layout, and clear errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from backend.io import read_ply, write_ply
from backend.splat.gaussians import SH_C0, GaussianSet
from synthetic.errors import UserInputError
from synthetic.formats.ply import OPACITY_EPS, property_names


def random_set(n: int, degree: int, seed: int = 0) -> GaussianSet:
    """Random Gaussians, including values where float32 exp/sigmoid is flat (scale 1, opacity 0.5, 0, 1)."""
    g = torch.Generator().manual_seed(seed)
    k = (degree + 1) ** 2
    scales = torch.exp(torch.empty(n, 3).uniform_(-9.0, 1.0, generator=g))
    opacities = torch.rand(n, generator=g)
    if n >= 4:
        scales[:4, 0] = torch.tensor([1.0, 1.0000001, 0.99999994, 1e-30])
        opacities[:4] = torch.tensor([0.5, 0.0, 1.0, 0.50000006])
    return GaussianSet(
        means=torch.randn(n, 3, generator=g),
        quats=torch.randn(n, 4, generator=g) * 3.0,  # deliberately not unit
        scales=scales,
        opacities=opacities,
        sh=torch.randn(n, k, 3, generator=g),
    )


def raw_table(path) -> tuple[str, np.ndarray]:
    """Header text and the ``[N, P]`` float32 body, read without the code under test."""
    data = path.read_bytes()
    end = data.index(b"end_header\n") + len(b"end_header\n")
    return data[:end].decode("ascii"), np.frombuffer(data[end:], "<f4")


@pytest.mark.parametrize("degree", [0, 1, 2, 3])
@pytest.mark.parametrize("n", [0, 1, 257])
def test_write_read_write_is_byte_identical(tmp_path, degree, n):
    first = write_ply(tmp_path / "a.ply", random_set(n, degree, seed=degree))
    again = read_ply(first)
    second = write_ply(tmp_path / "b.ply", again)
    assert first.read_bytes() == second.read_bytes()
    assert len(again) == n and again.sh_degree == degree


@pytest.mark.parametrize("degree", [0, 1, 2, 3])
def test_gaussians_round_trip_to_float32_precision(tmp_path, degree):
    g = random_set(300, degree, seed=10 + degree)
    back = read_ply(write_ply(tmp_path / "g.ply", g))
    assert back.dtype == torch.float32 and back.sh.shape == g.sh.shape
    torch.testing.assert_close(back.means, g.means, rtol=0, atol=0)
    torch.testing.assert_close(back.quats, g.quats, rtol=0, atol=0)
    torch.testing.assert_close(back.sh, g.sh, rtol=0, atol=0)
    # the file stores float32 log(scale): relative error up to ~2^-24 * |log s| (|log s| <= 69 here)
    torch.testing.assert_close(back.scales, g.scales, rtol=5e-6, atol=0)
    clamped = g.opacities.clamp(OPACITY_EPS, 1 - OPACITY_EPS)
    torch.testing.assert_close(back.opacities, clamped, rtol=0, atol=1e-7)


def test_natural_values_are_stored_exactly(tmp_path):
    """Values whose log/logit is a float32 that decodes back are stored as that float32 (no drift)."""
    g = random_set(4, 0)
    path = write_ply(tmp_path / "n.ply", g)
    _, body = raw_table(path)
    table = body.reshape(4, -1)
    names = property_names(0)
    assert table[0, names.index("scale_0")] == 0.0  # scale 1 -> log 0
    assert table[0, names.index("opacity")] == 0.0  # opacity 0.5 -> logit 0


def test_single_gaussian_raw_values(tmp_path):
    sh = torch.zeros(1, 16, 3)
    sh[0, 0] = (torch.tensor([0.8, 0.5, 0.2]) - 0.5) / SH_C0
    for k in range(1, 16):
        for c in range(3):
            sh[0, k, c] = 100 * c + k  # tells channel-major from coefficient-major
    g = GaussianSet(
        means=torch.tensor([[0.1, -0.2, 1.5]]),
        quats=torch.tensor([[2.0, 0.0, 0.0, 0.0]]),
        scales=torch.tensor([[0.01, 0.02, 0.5]]),
        opacities=torch.tensor([0.25]),
        sh=sh,
    )
    header, body = raw_table(write_ply(tmp_path / "one.ply", g))
    names = property_names(3)
    assert len(names) == 62 and body.shape == (62,)
    assert "format binary_little_endian 1.0\n" in header and "element vertex 1\n" in header
    assert [line.split()[-1] for line in header.splitlines() if line.startswith("property float ")] == names
    raw = dict(zip(names, body.tolist()))

    expected = {
        "x": 0.1, "y": -0.2, "z": 1.5, "nx": 0.0, "ny": 0.0, "nz": 0.0,
        "f_dc_0": 0.3 / 0.28209479177387814, "f_dc_1": 0.0, "f_dc_2": -0.3 / 0.28209479177387814,
        "opacity": math.log(0.25 / 0.75),
        "scale_0": math.log(0.01), "scale_1": math.log(0.02), "scale_2": math.log(0.5),
        "rot_0": 2.0, "rot_1": 0.0, "rot_2": 0.0, "rot_3": 0.0,
    }  # fmt: skip
    for c in range(3):
        for k in range(1, 16):
            expected[f"f_rest_{c * 15 + k - 1}"] = 100 * c + k
    assert set(expected) == set(raw)
    for name, value in expected.items():
        assert raw[name] == pytest.approx(value, rel=1e-6, abs=1e-7), name


def write_by_hand(path, header_lines: list[str], body: bytes) -> None:
    path.write_bytes(("\n".join(header_lines) + "\n").encode("ascii") + body)


def test_reordered_properties_other_types_and_extras(tmp_path):
    """A header in another order, with a double, a uchar extra, no normals and CRLF lines, reads correctly."""
    props = [("rot_3", "f4"), ("opacity", "f8"), ("scale_2", "f4"), ("z", "f4"), ("red", "u1"),
             ("f_dc_2", "f4"), ("rot_0", "f4"), ("x", "f4"), ("scale_0", "f4"), ("f_dc_0", "f4"),
             ("rot_1", "f4"), ("y", "f4"), ("scale_1", "f4"), ("f_dc_1", "f4"), ("rot_2", "f4")]  # fmt: skip
    props += [(f"f_rest_{i}", "f4") for i in reversed(range(9))]
    values = {"x": 1.0, "y": 2.0, "z": 3.0, "opacity": 0.0, "scale_0": 0.0, "scale_1": math.log(0.5),
              "scale_2": math.log(2.0), "rot_0": 1.0, "rot_1": 0.25, "rot_2": 0.5, "rot_3": 0.75,
              "f_dc_0": 0.1, "f_dc_1": 0.2, "f_dc_2": 0.3, "red": 200}  # fmt: skip
    values |= {f"f_rest_{i}": 10.0 + i for i in range(9)}
    record = np.zeros(2, np.dtype([(name, "<" + t) for name, t in props]))
    for name, _ in props:
        record[name] = values[name]
    types = {"f4": "float", "f8": "double", "u1": "uchar"}
    header = ["ply", "format binary_little_endian 1.0", "comment hand-written", "element vertex 2",
              *(f"property {types[t]} {name}" for name, t in props), "end_header"]  # fmt: skip
    path = tmp_path / "hand.ply"
    path.write_bytes(("\r\n".join(header) + "\r\n").encode("ascii") + record.tobytes())

    g = read_ply(path)
    assert len(g) == 2 and g.sh_degree == 1
    torch.testing.assert_close(g.means, torch.tensor([[1.0, 2.0, 3.0]] * 2))
    torch.testing.assert_close(g.quats, torch.tensor([[1.0, 0.25, 0.5, 0.75]] * 2))
    torch.testing.assert_close(g.scales, torch.tensor([[1.0, 0.5, 2.0]] * 2))
    torch.testing.assert_close(g.opacities, torch.tensor([0.5, 0.5]))
    # f_rest channel-major: f_rest_{c*3 + j} is coefficient j+1 of channel c
    expected_sh = torch.tensor([[0.1, 0.2, 0.3], [10, 13, 16], [11, 14, 17], [12, 15, 18]], dtype=torch.float32)
    torch.testing.assert_close(g.sh, expected_sh.expand(2, 4, 3))


BASE_HEADER = ["ply", "format binary_little_endian 1.0", "element vertex 1",
               *(f"property float {name}" for name in property_names(0)), "end_header"]  # fmt: skip
BODY = np.ones(len(property_names(0)), "<f4").tobytes()


def _replace(lines: list[str], old: str, new: list[str]) -> list[str]:
    i = lines.index(old)
    return lines[:i] + new + lines[i + 1 :]


BAD_FILES = {
    "ascii": (_replace(BASE_HEADER, "format binary_little_endian 1.0", ["format ascii 1.0"]), BODY, "'ascii 1.0'"),
    "big_endian": (_replace(BASE_HEADER, "format binary_little_endian 1.0", ["format binary_big_endian 1.0"]),
                   BODY, "unsupported PLY format"),
    "truncated": (BASE_HEADER, BODY[:-3], "truncated"),
    "trailing": (BASE_HEADER, BODY + b"\0\0\0\0", "trailing data"),
    "missing_property": (_replace(BASE_HEADER, "property float opacity", []), BODY[:-4],
                         "missing vertex properties opacity"),
    "wrong_element": (_replace(BASE_HEADER, "element vertex 1", ["element splat 1"]), BODY, "exactly one element"),
    "extra_element": (_replace(BASE_HEADER, "end_header", ["element face 0", "property list uchar int vertex_indices",
                                                          "end_header"]), BODY, "list property"),
    "bad_rest_count": (_replace(BASE_HEADER, "property float opacity", ["property float f_rest_0",
                                                                         "property float opacity"]),
                       BODY + BODY[:4], "1 f_rest properties"),
    "unknown_type": (_replace(BASE_HEADER, "property float x", ["property float128 x"]), BODY, "unknown property type"),
    "no_end_header": (BASE_HEADER[:-1], b"", "no 'end_header'"),
    "not_ply": (["solid cube", "end_header"], b"", "not a PLY file"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_raise_user_input_error_naming_the_file(tmp_path, case):
    header, body, words = BAD_FILES[case]
    path = tmp_path / f"bad_{case}.ply"
    write_by_hand(path, header, body)
    with pytest.raises(UserInputError) as info:
        read_ply(path)
    message = str(info.value)
    assert str(path) in message and words in message, message
    assert "\n" not in message


def test_binary_garbage_and_missing_file(tmp_path):
    garbage = tmp_path / "garbage.ply"
    garbage.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(UserInputError, match="not a PLY file"):
        read_ply(garbage)
    for missing in (tmp_path / "nope.ply", tmp_path):
        with pytest.raises(UserInputError, match="cannot read PLY file") as info:
            read_ply(missing)
        assert str(missing) in str(info.value)


def test_write_refuses_bad_values_and_leaves_no_file(tmp_path):
    g = random_set(3, 0)
    g.scales[1, 2] = 0.0
    with pytest.raises(ValueError, match="scales must be positive"):
        write_ply(tmp_path / "bad.ply", g)
    assert list(tmp_path.iterdir()) == []


def test_write_replaces_atomically_and_read_honours_dtype(tmp_path):
    path = tmp_path / "sub" / "x.ply"
    write_ply(path, random_set(5, 1, seed=1))
    write_ply(path, random_set(7, 2, seed=2))
    assert [p.name for p in path.parent.iterdir()] == ["x.ply"]
    g = read_ply(path, dtype=torch.float64)
    assert len(g) == 7 and g.sh_degree == 2 and g.dtype == torch.float64
    assert write_ply(tmp_path / "y.ply", g).read_bytes() == path.read_bytes()
