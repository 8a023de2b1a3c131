"""Input views of an inversion as torch tensors at the render size (targets composited over a flat background)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from jaxtyping import Float
from torch import Tensor

from backend.prior.data import premultiplied_resize
from synthetic.errors import UserInputError


@dataclass
class Targets:
    """``V`` views: images ``[V, 3, H, W]`` in [0, 1] over ``background``, alpha ``[V, 1, H, W]``, cameras scaled
    to ``H x W`` (``K`` ``[V, 3, 3]`` px, ``w2c`` ``[V, 4, 4]`` OpenCV, m), ``expression`` ``[V, E]``,
    ``pose`` ``[V, J, 3]`` (rad), the view names, ``trust`` ``[V, 1, H, W]`` in [0, 1] (how far the loss
    trusts each pixel, ``PreparedView.trust``; None = everywhere) and ``fill`` ``[V, 3, H, W]`` (what the loss
    sees where it does not trust the image: the untuned prior's render, set by the inversion; None = the render
    being fitted itself, i.e. no constraint)."""

    images: Float[Tensor, "V 3 H W"]
    alpha: Float[Tensor, "V 1 H W"]
    K: Float[Tensor, "V 3 3"]
    w2c: Float[Tensor, "V 4 4"]
    expression: Float[Tensor, "V E"]
    pose: Float[Tensor, "V J 3"]
    names: list[str]
    background: float
    trust: Float[Tensor, "V 1 H W"] | None = None
    fill: Float[Tensor, "V 3 H W"] | None = None

    def __len__(self) -> int:
        return len(self.names)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in px."""
        return int(self.images.shape[-1]), int(self.images.shape[-2])

    def subset(self, index) -> Targets:
        idx = torch.as_tensor(index, dtype=torch.long)
        trust, fill = (None if x is None else x[idx] for x in (self.trust, self.fill))
        return Targets(self.images[idx], self.alpha[idx], self.K[idx], self.w2c[idx], self.expression[idx],
                       self.pose[idx], [self.names[i] for i in idx.tolist()], self.background, trust, fill)

    def to(self, device) -> Targets:
        t = [getattr(self, k).to(device) for k in ("images", "alpha", "K", "w2c", "expression", "pose")]
        trust, fill = (None if x is None else x.to(device) for x in (self.trust, self.fill))
        return Targets(*t, self.names, self.background, trust, fill)

    @property
    def trusted_alpha(self) -> Float[Tensor, "V 1 H W"]:
        """The foreground the photos vouch for: ``alpha`` times ``trust``."""
        return self.alpha if self.trust is None else self.alpha * self.trust

    def loss_targets(self, pred: Float[Tensor, "V 3 H W"]) -> Float[Tensor, "V 3 H W"]:
        """What a photometric loss compares ``pred`` with: the images where trusted; where not, ``fill`` (the
        untuned prior's guess) or, without it, ``pred`` itself (detached: no gradient, no error)."""
        if self.trust is None:
            return self.images
        other = pred.detach() if self.fill is None else self.fill
        return self.images * self.trust + other * (1.0 - self.trust)


def targets_from_views(views, width: int, height: int, background: float = 1.0) -> Targets:
    """Resize ``PreparedView`` s (straight-alpha RGBA ``[h, w, 4]``) to ``width x height`` and stack them.

    The intrinsics are scaled per axis by the resize factors. Raises ``UserInputError`` for a view whose
    image is not ``[h, w, 4]``.
    """
    images, alphas, Ks, trusts = [], [], [], []
    for v in views:
        img = np.asarray(v.image, dtype=np.float32)
        if img.ndim != 3 or img.shape[2] != 4:
            raise UserInputError(f"{v.name}: image must be [H, W, 4] RGBA, got {img.shape}")
        rgb, alpha = premultiplied_resize(torch.as_tensor(img).permute(2, 0, 1), height, width)
        images.append(rgb + (1 - alpha) * background)
        alphas.append(alpha)
        trust = np.ones(img.shape[:2], np.float32) if v.trust is None else np.asarray(v.trust, np.float32)
        if trust.shape != img.shape[:2]:
            raise UserInputError(f"{v.name}: trust must be [H, W] like its image, got {trust.shape}")
        trusts.append(torch.nn.functional.interpolate(torch.as_tensor(trust)[None, None], size=(height, width),
                                                      mode="area")[0])
        K = torch.as_tensor(np.asarray(v.K), dtype=torch.float32).clone()
        K[0] *= width / img.shape[1]
        K[1] *= height / img.shape[0]
        Ks.append(K)
    f32 = lambda a: torch.as_tensor(np.stack(a), dtype=torch.float32)  # noqa: E731
    trust = torch.stack(trusts) if any(v.trust is not None for v in views) else None
    return Targets(torch.stack(images), torch.stack(alphas), torch.stack(Ks), f32([v.w2c for v in views]),
                   f32([v.expression for v in views]), f32([v.pose for v in views]), [v.name for v in views],
                   float(background), trust)
