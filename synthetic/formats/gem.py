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
``version``            0-d int                      1, or 2 for a compact file (:data:`FORMAT_VERSION`)
``n_gaussians``        0-d int                      N
``{m}_mean``           [N*D_m] float32              D = 3, 4, 3, 1 for position, rotation, scale,
                                                    opacity (Gaussian-major: x0 y0 z0 x1 ...)
``{m}_basis``          [K_m, N*D_m] float32         orthonormal rows (principal directions);
                                                    version 2: float16, times ``{m}_basis_scale``
``{m}_std``            [K_m] float32 >= 0           standard deviation of each coefficient
``{m}_basis_scale``    [K_m] float32 > 0            version 2 only: row ``k`` of the basis is
                                                    ``{m}_basis[k] * {m}_basis_scale[k]``
``colour_sh``          [N, K_sh, 3] float32         K_sh in 1, 4, 9, 16
``component_counts``   [4] int                      K_m in modality order
``metadata``           0-d str (optional)           a JSON object, see below
=====================  ===========================  ==============================================

Versions: ``write_gem(..., precision="float32")`` (the default) writes version 1, exact, which
every reader reads. ``precision="float16"`` writes the compact version 2: each basis row divided by
its largest magnitude and stored as float16 (relative error <= 2^-11 of the row's largest entry;
the means, standard deviations and colour stay float32), so the bulk of the file is half the size.
A reader that knows only version 1 refuses version 2 with one line ("format version 2, this reader
knows version 1 (newer than this reader: update SynthHeads)"; exit code 2 in the command lines).
Component counts are per modality (``component_counts``), e.g. GEM's 50 / 40 / 40 / 50.

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
FORMAT_VERSION = 2
"""The newest version this module reads and writes (1: float32; 2: compact, float16 bases)."""
READABLE_VERSIONS = (1, 2)
PRECISIONS = {"float32": 1, "float16": 2}
"""``write_gem`` precision -> the format version it writes."""
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
        """The archive's arrays (see the module docstring); ``precision`` is ``"float32"`` (version 1) or
        ``"float16"`` (version 2: float16 bases with per-row float32 scales)."""
        if precision not in PRECISIONS:
            raise ValueError(f"precision {precision!r}: use one of {', '.join(PRECISIONS)}")
        out = {
            "format": np.array(FORMAT_NAME),
            "version": np.array(PRECISIONS[precision], dtype=np.int64),
            "n_gaussians": np.array(self.n_gaussians, dtype=np.int64),
            "colour_sh": np.asarray(self.colour_sh, dtype=np.float32),
            "component_counts": np.array([self.modality(m).n_components for m in MODALITIES], dtype=np.int64),
        }
        for m in MODALITIES:
            mod = self.modality(m)
            out[f"{m}_mean"] = np.asarray(mod.mean, dtype=np.float32)
            basis = np.asarray(mod.basis, dtype=np.float32)
            if precision == "float16":
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


def _check_arrays(arrays: dict[str, np.ndarray], source: str) -> tuple[int, dict]:
    """Validate archive arrays; returns (n_gaussians, metadata)."""
    missing = [k for k in REQUIRED_KEYS if k not in arrays]
    if "format" not in missing and _str(arrays, "format", source) != FORMAT_NAME:
        raise _fail(source, f"format is {str(arrays['format'])!r}, expected {FORMAT_NAME!r} (not a SynthHeads GEM)")
    if missing:
        raise _fail(source, f"missing array(s) {', '.join(missing)} (a .gem file holds {', '.join(REQUIRED_KEYS)})")
    version = _int(arrays, "version", source)
    if version not in READABLE_VERSIONS:
        newer = " (newer than this reader: update SynthHeads)" if version > FORMAT_VERSION else ""
        known = " and ".join(map(str, READABLE_VERSIONS))
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
        expected = {f"{m}_mean": (width,), f"{m}_basis": (k, width), f"{m}_std": (k,)}
        for key, shape in expected.items():
            a = arrays[key]
            if not np.issubdtype(a.dtype, np.floating):
                raise _fail(source, f"{key!r} must hold floats, found dtype {a.dtype}")
            if a.shape != shape:
                raise _fail(source, f"{key!r} has shape {a.shape}, expected {shape} (n_gaussians={n}, "
                                    f"{m} components={k}, {DIMS[m]} values per Gaussian)")  # fmt: skip
            if not np.all(np.isfinite(a)):
                raise _fail(source, f"{key!r} holds {int(np.sum(~np.isfinite(a)))} non-finite values")
        if np.any(arrays[f"{m}_std"] < 0):
            raise _fail(source, f"'{m}_std' has negative standard deviations")
        scale = arrays.get(f"{m}_basis_scale")
        if scale is not None:
            if version == 1:
                raise _fail(source, f"'{m}_basis_scale' is a version 2 array, the file says version 1")
            if scale.shape != (k,) or not np.issubdtype(scale.dtype, np.floating) or not np.all(
                    np.isfinite(scale) & (scale > 0)):  # fmt: skip
                raise _fail(source, f"'{m}_basis_scale' must be {k} positive finite floats, found dtype "
                                    f"{scale.dtype} shape {scale.shape}")  # fmt: skip
        basis = _basis(arrays, m)
        if k:
            err = float(np.max(np.abs(basis @ basis.T - np.eye(k))))
            if err > ORTHONORMAL_TOLERANCE:
                raise _fail(source, f"the rows of '{m}_basis' are not orthonormal (max |B B^T - I| = {err:.3g} > "
                                    f"{ORTHONORMAL_TOLERANCE:g})")  # fmt: skip
    sh = arrays["colour_sh"]
    if sh.ndim != 3 or sh.shape[0] != n or sh.shape[1] not in SH_COUNTS or sh.shape[2] != 3:
        raise _fail(source, f"'colour_sh' has shape {sh.shape}, expected ({n}, K, 3) with K in {SH_COUNTS}")
    if not np.issubdtype(sh.dtype, np.floating) or not np.all(np.isfinite(sh)):
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
    return n, metadata


def _basis(arrays: dict, m: str) -> np.ndarray:
    """Modality ``m``'s basis as float32 (a version 2 file's float16 rows times their scales)."""
    basis = arrays[f"{m}_basis"].astype(np.float32)
    scale = arrays.get(f"{m}_basis_scale")
    return basis if scale is None else basis * scale.astype(np.float32)[:, None]


def _check_shared(model: GemModel) -> None:
    if model.shared_coefficients and len(set(model.component_counts.values())) != 1:
        raise _fail(model.source, f"metadata says shared_coefficients but the component counts differ: "
                                  f"{model.component_counts}")  # fmt: skip


# ----------------------------------------------------------------------------- files
def write_gem(path: str | os.PathLike, model: GemModel, compress: bool = True, precision: str = "float32") -> Path:
    """Check ``model`` and write it to ``path`` atomically (temp file, then rename); returns the path.

    ``precision="float16"`` writes the compact version 2 file (float16 bases, see the module docstring)."""
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
    _, metadata = _check_arrays(arrays, source)

    def modality(m: str) -> GemModality:
        return GemModality(arrays[f"{m}_mean"].astype(np.float32), _basis(arrays, m),
                           arrays[f"{m}_std"].astype(np.float32))  # fmt: skip

    model = GemModel(*(modality(m) for m in MODALITIES), colour_sh=arrays["colour_sh"].astype(np.float32),
                     metadata=metadata, source=source)  # fmt: skip
    _check_shared(model)
    return model
