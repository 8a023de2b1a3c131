"""Expression, pose and gaze trajectories."""

import numpy as np
import pytest

from synthetic.assets import AssetInputError, make_performance
from synthetic.assets.performance import gaze_to_axis_angle

NAMES = ("jaw_open", "mouth_smile_left", "mouth_smile_right", "mouth_pucker", "mouth_funnel", "mouth_stretch_left",
         "mouth_stretch_right", "mouth_press_left", "mouth_press_right", "brow_inner_up", "eye_wide_left",
         "eye_wide_right", "eye_blink_left", "eye_blink_right", "cheek_puff_left")
JOINTS = ("neck", "head", "jaw", "eye_left", "eye_right")


@pytest.mark.parametrize("kind", ["mixed", "talking", "smile", "surprise", "random", "neutral"])
def test_shapes_ranges_smoothness(kind):
    ranges = np.tile([0.0, 1.0], (len(NAMES), 1))
    ranges[0] = [0.0, 0.8]
    p = make_performance(np.random.default_rng(1), NAMES, 240, 30.0, ranges, JOINTS, kind)
    assert p.expression.shape == (240, len(NAMES)) and p.pose.shape == (240, 5, 3) and p.gaze.shape == (240, 2)
    assert (p.expression >= ranges[:, 0] - 1e-6).all() and (p.expression <= ranges[:, 1] + 1e-6).all()
    d2 = np.abs(np.diff(p.expression.astype(float), 2, axis=0))
    blink = [NAMES.index("eye_blink_left"), NAMES.index("eye_blink_right")]
    assert np.delete(d2, blink, axis=1).max() < 0.35  # eased keys: no jumps
    assert d2[:, blink].max() < 1.0  # blinks are fast but each half spans >= 3 frames
    assert np.abs(np.diff(p.pose[:, :2].astype(float), 2, axis=0)).max() < 0.002  # slow head motion
    assert np.abs(np.diff(p.gaze.astype(float), 2, axis=0)).max() < 0.5  # saccades: bounded minimum-jerk
    assert (np.abs(np.degrees(p.gaze)) <= np.array([30.0, 22.0]) + 1e-3).all()
    assert p.segments and p.segments[0]["start"] == 0 and p.segments[-1]["end"] == 240


def test_talking_cycles_at_syllable_rate():
    p = make_performance(np.random.default_rng(2), NAMES, 300, 30.0, None, JOINTS, "talking")
    jaw = p.expression[:, 0]
    peaks = np.flatnonzero((jaw[1:-1] > jaw[:-2]) & (jaw[1:-1] >= jaw[2:]) & (jaw[1:-1] > 0.12))
    rate = len(peaks) / 10.0
    assert 1.5 < rate < 7.0


def test_smile_and_surprise_use_semantic_channels():
    s = make_performance(np.random.default_rng(3), NAMES, 90, 30.0, None, JOINTS, "smile")
    assert s.expression[:, NAMES.index("mouth_smile_left")].max() > 0.3
    u = make_performance(np.random.default_rng(3), NAMES, 90, 30.0, None, JOINTS, "surprise")
    assert u.expression[:, NAMES.index("brow_inner_up")].max() > 0.3


def test_name_dict_fallback_and_determinism():
    idx = {n: i for i, n in enumerate(NAMES)}
    a = make_performance(np.random.default_rng(5), idx, 60)
    b = make_performance(np.random.default_rng(5), list(NAMES), 60)
    np.testing.assert_array_equal(a.expression, b.expression)
    c = make_performance(np.random.default_rng(6), idx, 60)
    assert not np.array_equal(a.expression, c.expression)


def test_gaze_axis_angle_convention():
    aa = gaze_to_axis_angle(np.array([[0.3, 0.0], [0.0, 0.2]]))
    np.testing.assert_allclose(aa[0], [0, 0, 0.3], atol=1e-9)  # yaw about +Z
    np.testing.assert_allclose(aa[1], [-0.2, 0, 0], atol=1e-9)  # looking up: negative rotation about +X


def test_real_model_names(head_model):
    m = head_model
    p = make_performance(np.random.default_rng(0), m.expression_names, 120, 25.0, m.expression_ranges, m.joint_names)
    assert p.expression.shape == (120, m.n_expression) and p.pose.shape == (120, m.n_joints, 3)
    lo, hi = m.expression_ranges[:, 0], m.expression_ranges[:, 1]
    assert (p.expression >= lo - 1e-6).all() and (p.expression <= hi + 1e-6).all()
    assert p.expression[:, m.expression_index("jaw_open")].max() > 0 or p.segments


