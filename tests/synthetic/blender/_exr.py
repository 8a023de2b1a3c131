"""Test helper: a small OpenEXR reader (numpy + zlib) for scanline files without tiles, so the pass
tests check the files' channels and values independently of Blender's own image loader.

Supports single-part scanline images with NONE, ZIPS or ZIP compression and HALF / FLOAT / UINT
channels (what Blender writes for the passes); anything else raises ``ValueError``.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

MAGIC = 20000630
_DTYPES = {0: np.dtype("<u4"), 1: np.dtype("<f2"), 2: np.dtype("<f4")}
_LINES_PER_CHUNK = {0: 1, 2: 1, 3: 16}  # NONE, ZIPS, ZIP


def _cstr(buf: bytes, pos: int) -> tuple[str, int]:
    end = buf.index(b"\0", pos)
    return buf[pos:end].decode("ascii"), end + 1


def _header(buf: bytes) -> tuple[dict, int]:
    magic, version = struct.unpack_from("<ii", buf, 0)
    if magic != MAGIC:
        raise ValueError("not an OpenEXR file")
    if version & 0x200 or version & 0x1000:  # tiled or multi-part
        raise ValueError("tiled or multi-part EXR files are not supported")
    pos, attrs = 8, {}
    while buf[pos] != 0:
        name, pos = _cstr(buf, pos)
        kind, pos = _cstr(buf, pos)
        (size,) = struct.unpack_from("<i", buf, pos)
        pos += 4
        attrs[name] = (kind, buf[pos : pos + size])
        pos += size
    return attrs, pos + 1


def _channels(raw: bytes) -> list[tuple[str, int]]:
    out, pos = [], 0
    while raw[pos] != 0:
        name, pos = _cstr(raw, pos)
        pixel_type, _, xs, ys = struct.unpack_from("<iB3xii", raw, pos)
        if (xs, ys) != (1, 1):
            raise ValueError("subsampled channels are not supported")
        out.append((name, pixel_type))
        pos += 16
    return out


def _unzip(data: bytes, expected: int) -> bytes:
    t = np.frombuffer(zlib.decompress(data), dtype=np.uint8).astype(np.int64)
    t[1:] -= 128  # undo the predictor: each byte was stored as (b[i] - b[i-1] + 128) mod 256
    t = (np.cumsum(t) % 256).astype(np.uint8)
    out = np.empty(expected, dtype=np.uint8)
    half = (expected + 1) // 2
    out[0::2] = t[:half]
    out[1::2] = t[half:]
    return out.tobytes()


def read_exr(path: str | Path) -> dict[str, np.ndarray]:
    """``{channel name: [H, W] array}`` (row 0 = top) of a scanline EXR file."""
    buf = Path(path).read_bytes()
    attrs, pos = _header(buf)
    channels = sorted(_channels(attrs["channels"][1]))  # stored in alphabetical order
    compression = attrs["compression"][1][0]
    if compression not in _LINES_PER_CHUNK:
        raise ValueError(f"EXR compression {compression} is not supported (NONE, ZIPS, ZIP are)")
    x0, y0, x1, y1 = struct.unpack("<iiii", attrs["dataWindow"][1])
    width, height = x1 - x0 + 1, y1 - y0 + 1
    lines = _LINES_PER_CHUNK[compression]
    n_chunks = -(-height // lines)
    offsets = struct.unpack_from(f"<{n_chunks}Q", buf, pos)
    planes = {name: np.empty((height, width), dtype=_DTYPES[t]) for name, t in channels}
    for off in offsets:
        y, size = struct.unpack_from("<ii", buf, off)
        data = buf[off + 8 : off + 8 + size]
        rows = min(lines, y1 + 1 - y)
        expected = rows * width * sum(_DTYPES[t].itemsize for _, t in channels)
        if compression and size < expected:
            data = _unzip(data, expected)
        p = 0
        for r in range(rows):
            for name, t in channels:
                n = width * _DTYPES[t].itemsize
                planes[name][y - y0 + r] = np.frombuffer(data[p : p + n], dtype=_DTYPES[t])
                p += n
    return planes
