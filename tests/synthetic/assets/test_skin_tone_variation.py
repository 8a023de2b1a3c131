"""Skin tone is uneven as people's is: centimetre blotches of pigment and blood, and age spots from the forties."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

LUMINANCE = np.array([0.2126, 0.7152, 0.0722], np.float32)


@pytest.fixture(scope="module")
def fair(aged_textures):
    """A fair-skinned identity (seed 7, Fitzpatrick 2) at 30, 35, 55 and 75."""
    return aged_textures(7, 512, (30.0, 35.0, 55.0, 75.0))


def test_the_cheeks_are_blotchy_not_waxen(fair):
    """Band-passed (2-12 texels, ~1-8 mm) luminance on the cheeks varies by more than 1.5 % of its mean (1.2 % before
    the blotches were scaled up: a flat albedo that rendered as wax)."""
    tex, (pos, masks), _verts, landmarks = fair
    loc = landmarks.to_local(pos.reshape(-1, 3)).reshape(pos.shape)
    cheek = (masks["face"] > 0.9) & (np.abs(np.abs(loc[..., 0]) - 40) < 12) & (np.abs(loc[..., 2] + 30) < 12)
    assert cheek.sum() > 1000
    lum = tex[30.0].albedo @ LUMINANCE
    band = ndimage.gaussian_filter(lum, 2) - ndimage.gaussian_filter(lum, 12)
    assert band[cheek].std() / lum[cheek].mean() > 0.015


def test_age_spots_come_with_age(fair):
    """Under 40 there are none (35 paints as 30 does); at 75 several brown patches (12 % darker than at 35) sit on
    the face, more than at 55."""
    tex, (pos, masks), _verts, _lm = fair
    skin = (masks["face"] > 0.5) & (masks["eyes"] < 0.5)
    lum = {age: t.albedo @ LUMINANCE for age, t in tex.items()}
    assert np.abs(lum[35.0] - lum[30.0])[skin].max() < 1e-6
    spots = {age: ndimage.label(skin & (lum[age] < 0.88 * lum[35.0]))[1] for age in (55.0, 75.0)}
    assert spots[75.0] >= 5 and spots[75.0] > spots[55.0], spots
