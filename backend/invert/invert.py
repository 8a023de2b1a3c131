"""Few-shot inversion by two-stage pivotal tuning (SynShot 3.3).

::

    avatar = Avatar.from_prior(prior, prepared)          # identity inputs encoded by the prior
    stage 1: only E_id trains (decoders, regressors, E_exp, VQ, transformer frozen) -> z_id, then q_id is frozen
    between (opt-in): the photos' colour over the decoded texture -> the avatar's tex_detail (backend.invert.detail)
    stage 2: q_id fixed; D_feat, D_id, D_exp, the face and hair regressors (R_color, R_gauss) train (and, opt-in,
             the avatar's detail maps tex_detail and feat_detail),
             plus the prior's L2 regularisers so the tuned decoders stay near the prior, and a locality term
             that holds the Gaussians no input saw at the stage-1 pivot (backend.invert.pivot) and every
             Gaussian's view-dependent colour (SH bands >= 1) at the pivot's

Both stages minimise ``l1 * L1 + ssim * (1 - SSIM) + lpips * LPIPS`` between renders of the input views
(each with its own expression, joint pose and camera) and the segmented inputs over a flat background,
plus ``identity * (1 - cos)`` of dlib face descriptors (SynShot's identity loss) on the views with a face;
see :class:`~backend.invert.config.InvertConfig` for step budgets and early stopping. The summary holds
the CSIM of the avatar against its inputs before and after (:mod:`backend.invert.identity`).

Example::

    result = invert(prior, prepared, InvertConfig(), progress=progress)
    save_avatar(result.avatar, "me.avatar.pt", provenance=result.summary)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import torch
from torch import Tensor

from backend.avatar import Avatar
from backend.identity import IdentityModel
from backend.prior.model import SynShotPrior
from synthetic.errors import UserInputError

from .config import InvertConfig
from .detail import PhotoTexture, photo_detail, require_texture_colour, trained_detail, view_trust
from .identity import IdentityLoss, csim_views, view_faces
from .optimise import PhotoLoss, identity_loss_note, mean_psnr, render_all, render_targets, run_stage, set_trainable
from .pivot import PIVOT_SCALES, pivot_loss, seen_gaussians, view_colour_loss
from .select import select_frames
from .targets import Targets, targets_from_views


@dataclass
class InversionResult:
    """The tuned avatar, per-step log rows, a summary, and the input targets with renders before/after."""

    avatar: Avatar
    targets: Targets
    before: Tensor
    after: Tensor
    summary: dict = field(default_factory=dict)
    log: list[dict] = field(default_factory=list)


def stage1_parameters(avatar: Avatar) -> list[torch.nn.Parameter]:
    """Stage 1 trains the identity encoder E_id only."""
    return list(avatar.prior.E_id.parameters())


def stage2_parameters(avatar: Avatar) -> list[torch.nn.Parameter]:
    """Stage 2 trains the decoders and the per-part (face, hair) colour and Gaussian regressors."""
    p = avatar.prior
    mods = [p.D_feat, p.D_id, p.D_exp, p.R_color, p.R_gauss]
    return [q for m in mods for q in m.parameters()]


def avatar_forward(avatar: Avatar, background: float, stage: int, reg: float = 0.0, pivot: dict | None = None):
    """Closure rendering target subsets: stage 1 through the live E_id code, stage 2 with the frozen q_id
    (plus ``reg`` times the prior's L2 regularisers and, with a ``pivot`` of :func:`stage2_pivot`, the locality
    and view-colour terms of :mod:`backend.invert.pivot`)."""

    def forward(sub: Targets) -> tuple[Tensor, Tensor]:
        q_id = avatar.encode_identity() if stage == 1 else None
        g = avatar.posed(sub.expression, sub.pose, q_id=q_id)
        pred = render_targets(g, sub, background)
        extra = reg * sum(g["reg"].values()) if stage == 2 and reg else pred.new_zeros(())
        if stage == 2 and pivot is not None:
            rows = [pivot["names"].index(n) for n in sub.names]
            ref = {k: v[rows] for k, v in pivot["gaussians"].items()}
            if pivot["weight"] > 0:
                extra = extra + pivot["weight"] * pivot_loss(g, ref, pivot["unseen"])
            if pivot["view_colour"] > 0:
                extra = extra + pivot["view_colour"] * view_colour_loss(g, ref)
        return pred, extra

    return forward


@torch.no_grad()
def stage2_pivot(avatar: Avatar, targets: Targets, weight: float, view_colour: float) -> dict:
    """The ``pivot`` of :func:`avatar_forward`: the avatar's posed Gaussians for every target view now (after stage
    1), which of them no view sees, and the two terms' weights."""
    g0 = avatar.posed(targets.expression, targets.pose)
    return {"weight": weight, "view_colour": view_colour, "names": list(targets.names),
            "gaussians": {k: g0[k].detach() for k in PIVOT_SCALES},
            "unseen": ~seen_gaussians(g0, targets.K, targets.w2c, targets.trusted_alpha)}  # fmt: skip


def with_identity(forward, loss: IdentityLoss | None, weight: float):
    """The forward closure with ``weight * loss`` added to its extra term (unchanged without a loss)."""
    if loss is None or weight <= 0:
        return forward

    def wrapped(sub: Targets) -> tuple[Tensor, Tensor]:
        pred, extra = forward(sub)
        return pred, extra + weight * loss(pred, sub.names)

    return wrapped


