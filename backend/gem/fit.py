"""Analysis-by-synthesis: fit GEM coefficients (and optionally a rigid head pose) to images from known cameras.

Coefficients are optimised in units of their standard deviations (``k = z * sigma``) with a small Gaussian
prior on ``z``; the loss is ``(1 - w) L1 + w D-SSIM`` (as refinement, without the perceptual term). The
optional rigid pose turns the Gaussians about their neutral centre (axis-angle ``r``, rad) and moves them
(``t``, m): ``x' = R (x - c) + c + t``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from jaxtyping import Float
from torch import Tensor

from backend.metrics import dssim, psnr
from backend.prior.lbs_torch import axis_angle_to_matrix, matrix_to_quaternion, quaternion_multiply
from backend.splat import Cameras, rasterize

from .decode import TorchGem


@dataclass
class FitConfig:
    """Per-image coefficient fitting settings."""

    steps: int = 150
    """Adam steps."""
    lr: float = 0.05
    """Learning rate of the normalised coefficients z (sigma units)."""
    lr_pose: float = 0.005
    """Learning rate of the pose (rad and m)."""
    ssim_weight: float = 0.2
    """w in (1 - w) L1 + w D-SSIM."""
    prior_weight: float = 1e-4
    """Weight of mean(z^2) (keeps unseen directions near the mean face)."""
    pose: bool = False
    """Also fit a rigid pose (rotation about the neutral centre and translation)."""
    background: float = 1.0
    """Background grey level of the targets."""


@dataclass
class FitResult:
    coefficients: Float[Tensor, "1 K"]
    """Fitted flat coefficients (modality order)."""
    rotation: Float[Tensor, " 3"]
    """Axis-angle (rad) of the fitted rigid pose (zeros without ``pose``)."""
    translation: Float[Tensor, " 3"]
    """Translation (m) of the fitted rigid pose."""
    psnr_before: float
    """PSNR (dB) of the mean face against the targets."""
    psnr_after: float
    """PSNR (dB) after fitting."""


def posed_set(gem: TorchGem, flat: Tensor, rotation: Tensor, translation: Tensor, centre: Tensor):
    """The :class:`GaussianSet` of flat coefficients ``[1, K]`` after the rigid pose."""
    g = gem.decode(flat)
    R = axis_angle_to_matrix(rotation)
    means = (g["means"][0] - centre) @ R.T + centre + translation
    quats = quaternion_multiply(matrix_to_quaternion(R)[None].expand(len(means), -1), g["quats"][0])
    return gem.gaussian_set({**g, "means": means[None], "quats": quats[None]})


def fit_coefficients(gem: TorchGem, images: Float[Tensor, "C H W 3"], cameras: Cameras,
                     cfg: FitConfig | None = None, init: Tensor | None = None) -> FitResult:  # fmt: skip
    """Fit flat coefficients (and a rigid pose with ``cfg.pose``) so the GEM's renders match ``images``.

    Args:
        gem: the model (not modified).
        images: ``[C, H, W, 3]`` targets in [0, 1], one per camera.
        cameras: the ``C`` cameras (head-canonical frame, OpenCV).
        cfg: see :class:`FitConfig`.
        init: ``[1, K]`` starting coefficients (default 0, the mean face).
    """
    cfg = cfg or FitConfig()
    if images.shape[0] != len(cameras) or images.shape[1:] != (cameras.height, cameras.width, 3):
        raise ValueError(f"images must be [{len(cameras)}, {cameras.height}, {cameras.width}, 3], "
                         f"got {list(images.shape)}")  # fmt: skip
    sigma = gem.flat_std().detach().clamp(min=1e-8)
    like = dict(device=sigma.device, dtype=sigma.dtype)  # every tensor made here follows the GEM
    z0 = torch.zeros(1, gem.n_coefficients, **like) if init is None else init.detach().to(**like) / sigma
    z = torch.nn.Parameter(z0.clone())
    rot = torch.nn.Parameter(torch.zeros(3, **like))
    trans = torch.nn.Parameter(torch.zeros(3, **like))
    with torch.no_grad():
        centre = gem.decode(gem.zero_coefficients(1))["means"][0].mean(0)
    bg = float(cfg.background)
    groups = [{"params": [z], "lr": cfg.lr}] + ([{"params": [rot, trans], "lr": cfg.lr_pose}] if cfg.pose else [])
    opt = torch.optim.Adam(groups)
    target = images.to(**like).permute(0, 3, 1, 2)

    def score() -> float:
        with torch.no_grad():
            pred = rasterize(posed_set(gem, z * sigma, rot, trans, centre), cameras, background=bg).rgb
            return float(psnr(pred.permute(0, 3, 1, 2).clamp(0, 1), target).mean())

    before = score()
    gem.requires_grad_(False)
    try:
        for _ in range(cfg.steps):
            pred = rasterize(posed_set(gem, z * sigma, rot, trans, centre), cameras, background=bg).rgb
            p = pred.permute(0, 3, 1, 2)
            loss = (1 - cfg.ssim_weight) * (p - target).abs().mean() + cfg.ssim_weight * dssim(p, target).mean()
            loss = loss + cfg.prior_weight * (z**2).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    finally:
        gem.requires_grad_(True)
    return FitResult((z * sigma).detach(), rot.detach(), trans.detach(), before, score())
