"""Pictures and logs of an inversion: a preview grid (inputs | renders | error) and the JSON log beside the avatar."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from synthetic.atomic import write_json_atomic

__all__ = ["preview_grid", "save_log"]


def preview_grid(inputs: Tensor, renders: Tensor, before: Tensor | None = None, max_views: int = 8,
                 zoom: int = 2, trust: Tensor | None = None) -> np.ndarray:
    """uint8 ``[h, w, 3]``: one row per view: input | (render before tuning) | render | error (|diff| x 4, blue
    where the pixel was not trusted, i.e. not fitted).

    Args:
        inputs, renders, before: ``[V, 3, H, W]`` in [0, 1].
        trust: ``[V, 1, H, W]`` in [0, 1] (``Targets.trust``) or None.
    """
    rows = []
    for v in range(min(max_views, len(inputs))):
        cols = [inputs[v]] + ([before[v]] if before is not None else []) + [renders[v]]
        err = ((renders[v] - inputs[v]).abs().mean(0, keepdim=True) * 4).clamp(0, 1).expand(3, -1, -1)
        if trust is not None:
            t = trust[v].to(err)
            err = err * t + (1 - t) * torch.tensor([0.1, 0.2, 0.6], device=err.device)[:, None, None]
        cols.append(err)
        rows.append(torch.cat([c.detach().float().cpu().clamp(0, 1) for c in cols], dim=2))
    img = torch.cat(rows, dim=1).permute(1, 2, 0).numpy()
    img = np.repeat(np.repeat(img, zoom, axis=0), zoom, axis=1)
    return (img * 255 + 0.5).astype(np.uint8)


def save_log(path: str | Path, summary: dict, log: list[dict]) -> Path:
    """JSON with the summary and every step's losses."""
    return write_json_atomic(path, {"summary": summary, "steps": log}, indent=1)