def prepare_targets(prepared, cfg: InvertConfig, prior: SynShotPrior) -> tuple[Targets, list[int]]:
    """Targets at the render size; more than ``max_inputs`` views are reduced by farthest-point selection."""
    views = list(prepared.views)
    chosen = list(range(len(views)))
    if len(views) > cfg.max_inputs:
        chosen = sorted(select_frames(np.stack([v.expression for v in views]), cfg.max_inputs))
        views = [views[i] for i in chosen]
    w = cfg.render_width or prior.cfg.data.render_width
    h = cfg.render_height or prior.cfg.data.render_height
    return targets_from_views(views, w, h, cfg.background), chosen


def invert(prior: SynShotPrior, prepared, cfg: InvertConfig | None = None, head_model=None, progress=None,
           name: str = "avatar") -> InversionResult:
    """Invert the prior on a person's prepared views.

    Args:
        prior: the trained prior (not modified; the avatar owns a copy).
        prepared: ``backend.photos.PreparedPhotos``.
        cfg: inversion settings (default :class:`InvertConfig`).
        head_model: the prior's head model (default: this checkout's).
        progress: a ``synthetic.progress.Progress`` (stages ``invert-stage1``, ``invert-stage2``).
        name: recorded in the avatar.

    Returns:
        :class:`InversionResult`; ``summary`` holds step counts, early-stopping points, times, the input-view
        PSNR before and after, the identity-loss note and the RMS of the avatar's detail maps.
    """
    cfg = cfg or InvertConfig()
    if cfg.detail_size and not 8 <= cfg.detail_size <= 4096:  # before stage 1, not after it
        raise UserInputError(f"invert: detail_size must be 0 (the prior's map size) or 8..4096 texels, "
                             f"got {cfg.detail_size}")
    if cfg.detail > 0:
        require_texture_colour(prior)
    avatar = Avatar.from_prior(prior, prepared, head_model, name)
    dev = avatar.device
    targets, chosen = prepare_targets(prepared, cfg, prior)
    targets = targets.to(dev)
    views = [next(v for v in prepared.views if v.name == n) for n in targets.names]
    id_model = faces = id_loss = None
    if IdentityModel.available():
        id_model = IdentityModel.load(dev)
        faces = view_faces(id_model, views, cfg.background)
        if cfg.identity > 0 and faces.transforms:
            id_loss = IdentityLoss(id_model, faces, targets.size, cfg.identity_every)
    note = identity_loss_note(cfg, len(faces.transforms) if faces else None, len(views))
    if progress is not None:
        progress.message(note)
    csim_before = csim_views(id_model, avatar, views, faces, cfg.background) if faces else None
    loss_fn = PhotoLoss(cfg, dev)
    steps1, steps2 = cfg.steps(len(targets))
    log: list[dict] = []
    before = render_all(avatar_forward(avatar, cfg.background, 2), targets)
    if targets.trust is not None:  # untrusted pixels (a collar over the neck) keep the untuned prior's guess
        targets = replace(targets, fill=before)
    s1 = run_stage("invert-stage1", set_trainable(avatar, stage1_parameters(avatar)),
                   with_identity(avatar_forward(avatar, cfg.background, 1), id_loss, cfg.identity), targets, steps1,
                   cfg.lr_stage1, cfg, loss_fn, progress, log)
    avatar.freeze_identity()
    photo = None
    if cfg.detail > 0 or cfg.lr_feat_detail > 0:
        size = cfg.detail_size or avatar.x_tex.shape[-1]
        if size != avatar.tex_detail.shape[-1]:
            avatar.reset_detail(size)
        photo = PhotoTexture.of(avatar, prepared, size)
    trust = view_trust(prepared.texture_weight, photo.seen.shape[-1], cfg.detail_full_weight) if photo else None
    if cfg.detail > 0:
        avatar.tex_detail.copy_(photo_detail(avatar, cfg.detail_feather, cfg.detail, trust, photo))
    pivot = stage2_pivot(avatar, targets, cfg.pivot, cfg.pivot_view_colour)
    rates = {"tex_detail": cfg.lr_detail if cfg.detail > 0 else 0.0, "feat_detail": cfg.lr_feat_detail}
    with trained_detail(avatar, rates, photo.seen if photo is not None else None, trust) as detail_groups:
        s2 = run_stage("invert-stage2", [{"params": set_trainable(avatar, stage2_parameters(avatar))}, *detail_groups],
                       with_identity(avatar_forward(avatar, cfg.background, 2, cfg.reg, pivot), id_loss, cfg.identity),
                       targets, steps2, cfg.lr_stage2, cfg, loss_fn, progress, log)
    for p in avatar.parameters():
        p.requires_grad_(True)
    avatar.eval()
    after = render_all(avatar_forward(avatar, cfg.background, 2), targets)
    identity = {"csim_before": csim_before, "csim_after": csim_views(id_model, avatar, views, faces, cfg.background)
                if faces else None, "loss_last": id_loss.last if id_loss else None}  # fmt: skip
    summary = {"inputs": targets.names, "selected": chosen, "render_size": list(targets.size),
               "stage1": s1, "stage2": s2, "psnr_inputs_before": mean_psnr(before, targets.images, targets.trust),
               "psnr_inputs_after": mean_psnr(after, targets.images, targets.trust), "identity_loss": note,
               "identity": identity, "config": cfg.to_dict(), "n_gaussians": avatar.n_gaussians,
               "unseen_fraction": float(pivot["unseen"].float().mean()),
               "detail_rms": {k: float(getattr(avatar, k).pow(2).mean().sqrt()) for k in ("tex_detail", "feat_detail")}}
    return InversionResult(avatar, targets, before, after, summary, log)
