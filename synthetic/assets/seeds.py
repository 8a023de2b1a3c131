"""Named random streams: one integer seed per identity, one independent stream per asset.

A stream is ``np.random.default_rng(SeedSequence(seed, spawn_key=(crc32(name),)))``. The key
depends only on the stream's name, never on how many other streams exist or in which order they
are drawn, so adding a new asset (a new name) does not shift the numbers any other asset gets.
"""

from __future__ import annotations

import zlib

import numpy as np

from .errors import AssetInputError

MAX_SEED = 2**63 - 1


def check_seed(seed) -> int:
    """Return ``seed`` as a non-negative Python int (JSON-safe); raise AssetInputError otherwise."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= int(seed) <= MAX_SEED:
        raise AssetInputError(f"seed: expected an integer in [0, 2**63), got {seed!r}")
    return int(seed)


def name_key(name: str) -> int:
    """Stable 32-bit key of a stream name (CRC-32 of its UTF-8 bytes)."""
    if not isinstance(name, str) or not name:
        raise AssetInputError(f"stream name: expected a non-empty string, got {name!r}")
    return zlib.crc32(name.encode("utf-8"))


def stream(seed: int, *names: str) -> np.random.Generator:
    """Generator for the stream ``names`` (a path such as ``("hair", "strands")``) of identity ``seed``."""
    key = tuple(name_key(n) for n in names)
    return np.random.default_rng(np.random.SeedSequence(check_seed(seed), spawn_key=key))


def child_seed(seed: int, *names: str) -> int:
    """A derived integer seed (63 bits) for the stream ``names``: store it in JSON, rebuild with ``stream``."""
    ss = np.random.SeedSequence(check_seed(seed), spawn_key=tuple(name_key(n) for n in names))
    lo, hi = (int(x) for x in ss.generate_state(2, dtype=np.uint32))
    return (lo | (hi << 32)) & MAX_SEED
