"""Head-hair styles: shapes, counts, collisions, drape, determinism."""

import numpy as np
import pytest

import _assets_standin as standin
from synthetic.assets import STYLE_NAMES, AssetInputError, grow_hair, sample_hair, sample_hair_colour

N = 400


def _grow(surface, style, seed=0, n=N):
    rng = np.random.default_rng(seed)
    hp = sample_hair(rng, "female", sample_hair_colour(rng, 3, 35), style)
    return hp, grow_hair(surface, hp, n, rng)


def test_at_least_ten_styles():
    assert len(STYLE_NAMES) >= 10
    for name in ("bald", "buzz", "short", "side_part", "medium", "long_straight", "wavy", "curly", "receding"):
        assert name in STYLE_NAMES
    assert "ponytail" in STYLE_NAMES or "bun" in STYLE_NAMES


@pytest.mark.parametrize("style", STYLE_NAMES)
def test_style_shapes_and_outside_head(standin_surface, style):
    hp, s = _grow(standin_surface, style)
    if style == "bald":
        assert s.count == 0 and s.points.shape[0] == 0
        return
    p = s.points
    assert p.ndim == 3 and p.shape[0] == N and p.shape[2] == 3 and p.dtype == np.float32
    assert s.radius.shape == p.shape[:2] and (s.radius > 0).all() and (s.radius < 1e-4).all()
    assert s.root_normal.shape == (N, 3) and np.allclose(np.linalg.norm(s.root_normal, axis=1), 1, atol=1e-5)
    assert s.melanin.shape == (N,) and (s.melanin >= 0).all() and (s.melanin <= 1).all()
    assert np.isfinite(p).all()
    # roots sit on the scalp: a triangle with scalp weight, so one of the 3 nearest vertices has weight > 0
    d2 = ((p[:, 0, None, :] - standin_surface.vertices[None]) ** 2).sum(-1)
    near3 = np.argpartition(d2, 3, axis=1)[:, :3]
    assert (standin_surface.region("scalp")[near3].max(1) > 0).all()
    # no point after the root is inside the head (exact analytic test; the neck cut is an open edge)
    body = p[:, 1:].reshape(-1, 3)
    body = body[body[:, 2] > -0.18]
    assert not standin.inside(body, tol=1e-4).any()
    lengths = s.lengths()
    helix = np.sqrt(1 + (2 * np.pi * hp.curl_radius / hp.curl_period) ** 2)  # arc length gained by curls
    assert np.percentile(lengths, 99) <= hp.length * helix * 1.5 + 0.01


def test_long_hair_falls_down_and_clears_body(standin_surface):
    _, s = _grow(standin_surface, "long_straight", n=600)
    tips, roots = s.points[:, -1], s.points[:, 0]
    assert np.mean(tips[:, 2] < roots[:, 2] - 0.1) > 0.8  # hangs down
    field = standin_surface.collision(body=True, keep_out=False)
    assert field.signed_distance(s.points[:, 1:].reshape(-1, 3)).min() > -5e-4  # not through shoulders/torso


def test_hair_frames_the_face(standin_surface):
    _, s = _grow(standin_surface, "long_straight", n=600)
    loc = standin_surface.landmarks.to_local(s.points.reshape(-1, 3))
    in_front = (np.abs(loc[:, 0]) < 35) & (loc[:, 1] > 5) & (loc[:, 2] < 0) & (loc[:, 2] > -100)
    assert in_front.mean() < 0.002


def test_same_rng_same_strands_and_counts_scale(standin_surface):
    _, a = _grow(standin_surface, "wavy", seed=5)
    _, b = _grow(standin_surface, "wavy", seed=5)
    _, c = _grow(standin_surface, "wavy", seed=6)
    np.testing.assert_array_equal(a.points, b.points)
    assert not np.array_equal(a.points, c.points)
    _, big = _grow(standin_surface, "short", n=2000)
    assert big.count == 2000


