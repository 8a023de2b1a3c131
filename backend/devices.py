"""Choosing the torch device from ``--device auto|cpu|cuda``, and torch's CPU threads from ``--threads``."""

from __future__ import annotations

import math
import os

import torch

from synthetic.errors import UserInputError


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` -> cuda when available, else cpu; ``cuda`` without a GPU is a usage error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name in ("cuda", "gpu") or name.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise UserInputError(f"--device {name} asked for, but torch {torch.__version__} sees no CUDA device")
        return torch.device("cuda" if name == "gpu" else name)
    raise UserInputError(f"--device must be auto, cpu or cuda, not {name!r}")


def cpu_busy(sample_s: float = 0.5, stat: str = "/proc/stat") -> float | None:
    """How many cores other processes keep busy *now*: the non-idle share of all CPU time over ``sample_s``
    seconds (``/proc/stat``), times the core count; None where ``/proc/stat`` is missing.

    Unlike the load average (a 1-minute mean, still high for a minute after a render stage ends), this
    says what is free at the moment a stage starts. The caller is idle while sampling.
    """
    import time

    def snapshot() -> tuple[int, int] | None:
        try:
            with open(stat) as f:
                fields = [int(x) for x in f.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return sum(fields), idle

    a = snapshot()
    if a is None:
        return None
    time.sleep(sample_s)
    b = snapshot()
    if b is None or b[0] <= a[0]:
        return None
    busy_share = 1.0 - (b[1] - a[1]) / (b[0] - a[0])
    return max(0.0, busy_share) * (os.cpu_count() or 1)


def threads_for(cores: int, busy: float | None) -> int:
    """torch threads for a stage: the cores nobody else is using (at least 1; all of them when unknown).

    OpenMP threads that wait on each other's timeslices made a tiny prior step 20x slower on a shared
    2-core machine, so a busy core is not shared: a core more than half used counts as taken.
    """
    if busy is None:
        return cores
    return max(1, min(cores, math.floor(cores - busy + 0.5)))


def set_threads(threads: int | None) -> int:
    """``--threads``, or as many threads as there are free cores at this moment (see :func:`cpu_busy`);
    returns the number set. Called at the start of each stage (training, evaluation, inversion)."""
    n = int(threads) if threads else threads_for(os.cpu_count() or 1, cpu_busy())
    torch.set_num_threads(n)
    return n
