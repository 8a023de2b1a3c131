"""The pure-torch reference rasterizer: tile binning, depth sorting and front-to-back compositing.

This is the CPU path of :func:`backend.splat.rasterize` and the oracle the CUDA path is tested
against. It is vectorised over tiles, pixels and Gaussians; the only Python loop runs over chunks
of ``chunk`` depth-sorted Gaussians per tile, and stops once every pixel of every tile is opaque.

Compositing matches gsplat's kernels: pixel centres at +0.5, ``alpha = min(0.999, o * exp(-s))``,
Gaussians with ``alpha < 1/255`` (or ``s < 0``) are skipped, and a pixel stops at the first Gaussian
that would bring its transmittance to ``<= 1e-4`` (that Gaussian is not composited).
Everything is differentiable by autograd with respect to means2d, conics, colours and opacities.
"""

from __future__ import annotations

import math

import torch
from jaxtyping import Float, Int
from torch import Tensor

ALPHA_MIN = 1.0 / 255.0
ALPHA_MAX = 0.999
LOG_T_MIN = math.log(1e-4)


def _bin_to_tiles(
    means2d: Tensor, radii: Tensor, depths: Tensor, width: int, height: int, tile_size: int
) -> tuple[Tensor, Tensor, Tensor, Tensor, int, int]:
    """Sort (tile, Gaussian) intersections by tile, then depth.

    Args:
        means2d ``[C, N, 2]``, radii ``[C, N, 2]`` (0 = culled), depths ``[C, N]``.

    Returns:
        flat_ids ``[M]`` indices into the flattened ``C*N`` Gaussians, sorted by (tile, depth);
        tile_offsets ``[C*T]`` start of each tile's run in ``flat_ids``; tile_counts ``[C*T]``;
        visible ``[V]`` flat indices of visible Gaussians; tiles_x; tiles_y.
    """
    C, N = depths.shape
    tiles_x = (width + tile_size - 1) // tile_size
    tiles_y = (height + tile_size - 1) // tile_size
    n_tiles = tiles_x * tiles_y
    with torch.no_grad():
        r = radii.reshape(C * N, 2)
        visible = torch.nonzero((r > 0).all(-1)).squeeze(-1)
        m = means2d.detach().reshape(C * N, 2)[visible]
        rv = r[visible].to(m.dtype)
        cam = visible // N
        x0 = torch.floor((m[:, 0] - rv[:, 0]) / tile_size).clamp(0, tiles_x).long()
        x1 = torch.ceil((m[:, 0] + rv[:, 0]) / tile_size).clamp(0, tiles_x).long()
        y0 = torch.floor((m[:, 1] - rv[:, 1]) / tile_size).clamp(0, tiles_y).long()
        y1 = torch.ceil((m[:, 1] + rv[:, 1]) / tile_size).clamp(0, tiles_y).long()
        w = (x1 - x0).clamp(min=0)
        counts = w * (y1 - y0).clamp(min=0)
        owner = torch.repeat_interleave(torch.arange(len(visible), device=m.device), counts)
        start = torch.cumsum(counts, 0) - counts
        k = torch.arange(len(owner), device=m.device) - start[owner]
        tx = x0[owner] + k % w[owner].clamp(min=1)
        ty = y0[owner] + k // w[owner].clamp(min=1)
        tile = cam[owner] * n_tiles + ty * tiles_x + tx
        depth_rank = torch.empty_like(visible)
        depth_rank[torch.argsort(depths.detach().reshape(-1)[visible], stable=True)] = torch.arange(
            len(visible), device=m.device
        )
        order = torch.argsort(tile * max(len(visible), 1) + depth_rank[owner])
        flat_ids = visible[owner[order]]
        tile_counts = torch.bincount(tile, minlength=C * n_tiles)
        tile_offsets = torch.cumsum(tile_counts, 0) - tile_counts
    return flat_ids, tile_offsets, tile_counts, visible, tiles_x, tiles_y


