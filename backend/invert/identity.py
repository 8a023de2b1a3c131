"""Identity in inversion: SynShot's identity loss and the CSIM of every inversion report, with dlib's network.

Each input view's face is found once, at the view's own resolution (its photo landmarks, else mediapipe on
the image); views without a face take no part. The chip transform found there is reused for the avatar's
render of that view, so input and render are compared on exactly the same face region:

- :class:`IdentityLoss`: ``1 - cos(d(render chip), d(input chip))`` averaged over the views of a step that
  have a face; the render is at the optimisation size, the input's descriptor at full resolution.
- :func:`csim_views`: the avatar rendered at each input's full resolution from its camera; CSIM (cosine) and
  dlib's descriptor distance (same person under 0.6) per view and their means.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from backend.identity import IdentityModel, chip_transform, cosine, face_transforms, five_points, scaled


@dataclass
class ViewFaces:
    """Per input view (by name): the chip transform ``[2, 3]`` in the view image's pixels, the image size
    ``(w, h)`` and the descriptor ``[128]`` of the input; views without a face are absent."""

    transforms: dict[str, np.ndarray]
    sizes: dict[str, tuple[int, int]]
    descriptors: dict[str, Tensor]
    n_views: int


def _composite(image: np.ndarray, background: float) -> np.ndarray:
    """float RGBA ``[H, W, 4]`` (straight alpha) -> RGB float over a grey ``background``."""
    rgb, a = image[..., :3], image[..., 3:4]
    return rgb * a + background * (1 - a)


@torch.no_grad()
def view_faces(model: IdentityModel, views, background: float = 1.0) -> ViewFaces:
    """Find each ``PreparedView``'s face and describe it (see the module docstring)."""
    transforms, sizes, descriptors = {}, {}, {}
    for v in views:
        rgb = _composite(np.asarray(v.image, np.float32), background)
        if v.landmarks is not None and len(v.landmarks) >= 478:
            t = chip_transform(five_points(v.landmarks))
        else:
            t = face_transforms([(np.clip(rgb, 0, 1) * 255 + 0.5).astype(np.uint8)], v.name)[0]
        if t is None:
            continue
        img = torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1)[None]
        transforms[v.name], sizes[v.name] = t, (rgb.shape[1], rgb.shape[0])
        descriptors[v.name] = model.embed(img, torch.as_tensor(t)[None])[0]
    return ViewFaces(transforms, sizes, descriptors, len(list(views)))


class IdentityLoss:
    """``loss(pred [V, 3, H, W], names) -> scalar`` (0 when none of the views has a face); ``every`` > 1
    evaluates it on one call in ``every`` (the network costs ~0.3 s per view on a CPU core)."""

    def __init__(self, model: IdentityModel, faces: ViewFaces, size: tuple[int, int], every: int = 1) -> None:
        self.model, self.faces, self.size, self.every = model, faces, size, max(1, int(every))
        self.calls = 0
        self.last = float("nan")

    def __call__(self, pred: Tensor, names: list[str]) -> Tensor:
        self.calls += 1
        rows = [i for i, n in enumerate(names) if n in self.faces.transforms]
        if not rows or (self.calls - 1) % self.every:
            return pred.new_zeros(())
        t = torch.as_tensor(np.stack([scaled(self.faces.transforms[names[i]], self.faces.sizes[names[i]], self.size)
                                      for i in rows]), dtype=pred.dtype)  # fmt: skip
        target = torch.stack([self.faces.descriptors[names[i]] for i in rows]).to(pred.device)
        value = (1 - cosine(self.model.embed(pred[rows], t), target)).mean()
        self.last = float(value.detach())
        return value.to(pred.device)


@torch.no_grad()
def csim_views(model: IdentityModel, avatar, views, faces: ViewFaces, background: float = 1.0) -> dict:
    """CSIM and descriptor distance of the avatar's renders against the input views with a face.

    Returns:
        ``{"csim": mean, "distance": mean, "faces": n, "views": V, "per_view": {name: {"csim", "distance"}}}``
        (means are None when no view has a face).
    """
    from backend.avatar import render_gaussians

    per_view = {}
    for v in views:
        if v.name not in faces.transforms:
            continue
        w, h = faces.sizes[v.name]
        f32 = dict(dtype=torch.float32, device=avatar.device)
        g = avatar.posed(torch.as_tensor(np.asarray(v.expression), **f32)[None],
                         torch.as_tensor(np.asarray(v.pose), **f32)[None])  # fmt: skip
        bg = torch.full((3,), float(background), **f32)
        img = render_gaussians(g, torch.as_tensor(np.asarray(v.K), **f32)[None, None],
                               torch.as_tensor(np.asarray(v.w2c), **f32)[None, None], w, h, bg)[:, 0].clamp(0, 1)
        d = model.embed(img, torch.as_tensor(faces.transforms[v.name])[None])
        ref = faces.descriptors[v.name][None].to(d.device)
        per_view[v.name] = {"csim": float(cosine(d, ref)), "distance": float((d - ref).norm())}
    mean = lambda k: float(np.mean([p[k] for p in per_view.values()])) if per_view else None  # noqa: E731
    return {"csim": mean("csim"), "distance": mean("distance"), "faces": len(per_view), "views": faces.n_views,
            "per_view": per_view}
