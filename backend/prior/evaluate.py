"""Evaluation and previews: render identities (held out or not) at their frames and views, score them.

Metrics are computed per image against the dataset view composited over white, at the config's render
size: L1, PSNR, SSIM and LPIPS (AlexNet), averaged over every (identity, frame, camera). For held-out
identities every frame is unseen, so this measures novel identities under novel expressions and poses,
from every evaluation camera.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.distributed as dist

from backend.metrics import get_lpips, l1, psnr, ssim

from .data import PriorDataset, collate
from .model import SynShotPrior, render


def to_device(batch: dict, device: torch.device) -> dict:
    return {k: v.to(device, non_blocking=True) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}


def eval_cameras(dataset: PriorDataset, identity: int, wanted: list[str] | None) -> list[str]:
    """The wanted cameras this identity has (all of its cameras when none of them, or ``None``)."""
    names = list(dataset.disk.identity(identity).cameras.names)
    chosen = [c for c in (wanted or []) if c in names]
    return chosen or names


def eval_items(dataset: PriorDataset, frames_per_identity: int | None) -> list[int]:
    """Item indices to evaluate: every frame, or ``frames_per_identity`` evenly spaced ones per identity."""
    by_identity: dict[int, list[int]] = {}
    for i, (ident, _) in enumerate(dataset.items):
        by_identity.setdefault(ident, []).append(i)
    out = []
    for items in by_identity.values():
        if frames_per_identity and len(items) > frames_per_identity:
            items = [items[int(round(j))] for j in np.linspace(0, len(items) - 1, frames_per_identity)]
        out += items
    return out


@torch.no_grad()
def evaluate(model: SynShotPrior, dataset: PriorDataset, device: torch.device, cameras: list[str] | None = None,
             frames_per_identity: int | None = None, keep: int = 2, progress=None, distributed: bool = False) -> dict:
    """Score the model on a dataset split.

    Args:
        model: the prior (its mode is restored afterwards).
        dataset: a split built with ``train=False`` (fixed white backgrounds).
        cameras: camera names (``None`` = every camera).
        frames_per_identity: evenly spaced frames per identity (``None`` = all).
        keep: how many identities to keep renders of (their middle evaluated frame, for a comparison image).
        distributed: inside a DDP process group, every rank scores items ``rank::world`` and the sums are
            all-reduced, so every rank returns the same means (call it on every rank); renders stay on the rank
            that made them.

    Returns:
        ``{"l1", "psnr", "ssim", "lpips", "images", "identities", "frames", "cameras"}`` with the means, the
        number of images, and ``renders``: a list of ``(prediction, target)`` arrays ``[C, H, W, 3]``.
    """
    was_training = model.training
    model.eval()
    lp = get_lpips("alex", device)
    sums = {"l1": 0.0, "psnr": 0.0, "ssim": 0.0, "lpips": 0.0}
    count, renders, used_cams = 0, [], set()
    items = eval_items(dataset, frames_per_identity)
    world = dist.get_world_size() if distributed and dist.is_available() and dist.is_initialized() else 1
    mine = items[dist.get_rank() :: world] if world > 1 else items
    for item in items:
        used_cams.update(eval_cameras(dataset, dataset.items[item][0], cameras))
    by_identity: dict[int, list[int]] = {}
    for i in items:
        by_identity.setdefault(dataset.items[i][0], []).append(i)
    kept = {v[len(v) // 2] for v in list(by_identity.values())[:keep]}
    w, h = dataset.cfg.render_width, dataset.cfg.render_height
    for n, item in enumerate(mine):
        cams = eval_cameras(dataset, dataset.items[item][0], cameras)
        batch = to_device(collate([dataset.sample(item, cams)]), device)
        out = model(batch)
        pred = render(out, batch["K"], batch["w2c"], batch["background"], w, h)[0].clamp(0, 1)
        gt = batch["images"][0]
        sums["l1"] += float(l1(pred, gt).sum())
        sums["psnr"] += float(psnr(pred, gt).sum())
        sums["ssim"] += float(ssim(pred, gt).sum())
        sums["lpips"] += float(lp(pred, gt).sum())
        count += len(cams)
        if item in kept:
            renders.append((pred.permute(0, 2, 3, 1).cpu().numpy(), gt.permute(0, 2, 3, 1).cpu().numpy()))
        if progress is not None:
            progress.update("evaluate", n + 1, len(mine))
    model.train(was_training)
    if world > 1:
        total = torch.tensor([*sums.values(), count], dtype=torch.float64, device=device)
        dist.all_reduce(total)
        sums, count = dict(zip(sums, total[:-1].tolist())), int(total[-1])
    result = {k: v / max(count, 1) for k, v in sums.items()}
    result.update(images=count, identities=sorted({dataset.items[i][0] for i in items}), frames=len(items),
                  cameras=sorted(used_cams), renders=renders)
    return result


def comparison_image(renders: list[tuple[np.ndarray, np.ndarray]], max_cameras: int = 6, zoom: int = 2) -> np.ndarray:
    """uint8 grid: per item a row of predictions above a row of targets, ``max_cameras`` columns."""
    rows = []
    for pred, gt in renders:
        c = min(max_cameras, len(pred))
        rows.append(np.concatenate(list(pred[:c]), axis=1))
        rows.append(np.concatenate(list(gt[:c]), axis=1))
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0)), constant_values=1.0) for r in rows]
    img = np.concatenate(rows, axis=0)
    img = np.repeat(np.repeat(img, zoom, axis=0), zoom, axis=1)
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)