def _rasterize_to_pixels(
    means2d: Float[Tensor, "C N 2"],
    conics: Float[Tensor, "C N 3"],
    features: Float[Tensor, "C N D"],
    opacities: Float[Tensor, "C N"],
    radii: Int[Tensor, "C N 2"],
    depths: Float[Tensor, "C N"],
    width: int,
    height: int,
    tile_size: int = 16,
    chunk: int = 128,
) -> tuple[Float[Tensor, "C H W D"], Float[Tensor, "C H W 1"]]:
    """Composite projected Gaussians front to back into ``C`` images.

    Args:
        means2d: ``[C, N, 2]`` pixel positions.
        conics: ``[C, N, 3]`` inverse 2D covariance (a, b, c).
        features: ``[C, N, D]`` per-Gaussian values to composite (colour, depth, ...).
        opacities: ``[C, N]`` in [0, 1].
        radii: ``[C, N, 2]`` from the projection; 0 means culled.
        depths: ``[C, N]`` sort key (camera z, m).
        tile_size: tile edge in pixels.
        chunk: Gaussians per tile evaluated together; memory is about C*T*tile^2*chunk floats.

    Returns:
        ``(accumulated [C, H, W, D], alpha [C, H, W, 1])``: sums of ``w_i * feature_i`` with
        ``w_i = alpha_i * T_i``, and ``1 - T_final``. No background is added.
    """
    C, N, D = features.shape
    device, dtype = features.device, features.dtype
    flat_ids, offsets, counts, _, tiles_x, tiles_y = _bin_to_tiles(means2d, radii, depths, width, height, tile_size)
    n_tiles_all = C * tiles_x * tiles_y
    P = tile_size * tile_size

    # Pixel centres of every tile: [C*T, P, 2]
    local = torch.arange(P, device=device)
    tile_idx = torch.arange(tiles_x * tiles_y, device=device)
    px = (tile_idx % tiles_x)[:, None] * tile_size + (local % tile_size)[None] + 0.5
    py = (tile_idx // tiles_x)[:, None] * tile_size + (local // tile_size)[None] + 0.5
    pix = torch.stack([px, py], -1).to(dtype).repeat(C, 1, 1)

    m2 = means2d.reshape(C * N, 2)
    co = conics.reshape(C * N, 3)
    op = opacities.reshape(C * N)
    ft = features.reshape(C * N, D)

    accum = torch.zeros(n_tiles_all, P, D, device=device, dtype=dtype)
    log_t = torch.zeros(n_tiles_all, P, device=device, dtype=dtype)
    done = torch.zeros(n_tiles_all, P, dtype=torch.bool, device=device)
    max_count = int(counts.max()) if counts.numel() else 0
    B = max(1, min(chunk, max_count))
    arange_b = torch.arange(B, device=device)
    for start in range(0, max_count, B):
        active = torch.nonzero((counts > start) & ~done.all(-1)).squeeze(-1)
        if active.numel() == 0:
            break
        slot = start + arange_b  # [B]
        valid = slot[None] < counts[active, None]  # [A, B]
        pos = (offsets[active, None] + slot[None]).clamp(max=max(len(flat_ids) - 1, 0))
        gid = flat_ids[pos]  # [A, B]
        d = pix[active][:, :, None, :] - m2[gid][:, None, :, :]  # [A, P, B, 2]
        c = co[gid][:, None]  # [A, 1, B, 3]
        sigma = 0.5 * (c[..., 0] * d[..., 0] ** 2 + c[..., 2] * d[..., 1] ** 2) + c[..., 1] * d[..., 0] * d[..., 1]
        alpha = torch.clamp_max(op[gid][:, None, :] * torch.exp(-sigma), ALPHA_MAX)
        keep = valid[:, None, :] & (sigma >= 0) & (alpha >= ALPHA_MIN)
        alpha = torch.where(keep, alpha, torch.zeros_like(alpha))
        log1m = torch.log1p(-alpha)  # [A, P, B]
        carry = log_t[active][..., None]
        with torch.no_grad():
            cum_full = carry + torch.cumsum(log1m, -1)
            include = (cum_full > LOG_T_MIN) & ~done[active][..., None]
        log1m_inc = torch.where(include, log1m, torch.zeros_like(log1m))
        cum_inc = torch.cumsum(log1m_inc, -1)
        trans = torch.exp(carry + cum_inc - log1m_inc)  # transmittance before each Gaussian
        weights = torch.where(include, alpha, torch.zeros_like(alpha)) * trans  # [A, P, B]
        contrib = torch.bmm(weights, ft[gid])  # [A, P, D]
        accum = accum.index_add(0, active, contrib)
        log_t = log_t.index_add(0, active, cum_inc[..., -1])
        done = done.index_put((active,), done[active] | (cum_full[..., -1] <= LOG_T_MIN))

    if max_count == 0 and torch.is_grad_enabled():
        # nothing visible: keep the outputs connected to the inputs so backward() yields zeros
        anchor = 0.0 * (means2d.sum() + conics.sum() + features.sum() + opacities.sum())
        accum, log_t = accum + anchor, log_t + anchor
    alpha_img = 1.0 - torch.exp(log_t)

    def to_image(t: Tensor) -> Tensor:  # [C*T, P, K] -> [C, H, W, K]
        k = t.shape[-1]
        t = t.reshape(C, tiles_y, tiles_x, tile_size, tile_size, k).permute(0, 1, 3, 2, 4, 5)
        return t.reshape(C, tiles_y * tile_size, tiles_x * tile_size, k)[:, :height, :width]

    return to_image(accum), to_image(alpha_img[..., None])
