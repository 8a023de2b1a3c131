"""Gaussian initialisation of the prior: per-part sampling, opacity 0.7, neighbour scales, tangent frames."""

from __future__ import annotations

import math

import pytest
import torch
from _prior_fixture import reduced_overrides

from backend.prior.config import load_config
from backend.prior.data import PriorDataset, collate
from backend.prior.lbs_torch import matrix_to_quaternion
from backend.prior.model import SynShotPrior
from backend.prior.parts import neighbour_distance, tangent_frame
from backend.prior.uv_raster import UVRasterizer
from backend.splat._projection import quats_to_rotmats


@pytest.fixture(scope="module")
def batch(prior_dataset, head_model):
    cfg = load_config("tiny", reduced_overrides())
    ds = PriorDataset(prior_dataset, cfg.data, "all", head_model, train=False)
    return cfg, collate([ds.sample(0, ["cam_00", "cam_05"]), ds.sample(len(ds) - 1, ["cam_09", "cam_20"])])


def test_initial_gaussians(batch, head_model):
    cfg, b = batch
    torch.manual_seed(0)
    model = SynShotPrior(cfg, head_model)
    with torch.no_grad():
        out = model(b)
    n = model.n_gaussians
    assert out.means.shape == (2, n, 3) and out.sh.shape == (2, n, 16, 3)
    torch.testing.assert_close(out.opacities, torch.full_like(out.opacities, 0.7))
    assert (out.scales > 0).all() and (out.scales < 0.05).all()
    assert torch.allclose(out.scales[..., 2], out.scales[..., 0] * cfg.model.normal_scale_ratio)
    r = quats_to_rotmats(out.quats)
    torch.testing.assert_close(r @ r.transpose(-1, -2), torch.eye(3).expand_as(r), atol=1e-5, rtol=0)
    assert torch.allclose(torch.det(r), torch.ones(r.shape[:-2]), atol=1e-5)
    # untrained decoders output zero offsets: the neutral frame's Gaussians sit on the template mesh
    template = torch.cat([model._part(p).template for p in model.parts])
    frame0 = b["frame"].index(0) if 0 in b["frame"] else None
    if frame0 is not None and float(b["pose"][frame0].abs().max()) == 0:
        torch.testing.assert_close(out.means[frame0], template, atol=1e-6, rtol=0)
    # SH DC starts from the decoded texture (mid grey at init), higher orders at zero
    assert out.sh[:, :, 1:].abs().max() == 0


def test_parts_and_sampling_ablations(batch, head_model):
    cfg, _ = batch
    split = SynShotPrior(cfg, head_model)
    assert set(split.parts) == {"face", "hair"}
    cfg1 = load_config("tiny", reduced_overrides() + ["model.single_layer=true", "model.sampling=false"])
    single = SynShotPrior(cfg1, head_model)
    assert set(single.parts) == {"head"}
    # no sampling: exactly one Gaussian per covered texel of the map
    rast = UVRasterizer.for_head_model(head_model, cfg1.data.map_size)
    assert single.n_gaussians == int(rast.mask.sum())
    dense = SynShotPrior(load_config("tiny", reduced_overrides() + ["model.hair_density=4.0"]), head_model)
    assert len(dense.parts["hair"]) > 3 * len(split.parts["hair"])  # densification: 4x vs 2x per axis


def test_tangent_frame_is_a_rotation_aligned_with_t():
    gen = torch.Generator().manual_seed(0)
    t, b = torch.randn(100, 3, generator=gen), torch.randn(100, 3, generator=gen)
    r = tangent_frame(t, b)
    torch.testing.assert_close(r.transpose(1, 2) @ r, torch.eye(3).expand(100, 3, 3), atol=1e-5, rtol=0)
    torch.testing.assert_close(r[..., 0], torch.nn.functional.normalize(t, dim=-1))
    n = torch.nn.functional.normalize(torch.linalg.cross(t, b, dim=-1), dim=-1)
    torch.testing.assert_close(r[..., 2], n, atol=1e-5, rtol=0)
    torch.testing.assert_close(quats_to_rotmats(matrix_to_quaternion(r)), r, atol=1e-5, rtol=0)


