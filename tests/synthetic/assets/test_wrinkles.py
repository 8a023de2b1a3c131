"""Skin relief: micro-detail, expression wrinkle maps where anatomy puts them, driven by expressions."""

from __future__ import annotations

import numpy as np
import pytest

from synthetic.assets.wrinkles import (RELIEF_CHANNELS, WRINKLE_DRIVERS, WRINKLES, relief_height,
                                       wrinkle_activations)


@pytest.fixture(scope="module")
def textures(aged_textures):
    """(relief [R, R, 7] of a 70-year-old and a 25-year-old, position map, landmarks) at 256 texels."""
    tex, (pos, _), _, landmarks = aged_textures(5, 256, (70.0, 25.0))
    return {a: t.relief for a, t in tex.items()}, pos, landmarks


def test_activations_are_zero_at_neutral_and_follow_their_expressions(head_model):
    names = head_model.expression_names
    e = np.zeros(len(names))
    assert np.array_equal(wrinkle_activations(names, e), np.zeros(len(WRINKLES)))
    for wrinkle, coefficient in (("forehead", "brow_inner_up"), ("glabella", "brow_down_left"),
                                 ("nasolabial", "mouth_smile_left"), ("bunny", "nose_sneer_right"),
                                 ("lip_lines", "mouth_pucker"), ("crows_feet", "eye_squint_left")):
        seen = []
        for v in (0.0, 0.5, 1.0):
            e = np.zeros(len(names))
            e[names.index(coefficient)] = v
            a = wrinkle_activations(names, e)
            seen.append(a[WRINKLES.index(wrinkle)])
            assert 0.0 <= a.min() and a.max() <= 1.0
        assert seen[0] == 0.0 < seen[1] < seen[2], (wrinkle, seen)
    # a smile does not line the forehead; a brow raise does not deepen the nasolabial folds
    e = np.zeros(len(names))
    e[names.index("mouth_smile_left")] = e[names.index("mouth_smile_right")] = 1.0
    a = dict(zip(WRINKLES, wrinkle_activations(names, e), strict=True))
    assert a["forehead"] == 0.0 and a["nasolabial"] == 1.0 and a["crows_feet"] > 0.5
    with pytest.raises(ValueError, match="3 coefficients"):
        wrinkle_activations(names, np.zeros(3))
    assert all(n in names for terms in WRINKLE_DRIVERS.values() for n in terms)  # no silent typos


def test_maps_sit_where_anatomy_puts_them_and_grow_with_age(textures):
    relief, pos, lm = textures
    old, young = relief[70.0], relief[25.0]
    assert old.shape == (256, 256, len(RELIEF_CHANNELS)) and old.dtype == np.float32
    loc = lm.to_local(pos.reshape(-1, 3)).reshape(256, 256, 3)
    nose, mouth = lm.local_of("nose_tip"), lm.local_of("mouth")
    where = {  # (lat, up) window in the anatomical frame (mm) each wrinkle must stay inside
        "forehead": lambda la, u: (np.abs(la) < 55) & (u > 15) & (u < 75),
        "glabella": lambda la, u: (np.abs(la) < 12) & (u > -5) & (u < 35),
        "crows_feet": lambda la, u: (np.abs(la) > 40) & (np.abs(la) < 68) & (np.abs(u) < 22),
        "nasolabial": lambda la, u: (np.abs(la) > 10) & (np.abs(la) < 38) & (u < nose[2] + 8) & (u > mouth[2] - 25),
        "bunny": lambda la, u: (np.abs(la) < 18) & (u < 0) & (u > nose[2] + 6),
        "lip_lines": lambda la, u: (np.abs(la) < 26) & (np.abs(u - mouth[2]) < 20),
    }
    front = loc[..., 1] > -40
    for k, wrinkle in enumerate(WRINKLES, start=1):
        h = np.abs(old[..., k]) * front
        assert h.max() > 0.2, f"{wrinkle}: no furrow deeper than 0.2 mm"
        inside = where[wrinkle](loc[..., 0], loc[..., 2])
        assert h[inside].sum() > 0.97 * h.sum(), f"{wrinkle}: relief outside its area"
        assert np.abs(young[..., k]).max() < 0.7 * np.abs(old[..., k]).max(), wrinkle
    # the rest lines an older face keeps: the forehead's micro relief is deeper at 70 than at 25
    forehead = where["forehead"](loc[..., 0], loc[..., 2]) & front
    assert np.abs(old[..., 0][forehead]).mean() > 1.5 * np.abs(young[..., 0][forehead]).mean()


