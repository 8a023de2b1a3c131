"""Wavefront OBJ for the head model (numpy only): the writer (atomic) and a vertex reader.

OBJ coordinates are written as they are (metres, Blender frame: Z up, face along -Y); Blender's
OBJ importer with "Up: Z, Forward: Y" (or the default with a -90 deg X rotation undone) keeps it.
UVs follow the OBJ convention, which is Blender's: (0, 0) is the bottom-left of the texture.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from ..atomic import write_atomic


def write_obj(
    path: str | os.PathLike,
    vertices: np.ndarray,
    faces: np.ndarray,
    uv_coords: np.ndarray | None = None,
    uv_faces: np.ndarray | None = None,
    groups: tuple[np.ndarray, tuple[str, ...]] | None = None,
) -> Path:
    """Write ``vertices`` ``[V, 3]``, ``faces`` ``[F, 3]`` and optional UVs ``[T, 2]``/``[F, 3]``.

    ``groups`` = (per-face label ``[F]``, label names) writes faces grouped by label with one
    ``g``/``usemtl`` line per group, so Blender gets one material slot per region.
    """
    v = np.asarray(vertices, dtype=np.float64)
    f = np.asarray(faces, dtype=np.int64) + 1
    buf = io.StringIO()
    buf.write("# SynthHeads head model, metres, Z up, face looks along -Y\n")
    np.savetxt(buf, v, fmt="v %.6f %.6f %.6f")
    has_uv = uv_coords is not None and uv_faces is not None
    if has_uv:
        np.savetxt(buf, np.asarray(uv_coords, dtype=np.float64), fmt="vt %.6f %.6f")
        ft = np.asarray(uv_faces, dtype=np.int64) + 1
    order_groups = [(None, np.arange(len(f)))]
    if groups is not None:
        labels, names = groups
        order_groups = [(names[g], np.nonzero(labels == g)[0]) for g in range(len(names))]
    for name, idx in order_groups:
        if len(idx) == 0:
            continue
        if name is not None:
            buf.write(f"g {name}\nusemtl {name}\n")
        if has_uv:
            rows = np.stack([f[idx], ft[idx]], axis=-1).reshape(len(idx), 6)
            np.savetxt(buf, rows, fmt="f %d/%d %d/%d %d/%d")
        else:
            np.savetxt(buf, f[idx], fmt="f %d %d %d")
    text = buf.getvalue()
    return write_atomic(path, lambda p: p.write_text(text, encoding="utf-8"))


def read_obj_vertices(path: str | os.PathLike) -> np.ndarray:
    """The ``v`` lines of an OBJ file as ``[V, 3]`` float64, in file order (the units and axes the file has).

    Raises:
        synthetic.errors.UserInputError: the file is missing, a folder, or has no vertex line (what it found).
    """
    from ..errors import UserInputError

    path = Path(path)
    if not path.is_file():
        raise UserInputError(f"{path}: no such OBJ file" + (" (a folder)" if path.is_dir() else ""))
    rows = []
    with path.open(encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, 1):
            if line.startswith("v "):
                parts = line.split()
                try:
                    rows.append([float(t) for t in parts[1:4]])
                except ValueError:
                    raise UserInputError(f"{path}:{n}: not a vertex line: {line.strip()[:60]!r}") from None
                if len(parts) < 4:
                    raise UserInputError(f"{path}:{n}: a vertex needs x, y and z: {line.strip()[:60]!r}")
    if not rows:
        raise UserInputError(f"{path}: no vertices (no 'v x y z' lines): not an OBJ file?")
    return np.asarray(rows, dtype=np.float64)
