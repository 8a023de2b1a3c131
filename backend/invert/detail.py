"""An inverted avatar's own detail: the photos' colour and a per-person offset of the prior's feature map.

The prior colours its Gaussians from the texture D_id decodes out of the quantised identity code, and places,
sizes and shades them from the feature map D_feat decodes; whatever a 512-entry codebook cannot say about the
person (freckles, brows, lip edges, a nose's exact line) stage 2 can only add by moving decoder weights every
Gaussian shares. A from-scratch fit of the same Gaussians, every parameter free, fits its inputs more sharply
(LPIPS 0.024 against the prior's 0.059 on held-out identities, bench/RESULTS.md). So the avatar carries two UV maps
of its own, zero unless inversion turns them on (``InvertConfig.detail``, ``lr_feat_detail``; off by default,
see bench/RESULTS.md for what they trade):

    tex_detail  = feather(tex_mask) * (x_tex - D_id(q_id)_tex)     [1, 3, S, S], texture units ([-1, 1]), set after
                  stage 1: the back-projected photo texture's residual over the decoded one where a view saw the
                  texel, faded out over the edge of what was seen (back-projection smears at grazing angles; the
                  UV islands' own borders are not such an edge)
    feat_detail = 0                                                [1, F, S, S], added to D_feat's map

and stage 2 trains both (own learning rates) with the decoders, their gradients masked to the texels a view saw:
texels no photo saw keep the prior's colour and Gaussians. UV maps rather than per-Gaussian values, so an avatar
resampled to another Gaussian count keeps them.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from jaxtyping import Float
from torch import Tensor


def feather(mask: Float[Tensor, "1 1 S S"], texels: int) -> Float[Tensor, "1 1 S S"]:
    """``mask`` (0/1) faded to 0 over its outer ``texels`` texels: the mask eroded by a box of that radius and
    blurred by the same box, so it is 1 well inside what was seen and 0 outside it."""
    if texels <= 0:
        return mask
    k = 2 * texels + 1
    eroded = -F.max_pool2d(-mask, k, stride=1, padding=texels)
    return F.avg_pool2d(eroded, k, stride=1, padding=texels, count_include_pad=False) * mask


@torch.no_grad()
def photo_detail(avatar, feather_texels: int = 1, scale: float = 1.0) -> Float[Tensor, "1 3 S S"]:
    """The avatar's ``tex_detail`` from its back-projected texture and its (frozen) identity code (module docstring).

    Args:
        avatar: a ``backend.avatar.Avatar`` after inversion stage 1 (``q_id`` frozen).
        feather_texels: width of the fade at the edge of the seen texels (0: a hard edge).
        scale: multiplies the residual (0: no detail).
    """
    tex = avatar.prior.D_id(avatar.q_id)[:, :3].float()
    seen, off_atlas = avatar.tex_mask[:, :1], 1.0 - avatar.masks[:, :1]
    weight = feather((seen + off_atlas).clamp(max=1.0), feather_texels) * seen  # fade at what was seen, not at seams
    return scale * weight * (avatar.x_tex - tex)


@contextmanager
def trained_detail(avatar, rates: dict[str, float]) -> Iterator[list[dict]]:
    """Adam parameter groups training the avatar's detail buffers named in ``rates`` (``tex_detail``,
    ``feat_detail``) at those learning rates (0: left alone), their gradients masked to the texels a view saw so
    what no photo saw stays the prior's; on exit the buffers are plain buffers again."""
    seen = (avatar.tex_mask > 0).float()
    groups, hooks, buffers = [], [], []
    for name, lr in rates.items():
        if lr > 0:
            buf = getattr(avatar, name).requires_grad_(True)
            hooks.append(buf.register_hook(lambda grad: grad * seen))
            groups.append({"params": [buf], "lr": lr})
            buffers.append(buf)
    try:
        yield groups
    finally:
        for h in hooks:
            h.remove()
        for buf in buffers:
            buf.requires_grad_(False)
