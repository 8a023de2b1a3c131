"""Eyes in the skin texture: the sclera yellows with age and a wet tear strip runs along each lower lid."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def young_old(head_model):
    from synthetic.assets import IdentitySampler
    from synthetic.assets.head_adapter import surface_from_model, texture_inputs

    sampler = IdentitySampler(head_model)
    params = sampler.sample(8)
    shape = np.asarray(params["shape"])
    maps = texture_inputs(head_model, 512, shape)
    surf = surface_from_model(head_model, shape)
    out = {age: sampler.build({**params, "age": age, "texture_size": 512}, surface=surf, texture_maps=maps,
                              parts=("textures",)).textures for age in (25.0, 75.0)}  # fmt: skip
    return out, maps, head_model.vertices(shape)


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
