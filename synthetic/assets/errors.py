"""Input checks shared by the asset generators.

Every bad input raises :class:`AssetInputError`, which is both the project's
:class:`~synthetic.errors.UserInputError` (one line, exit code 2 on the command line) and a
:class:`ValueError` (so plain numpy callers can catch the usual type).
"""

from __future__ import annotations

import numpy as np

from ..errors import UserInputError


class AssetInputError(UserInputError, ValueError):
    """A wrong shape, range, name or option passed to a ``synthetic.assets`` function."""


def as_points(name: str, value, last: int = 3, dtype=np.float64) -> np.ndarray:
    """Return ``value`` as a finite float array of shape (N, last); raise AssetInputError otherwise."""
    arr = np.asarray(value, dtype=dtype)
    if arr.ndim != 2 or arr.shape[1] != last:
        raise AssetInputError(f"{name}: expected shape (N, {last}), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise AssetInputError(f"{name}: contains NaN or infinite values")
    return arr


def as_faces(name: str, value, n_vertices: int) -> np.ndarray:
    """Return triangle indices (F, 3) int64, checked against ``n_vertices``."""
    arr = np.asarray(value)
    if arr.ndim != 2 or arr.shape[1] != 3 or arr.shape[0] == 0:
        raise AssetInputError(f"{name}: expected shape (F, 3) with F > 0, got {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        raise AssetInputError(f"{name}: expected integer vertex indices, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if arr.min() < 0 or arr.max() >= n_vertices:
        raise AssetInputError(f"{name}: indices must lie in [0, {n_vertices}), got [{arr.min()}, {arr.max()}]")
    return arr


def as_weights(name: str, value, n: int) -> np.ndarray:
    """Return per-element weights (n,) in [0, 1] as float64."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != (n,):
        raise AssetInputError(f"{name}: expected shape ({n},), got {arr.shape}")
    if not np.all(np.isfinite(arr)) or arr.min() < 0.0 or arr.max() > 1.0:
        raise AssetInputError(f"{name}: weights must be finite and lie in [0, 1]")
    return arr


def check_choice(name: str, value: str, options) -> str:
    """Return ``value`` if it is one of ``options``; otherwise raise with the list of valid names."""
    if value not in options:
        raise AssetInputError(f"{name}: unknown value {value!r}; expected one of {sorted(options)}")
    return value


def check_positive(name: str, value, allow_zero: bool = False) -> float:
    """Return ``value`` as float if it is finite and > 0 (or >= 0)."""
    v = float(value)
    ok = np.isfinite(v) and (v >= 0.0 if allow_zero else v > 0.0)
    if not ok:
        raise AssetInputError(f"{name}: expected a finite {'non-negative' if allow_zero else 'positive'} number, "
                              f"got {value!r}")
    return v


def check_count(name: str, value, minimum: int = 0) -> int:
    """Return ``value`` as int if it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or int(value) < minimum:
        raise AssetInputError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    return int(value)


def check_generator(rng) -> np.random.Generator:
    """Require an explicit ``np.random.Generator`` (never the global numpy state)."""
    if not isinstance(rng, np.random.Generator):
        raise AssetInputError(f"rng: expected numpy.random.Generator (np.random.default_rng(seed)), got {type(rng)}")
    return rng
