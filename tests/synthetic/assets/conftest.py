"""Fixtures for the asset tests: the analytic stand-in head and, when it loads, the real head model."""

from __future__ import annotations

import numpy as np
import pytest

import _assets_standin as standin
from synthetic.assets import HeadSurface

NECK_BASE = np.array([0.0, 0.0, -standin.NECK_Z])


@pytest.fixture(scope="session")
def standin_head():
    return standin.build()


@pytest.fixture(scope="session")
def standin_surface(standin_head):
    h = standin_head
    surf = HeadSurface(h.vertices, h.faces, {"scalp": h.scalp, "face": h.face}, h.landmarks, h.normals,
                       neck_base=NECK_BASE)
    surf.sdf  # build once for the session
    return surf


@pytest.fixture(scope="session")
def standin_maps():
    return standin.uv_maps(256)


@pytest.fixture(scope="session")
def head_model():
    from synthetic.head import HeadModel

    return HeadModel.load()


@pytest.fixture(scope="session")
def real_surface(head_model):
    from synthetic.assets.head_adapter import surface_from_model

    surf = surface_from_model(head_model, head_model.sample_shape(np.random.default_rng(3)))
    surf.sdf
    return surf


@pytest.fixture(scope="session")
def aged_textures(head_model):
    """``make(seed, size, ages)`` -> ({age: SkinTextures}, (position map, masks), neutral vertices,
    landmarks): one identity's textures rebuilt at several ages (everything else the same)."""
    from synthetic.assets import IdentitySampler
    from synthetic.assets.head_adapter import surface_from_model, texture_inputs

    def make(seed: int, size: int, ages):
        sampler = IdentitySampler(head_model)
        params = sampler.sample(seed)
        shape = np.asarray(params["shape"])
        maps = texture_inputs(head_model, size, shape)
        surf = surface_from_model(head_model, shape)
        out = {a: sampler.build({**params, "age": a, "texture_size": size}, surface=surf, texture_maps=maps,
                                parts=("textures",)).textures for a in ages}  # fmt: skip
        return out, maps, head_model.vertices(shape), surf.landmarks

    return make
