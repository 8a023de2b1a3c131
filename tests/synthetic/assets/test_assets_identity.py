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


def test_dyed_hair_leaves_brows_lashes_and_beard_their_natural_colour():
    """About 6 % of heads have dyed hair (any colour, whatever the skin type). The dye is on the head hair only:
    brows, lashes, beard and the painted brows take a natural colour for the skin type, drawn on their own stream
    (a type VI man with platinum-dyed hair had platinum brows on the sheet). Undyed heads keep their hair colour
    everywhere, and nothing else about a dyed head moves."""
    from synthetic.assets.facial_hair import sample_facial_hair
    from synthetic.assets.pigments import HairColour

    dyed, plain = [], []
    for seed in range(400):
        (dyed if sample_identity(seed)["hair"]["colour"]["dyed"] else plain).append(seed)
    assert 0.03 < len(dyed) / 400 < 0.10
    for seed in dyed[:8]:
        p = sample_identity(seed)
        colour, facial = HairColour(**p["hair"]["colour"]), p["facial_hair"]
        assert facial["colour_rgb"] is not None  # (equal to the dye's on a fully grey head)
        # the facial hair is what the same draws give with the natural colour, not the dye
        as_dyed = sample_facial_hair(stream(seed, "facial_hair"), p["sex"], colour).to_json()
        assert facial["brow_melanin"] != pytest.approx(as_dyed["brow_melanin"]) or \
            facial["beard_melanin"] != pytest.approx(as_dyed["beard_melanin"])
        assert facial["beard_style"] == as_dyed["beard_style"] and facial["lash_upper"] == as_dyed["lash_upper"]
    dark_dyed_light = [s for s in dyed if sample_identity(s)["skin"]["fitzpatrick"] >= 5
                       and sample_identity(s)["hair"]["colour"]["melanin"] < 0.3]
    assert dark_dyed_light
    for seed in dark_dyed_light:  # light dye on type V-VI: natural black or dark brown brows (greying as the hair)
        p = sample_identity(seed)
        assert p["facial_hair"]["brow_melanin"] > 0.7 * (1 - 0.5 * p["hair"]["colour"]["grey_fraction"])
    for seed in plain[:20]:
        p = sample_identity(seed)
        colour = HairColour(**p["hair"]["colour"])
        assert p["facial_hair"]["colour_rgb"] is None
        assert p["facial_hair"]["brow_melanin"] == pytest.approx(min(colour.melanin + 0.1, 0.99)
                                                                 * (1 - 0.5 * colour.grey_fraction))
