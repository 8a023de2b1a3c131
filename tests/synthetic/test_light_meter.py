"""The incident light meter (numpy): analytic cases, and the exposure it gives the dataset's lights."""

import numpy as np
import pytest

from synthetic.assets.seeds import stream
from synthetic.light_meter import (DOME_TARGET, EXPOSURE_EV, FACE_FORWARD_M, HIGHLIGHT_MAX, area_light_irradiance,
                                   environment_irradiance, face_normals, metered_lighting, reading)
from synthetic.lights import draw_lighting


def test_a_uniform_sky_gives_pi_on_a_card_and_twice_that_on_a_dome():
    env = np.ones((64, 128, 3))
    card = environment_irradiance(env, 1.0, 0.7, [0.0, -1.0, 0.0], "card")
    dome = environment_irradiance(env, 1.0, 0.7, [0.0, -1.0, 0.0], "dome")
    assert card == pytest.approx([np.pi] * 3, rel=2e-3)
    assert dome == pytest.approx([2 * np.pi] * 3, rel=2e-3)


def test_a_bright_patch_of_sky_counts_by_its_cosine_and_turns_with_the_world():
    """One bright pixel row band straight ahead of a card facing -Y: full weight; the world turned 90 degrees about Z
    puts it to the side, where a card sees nothing of it and a dome half."""
    from synthetic.lights import equirect_directions

    d = equirect_directions(256, 128)
    env = np.where((d @ np.array([0.0, -1.0, 0.0]) > 0.999)[..., None], 1.0, 0.0) * np.ones(3)
    ahead = environment_irradiance(env, 2.0, 0.0, [0.0, -1.0, 0.0], "card")[0]
    assert ahead > 0
    turned = environment_irradiance(env, 2.0, np.pi / 2, [0.0, -1.0, 0.0], "card")[0]
    assert turned < 0.02 * ahead
    dome = environment_irradiance(env, 2.0, np.pi / 2, [0.0, -1.0, 0.0], "dome")[0]
    assert dome == pytest.approx(0.5 * ahead, rel=0.05)


def test_a_small_far_area_light_is_a_point_light():
    """A 1 cm light of P W at d m, straight ahead: E = P / (pi d^2); 60 degrees off the card's axis: half that."""
    e = area_light_irradiance([0, -2.0, 0], [0, 0, 0], 10.0, 0.01, [1, 1, 1], [0, 0, 0], [0, -1, 0], "card")
    assert e[0] == pytest.approx(10.0 / (np.pi * 4.0), rel=1e-3)
    e60 = area_light_irradiance([0, -2.0, 0], [0, 0, 0], 10.0, 0.01, [1, 1, 1], [0, 0, 0],
                                [np.sin(np.pi / 3), -0.5, 0], "card")
    assert e60[0] == pytest.approx(0.5 * e[0], rel=1e-3)


def test_a_big_soft_box_close_by_gives_less_than_a_point_light():
    """A 2 m square light 1.2 m away: light from its edges comes in slanted, so less than the point formula."""
    big = area_light_irradiance([0, -1.2, 0], [0, 0, 0], 10.0, 2.0, [1, 1, 1], [0, 0, 0], [0, -1, 0], "card")[0]
    assert 0.4 * 10.0 / (np.pi * 1.44) < big < 0.9 * 10.0 / (np.pi * 1.44)


def test_metering_evens_out_the_brightness_and_keeps_the_lights_drawn():
    """Unmetered, the dataset's lights put readings more than 3x apart at the face; metered, every identity reads
    DOME_TARGET * 2**ev (ev in EXPOSURE_EV) unless its brightest-lit side would read above HIGHLIGHT_MAX, and none
    does. Positions, colours, environment and temperature stay those drawn; only the strengths scale, by one
    factor."""
    before, after, limited = [], [], 0
    point, normal = [0.0, -FACE_FORWARD_M, 0.0], [0.0, -1.0, 0.0]
    for seed in range(30):
        raw, env_raw = draw_lighting(stream(seed, "lighting"))
        desc, env = metered_lighting(stream(seed, "lighting"))
        np.testing.assert_array_equal(env, env_raw)
        ev = desc["exposure"]["ev"]
        assert EXPOSURE_EV[0] <= ev <= EXPOSURE_EV[1]
        before.append(reading(raw, env_raw, point, normal))
        after.append(reading(desc, env, point, normal))
        brightest = float(np.max(reading(desc, env, point, face_normals(), "card")))
        assert brightest <= HIGHLIGHT_MAX * (1 + 1e-9)
        if desc["exposure"]["highlight_limited"]:
            limited += 1
            assert brightest == pytest.approx(HIGHLIGHT_MAX) and after[-1] < DOME_TARGET * 2.0**ev
        else:
            assert after[-1] == pytest.approx(DOME_TARGET * 2.0**ev, rel=1e-9)
        scale = desc["exposure"]["scale"]
        assert desc["environment_strength"] == pytest.approx(raw["environment_strength"] * scale)
        for new, old in zip(desc["lights"], raw["lights"], strict=True):
            assert new["power_w"] == pytest.approx(old["power_w"] * scale)
            assert new["location_m"] == old["location_m"] and new["colour"] == old["colour"]
        assert {k: desc[k] for k in ("environment", "light_rig", "white_balance_k")} == \
            {k: raw[k] for k in ("environment", "light_rig", "white_balance_k")}
    assert max(before) / min(before) > 3.0
    assert 1 <= limited <= 12  # the highlights set the exposure now and then, not as the rule
    assert np.percentile(after, 75) / np.percentile(after, 25) < 2.0 ** (EXPOSURE_EV[1] - EXPOSURE_EV[0])


def test_the_brightest_side_is_the_one_facing_the_key():
    """A lone small light at 90 degrees to the subject's left: the face normals' card readings peak towards it."""
    desc = {"environment_strength": 0.0, "environment_rotation_rad": 0.0,
            "lights": [{"location_m": [1.5, 0.0, 0.0], "aim_m": [0.0, 0.0, 0.0], "power_w": 20.0, "size_m": 0.1,
                        "colour": [1, 1, 1]}]}
    normals = face_normals()
    r = reading(desc, np.zeros((8, 16, 3)), [0.0, 0.0, 0.0], normals, "card")
    assert normals[np.argmax(r)] @ np.array([1.0, 0.0, 0.0]) > 0.95
    assert r.max() == pytest.approx(20.0 / (np.pi * 1.5**2) / np.pi, rel=0.02)


def test_lights_that_give_no_light_cannot_be_metered(monkeypatch):
    import synthetic.light_meter as meter

    dark = {"environment_strength": 0.0, "environment_rotation_rad": 0.0, "lights": []}
    monkeypatch.setattr(meter, "draw_lighting", lambda rng, target: (dark, np.zeros((8, 16, 3))))
    with pytest.raises(ValueError, match="no light"):
        meter.metered_lighting(np.random.default_rng(0))
