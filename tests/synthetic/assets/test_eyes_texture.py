"""Eyes in the skin texture: the sclera yellows with age and a wet tear strip runs along each lower lid."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def young_old(aged_textures):
    return aged_textures(8, 512, (25.0, 75.0))[:3]


def test_sclera_yellows_with_age(young_old, head_model):
    tex, (pos, masks), _ = young_old
    sclera = (masks["eyes"] > 0.5) & (masks["iris"] < 0.5) & (masks["pupil"] < 0.5)
    assert sclera.sum() > 200
    young, old = tex[25.0].albedo[sclera].mean(0), tex[75.0].albedo[sclera].mean(0)
    assert old[2] / old[0] < young[2] / young[0] - 0.05  # less blue against red: yellower
    assert young[2] / young[0] > 0.75  # a young sclera is near white


def test_a_wet_strip_runs_along_each_lower_lid(young_old, head_model):
    tex, (pos, masks), verts = young_old
    rough = tex[25.0].roughness
    covered = np.zeros(pos.shape[:2], bool)
    for m in masks.values():
        covered |= m > 0
    for eye in ("eye_left", "eye_right"):
        ids = head_model.ring(eye, "margin")
        lower, upper = verts[ids[len(ids) // 2:]], verts[ids[: len(ids) // 2]]
        for line, wet in ((lower, True), (upper, False)):
            d = np.min(np.linalg.norm(pos[..., None, :] - line[None, None], axis=-1), axis=-1)
            near = covered & (d < 0.0005)
            assert near.sum() >= 5, eye
            if wet:
                assert np.median(rough[near]) < 0.1, (eye, np.median(rough[near]))
            else:
                assert np.median(rough[near]) > 0.2, (eye, np.median(rough[near]))
