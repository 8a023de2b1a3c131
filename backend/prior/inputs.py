"""The prior's UV-space inputs of one person, built from head-model parameters and a back-projected texture.

One place computes what both the training dataset (:class:`backend.prior.data.PriorDataset`) and an
inverted avatar (:class:`backend.avatar.Avatar`) feed the encoders (``S`` = ``map_size``):

- ``x_tex`` ``[3, S, S]``: the back-projected texture, area-resampled, scaled to [-1, 1] (row 0 = top = v 1).
- ``tex_mask`` ``[1, S, S]``: texels that are on the atlas and that a view saw.
- ``x_verts`` ``[3, S, S]``: neutral identity offset from the template, hair/beard proxy included
  (``shaped(shape, 0) + n * proxy - template``), divided by ``verts_scale_m``.
- ``masks`` ``[3, S, S]``: atlas validity, face part and hair part (scalp, or any proxy offset > 1 mm).
- ``x_exp`` ``[3, S, S]`` = ``expression @ exp_maps``: expression offsets / ``exp_scale_m`` (linear in e).
- rest joints ``[J, 3]`` (m) = ``joint_base(shape) + joint_expr @ expression``.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from jaxtyping import Float
from torch import Tensor

from .config import DataConfig
from .uv_raster import UVRasterizer


class UVInputs:
    """Precomputed UV rasterizer, expression maps and joint regressors of a head model at one map size.

    Args:
        model: the ``synthetic.head.HeadModel``.
        cfg: data settings (``map_size``, ``verts_scale_m``, ``exp_scale_m``).
    """

    def __init__(self, model, cfg: DataConfig) -> None:
        self.model, self.cfg = model, cfg
        self.rast = UVRasterizer.for_head_model(model, cfg.map_size)
        self.valid = self.rast.mask.float()[None]
        self.scalp = torch.as_tensor(model.texel_mask("scalp", cfg.map_size), dtype=torch.float32)[None]
        # expression offsets are linear in the coefficients: rasterise the basis once, [E, 3, S, S]
        basis = torch.as_tensor(model.expression_basis, dtype=torch.float32).permute(2, 0, 1)  # [E, V, 3]
        self.exp_maps: Float[Tensor, "E 3 S S"] = self.rast(basis) / cfg.exp_scale_m
        reg = model.joint_regressor
        self.joint_template = reg @ model.template  # [J, 3]
        self.joint_shape = np.einsum("jv,vcs->jcs", reg, model.shape_basis)  # [J, 3, S]
        self.joint_expr = np.einsum("jv,vce->jce", reg, model.expression_basis)  # [J, 3, E]

    def identity(self, shape: np.ndarray, proxy_offsets_m: np.ndarray, texture: np.ndarray,
                 texture_mask: np.ndarray) -> dict[str, Tensor]:
        """x_tex, tex_mask, x_verts, masks and the shape of one person (see the module docstring).

        Args:
            shape: ``[S]`` identity coefficients.
            proxy_offsets_m: ``[V]`` hair/beard proxy offsets along the vertex normals (m).
            texture: ``[R, R, 3]`` float in [0, 1], row 0 = top.
            texture_mask: ``[R, R]`` (bool or float in [0, 1]): texels a view saw.
        """
        m = self.model
        proxy = np.asarray(proxy_offsets_m, dtype=np.float64)
        neutral = m.shaped(shape)
        surface = neutral + m.normals(vertices=neutral) * proxy[:, None]
        attrs = torch.as_tensor(np.concatenate([surface - m.template, proxy[:, None]], axis=1), dtype=torch.float32)
        maps = self.rast(attrs)
        x_tex, tex_mask = texture_inputs(texture, texture_mask, self.valid)
        hair = torch.maximum(self.scalp, (maps[3:4] > 1e-3).float()) * self.valid
        return {
            "x_tex": x_tex,
            "tex_mask": tex_mask,
            "x_verts": maps[:3] / self.cfg.verts_scale_m,
            "masks": torch.cat([self.valid, self.valid * (1 - hair), hair]),
            "shape": torch.as_tensor(np.asarray(shape)),
        }

    def joint_base(self, shape: np.ndarray) -> np.ndarray:
        """Rest joints of the neutral face of ``shape``: ``[J, 3]`` (m)."""
        return self.joint_template + self.joint_shape @ np.asarray(shape, dtype=np.float64)

    def joints(self, shape: np.ndarray, expression: np.ndarray) -> np.ndarray:
        """Rest joints with the expression applied: ``[J, 3]`` (m)."""
        return self.joint_base(shape) + self.joint_expr @ np.asarray(expression, dtype=np.float64)


def texture_inputs(texture: np.ndarray, texture_mask: np.ndarray, atlas: Float[Tensor, "1 S S"]
                   ) -> tuple[Float[Tensor, "3 S S"], Float[Tensor, "1 S S"]]:
    """A back-projected texture as the prior takes it at the atlas' size S: ``x_tex`` (texture units, [-1, 1], area
    resampled) and ``tex_mask`` (1 on the atlas where more than half the texel was seen).

    Args:
        texture: ``[R, R, 3]`` float in [0, 1], row 0 = top.
        texture_mask: ``[R, R]`` (bool or float in [0, 1]): texels a view saw.
        atlas: ``[1, S, S]`` 0/1, the UV atlas rasterised at S.
    """
    size = atlas.shape[-1]
    seen = resize_texture(np.asarray(texture_mask, dtype=np.float32), size).to(atlas.device)
    return resize_texture(texture, size).to(atlas.device) * 2.0 - 1.0, atlas * (seen > 0.5).float()


def resize_texture(image: np.ndarray, size: int) -> Float[Tensor, "C size size"]:
    """``[R, R, C]`` (or ``[R, R]``) float image -> ``[C, size, size]`` (area resampling)."""
    t = torch.as_tensor(np.asarray(image), dtype=torch.float32)
    t = t[..., None] if t.ndim == 2 else t
    return F.interpolate(t.permute(2, 0, 1)[None], size=(size, size), mode="area")[0]