def test_receding_has_fewer_roots_at_temples(standin_surface):
    def temple_share(style, recession):
        rng = np.random.default_rng(2)
        hp = sample_hair(rng, "male", sample_hair_colour(rng, 2, 50), style)
        hp.recession, hp.crown_thinning = recession, 0.0
        s = grow_hair(standin_surface, hp, 1500, rng)
        loc = standin_surface.landmarks.to_local(s.points[:, 0])
        return np.mean((loc[:, 1] > -15) & (np.abs(loc[:, 0]) > 20))

    assert temple_share("receding", 1.0) < 0.5 * temple_share("receding", 0.0) + 1e-3


def test_bad_inputs(standin_surface):
    rng = np.random.default_rng(0)
    colour = sample_hair_colour(rng, 2, 30)
    with pytest.raises(ValueError, match="hair style"):
        sample_hair(rng, "female", colour, "mohawk")
    with pytest.raises(AssetInputError, match="sex"):
        sample_hair(rng, "robot", colour)
    hp = sample_hair(rng, "female", colour, "short")
    with pytest.raises(AssetInputError, match="n_strands"):
        grow_hair(standin_surface, hp, -5, rng)
    with pytest.raises(AssetInputError, match="rng"):
        grow_hair(standin_surface, hp, 10, 42)


def _inside_by_rays(surface, p):
    """Majority vote of ray-crossing parity along 5 directions (independent of the SDF under test)."""
    v, f = surface.vertices, surface.faces
    a, e1, e2 = v[f[:, 0]], v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]]
    votes = 0
    for d in np.array([[1, 0.1, 0.05], [-1, 0.07, 0.1], [0.05, 0.1, 1], [0.1, 1, 0.05], [0.08, -0.05, -1.0]]):
        d = d / np.linalg.norm(d)
        h = np.cross(d, e2)
        det = (e1 * h).sum(1)
        inv = 1 / np.where(np.abs(det) > 1e-15, det, np.inf)
        sv = p - a
        u = (sv * h).sum(1) * inv
        q = np.cross(sv, e1)
        w = (q @ d) * inv
        t = (e2 * q).sum(1) * inv
        votes += int(((u >= 0) & (w >= 0) & (u + w <= 1) & (t > 1e-9)).sum() % 2)
    return votes >= 3


def test_real_head_styles_stay_outside(real_surface):
    """Every non-root point is outside the real head: the grid SDF says so; where a finer grid
    disagrees (folds behind the ears), ray parity decides, with 1 mm tolerance in those folds."""
    from synthetic.assets import MeshSDF

    fine = MeshSDF.build(real_surface.vertices, real_surface.faces, real_surface.normals, voxel=0.0025)
    for style in ("long_straight", "curly", "ponytail", "buzz"):
        _, s = _grow(real_surface, style, n=500)
        pts = s.points[:, 1:].reshape(-1, 3).astype(float)
        pts = pts[pts[:, 2] > real_surface.neck_base[2] + 0.015]
        assert real_surface.sdf.signed_distance(pts).min() > -1e-4, style
        fd = fine.signed_distance(pts)
        suspects = np.flatnonzero(fd < -2e-4)
        assert len(suspects) < 0.001 * len(pts) + 5, style
        inside = [i for i in suspects if _inside_by_rays(real_surface, pts[i]) and fd[i] < -1e-3]
        # known limitation: the collision grid cannot hold the ear's thin folds and the gap behind it, so a strand
        # may cross an ear's rim or root (0-2 points in 31k on seeds 0-2 with either template since 2026-12-05;
        # generator 9, long straight 3 / 0 / 1 points of ~9k on seeds 0-2, every other style 0; generator 10's
        # identity basis draws this test's head 112 mm across above the ears, and long straight leaves 5 points
        # within 8 mm of its ear, 4-6 mm deep: 9 before the ears' buried roots left the collision surface); nowhere
        # else (generator 9 before the grid's far signs came from ray parity: a point 12 mm inside the face in front
        # of the ear, where the nearest surface was the ear's shell and the grid read "outside")
        ear = real_surface.vertices[real_surface.region("ears") > 0.5]
        ears = [i for i in inside if np.linalg.norm(ear - pts[i], axis=1).min() < 0.010]
        assert len(ears) == len(inside) and len(inside) <= 6, (style, (pts[inside] * 1000).round(1))
