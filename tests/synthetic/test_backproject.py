"""Texture back-projection on scenes where the answer is known.

A mesh with a UV atlas is painted with a known texture, rendered with the project's own numpy
rasteriser (perspective-correct UV lookup), and back-projected: covered texels must recover the
texture, hidden texels must stay uncovered, and what the cameras see must be covered.
"""

from __future__ import annotations

import numpy as np
import pytest

from synthetic.backproject import (
    BackprojectOptions,
    View,
    backproject,
    perspective_barycentrics,
    push_pull,
    rasterize_triangles,
    sample_bilinear,
    texel_surface,
    uv_to_raster,
)
from synthetic.camera_convert import intrinsics_from_fov, look_at_opencv_w2c
from synthetic.rig import project_points

RES = 64  # texture size
W, H = 96, 72  # image size


def uv_sphere(centre, radius, n_lat=16, n_lon=24, u_range=(0.0, 1.0)):
    """Vertices [V, 3], faces [F, 3], uv [V, 2] of a lat-long sphere mapped onto the UV box u_range x [0, 1]."""
    th = np.linspace(0.0, np.pi, n_lat + 1)
    ph = np.linspace(0.0, 2.0 * np.pi, n_lon + 1)
    t, p = np.meshgrid(th, ph, indexing="ij")
    unit = np.stack([np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)], -1).reshape(-1, 3)
    u0, u1 = u_range
    uv = np.stack([u0 + (u1 - u0) * p / (2 * np.pi), 1.0 - t / np.pi], -1).reshape(-1, 2)
    idx = np.arange((n_lat + 1) * (n_lon + 1)).reshape(n_lat + 1, n_lon + 1)
    a, b, c, d = idx[:-1, :-1], idx[:-1, 1:], idx[1:, :-1], idx[1:, 1:]
    faces = np.concatenate([np.stack([a, c, b], -1).reshape(-1, 3), np.stack([b, c, d], -1).reshape(-1, 3)])
    return np.asarray(centre) + radius * unit, faces, uv


def known_texture(res):
    """Smooth RGB pattern, row 0 = top (v = 1)."""
    u = (np.arange(res) + 0.5) / res
    v = 1.0 - u
    uu, vv = np.meshgrid(u, v)
    return np.stack([0.5 + 0.4 * np.sin(2 * np.pi * uu), 0.5 + 0.4 * np.cos(np.pi * vv), 0.3 + 0.5 * uu * vv], -1)


def render(verts, faces, uv, texture, K, w2c):
    """RGBA [H, W, 4]: perspective-correct UV interpolation, bilinear texture lookup, alpha = coverage."""
    xy, z = project_points(verts, K, w2c)
    face, bary, _ = rasterize_triangles(xy[faces], W, H, z[faces])
    img = np.zeros((H, W, 4))
    hit = face >= 0
    f = face[hit]
    b = perspective_barycentrics(bary[hit], z[faces[f]])
    pix_uv = np.einsum("nk,nkc->nc", b, uv[faces[f]])
    img[hit, :3] = sample_bilinear(texture, uv_to_raster(pix_uv, texture.shape[0]))
    img[hit, 3] = 1.0
    return img


def cameras_around(target, yaws_deg, pitch_deg=10.0, distance=0.6):
    K = intrinsics_from_fov(30.0, W, H)
    out = []
    for yaw in yaws_deg:
        y, p = np.radians(yaw), np.radians(pitch_deg)
        eye = np.asarray(target) + distance * np.array([np.sin(y) * np.cos(p), -np.cos(y) * np.cos(p), np.sin(p)])
        out.append((K, look_at_opencv_w2c(eye, target)))
    return out


def test_rasterizer_covers_a_split_square_once_and_keeps_the_nearest():
    sq = np.array([[[1.0, 1.0], [9.0, 1.0], [9.0, 7.0]], [[1.0, 1.0], [9.0, 7.0], [1.0, 7.0]]])
    face, bary, _ = rasterize_triangles(sq, 10, 8)
    covered = face >= 0
    # pixel centres x + 0.5 in [1, 9] and y + 0.5 in [1, 7] -> columns 1..8, rows 1..6
    expected = np.zeros((8, 10), bool)
    expected[1:7, 1:9] = True
    np.testing.assert_array_equal(covered, expected)
    np.testing.assert_allclose(bary[covered].sum(axis=1), 1.0)
    # two overlapping triangles: the nearer one wins everywhere they overlap
    tri = np.array([[[0.0, 0.0], [10.0, 0.0], [0.0, 8.0]], [[0.0, 0.0], [10.0, 0.0], [0.0, 8.0]]])
    face, _, depth = rasterize_triangles(tri, 10, 8, np.array([[2.0, 2.0, 2.0], [1.0, 1.0, 1.0]]))
    assert set(np.unique(face[face >= 0])) == {1}
    np.testing.assert_allclose(depth[face >= 0], 1.0)


