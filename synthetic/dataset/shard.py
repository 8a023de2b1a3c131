"""Splitting identities over independent jobs (``--shard K/N``, K counts from 0) and over the workers of one job
(a shared queue: :func:`claim_identity`)."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import UserInputError


def parse_shard(shard: str) -> tuple[int, int]:
    """``"K/N"`` -> ``(K, N)`` with ``0 <= K < N``; ``UserInputError`` with the expected form otherwise."""
    text = str(shard).strip()
    parts = text.split("/")
    try:
        if len(parts) != 2:
            raise ValueError
        k, n = int(parts[0]), int(parts[1])
    except ValueError:
        raise UserInputError(f"--shard: expected K/N with whole numbers (shard K of N, K from 0), "
                             f"got {shard!r}") from None
    if n < 1 or not 0 <= k < n:
        raise UserInputError(f"--shard {text}: need N >= 1 and 0 <= K < N (shards are numbered from 0)")
    return k, n


def shard_identities(n_identities: int, shard: str = "0/1") -> list[int]:
    """Identity indices of shard K of N: ``K, K + N, K + 2N, ...`` below ``n_identities``.

    Round-robin, so shards differ by at most one identity and neighbouring indices spread over jobs;
    the N shards are disjoint and together cover ``range(n_identities)``.
    """
    if n_identities < 0:
        raise UserInputError(f"number of identities must be >= 0, got {n_identities}")
    k, n = parse_shard(shard)
    return list(range(k, int(n_identities), n))


def claim_identity(claims: str | Path, index: int) -> bool:
    """Take identity ``index`` for this process from the queue that the workers of one render share: True when this
    call created ``claims/id_<index>`` (atomically: exactly one of several workers gets each identity), False when
    another worker has it. ``claims`` is a folder the render made for this run and removes afterwards."""
    try:
        fd = os.open(Path(claims) / f"id_{int(index):05d}", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return False
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    return True
