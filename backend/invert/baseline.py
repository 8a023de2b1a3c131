"""The no-prior baseline of the inversion evaluation: 3D Gaussians optimised from scratch on the same inputs.

Same primitives as the avatar (one Gaussian per sample point of the prior's face and hair grids), initialised
without any learned network, from exactly what the prior is given as input: positions on the person's fitted
head mesh (template + the x_verts identity offsets, hair proxy included), tangent-frame rotations, nearest-
neighbour scales, opacity 0.7 and colour from the back-projected texture. It is driven by the head model like
the avatar (3DMM expression offsets sampled at each Gaussian's UV, then the same LBS), so it can be scored on
novel expressions; every Gaussian's position, rotation, scale, opacity and SH are free parameters (3DGS
learning rates, no densification so the count stays equal).
"""

from __future__ import annotations

import torch
from jaxtyping import Float
from torch import Tensor, nn

from backend.avatar import Avatar
from backend.prior.parts import gather_valid, sample_grid, uv_derivatives

# 3DGS learning rates (positions scaled to a ~0.3 m head)
LEARNING_RATES = {"means": 1.6e-4, "quats": 1e-3, "log_scales": 5e-3, "opacity_logits": 2.5e-2, "sh_dc": 2.5e-3,
                  "sh_rest": 1.25e-4}


class GaussianBaseline(nn.Module):
    """Free Gaussians rigged like ``avatar`` (which provides the grids, identity inputs, joints and LBS)."""

    def __init__(self, avatar: Avatar) -> None:
        super().__init__()
        self.avatar = avatar
        prior, d = avatar.prior, avatar.prior.cfg.data
        with torch.no_grad():
            offset = avatar.x_verts * d.verts_scale_m  # [1, 3, S, S] m, neutral identity offset
            du, dv = uv_derivatives(offset)
            outs, basis = [], []
            exp_m = avatar.exp_maps * d.exp_scale_m  # [E, 3, S, S] m per unit coefficient
            for name in prior.parts:
                part = prior._part(name)
                hs, ws = part.valid.shape
                zc = offset.new_zeros(1, 3 * prior.n_sh, hs, ws)
                zg = offset.new_zeros(1, 11, hs, ws)
                outs.append(prior._gaussians(part, offset, du, dv, avatar.x_tex, zc, zg))
                basis.append(gather_valid(sample_grid(exp_m, part.grid), part.index))  # [E, N, 3]
            cat = {k: torch.cat([o[k] for o in outs], 1)[0] for k in ("means", "quats", "scales", "opacities", "sh")}
        self.register_buffer("exp_basis", torch.cat(basis, 1))  # [E, N, 3]
        self.means = nn.Parameter(cat["means"].clone())
        self.quats = nn.Parameter(cat["quats"].clone())
        self.log_scales = nn.Parameter(cat["scales"].log())
        self.opacity_logits = nn.Parameter(torch.logit(cat["opacities"].clamp(1e-4, 1 - 1e-4)))
        self.sh_dc = nn.Parameter(cat["sh"][:, :1].clone())
        self.sh_rest = nn.Parameter(cat["sh"][:, 1:].clone())

    def param_groups(self) -> list[dict]:
        """Adam parameter groups with the 3DGS learning rates."""
        return [{"params": [getattr(self, k)], "lr": lr} for k, lr in LEARNING_RATES.items()]

    @property
    def n_gaussians(self) -> int:
        return int(self.means.shape[0])

    def posed(self, expression: Float[Tensor, "B E"], pose: Float[Tensor, "B J 3"] | None = None) -> dict[str, Tensor]:
        """World Gaussians (same keys as :meth:`Avatar.posed`, ``reg`` empty)."""
        b = expression.shape[0]
        pose = expression.new_zeros(b, len(self.avatar.joint_names), 3) if pose is None else pose
        rest = self.means[None] + torch.einsum("enc,be->bnc", self.exp_basis, expression)
        quats = self.quats[None].expand(b, -1, -1)
        means, quats = self.avatar.prior.pose(rest, quats, pose, expression, self.avatar.joints(expression))
        sh = torch.cat([self.sh_dc, self.sh_rest], 1)[None].expand(b, -1, -1, -1)
        return {"means": means, "quats": quats, "scales": self.log_scales.exp()[None].expand(b, -1, -1),
                "opacities": torch.sigmoid(self.opacity_logits)[None].expand(b, -1), "sh": sh, "reg": {}}
