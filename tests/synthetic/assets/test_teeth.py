"""Per-identity teeth: parameters change the geometry where they should, lower teeth follow the jaw."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from synthetic.assets.teeth import TeethParams, sample_teeth, teeth_offsets

PLAIN = TeethParams(scale=1.0, incisor_length=1.0, gap_mm=0.0, crowding=0.0, shade=0.2, recession_mm=0.0,
                    tongue_rgb=[0.6, 0.25, 0.25], mouth_rgb=[0.3, 0.07, 0.07], gums_rgb=[0.7, 0.3, 0.3],
                    jitter_seed=1)


@pytest.fixture(scope="module")
def rest(head_model):
    return head_model.vertices(head_model.sample_shape(np.random.default_rng(2)))


def _tooth(model, rest, offsets, name):
    return (rest + offsets)[model.part_vertices(name)]


def test_plain_teeth_are_the_template_and_only_teeth_and_gums_move(head_model, rest):
    assert np.abs(teeth_offsets(head_model, rest, PLAIN)).max() < 1e-12
    params = dataclasses.replace(PLAIN, scale=1.06, crowding=0.8, gap_mm=1.5, recession_mm=1.0)
    off = teeth_offsets(head_model, rest, params)
    moved = np.flatnonzero(np.abs(off).max(1) > 1e-9)
    mouth = np.concatenate([head_model.part_vertices(n) for n in head_model.part_names
                            if n.startswith(("tooth_", "gums_"))])
    assert len(moved) > 100 and set(moved) <= set(mouth.tolist())
    assert np.abs(off).max() < 3e-3  # millimetres, not centimetres


def test_each_parameter_changes_the_teeth_as_named(head_model, rest):
    m = head_model
    base = teeth_offsets(m, rest, PLAIN)
    # size: every crown grows about its neck
    big = teeth_offsets(m, rest, dataclasses.replace(PLAIN, scale=1.08))
    for name in ("tooth_upper_left_0", "tooth_lower_right_4"):
        a, b = _tooth(m, rest, base, name), _tooth(m, rest, big, name)
        assert np.ptp(b, 0).max() == pytest.approx(1.08 * np.ptp(a, 0).max(), rel=0.02)
    # gap: the upper central incisors move apart by the gap
    gap = teeth_offsets(m, rest, dataclasses.replace(PLAIN, gap_mm=1.5))
    width = [(_tooth(m, rest, o, "tooth_upper_left_0")[:, 0].min() - _tooth(m, rest, o, "tooth_upper_right_0")[:, 0].max())
             for o in (base, gap)]  # fmt: skip
    assert width[1] - width[0] == pytest.approx(1.5e-3, abs=1e-5)
    # incisor length: front crowns longer, molars unchanged
    long = teeth_offsets(m, rest, dataclasses.replace(PLAIN, incisor_length=1.1))
    assert np.ptp(_tooth(m, rest, long, "tooth_upper_left_1")[:, 2]) > 1.05 * np.ptp(
        _tooth(m, rest, base, "tooth_upper_left_1")[:, 2])
    assert np.allclose(_tooth(m, rest, long, "tooth_upper_left_5"), _tooth(m, rest, base, "tooth_upper_left_5"))
    # crowding: front teeth turn and stagger, more than the molars
    crowd = teeth_offsets(m, rest, dataclasses.replace(PLAIN, crowding=1.0))
    front = [np.abs(crowd[m.part_vertices(f"tooth_lower_{s}_{i}")]).max() for s in ("left", "right") for i in (0, 1, 2)]
    back = [np.abs(crowd[m.part_vertices(f"tooth_lower_{s}_{i}")]).max() for s in ("left", "right") for i in (4, 5)]
    assert np.mean(front) > 2 * np.mean(back) and np.mean(front) > 2e-4
    # recession: the upper gum line moves up, the lower one down
    rec = teeth_offsets(m, rest, dataclasses.replace(PLAIN, recession_mm=1.0))
    assert rec[m.part_vertices("gums_upper"), 2].min() == pytest.approx(1e-3)
    assert rec[m.part_vertices("gums_lower"), 2].max() == pytest.approx(-1e-3)


def test_lower_teeth_follow_the_jaw_with_their_offsets(head_model, rest):
    m = head_model
    shape = m.sample_shape(np.random.default_rng(2))
    off = teeth_offsets(m, rest, dataclasses.replace(PLAIN, crowding=1.0, scale=1.05))
    expr = m.expression_vector(jaw_open=0.8)
    with_off, without = m.vertices(shape, expr, rest_offsets=off), m.vertices(shape, expr)
    ids = m.part_vertices("tooth_lower_left_0")
    rot = m.rotations(None, expr)[m.joint_index("jaw")]  # its parents (neck, head) are not posed here
    assert np.allclose(with_off[ids] - without[ids], off[ids] @ rot.T, atol=2e-6)
    upper = m.part_vertices("tooth_upper_left_0")
    assert np.allclose(with_off[upper] - without[upper], off[upper], atol=1e-9)  # the head does not move
    with pytest.raises(ValueError, match="rest_offsets"):
        m.vertices(shape, expr, rest_offsets=off[:10])


def test_sampling_is_deterministic_and_ages_the_teeth():
    a = sample_teeth(np.random.default_rng(4), 30.0)
    assert a == sample_teeth(np.random.default_rng(4), 30.0)
    assert TeethParams.from_json(a.to_json()) == a
    young = [sample_teeth(np.random.default_rng(s), 22.0) for s in range(200)]
    old = [sample_teeth(np.random.default_rng(s), 72.0) for s in range(200)]
    assert np.mean([t.shade for t in old]) > np.mean([t.shade for t in young]) + 0.3
    assert np.mean([t.recession_mm for t in old]) > 0.4 > np.mean([t.recession_mm for t in young])
    assert 0.05 < np.mean([t.gap_mm > 0 for t in young]) < 0.25  # a diastema is the exception
    assert 0.3 < np.mean([t.crowding > 0 for t in young]) < 0.6


def test_inner_lip_stays_inside_the_mouth_corners(head_model):
    """Identity shapes can carry the inner lip and the mouth bag out past the closed lips' corners (a pink-red tip
    beside each corner in renders); the commissure offsets pull them back inside and touch nothing else."""
    from synthetic.assets.teeth import COMMISSURE_DEPTH, COMMISSURE_MARGIN, commissure_offsets

    m = head_model
    inner = np.unique(np.concatenate([m.ring("mouth", r) for r in ("bag_rim", "inner2", "inner1")]
                                     + [m.part_vertices("mouth_bag")]))
    assert np.abs(commissure_offsets(m, m.vertices())).max() < 0.0015  # the template barely moves

    def worst_excess(v):
        corners = v[m.ring("mouth", "contact")]
        out = 0.0
        for side in (1.0, -1.0):
            c = corners[np.argmax(side * corners[:, 0])]
            p = v[inner]
            near = (p[:, 1] - c[1] < 0.5 * COMMISSURE_DEPTH) & (side * p[:, 0] > 0)
            out = max(out, float((side * p[near, 0] - (side * c[0] - COMMISSURE_MARGIN)).max()))
        return out

    before = []
    for seed in range(8):
        v = m.vertices(m.sample_shape(np.random.default_rng(seed)))
        off = commissure_offsets(m, v)
        before.append(worst_excess(v))
        assert worst_excess(v + off) < 1e-9
        moved = np.flatnonzero(np.abs(off).max(1) > 0)
        assert np.isin(moved, inner).all() and np.abs(off[:, 1:]).max() == 0.0  # medially only, inner lip only
    assert max(before) > 0.001  # some shapes do poke out: the check can fail
