"""The ``.gem`` file: a Gaussian Eigen Model (GEM) as one numpy ``.npz`` archive (numpy + stdlib only).

A GEM is a linear model per Gaussian modality. For coefficients ``k_m`` of modality ``m``::

    raw_m = mean_m + k_m @ basis_m            (one matrix product per modality)
    position = raw_position                   [N, 3] metres, model frame (Blender axes, Z up)
    rotation = normalise(raw_rotation)        [N, 4] quaternion w-x-y-z
    scale    = exp(raw_scale)                 [N, 3] standard deviations in metres (raw = log-scale)
    opacity  = sigmoid(raw_opacity)           [N]    in (0, 1) (raw = logit)

The colour is fixed: ``colour_sh`` [N, K_sh, 3] spherical-harmonic coefficients (degree 0..3, the
3D Gaussian Splatting convention: RGB = 0.5 + 0.28209479 * SH_0 for the view-independent part).

Archive keys (read with ``allow_pickle=False``; written compressed or not):

=====================  ===========================  ==============================================
key                    shape, dtype                 meaning
=====================  ===========================  ==============================================
``format``             0-d str                      ``"synthheads-gem"``
``version``            0-d int                      1, 2 or 3 (see *Versions* below)
``n_gaussians``        0-d int                      N
``{m}_mean``           [N*D_m] float32              D = 3, 4, 3, 1 for position, rotation, scale,
                                                    opacity (Gaussian-major: x0 y0 z0 x1 ...)
``{m}_basis``          [K_m, N*D_m] float32         orthonormal rows (principal directions)
``{m}_std``            [K_m] float32 >= 0           standard deviation of each coefficient
``colour_sh``          [N, K_sh, 3] float32         K_sh in 1, 4, 9, 16
``component_counts``   [4] int                      K_m in modality order
``metadata``           0-d str (optional)           a JSON object, see below
=====================  ===========================  ==============================================

Versions (``write_gem(..., precision=...)``; :data:`PRECISIONS`):

- 1, ``precision="float32"``: the table above, exact.
- 2, ``precision="float16"``: ``{m}_basis`` is float16, each row divided by its largest magnitude, with
  ``{m}_basis_scale`` [K_m] float32 > 0: row ``k`` is ``{m}_basis[k] * {m}_basis_scale[k]`` (relative error
  <= 2^-11 of the row's largest entry). Means, standard deviations and colour stay float32.
- 3, ``precision="uint8"``: unsigned integers with a float32 scale and offset per channel,
  ``value = offset + q * scale`` (error <= scale / 2). ``{m}_basis`` is uint8 [K_m, N*D_m] with
  ``{m}_basis_scale`` and ``{m}_basis_offset`` [K_m, D_m] (per component and channel: x, y, z of every
  Gaussian share them); ``{m}_mean`` is uint16 with ``{m}_mean_scale`` / ``{m}_mean_offset`` [D_m];
  ``colour_sh`` is uint16 with ``colour_sh_scale`` / ``colour_sh_offset`` [K_sh, 3]. Standard deviations
  stay float32. The writer makes zero a code of every basis channel (Gaussians a component leaves stay
  still); the reader orthonormalises the dequantised rows again (symmetrically, ``(B B^T)^(-1/2) B``: each
  row moves by ~1e-3 of the others) and refuses rows further from orthonormal than the steps allow. About
  a third of GEM's Table 4 megabytes per Gaussian, a few thousandths of a dB (bench/RESULTS.md).

A reader refuses a version newer than it knows with one line ("format version 3, this reader knows versions
1 and 2 (newer than this reader: update SynthHeads)"; exit code 2 in the command lines) and reads every older
one. The reader returns float32 arrays whatever the version. Component counts are per modality
(``component_counts``), e.g. GEM's 50 / 40 / 40 / 50.

``metadata`` keys the tools understand (all optional): ``source_avatar`` (str), ``psnr`` (float,
dB), ``expression_names`` (list of str), ``shared_coefficients`` (bool: every modality has the
same K and one coefficient vector drives all four, as when the components come from one joint PCA),
``fps`` (float), ``created_by`` (str). Other keys are kept as they are.

Example::

    gem = read_gem("avatar.gem")
    inst = gem.decode(gem.random_coefficients(np.random.default_rng(0), scale=1.0))
    inst.means, inst.quats, inst.scales, inst.opacities, inst.sh
"""

