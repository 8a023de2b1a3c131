"""Photometric refinement of a GEM's means and bases against the teacher's renders (GEM, section 3.3).

Loss per image: ``(1 - w) L1 + w D-SSIM + z LPIPS`` (w = 0.2, z = 0.005 as in D3GA; the paper's VGG term is
LPIPS here, AlexNet by default, VGG on request). Adam over the per-modality means, bases and the training
frames' coefficients; every ``qr_every`` steps each basis is re-orthogonalised by QR (``B^T = Q R``; the basis
becomes ``Q^T`` and the coefficients ``k R^T``, so the decoded Gaussians do not change), the coefficients'
mean is folded into the model mean, and the standard deviations are re-measured on the training frames.

Targets are rendered from the teacher's canonical Gaussians (cached, rendered on the fly without
gradients) in the 28-camera rig at a small resolution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from jaxtyping import Float
from torch import Tensor

from backend.metrics import dssim, get_lpips, psnr
from backend.splat import Cameras, rasterize
from synthetic.formats.gem import MODALITIES

from .decode import TorchGem
from .views import gaussian_set


@dataclass
class RefineConfig:
    """Photometric refinement settings (paper values in brackets)."""

    steps: int = 200
    """Optimisation steps [30k on a GPU]; 0 skips refinement."""
    qr_every: int = 50
    """Steps between QR re-orthogonalisations of each basis [1000]."""
    lr_mean: float = 2e-5
    """Adam learning rate of the raw means (metres for position, log/logit units otherwise)."""
    lr_basis: float = 4e-6
    """Adam learning rate of the basis entries."""
    lr_coefficients: float = 1e-2
    """Adam learning rate of the training frames' coefficients, in units of each component's standard deviation
    (coefficients are optimised whitened, so a component with a tiny spread is not swamped by Adam's unit-size
    steps); 0 keeps them fixed."""
    ssim_weight: float = 0.2
    """w in (1 - w) L1 + w D-SSIM [0.2, D3GA]."""
    lpips_weight: float = 0.005
    """z, weight of the perceptual term [0.005, D3GA]; 0 turns it off."""
    lpips_net: str = "alex"
    """LPIPS backbone of the perceptual term: alex or vgg."""
    frames_per_step: int = 2
    """Training expressions per step."""
    cameras_per_step: int = 4
    """Rig cameras per expression per step."""
    width: int = 96
    """Render width in pixels (small on a CPU)."""
    height: int = 64
    """Render height in pixels."""
    background: float = 1.0
    """Grey level behind the head (white)."""
    seed: int = 0
    """Seeds the frame and camera choice."""


def image_loss(pred: Float[Tensor, "B H W 3"], target: Float[Tensor, "B H W 3"], cfg: RefineConfig) -> Tensor:
    """``(1 - w) L1 + w D-SSIM + z LPIPS`` averaged over the batch."""
    p, t = pred.permute(0, 3, 1, 2), target.permute(0, 3, 1, 2)
    loss = (1 - cfg.ssim_weight) * (p - t).abs().mean() + cfg.ssim_weight * dssim(p, t).mean()
    if cfg.lpips_weight > 0 and min(p.shape[-2:]) >= 32:
        loss = loss + cfg.lpips_weight * get_lpips(cfg.lpips_net, p.device)(p, t).mean()  # type: ignore[arg-type]
    return loss


def render_canonical(canon: dict[str, Tensor], index: int, cameras: Cameras, background: float,
                     device: torch.device | str | None = None) -> Tensor:
    """Teacher image ``[C, H, W, 3]`` of frame ``index`` of cached canonical Gaussians ``[T, N, ...]``, rendered
    on ``device`` (default: where the cache lives; the cache usually stays on the CPU, one frame moves)."""
    device = device or canon["means"].device
    g = {k: v[index : index + 1].to(device) for k, v in canon.items()}
    return rasterize(gaussian_set(g), cameras, background=float(background)).rgb


def evaluate_psnr(gem: TorchGem, coeffs: dict[str, Tensor], canon: dict[str, Tensor], cameras: Cameras,
                  frames: list[int] | None = None, background: float = 1.0) -> float:  # fmt: skip
    """Mean PSNR (dB) of GEM renders against teacher renders over ``frames`` x ``cameras``."""
    frames = list(range(len(canon["means"]))) if frames is None else frames
    values = []
    with torch.no_grad():
        for i in frames:
            target = render_canonical(canon, i, cameras, background, gem.sh.device)
            g = gem.decode({m: c[i : i + 1].to(gem.mean(m)) for m, c in coeffs.items()})
            pred = rasterize(gem.gaussian_set(g), cameras, background=float(background)).rgb
            values.append(psnr(pred.permute(0, 3, 1, 2).clamp(0, 1), target.permute(0, 3, 1, 2).clamp(0, 1)))
    return float(torch.cat(values).mean())


def qr_step(gem: TorchGem, coeffs: dict[str, Tensor]) -> None:
    """Re-orthogonalise every basis in place (decoded Gaussians unchanged), centre the coefficients and
    re-measure the standard deviations on them."""
    with torch.no_grad():
        for m in MODALITIES:
            basis, k = gem.basis(m), coeffs[m]
            if basis.shape[0] == 0:
                continue
            q, r = torch.linalg.qr(basis.double().T)
            sign = torch.sign(torch.diagonal(r))
            sign = torch.where(sign == 0, torch.ones_like(sign), sign)
            q, r = q * sign, r * sign[:, None]
            k_new = k.to(r) @ r.T
            centre = k_new.mean(0)
            gem.mean(m).add_((centre @ q.T).to(gem.mean(m).dtype))
            k_new = k_new - centre
            basis.copy_(q.T.to(basis.dtype))
            coeffs[m].copy_(k_new.to(coeffs[m].dtype))
            gem.std(m).copy_(k_new.std(0, unbiased=True).to(gem.std(m).dtype) if len(k_new) > 1 else 0 * centre)


def refine(gem: TorchGem, canon: dict[str, Tensor], coeffs: dict[str, Tensor], cameras: Cameras,
           cfg: RefineConfig, progress=None) -> dict[str, float]:  # fmt: skip
    """Refine ``gem`` (in place) and the training ``coeffs`` (in place) against teacher renders.

    Args:
        gem: the model to refine (its parameters are optimised).
        canon: cached teacher canonical Gaussians ``[T, N, ...]`` of the training expressions.
        coeffs: ``{modality: [T, k]}`` training coefficients, matched to ``canon``'s frames.
        cameras: the rig cameras to render (a random subset per step).
        cfg: see :class:`RefineConfig`.
        progress: optional ``synthetic.progress.Progress`` (stage ``refine``).

    Returns:
        ``{"loss_first": ..., "loss_last": ..., "steps": ...}`` (mean loss of the first and last 10 % of steps).
    """
    if cfg.steps <= 0:
        return {"steps": 0}
    gen = torch.Generator().manual_seed(cfg.seed)

    def whitened(values: dict[str, Tensor]) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
        """(trainable coefficients in units of the current standard deviations, those units)."""
        units = {m: gem.std(m).detach().clamp(min=1e-8).clone() for m in MODALITIES}
        return {m: torch.nn.Parameter((values[m].detach().to(units[m]) / units[m]).clone())
                for m in MODALITIES}, units  # fmt: skip

    zs, units = whitened(coeffs)

    def optimiser() -> torch.optim.Optimizer:
        groups = [{"params": [gem.mean(m) for m in MODALITIES], "lr": cfg.lr_mean},
                  {"params": [gem.basis(m) for m in MODALITIES], "lr": cfg.lr_basis}]  # fmt: skip
        if cfg.lr_coefficients > 0:
            groups.append({"params": list(zs.values()), "lr": cfg.lr_coefficients})
        return torch.optim.Adam(groups)

    opt = optimiser()
    device = gem.sh.device
    n_frames, bg = len(canon["means"]), float(cfg.background)
    losses = []
    for step in range(1, cfg.steps + 1):
        frames = torch.randperm(n_frames, generator=gen, device="cpu")[: cfg.frames_per_step].tolist()
        loss = 0.0
        for i in frames:
            cams = cameras[torch.randperm(len(cameras), generator=gen, device="cpu")[: cfg.cameras_per_step]]
            with torch.no_grad():
                target = render_canonical(canon, i, cams, cfg.background, device)
            g = gem.decode({m: z[i : i + 1] * units[m] for m, z in zs.items()})
            pred = rasterize(gem.gaussian_set(g), cams, background=bg).rgb
            loss = loss + image_loss(pred, target, cfg) / len(frames)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
        if step % cfg.qr_every == 0 or step == cfg.steps:
            ks = {m: (z * units[m]).detach() for m, z in zs.items()}
            qr_step(gem, ks)
            zs, units = whitened(ks)
            opt = optimiser()  # the Adam moments belong to the old bases and units
        if progress is not None:
            progress.update("refine", step, cfg.steps, loss=losses[-1])
    for m in MODALITIES:
        coeffs[m] = (zs[m] * units[m]).detach().clone()
    tail = max(1, len(losses) // 10)
    return {"steps": cfg.steps, "loss_first": float(np.mean(losses[:tail])),
            "loss_last": float(np.mean(losses[-tail:]))}  # fmt: skip
