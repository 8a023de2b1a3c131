"""An inverted avatar's own detail maps: where they are, what they change, that inversion trains them, old files."""

from __future__ import annotations

import pytest
import torch

from backend.avatar import Avatar, load_avatar, save_avatar
from backend.invert import InvertConfig, invert
from backend.invert.config import PLAIN, PRESETS
from backend.invert.detail import PhotoTexture, feather, photo_detail, trained_detail, view_trust
from backend.splat.gaussians import rgb_to_sh_dc
from synthetic.errors import UserInputError
from tests.backend.avatar.avatar_fixture import flat_prepared, teacher_views, tiny_prior


def test_feather_is_one_inside_zero_outside_and_between_at_the_edge():
    mask = torch.zeros(1, 1, 12, 12)
    mask[..., 2:10, 2:10] = 1.0
    soft = feather(mask, 1)
    assert torch.all(soft[mask == 0] == 0)
    assert torch.allclose(soft[..., 4:8, 4:8], torch.ones(4, 4))
    edge = soft[0, 0, 2, 2:10]
    assert torch.all(edge > 0) and torch.all(edge < 1)
    assert torch.equal(feather(mask, 0), mask)


def test_photo_detail_is_the_texture_residual_where_seen_and_zero_elsewhere(head_model, prior):
    avatar = Avatar.from_prior(prior, flat_prepared(head_model, (0.8, 0.4, 0.3)), head_model)
    with torch.no_grad():
        avatar.tex_mask[..., :, : avatar.tex_mask.shape[-1] // 2] = 0  # the left half of the atlas unseen
    detail = photo_detail(avatar, feather_texels=1)
    decoded = avatar.prior.D_id(avatar.q_id)[:, :3]
    unseen = (avatar.tex_mask == 0).expand_as(detail)
    assert torch.all(detail[unseen] == 0)
    inside = (feather(avatar.tex_mask + 1 - avatar.masks[:, :1], 1) * avatar.tex_mask).expand_as(detail) == 1
    seen = (avatar.tex_mask > 0).expand_as(detail)
    assert inside.sum() > 0.8 * seen.sum()  # only the edge of what was seen fades, not the UV islands' borders
    assert torch.allclose(detail[inside], (avatar.x_tex - decoded)[inside], atol=1e-6)
    assert torch.equal(photo_detail(avatar, scale=0.0), torch.zeros_like(detail))


def test_photo_detail_refuses_a_full_sh_prior():
    from types import SimpleNamespace

    full = SimpleNamespace(prior=SimpleNamespace(texture_colour_weight=0.0))
    with pytest.raises(UserInputError, match="detail=0"):
        photo_detail(full)
    with pytest.raises(UserInputError, match="detail=0"):  # before stage 1 (nothing else of it is touched)
        invert(full.prior, None, InvertConfig(detail=1.0))


@pytest.mark.parametrize("finer", [1, 3])
def test_detail_shifts_every_gaussians_colour_by_half_its_value(head_model, prior, finer):
    avatar = Avatar.from_prior(prior, flat_prepared(head_model), head_model)
    e = torch.zeros(1, avatar.n_expression)
    before = avatar.canonical(e)["sh"][0, :, 0]
    if finer > 1:  # maps of any size are sampled at the Gaussians' grids on their own
        avatar.reset_detail(avatar.x_tex.shape[-1] * finer)
        assert avatar.tex_detail.shape[-1] == avatar.feat_detail.shape[-1] == avatar.x_tex.shape[-1] * finer
    with torch.no_grad():
        avatar.tex_detail.fill_(0.2)  # texture units: +0.1 in [0, 1] colour
    after = avatar.canonical(e)["sh"][0, :, 0]
    want = rgb_to_sh_dc(torch.full((1, 3), 0.6)) - rgb_to_sh_dc(torch.full((1, 3), 0.5))
    assert torch.allclose(after - before, want.expand_as(after), atol=1e-5)


def test_inversion_adds_trained_detail_only_where_the_photos_saw(head_model, prior):
    prepared = flat_prepared(head_model, views=teacher_views(head_model, tiny_prior(head_model, seed=1), 2))
    prepared.texture_mask[:, :16] = False  # half the atlas unseen
    fast = dict(stage1_min_steps=3, stage2_min_steps=6, stage1_steps_per_input=1, stage2_steps_per_input=1,
                lpips=0.0, warmup=100, identity=0.0, detail_size=0)  # maps at the avatar's tex_mask size
    on = invert(prior, prepared, InvertConfig(**fast, detail=1.0, lr_feat_detail=1e-2), head_model).avatar
    fixed = invert(prior, prepared, InvertConfig(**fast, detail=1.0, lr_detail=0.0, lr_feat_detail=0.0),
                   head_model).avatar
    off = invert(prior, prepared, InvertConfig(**{**fast, **PLAIN}), head_model).avatar  # the plain preset: no maps
    for key in ("tex_detail", "feat_detail"):
        d = getattr(on, key)
        assert d.abs().max() > 0 and torch.all(d[(on.tex_mask == 0).expand_as(d)] == 0), key
        assert torch.equal(getattr(off, key), torch.zeros_like(d)), key
        assert not d.requires_grad, key
    assert not torch.equal(on.tex_detail, fixed.tex_detail)  # stage 2 trained it
    assert torch.equal(fixed.feat_detail, torch.zeros_like(fixed.feat_detail))  # lr_feat_detail 0: off
    default = InvertConfig()  # the measured best settings are the defaults; the plain preset turns the maps off
    assert default.detail > 0 and default.lr_feat_detail > 0 and default.detail_size == 128
    assert InvertConfig.load("plain") == InvertConfig(**PRESETS["plain"])


def test_stage2_trains_the_photo_colour_where_fully_trusted_and_the_features_wherever_seen(head_model, prior):
    avatar = Avatar.from_prior(prior, flat_prepared(head_model), head_model)
    s = avatar.tex_detail.shape[-1]
    seen = torch.zeros(1, 1, s, s)
    seen[..., s // 4:] = 1.0
    trust = torch.linspace(0, 2, s).clamp(max=1).expand(1, 1, s, s)  # grazing on the left, head-on on the right
    with trained_detail(avatar, {"tex_detail": 1e-3, "feat_detail": 1e-3}, seen, trust) as groups:
        assert [g["params"][0] for g in groups] == [avatar.tex_detail, avatar.feat_detail]
        (avatar.tex_detail.sum() + avatar.feat_detail.sum()).backward()
        tex_grad, feat_grad = avatar.tex_detail.grad.clone(), avatar.feat_detail.grad.clone()
    assert torch.equal(tex_grad, (seen * (trust >= 1)).expand_as(tex_grad))  # a mask: Adam ignores a scale
    assert torch.equal(feat_grad, seen.expand_as(feat_grad))
    assert not avatar.tex_detail.requires_grad and not avatar.feat_detail.requires_grad
    with pytest.raises(ValueError, match="tex_detail is"):
        with trained_detail(avatar, {"tex_detail": 1e-3}, seen[..., ::2, ::2]):
            pass


def test_avatar_files_keep_the_detail_and_older_files_load_without_it(head_model, prior, tmp_path):
    avatar = Avatar.from_prior(prior, flat_prepared(head_model), head_model)
    with torch.no_grad():
        avatar.tex_detail.normal_(0, 0.1)
        avatar.feat_detail.normal_(0, 0.1)
    path = save_avatar(avatar, tmp_path / "a.avatar.pt")
    loaded = load_avatar(path, head_model=head_model)
    data = torch.load(path, weights_only=True)
    for key in ("tex_detail", "feat_detail"):
        assert torch.equal(getattr(loaded, key), getattr(avatar, key)), key
        del data["identity"][key]  # a file from before the detail maps
    torch.save(data, tmp_path / "old.avatar.pt")
    old = load_avatar(tmp_path / "old.avatar.pt", head_model=head_model)
    for key in ("tex_detail", "feat_detail"):
        assert torch.equal(getattr(old, key), torch.zeros_like(getattr(avatar, key))), key
    e = torch.zeros(1, avatar.n_expression)
    assert not torch.equal(loaded.canonical(e)["means"], old.canonical(e)["means"])  # the feature detail moves them


def test_view_trust_ramps_the_best_view_weight_and_fades_grazing_detail(head_model, prior):
    import numpy as np

    weight = np.zeros((64, 64), np.float32)
    weight[:, 16:32], weight[:, 32:48], weight[:, 48:] = 0.05, 0.2, 0.9  # grazing, oblique, head-on
    trust = view_trust(weight, 32, 0.2)
    assert trust.shape == (1, 1, 32, 32)
    assert torch.all(trust[..., :8] == 0) and torch.allclose(trust[..., 8:16], torch.tensor(0.25))
    assert torch.all(trust[..., 16:] == 1)
    assert view_trust(None, 32, 0.2) is None and view_trust(weight, 32, 0.0) is None
    avatar = Avatar.from_prior(prior, flat_prepared(head_model, (0.8, 0.4, 0.3)), head_model)
    s = avatar.tex_detail.shape[-1]
    ramp = torch.linspace(0, 1, s).expand(1, 1, s, s)  # trust growing from left to right
    whole, faded = photo_detail(avatar), photo_detail(avatar, trust=ramp)
    assert whole.abs().sum() > 0
    assert torch.allclose(faded, whole * ramp, atol=1e-6)


def test_finer_detail_maps_take_the_photo_at_their_own_size_and_survive_a_file(head_model, prior, tmp_path):
    prepared = flat_prepared(head_model, views=teacher_views(head_model, tiny_prior(head_model, seed=1), 2), size=64)
    prepared.texture[:, 32:] = (0.9, 0.2, 0.2)  # the right half of the atlas red at the photo's 64 texels
    prepared.texture_mask[:, :32] = False  # the left half unseen
    fast = dict(stage1_min_steps=3, stage2_min_steps=6, stage1_steps_per_input=1, stage2_steps_per_input=1,
                lpips=0.0, warmup=100, identity=0.0)
    s = Avatar.from_prior(prior, prepared, head_model).x_tex.shape[-1]
    cfg = InvertConfig(**fast, detail=1.0, lr_detail=0.0, lr_feat_detail=1e-2, detail_size=2 * s)
    avatar = invert(prior, prepared, cfg, head_model).avatar
    assert avatar.tex_detail.shape == (1, 3, 2 * s, 2 * s) and avatar.feat_detail.shape[-1] == 2 * s
    photo = PhotoTexture.of(avatar, prepared, 2 * s)
    assert torch.all(photo.seen <= photo.atlas) and photo.seen[..., : s - 1].sum() == 0
    assert photo.seen[..., s + 1:].sum() > 0.5 * photo.atlas[..., s + 1:].sum()
    red = photo.seen[0, 0] > 0  # the photo's red reaches the decoded colour through the detail
    decoded = torch.nn.functional.interpolate(avatar.prior.D_id(avatar.q_id)[:, :3], size=(2 * s, 2 * s),
                                              mode="bilinear", align_corners=False)
    colour = (decoded + avatar.tex_detail)[0, :, red]
    assert torch.allclose(colour[0].median(), torch.tensor(0.8), atol=0.05)  # 0.9 in [0, 1] -> 0.8 in texture units
    for key in ("tex_detail", "feat_detail"):
        d = getattr(avatar, key)
        assert d.abs().max() > 0 and torch.all(d[..., : s - 1] == 0), key  # nothing where no photo saw
    with pytest.raises(UserInputError, match="detail_size must be 0 .* got -3"):
        invert(prior, prepared, InvertConfig(**fast, detail=1.0, detail_size=-3), head_model)
    path = save_avatar(avatar, tmp_path / "fine.avatar.pt")
    loaded = load_avatar(path, head_model=head_model)
    e = torch.zeros(1, avatar.n_expression)
    assert loaded.tex_detail.shape == avatar.tex_detail.shape
    assert torch.allclose(loaded.canonical(e)["sh"], avatar.canonical(e)["sh"], atol=1e-6)
