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

Coefficient sequences (Load Sequence): the format of :mod:`synthetic.formats.coefficients` (``.npy``,
``.npz`` or ``.json``, one frame per row, optional ``fps``), read by the same function as the backend's
``render --gem --coefficients``.
"""

from __future__ import annotations

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
def load_sequence(path, gem):
    """Read a coefficient sequence for ``gem`` (:mod:`synthetic.formats.coefficients`, the reader the backend's
    ``render --gem --coefficients`` uses); ``UserInputError`` names the problem."""
    from synthetic.formats.coefficients import read_sequence

    return read_sequence(path, gem.component_counts, gem.shared_coefficients)


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
    """Activated GEM Gaussians -> ``synthetic.formats.ply.GaussianArrays`` (float32)."""
    from synthetic.formats.ply import GaussianArrays

    return GaussianArrays(means=instance.means.astype(np.float32), quats=instance.quats.astype(np.float32),
                          scales=instance.scales.astype(np.float32), opacities=instance.opacities.astype(np.float32),
                          sh=np.asarray(instance.sh, dtype=np.float32))  # fmt: skip


def write_ply(path, instance, comments=()) -> Path:
    """Write ``instance`` as a 3DGS PLY atomically (the ``synthetic/formats/ply.py`` layout)."""
    from synthetic.atomic import write_atomic
    from synthetic.formats.ply import gaussians_to_ply_arrays, write_ply_stream

    records = gaussians_to_ply_arrays(ply_arrays(instance))

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            write_ply_stream(f, records, comments)

    return write_atomic(path, write)
