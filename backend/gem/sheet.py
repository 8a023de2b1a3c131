"""Picture sheets of a GEM: teacher against GEM on held-out expressions, and coefficient sweeps.

Sweeps move one principal component from -3 sigma to +3 sigma with every other coefficient at 0 (the mean
face). By default the position modality is swept (its components are the visible motion; the four
modalities have independent PCAs, so "component j" of another modality is an unrelated direction).
"""

from __future__ import annotations

import numpy as np
import torch
from jaxtyping import Float
from torch import Tensor

from backend.splat import Cameras, rasterize

from .decode import TorchGem
from .views import grid, render, to_uint8


def sweep_coefficients(gem: TorchGem, component: int, steps: int = 7, sigmas: float = 3.0,
                       modality: str = "position") -> Float[Tensor, "S K"]:  # fmt: skip
    """Flat coefficients ``[steps, sum k_m]`` moving ``component`` (0-based) of ``modality`` over
    ``-sigmas..+sigmas`` standard deviations, all else 0."""
    flat = gem.sh.new_zeros(steps, gem.n_coefficients)  # on the GEM's device
    offset = 0
    for m, k in gem.counts.items():
        if m == modality:
            if component >= k:
                raise ValueError(f"{modality} has {k} components; cannot sweep component {component + 1}")
            flat[:, offset + component] = torch.linspace(-sigmas, sigmas, steps, device=flat.device) * gem.std(m)[component]
        offset += k
    return flat


def render_flat(gem: TorchGem, flat: Tensor, cameras: Cameras, background: float = 1.0) -> Tensor:
    """GEM images ``[T, C, H, W, 3]`` of flat coefficients ``[T, sum k_m]``."""
    with torch.no_grad():
        out = []
        for t in range(len(flat)):
            g = gem.decode(flat[t : t + 1].to(gem.mean("position").dtype))
            out.append(rasterize(gem.gaussian_set(g), cameras, background=float(background)).rgb)
        return torch.stack(out)


def distill_sheet(gem: TorchGem, heldout_canonical: dict[str, Tensor] | None, heldout_flat: Tensor | None,
                  camera: Cameras, n_heldout: int = 4, n_sweep: int = 3, steps: int = 7) -> np.ndarray:  # fmt: skip
    """One uint8 sheet: row 1 teacher held-out, row 2 GEM held-out (same expressions), then one row per swept
    position component (1..``n_sweep``) from -3 sigma (left) to +3 sigma (right). ``camera`` is one camera."""
    rows = []
    if heldout_canonical is not None and heldout_flat is not None and n_heldout:
        n = min(n_heldout, len(heldout_flat))
        with torch.no_grad():
            sub = {k: v[:n] for k, v in heldout_canonical.items()}
            rows.append(list(to_uint8(render(sub, camera)[:, 0])))
        rows.append(list(to_uint8(render_flat(gem, heldout_flat[:n], camera)[:, 0])))
    for j in range(min(n_sweep, gem.counts["position"])):
        rows.append(list(to_uint8(render_flat(gem, sweep_coefficients(gem, j, steps), camera)[:, 0])))
    return grid(rows)
