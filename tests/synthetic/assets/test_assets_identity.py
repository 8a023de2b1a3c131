"""One seed per identity: determinism, independence of streams, JSON parameters and arrays."""

import json

import numpy as np
import pytest

import _assets_standin as standin
from synthetic.assets import IdentityConfig, IdentitySampler, sample_identity, stream
from synthetic.assets.seeds import child_seed


def test_same_seed_same_params_different_seed_different(head_model):
    a = sample_identity(11, head_model)
    b = sample_identity(11, head_model)
    c = sample_identity(12, head_model)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert json.dumps(a, sort_keys=True) != json.dumps(c, sort_keys=True)
    assert len(a["shape"]) == head_model.n_shape
    json.loads(json.dumps(a))  # plain JSON


def test_streams_are_independent_of_each_other():
    x = stream(5, "skin").random(4)
    stream(5, "some_new_asset").random(100)
    np.testing.assert_array_equal(x, stream(5, "skin").random(4))
    assert not np.array_equal(x, stream(5, "hair_style").random(4))
    assert child_seed(5, "a") == child_seed(5, "a") != child_seed(5, "b")


def test_forcing_one_choice_keeps_the_others():
    a = sample_identity(21, None, hair_style="curly")
    b = sample_identity(21, None, hair_style="bald")
    assert a["skin"] == b["skin"] and a["iris"] == b["iris"] and a["sex"] == b["sex"]
    assert a["hair"]["style"] == "curly" and b["hair"]["style"] == "bald"


def test_population_is_varied():
    ps = [sample_identity(s) for s in range(60)]
    assert len({p["hair"]["style"] for p in ps}) >= 8
    assert len({p["skin"]["fitzpatrick"] for p in ps}) == 6
    assert len({p["facial_hair"]["beard_style"] for p in ps}) >= 4
    assert len({p["iris"]["name"] for p in ps}) >= 3


def test_build_is_bit_identical(standin_surface, standin_maps):
    sampler = IdentitySampler(None, IdentityConfig(n_frames=40, texture_size=256))
    parts = ("textures", "hair", "beard", "brows", "proxy", "performance")
    a = sampler.build(3, standin_surface, standin_maps, parts).arrays()
    b = sampler.build(3, standin_surface, standin_maps, parts).arrays()
    c = sampler.build(4, standin_surface, standin_maps, parts).arrays()
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    assert not np.array_equal(a["albedo"], c["albedo"])
    assert a["hair_points"].shape[0] in (0, 5000)


def test_real_head_identity(head_model):
    sampler = IdentitySampler(head_model, IdentityConfig(n_frames=30, texture_size=256, hair_style="medium",
                                                         beard_style="goatee", sex="male"))
    params = sampler.sample(8)
    out = sampler.build(params, parts=("textures", "hair", "beard", "proxy", "performance"))
    assert out.textures.albedo.shape == (256, 256, 3)
    assert out.strands["hair"].count == 5000 and out.strands["beard"].count > 0
    assert out.hair_offsets.shape == (head_model.n_vertices,) and out.hair_offsets.max() > 0
    assert out.performance.expression.shape == (30, head_model.n_expression)
    assert sampler.settings()["head_model"] == head_model.fingerprint()


def test_bad_inputs():
    with pytest.raises(ValueError, match="seed"):
        sample_identity(-1)
    with pytest.raises(ValueError, match="seed"):
        sample_identity(1.5)
    with pytest.raises(ValueError, match="quality"):
        IdentityConfig(quality="ultra")
    with pytest.raises(ValueError, match="fitzpatrick"):
        IdentityConfig(fitzpatrick=0)
    with pytest.raises(ValueError, match="head model"):
        IdentitySampler(None).build(1)
    assert standin.NECK_Z > 0


def test_preview_hair_hook(head_model):
    from synthetic.assets import preview_hair

    verts = head_model.vertices(None, head_model.expression_vector(jaw_open=0.4))
    pts, rgb = preview_hair(head_model, verts, 5, n_strands=300)
    assert pts.ndim == 3 and pts.shape[2] == 3 and rgb.shape == (3,)
