"""GEM numbers for Blender: sliders, per-point attributes, coefficient sequences, PLY arrays (numpy only).

How an imported GEM is driven (see :mod:`.scene_gem` for the objects):

* **position**: one shape key ``Pos###`` per component. ``slider value * unit = coefficient``. The
  unit is 1 (the slider shows the coefficient itself, range +-3 std) unless 3 std exceeds Blender's
  shape-key limit of 10; then the unit is that component's std and the slider range is +-3.
* **rotation, scale, opacity**: the first ``gn_components`` components of each are inputs of the
  generated geometry-nodes group (``Rotation 00``, ``Scale 00``, ``Opacity 00`` ...), in coefficient
  units, range +-3 std. Components past that limit stay at zero in Blender (the PLY export then
  also uses zero for them). With ``shared_coefficients`` the GN inputs are driven by the ``Pos###``
  sliders instead, so one set of sliders drives everything.

Coefficient sequences (Load Sequence), one frame per row:

* ``.npz``: arrays named ``position``, ``rotation``, ``scale``, ``opacity`` ([F, k_m], k_m <= K_m,
  missing modalities are zero) or one array ``coefficients`` [F, K]; optional ``fps`` (scalar).
* ``.npy``: one [F, K] array.
* ``.json``: ``{"fps": 30, "position": [[...], ...], ...}`` or ``{"coefficients": [[...], ...]}``.

A combined [F, K] array is the concatenation position | rotation | scale | opacity (K = sum of the
component counts) or, for a GEM with shared coefficients, the one shared vector (K <= K_shared).
"""

from __future__ import annotations

import json
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SHAPE_KEY_LIMIT = 10.0
"""Blender clamps shape-key slider ranges to [-10, 10]."""
SIGMA_RANGE = 3.0
GN_MODALITIES = ("rotation", "scale", "opacity")
GN_PREFIX = {"rotation": "Rotation", "scale": "Scale", "opacity": "Opacity"}


DISPLAYS = ("AUTO", "SPLATS", "ELLIPSOIDS")
"""How Import GEM shows the Gaussians: native splats (Blender 5.3+), ellipsoid instances, or the best available."""


@dataclass
class GemImportOptions:
    """Settings of Import GEM."""

    display: str = "AUTO"
    """One of :data:`DISPLAYS`: ``AUTO`` is native Gaussian splats on Blender 5.3+, ellipsoids before."""
    gn_components: int = 8
    """Rotation/scale/opacity components exposed as geometry-node inputs (each, at most)."""
    ellipsoid_sigmas: float = 1.5
    """Half-axes of the displayed ellipsoids in standard deviations (1.5 ~ where a splat fades)."""
    ico_subdivisions: int = 1


@dataclass
class Slider:
    """One control: ``value * unit`` is the coefficient; ``lo``/``hi`` are the control's limits."""

    name: str
    unit: float
    lo: float
    hi: float


def position_sliders(std: np.ndarray) -> list[Slider]:
    """Shape-key sliders ``Pos###`` for position stds ``[K]`` (see the module docstring for units)."""
    out = []
    for k, s in enumerate(np.asarray(std, dtype=np.float64)):
        reach = SIGMA_RANGE * max(float(s), 1e-9)
        unit = 1.0 if reach <= SHAPE_KEY_LIMIT else float(s)
        out.append(Slider(f"Pos{k:03d}", unit, -reach / unit, reach / unit))
    return out


def gn_sliders(gem, limit: int) -> dict[str, list[Slider]]:
    """Geometry-node inputs per modality: the first ``min(K_m, limit)`` components, coefficient units."""
    out = {}
    for m in GN_MODALITIES:
        std = gem.modality(m).std
        k = min(len(std), max(0, int(limit)))
        out[m] = [Slider(f"{GN_PREFIX[m]} {i:02d}", 1.0, -SIGMA_RANGE * max(float(std[i]), 1e-9),
                         SIGMA_RANGE * max(float(std[i]), 1e-9)) for i in range(k)]  # fmt: skip
    return out