from __future__ import annotations

import io
import json
import os
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..atomic import write_atomic
from ..errors import UserInputError

FORMAT_NAME = "synthheads-gem"
FORMAT_VERSION = 3
"""The newest version this module reads and writes (1: float32; 2: float16 bases; 3: 8-bit bases)."""
READABLE_VERSIONS = (1, 2, 3)
PRECISIONS = {"float32": 1, "float16": 2, "uint8": 3}
"""``write_gem`` precision -> the format version it writes."""
QUANTISED_BITS = {"basis": 8, "mean": 16, "colour_sh": 16}
"""Version 3: integer width of each quantised array kind."""
MODALITIES = ("position", "rotation", "scale", "opacity")
DIMS = {"position": 3, "rotation": 4, "scale": 3, "opacity": 1}
SH_COUNTS = (1, 4, 9, 16)
SH_C0 = 0.28209479177387814
ORTHONORMAL_TOLERANCE = 1e-3
"""Largest allowed ``|B B^T - I|`` entry of a basis (float32 rows of length up to ~10^6)."""
REQUIRED_KEYS = ("format", "version", "n_gaussians", "colour_sh", "component_counts",
                 *(f"{m}_{part}" for m in MODALITIES for part in ("mean", "basis", "std")))  # fmt: skip


@dataclass(frozen=True)
class GemModality:
    """One linear model: ``raw = mean + coefficients @ basis`` (before the modality's activation).

    Attributes:
        mean: ``[N*D]`` float32 raw mean values, Gaussian-major.
        basis: ``[K, N*D]`` float32 orthonormal rows.
        std: ``[K]`` float32 standard deviation of each coefficient over the training data.
    """

    mean: np.ndarray
    basis: np.ndarray
    std: np.ndarray

    @property
    def n_components(self) -> int:
        return int(self.basis.shape[0])


@dataclass
class GemInstance:
    """Activated Gaussians of one coefficient vector (leading batch dimensions allowed).

    Attributes:
        means: ``[..., N, 3]`` positions in metres. quats: ``[..., N, 4]`` unit quaternions w-x-y-z.
        scales: ``[..., N, 3]`` standard deviations in metres. opacities: ``[..., N]`` in (0, 1).
        sh: ``[N, K_sh, 3]`` SH colour coefficients (fixed, shared by every instance).
    """

    means: np.ndarray
    quats: np.ndarray
    scales: np.ndarray
    opacities: np.ndarray
    sh: np.ndarray


