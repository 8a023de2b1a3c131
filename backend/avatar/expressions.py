"""The named expression sweep every avatar picture uses (main-job sheets, the sampled people's swap grid)."""

from __future__ import annotations

import numpy as np

SWEEP = (
    ("neutral", {}),
    ("jaw open", {"jaw_open": 0.8}),
    ("smile", {"mouth_smile_left": 0.9, "mouth_smile_right": 0.9, "cheek_squint_left": 0.4,
               "cheek_squint_right": 0.4}),
    ("surprise", {"brow_inner_up": 0.9, "brow_outer_up_left": 0.8, "brow_outer_up_right": 0.8, "eye_wide_left": 0.7,
                  "eye_wide_right": 0.7, "jaw_open": 0.35}),
    ("pucker + blink", {"mouth_pucker": 0.9, "eye_blink_left": 1.0, "eye_blink_right": 1.0}),
    ("frown", {"mouth_frown_left": 0.8, "mouth_frown_right": 0.8, "brow_down_left": 0.8, "brow_down_right": 0.8}),
)  # fmt: skip
"""(label, head-model expression names and weights), in the order they are shown."""


def sweep_coefficients(head_model) -> np.ndarray:
    """:data:`SWEEP` as head-model expression coefficients ``[len(SWEEP), E]`` (float32)."""
    return np.stack([head_model.expression_vector(**values) for _, values in SWEEP]).astype(np.float32)
