"""A person's avatar: a (fine-tuned) SynShot prior plus that person's fixed identity inputs and code.

::

    Avatar = SynShotPrior weights (decoders/regressors fine-tuned by inversion stage 2)
           + identity inputs x_tex, x_verts, masks (UV maps, [1, 3, S, S]), shape [S_id]
           + tex_detail [1, 3, D, D], feat_detail [1, F, D, D]: the person's own colour and regressor-feature detail
             over the decoded maps (inversion stage 2, backend.invert.detail; zeros otherwise; D = S unless
             inversion chose finer maps)
           + joint regressors (rest joints = joint_base + joint_expr @ e), expression maps (x_exp = e @ exp_maps)
           + q_id [1, n_id, h, w]: the quantised (and transformed) identity code, frozen after inversion stage 1

Driving it needs only head-model expression coefficients ``e`` ``[B, E]`` and optionally joint poses
``[B, J, 3]`` (axis-angle, rad, joints :attr:`Avatar.joint_names`) and a rigid head transform. Units are
metres, the frame is the head model's (Z up, a neutral head looks along -Y); cameras are OpenCV.

Example::

    avatar = Avatar.from_prior(prior, prepared)            # untuned: encodes the identity inputs
    g = avatar.canonical(torch.zeros(1, avatar.n_expression))
    g["means"].shape                                         # [1, avatar.n_gaussians, 3]
    images = avatar.render(e, None, K, w2c, 96, 64)          # [B, C, 3, 64, 96]
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from jaxtyping import Float
from torch import Tensor, nn

from backend.prior.inputs import UVInputs
from backend.prior.model import SynShotPrior
from backend.splat import Cameras, GaussianSet, rasterize
from synthetic.errors import UserInputError

IDENTITY_KEYS = ("x_tex", "tex_mask", "x_verts", "masks", "shape", "joint_base", "joint_expr", "exp_maps", "q_id",
                 "tex_detail", "feat_detail")
"""Buffers of an avatar that belong to the person (saved with it). Older avatar files lack the two detail maps;
:class:`Avatar` gives them zeros (no detail of the person's own)."""


@dataclass
class AvatarConfig:
    """What an avatar file records besides weights and identity tensors."""

    grid_map_size: int = 64
    """UV resolution the per-part Gaussian grids were built at (the prior's ``data.map_size`` unless resampled)."""
    joint_names: list[str] = field(default_factory=list)
    """Head-model joints, the order of the ``pose`` rows."""
    name: str = "avatar"
    """Free-form name (input folder or photo names)."""


class Avatar(nn.Module):
    """A drivable Gaussian head avatar (see the module docstring).

    Args:
        prior: the SynShot prior; the avatar owns it (pass a copy if the caller keeps using it).
        identity: tensors named by :data:`IDENTITY_KEYS` (batch dimension 1 for the maps and q_id).
        cfg: the avatar settings.
        head_model: the ``HeadModel`` the prior was built with (needed to rebuild grids in :meth:`resampled`).
    """

    def __init__(self, prior: SynShotPrior, identity: dict[str, Tensor], cfg: AvatarConfig, head_model) -> None:
        super().__init__()
        identity = dict(identity)
        if "x_tex" in identity:
            identity.setdefault("tex_detail", torch.zeros_like(identity["x_tex"]))
            size = identity["x_tex"].shape[-2:]
            identity.setdefault("feat_detail", identity["x_tex"].new_zeros(1, prior.cfg.model.feat_channels, *size))
        missing = [k for k in IDENTITY_KEYS if k not in identity]
        if missing:
            raise UserInputError(f"avatar: identity inputs lack {missing}")
        self.prior, self.cfg, self.head_model = prior, cfg, head_model
        for key in IDENTITY_KEYS:
            self.register_buffer(key, identity[key].float().to(next(prior.parameters()).device))

    # ------------------------------------------------------------------ construction
    @staticmethod
    @torch.no_grad()
    def from_prior(prior: SynShotPrior, prepared, head_model=None, name: str = "avatar") -> Avatar:
        """The untuned avatar of a person: identity inputs from ``prepared`` encoded by the prior.

        Args:
            prior: the trained prior (copied; the caller's module is left untouched).
            prepared: a ``backend.photos.PreparedPhotos`` (shape, proxy offsets, back-projected texture).
            head_model: the prior's ``HeadModel`` (default: this checkout's).
            name: recorded in the avatar's config.
        """
        from synthetic.head import HeadModel

        head_model = head_model or HeadModel.load()
        inputs = UVInputs(head_model, prior.cfg.data)
        shape = np.asarray(prepared.shape, dtype=np.float64)
        if shape.shape != (head_model.n_shape,):
            raise UserInputError(f"prepared photos: shape has {shape.shape} coefficients, the head model "
                                 f"{head_model.n_shape}")
        ident = inputs.identity(shape, prepared.proxy_offsets_m, prepared.texture, prepared.texture_mask)
        identity = {k: ident[k][None] for k in ("x_tex", "tex_mask", "x_verts", "masks")}
        identity.update(shape=ident["shape"].float(), exp_maps=inputs.exp_maps,
                        joint_base=torch.as_tensor(inputs.joint_base(shape), dtype=torch.float32),
                        joint_expr=torch.as_tensor(inputs.joint_expr, dtype=torch.float32))
        prior = copy.deepcopy(prior).eval()
        dev = next(prior.parameters()).device
        identity = {k: v.to(dev) for k, v in identity.items()}
        identity["q_id"] = prior.encode_identity(identity["x_tex"], identity["x_verts"], identity["masks"])[0]
        cfg = AvatarConfig(prior.cfg.data.map_size, list(head_model.joint_names), name)
        return Avatar(prior, identity, cfg, head_model).eval()

    def encode_identity(self) -> Float[Tensor, "1 n h w"]:
        """The identity code from the (possibly being tuned) E_id: inversion stage 1 differentiates this."""
        return self.prior.encode_identity(self.x_tex, self.x_verts, self.masks)[0]

    @torch.no_grad()
    def reset_detail(self, size: int) -> None:
        """Zero detail maps (``tex_detail``, ``feat_detail``) of ``size x size`` texels in place of the current
        ones; the Gaussians sample them at their grids whatever their size (:meth:`SynShotPrior.decode_gaussians`)."""
        dev, f = self.tex_detail.device, self.feat_detail.shape[1]
        self.tex_detail = torch.zeros(1, 3, size, size, device=dev)
        self.feat_detail = torch.zeros(1, f, size, size, device=dev)

    @torch.no_grad()
    def freeze_identity(self) -> None:
        """Store the current E_id's code as the avatar's fixed ``q_id`` (end of inversion stage 1)."""
        self.q_id.copy_(self.encode_identity())

    def resampled(self, map_size: int) -> Avatar:
        """A copy with the same weights whose per-part Gaussian grids are rebuilt at ``map_size`` texels.

        SynShot's per-part densification: the decoded maps are sampled bilinearly at the new grid's UV points,
        so ``n_gaussians`` scales with ``map_size ** 2`` (see ``SynShotPrior.rebuild_parts``).
        """
        if not 8 <= int(map_size) <= 4096:
            raise UserInputError(f"avatar: resample map size must be in 8..4096, got {map_size}")
        out = copy.deepcopy(self)
        out.prior.rebuild_parts(self.head_model, int(map_size))
        out.cfg.grid_map_size = int(map_size)
        return out

    def __deepcopy__(self, memo):
        head, self.head_model = self.head_model, None  # the head model is shared, not copied
        try:
            dup = nn.Module.__new__(type(self))
            dup.__dict__ = copy.deepcopy(self.__dict__, memo)
        finally:
            self.head_model = head
        dup.head_model = head
        return dup

    # ------------------------------------------------------------------ properties
    @property
    def n_expression(self) -> int:
        return int(self.exp_maps.shape[0])

    @property
    def n_gaussians(self) -> int:
        return self.prior.n_gaussians

    @property
    def joint_names(self) -> list[str]:
        return list(self.cfg.joint_names)

    @property
    def device(self) -> torch.device:
        return self.x_tex.device

    def config_dict(self) -> dict:
        return asdict(self.cfg)

    # ------------------------------------------------------------------ Gaussians
    def rest(self, expression: Float[Tensor, "B E"], q_id: Tensor | None = None) -> dict[str, Tensor]:
        """Decoded maps and rest-pose Gaussians (``SynShotPrior.decode_gaussians``) for ``B`` expressions.

        Args:
            expression: head-model expression coefficients.
            q_id: identity code ``[1, n, h, w]`` to use instead of the frozen one (inversion stage 1).
        """
        expression = self._check_expression(expression)
        b = expression.shape[0]
        x_exp = torch.einsum("be,ecij->bcij", expression, self.exp_maps)
        q_exp = self.prior.encode_expression(x_exp, self.masks[:, :1].expand(b, -1, -1, -1))[0]
        q = self.q_id if q_id is None else q_id
        return self.prior.decode_gaussians(q.expand(b, -1, -1, -1), q_exp, tex_detail=self.tex_detail,
                                           feat_detail=self.feat_detail)

    def joints(self, expression: Float[Tensor, "B E"]) -> Float[Tensor, "B J 3"]:
        """Rest joints with the expression applied (m)."""
        return self.joint_base[None] + torch.einsum("jce,be->bjc", self.joint_expr, expression)

    def posed(self, expression: Float[Tensor, "B E"], pose: Float[Tensor, "B J 3"] | None = None,
              global_R: Float[Tensor, "B 3 3"] | None = None, global_t: Float[Tensor, "B 3"] | None = None,
              q_id: Tensor | None = None) -> dict[str, Tensor]:
        """World-space Gaussians: LBS with ``pose`` (zero when None), then the optional rigid transform.

        Returns:
            ``means`` ``[B, N, 3]`` (m), ``quats`` ``[B, N, 4]`` (w-x-y-z, unit), ``scales`` ``[B, N, 3]`` (m),
            ``opacities`` ``[B, N]`` in (0, 1), ``sh`` ``[B, N, K, 3]``, and ``reg`` (regulariser terms).
        """
        expression = self._check_expression(expression)
        b = expression.shape[0]
        if pose is None:
            pose = expression.new_zeros(b, len(self.cfg.joint_names), 3)
        elif pose.shape != (b, len(self.cfg.joint_names), 3):
            raise UserInputError(f"avatar: pose must be [{b}, {len(self.cfg.joint_names)}, 3], got {list(pose.shape)}")
        if (global_R is None) != (global_t is None):
            raise UserInputError("avatar: give both global_R and global_t, or neither")
        if global_R is not None:
            global_R, global_t = global_R.to(self.device, torch.float32), global_t.to(self.device, torch.float32)
        out = self.rest(expression, q_id)
        pose = pose.to(self.device, torch.float32)
        means, quats = self.prior.pose(out["means"], out["quats"], pose, expression, self.joints(expression),
                                       global_R, global_t)
        return {"means": means, "quats": quats, "scales": out["scales"], "opacities": out["opacities"],
                "sh": out["sh"], "reg": out["reg"]}

    def canonical(self, expression: Float[Tensor, "B E"]) -> dict[str, Tensor]:
        """Head-canonical Gaussians: neck/head/eye rotations zero, the jaw as the expression drives it, no
        global transform (= :meth:`posed` with a zero pose). Same keys as :meth:`posed`."""
        return self.posed(expression, None)

    def render(self, expression: Float[Tensor, "B E"], pose: Float[Tensor, "B J 3"] | None,
               K: Float[Tensor, "B C 3 3"], w2c: Float[Tensor, "B C 4 4"], width: int, height: int,
               background: Tensor | None = None, global_R: Tensor | None = None, global_t: Tensor | None = None,
               q_id: Tensor | None = None) -> Float[Tensor, "B C 3 H W"]:
        """Render ``B`` expressions/poses, each into its ``C`` cameras (``K``/``w2c`` ``[C, ...]`` are shared).

        Args:
            background: ``[3]`` or ``[B, C, 3]`` colour in [0, 1]; default white.
        """
        g = self.posed(expression, pose, global_R, global_t, q_id)
        return render_gaussians(g, K, w2c, width, height, background)

    def _check_expression(self, expression: Tensor) -> Tensor:
        if expression.ndim != 2 or expression.shape[1] != self.n_expression:
            raise UserInputError(f"avatar: expression must be [B, {self.n_expression}], got {list(expression.shape)}")
        return expression.to(self.device, torch.float32)


def render_gaussians(g: dict[str, Tensor], K: Tensor, w2c: Tensor, width: int, height: int,
                     background: Tensor | None = None) -> Float[Tensor, "B C 3 H W"]:
    """Render batched Gaussians (``means`` ``[B, N, 3]`` ...) into per-sample or shared cameras."""
    b = g["means"].shape[0]
    K = K.to(g["means"]) if K.ndim == 4 else K.to(g["means"])[None].expand(b, -1, -1, -1)
    w2c = w2c.to(g["means"]) if w2c.ndim == 4 else w2c.to(g["means"])[None].expand(b, -1, -1, -1)
    c = K.shape[1]
    bg = torch.ones(3) if background is None else torch.as_tensor(background, dtype=torch.float32)
    bg = bg.to(g["means"]).expand(b, c, 3) if bg.ndim == 1 else bg.to(g["means"])
    images = []
    for i in range(b):
        gs = GaussianSet(g["means"][i], g["quats"][i], g["scales"][i], g["opacities"][i], g["sh"][i])
        images.append(rasterize(gs, Cameras(K[i], w2c[i], width, height), background=bg[i]).rgb.permute(0, 3, 1, 2))
    return torch.stack(images)