def srgb_to_linear(c: np.ndarray) -> np.ndarray:
    """Display sRGB in [0, 1] -> linear (Blender colour attributes are scene-linear)."""
    c = np.clip(np.asarray(c, dtype=np.float64), 0.0, 1.0)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def point_attributes(gem, counts: dict[str, int], splats: bool = False) -> dict[str, tuple[str, np.ndarray]]:
    """Per-point attributes ``name -> (Blender type, values)`` the GN group and the material read.

    ``gs_colour`` (linear RGBA from SH degree 0), the raw means ``rot_mean_xyz``/``rot_mean_w``,
    ``scale_mean`` (log), ``opacity_mean`` (logit), and per exposed component ``k`` its basis rows
    ``rot_KK_xyz``/``rot_KK_w``, ``scale_KK``, ``opacity_KK``; plus the activated mean values
    ``gs_scale`` (m), ``gs_opacity`` and ``gs_rotation`` (w-x-y-z) for inspection. With ``splats``
    also Blender 5.3's native radiance: ``sh_dc`` (the raw SH degree-0 coefficients, which the GN
    group joins with the opacity into ``radiance:base``) and ``radiance:sh_J`` = SH coefficient J + 1
    (RGB) for the degrees the file stores, as Blender's own PLY importer lays them out.
    """
    n = gem.n_gaussians
    rgba = np.concatenate([srgb_to_linear(gem.base_colour()), np.ones((n, 1))], axis=1)
    out: dict[str, tuple[str, np.ndarray]] = {"gs_colour": ("FLOAT_COLOR", rgba)}
    rot = gem.rotation.mean.reshape(n, 4)
    out["rot_mean_xyz"] = ("FLOAT_VECTOR", rot[:, 1:])
    out["rot_mean_w"] = ("FLOAT", rot[:, 0])
    out["scale_mean"] = ("FLOAT_VECTOR", gem.scale.mean.reshape(n, 3))
    out["opacity_mean"] = ("FLOAT", gem.opacity.mean.reshape(n))
    for k in range(counts.get("rotation", 0)):
        b = gem.rotation.basis[k].reshape(n, 4)
        out[f"rot_{k:02d}_xyz"] = ("FLOAT_VECTOR", b[:, 1:])
        out[f"rot_{k:02d}_w"] = ("FLOAT", b[:, 0])
    for k in range(counts.get("scale", 0)):
        out[f"scale_{k:02d}"] = ("FLOAT_VECTOR", gem.scale.basis[k].reshape(n, 3))
    for k in range(counts.get("opacity", 0)):
        out[f"opacity_{k:02d}"] = ("FLOAT", gem.opacity.basis[k].reshape(n))
    if splats:
        out["sh_dc"] = ("FLOAT_VECTOR", gem.colour_sh[:, 0, :])
        for j in range(gem.colour_sh.shape[1] - 1):
            out[f"radiance:sh_{j}"] = ("FLOAT_VECTOR", gem.colour_sh[:, j + 1, :])
    mean = gem.decode({})
    out["gs_scale"] = ("FLOAT_VECTOR", mean.scales)
    out["gs_opacity"] = ("FLOAT", mean.opacities)
    out["gs_rotation"] = ("QUATERNION", mean.quats)
    return {k: (t, np.ascontiguousarray(v, dtype=np.float32)) for k, (t, v) in out.items()}


# ----------------------------------------------------------------------------- sequences
@dataclass
class Sequence:
    """Coefficients per frame: ``{modality: [F, K_m]}`` (full component counts, zero-padded), and fps."""

    coefficients: dict[str, np.ndarray]
    fps: float | None = None

    @property
    def n_frames(self) -> int:
        return int(next(iter(self.coefficients.values())).shape[0])


def _error(path, problem: str):
    from synthetic.errors import UserInputError

    return UserInputError(f"{path}: {problem}")


def _read_sequence_file(path: Path) -> tuple[dict[str, np.ndarray], float | None]:
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            return {"coefficients": np.load(path, allow_pickle=False)}, None
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
            fps = arrays.pop("fps", None)
            return arrays, None if fps is None else float(fps)
        if suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise _error(path, "expected a JSON object with 'position', ... or 'coefficients' lists")
            fps = data.pop("fps", None)
            return {k: np.asarray(v, dtype=np.float64) for k, v in data.items()}, None if fps is None else float(fps)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise _error(path, f"cannot read the coefficient sequence ({exc})") from None
    raise _error(path, f"unknown sequence type {suffix!r}; use .npy, .npz or .json")


