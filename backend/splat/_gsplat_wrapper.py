"""The accelerated path: :func:`gsplat.rasterization` on CUDA tensors, same inputs and outputs as
the reference path in ``rasterize.py``."""

from __future__ import annotations

from torch import Tensor


def rasterize_gsplat(
    means: Tensor,
    quats: Tensor,
    scales: Tensor,
    opacities: Tensor,
    colors: Tensor,
    sh_degree: int | None,
    w2c: Tensor,
    K: Tensor,
    width: int,
    height: int,
    backgrounds: Tensor | None,
    near: float,
    far: float,
    eps2d: float,
    tile_size: int,
) -> tuple[Tensor, Tensor, Tensor, dict]:
    """Returns ``(rgb [C,H,W,D], alpha [C,H,W,1], expected depth [C,H,W,1], meta)``."""
    from gsplat import rasterization

    render, alpha, meta = rasterization(
        means,
        quats,
        scales,
        opacities,
        colors,
        w2c,
        K,
        width,
        height,
        near_plane=near,
        far_plane=far,
        eps2d=eps2d,
        sh_degree=sh_degree,
        packed=False,
        tile_size=tile_size,
        backgrounds=backgrounds,
        render_mode="RGB+ED",
        rasterize_mode="classic",
    )
    return render[..., :-1], alpha, render[..., -1:], meta
