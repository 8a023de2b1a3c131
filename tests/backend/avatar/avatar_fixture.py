"""A tiny, dataset-free inversion case for the avatar and inversion tests.

An untrained reduced prior (32^2 maps, decoders zero-initialised, so it renders the template head with the
input texture) and a PreparedPhotos whose views are renders of a *teacher* avatar made from a warmer
texture and a mouth-open expression: inversion has something to recover. 64 x 48 px views around the head.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from backend.avatar import Avatar
from backend.photos import PreparedPhotos, PreparedView
from backend.prior.config import load_config
from backend.prior.model import SynShotPrior
from backend.splat import Cameras

WIDTH, HEIGHT = 64, 48
CENTRE = np.array([0.0, -0.05, 0.0])


def tiny_prior(head_model, seed: int = 0) -> SynShotPrior:
    overrides = [
        "data.map_size=32", "data.render_width=64", "data.render_height=48", "model.channels=[8,16]",
        "model.id_latent_dim=8", "model.exp_latent_dim=8", "model.id_codebook_size=16", "model.exp_codebook_size=16",
        "model.transformer_heads=2", "model.transformer_layers=1", "model.feat_channels=8",
        "model.regressor_channels=8", "model.face_density=1.0", "model.hair_density=2.0", "model.regressor_kernel=1",
    ]  # fmt: skip
    torch.manual_seed(seed)
    prior = SynShotPrior(load_config("tiny", overrides), head_model).eval()
    with torch.no_grad():  # zero-initialised output layers would block every gradient upstream (E_id, decoders)
        for p in prior.parameters():
            if p.ndim > 1 and not p.any():
                p.normal_(0.0, 1e-3)
    return prior


def cameras(n: int) -> Cameras:
    """``n`` cameras 0.6 m from the head, spread over +-50 degrees around the front (-Y)."""
    angles = np.radians(np.linspace(-50, 50, n)) if n > 1 else np.zeros(1)
    eyes = CENTRE + 0.6 * np.stack([np.sin(angles), -np.cos(angles), 0.1 * np.ones_like(angles)], -1)
    return Cameras.look_at(eyes, CENTRE, 30.0, WIDTH, HEIGHT)


def flat_prepared(head_model, texture_rgb=(0.55, 0.55, 0.55), views: list[PreparedView] | None = None,
                  size: int = 32) -> PreparedPhotos:
    texture = np.ones((size, size, 3), np.float32) * np.asarray(texture_rgb, np.float32)
    return PreparedPhotos(views=views or [], shape=np.zeros(head_model.n_shape), proxy_offsets_m=np.zeros(
        head_model.n_vertices), texture=texture, texture_mask=np.ones((size, size), bool))


@torch.no_grad()
def teacher_views(head_model, prior: SynShotPrior, n_views: int = 3) -> list[PreparedView]:
    """RGBA renders of a teacher avatar (warm texture, varied expressions) with alpha from two backgrounds."""
    teacher = Avatar.from_prior(prior, flat_prepared(head_model, (0.8, 0.45, 0.3)), head_model)
    cams = cameras(n_views)
    rng = np.random.default_rng(3)
    out = []
    for v in range(n_views):
        e = np.zeros(head_model.n_expression)
        e[: 6] = rng.normal(0, 1.0, 6)
        pose = np.zeros((head_model.n_joints, 3))
        et = torch.as_tensor(e, dtype=torch.float32)[None]
        K, w2c = cams.K[v : v + 1][None], cams.w2c[v : v + 1][None]
        white = teacher.render(et, None, K, w2c, WIDTH, HEIGHT, torch.ones(3))[0, 0]
        black = teacher.render(et, None, K, w2c, WIDTH, HEIGHT, torch.zeros(3))[0, 0]
        alpha = (1 - (white - black).mean(0, keepdim=True)).clamp(0, 1)
        rgb = (black / alpha.clamp_min(1e-3)).clamp(0, 1)
        rgba = torch.cat([rgb, alpha]).permute(1, 2, 0).numpy().astype(np.float32)
        out.append(PreparedView(f"view_{v}", rgba, cams.K[v].numpy(), cams.w2c[v].numpy(), e, pose))
    return out


# fixtures shared by tests/backend/avatar and tests/backend/invert (imported by their conftest.py)
@pytest.fixture(scope="session")
def head_model():
    from synthetic.head import HeadModel

    return HeadModel.load()


@pytest.fixture(scope="session")
def prior(head_model):
    return tiny_prior(head_model)


@pytest.fixture()
def avatar(head_model, prior):
    return Avatar.from_prior(prior, flat_prepared(head_model, (0.7, 0.5, 0.4)), head_model)
