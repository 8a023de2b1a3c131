"""Which rasterizer runs on which device: gsplat on CUDA when a probe says it works, else the reference.

gsplat compiles its CUDA kernels the first time it is used (needs ``nvcc`` and ninja; cached in
``TORCH_EXTENSIONS_DIR``), so "the package imports" says little. The first CUDA rasterization therefore
probes each device once (``rasterize.probe_gsplat``, handed in by the rasterizer so that this module needs
no renderer): import gsplat, build its kernels, rasterize a tiny two-Gaussian scene and compare it with the
pure-torch reference. If any step fails, that device uses the reference path for the rest of
the process and one line on stderr says why. Tensors on the CPU always use the reference (``_torch_impl``).
``SYNTHHEADS_RASTERIZER=reference`` forces the reference everywhere (e.g. to compare the two).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable

import torch

GSPLAT_INSTALLED = importlib.util.find_spec("gsplat") is not None
_verdicts: dict[str, tuple[bool, str]] = {}


def use_gsplat(device: torch.device, probe: Callable[[torch.device], tuple[bool, str]]) -> bool:
    """True when tensors on ``device`` should be rasterized by gsplat; ``probe(device) -> (ok, reason)`` (the
    rasterizer's :func:`~backend.splat.rasterize.probe_gsplat`) runs once per device."""
    if device.type != "cuda" or os.environ.get("SYNTHHEADS_RASTERIZER", "") == "reference":
        return False
    key = str(device)
    if key not in _verdicts:
        ok, why = probe(device)
        _verdicts[key] = ok, why
        if not ok:
            print(f"synthheads: {why}; {key} tensors use the pure-torch rasterizer", file=sys.stderr)
    return _verdicts[key][0]


def describe(probe: Callable[[torch.device], tuple[bool, str]]) -> str:
    """One line for reports: which rasterizer each device uses (probing CUDA if it was not probed yet)."""
    if os.environ.get("SYNTHHEADS_RASTERIZER", "") == "reference":
        return "pure-torch tiled reference (SYNTHHEADS_RASTERIZER=reference)"
    if not torch.cuda.is_available():
        why = "no CUDA device" if GSPLAT_INSTALLED else "gsplat not installed"
        return f"pure-torch tiled reference ({why})"
    device = torch.device("cuda", torch.cuda.current_device())
    if use_gsplat(device, probe):
        return "gsplat (CUDA) on cuda tensors, pure-torch tiled reference on cpu"
    return f"pure-torch tiled reference ({_verdicts[str(device)][1]})"
