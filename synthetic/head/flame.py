"""Read a licensed FLAME ``generic_model.pkl`` without chumpy or scipy (numpy only).

FLAME's pickle holds chumpy ``Ch`` objects and a ``scipy.sparse`` joint regressor. A restricted
unpickler maps those classes to small stubs that keep their pickled state, then turns them into
plain arrays; any other class in the file is refused (a pickle can run code, so only numpy's
array reconstruction and these stubs are allowed).

FLAME's frame is Y up with the face looking along +Z (metres); :func:`flame_to_blender` converts
points to ours (Z up, face along -Y). Pose order is FLAME's: ``global, neck, jaw, eye_left,
eye_right`` axis-angle (rad); ``shapedirs`` holds 300 identity then 100 expression components
for FLAME 2020+ (``n_shape`` splits them).
"""

from __future__ import annotations

import io
import os
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import lbs

_NUMPY_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("copy_reg", "_reconstructor"),
    ("copyreg", "_reconstructor"),
    ("__builtin__", "object"),
    ("builtins", "object"),
    ("_codecs", "encode"),  # bytes in protocol-2 pickles written by Python 3
    ("__builtin__", "set"),
    ("builtins", "set"),
    ("__builtin__", "frozenset"),
    ("builtins", "frozenset"),
}


class _Stub:
    """Stand-in for a chumpy or scipy.sparse object: keeps the pickled state, nothing else."""

    kind = "stub"

    def __init__(self, *args, **kwargs):
        self.args = args
        self.state = {}

    def __setstate__(self, state):
        self.state = state if isinstance(state, dict) else {"_state": state}


class _ChumpyStub(_Stub):
    kind = "chumpy"


class _SparseStub(_Stub):
    kind = "sparse"
    fmt = "csc"


def _sparse_stub(name: str) -> type:
    """A sparse stub class that remembers the matrix format from the class name (csc, csr, coo)."""
    return type(f"_SparseStub_{name}", (_SparseStub,), {"fmt": name[:3]})


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) in _NUMPY_ALLOWED:
            if module in ("copy_reg", "copyreg"):
                import copyreg

                return copyreg._reconstructor
            if module in ("__builtin__", "builtins"):
                import builtins

                return getattr(builtins, name)
            if module == "_codecs":
                import codecs

                return codecs.encode
            return super().find_class(module.replace("numpy.core", "numpy._core") if _np2() else module, name)
        if module.startswith("chumpy"):
            return _ChumpyStub
        if module.startswith("scipy.sparse") and name[:3] in ("csc", "csr", "coo"):
            return _sparse_stub(name)
        raise pickle.UnpicklingError(f"FLAME pickle: refusing to load class {module}.{name}")


def _np2() -> bool:
    return int(np.__version__.split(".")[0]) >= 2


def _to_array(obj) -> np.ndarray:
    """Turn a stub (chumpy value or scipy sparse matrix) or array into a dense numpy array."""
    if isinstance(obj, np.ndarray):
        return obj
    if isinstance(obj, _ChumpyStub):
        for key in ("x", "a", "_x"):
            if key in obj.state:
                return _to_array(obj.state[key])
        raise ValueError(f"FLAME pickle: chumpy object without an 'x' array (keys {sorted(obj.state)})")
    if isinstance(obj, _SparseStub):
        st = obj.state
        shape = tuple(int(n) for n in st.get("_shape", st.get("shape")))
        dense = np.zeros(shape, dtype=np.float64)
        data = np.asarray(st["data"], dtype=np.float64)
        if obj.fmt == "coo":
            np.add.at(dense, (np.asarray(st["row"]), np.asarray(st["col"])), data)
            return dense
        indices, indptr = np.asarray(st["indices"]), np.asarray(st["indptr"])
        major = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
        if obj.fmt == "csr":
            dense[major, indices] = data
        else:
            dense[indices, major] = data
        return dense
    return np.asarray(obj)


def flame_to_blender(points: np.ndarray) -> np.ndarray:
    """FLAME frame (Y up, face along +Z) -> ours (Z up, face along -Y): (x, y, z) -> (x, -z, y)."""
    p = np.asarray(points)
    return np.stack([p[..., 0], -p[..., 2], p[..., 1]], axis=-1)