def load_sequence(path, gem) -> Sequence:
    """Read a coefficient sequence for ``gem`` (see the module docstring); ``UserInputError`` names the problem."""
    from synthetic.gem_format import MODALITIES

    path = Path(path)
    if not path.is_file():
        raise _error(path, "no such file")
    arrays, fps = _read_sequence_file(path)
    counts = gem.component_counts
    if "coefficients" in arrays:
        extra = sorted(set(arrays) - {"coefficients"})
        if extra:
            raise _error(path, f"holds both 'coefficients' and {extra}; use one layout")
        combined = _frames(path, "coefficients", arrays["coefficients"])
        if gem.shared_coefficients:
            per = {m: combined for m in MODALITIES}
        else:
            total = sum(counts.values())
            if combined.shape[1] != total:
                raise _error(path, f"'coefficients' has {combined.shape[1]} columns; this GEM needs {total} "
                                   f"(position {counts['position']} | rotation {counts['rotation']} | scale "
                                   f"{counts['scale']} | opacity {counts['opacity']})")  # fmt: skip
            splits = np.cumsum([counts[m] for m in MODALITIES])[:-1]
            per = dict(zip(MODALITIES, np.split(combined, splits, axis=1)))
    else:
        unknown = sorted(set(arrays) - set(MODALITIES))
        if unknown or not arrays:
            raise _error(path, f"unknown array(s) {unknown}; expected {', '.join(MODALITIES)} or 'coefficients'")
        per = {m: _frames(path, m, a) for m, a in arrays.items()}
    frames = {m: a.shape[0] for m, a in per.items()}
    if len(set(frames.values())) != 1:
        raise _error(path, f"modalities have different frame counts {frames}")
    n_frames = next(iter(frames.values()))
    out = {}
    for m in MODALITIES:
        a = per.get(m, np.zeros((n_frames, 0)))
        if a.shape[1] > counts[m]:
            raise _error(path, f"{m}: {a.shape[1]} coefficients per frame, the GEM has {counts[m]} components")
        full = np.zeros((n_frames, counts[m]))
        full[:, : a.shape[1]] = a
        out[m] = full
    if fps is not None and not (math.isfinite(fps) and fps > 0):
        raise _error(path, f"fps must be a positive number, got {fps}")
    return Sequence(out, fps)


def _frames(path, name: str, a) -> np.ndarray:
    a = np.asarray(a)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[0] < 1 or not np.issubdtype(a.dtype, np.number):
        raise _error(path, f"{name!r} must be a [frames, components] number array, got shape {a.shape}")
    a = a.astype(np.float64)
    if not np.all(np.isfinite(a)):
        raise _error(path, f"{name!r} holds non-finite values")
    return a


# ----------------------------------------------------------------------------- export
def coefficients_from_controls(gem, position_values: np.ndarray, position_units: np.ndarray,
                               gn_values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Coefficients from Blender's controls: ``Pos###`` values x units, GN inputs (zeros past them)."""
    coeffs = {"position": np.asarray(position_values, dtype=np.float64) * np.asarray(position_units)}
    for m in GN_MODALITIES:
        k = gem.modality(m).n_components
        c = np.zeros(k)
        if gem.shared_coefficients:
            c[:] = coeffs["position"][:k]
        else:
            v = np.asarray(gn_values.get(m, ()), dtype=np.float64)[:k]
            c[: len(v)] = v
        coeffs[m] = c
    return coeffs


def ply_arrays(instance):
    """Activated GEM Gaussians -> the vendored PLY module's ``GaussianArrays`` (float32)."""
    from ._vendor.ply_numpy import GaussianArrays

    return GaussianArrays(means=instance.means.astype(np.float32), quats=instance.quats.astype(np.float32),
                          scales=instance.scales.astype(np.float32), opacities=instance.opacities.astype(np.float32),
                          sh=np.asarray(instance.sh, dtype=np.float32))  # fmt: skip


def write_ply(path, instance, comments=()) -> Path:
    """Write ``instance`` as a 3DGS PLY atomically (the vendored ``backend/io/ply_numpy.py`` layout)."""
    from synthetic.atomic import write_atomic

    from ._vendor.ply_numpy import gaussians_to_ply_arrays, write_ply_stream

    records = gaussians_to_ply_arrays(ply_arrays(instance))

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            write_ply_stream(f, records, comments)

    return write_atomic(path, write)