@dataclass
class GemModel:
    """A Gaussian Eigen Model. Build it from arrays or with :func:`read_gem`; :meth:`check` validates it."""

    position: GemModality
    rotation: GemModality
    scale: GemModality
    opacity: GemModality
    colour_sh: np.ndarray
    metadata: dict = field(default_factory=dict)
    source: str = "GemModel"
    """Where the model came from (the file name in error messages)."""

    # ------------------------------------------------------------------ sizes
    def modality(self, name: str) -> GemModality:
        if name not in MODALITIES:
            raise KeyError(f"unknown GEM modality {name!r}; modalities are {MODALITIES}")
        return getattr(self, name)

    @property
    def n_gaussians(self) -> int:
        return int(self.colour_sh.shape[0])

    @property
    def component_counts(self) -> dict[str, int]:
        return {m: self.modality(m).n_components for m in MODALITIES}

    @property
    def sh_degree(self) -> int:
        return SH_COUNTS.index(self.colour_sh.shape[1])

    @property
    def shared_coefficients(self) -> bool:
        """True when one coefficient vector drives every modality (``metadata["shared_coefficients"]``)."""
        return bool(self.metadata.get("shared_coefficients", False))

    @property
    def nbytes(self) -> int:
        """Bytes held by the model's arrays (the uncompressed size of a ``.gem`` file, about)."""
        return int(sum(a.nbytes for a in self.arrays().values()))

    # ------------------------------------------------------------------ evaluation
    def _coefficients(self, coeffs: Mapping[str, np.ndarray] | None) -> dict[str, np.ndarray | None]:
        coeffs = dict(coeffs or {})
        unknown = sorted(set(coeffs) - set(MODALITIES))
        if unknown:
            raise UserInputError(f"{self.source}: unknown coefficient modality {unknown}; use {MODALITIES}")
        out: dict[str, np.ndarray | None] = {}
        for m in MODALITIES:
            c = coeffs.get(m)
            if c is None:
                out[m] = None
                continue
            c = np.asarray(c, dtype=np.float64)
            k = self.modality(m).n_components
            if c.ndim == 0 or c.shape[-1] > k:
                raise UserInputError(f"{self.source}: {m} coefficients have shape {c.shape}; expected (..., k) "
                                     f"with k <= {k} components")  # fmt: skip
            if not np.all(np.isfinite(c)):
                raise UserInputError(f"{self.source}: {m} coefficients must be finite")
            out[m] = c
        return out

    def decode_raw(self, coeffs: Mapping[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
        """Raw (pre-activation) values ``[..., N, D]`` per modality for ``coeffs`` ``{modality: [..., k]}``.

        Missing modalities use zero coefficients; ``k`` may be smaller than the component count (the
        first ``k`` components). One matrix product per modality.
        """
        n = self.n_gaussians
        out = {}
        for m, c in self._coefficients(coeffs).items():
            mod = self.modality(m)
            raw = mod.mean.astype(np.float64)
            if c is not None and c.shape[-1]:
                raw = raw + c @ mod.basis[: c.shape[-1]].astype(np.float64)
            out[m] = raw.reshape(raw.shape[:-1] + (n, DIMS[m]))
        return out

    def decode(self, coeffs: Mapping[str, np.ndarray] | None = None) -> GemInstance:
        """Activated Gaussians for ``coeffs`` (see :meth:`decode_raw`): unit quaternions, exp scales,
        sigmoid opacities."""
        raw = self.decode_raw(coeffs)
        q = raw["rotation"]
        norm = np.linalg.norm(q, axis=-1, keepdims=True)
        quats = np.where(norm > 1e-12, q / np.maximum(norm, 1e-12), np.array([1.0, 0.0, 0.0, 0.0]))
        with np.errstate(over="ignore"):
            scales = np.exp(raw["scale"])
            opacities = 1.0 / (1.0 + np.exp(-raw["opacity"][..., 0]))
        return GemInstance(raw["position"], quats, scales, opacities, self.colour_sh)

    def zero_coefficients(self) -> dict[str, np.ndarray]:
        return {m: np.zeros(self.modality(m).n_components) for m in MODALITIES}

    def random_coefficients(self, rng: np.random.Generator, scale: float = 1.0) -> dict[str, np.ndarray]:
        """Coefficients ~ N(0, (scale * std)^2) per modality; with shared coefficients one vector for all."""
        if self.shared_coefficients:
            c = rng.standard_normal(self.position.n_components) * self.position.std * scale
            return {m: c.copy() for m in MODALITIES}
        return {m: rng.standard_normal(self.modality(m).n_components) * self.modality(m).std * scale
                for m in MODALITIES}  # fmt: skip

    def base_colour(self) -> np.ndarray:
        """``[N, 3]`` view-independent colour in [0, 1] (display sRGB, as the 3DGS code renders it)."""
        return np.clip(0.5 + SH_C0 * self.colour_sh[:, 0, :].astype(np.float64), 0.0, 1.0)

    # ------------------------------------------------------------------ storage
    def arrays(self, precision: str = "float32") -> dict[str, np.ndarray]:
        """The archive's arrays (see the module docstring); ``precision`` is ``"float32"`` (version 1),
        ``"float16"`` (version 2: float16 bases with per-row float32 scales) or ``"uint8"`` (version 3: 8-bit
        bases, 16-bit means and colour, each with a float32 scale and offset per channel)."""
        if precision not in PRECISIONS:
            raise ValueError(f"precision {precision!r}: use one of {', '.join(PRECISIONS)}")
        version = PRECISIONS[precision]
        n = self.n_gaussians
        out = {
            "format": np.array(FORMAT_NAME),
            "version": np.array(version, dtype=np.int64),
            "n_gaussians": np.array(n, dtype=np.int64),
            "component_counts": np.array([self.modality(m).n_components for m in MODALITIES], dtype=np.int64),
        }
        sh = np.asarray(self.colour_sh, dtype=np.float32)
        out.update(_quantised("colour_sh", sh, "colour_sh") if version == 3 else {"colour_sh": sh})
        for m in MODALITIES:
            mod = self.modality(m)
            mean = np.asarray(mod.mean, dtype=np.float32)
            basis = np.asarray(mod.basis, dtype=np.float32)
            if version == 3:
                out.update(_quantised(f"{m}_mean", mean.reshape(n, DIMS[m]), "mean"))
                out.update(_quantised(f"{m}_basis", basis.reshape(-1, n, DIMS[m]), "basis"))
            else:
                out[f"{m}_mean"] = mean
                if version == 2:
                    scale = np.abs(basis).max(axis=1) if basis.size else np.ones(0, np.float32)
                    scale = np.where(scale > 0, scale, 1.0).astype(np.float32)
                    out[f"{m}_basis_scale"] = scale
                    basis = (basis / scale[:, None]).astype(np.float16)
                out[f"{m}_basis"] = basis
            out[f"{m}_std"] = np.asarray(mod.std, dtype=np.float32)
        if self.metadata:
            out["metadata"] = np.array(json.dumps(self.metadata))
        return out

    def check(self) -> GemModel:
        """Raise :class:`UserInputError` naming :attr:`source` and the problem unless the model is consistent."""
        _check_arrays(self.arrays(), self.source)
        _check_shared(self)
        return self


# ----------------------------------------------------------------------------- checks
def _fail(source: str, problem: str) -> UserInputError:
    return UserInputError(f"{source}: {problem}")


def _int(arrays: dict, key: str, source: str) -> int:
    a = arrays[key]
    if a.shape != () or not np.issubdtype(a.dtype, np.integer):
        raise _fail(source, f"{key!r} must be a single integer, found dtype {a.dtype} shape {a.shape}")
    return int(a)


def _str(arrays: dict, key: str, source: str) -> str:
    a = arrays[key]
    if a.shape != () or a.dtype.kind != "U":
        raise _fail(source, f"{key!r} must be a single string, found dtype {a.dtype} shape {a.shape}")
    return str(a)


def _check_arrays(arrays: dict[str, np.ndarray], source: str) -> tuple[int, dict, dict[str, np.ndarray]]:
    """Validate archive arrays of any readable version; returns (n_gaussians, metadata, the arrays with means,
    bases and colour as float32, whatever their storage)."""
    missing = [k for k in REQUIRED_KEYS if k not in arrays]
    if "format" not in missing and _str(arrays, "format", source) != FORMAT_NAME:
        raise _fail(source, f"format is {str(arrays['format'])!r}, expected {FORMAT_NAME!r} (not a SynthHeads GEM)")
    if missing:
        raise _fail(source, f"missing array(s) {', '.join(missing)} (a .gem file holds {', '.join(REQUIRED_KEYS)})")
    version = _int(arrays, "version", source)
    if version not in READABLE_VERSIONS:
        newer = " (newer than this reader: update SynthHeads)" if version > FORMAT_VERSION else ""
        known = ", ".join(map(str, READABLE_VERSIONS[:-1])) + f" and {READABLE_VERSIONS[-1]}"
        raise _fail(source, f"format version {version}, this reader knows versions {known}{newer}")
    n = _int(arrays, "n_gaussians", source)
    if n < 1:
        raise _fail(source, f"n_gaussians must be at least 1, found {n}")
    counts = arrays["component_counts"]
    if counts.shape != (len(MODALITIES),) or not np.issubdtype(counts.dtype, np.integer) or np.any(counts < 0):
        raise _fail(source, f"'component_counts' must be {len(MODALITIES)} non-negative integers "
                            f"({', '.join(MODALITIES)}), found {counts.tolist()}")  # fmt: skip
    for m, k in zip(MODALITIES, counts.tolist()):
        width = n * DIMS[m]
        for key, shape in {f"{m}_mean": (width,), f"{m}_basis": (k, width), f"{m}_std": (k,)}.items():
            a = arrays[key]
            want = _integer_dtype(key, version)
            if not (a.dtype == want if want else np.issubdtype(a.dtype, np.floating)):
                raise _fail(source, f"{key!r} must hold {want or 'floats'}, found dtype {a.dtype}")
            if a.shape != shape:
                raise _fail(source, f"{key!r} has shape {a.shape}, expected {shape} (n_gaussians={n}, "
                                    f"{m} components={k}, {DIMS[m]} values per Gaussian)")  # fmt: skip
    sh = arrays["colour_sh"]
    if sh.ndim != 3 or sh.shape[0] != n or sh.shape[1] not in SH_COUNTS or sh.shape[2] != 3:
        raise _fail(source, f"'colour_sh' has shape {sh.shape}, expected ({n}, K, 3) with K in {SH_COUNTS}")
    want = _integer_dtype("colour_sh", version)
    if not (sh.dtype == want if want else np.issubdtype(sh.dtype, np.floating)):
        raise _fail(source, f"'colour_sh' must hold {want or 'finite floats'}, found dtype {sh.dtype}")
    floats, tolerance = _decode_storage(arrays, version, n, source)
    for m, k in zip(MODALITIES, counts.tolist()):
        for key in (f"{m}_mean", f"{m}_basis", f"{m}_std"):
            if not np.all(np.isfinite(floats[key])):
                raise _fail(source, f"{key!r} holds {int(np.sum(~np.isfinite(floats[key])))} non-finite values")
        if np.any(floats[f"{m}_std"] < 0):
            raise _fail(source, f"'{m}_std' has negative standard deviations")
        basis = floats[f"{m}_basis"]
        if k:
            gram = basis @ basis.T
            err = np.abs(gram - np.eye(k)) - tolerance[m]
            if np.max(err) > 0:
                worst = np.unravel_index(np.argmax(err), err.shape)
                raise _fail(source, f"the rows of '{m}_basis' are not orthonormal (|B B^T - I| = "
                                    f"{err[worst] + np.broadcast_to(tolerance[m], err.shape)[worst]:.3g} > "
                                    f"{np.broadcast_to(tolerance[m], err.shape)[worst]:.3g} at {worst})")  # fmt: skip
            if version == 3:  # quantisation bends the rows a little: the reader returns orthonormal rows again
                floats[f"{m}_basis"] = _orthonormalised(basis, gram, f"'{m}_basis'", source)
    if not np.all(np.isfinite(floats["colour_sh"])):
        raise _fail(source, "'colour_sh' must hold finite floats")
    metadata: dict = {}
    if "metadata" in arrays:
        text = _str(arrays, "metadata", source)
        try:
            metadata = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _fail(source, f"'metadata' is not valid JSON ({exc})") from None
        if not isinstance(metadata, dict):
            raise _fail(source, f"'metadata' must be a JSON object, found {type(metadata).__name__}")
    return n, metadata, floats


def _integer_dtype(key: str, version: int) -> np.dtype | None:
    """The dtype of a quantised version 3 array (means, bases, colour); None where the array holds floats."""
    kind = "colour_sh" if key == "colour_sh" else key.rsplit("_", 1)[-1]
    return np.dtype(f"uint{QUANTISED_BITS[kind]}") if version == 3 and kind in QUANTISED_BITS else None


def _storage_keys(version: int) -> list[str]:
    """The scale / offset arrays a file of ``version`` holds, in modality order."""
    if version == 2:
        return [f"{m}_basis_scale" for m in MODALITIES]
    if version == 3:
        return [f"{key}_{part}" for key in (*(f"{m}_{kind}" for m in MODALITIES for kind in ("mean", "basis")),
                                            "colour_sh") for part in ("scale", "offset")]  # fmt: skip
    return []


def _decode_storage(arrays: dict, version: int, n: int, source: str) -> tuple[dict, dict]:
    """Means, bases and colour as float32 (version 2: bases times their row scales; version 3: dequantised), and
    the orthonormality tolerance per modality (version 3 adds each pair of rows' worst quantisation error)."""
    for key in dict.fromkeys(_storage_keys(2) + _storage_keys(3)):
        if key not in arrays or key in _storage_keys(version):
            continue
        first = 2 if key in _storage_keys(2) else 3
        raise _fail(source, f"{key!r} is a version {first} array, the file says version {version}")
    out = {k: (v.astype(np.float32) if k.endswith("_std") or version < 3 and (k.endswith(("_mean", "_basis"))
                                                                           or k == "colour_sh") else v)
           for k, v in arrays.items()}  # fmt: skip
    tolerance: dict[str, float | np.ndarray] = {m: ORTHONORMAL_TOLERANCE for m in MODALITIES}
    if version == 2:
        for m in MODALITIES:
            scale, k = arrays.get(f"{m}_basis_scale"), arrays[f"{m}_basis"].shape[0]
            if scale is None:
                continue
            if scale.shape != (k,) or not np.issubdtype(scale.dtype, np.floating) or not np.all(
                    np.isfinite(scale) & (scale > 0)):  # fmt: skip
                raise _fail(source, f"'{m}_basis_scale' must be {k} positive finite floats, found dtype "
                                    f"{scale.dtype} shape {scale.shape}")  # fmt: skip
            out[f"{m}_basis"] = out[f"{m}_basis"] * scale.astype(np.float32)[:, None]
    elif version == 3:
        missing = [k for k in _storage_keys(3) if k not in arrays]
        if missing:
            raise _fail(source, f"version 3 file is missing array(s) {', '.join(missing)}")
        sh = arrays["colour_sh"]
        out["colour_sh"] = _dequantised(arrays, "colour_sh", sh.shape, source)
        for m in MODALITIES:
            d = DIMS[m]
            out[f"{m}_mean"] = _dequantised(arrays, f"{m}_mean", (n, d), source).reshape(-1)
            k = arrays[f"{m}_basis"].shape[0]
            out[f"{m}_basis"] = _dequantised(arrays, f"{m}_basis", (k, n, d), source).reshape(k, -1)
            err = np.sqrt(n * np.sum((arrays[f"{m}_basis_scale"].astype(np.float64) / 2) ** 2, axis=1))
            bound = 1.01 * (err[:, None] + err[None, :] + err[:, None] * err[None, :])
            tolerance[m] = ORTHONORMAL_TOLERANCE + np.minimum(bound, 0.1)
    return out, tolerance


def _orthonormalised(basis: np.ndarray, gram: np.ndarray, key: str, source: str) -> np.ndarray:
    """The orthonormal rows nearest to ``basis`` ``[K, W]`` (symmetric, Loewdin: ``(B B^T)^(-1/2) B``; ``gram`` is
    ``B B^T``): each row moves by about half its overlap with the others, ~1e-3 of them."""
    w, v = np.linalg.eigh(gram.astype(np.float64))
    if w.min() < 0.5:
        raise _fail(source, f"the rows of {key} are far from orthonormal (smallest eigenvalue of B B^T {w.min():.3g})")
    return ((v / np.sqrt(w)) @ v.T).astype(np.float32) @ basis


def _quantised(key: str, values: np.ndarray, kind: str) -> dict[str, np.ndarray]:
    """Version 3 storage of ``values`` (means ``[N, D]``, colour ``[N, K_sh, 3]``, bases ``[K, N, D]``): unsigned
    ``QUANTISED_BITS[kind]``-bit integers ``q`` with ``values ~= offset + q * scale``, one float32 scale and offset
    per channel (every axis but the Gaussian one); the error is at most ``scale / 2`` (plus float32 rounding)."""
    bits, axis = QUANTISED_BITS[kind], 1 if kind == "basis" else 0
    levels = 2**bits - 1
    v = values.astype(np.float64)
    lo, hi = v.min(axis=axis, keepdims=True), v.max(axis=axis, keepdims=True)
    if kind == "basis":  # zero is a code: the many Gaussians a component leaves still stay exactly still
        lo, hi = np.minimum(lo, 0.0), np.maximum(hi, 0.0)
        scale = ((hi - lo) / levels).astype(np.float32)
        offset = (-np.rint(-lo / np.where(scale > 0, scale, 1.0)) * scale).astype(np.float32)
    else:
        offset = lo.astype(np.float32)
        scale = ((hi - offset) / levels).astype(np.float32)
    step = np.where(scale > 0, scale, 1.0).astype(np.float64)
    q = np.clip(np.rint((v - offset) / step), 0, levels).astype(f"uint{bits}")
    shape = (values.shape[0], -1) if kind == "basis" else (-1,) if kind == "mean" else values.shape
    return {key: q.reshape(shape), f"{key}_scale": scale.squeeze(axis), f"{key}_offset": offset.squeeze(axis)}


def _dequantised(arrays: dict, key: str, shape: tuple[int, ...], source: str) -> np.ndarray:
    """``offset + q * scale`` as float32 for the version 3 array ``key`` viewed as ``shape`` (:func:`_quantised`)."""
    axis = 1 if key.endswith("_basis") else 0
    channels = shape[:axis] + shape[axis + 1 :]
    parts = {part: arrays[f"{key}_{part}"] for part in ("scale", "offset")}
    for part, a in parts.items():
        if a.shape != channels or not np.issubdtype(a.dtype, np.floating) or not np.all(np.isfinite(a)):
            raise _fail(source, f"'{key}_{part}' must be finite floats of shape {channels}, found dtype {a.dtype} "
                                f"shape {a.shape}")  # fmt: skip
    if np.any(parts["scale"] < 0):
        raise _fail(source, f"'{key}_scale' has negative scales")
    scale, offset = (np.expand_dims(parts[p].astype(np.float32), axis) for p in ("scale", "offset"))
    return offset + arrays[key].reshape(shape).astype(np.float32) * scale


def _check_shared(model: GemModel) -> None:
    if model.shared_coefficients and len(set(model.component_counts.values())) != 1:
        raise _fail(model.source, f"metadata says shared_coefficients but the component counts differ: "
                                  f"{model.component_counts}")  # fmt: skip


# ----------------------------------------------------------------------------- files
def write_gem(path: str | os.PathLike, model: GemModel, compress: bool = True, precision: str = "float32") -> Path:
    """Check ``model`` and write it to ``path`` atomically (temp file, then rename); returns the path.

    ``precision``: ``"float32"`` (version 1, exact), ``"float16"`` (version 2) or ``"uint8"`` (version 3, the
    compact one), see the module docstring."""
    model.check()
    arrays = model.arrays(precision)

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:  # a file object: np.savez would append ".npz" to a path
            (np.savez_compressed if compress else np.savez)(f, **arrays)

    return write_atomic(path, write)


def read_gem(path: str | os.PathLike) -> GemModel:
    """Read and check a ``.gem`` file; :class:`UserInputError` names the file and the problem."""
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise UserInputError(f"{source}: no such .gem file")
    data = path.read_bytes()
    if not data.startswith(b"PK"):
        raise _fail(source, f"is not a .gem archive (a .gem file is a numpy .npz zip; this one starts with "
                            f"{data[:8]!r})")  # fmt: skip
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            if not isinstance(npz, np.lib.npyio.NpzFile):
                raise _fail(source, "is a single .npy array, not a .gem archive (a numpy .npz)")
            arrays = {k: npz[k] for k in npz.files}
    except UserInputError:
        raise
    except ValueError as exc:
        if "allow_pickle" in str(exc) or "Object arrays" in str(exc):
            raise _fail(source, "holds a pickled Python object array; .gem files hold plain arrays only") from None
        raise _fail(source, f"is not a readable .gem archive (corrupt or truncated: {exc})") from None
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
        raise _fail(source, f"is not a readable .gem archive (corrupt or truncated: {exc})") from None
    _, metadata, floats = _check_arrays(arrays, source)

    def modality(m: str) -> GemModality:
        return GemModality(floats[f"{m}_mean"], floats[f"{m}_basis"], floats[f"{m}_std"])

    model = GemModel(*(modality(m) for m in MODALITIES), colour_sh=floats["colour_sh"], metadata=metadata,
                     source=source)  # fmt: skip
    _check_shared(model)
    return model
