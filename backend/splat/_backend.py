"""Which rasterizer runs on which device, decided once at import.

``GSPLAT_CUDA`` is True when torch sees a CUDA device and gsplat is installed; gsplat then
compiles (first use, cached in ``TORCH_EXTENSIONS_DIR``) or loads its CUDA kernels. Tensors on
the CPU always use the pure-torch reference (``_torch_impl``). CUDA tensors without gsplat also
fall back to the reference, with one printed message.
"""

from __future__ import annotations

import importlib.util
import sys

import torch

GSPLAT_INSTALLED = importlib.util.find_spec("gsplat") is not None
GSPLAT_CUDA = GSPLAT_INSTALLED and torch.cuda.is_available()
_warned = False


def use_gsplat(device: torch.device) -> bool:
    """True when tensors on ``device`` should be rasterized by gsplat."""
    global _warned
    if device.type != "cuda":
        return False
    if not GSPLAT_CUDA:
        if not _warned:
            print("synthheads: gsplat is not installed; CUDA tensors use the pure-torch rasterizer", file=sys.stderr)
            _warned = True
        return False
    return True


def describe() -> str:
    if GSPLAT_CUDA:
        return "gsplat (CUDA) on cuda tensors, pure-torch tiled reference on cpu"
    why = "no CUDA device" if GSPLAT_INSTALLED else "gsplat not installed"
    return f"pure-torch tiled reference ({why})"
