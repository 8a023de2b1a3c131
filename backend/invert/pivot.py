"""Keep what the inputs never saw at the pivot: a visibility-aware locality term for stage 2.

Stage 2 fine-tunes decoders and regressors whose weights every Gaussian shares, so fitting one frontal
photo also moves the back and sides of the head, which no input constrains (single-photo avatars then grow
smears behind the ears). Pivotal tuning (Roich et al.) answers with a locality regulariser; here it is
per Gaussian: after stage 1 the avatar's posed Gaussians for every input view are the *pivot*, and the
Gaussians no input view saw are pulled towards it in stage 2 while the seen ones are free to fit the photos.

A Gaussian counts as seen when, in at least one input view, its centre projects inside the image onto the
person's mask (alpha > 0.5) and is not behind the rendered surface there (its camera depth is at most the
rendered expected depth plus ``tolerance_m``).

A second term holds *every* Gaussian's view-dependent colour (its SH bands >= 1) at the pivot's
(:func:`view_colour_loss`): the views say how a Gaussian looks from where they were taken, not how its colour
changes with direction.
"""

from __future__ import annotations

import torch
from jaxtyping import Bool, Float
from torch import Tensor

from backend.splat import Cameras, GaussianSet, rasterize

PIVOT_SCALES = {"means": 0.005, "sh": 0.1, "opacities": 0.1, "scales": 0.2}
"""Units of the squared differences: 5 mm of position, 0.1 of SH colour / opacity, 0.2 of log-scale."""


@torch.no_grad()
def seen_gaussians(g: dict[str, Tensor], K: Float[Tensor, "V 3 3"], w2c: Float[Tensor, "V 4 4"],
                   alpha: Float[Tensor, "V 1 H W"], tolerance_m: float = 0.01) -> Bool[Tensor, " N"]:
    """Which of the ``N`` Gaussians any of the ``V`` views sees (``g`` holds one posed sample per view)."""
    v, _, h, w = alpha.shape
    seen = torch.zeros(g["means"].shape[1], dtype=torch.bool, device=alpha.device)
    for i in range(v):
        gs = GaussianSet(g["means"][i], g["quats"][i], g["scales"][i], g["opacities"][i], g["sh"][i])
        depth = rasterize(gs, Cameras(K[i : i + 1], w2c[i : i + 1], w, h)).depth[0, ..., 0]  # [H, W] m
        cam = g["means"][i] @ w2c[i, :3, :3].T + w2c[i, :3, 3]  # [N, 3]
        z = cam[:, 2]
        px = cam @ K[i].T
        u = (px[:, 0] / z.clamp(min=1e-6)).floor().long()
        r = (px[:, 1] / z.clamp(min=1e-6)).floor().long()
        inside = (z > 1e-3) & (u >= 0) & (u < w) & (r >= 0) & (r < h)
        uu, rr = u.clamp(0, w - 1), r.clamp(0, h - 1)
        on_mask = alpha[i, 0, rr, uu] > 0.5
        front = z <= depth[rr, uu] + tolerance_m
        seen |= inside & on_mask & front
    return seen


def pivot_loss(g: dict[str, Tensor], pivot: dict[str, Tensor], unseen: Bool[Tensor, " N"]) -> Tensor:
    """Mean normalised squared distance of the unseen Gaussians from the pivot (``g`` and ``pivot`` batched
    alike, ``[B, N, ...]``); 0 when every Gaussian was seen."""
    if not bool(unseen.any()):
        return g["means"].new_zeros(())
    total = g["means"].new_zeros(())
    for key, unit in PIVOT_SCALES.items():
        a, b = g[key][:, unseen], pivot[key][:, unseen]
        if key == "scales":
            a, b = a.clamp(min=1e-8).log(), b.clamp(min=1e-8).log()
        if key == "sh":
            a, b = a[:, :, 0], b[:, :, 0]  # the DC colour; every Gaussian's higher bands: view_colour_loss
        total = total + (((a - b) / unit) ** 2).mean()
    return total


def view_colour_loss(g: dict[str, Tensor], pivot: dict[str, Tensor]) -> Tensor:
    """Mean normalised squared distance of *every* Gaussian's view-dependent colour (SH bands >= 1, ``sh`` ``[B, N,
    C, 3]``) from the pivot's. A few views say next to nothing about how a Gaussian's colour changes with direction;
    left free, stage 2 writes one photo's colours into those bands, and the views the photo did not see turn green,
    purple or orange. 0 when the avatar has only the DC band."""
    if g["sh"].shape[2] < 2:
        return g["means"].new_zeros(())
    return (((g["sh"][:, :, 1:] - pivot["sh"][:, :, 1:]) / PIVOT_SCALES["sh"]) ** 2).mean()
