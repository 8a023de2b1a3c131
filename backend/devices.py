"""Choosing the torch device from ``--device auto|cpu|cuda``, and torch's CPU threads from ``--threads``."""

from __future__ import annotations

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


def set_threads(threads: int | None) -> None:
    """``--threads``, or 1 thread when the CPU is already busy (OpenMP threads that wait on each other's
    timeslices made a tiny step 20x slower on a shared 2-core machine)."""
    if threads:
        torch.set_num_threads(threads)
    elif hasattr(os, "getloadavg") and os.getloadavg()[0] >= 0.5 * (os.cpu_count() or 1):
        torch.set_num_threads(1)
