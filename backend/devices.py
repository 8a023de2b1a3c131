"""Choosing the torch device from ``--device auto|cpu|cuda``."""

from __future__ import annotations

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
