"""An avatar from an identity code alone (a sampled person): the prior decodes the code, the identity inputs are
read back from the decoded maps.

An :class:`~backend.avatar.model.Avatar` keeps, besides its code ``q_id``, the person's identity inputs (texture,
vertex-offset map, masks, shape coefficients, rest joints): inversion re-encodes them and driving needs the joints.
A sampled person has only the code, so:

- ``x_tex`` / ``x_verts`` are ``D_id(q_id)``: what the prior itself says this person looks like;
- ``shape`` is the least-squares fit (ridge 1e-3) of the head model's shape basis to the decoded vertex offsets on
  the face (hair lifted off the scalp is not shape), which places the joints (jaw, eyes) for driving;
- ``masks`` are the atlas and the scalp as the hair part (the encoder's usual input for a short-haired person).
"""

from __future__ import annotations

import numpy as np
import torch
from jaxtyping import Int
from torch import Tensor

from backend.prior.inputs import UVInputs

from .model import Avatar, AvatarConfig


def fit_shape(inputs: UVInputs, offsets_m: Tensor, weight: Tensor, ridge: float = 1e-3) -> np.ndarray:
    """Shape coefficients ``[S]`` whose rasterised offsets best match ``offsets_m`` ``[3, R, R]`` (m) where
    ``weight`` ``[1, R, R]`` is 1 (ridge-regularised least squares; the model's coefficients are unit-variance)."""
    model = inputs.model
    basis = torch.as_tensor(model.shape_basis, dtype=torch.float32).permute(2, 0, 1)  # [S, V, 3]
    maps = inputs.rast(basis)  # [S, 3, R, R] (m per unit)
    keep = (weight[0] > 0.5).flatten()
    a = maps.flatten(2)[:, :, keep].reshape(len(maps), -1).T.double()  # [3 * texels, S]
    b = offsets_m.flatten(1)[:, keep].reshape(-1).double()
    scale = float(a.pow(2).sum(0).mean())  # ridge relative to the basis' energy on these texels
    lhs = a.T @ a + ridge * scale * torch.eye(a.shape[1], dtype=torch.float64)
    return torch.linalg.solve(lhs, a.T @ b).numpy()


@torch.no_grad()
def avatar_from_indices(prior, indices: Int[Tensor, "h w"], head_model, name: str = "sampled") -> Avatar:
    """The avatar of the person whose identity code has codebook ``indices`` (the prior is copied, eval mode)."""
    import copy

    prior = copy.deepcopy(prior).eval()
    dev = next(prior.parameters()).device
    inputs = UVInputs(head_model, prior.cfg.data)
    q_id = prior.code_from_indices(indices[None].to(dev))
    ident = prior.D_id(q_id)
    tex, verts = ident[:, :3].clamp(-1, 1), ident[:, 3:]
    valid, scalp = inputs.valid.to(dev), inputs.scalp.to(dev)
    face = valid * (1 - scalp)
    shape = fit_shape(inputs, verts[0].cpu() * prior.cfg.data.verts_scale_m, face.cpu())
    identity = {"x_tex": tex * valid, "tex_mask": valid[None], "x_verts": verts * valid,
                "masks": torch.cat([valid, face, scalp * valid])[None],
                "shape": torch.as_tensor(shape, dtype=torch.float32),
                "exp_maps": inputs.exp_maps,
                "joint_base": torch.as_tensor(inputs.joint_base(shape), dtype=torch.float32),
                "joint_expr": torch.as_tensor(inputs.joint_expr, dtype=torch.float32), "q_id": q_id}  # fmt: skip
    cfg = AvatarConfig(prior.cfg.data.map_size, list(head_model.joint_names), name)
    return Avatar(prior, {k: v.to(dev) for k, v in identity.items()}, cfg, head_model).eval()