@dataclass
class FlameModel:
    """FLAME arrays in FLAME's own frame and layout; :meth:`vertices` evaluates the model."""

    v_template: np.ndarray  # [V, 3]
    f: np.ndarray  # [F, 3]
    shapedirs: np.ndarray  # [V, 3, 300 + 100]
    posedirs: np.ndarray  # [V, 3, 36]
    J_regressor: np.ndarray  # [5, V] dense
    kintree_table: np.ndarray  # [2, 5]
    weights: np.ndarray  # [V, 5]
    n_shape: int = 300

    @property
    def faces(self) -> np.ndarray:
        return self.f

    @property
    def parents(self) -> np.ndarray:
        par = self.kintree_table[0].astype(np.int64).copy()
        par[par > len(par)] = -1  # FLAME stores 2**32 - 1 for the root
        par[0] = -1
        return par

    @property
    def n_expression(self) -> int:
        return self.shapedirs.shape[-1] - self.n_shape

    def vertices(self, shape=None, expression=None, pose=None) -> np.ndarray:
        """FLAME vertices ``[V, 3]`` in FLAME's frame for ``shape`` ``[<=300]``, ``expression`` ``[<=100]``,
        ``pose`` ``[5, 3]`` axis-angle (global, neck, jaw, eye_left, eye_right)."""
        coeffs = np.zeros(self.shapedirs.shape[-1])
        if shape is not None:
            s = np.asarray(shape, float).reshape(-1)
            if len(s) > self.n_shape:
                raise ValueError(f"shape: expected at most {self.n_shape} coefficients, got {len(s)}")
            coeffs[: len(s)] = s
        if expression is not None:
            e = np.asarray(expression, float).reshape(-1)
            if len(e) > self.n_expression:
                raise ValueError(f"expression: expected at most {self.n_expression} coefficients, got {len(e)}")
            coeffs[self.n_shape : self.n_shape + len(e)] = e
        v = self.v_template + self.shapedirs @ coeffs
        p = np.zeros((len(self.parents), 3)) if pose is None else np.asarray(pose, float)
        if p.shape != (len(self.parents), 3):
            raise ValueError(f"pose: expected shape ({len(self.parents)}, 3), got {p.shape}")
        rot = lbs.axis_angle_to_matrix(p)
        joints = self.J_regressor @ v
        feats = lbs.pose_features(rot, np.arange(1, len(p)))
        v = v + self.posedirs @ feats
        return lbs.skin_vertices(v, self.weights, lbs.forward_kinematics(rot, joints, self.parents))


def load_flame_pickle(path: str | os.PathLike, n_shape: int = 300) -> FlameModel:
    """Load FLAME's ``generic_model.pkl`` (Python 2 pickle with chumpy objects) as plain arrays."""
    raw = Path(path).read_bytes()
    try:
        data = _RestrictedUnpickler(io.BytesIO(raw), encoding="latin1").load()
    except (pickle.UnpicklingError, EOFError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable FLAME pickle: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path}: FLAME pickle should hold a dict, found {type(data).__name__}")
    missing = [k for k in ("v_template", "f", "shapedirs", "posedirs", "J_regressor", "kintree_table", "weights")
               if k not in data]
    if missing:
        raise ValueError(f"{path}: FLAME pickle lacks {missing}")
    keys = ("v_template", "f", "shapedirs", "posedirs", "J_regressor", "kintree_table", "weights")
    arr = {k: _to_array(data[k]) for k in keys}
    shapedirs = arr["shapedirs"].astype(np.float64)
    return FlameModel(
        v_template=arr["v_template"].astype(np.float64),
        f=arr["f"].astype(np.int64),
        shapedirs=shapedirs,
        posedirs=arr["posedirs"].astype(np.float64),
        J_regressor=arr["J_regressor"].astype(np.float64),
        kintree_table=arr["kintree_table"].astype(np.int64),
        weights=arr["weights"].astype(np.float64),
        n_shape=min(n_shape, shapedirs.shape[-1]),
    )
