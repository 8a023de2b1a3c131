"""An inverted avatar's own detail: the photos' colour and a per-person offset of the prior's feature map.

The prior colours its Gaussians from the texture D_id decodes out of the quantised identity code, and places,
sizes and shades them from the feature map D_feat decodes; whatever a 512-entry codebook cannot say about the
person (freckles, brows, lip edges, a nose's exact line) stage 2 can only add by moving decoder weights every
Gaussian shares. A from-scratch fit of the same Gaussians, every parameter free, fits its inputs more sharply
(LPIPS 0.024 against the prior's 0.059 on held-out identities, bench/RESULTS.md). So the avatar carries two UV maps
of its own, which inversion fills (``InvertConfig.detail``, ``lr_feat_detail``, on by default; zero in the
``plain`` preset; bench/RESULTS.md for what they trade):

    tex_detail  = feather(tex_mask) * trust * (x_tex - D_id(q_id)_tex)
                                                                   [1, 3, D, D], texture units ([-1, 1]), set after
                  stage 1: the back-projected photo texture's residual over the decoded one where a view saw the
                  texel, faded out over the edge of what was seen (the UV islands' own borders are not such an
                  edge) and by ``trust``, how squarely the best view saw the texel (back-projection smears colour
                  along the surface at grazing angles: a front photo's cheek edge is stretched round the side)
    feat_detail = 0                                                [1, F, D, D], added to D_feat's map

and stage 2 trains both (own learning rates) with the decoders, their gradients masked to the texels a view saw
(``tex_detail``'s also to where ``trust`` is 1): texels no photo saw keep the prior's colour and Gaussians. UV maps
rather than per-Gaussian values, so an avatar resampled to another Gaussian count keeps them. Their size D need not
be the decoded maps' S: each is sampled at the Gaussians' grid on its own (``InvertConfig.detail_size``; the
shipped prior's S = 64 is coarser than its face grid of 87 x 96 samples, so a D = 128 map lets every Gaussian take
its own colour from the photo).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from jaxtyping import Float
from torch import Tensor

from backend.prior.inputs import texture_inputs
from backend.prior.uv_raster import UVRasterizer
from synthetic.errors import UserInputError


def feather(mask: Float[Tensor, "1 1 S S"], texels: int) -> Float[Tensor, "1 1 S S"]:
    """``mask`` (0/1) faded to 0 over its outer ``texels`` texels: the mask eroded by a box of that radius and
    blurred by the same box, so it is 1 well inside what was seen and 0 outside it."""
    if texels <= 0:
        return mask
    k = 2 * texels + 1
    eroded = -F.max_pool2d(-mask, k, stride=1, padding=texels)
    return F.avg_pool2d(eroded, k, stride=1, padding=texels, count_include_pad=False) * mask


def view_trust(texture_weight: np.ndarray | None, size: int, full_weight: float) -> Float[Tensor, "1 1 S S"] | None:
    """How far each texel's back-projected colour is trusted: the best view's weight (``PreparedPhotos.
    texture_weight``, ``[R, R]`` in [0, 1], ``cos ** 3`` of the angle it was seen at) area-resampled to ``size`` and
    ramped linearly from 0 to 1 at ``full_weight`` (cos 0.6: 0.216). None (trust every seen texel alike) when there is
    no weight or ``full_weight`` <= 0."""
    if texture_weight is None or full_weight <= 0:
        return None
    w = torch.as_tensor(np.asarray(texture_weight, dtype=np.float32))[None, None]
    return (F.interpolate(w, size=(size, size), mode="area") / full_weight).clamp(0.0, 1.0)


@dataclass(frozen=True)
class PhotoTexture:
    """The back-projected photo texture at the detail maps' size D: ``x_tex`` ``[1, 3, D, D]`` (texture units,
    [-1, 1]), ``seen`` ``[1, 1, D, D]`` (1 where a view saw the texel), ``atlas`` ``[1, 1, D, D]`` (1 on the UV
    atlas)."""

    x_tex: Tensor
    seen: Tensor
    atlas: Tensor

    @staticmethod
    def of(avatar, prepared=None, size: int | None = None) -> PhotoTexture:
        """The avatar's own identity inputs when ``size`` is theirs (or None), else resampled from ``prepared``'s
        texture (``PreparedPhotos``, area resampling) and the head model's atlas rasterised at ``size``."""
        s = avatar.x_tex.shape[-1]
        if size is None or size == s:
            return PhotoTexture(avatar.x_tex, avatar.tex_mask[:, :1], avatar.masks[:, :1])
        if prepared is None:
            raise ValueError(f"PhotoTexture.of: the photos' texture is needed for detail maps of {size} texels")
        atlas = UVRasterizer.for_head_model(avatar.head_model, size).mask.float()[None].to(avatar.x_tex.device)
        x_tex, seen = texture_inputs(prepared.texture, prepared.texture_mask, atlas)
        return PhotoTexture(x_tex[None], seen[None], atlas[None])


