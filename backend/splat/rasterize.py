"""The one rasterization entry point of the project.

:func:`rasterize` renders a :class:`~backend.splat.gaussians.GaussianSet` into a batch of
:class:`~backend.splat.cameras.Cameras`. CUDA tensors go through gsplat; CPU tensors through the
pure-torch tiled reference (``_torch_impl``), which follows gsplat's conventions and is the
oracle in tests. Both paths are differentiable with respect to every Gaussian parameter.

Example::

    cams = Cameras.look_at([[0, -1, 0]], target=[0, 0, 0], fov_x_deg=30, width=128, height=128)
    out = rasterize(gaussians, cams, background=torch.ones(3))
    out.rgb  # [1, 128, 128, 3]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from jaxtyping import Float, Int
from torch import Tensor

from . import _backend
from ._projection import _project_gaussians, covariances_3d
from ._torch_impl import _rasterize_to_pixels
from .cameras import Cameras
from .gaussians import GaussianSet
from .sh import sh_to_rgb


@dataclass(frozen=True)
class RasterOptions:
    """Rasterizer settings shared by both paths."""

    near: float = 0.01
    """Gaussians with camera z below this (m) are culled."""
    far: float = 1e10
    """Gaussians with camera z above this (m) are culled."""
    eps2d: float = 0.3
    """Low-pass filter added to the 2D covariance diagonal (px^2), as in 3DGS."""
    tile_size: int | None = None
    """Tile edge in pixels; default 16 for gsplat, 8 for the CPU path (less work wasted on small
    Gaussians; measured faster in bench/bench_rasterizer.py)."""
    chunk: int = 64
    """CPU path: Gaussians per tile composited together (memory vs. Python-loop trade-off)."""
    force_reference: bool = False
    """Use the pure-torch path even for CUDA tensors (for testing gsplat against it)."""


@dataclass
class RenderOutput:
    """Images in channel-last layout, as gsplat returns them.

    - ``rgb`` ``[C, H, W, D]``: composited colour (D=3) plus ``T * background``.
    - ``alpha`` ``[C, H, W, 1]``: accumulated opacity ``1 - T``.
    - ``depth`` ``[C, H, W, 1]``: expected camera z in metres (sum w z / sum w); 0 where empty.
    - ``means2d`` ``[C, N, 2]`` and ``radii`` ``[C, N, 2]``: projection results (densification).
    """

    rgb: Float[Tensor, "C H W D"]
    alpha: Float[Tensor, "C H W 1"]
    depth: Float[Tensor, "C H W 1"]
    means2d: Float[Tensor, "C N 2"]
    radii: Int[Tensor, "C N 2"]


def rasterize(
    gaussians: GaussianSet,
    cameras: Cameras,
    background: Tensor | float | None = None,
    sh_degree: int | None = None,
    colors: Tensor | None = None,
    options: RasterOptions = RasterOptions(),
) -> RenderOutput:
    """Render Gaussians into every camera.

    Args:
        gaussians: N Gaussians (activated parameters).
        cameras: C OpenCV pinhole cameras sharing one image size.
        background: ``[D]`` or ``[C, D]`` colour behind the Gaussians, or one grey level (a float); default
            black. It is moved to the Gaussians' device.
        sh_degree: SH degree to evaluate (<= the set's degree); default the set's degree.
        colors: optional ``[N, D]`` or ``[C, N, D]`` features composited instead of SH colour
            (e.g. segmentation labels, normals).
        options: see :class:`RasterOptions`.

    Returns:
        :class:`RenderOutput`.
    """
    g = gaussians
    C, W, H = len(cameras), cameras.width, cameras.height
    device, dtype = g.device, g.dtype
    cams = cameras.to(device=device, dtype=dtype)
    if sh_degree is None:
        sh_degree = g.sh_degree
    if sh_degree > g.sh_degree:
        raise ValueError(f"sh_degree {sh_degree} asked for, but the Gaussians hold degree {g.sh_degree}")
    if colors is not None:
        if colors.ndim == 2:
            colors = colors[None].expand(C, -1, -1)
        if colors.shape[:2] != (C, len(g)):
            raise ValueError(f"colors must be [N, D] or [C, N, D] with C={C}, N={len(g)}; got {list(colors.shape)}")
    D = colors.shape[-1] if colors is not None else 3
    if background is not None:
        background = torch.as_tensor(background, device=device, dtype=dtype)
        background = background.expand(C, D) if background.ndim <= 1 else background
        if background.shape != (C, D):
            raise ValueError(f"background must be [{D}] or [{C}, {D}], got {list(background.shape)}")

    if len(g) == 0:
        z = torch.zeros(C, H, W, 1, device=device, dtype=dtype)
        rgb = torch.zeros(C, H, W, D, device=device, dtype=dtype)
        if background is not None:
            rgb = rgb + background[:, None, None, :]
        empty = torch.zeros(C, 0, 2, device=device)
        return RenderOutput(rgb, z, z.clone(), empty.to(dtype), empty.to(torch.int32))

    if not options.force_reference and _backend.use_gsplat(device, probe_gsplat):
        from ._gsplat_wrapper import rasterize_gsplat

        feats = colors if colors is not None else g.sh
        rgb, alpha, depth, meta = rasterize_gsplat(
            g.means, g.quats, g.scales, g.opacities, feats, None if colors is not None else sh_degree,
            cams.w2c, cams.K, W, H, background, options.near, options.far, options.eps2d, options.tile_size or 16,
        )  # fmt: skip
        return RenderOutput(rgb, alpha, depth * (alpha > 0), meta["means2d"], meta["radii"])

    return _rasterize_reference(g, cams, background, sh_degree, colors, options)


def _rasterize_reference(
    g: GaussianSet,
    cams: Cameras,
    background: Tensor | None,
    sh_degree: int,
    colors: Tensor | None,
    options: RasterOptions,
) -> RenderOutput:
    """The pure-torch path of :func:`rasterize` (same arguments, already validated)."""
    C = len(cams)
    covars = covariances_3d(g.quats, g.scales)
    means2d, conics, depths, radii = _project_gaussians(
        g.means, covars, cams.w2c, cams.K, cams.width, cams.height, options.eps2d, options.near, options.far
    )
    if colors is None:
        dirs = g.means[None] - cams.centers[:, None, :]  # [C, N, 3]
        colors = sh_to_rgb(g.sh[None].expand(C, -1, -1, -1), dirs, sh_degree)
    features = torch.cat([colors, depths[..., None]], dim=-1)
    opac = g.opacities[None].expand(C, -1)
    accum, alpha = _rasterize_to_pixels(
        means2d, conics, features, opac, radii, depths, cams.width, cams.height, options.tile_size or 8, options.chunk
    )
    rgb = accum[..., :-1]
    if background is not None:
        rgb = rgb + (1.0 - alpha) * background[:, None, None, :]
    depth = accum[..., -1:] / alpha.clamp(min=1e-10)
    return RenderOutput(rgb, alpha, depth, means2d, radii)


PROBE_TOLERANCE = 0.02
"""Largest per-pixel colour difference (0-1 units) between gsplat and the reference on the probe scene."""


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".strip().rstrip(":")


def probe_gsplat(device: torch.device, gsplat_fn: Callable | None = None) -> tuple[bool, str]:
    """Can gsplat rasterize on ``device``? ``(ok, reason)``; the reason names the step that failed.

    Steps: import gsplat, then one rasterization of two Gaussians into a 32x24 camera (the first call builds
    the kernels), then the same scene through the reference; colours must agree within
    :data:`PROBE_TOLERANCE`. ``gsplat_fn`` replaces ``_gsplat_wrapper.rasterize_gsplat`` (tests).
    """
    if gsplat_fn is None:
        if not _backend.GSPLAT_INSTALLED:
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


def describe_rasterizer() -> str:
    """One line for reports: which rasterizer each device uses (probes CUDA once)."""
    return _backend.describe(probe_gsplat)
