"""Training samples of the prior: UV-space inputs, target views and what LBS needs, per (identity, frame).

One sample (all torch, float32; ``S`` = ``map_size``, ``C`` = cameras, ``H x W`` = render size):

- ``x_tex`` ``[3, S, S]``: the back-projected texture, area-resampled, scaled to [-1, 1].
- ``tex_mask`` ``[1, S, S]``: texels that are on the atlas and that a view saw (back-projection mask).
- ``x_verts`` ``[3, S, S]``: neutral identity offset from the template, hair/beard proxy included
  (``shaped(shape, 0) + n * proxy - template``), divided by ``verts_scale_m``.
- ``x_exp`` ``[3, S, S]``: expression offset ``shaped(shape, e) - shaped(shape, 0)`` / ``exp_scale_m``.
- ``masks`` ``[3, S, S]``: atlas validity, face part and hair part (scalp, or any proxy offset > 1 mm).
- ``expression`` ``[E]``, ``pose`` ``[J, 3]`` (rad) and ``joints`` ``[J, 3]`` (m, rest, with expression).
- ``images`` ``[C, 3, H, W]``: views alpha-composited over ``background`` ``[C, 3]``; ``alpha`` ``[C, 1, H, W]``.
- ``K`` ``[C, 3, 3]`` (scaled to the render size), ``w2c`` ``[C, 4, 4]`` (OpenCV, m).

Which items a training step sees, and its random cameras and backgrounds, are pure functions of
(seed, global sample number), so a resumed run sees exactly what an uninterrupted one would.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset, Sampler

from synthetic.dataset import Dataset as DiskDataset
from synthetic.errors import UserInputError

from .config import DataConfig
from .inputs import UVInputs

SPLITS = ("train", "held-out", "all")


def parse_identity_list(items, where: str = "data.held_out_identities") -> list[int]:
    """Sorted unique identity indices from ints, digit strings and ``"a-b"`` ranges (both ends included)."""
    out: set[int] = set()
    for item in items:
        text = str(item).strip()
        lo, _, hi = text.partition("-")
        try:
            a, b = int(lo), int(hi or lo)
        except ValueError:
            raise UserInputError(f"{where}: {text!r} is neither an identity index nor a range a-b") from None
        if a < 0 or b < a:
            raise UserInputError(f"{where}: {text!r} is not a range of identity indices (0 <= a <= b)")
        out.update(range(a, b + 1))
    return sorted(out)


def split_identities(identities: list[int], held_out_fraction: float,
                     held_out: list | None = None) -> tuple[list[int], list[int]]:
    """Deterministic split (train, held out). ``held_out`` (indices or ``"a-b"`` ranges, see
    :func:`parse_identity_list`) names the held-out identities; without it the last ``held_out_fraction`` of the
    sorted identities (>= 1 when there are >= 2) is held out."""
    ids = sorted(identities)
    if held_out:
        named = set(parse_identity_list(held_out))
        return [i for i in ids if i not in named], [i for i in ids if i in named]
    n_out = int(round(len(ids) * held_out_fraction))
    if len(ids) >= 2 and held_out_fraction > 0:
        n_out = max(1, n_out)
    n_out = min(n_out, len(ids) - 1) if len(ids) > 1 else 0
    return ids[: len(ids) - n_out], ids[len(ids) - n_out :]


class PriorDataset(Dataset):
    """(identity, frame) samples of one split of a dataset on disk.

    Args:
        root: dataset root (``python -m synthetic render`` output).
        cfg: data settings.
        split: ``train``, ``held-out`` or ``all``.
        model: the ``HeadModel`` the dataset was rendered with.
        seed: seed of the per-sample random choices.
        train: random cameras and backgrounds (True) or fixed ones.
        identities: the split's identity indices, when known (a checkpoint records its training split);
            default: :func:`split_identities` over the complete identities.
    """

    def __init__(self, root: str | Path, cfg: DataConfig, split: str, model, seed: int = 0, train: bool = True,
                 identities: list[int] | None = None):
        if split not in SPLITS:
            raise UserInputError(f"--identities must be one of {', '.join(SPLITS)}, not {split!r}")
        self.disk = DiskDataset(root)
        if not model.matches(self.disk.head_model_fingerprint):
            raise UserInputError(model.mismatch(self.disk.head_model_fingerprint, str(root)))
        train_ids, held = split_identities(self.disk.identities, cfg.held_out_fraction, cfg.held_out_identities)
        self.identities = {"train": train_ids, "held-out": held, "all": sorted(train_ids + held)}[split]
        if identities is not None:
            missing = sorted(set(identities) - set(self.disk.identities))
            if missing:
                raise UserInputError(f"{root}: identities {missing} of the {split} split are not complete here")
            self.identities = sorted(identities)
        else:
            missing = sorted(set(parse_identity_list(cfg.held_out_identities)) - set(self.disk.identities))
            if missing:
                raise UserInputError(f"{root}: data.held_out_identities {missing} are not complete identities here")
        if not self.identities:
            raise UserInputError(f"{root}: no complete identities in split {split!r} "
                                 f"({len(self.disk.identities)} complete in total)")
        self.cfg, self.model, self.seed, self.train = cfg, model, int(seed), bool(train)
        self.items = [(i, f) for i in self.identities for f in range(self.disk.identity(i).n_frames)]
        self.inputs = UVInputs(model, cfg)
        self._identities: dict[int, object] = {}

    def __len__(self) -> int:
        return len(self.items)

    # ------------------------------------------------------------------ per identity (cached)
    def _identity(self, index: int):
        if index not in self._identities:
            self._identities[index] = self.disk.identity(index)
        return self._identities[index]

    @lru_cache(maxsize=64)  # noqa: B019 - one dataset object per run; the cache dies with it
    def identity_maps(self, identity: int) -> dict[str, torch.Tensor]:
        """x_tex, tex_mask, x_verts, hair mask and the numpy shape of one identity."""
        ident = self._identity(identity)
        shape = ident.shape
        if shape is None or "proxy_offsets_m" not in ident.params:
            raise UserInputError(f"{ident.path}: identity.json lacks shape or proxy_offsets_m (re-render the dataset)")
        return self.inputs.identity(shape, ident.params["proxy_offsets_m"], ident.texture("backprojected.png"),
                                    ident.texture("backprojected_mask.png"))

    # ------------------------------------------------------------------ samples
    def sample(self, item: int, cameras: list[str] | None = None, number: int = 0,
               random_background: bool | None = None, size: tuple[int, int] | None = None) -> dict:
        """Sample ``item``; ``cameras`` fixes the views (else random ones from ``(seed, number)``).

        Backgrounds are random colours when ``random_background`` (default: training split with
        ``cfg.random_background``), else white. ``size`` (width, height) replaces the render size.
        """
        width, height = size or (self.cfg.render_width, self.cfg.render_height)
        identity, frame_index = self.items[item]
        ident = self._identity(identity)
        rng = np.random.default_rng([self.seed, int(number), 7])
        names = list(ident.cameras.names)
        if cameras is None:
            k = min(self.cfg.cameras_per_sample, len(names))
            cameras = [names[i] for i in rng.choice(len(names), size=k, replace=False)]
        idx = [ident.cameras.index(c) for c in cameras]
        frame = ident.frame(frame_index)
        maps = self.identity_maps(identity)
        expression = torch.as_tensor(frame.expression)
        joints = self.inputs.joints(maps["shape"].numpy(), frame.expression)
        if random_background is None:
            random_background = self.train and self.cfg.random_background
        if random_background:
            background = torch.as_tensor(rng.random((len(cameras), 3)), dtype=torch.float32)
        else:
            background = torch.ones(len(cameras), 3)
        images, alphas = [], []
        for c, bg in zip(cameras, background):
            rgba = torch.as_tensor(ident.image(frame_index, c)).permute(2, 0, 1)
            rgb, alpha = premultiplied_resize(rgba, height, width)
            images.append(rgb + (1 - alpha) * bg[:, None, None])
            alphas.append(alpha)
        sx, sy = width / ident.cameras.width, height / ident.cameras.height
        K = torch.as_tensor(ident.cameras.K[idx], dtype=torch.float32) * torch.tensor([[sx], [sy], [1.0]])
        return {
            "x_tex": maps["x_tex"], "tex_mask": maps["tex_mask"], "x_verts": maps["x_verts"],
            "x_exp": torch.einsum("e,ecij->cij", expression.float(), self.inputs.exp_maps), "masks": maps["masks"],
            "expression": expression.float(), "pose": torch.as_tensor(frame.pose, dtype=torch.float32),
            "joints": torch.as_tensor(joints, dtype=torch.float32),
            "images": torch.stack(images), "alpha": torch.stack(alphas), "background": background,
            "K": K, "w2c": torch.as_tensor(ident.cameras.w2c[idx], dtype=torch.float32),
            "identity": identity, "frame": frame_index, "cameras": list(cameras),
        }  # fmt: skip

    def __getitem__(self, key: tuple[int, int]) -> dict:
        item, number = key
        return self.sample(item, None, number)


def collate(samples: list[dict]) -> dict:
    """Stack the tensors of a list of samples; lists for the rest (identity, frame, camera names)."""
    out = {}
    for k, v in samples[0].items():
        out[k] = torch.stack([s[k] for s in samples]) if isinstance(v, torch.Tensor) else [s[k] for s in samples]
    return out


class StepSampler(Sampler):
    """Yields, for every step from ``start_step``, this rank's list of ``(item, global sample number)``.

    The global batch of step ``t`` is samples ``t * B .. (t + 1) * B - 1`` of an endless stream that visits
    every item once per epoch in an order shuffled by ``(seed, epoch)``; rank ``r`` of ``R`` takes the r-th
    of R equal slices.
    """

    def __init__(self, n_items: int, batch_size: int, steps: int, seed: int, start_step: int = 0,
                 rank: int = 0, world: int = 1):
        if batch_size % world:
            raise UserInputError(f"optim.batch_size {batch_size} must be divisible by the {world} DDP processes")
        self.n, self.batch, self.steps, self.seed = n_items, batch_size, steps, seed
        self.start, self.rank, self.world = start_step, rank, world

    def __len__(self) -> int:
        return max(0, self.steps - self.start)

    def items_of(self, step: int) -> list[tuple[int, int]]:
        per = self.batch // self.world
        numbers = range(step * self.batch + self.rank * per, step * self.batch + (self.rank + 1) * per)
        return [(int(_permutation(self.n, self.seed, g // self.n)[g % self.n]), g) for g in numbers]

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        for step in range(self.start, self.steps):
            yield self.items_of(step)


@lru_cache(maxsize=4)
def _permutation(n: int, seed: int, epoch: int) -> np.ndarray:
    return np.random.default_rng([seed, epoch, 11]).permutation(n)


def premultiplied_resize(rgba: torch.Tensor, height: int, width: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Straight-alpha ``[4, h, w]`` -> premultiplied colour ``[3, H, W]`` and alpha ``[1, H, W]`` (area)."""
    pm = torch.cat([rgba[:3] * rgba[3:], rgba[3:]])
    h, w = pm.shape[1:]
    if (h, w) == (height, width):
        pass
    elif h % height == 0 and w % width == 0:  # integer factor: a box filter by reshaping (fast)
        pm = pm.reshape(4, height, h // height, width, w // width).mean(dim=(2, 4))
    else:
        pm = F.interpolate(pm[None], size=(height, width), mode="area")[0]
    return pm[:3], pm[3:]
