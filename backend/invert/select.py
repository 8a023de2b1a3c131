"""Progressive farthest-point frame selection in expression space (SynShot's evaluation protocol, PointNet++).

The first pick is the most extreme expression (largest distance from the neutral face, e = 0); each further
pick is the frame farthest from every frame picked so far. Any prefix of the result is itself a good spread,
so K = 1, 2, 3, 5, ... selections are nested.
"""

from __future__ import annotations

import numpy as np
from jaxtyping import Float


def select_frames(expressions: Float[np.ndarray, "N E"], k: int) -> list[int]:
    """Indices of ``k`` frames (``min(k, N)``) spread over expression space, extremes first.

    Args:
        expressions: head-model expression coefficients of ``N`` candidate frames.
        k: how many to pick.

    Returns:
        distinct indices into ``expressions``, in pick order; ties go to the lower index.
    """
    x = np.asarray(expressions, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"select_frames: expressions must be [N, E], got shape {x.shape}")
    n = len(x)
    k = min(int(k), n)
    if k <= 0:
        return []
    picked = [int(np.argmax((x**2).sum(1)))]
    dist = ((x - x[picked[0]]) ** 2).sum(1)
    while len(picked) < k:
        nxt = int(np.argmax(dist))
        if dist[nxt] <= 0:  # only duplicates left: take unpicked ones in order
            nxt = next(i for i in range(n) if i not in picked)
        picked.append(nxt)
        dist = np.minimum(dist, ((x - x[nxt]) ** 2).sum(1))
        dist[picked] = -1.0
    return picked
