"""Training losses of the prior (SynShot 3.2), weighted by :class:`~backend.prior.config.LossConfig`.

- L_color on rendered images against the dataset views: ``render_l1 * L1 + render_ssim * (1 - SSIM) +
  render_lpips * LPIPS(AlexNet)``.
- L_color on the decoded maps: texture (masked by what the back-projection saw) and the position and
  expression maps shown as images (``0.5 + 0.25 * x``, so SSIM and LPIPS see their structure):
  ``map_l1 * L1(tex) + map_ssim * (1 - SSIM) + map_lpips * LPIPS``.
- L_geom: ``geom_l1 * (L1(x_verts) + L1(x_exp))`` on valid texels, in normalised units.
- L2 regularisers on the position, log-scale and opacity-logit offsets and on SH of degree >= 1.
- The VQ codebook + commitment loss.

Outside the atlas (invalid texels) the prediction is replaced by the target before SSIM and LPIPS, so those
texels add nothing. LPIPS can run every ``lpips_every`` steps only (weight scaled up to compensate), which
keeps CPU training affordable.
"""

from __future__ import annotations

import torch
from torch import Tensor

from backend.metrics import get_lpips, ssim

from .config import LossConfig
from .model import PriorOutput


def _masked_l1(pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
    """Mean absolute error over the texels where ``mask`` ``[B, 1, S, S]`` is set (all channels)."""
    return ((pred - target).abs() * mask).sum() / (mask.sum() * pred.shape[1]).clamp_min(1.0)


def geometry_image(x: Tensor) -> Tensor:
    """Normalised position/expression maps as images for SSIM and LPIPS (0 offset = mid grey)."""
    return 0.5 + 0.25 * x


class PriorLoss:
    """Callable loss: ``total, terms = loss(out, batch, rendered, step)``.

    Args:
        cfg: loss weights.
        device: where LPIPS runs.
    """

    def __init__(self, cfg: LossConfig, device: torch.device) -> None:
        self.cfg = cfg
        need = cfg.render_lpips > 0 or cfg.map_lpips > 0
        self.lpips = get_lpips("alex", device) if need else None

    def _use_lpips(self, step: int) -> bool:
        return self.lpips is not None and step % max(1, self.cfg.lpips_every) == 0

    def __call__(self, out: PriorOutput, batch: dict, rendered: Tensor, step: int) -> tuple[Tensor, dict[str, float]]:
        c = self.cfg
        lp_scale = float(max(1, c.lpips_every))
        use_lpips = self._use_lpips(step)
        terms: dict[str, Tensor] = {}
        # rendered views
        pred = rendered.flatten(0, 1).float()
        gt = batch["images"].flatten(0, 1).float()
        terms["render_l1"] = (pred - gt).abs().mean()
        terms["render_ssim"] = 1.0 - ssim(pred, gt).mean()
        if use_lpips and c.render_lpips > 0:
            terms["render_lpips"] = self.lpips(pred, gt).mean()
        # decoded maps
        valid = batch["masks"][:, :1]
        tex_mask = batch["tex_mask"]
        tex_p, tex_t = out.tex * 0.5 + 0.5, batch["x_tex"] * 0.5 + 0.5
        terms["map_l1"] = _masked_l1(tex_p, tex_t, tex_mask)
        pairs = [(tex_p, tex_t, tex_mask), (geometry_image(out.verts), geometry_image(batch["x_verts"]), valid),
                 (geometry_image(out.exp), geometry_image(batch["x_exp"]), valid)]
        blended = [(p * m + t * (1 - m), t) for p, t, m in pairs]
        terms["map_ssim"] = sum(1.0 - ssim(p, t).mean() for p, t in blended) / 3.0
        if use_lpips and c.map_lpips > 0:
            terms["map_lpips"] = sum(self.lpips(p, t).mean() for p, t in blended) / 3.0
        terms["geom_l1"] = _masked_l1(out.verts, batch["x_verts"], valid) + _masked_l1(out.exp, batch["x_exp"], valid)
        for k in ("d_pos", "d_scale", "d_opacity", "sh_rest"):
            terms[f"reg_{k}"] = out.reg[k]
        terms["vq"] = out.vq_loss
        weights = {
            "render_l1": c.render_l1, "render_ssim": c.render_ssim, "render_lpips": c.render_lpips * lp_scale,
            "map_l1": c.map_l1, "map_ssim": c.map_ssim, "map_lpips": c.map_lpips * lp_scale, "geom_l1": c.geom_l1,
            "reg_d_pos": c.reg_offset, "reg_d_scale": c.reg_scale, "reg_d_opacity": c.reg_opacity,
            "reg_sh_rest": c.reg_sh, "vq": c.vq,
        }  # fmt: skip
        total = sum(weights[k] * v for k, v in terms.items())
        logged = {k: float(v.detach()) for k, v in terms.items()}
        logged["loss"] = float(total.detach())
        return total, logged
