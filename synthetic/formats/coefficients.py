"""GEM coefficient sequences: one reader for ``render --gem --coefficients`` and the add-on's Load Sequence.

A sequence holds one row of GEM coefficients per frame, and optionally a frame rate. Files:

* ``.npy``: one ``[F, k]`` number array;
* ``.npz``: arrays named ``position``, ``rotation``, ``scale``, ``opacity`` (``[F, k_m]``), or one array
  ``coefficients`` ``[F, k]``; optional ``fps`` (a scalar);
* ``.json``: ``{"fps": 30, "position": [[...], ...], ...}``, ``{"fps": 30, "coefficients": [[...], ...]}``, or a
  bare list of rows.

A one-dimensional array (or JSON list of numbers) is one frame. Per-modality rows may be shorter than the GEM's
component count ``K_m`` (the rest are 0); a modality given for one frame holds for every frame; missing
modalities are 0. A combined row of ``k`` values is read as:

* ``k = sum K_m``: every coefficient, in modality order position | rotation | scale | opacity;
* else, for a GEM with shared coefficients (one vector drives all four modalities): that vector, ``k <= K``;
* else ``k <= K_position``: the first ``k`` position coefficients (the others 0).

``fps``, when given, is a positive frame rate; readers fall back to their own default without it.
Coefficients are in the GEM's units (``raw_m = mean_m + k_m @ basis_m``; ``std_m`` is one sigma).
Anything else is refused with one line naming the file (:class:`~synthetic.errors.UserInputError`).

Example::

    seq = read_sequence("talk.npz", gem.component_counts)
    seq.coefficients["position"]  # [F, K_position] float64
    seq.flat()                    # [F, sum K_m] in modality order
"""

from __future__ import annotations

import json
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import UserInputError
from .gem import MODALITIES

SUFFIXES = (".npy", ".npz", ".json")


@dataclass
class CoefficientSequence:
    """Coefficients per frame: ``{modality: [F, K_m]}`` (every modality, full component counts), and fps."""

    coefficients: dict[str, np.ndarray]
    fps: float | None = None

    @property
    def n_frames(self) -> int:
        return int(next(iter(self.coefficients.values())).shape[0])

    def flat(self) -> np.ndarray:
        """``[F, sum K_m]``: the modalities side by side in :data:`MODALITIES` order."""
        return np.concatenate([self.coefficients[m] for m in MODALITIES], axis=1)


def _error(path: Path, problem: str) -> UserInputError:
    return UserInputError(f"{path}: {problem}")


def _read_file(path: Path) -> tuple[dict[str, np.ndarray], float | None]:
    """The named arrays of a sequence file (a bare array is ``coefficients``) and its fps."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            return {"coefficients": np.load(path, allow_pickle=False)}, None
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
            fps = arrays.pop("fps", None)
        elif suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, list):
                data = {"coefficients": data}
            if not isinstance(data, dict):
                raise _error(path, "expected a JSON list of rows or an object with 'position', ... or 'coefficients'")
            fps = data.pop("fps", None)
            arrays = {k: np.asarray(v, dtype=np.float64) for k, v in data.items()}
        else:
            raise _error(path, f"unknown sequence type {suffix!r}; use {', '.join(SUFFIXES)}")
    except (OSError, ValueError, TypeError, EOFError, zipfile.BadZipFile) as exc:
        raise _error(path, f"cannot read the coefficient sequence ({type(exc).__name__}: {exc})") from None
    try:
        fps = None if fps is None else float(np.asarray(fps).item())
    except (TypeError, ValueError):
        raise _error(path, f"fps must be a number, got {fps!r}") from None
    return arrays, fps


def _rows(path: Path, name: str, a) -> np.ndarray:
    a = np.asarray(a)
    if a.ndim == 1:  # one frame
        a = a[None, :]
    if a.ndim != 2 or a.shape[0] < 1 or a.dtype == object or not np.issubdtype(a.dtype, np.number):
        raise _error(path, f"{name!r} must be a [frames, components] number array, got shape {list(a.shape)}")
    a = a.astype(np.float64)
    if not np.all(np.isfinite(a)):
        raise _error(path, f"{name!r} holds non-finite values")
    return a


def read_sequence(path: str | Path, counts: dict[str, int], shared: bool = False) -> CoefficientSequence:
    """Read a coefficient sequence for a GEM with component ``counts`` (see the module docstring).

    Args:
        path: ``.npy``, ``.npz`` or ``.json`` file.
        counts: ``{modality: K_m}`` of the GEM (``GemModel.component_counts``).
        shared: the GEM's ``shared_coefficients`` (one vector drives every modality).
    """
    path = Path(path)
    if not path.is_file():
        raise _error(path, "no such coefficient file")
    arrays, fps = _read_file(path)
    if fps is not None and not (math.isfinite(fps) and fps > 0):
        raise _error(path, f"fps must be a positive number, got {fps}")
    if "coefficients" in arrays:
        extra = sorted(set(arrays) - {"coefficients"})
        if extra:
            raise _error(path, f"holds both 'coefficients' and {extra}; use one layout")
        per = _split_combined(path, _rows(path, "coefficients", arrays["coefficients"]), counts, shared)
    else:
        unknown = sorted(set(arrays) - set(MODALITIES))
        if unknown or not arrays:
            raise _error(path, f"unknown array(s) {unknown}; expected {', '.join(MODALITIES)} or 'coefficients'")
        per = {m: _rows(path, m, a) for m, a in arrays.items()}
    n_frames = max(a.shape[0] for a in per.values())
    frames = {m: a.shape[0] for m, a in per.items()}
    if any(f not in (1, n_frames) for f in frames.values()):
        raise _error(path, f"modalities have different frame counts {frames}")
    out = {}
    for m in MODALITIES:
        a = per.get(m, np.zeros((1, 0)))
        if a.shape[1] > counts[m]:
            raise _error(path, f"{m}: {a.shape[1]} coefficients per frame, the GEM has {counts[m]} {m} components")
        full = np.zeros((n_frames, counts[m]))
        full[:, : a.shape[1]] = a
        out[m] = full
    return CoefficientSequence(out, fps)


def _split_combined(path: Path, rows: np.ndarray, counts: dict[str, int], shared: bool) -> dict[str, np.ndarray]:
    total = sum(counts.values())
    k = rows.shape[1]
    if k == total and not shared:
        splits = np.cumsum([counts[m] for m in MODALITIES])[:-1]
        return dict(zip(MODALITIES, np.split(rows, splits, axis=1)))
    if shared and k <= min(counts.values()):
        return {m: rows for m in MODALITIES}
    if k <= counts["position"] and not shared:
        return {"position": rows}
    layout = " | ".join(f"{m} {counts[m]}" for m in MODALITIES)
    if shared:
        raise _error(path, f"rows have {k} values; this GEM shares at most {min(counts.values())} coefficients "
                           "between its modalities")  # fmt: skip
    raise _error(path, f"rows have {k} values; give {total} (all modalities: {layout}) or at most "
                       f"{counts['position']} (position components)")  # fmt: skip
