"""The 3D Gaussian Splatting PLY layout in plain numpy: header, property order, raw encoding.

This module imports only numpy and the standard library (part of the numpy core the Blender add-on
ships). ``backend.io.ply`` wraps it for torch's :class:`GaussianSet`.

The layout is the one the original 3D Gaussian Splatting code writes and common splat
viewers open: ``binary_little_endian 1.0``, one ``element vertex N``, float32 properties::

    x y z nx ny nz f_dc_0 f_dc_1 f_dc_2 f_rest_0 ... f_rest_{3(K-1)-1} opacity
    scale_0 scale_1 scale_2 rot_0 rot_1 rot_2 rot_3

Raw values: positions in metres, normals zero, ``f_dc`` = SH coefficient 0 per colour channel,
``f_rest`` channel-major (all rest coefficients of R, then G, then B: the ``[N, K-1, 3]``
array transposed to ``[N, 3, K-1]`` and flattened), ``opacity`` = logit of the opacity,
``scale_i`` = natural log of the scale in metres, ``rot`` = quaternion w, x, y, z (need not be unit).

.. note::
    Exact round trips. Decoding is ``f(raw) = float32(exp(raw))`` (``sigmoid`` for opacity), computed
    in float64. Encoding picks, for an activated value ``s``, the float32 ``raw`` nearest ``log(s)``
    among those that decode to ``s``; when none does, ``s`` is first moved up to the nearest value
    ``f`` can produce. Hence encode(decode(encode(s))) == encode(s) bit for bit, and a file written
    here, read and written again, is byte-identical. ``decode(encode(s))`` is ``s`` to float32
    precision of the stored log (relative ~2^-24 * max(1, |log s|)). Opacities are clamped to
    ``[OPACITY_EPS, 1 - OPACITY_EPS]`` (as float32: 1e-6 and 0.999999) first, so the logit is finite.

    Reading a file written elsewhere and writing it again keeps every raw value whose decoded
    value has a single float32 preimage. Where float32 ``exp``/``sigmoid`` is flat (log-scales and
    logits near 0, logits beyond about +-16) the raw value may move by some ulps, or to the clamp,
    while the decoded value stays the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

OPACITY_EPS = 1e-6
"""Opacities are clamped to ``[OPACITY_EPS, 1 - OPACITY_EPS]`` before the logit (logit range about +-13.8)."""

SH_REST_COUNTS = {0: 0, 1: 9, 2: 24, 3: 45}
"""Number of ``f_rest_*`` properties per SH degree: 3 * ((degree + 1)^2 - 1)."""

MAX_HEADER_BYTES = 65536
_FORMAT = "binary_little_endian"
_PLY_TYPES = {
    "char": "i1", "int8": "i1", "uchar": "u1", "uint8": "u1",
    "short": "i2", "int16": "i2", "ushort": "u2", "uint16": "u2",
    "int": "i4", "int32": "i4", "uint": "u4", "uint32": "u4",
    "float": "f4", "float32": "f4", "double": "f8", "float64": "f8",
}  # fmt: skip
_REST = re.compile(r"f_rest_(\d+)")
_REQUIRED = ("x", "y", "z", "f_dc_0", "f_dc_1", "f_dc_2", "opacity", "scale_0", "scale_1", "scale_2",
             "rot_0", "rot_1", "rot_2", "rot_3")  # fmt: skip


class PlyFormatError(ValueError):
    """A file or array that does not follow the 3DGS PLY layout; the message names the source."""


@dataclass
class GaussianArrays:
    """Activated Gaussian parameters as float32 numpy arrays (the numpy twin of ``GaussianSet``).

    Attributes:
        means: ``[N, 3]`` positions in metres.
        quats: ``[N, 4]`` rotations, w-x-y-z, not necessarily unit.
        scales: ``[N, 3]`` standard deviations in metres, > 0.
        opacities: ``[N]`` in [0, 1].
        sh: ``[N, K, 3]`` SH coefficients, K in (1, 4, 9, 16).
    """

    means: np.ndarray
    quats: np.ndarray
    scales: np.ndarray
    opacities: np.ndarray
    sh: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.means)
        shapes = {"means": (n, 3), "quats": (n, 4), "scales": (n, 3), "opacities": (n,)}
        for name, shape in shapes.items():
            got = np.shape(getattr(self, name))
            if got != shape:
                raise ValueError(f"GaussianArrays.{name} must have shape {list(shape)} (N={n}), got {list(got)}")
        if np.ndim(self.sh) != 3 or np.shape(self.sh)[0] != n or np.shape(self.sh)[2] != 3:
            raise ValueError(f"GaussianArrays.sh must have shape [N, K, 3] (N={n}), got {list(np.shape(self.sh))}")
        sh_degree_for_rest_count(3 * (np.shape(self.sh)[1] - 1), "GaussianArrays.sh")


# ----------------------------------------------------------------------------- layout
def sh_degree_for_rest_count(count: int, source: str) -> int:
    """SH degree (0..3) for ``count`` ``f_rest`` values (0, 9, 24, 45); ``PlyFormatError`` otherwise."""
    for degree, rest in SH_REST_COUNTS.items():
        if rest == count:
            return degree
    raise PlyFormatError(f"{source}: {count} f_rest properties; expected 0, 9, 24 or 45 (SH degree 0..3)")


def property_names(sh_degree: int) -> list[str]:
    """The vertex property names in the order the 3DGS code writes them, for ``sh_degree`` 0..3."""
    rest = [f"f_rest_{i}" for i in range(SH_REST_COUNTS[sh_degree])]
    return ["x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2", *rest, "opacity",
            "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3"]  # fmt: skip


def vertex_dtype(sh_degree: int) -> np.dtype:
    """Structured dtype of one vertex record: the properties of :func:`property_names`, each ``<f4``."""
    return np.dtype([(name, "<f4") for name in property_names(sh_degree)])


def sh_degree_of_names(names: Iterable[str], source: str) -> int:
    """Check that ``names`` hold every 3DGS property and return the SH degree their ``f_rest`` imply.

    Args:
        names: vertex property names, in any order; extra names are allowed (normals are optional).
        source: file name or description for the error message.

    Raises:
        PlyFormatError: a required property is missing or the ``f_rest`` indices are not 0..M-1.
    """
    names = list(names)
    missing = [n for n in _REQUIRED if n not in names]
    if missing:
        raise PlyFormatError(f"{source}: missing vertex properties {', '.join(missing)} "
                             "(a 3DGS PLY needs x y z f_dc_0..2 opacity scale_0..2 rot_0..3)")  # fmt: skip
    rest = sorted(int(m.group(1)) for n in names if (m := _REST.fullmatch(n)))
    degree = sh_degree_for_rest_count(len(rest), source)
    if rest != list(range(len(rest))):
        absent = sorted(set(range(len(rest))) - set(rest))
        raise PlyFormatError(
            f"{source}: f_rest properties are not numbered 0..{len(rest) - 1} (missing f_rest_{absent[0]})"
        )
    return degree


# ----------------------------------------------------------------------------- raw encoding
def _keys(y: np.ndarray) -> np.ndarray:
    """float32 -> int64 keys in the same order as the floats (-0 and +0 share key 0)."""
    bits = np.ascontiguousarray(y, dtype=np.float32).view(np.int32).astype(np.int64)
    return np.where(bits >= 0, bits, -(bits & 0x7FFFFFFF))


def _floats(k: np.ndarray) -> np.ndarray:
    """Inverse of :func:`_keys`."""
    bits = np.where(k >= 0, k, (-k) | 0x80000000).astype(np.uint32)
    return bits.view(np.float32)


_INF_KEY = int(_keys(np.array([np.inf], np.float32))[0])


def _least_key(pred: Callable[[np.ndarray], np.ndarray], guess: np.ndarray) -> np.ndarray:
    """Smallest float32 key k with ``pred(k)`` for a monotone (False..True) predicate, per element.

    Searches +-64 keys around ``guess`` first, then the whole float32 range. ``pred(+inf)`` must hold.
    """
    lo, hi = guess - 64, guess + 64
    wide = pred(lo) | ~pred(hi)
    lo[wide], hi[wide] = -_INF_KEY, _INF_KEY
    while np.any(active := lo < hi):
        mid = (lo + hi) >> 1
        up = pred(mid)
        hi = np.where(active & up, mid, hi)
        lo = np.where(active & ~up, mid + 1, lo)
    return hi


def _encode_exact(s: np.ndarray, decode: Callable[[np.ndarray], np.ndarray], inverse: Callable) -> np.ndarray:
    """float32 raw values for activated float32 values ``s`` such that encode(decode(encode(s))) == encode(s).

    Args:
        s: ``[M]`` float32 activated values inside the range of ``decode``.
        decode: monotone non-decreasing float32 -> float32 map (raw -> activated).
        inverse: its exact inverse on float64 (``np.log``, logit).

    Returns:
        ``[M]`` float32: the raw value nearest ``inverse(s')`` among those decoding to ``s'``, where
        ``s'`` is the smallest decodable value >= ``s``.
    """
    s = np.asarray(s, np.float32).ravel()
    with np.errstate(divide="ignore", over="ignore", under="ignore"):
        guess = inverse(s.astype(np.float64)).astype(np.float32)
        out = guess.copy()
        slow = np.flatnonzero(decode(guess) != s)  # fast path: the natural inverse decodes back to s
        if slow.size:
            sv, kg = s[slow], _keys(guess[slow])
            lo = _least_key(lambda k: decode(_floats(k)) >= sv, kg)  # first raw reaching s
            s2 = decode(_floats(lo))  # the nearest decodable value >= s; every raw in [lo, hi] gives it
            hi = _least_key(lambda k: decode(_floats(k)) > s2, kg) - 1
            natural = _keys(inverse(s2.astype(np.float64)).astype(np.float32))
            out[slow] = _floats(np.clip(natural, lo, hi))
    return out


def decode_scales(raw: np.ndarray) -> np.ndarray:
    """Raw log-scales -> scales in metres, ``float32(exp(raw))`` computed in float64; any shape."""
    with np.errstate(over="ignore", under="ignore"):
        return np.exp(np.asarray(raw, np.float64)).astype(np.float32)


def encode_scales(scales: np.ndarray) -> np.ndarray:
    """Scales in metres (> 0, finite) -> raw float32 log-scales, exact inverse of :func:`decode_scales`."""
    s = np.asarray(scales, np.float32)
    bad = ~(np.isfinite(s) & (s > 0))
    if bad.any():
        raise ValueError(f"scales must be positive and finite; {int(bad.sum())} of {s.size} are not")
    return _encode_exact(s, decode_scales, np.log).reshape(s.shape)


def decode_opacities(raw: np.ndarray) -> np.ndarray:
    """Raw logits -> opacities in [0, 1], ``float32(1 / (1 + exp(-raw)))`` computed in float64; any shape."""
    with np.errstate(over="ignore", under="ignore"):
        return (1.0 / (1.0 + np.exp(-np.asarray(raw, np.float64)))).astype(np.float32)


def encode_opacities(opacities: np.ndarray) -> np.ndarray:
    """Opacities -> raw float32 logits after clamping to ``[OPACITY_EPS, 1 - OPACITY_EPS]``; NaN is refused."""
    o = np.asarray(opacities, np.float32)
    if np.isnan(o).any():
        raise ValueError(f"opacities must not be NaN; {int(np.isnan(o).sum())} of {o.size} are")
    o = np.clip(o, np.float32(OPACITY_EPS), np.float32(1.0 - OPACITY_EPS))
    return _encode_exact(o, decode_opacities, lambda p: np.log(p) - np.log1p(-p)).reshape(o.shape)


# ----------------------------------------------------------------------------- records <-> arrays
def gaussians_to_ply_arrays(g: GaussianArrays) -> np.ndarray:
    """Activated Gaussians -> ``[N]`` structured array of raw vertex records (:func:`vertex_dtype`).

    Raises:
        ValueError: a scale is not positive and finite, an opacity is NaN, or a value is not finite.
    """
    n, k = len(g.means), np.shape(g.sh)[1]
    sh = np.asarray(g.sh, np.float32)
    for name in ("means", "quats", "sh"):
        if not np.isfinite(getattr(g, name)).all():
            raise ValueError(f"GaussianArrays.{name} holds non-finite values; a PLY viewer cannot show them")
    degree = sh_degree_for_rest_count(3 * (k - 1), "GaussianArrays.sh")
    rest = sh[:, 1:, :].transpose(0, 2, 1).reshape(n, 3 * (k - 1))  # channel-major, as the 3DGS code
    table = np.concatenate([
        np.asarray(g.means, np.float32), np.zeros((n, 3), np.float32), sh[:, 0, :], rest,
        encode_opacities(g.opacities).reshape(n, 1), encode_scales(g.scales), np.asarray(g.quats, np.float32),
    ], axis=1).astype("<f4")  # fmt: skip
    return np.ascontiguousarray(table).view(vertex_dtype(degree)).reshape(n)


def ply_arrays_to_gaussians(vertices: np.ndarray, source: str = "PLY vertices") -> GaussianArrays:
    """``[N]`` structured raw vertex records (any property order, extra fields ignored) -> activated Gaussians.

    Raises:
        PlyFormatError: a required property is missing or the ``f_rest`` count is not 0, 9, 24 or 45.
    """
    names = vertices.dtype.names or ()
    degree = sh_degree_of_names(names, source)
    n, r = len(vertices), SH_REST_COUNTS[degree] // 3

    def cols(*keys: str) -> np.ndarray:
        if not keys:
            return np.zeros((n, 0), np.float32)
        return np.stack([np.asarray(vertices[key], np.float32) for key in keys], axis=-1).reshape(n, len(keys))

    dc = cols("f_dc_0", "f_dc_1", "f_dc_2").reshape(n, 1, 3)
    rest = cols(*(f"f_rest_{i}" for i in range(3 * r))).reshape(n, 3, r).transpose(0, 2, 1)
    return GaussianArrays(
        means=cols("x", "y", "z"),
        quats=cols("rot_0", "rot_1", "rot_2", "rot_3"),
        scales=decode_scales(cols("scale_0", "scale_1", "scale_2")),
        opacities=decode_opacities(np.asarray(vertices["opacity"], np.float32)).reshape(n),
        sh=np.ascontiguousarray(np.concatenate([dc, rest], axis=1)),
    )


# ----------------------------------------------------------------------------- bytes
def ply_header(vertices: np.ndarray, comments: Iterable[str] = ()) -> bytes:
    """ASCII header for ``vertices`` (a structured array of ``<f4`` fields), ending in ``end_header\\n``."""
    lines = ["ply", f"format {_FORMAT} 1.0", *(f"comment {c}" for c in comments), f"element vertex {len(vertices)}"]
    for name in vertices.dtype.names:
        if vertices.dtype.fields[name][0] != np.dtype("<f4"):
            raise ValueError(f"PLY vertex property {name!r} must be float32 little-endian")
        lines.append(f"property float {name}")
    return ("\n".join([*lines, "end_header"]) + "\n").encode("ascii")


def write_ply_stream(stream, vertices: np.ndarray, comments: Iterable[str] = ()) -> None:
    """Write header and records of ``vertices`` to a binary file object."""
    stream.write(ply_header(vertices, comments))
    stream.write(np.ascontiguousarray(vertices).tobytes())


def _parse_header(text: str, source: str) -> tuple[int, np.dtype]:
    """Header lines (without ``end_header``) -> (vertex count, file record dtype)."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "ply":
        first = lines[0][:40] if lines else ""
        raise PlyFormatError(f"{source}: not a PLY file (first line is {first!r}, expected 'ply')")
    formats, elements = [], []  # elements: [name, count, [(prop, dtype)]]
    for number, line in enumerate(lines[1:], start=2):
        words = line.split()
        if not words or words[0] in ("comment", "obj_info"):
            continue
        if words[0] == "format":
            formats.append(" ".join(words[1:]))
        elif words[0] == "element" and len(words) == 3 and words[2].isdigit():
            elements.append((words[1], int(words[2]), []))
        elif words[0] == "property" and len(words) >= 2 and words[1] == "list":
            raise PlyFormatError(
                f"{source}: list property {words[-1]!r} is not supported (a 3DGS PLY has float properties only)"
            )
        elif words[0] == "property" and len(words) == 3 and elements:
            if words[1] not in _PLY_TYPES:
                raise PlyFormatError(f"{source}: header line {number}: unknown property type {words[1]!r}")
            elements[-1][2].append((words[2], _PLY_TYPES[words[1]]))
        else:
            raise PlyFormatError(f"{source}: header line {number} is not valid PLY: {line[:80]!r}")
    if len(formats) != 1 or formats[0].split()[0] != _FORMAT:
        found = formats[0] if len(formats) == 1 else f"{len(formats)} format lines"
        raise PlyFormatError(f"{source}: unsupported PLY format {found!r}; only '{_FORMAT} 1.0' (3DGS layout) is read")
    names = [e[0] for e in elements]
    if names != ["vertex"]:
        raise PlyFormatError(f"{source}: elements {names}; a 3DGS PLY has exactly one element, 'vertex'")
    _, count, props = elements[0]
    prop_names = [p for p, _ in props]
    if len(set(prop_names)) != len(prop_names):
        dup = next(p for p in prop_names if prop_names.count(p) > 1)
        raise PlyFormatError(f"{source}: vertex property {dup!r} is declared twice")
    sh_degree_of_names(prop_names, source)
    return count, np.dtype([(p, "<" + t) for p, t in props])


def decode_ply(data: bytes | memoryview, source: str = "<bytes>") -> np.ndarray:
    """Parse a whole 3DGS PLY file's bytes into ``[N]`` raw records in the canonical :func:`vertex_dtype`.

    Properties may come in any order and with any numeric type (cast to float32); missing normals
    read as zero; other extra properties are dropped.

    Args:
        data: the file's bytes.
        source: file name for error messages.

    Raises:
        PlyFormatError: not PLY, not binary little-endian, other elements, list properties, a missing
            property, or data shorter or longer than the header declares.
    """
    data = memoryview(data).cast("B")
    head = bytes(data[:MAX_HEADER_BYTES])
    match = re.search(rb"(?:^|\n)end_header\r?\n", head)
    if not head.startswith(b"ply"):
        raise PlyFormatError(f"{source}: not a PLY file (it does not start with 'ply')")
    if match is None:
        raise PlyFormatError(
            f"{source}: no 'end_header' line in the first {MAX_HEADER_BYTES} bytes (corrupt PLY header)"
        )
    try:
        text = head[: match.start()].decode("ascii")
    except UnicodeDecodeError as exc:
        raise PlyFormatError(f"{source}: PLY header is not ASCII (byte {exc.start})") from None
    count, file_dtype = _parse_header(text, source)
    body = len(data) - match.end()
    expected = count * file_dtype.itemsize
    if body != expected:
        what = "truncated" if body < expected else "has trailing data"
        raise PlyFormatError(f"{source}: {what}: the header declares {count} vertices x {file_dtype.itemsize} bytes "
                             f"= {expected} bytes, the file holds {body} bytes after the header")  # fmt: skip
    raw = np.frombuffer(data, dtype=file_dtype, count=count, offset=match.end())
    degree = sh_degree_of_names(file_dtype.names, source)
    out = np.zeros(count, vertex_dtype(degree))
    for name in out.dtype.names:
        if name in file_dtype.names:
            out[name] = raw[name]
    return out
