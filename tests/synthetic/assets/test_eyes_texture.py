"""Eyes in the skin texture: the sclera yellows with age, a wet tear strip runs along each lower lid and a lash line
along each upper one."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def young_old(aged_textures):
    return aged_textures(8, 512, (25.0, 75.0))[:3]


def test_sclera_yellows_with_age(young_old, head_model):
    tex, (pos, masks), _ = young_old
    sclera = (masks["eyes"] > 0.5) & (masks["iris"] < 0.5) & (masks["pupil"] < 0.5)
    assert sclera.sum() > 200
    young, old = tex[25.0].albedo[sclera].mean(0), tex[75.0].albedo[sclera].mean(0)
    assert old[2] / old[0] < young[2] / young[0] - 0.05  # less blue against red: yellower
    assert young[2] / young[0] > 0.75  # a young sclera is near white


def test_a_wet_strip_runs_along_each_lower_lid(young_old, head_model):
    tex, (pos, masks), verts = young_old
    rough = tex[25.0].roughness
    covered = np.zeros(pos.shape[:2], bool)
    for m in masks.values():
        covered |= m > 0
    for eye in ("eye_left", "eye_right"):
        ids = head_model.ring(eye, "margin")
        lower, upper = verts[ids[len(ids) // 2:]], verts[ids[: len(ids) // 2]]
        for line, wet in ((lower, True), (upper, False)):
            d = np.min(np.linalg.norm(pos[..., None, :] - line[None, None], axis=-1), axis=-1)
            near = covered & (d < 0.0005)
            assert near.sum() >= 5, eye
            if wet:
                assert np.median(rough[near]) < 0.1, (eye, np.median(rough[near]))
            else:
                assert np.median(rough[near]) > 0.2, (eye, np.median(rough[near]))


def test_the_caruncle_is_pink_and_wet(young_old, head_model):
    """The lid's inner wall at each inner corner (the caruncle) is redder than the cheek and glossy; skin 10 mm away
    is untouched by it."""
    from synthetic.assets.texture import caruncle_zone

    tex, (pos, masks), verts = young_old
    t = tex[25.0]
    covered = masks["face"] > 0.5
    for eye in ("eye_left", "eye_right"):
        ids = head_model.ring(eye, "inner")
        corner = verts[ids[np.argmin(np.abs(verts[ids, 0]))]]  # the inner ring's nasal end, on the lid's inner wall
        d = np.linalg.norm(pos - corner, axis=-1)
        near = covered & (d < 0.0012)
        cheek = covered & (np.abs(d - 0.025) < 0.002) & (pos[..., 2] < corner[2] - 0.01)
        assert near.sum() >= 3 and cheek.sum() >= 20, eye
        red = lambda sel: (t.albedo[sel][:, 0] / t.albedo[sel][:, 1]).mean()  # noqa: E731
        assert red(near) > red(cheek) + 0.15, (eye, red(near), red(cheek))
        assert np.median(t.roughness[near]) < 0.25
    lids = [verts[head_model.ring(e, "margin")] for e in ("eye_left", "eye_right")]
    far = np.array([[0.0, -0.09, 0.05], [0.06, -0.05, -0.04]])
    assert np.all(caruncle_zone(far, [lid[np.argsort(np.abs(lid[:, 0]))] for lid in lids]) < 1e-3)


def test_the_upper_lash_line_is_darker_than_the_lid(young_old, head_model):
    """The lash roots darken a band along each upper lid margin (photos show a lash line; 0.1 mm strands alone are
    sub-pixel at the sizes rendered): skin within 0.4 mm of the margin is under 3/4 as bright as the lid 2.5-3.5 mm
    above it, and the band has faded 3 mm away."""
    from synthetic.assets.texture import LASH_LINE_DARKNESS, LASH_LINE_WIDTH_M

    tex, (pos, masks), verts = young_old
    albedo = tex[25.0].albedo @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    skin = (masks["face"] > 0.5) & (masks["eyes"] < 0.5)
    for eye in ("eye_left", "eye_right"):
        ids = head_model.ring(eye, "margin")
        upper = verts[ids[: len(ids) // 2]]
        d = np.min(np.linalg.norm(pos[..., None, :] - upper[None, None], axis=-1), axis=-1)
        line, lid = skin & (d < 0.0004), skin & (np.abs(d - 0.003) < 0.0005) & (pos[..., 2] > upper[:, 2].min())
        assert line.sum() >= 5 and lid.sum() >= 5, (eye, line.sum(), lid.sum())
        ratio = albedo[line].mean() / albedo[lid].mean()
        assert ratio < 0.75, (eye, ratio)
    assert LASH_LINE_DARKNESS * np.exp(-0.5 * (0.003 / LASH_LINE_WIDTH_M) ** 2) < 0.01


def test_the_lids_inner_wall_is_pink_mucosa_and_the_skin_outside_is_not(young_old, head_model):
    """The waterline (the lids' inner wall, from the margin in onto the eye) is redder than the lid skin 2-3 mm
    outside the margin; :func:`waterline_zone` is 1 on the inner rings and 0 on that skin."""
    from synthetic.assets.texture import waterline_zone

    tex, (pos, masks), verts = young_old
    t = tex[25.0]
    face = (masks["face"] > 0.5) & (masks["eyes"] < 0.5)
    margins, centres = [], []
    for eye in ("eye_left", "eye_right"):
        margins.append(verts[head_model.ring(eye, "margin")])
        centres.append(verts[head_model.part_vertices(f"eyeball_{eye[4:]}")].mean(0))
    for margin, centre in zip(margins, centres):
        dist = lambda pts: np.min(np.linalg.norm(pts[..., None, :] - margin, axis=-1), axis=-1)  # noqa: E731
        d = dist(pos)
        r = np.linalg.norm(pos - centre, axis=-1)
        wall = face & (d > 0.0008) & (d < 0.002) & (r < np.linalg.norm(margin - centre, axis=1).min())
        skin = face & (np.abs(d - 0.0025) < 0.0005) & (r > np.linalg.norm(margin - centre, axis=1).max())
        assert wall.sum() >= 5 and skin.sum() >= 20, (wall.sum(), skin.sum())
        red = lambda sel: (t.albedo[sel][:, 0] / t.albedo[sel][:, 1]).mean()  # noqa: E731
        assert red(wall) > red(skin) + 0.08, (red(wall), red(skin))
    inner_pts = np.concatenate([verts[head_model.ring(e, "margin_inner")] for e in ("eye_left", "eye_right")])
    assert np.median(waterline_zone(inner_pts, margins, centres)) > 0.9
    outside = np.concatenate([m + 0.004 * (m - c) / np.linalg.norm(m - c, axis=1, keepdims=True)
                              for m, c in zip(margins, centres)])
    assert np.all(waterline_zone(outside, margins, centres) == 0)


def test_the_caruncle_keeps_its_own_pigment_and_both_mucosae_are_wet():
    """The lids' inner wall and the caruncle overlap at the inner corner: the wall's pigment weight falls to 0
    where the caruncle is full (its melanin was once cut twice there, -1.0 instead of the caruncle's -0.6) and is
    the wall's own away from it; the wet weight is the larger of the two."""
    from synthetic.assets.texture import mucosa_weights

    wall_zone = np.array([1.0, 1.0, 1.0, 0.0, 0.3], np.float32)
    caruncle = np.array([1.0, 0.0, 0.5, 1.0, 0.0], np.float32)
    pigment, wet = mucosa_weights(wall_zone, caruncle)
    np.testing.assert_allclose(pigment, [0.0, 1.0, 0.5, 0.0, 0.3])
    np.testing.assert_allclose(wet, [1.0, 1.0, 1.0, 1.0, 0.3])