def test_push_pull_fills_holes_and_keeps_known_texels():
    rng = np.random.default_rng(0)
    color = rng.random((32, 32, 3))
    weight = (rng.random((32, 32)) > 0.7).astype(float)
    filled = push_pull(color * weight[..., None], weight)
    np.testing.assert_allclose(filled[weight > 0], color[weight > 0])
    assert np.all(filled[weight == 0].sum(axis=-1) > 0)  # no black holes


def test_recovers_known_texture_on_covered_texels():
    verts, faces, uv = uv_sphere((0.0, 0.0, 0.0), 0.1)
    tex = known_texture(RES)
    cams = cameras_around((0, 0, 0), range(0, 360, 45))
    views = [View(render(verts, faces, uv, tex, K, w2c), K, w2c) for K, w2c in cams]
    out, mask = backproject(verts, faces, uv, faces, views, RES)
    assert out.shape == (RES, RES, 3) and mask.shape == (RES, RES)
    assert mask.mean() > 0.7
    assert np.abs(out[mask] - tex[mask]).mean() < 0.02
    assert np.all(np.isfinite(out)) and np.all(out[~mask].sum(axis=-1) > 0)  # holes are filled


def test_back_and_occluded_texels_are_not_covered_but_visible_ones_are():
    # sphere A (u in [0, 0.5]) at the origin, sphere B (u in [0.5, 1]) right in front of it (-Y), smaller
    va, fa, uva = uv_sphere((0.0, 0.0, 0.0), 0.1, u_range=(0.0, 0.5))
    vb, fb, uvb = uv_sphere((0.0, -0.2, 0.0), 0.05, u_range=(0.5, 1.0))
    verts = np.concatenate([va, vb])
    faces = np.concatenate([fa, fb + len(va)])
    uv = np.concatenate([uva, uvb])
    tex = known_texture(RES)
    cams = cameras_around((0.0, 0.0, 0.0), [0.0], pitch_deg=0.0, distance=0.6)  # one view from the front
    views = [View(render(verts, faces, uv, tex, K, w2c), K, w2c) for K, w2c in cams]
    out, mask = backproject(verts, faces, uv, faces, views, RES)
    surf = texel_surface(verts, faces, uv, faces, RES)
    K, w2c = cams[0]
    centre = -w2c[:3, :3].T @ w2c[:3, 3]
    on_a = surf.face < len(fa)
    covered = mask[surf.rows, surf.cols]
    # back of sphere A: never covered
    assert not np.any(covered[on_a & (surf.normals[:, 1] > 0.1)])
    # front of sphere A hidden behind sphere B (the ray to the camera passes through B): not covered
    d = centre - surf.points
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    rel = np.array([0.0, -0.2, 0.0]) - surf.points
    dist_to_b = np.linalg.norm(rel - np.einsum("nc,nc->n", rel, d)[:, None] * d, axis=1)
    facing = np.einsum("nc,nc->n", surf.normals, d) > 0.3
    hidden = on_a & facing & (dist_to_b < 0.05 * 0.8)
    assert hidden.sum() > 20
    assert not np.any(covered[hidden])
    # the visible front of both spheres (facing well, clear line of sight): covered, with the right colour
    seen = facing & (np.einsum("nc,nc->n", surf.normals, d) > 0.5) & (~on_a | (dist_to_b > 0.05 * 1.3))
    assert covered[seen].mean() > 0.97
    rows, cols = surf.rows[seen & covered], surf.cols[seen & covered]
    assert np.abs(out[rows, cols] - tex[rows, cols]).mean() < 0.03


