"""Which rasterizer runs on which device: gsplat on CUDA when a probe says it works, else the reference.

gsplat compiles its CUDA kernels the first time it is used (needs ``nvcc`` and ninja; cached in
``TORCH_EXTENSIONS_DIR``), so "the package imports" says little. The first CUDA rasterization therefore
probes each device once: import gsplat, build its kernels, rasterize a tiny two-Gaussian scene and compare
it with the pure-torch reference. If any step fails, that device uses the reference path for the rest of
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
PROBE_TOLERANCE = 0.02
"""Largest per-pixel colour difference (0-1 units) between gsplat and the reference on the probe scene."""

_verdicts: dict[str, tuple[bool, str]] = {}


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".strip().rstrip(":")


def probe_gsplat(device: torch.device, gsplat_fn: Callable | None = None) -> tuple[bool, str]:
    """Can gsplat rasterize on ``device``? ``(ok, reason)``; the reason names the step that failed.

    Steps: import gsplat, then one rasterization of two Gaussians into a 32x24 camera (the first call builds
    the kernels), then the same scene through the reference; colours must agree within
    :data:`PROBE_TOLERANCE`. ``gsplat_fn`` replaces ``_gsplat_wrapper.rasterize_gsplat`` (tests).
    """
    from .cameras import Cameras
    from .gaussians import GaussianSet
    from .rasterize import RasterOptions, rasterize

    if gsplat_fn is None:
        if not GSPLAT_INSTALLED:
            return False, "gsplat is not installed"
        try:
            import gsplat  # noqa: F401

            from ._gsplat_wrapper import rasterize_gsplat as gsplat_fn
        except Exception as e:  # noqa: BLE001 - any import failure means: do not use it
            return False, f"gsplat does not import ({_first_line(e)})"
    try:
        f32 = dict(device=device, dtype=torch.float32)
        g = GaussianSet(torch.tensor([[0.0, 0.0, 1.0], [0.05, 0.02, 1.2]], **f32),
                        torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.9, 0.1, 0.3, 0.0]], **f32),
                        torch.tensor([[0.05, 0.03, 0.02], [0.04, 0.04, 0.04]], **f32),
                        torch.tensor([0.8, 0.6], **f32),
                        torch.tensor([[[1.2, -0.5, 0.3]], [[-0.4, 0.9, 0.2]]], **f32))  # fmt: skip
        K = torch.tensor([[[30.0, 0, 16], [0, 30.0, 12], [0, 0, 1]]], **f32)
        cams = Cameras(K, torch.eye(4, **f32)[None], 32, 24)
        bg = torch.full((1, 3), 0.5, **f32)
        rgb, alpha, _, _ = gsplat_fn(g.means, g.quats, g.scales, g.opacities, g.sh, 0, cams.w2c, cams.K, 32, 24, bg,
                                     0.01, 1e10, 0.3, 16)  # fmt: skip
        if device.type == "cuda":
            torch.cuda.synchronize(device)
    except Exception as e:  # noqa: BLE001 - a failed build or launch: fall back
        return False, f"gsplat failed to build or run its kernels ({_first_line(e)})"
    ref = rasterize(g, cams, background=bg[0], options=RasterOptions(force_reference=True)).rgb
    err = float((rgb.float() - ref).abs().max()) if rgb.shape == ref.shape else float("inf")
    if not err <= PROBE_TOLERANCE:
        return False, f"gsplat's image differs from the reference by {err:.3g} on the probe scene"
    return True, f"gsplat works on {device} (probe scene within {err:.1e} of the reference)"


def use_gsplat(device: torch.device) -> bool:
    """True when tensors on ``device`` should be rasterized by gsplat (probed once per device)."""
    if device.type != "cuda" or os.environ.get("SYNTHHEADS_RASTERIZER", "") == "reference":
        return False
    key = str(device)
    if key not in _verdicts:
        ok, why = probe_gsplat(device)
        _verdicts[key] = ok, why
        if not ok:
            print(f"synthheads: {why}; {key} tensors use the pure-torch rasterizer", file=sys.stderr)
    return _verdicts[key][0]


def describe() -> str:
    """One line for reports: which rasterizer each device uses (probing CUDA if it was not probed yet)."""
    if os.environ.get("SYNTHHEADS_RASTERIZER", "") == "reference":
        return "pure-torch tiled reference (SYNTHHEADS_RASTERIZER=reference)"
    if not torch.cuda.is_available():
        why = "no CUDA device" if GSPLAT_INSTALLED else "gsplat not installed"
        return f"pure-torch tiled reference ({why})"
    device = torch.device("cuda", torch.cuda.current_device())
    if use_gsplat(device):
        return "gsplat (CUDA) on cuda tensors, pure-torch tiled reference on cpu"
    return f"pure-torch tiled reference ({_verdicts[str(device)][1]})"
