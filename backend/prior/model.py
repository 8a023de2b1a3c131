"""The SynShot prior: UV maps -> VQ latents -> decoded maps -> per-part Gaussians -> posed Gaussians.

::

    z_id = E_id(x_tex, x_verts, masks)        z_exp = E_exp(x_exp, valid)           [B, n, h, w]
    q_id, q_exp = T(VQ(z_id)), T(VQ(z_exp))   (VQ and T switchable off)
    x_feat = D_feat(q_id, q_exp)   [B, F, S, S]
    x_tex, x_verts = D_id(q_id)    x_exp = D_exp(q_exp)
    phi = template + s_v * x_verts + s_e * x_exp                              (m, rest pose, per UV point)
    per part r: bilinear samples at the part's UV grid -> position, tangent-frame rotation, neighbour
                scale, opacity 0.7, SH DC from x_tex; R_color and R_gauss add SH and offsets
                (``model.texture_colour`` false: R_color's SH is the whole colour, as SynShot)
    LBS (neck, head, jaw, eyes) + optional global rigid transform -> world Gaussians

Positions are decoded as offsets from the template (SynShot's x_verts = R_uv(delta B_id) is an identity
offset too); with zero-initialised decoder outputs the untrained prior is the template head, so rendering
gives useful gradients from the first step. The regressor's position offsets are 5 mm per unit on the face
and 2 cm on the hair part (``offset_scale_m``, ``hair_offset_scale_m``): long hair and ponytails leave the
scalp proxy, skin does not (tiny run, held-out identities: LPIPS 0.155 -> 0.140 at equal PSNR, visibly more hair).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from jaxtyping import Float
from torch import Tensor, nn

from backend.splat import Cameras, GaussianSet, rasterize
from backend.splat.gaussians import rgb_to_sh_dc
from synthetic.errors import UserInputError

from .config import PriorConfig
from .lbs_torch import HeadLBS, matrix_to_quaternion, quaternion_multiply
from .networks import Decoder, Encoder, Regressor
from .parts import (PartGrid, build_part, gather_valid, neighbour_distance, part_regions, sample_grid, tangent_frame,
                    uv_derivatives)
from .vq import CodeTransformer, VectorQuantizer

GAUSS_CHANNELS = 3 + 4 + 3 + 1  # delta position, rotation (quaternion), log-scale, opacity logit


@dataclass
class PriorOutput:
    """Everything one forward pass produces (``B`` samples, ``N`` Gaussians per sample)."""

    tex: Float[Tensor, "B 3 S S"]
    verts: Float[Tensor, "B 3 S S"]
    exp: Float[Tensor, "B 3 S S"]
    means: Float[Tensor, "B N 3"]
    quats: Float[Tensor, "B N 4"]
    scales: Float[Tensor, "B N 3"]
    opacities: Float[Tensor, "B N"]
    sh: Float[Tensor, "B N K 3"]
    reg: dict[str, Tensor]
    vq_loss: Tensor
    stats: dict[str, float]

    def gaussians(self, b: int) -> GaussianSet:
        """The posed Gaussians of sample ``b``."""
        return GaussianSet(self.means[b], self.quats[b], self.scales[b], self.opacities[b], self.sh[b])


class SynShotPrior(nn.Module):
    """The generative prior; built from a :class:`PriorConfig` and the head model.

    Args:
        cfg: the run config (``model`` and ``data`` sections are used).
        head_model: ``synthetic.head.HeadModel`` (template, UV atlas, regions, skinning).
    """

    def __init__(self, cfg: PriorConfig, head_model) -> None:
        super().__init__()
        m, d = cfg.model, cfg.data
        self.cfg = cfg
        ch = m.channels
        grid = d.map_size // 2 ** (len(ch) - 1)
        self.E_id = Encoder(3 + 3 + 3, ch, m.id_latent_dim)
        self.E_exp = Encoder(3 + 1, ch, m.exp_latent_dim)
        vq = dict(beta=m.commitment, restart_every=m.restart_every, threshold=m.restart_threshold)
        self.vq_id = VectorQuantizer(m.id_codebook_size, m.id_latent_dim, **vq) if m.vq else None
        self.vq_exp = VectorQuantizer(m.exp_codebook_size, m.exp_latent_dim, **vq) if m.vq else None
        layers = m.transformer_layers
        self.T_id = CodeTransformer(m.id_latent_dim, grid * grid, layers, m.transformer_heads) if layers else None
        self.T_exp = CodeTransformer(m.exp_latent_dim, grid * grid, layers, m.transformer_heads) if layers else None
        self.D_feat = Decoder(m.id_latent_dim + m.exp_latent_dim, ch, m.feat_channels)
        self.D_id = Decoder(m.id_latent_dim, ch, 6, zero_init=True)
        self.D_exp = Decoder(m.exp_latent_dim, ch, 3, zero_init=True)
        self.n_sh = (m.sh_degree + 1) ** 2
        self.texture_colour_weight = 1.0 if m.texture_colour else 0.0
        """Share of the decoded texture in the SH DC (1: R_color adds a residual; 0: R_color's SH is all of it;
        in between only while a trainer fades it, ``optim.texture_colour_fade``)."""
        self.parts: dict[str, PartGrid] = {}
        self.R_color, self.R_gauss = nn.ModuleDict(), nn.ModuleDict()
        for name in part_regions(head_model, m.single_layer):
            k = m.regressor_kernel
            self.R_color[name] = Regressor(m.feat_channels, m.regressor_channels, 3 * self.n_sh, k)
            self.R_gauss[name] = Regressor(m.feat_channels, m.regressor_channels, GAUSS_CHANNELS, k)
        self.rebuild_parts(head_model, d.map_size)
        self.lbs = HeadLBS(head_model)

    @property
    def n_gaussians(self) -> int:
        return sum(len(p) for p in self.parts.values())

    def _part(self, name: str) -> PartGrid:
        """The part's grid with its tensors on the module's device (buffers follow ``.to()``)."""
        return PartGrid(name, **{k: getattr(self, f"part_{name}_{k}") for k in self.parts[name].buffers()})

    def rebuild_parts(self, head_model, map_size: int) -> None:
        """(Re)build the per-part sample grids as if the maps were ``map_size`` texels wide.

        The decoded maps keep their size; only the UV sample points change (bilinear sampling works at any
        point), so the Gaussian count scales with ``map_size ** 2``. The regressors see the features of each
        sample; with ``regressor_kernel`` 1 they are per-Gaussian MLPs and grid-independent, with a larger
        kernel their receptive field shrinks in UV as the grid gets denser.
        """
        m = self.cfg.model
        device = next(self.parameters()).device
        for name, regions in part_regions(head_model, m.single_layer).items():
            density = (m.hair_density if name == "hair" else m.face_density) if m.sampling else 1.0
            part = build_part(head_model, name, regions, map_size, density, m.jitter if m.sampling else 0.0)
            self.parts[name] = part
            for key, value in part.buffers().items():
                self.register_buffer(f"part_{name}_{key}", value.to(device), persistent=False)

    # ------------------------------------------------------------------ encode / decode
    def encode_identity(self, x_tex: Tensor, x_verts: Tensor, masks: Tensor,
                        step: int | None = None) -> tuple[Tensor, Tensor, dict[str, float]]:
        """Quantised (and transformed) identity code ``[B, n_id, h, w]``, its VQ loss and codebook stats."""
        z_id = self.identity_latent(x_tex, x_verts, masks)
        loss, stats = z_id.new_zeros((), dtype=torch.float32), {}
        if self.vq_id is not None:
            z_id, loss, s_id, _ = self.vq_id(z_id, step)
            stats = {"usage_id": s_id["usage"], "perplexity_id": s_id["perplexity"]}
        return (self.T_id(z_id) if self.T_id is not None else z_id), loss, stats

    def identity_latent(self, x_tex: Tensor, x_verts: Tensor, masks: Tensor) -> Tensor:
        """The identity encoder's continuous latent ``[B, n_id, h, w]`` (before quantisation)."""
        return self.E_id(torch.cat([x_tex, x_verts, masks], 1))

    @torch.no_grad()
    def identity_indices(self, x_tex: Tensor, x_verts: Tensor, masks: Tensor) -> Tensor:
        """Codebook indices ``[B, h, w]`` of the identity code (before the transformer); needs ``model.vq``."""
        if self.vq_id is None:
            raise UserInputError("this prior has no identity codebook (model.vq is off): its codes cannot be sampled")
        return self.vq_id(self.identity_latent(x_tex, x_verts, masks))[3]

    def code_from_indices(self, indices: Tensor) -> Tensor:
        """The identity code ``[B, n_id, h, w]`` the decoders read, from codebook indices ``[B, h, w]``."""
        if self.vq_id is None:
            raise UserInputError("this prior has no identity codebook (model.vq is off)")
        q = self.vq_id.codebook[indices].permute(0, 3, 1, 2)
        return self.T_id(q) if self.T_id is not None else q

    def encode_expression(self, x_exp: Tensor, valid: Tensor,
                          step: int | None = None) -> tuple[Tensor, Tensor, dict[str, float]]:
        """Quantised (and transformed) expression code ``[B, n_exp, h, w]``, its VQ loss and stats."""
        z_exp = self.E_exp(torch.cat([x_exp, valid], 1))
        loss, stats = z_exp.new_zeros((), dtype=torch.float32), {}
        if self.vq_exp is not None:
            z_exp, loss, s_exp, _ = self.vq_exp(z_exp, step)
            stats = {"usage_exp": s_exp["usage"]}
        return (self.T_exp(z_exp) if self.T_exp is not None else z_exp), loss, stats

    def encode(self, batch: dict, step: int | None = None) -> tuple[Tensor, Tensor, Tensor, dict[str, float]]:
        """Quantised (and transformed) identity and expression codes, the VQ loss and codebook stats."""
        q_id, l_id, s_id = self.encode_identity(batch["x_tex"], batch["x_verts"], batch["masks"], step)
        q_exp, l_exp, s_exp = self.encode_expression(batch["x_exp"], batch["masks"][:, :1], step)
        return q_id, q_exp, l_id + l_exp, {**s_id, **s_exp}

    def decode(self, q_id: Tensor, q_exp: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Feature map ``[B, F, S, S]``, texture ``[B, 3, S, S]`` in [-1, 1], x_verts and x_exp (normalised)."""
        feat = self.D_feat(torch.cat([q_id, q_exp], 1))
        ident = self.D_id(q_id)
        return feat, ident[:, :3], ident[:, 3:], self.D_exp(q_exp)

    # ------------------------------------------------------------------ Gaussians
    def forward(self, batch: dict, step: int | None = None, amp_dtype: torch.dtype | None = None) -> PriorOutput:
        """Encode, decode, sample and pose the Gaussians of a batch (see :mod:`backend.prior.data`)."""
        dev = batch["x_tex"].device
        with torch.autocast(dev.type, dtype=amp_dtype or torch.float32, enabled=amp_dtype is not None):
            q_id, q_exp, vq_loss, stats = self.encode(batch, step)
        out = self.decode_gaussians(q_id, q_exp, amp_dtype)
        means, quats = self.pose(out["means"], out["quats"], batch["pose"], batch["expression"], batch["joints"],
                                 batch.get("global_R"), batch.get("global_t"))
        return PriorOutput(out["tex"], out["verts"], out["exp"], means, quats, out["scales"], out["opacities"],
                           out["sh"], out["reg"], vq_loss, stats)

    def decode_gaussians(self, q_id: Tensor, q_exp: Tensor, amp_dtype: torch.dtype | None = None,
                         tex_detail: Tensor | None = None, feat_detail: Tensor | None = None) -> dict[str, Tensor]:
        """Decoded maps and rest-pose Gaussians from the two codes.

        An inverted avatar's own detail (:mod:`backend.invert.detail`): ``tex_detail`` ``[1 or B, 3, D, D]``
        (texture units, [-1, 1] scale) is added to the decoded texture where the Gaussians take their colour, and
        ``feat_detail`` ``[1 or B, F, D, D]`` to the decoded feature map the regressors read, each sampled at the
        Gaussians' grid on its own, so D may differ from the decoded maps' S (finer detail); the returned maps
        stay the decoders'.

        Returns:
            ``tex``, ``verts``, ``exp`` ``[B, 3, S, S]``; rest-pose (unposed) ``means`` ``[B, N, 3]`` (m),
            ``quats`` ``[B, N, 4]`` (not normalised), ``scales`` ``[B, N, 3]`` (m), ``opacities`` ``[B, N]``,
            ``sh`` ``[B, N, K, 3]``; ``reg`` (the L2 regularisers of the offsets and of SH degree >= 1).
        """
        dev = q_id.device
        with torch.autocast(dev.type, dtype=amp_dtype or torch.float32, enabled=amp_dtype is not None):
            feat, tex, verts, exp = self.decode(q_id, q_exp)
            per_part = {}
            for name in self.parts:
                grid = getattr(self, f"part_{name}_grid")
                fs = sample_grid(feat, grid)
                if feat_detail is not None:  # sampled on its own: the detail may be finer than the decoded map
                    fs = fs + sample_grid(feat_detail, grid)
                per_part[name] = (self.R_color[name](fs), self.R_gauss[name](fs))
        feat, tex, verts, exp = feat.float(), tex.float(), verts.float(), exp.float()
        d = self.cfg.data
        offset = verts * d.verts_scale_m + exp * d.exp_scale_m  # m, [B, 3, S, S]
        du_map, dv_map = uv_derivatives(offset)
        outs = [self._gaussians(self._part(n), offset, du_map, dv_map, tex, *[t.float() for t in per_part[n]],
                                tex_detail) for n in self.parts]
        cat = {k: torch.cat([o[k] for o in outs], 1) for k in outs[0]}
        reg = {k: (cat[k] ** 2).mean() for k in ("d_pos", "d_scale", "d_opacity")}
        reg["sh_rest"] = (cat["sh"][:, :, 1:] ** 2).mean() if self.n_sh > 1 else offset.new_zeros(())
        return {"tex": tex, "verts": verts, "exp": exp, "means": cat["means"], "quats": cat["quats"],
                "scales": cat["scales"], "opacities": cat["opacities"], "sh": cat["sh"], "reg": reg}

    def pose(self, means: Float[Tensor, "B N 3"], quats: Float[Tensor, "B N 4"], pose: Float[Tensor, "B J 3"],
             expression: Float[Tensor, "B E"], joints: Float[Tensor, "B J 3"], global_R: Tensor | None = None,
             global_t: Tensor | None = None) -> tuple[Float[Tensor, "B N 3"], Float[Tensor, "B N 4"]]:
        """LBS (neck, head, jaw, eyes) of rest-pose Gaussians, then the optional rigid ``global_R`` ``[B, 3, 3]``,
        ``global_t`` ``[B, 3]`` (m); returns world means and unit quaternions."""
        weights = torch.cat([self._part(n).weights for n in self.parts])
        posedirs = torch.cat([self._part(n).posedirs for n in self.parts])
        rot = self.lbs.rotations(pose, expression)
        means, r = self.lbs.pose_points(means, weights, posedirs, rot, joints)
        if global_R is not None:  # optional rigid head pose (inversion, novel poses)
            means = means @ global_R.transpose(1, 2) + global_t[:, None]
            r = global_R[:, None] @ r
        return means, quaternion_multiply(matrix_to_quaternion(r), F.normalize(quats, dim=-1))

    def _gaussians(self, part: PartGrid, offset: Tensor, du_map: Tensor, dv_map: Tensor, tex: Tensor,
                   color: Tensor, gauss: Tensor, tex_detail: Tensor | None = None) -> dict[str, Tensor]:
        """Gaussians of one part from the decoded maps and its two regressor outputs (grids ``[B, C, Hs, Ws]``);
        ``tex_detail`` (any square size) is sampled on its own and added to the decoded texture's samples."""
        m = self.cfg.model
        b = offset.shape[0]
        pos_grid = sample_grid(offset, part.grid)  # [B, 3, Hs, Ws]
        pos = part.template[None] + gather_valid(pos_grid, part.index)
        with torch.no_grad():
            t = part.template_du[None] + gather_valid(sample_grid(du_map, part.grid), part.index)
            bt = part.template_dv[None] + gather_valid(sample_grid(dv_map, part.grid), part.index)
            q0 = matrix_to_quaternion(tangent_frame(t, bt))
            dense = torch.zeros(b, 3, part.valid.numel(), device=pos.device, dtype=pos.dtype)
            dense[:, :, part.index] = pos.detach().transpose(1, 2)
            nn_dist = neighbour_distance(dense.reshape(b, 3, *part.valid.shape), part.valid)
            nn_dist = nn_dist.flatten(1)[:, part.index]  # [B, N]
        g = gather_valid(gauss, part.index)
        d_pos, d_rot, d_scale, d_opacity = g.split([3, 4, 3, 1], dim=-1)
        base = m.scale_factor * nn_dist[..., None] * torch.tensor([1.0, 1.0, m.normal_scale_ratio], device=pos.device)
        tex_grid = sample_grid(tex, part.grid)
        if self.texture_colour_weight != 1.0:
            tex_grid = self.texture_colour_weight * tex_grid  # 0: R_color's DC is the whole colour
        if tex_detail is not None:
            tex_grid = tex_grid + sample_grid(tex_detail, part.grid)
        rgb = gather_valid(tex_grid, part.index) * 0.5 + 0.5
        sh = gather_valid(color, part.index).reshape(b, -1, self.n_sh, 3)
        sh = torch.cat([rgb_to_sh_dc(rgb)[:, :, None] + sh[:, :, :1], sh[:, :, 1:]], 2)
        logit0 = math.log(m.init_opacity / (1 - m.init_opacity))
        step = m.hair_offset_scale_m if part.name == "hair" else m.offset_scale_m
        return {
            "means": pos + step * d_pos, "quats": q0 + d_rot,
            "scales": base * torch.exp(d_scale.clamp(-6.0, 4.0)),
            "opacities": torch.sigmoid(logit0 + d_opacity[..., 0]), "sh": sh,
            "d_pos": d_pos, "d_scale": d_scale, "d_opacity": d_opacity,
        }  # fmt: skip


def render(out: PriorOutput, K: Tensor, w2c: Tensor, background: Tensor, width: int, height: int) -> Tensor:
    """Render every sample of a batch into its cameras: ``[B, C, 3, H, W]`` (float32)."""
    images = []
    for b in range(out.means.shape[0]):
        cams = Cameras(K[b].float(), w2c[b].float(), width, height)
        images.append(rasterize(out.gaussians(b), cams, background=background[b].float()).rgb.permute(0, 3, 1, 2))
    return torch.stack(images)