def test_neighbour_distance_on_a_regular_grid():
    h = 0.004
    ys, xs = torch.meshgrid(torch.arange(6.0), torch.arange(7.0), indexing="ij")
    pts = torch.stack([xs * h, ys * h, torch.zeros_like(xs)])[None]
    valid = torch.ones(6, 7, dtype=torch.bool)
    valid[0, 0] = False
    d = neighbour_distance(pts, valid)
    # three nearest of the 8 grid neighbours: two at h and one at h*sqrt(2) (corners) or h (inside)
    torch.testing.assert_close(d[0, 3, 3], torch.tensor(h))
    torch.testing.assert_close(d[0, 5, 6], torch.tensor(h * math.sqrt(4 / 3)))


def _sh_dc_for_texture(model, b, value: float, tex_detail=None):
    """SH DC of every Gaussian when the decoded texture is the constant ``value`` (the other maps as decoded)."""
    decode = model.decode

    def constant_texture(q_id, q_exp):
        feat, tex, verts, exp = decode(q_id, q_exp)
        return feat, torch.full_like(tex, value), verts, exp

    model.decode = constant_texture
    with torch.no_grad():
        q_id, q_exp, _, _ = model.encode(b, 0)
        sh = model.decode_gaussians(q_id, q_exp, tex_detail=tex_detail)["sh"]
    del model.decode
    return sh[:, :, 0]


def test_full_sh_colour_ignores_the_decoded_texture(batch, head_model):
    cfg, b = batch
    torch.manual_seed(0)
    residual = SynShotPrior(cfg, head_model)
    grey, bright = _sh_dc_for_texture(residual, b, 0.0), _sh_dc_for_texture(residual, b, 0.5)
    # residual colour (default): the texture's colour is the DC's base; +0.5 texture units = +0.25 rgb
    torch.testing.assert_close(bright - grey, torch.full_like(grey, 0.25 / 0.28209479177387814), atol=1e-5, rtol=0)
    full_cfg = load_config("tiny", reduced_overrides() + ["model.texture_colour=false"])
    torch.manual_seed(0)
    full = SynShotPrior(full_cfg, head_model)
    assert full.texture_colour_weight == 0.0
    torch.testing.assert_close(_sh_dc_for_texture(full, b, 0.5), _sh_dc_for_texture(full, b, 0.0))
    # an inverted avatar's colour detail still adds to the DC
    detail = torch.full((1, 3, 8, 8), 0.5)
    shifted = _sh_dc_for_texture(full, b, 0.0, tex_detail=detail) - _sh_dc_for_texture(full, b, 0.0)
    torch.testing.assert_close(shifted, torch.full_like(shifted, 0.25 / 0.28209479177387814), atol=1e-5, rtol=0)


def test_texture_colour_fade_schedule():
    from types import SimpleNamespace

    from backend.prior.trainer import Trainer

    cfg = load_config("tiny", ["model.texture_colour=false", "optim.texture_colour_fade=4"])
    run = SimpleNamespace(cfg=cfg, model=SimpleNamespace(texture_colour_weight=0.0), step=0)
    seen = []
    for step in range(6):
        run.step = step
        Trainer.fade_texture_colour(run)
        seen.append(run.model.texture_colour_weight)
    assert seen == [1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    residual = SimpleNamespace(cfg=load_config("tiny", ["optim.texture_colour_fade=4"]),
                               model=SimpleNamespace(texture_colour_weight=1.0), step=2)
    Trainer.fade_texture_colour(residual)  # a residual-colour model is never faded
    assert residual.model.texture_colour_weight == 1.0