def test_background_alpha_is_ignored():
    verts, faces, uv = uv_sphere((0.0, 0.0, 0.0), 0.1)
    tex = known_texture(RES)
    (K, w2c), = cameras_around((0, 0, 0), [0.0])
    img = render(verts, faces, uv, tex, K, w2c)
    img[:, : W // 2, 3] = 0.0  # left half of the image is background
    _, mask_half = backproject(verts, faces, uv, faces, [View(img, K, w2c)], RES)
    img[:, :, 3] = 1.0
    _, mask_full = backproject(verts, faces, uv, faces, [View(img, K, w2c)], RES)
    assert 0.3 < mask_half.sum() / mask_full.sum() < 0.7
    assert not np.any(mask_half & ~mask_full)


@pytest.mark.parametrize("scale", [1.0, 0.5])
def test_depth_scale_does_not_change_coverage_much(scale):
    verts, faces, uv = uv_sphere((0.0, 0.0, 0.0), 0.1)
    tex = known_texture(RES)
    views = [View(render(verts, faces, uv, tex, K, w2c), K, w2c) for K, w2c in cameras_around((0, 0, 0), [0, 120])]
    _, ref = backproject(verts, faces, uv, faces, views, RES, BackprojectOptions(depth_scale=1.0))
    _, got = backproject(verts, faces, uv, faces, views, RES, BackprojectOptions(depth_scale=scale))
    assert np.mean(ref != got) < 0.01


def test_weight_is_the_best_views_cosine_cubed_and_zero_where_unseen():
    verts, faces, uv = uv_sphere((0.0, 0.0, 0.0), 0.1)
    tex = known_texture(RES)
    cams = cameras_around((0, 0, 0), [0.0, 90.0], pitch_deg=0.0)
    views = [View(render(verts, faces, uv, tex, K, w2c), K, w2c) for K, w2c in cams]
    no_edge = BackprojectOptions(trust_edge_px=0.0)
    out, mask, weight = backproject(verts, faces, uv, faces, views, RES, no_edge, with_weight=True)
    ref_out, ref_mask = backproject(verts, faces, uv, faces, views, RES)
    np.testing.assert_array_equal(mask, ref_mask)  # asking for the weight changes nothing else
    np.testing.assert_allclose(out, ref_out)
    assert np.all(weight[~mask] == 0) and np.all(weight[mask] > 0) and weight.max() <= 1.0
    surf = texel_surface(verts, faces, uv, faces, RES)
    cos = np.max([np.einsum("nc,nc->n", surf.normals, (-w2c[:3, :3].T @ w2c[:3, 3]) - surf.points)
                  / np.linalg.norm((-w2c[:3, :3].T @ w2c[:3, 3]) - surf.points, axis=1) for _, w2c in cams], axis=0)
    got = weight[surf.rows, surf.cols]
    seen = mask[surf.rows, surf.cols] & (cos > 0.2)
    np.testing.assert_allclose(got[seen], cos[seen] ** 3, atol=0.02)  # texel normals vs the mesh's: a small gap
    assert got[seen & (cos > 0.95)].min() > 0.8 and got[seen & (cos < 0.4)].max() < 0.1


def test_weight_ramps_up_from_the_foregrounds_outline_and_leaves_colour_and_mask_alone():
    verts, faces, uv = uv_sphere((0.0, 0.0, 0.0), 0.1)  # ~22 px radius in the 96 x 72 images
    tex = known_texture(RES)
    K, w2c = cameras_around((0, 0, 0), [0.0], pitch_deg=0.0)[0]
    views = [View(render(verts, faces, uv, tex, K, w2c), K, w2c)]
    _, _, plain = backproject(verts, faces, uv, faces, views, RES, BackprojectOptions(trust_edge_px=0.0), True)
    out, mask, weight = backproject(verts, faces, uv, faces, views, RES, BackprojectOptions(trust_edge_px=8.0), True)
    ref_out, ref_mask = backproject(verts, faces, uv, faces, views, RES, BackprojectOptions(trust_edge_px=0.0))
    np.testing.assert_array_equal(mask, ref_mask)
    np.testing.assert_allclose(out, ref_out)
    assert np.all(weight <= plain + 1e-12)
    surf = texel_surface(verts, faces, uv, faces, RES)
    xy, _ = project_points(surf.points, K, w2c)
    from_centre = np.linalg.norm(xy - project_points(np.zeros((1, 3)), K, w2c)[0], axis=1)
    seen = mask[surf.rows, surf.cols]
    ratio = weight[surf.rows, surf.cols][seen] / plain[surf.rows, surf.cols][seen]
    radius = from_centre[seen].max()
    assert np.all(ratio[from_centre[seen] < radius - 10] == 1.0)  # well inside: cos ** 3 as before
    outline = from_centre[seen] > radius - 2
    assert outline.sum() > 10 and ratio[outline].max() <= 0.5  # within 2 px of the outline: at most half
    assert np.all(np.diff([ratio[(from_centre[seen] > r - 2) & (from_centre[seen] <= r)].mean()
                           for r in (radius - 8, radius - 4, radius)]) < 0)  # growing inwards