def test_a_frames_relief_is_micro_at_neutral_and_grows_with_its_expression(textures, head_model):
    relief = textures[0][70.0]
    names = head_model.expression_names
    neutral = relief_height(relief, wrinkle_activations(names, np.zeros(len(names))))
    assert np.array_equal(neutral, relief[..., 0])
    k = WRINKLES.index("forehead") + 1
    sizes = []
    for v in (0.25, 0.5, 1.0):
        e = np.zeros(len(names))
        e[names.index("brow_inner_up")] = v
        diff = relief_height(relief, wrinkle_activations(names, e)) - neutral
        assert np.allclose(diff, relief[..., k] * 0.6 * v, atol=1e-6)  # only the forehead map moves
        sizes.append(np.abs(diff).max())
    assert sizes[0] < sizes[1] < sizes[2]


def test_same_identity_same_relief(head_model, textures):
    from synthetic.assets import IdentitySampler

    relief = textures[0][70.0]
    sampler = IdentitySampler(head_model)
    params = {**sampler.sample(5), "age": 70.0, "texture_size": 256}
    again = sampler.build(params, parts=("textures",)).textures.relief
    assert np.array_equal(again, relief)


def test_anatomy_relief_carves_what_the_mesh_is_too_coarse_for():
    from synthetic.assets.wrinkles import anatomy_relief

    nose, mouth = np.array([0.0, 36.0, -46.0]), np.array([0.0, 0.0, -74.0])
    lid = np.stack([np.linspace(20, 44, 9), np.zeros(9), 5.0 * np.sin(np.linspace(0, np.pi, 9))], 1)  # left upper lid
    pts = np.array([
        [6.0, 13.7, -50.6],    # left nostril (6 mm out, 22 mm behind and 5 mm below the tip)
        [-6.0, 13.7, -50.6],   # right nostril
        [10.2 + 6.6, 8.0, -45.1],  # on the alar crease, beside the wing
        [0.0, 5.0, -58.0],     # philtrum groove (midline)
        [4.5, 5.0, -58.0],     # philtrum column
        [32.0, 10.0, 5.0 + 7.0],  # on the lid crease, 7 mm above the margin
        [40.0, -5.0, -30.0],   # plain cheek
        [6.0, 30.0, -50.6],    # the tip's front at the nostrils' height: not darkened
    ], np.float32)  # fmt: skip
    h = anatomy_relief(pts, nose, mouth, (lid,), crease_mm=7.0)
    assert h[0] < -1.0 and h[1] < -1.0 and h[2] < -0.4
    assert h[3] < 0.0 < h[4]
    assert h[5] < -0.4 and abs(h[6]) < 1e-3 and abs(h[7]) < 1e-3
    mono = anatomy_relief(pts, nose, mouth, (lid,), crease_mm=0.0)
    assert abs(mono[5]) < 1e-3 and np.allclose(mono[[0, 1, 2, 3, 4, 6, 7]], h[[0, 1, 2, 3, 4, 6, 7]])