def require_texture_colour(prior) -> None:
    """The photos' colour detail is a residual over the decoded texture: refuse a prior whose Gaussians do not take
    their colour from it (``model.texture_colour`` false, R_color's full SH) with one line saying what to do."""
    if prior.texture_colour_weight != 1.0:
        raise UserInputError("this prior's colour is R_color's full SH (model.texture_colour=false); the photos' colour "
                             "detail is a residual over the decoded texture: invert with --set detail=0")


@torch.no_grad()
def photo_detail(avatar, feather_texels: int = 1, scale: float = 1.0, trust: Float[Tensor, "1 1 D D"] | None = None,
                 photo: PhotoTexture | None = None) -> Float[Tensor, "1 3 D D"]:
    """The avatar's ``tex_detail`` from its back-projected texture and its (frozen) identity code (module docstring).

    Args:
        avatar: a ``backend.avatar.Avatar`` after inversion stage 1 (``q_id`` frozen).
        feather_texels: width of the fade at the edge of the seen texels (0: a hard edge).
        scale: multiplies the residual (0: no detail).
        trust: :func:`view_trust` of the texels (None: 1 on every seen texel).
        photo: the photo texture at the detail's size D (None: the avatar's own, D = S); the decoded texture is
            upsampled bilinearly to D (as the Gaussians' grids sample it).
    """
    require_texture_colour(avatar.prior)
    photo = photo or PhotoTexture.of(avatar)
    size = photo.x_tex.shape[-1]
    tex = avatar.prior.D_id(avatar.q_id)[:, :3].float()
    if tex.shape[-1] != size:
        tex = F.interpolate(tex, size=(size, size), mode="bilinear", align_corners=False)
    seen, off_atlas = photo.seen, 1.0 - photo.atlas
    weight = feather((seen + off_atlas).clamp(max=1.0), feather_texels) * seen  # fade at what was seen, not at seams
    if trust is not None:
        weight = weight * trust.to(weight.device)
    return scale * weight * (photo.x_tex - tex)


@contextmanager
def trained_detail(avatar, rates: dict[str, float], seen: Float[Tensor, "1 1 D D"] | None = None,
                   trust: Float[Tensor, "1 1 D D"] | None = None) -> Iterator[list[dict]]:
    """Adam parameter groups training the avatar's detail buffers named in ``rates`` (``tex_detail``,
    ``feat_detail``) at those learning rates (0: left alone), their gradients masked to the texels a view saw
    (``seen`` at the maps' size; None: the avatar's ``tex_mask``) so what no photo saw stays the prior's, and
    ``tex_detail``'s also to the texels taken whole (``trust`` 1, :func:`view_trust`; None: every seen texel): a
    texel the photos saw only obliquely or near the person's outline covers a pixel or less there, and the colour
    beside it (a glasses frame, a flag behind the head) would otherwise be painted onto it and show from the side.
    A mask, not a scale: Adam's steps do not shrink with a gradient scaled by a constant. ``feat_detail`` trains
    wherever seen: oblique views are the ones that place the silhouette. On exit the buffers are plain buffers
    again."""
    seen = (avatar.tex_mask[:, :1] > 0).float() if seen is None else (seen > 0).float()
    whole = seen if trust is None else seen * (trust.to(seen.device) >= 1.0).float()
    masks = {"tex_detail": whole, "feat_detail": seen}
    groups, hooks, buffers = [], [], []
    for name, lr in rates.items():
        if lr > 0:
            buf, mask = getattr(avatar, name).requires_grad_(True), masks[name]
            if buf.shape[-2:] != mask.shape[-2:]:
                raise ValueError(f"trained_detail: {name} is {tuple(buf.shape[-2:])}, the seen mask "
                                 f"{tuple(mask.shape[-2:])}")
            hooks.append(buf.register_hook(lambda grad, mask=mask: grad * mask))
            groups.append({"params": [buf], "lr": lr})
            buffers.append(buf)
    try:
        yield groups
    finally:
        for h in hooks:
            h.remove()
        for buf in buffers:
            buf.requires_grad_(False)