def test_bad_inputs():
    rng = np.random.default_rng(0)
    with pytest.raises(AssetInputError, match="n_frames"):
        make_performance(rng, NAMES, 0)
    with pytest.raises(ValueError, match="fps"):
        make_performance(rng, NAMES, 10, fps=-1)
    with pytest.raises(ValueError, match="kind"):
        make_performance(rng, NAMES, 10, kind="dance")
    with pytest.raises(ValueError, match="expression_ranges"):
        make_performance(rng, NAMES, 10, expression_ranges=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="unique"):
        make_performance(rng, ["a", "a"], 10)


def test_pick_frames_cover_the_whole_performance_with_expressive_frames():
    from synthetic.assets.performance import pick_frames

    expression = np.zeros((250, 4))
    expression[[10, 100, 240], 1] = [0.3, 0.5, 0.2]  # one peak per third
    assert pick_frames(3, expression).tolist() == [10, 100, 240]
    assert pick_frames(250, expression).tolist() == list(range(250))
    assert pick_frames(1, expression).tolist() == [100]
    with pytest.raises(ValueError, match="cannot pick 5 frames from a performance of 4"):
        pick_frames(5, expression[:4])


def test_picked_frames_blink_at_the_performances_own_rate():
    """Rendered frames are the most expressive of their bin; a blink must not count as expression,
    or most rendered frames show shut eyes (64 % did, against 5 % of the performance's time)."""
    from synthetic.assets.performance import blink_columns, pick_frames

    cols = blink_columns(NAMES)
    assert [NAMES[c] for c in cols] == ["eye_blink_left", "eye_blink_right"]
    shut_time, picked_old, picked_new = [], [], []
    for seed in range(40):
        p = make_performance(np.random.default_rng(seed), NAMES, 240, 30.0, None, JOINTS, "mixed")
        shut = p.expression[:, cols].max(1) > 0.5
        shut_time.append(shut.mean())
        picked_old.extend(shut[pick_frames(5, p.expression)])
        picked_new.extend(shut[pick_frames(5, p.expression, ignore=cols)])
    natural = float(np.mean(shut_time))
    assert 0.02 < natural < 0.12  # people blink every ~3 s, eyes shut ~5 % of the time
    assert np.mean(picked_old) > 0.3  # what counting blinks did: the measurement can fail
    assert np.mean(picked_new) < 2 * natural + 0.03


def test_resting_lids_lift_the_blink_columns_only():
    """An identity's resting lids hold the upper lid part-way down between blinks (the template's lids stare: the
    whole iris shows); a blink still closes the eye and nothing else moves."""
    from synthetic.assets.performance import blink_columns, rest_lids

    cols = blink_columns(NAMES)
    e = np.zeros((3, len(NAMES)))
    e[1, cols] = 1.0
    e[2, 0] = 0.7
    out = rest_lids(e, NAMES, 0.2)
    assert np.allclose(out[0, cols], 0.2) and np.allclose(out[1, cols], 1.0) and np.allclose(out[2, cols], 0.2)
    assert np.array_equal(np.delete(out, cols, axis=1), np.delete(e, cols, axis=1)) and e[0, cols].max() == 0
    a = make_performance(np.random.default_rng(3), NAMES, 120, 30.0, None, JOINTS, "mixed")
    b = make_performance(np.random.default_rng(3), NAMES, 120, 30.0, None, JOINTS, "mixed", lid_rest=0.2)
    assert np.allclose(b.expression[:, cols], 0.2 + 0.8 * a.expression[:, cols], atol=1e-6)
    assert np.array_equal(np.delete(b.expression, cols, axis=1), np.delete(a.expression, cols, axis=1))


def test_identities_rest_their_lids_from_their_own_stream(head_model):
    """Each identity draws its resting lids from its 'eyelids' stream (in defaults.LID_REST, varied across people);
    old parameter files without it rest at 0, as they were rendered."""
    from synthetic.assets import defaults as D
    from synthetic.assets.identity import IdentitySampler, lid_rest

    sampler = IdentitySampler(head_model)
    rests = [lid_rest(sampler.sample(seed)) for seed in range(12)]
    assert all(D.LID_REST[0] <= r <= D.LID_REST[1] for r in rests) and np.std(rests) > 0.03
    assert lid_rest(sampler.sample(4)) == rests[4]
    assert lid_rest({"eyelids": {"crease_mm": 6.0}}) == 0.0 and lid_rest({}) == 0.0