def test_nostrils_and_alar_creases_sit_on_the_template_s_nose_not_on_the_upper_lip(head_model):
    """On the template's own skin: the nostrils' darkening lies under the tip, above the columella's base (subnasale)
    and behind the tip's front; the upper lip's skin between the subnasale and the vermilion carries no furrow but
    the philtrum's groove. (The ring and nostrils once sat 6-8 mm low, on the upper lip: a grey oval from wing to
    wing with a dark smudge under the nose.)"""
    from synthetic.assets.head_adapter import surface_from_model, texture_inputs
    from synthetic.assets.wrinkles import anatomy_relief

    pos, masks = texture_inputs(head_model, 512, None)
    lm = surface_from_model(head_model, None).landmarks
    skin = (masks["face"] > 0.5) & (masks["lips"] < 0.01)
    loc = lm.to_local(pos[skin].astype(np.float64))
    nose, mouth = lm.local_of("nose_tip"), lm.local_of("mouth")
    lat, fwd, up = np.abs(loc[:, 0]), loc[:, 1] - nose[1], loc[:, 2] - nose[2]
    h = anatomy_relief(loc, nose, mouth)
    # the skin's profile at the midline: the columella's base is where the skin steps back under the tip
    bins = np.arange(-2.0, -16.0, -1.0)
    profile = np.array([fwd[(lat < 2.0) & (np.abs(up - b) < 0.75)].max() for b in bins])  # the skin's front, mm
    step = bins[1 + np.argmax(profile[:-1] - profile[1:])]
    assert -10.0 < step < -4.0  # the subnasale of the template (~7 mm below the tip landmark)
    nostril = h < -0.8
    assert nostril.sum() >= 4
    assert np.all(up[nostril] > -9.0) and np.all(fwd[nostril] < -12.0) and np.all(lat[nostril] < 11.0)
    red = lm.to_local(pos[masks["lips"] > 0.5].astype(np.float64))
    vermilion_top = (red[np.abs(red[:, 0]) < 8.0, 2] - nose[2]).max()  # the upper lip's red, from the tip (mm)
    assert -20.0 < vermilion_top < -13.0
    upper_lip = (up < -9.5) & (up > vermilion_top + 1.0) & (lat > 2.5) & (lat < 16.0)
    assert upper_lip.sum() > 10
    assert h[upper_lip].min() > -0.15, f"a furrow of {h[upper_lip].min():.2f} mm on the upper lip's skin"
    crease = (h < -0.25) & (lat > 11.0)  # the alar crease: the furrows lateral of the nostrils
    assert np.sum(crease & (lat > 15.0) & (np.abs(up) < 5.0)) >= 4  # beside the wing, 15-19 mm out
    assert np.all((lat[crease] < 19.0) & (up[crease] > -8.0) & (up[crease] < 9.0))


def test_the_lips_carry_fine_vertical_creases(head_model):
    """The vermilion's relief varies across the lips (creases ~1.4 mm apart) far more than along them and stays within
    0.15 mm (the lips' relief was flat: a plastic tube in close-ups)."""
    from synthetic.assets.wrinkles import LIP_LINE_SPACING_MM, vermilion_lines

    mouth = np.array([0.0, -20.0, -70.0])
    lat = np.linspace(-15.0, 15.0, 601)
    across = np.stack([lat, np.full_like(lat, -20.0), np.full_like(lat, -66.0)], 1)  # along the upper lip (mm)
    up = np.linspace(-67.5, -64.5, 61)
    along = np.stack([np.full_like(up, 3.0), np.full_like(up, -20.0), up], 1)  # up one crease's length
    h_across = vermilion_lines(across * 1e-3, across, mouth, seed=3)
    h_along = vermilion_lines(along * 1e-3, along, mouth, seed=3)
    assert -0.15 <= h_across.min() < -0.05 and h_across.max() <= 0.0
    assert np.std(np.diff(h_across)) > 3 * np.std(np.diff(h_along))
    dips = np.sum((h_across[1:-1] < h_across[:-2]) & (h_across[1:-1] <= h_across[2:]) & (h_across[1:-1] < -0.04))
    assert 0.4 * 30 / LIP_LINE_SPACING_MM < dips < 2.0 * 30 / LIP_LINE_SPACING_MM, dips


def test_the_lid_crease_follows_the_lid_s_arc_into_the_corners():
    """The crease is deepest over the middle of the lid and fades out toward both corners; a copy of the margin lifted
    straight up kept the margin's steep ends and drew a box over each eye (a groove running down beside the corners)."""
    from synthetic.assets.wrinkles import lid_crease

    t = np.linspace(0, np.pi, 41)
    margin = np.stack([32.0 - 14.0 * np.cos(t), np.zeros_like(t), 5.0 * np.sin(t) ** 0.35], 1)  # steep ends
    middle = lid_crease(np.array([32.0]), np.array([5.0 + 6.0]), margin, 6.0)[0]
    beside_inner = lid_crease(np.array([18.3]), np.array([8.8]), margin, 6.0)[0]  # 0.3 mm in, 9 mm up
    beside_outer = lid_crease(np.array([45.7]), np.array([8.8]), margin, 6.0)[0]
    assert middle < -0.5
    assert beside_inner > -0.1 and beside_outer > -0.1  # the lifted copy: -0.6 there (its vertical sides)
    assert np.all(lid_crease(np.array([-32.0]), np.array([11.0]), margin, 6.0) == 0)  # the other eye's side
