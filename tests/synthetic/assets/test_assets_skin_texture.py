"""Skin tone sampling and procedural UV textures."""


import numpy as np
import pytest

from synthetic.assets import (AssetInputError, FaceExtras, make_textures, sample_hair_colour, sample_iris,
                              sample_skin)


def _luminance(rgb):
    return np.asarray(rgb) @ np.array([0.2126, 0.7152, 0.0722])


def test_skin_tones_span_light_to_dark_and_follow_types():
    lum, itas = {}, {}
    for fz in range(1, 7):
        samples = [sample_skin(np.random.default_rng(100 * fz + k), fz) for k in range(8)]
        lum[fz] = np.mean([_luminance(s.base_rgb) for s in samples])
        itas[fz] = [s.ita for s in samples]
    assert lum[1] > 0.35 and lum[6] < 0.1  # linear luminance: pale to very dark
    assert all(lum[k] > lum[k + 1] for k in range(1, 6))
    assert min(itas[1]) > 45 and max(itas[6]) < -20
    mixed = [sample_skin(np.random.default_rng(k)).fitzpatrick for k in range(120)]
    assert set(mixed) == {1, 2, 3, 4, 5, 6}


def test_texture_shapes_ranges_and_regions(standin_maps, standin_head):
    pos, masks = standin_maps
    rng = np.random.default_rng(4)
    skin = sample_skin(rng, 2)
    extras = FaceExtras(hair_rgb=sample_hair_colour(rng, 2, 30).preview_rgb, iris=sample_iris(rng, 2, "blue"))
    tex = make_textures(skin, pos, masks, standin_head.landmarks, extras)
    h, w = pos.shape[:2]
    assert tex.albedo.shape == (h, w, 3) and tex.albedo.dtype == np.float32
    assert tex.roughness.shape == (h, w) and tex.specular.shape == (h, w)
    for m in (tex.albedo, tex.roughness, tex.specular):
        assert np.isfinite(m).all() and m.min() >= 0 and m.max() <= 1
    assert tex.albedo_srgb8().dtype == np.uint8

    def redness(mask):
        a = tex.albedo[mask]
        return np.mean(a[:, 0] / np.maximum(a[:, 1], 1e-6))

    lips = masks["lips"] > 0.9
    lm = standin_head.landmarks
    loc = lm.to_local(pos.reshape(-1, 3)).reshape(h, w, 3)
    cheeks = (masks["face"] > 0.9) & (np.abs(np.abs(loc[..., 0]) - 40) < 8) & (np.abs(loc[..., 2] + 32) < 8)
    assert lips.sum() > 10 and cheeks.sum() > 10
    assert redness(lips) > redness(cheeks) * 1.05
    eyes = masks["eyes"] > 0.9
    assert tex.albedo[eyes].max() > 0.6  # sclera is painted
    assert tex.roughness[lips].mean() < tex.roughness[masks["face"] > 0.9].mean()


def test_dark_skin_s_lips_are_not_paler_than_its_cheeks(standin_maps, standin_head):
    """Lips are darker (albedo luminance) than the cheeks for every skin type, and fair lips redder: one lip-melanin
    range for all types left Fitzpatrick 6 lips up to 1.4 times as light as the cheeks (5 of 8 seeds lighter), pale
    salmon on a dark face. (Dark lips are brown-mauve: by red/green no redder than melanin-rich cheeks.)"""
    pos, masks = standin_maps
    h, w = pos.shape[:2]
    loc = standin_head.landmarks.to_local(pos.reshape(-1, 3)).reshape(h, w, 3)
    lips = masks["lips"] > 0.9
    cheeks = (masks["face"] > 0.9) & (np.abs(np.abs(loc[..., 0]) - 40) < 8) & (np.abs(loc[..., 2] + 32) < 8)
    for fz in (1, 5, 6):
        for k in range(8):
            tex = make_textures(sample_skin(np.random.default_rng(50 + k), fz), pos, masks, standin_head.landmarks)
            lum_lips, lum_cheeks = _luminance(tex.albedo[lips]).mean(), _luminance(tex.albedo[cheeks]).mean()
            red = lambda m: np.mean(tex.albedo[m][:, 0] / np.maximum(tex.albedo[m][:, 1], 1e-6))  # noqa: E731
            assert fz > 1 or red(lips) > red(cheeks), (fz, k)
            assert lum_lips < 0.95 * lum_cheeks, (fz, k, lum_lips / lum_cheeks)


def test_same_seed_same_texture(standin_maps, standin_head):
    pos, masks = standin_maps
    a = make_textures(sample_skin(np.random.default_rng(9)), pos, masks, standin_head.landmarks)
    b = make_textures(sample_skin(np.random.default_rng(9)), pos, masks, standin_head.landmarks)
    c = make_textures(sample_skin(np.random.default_rng(10)), pos, masks, standin_head.landmarks)
    np.testing.assert_array_equal(a.albedo, b.albedo)
    assert not np.array_equal(a.albedo, c.albedo)


def test_texture_1024_full_coverage(standin_head):
    """The full-size texture on a 100 %-covered atlas (its speed is measured in bench/, not here)."""
    import _assets_standin as standin

    pos, masks = standin.uv_maps(1024)
    skin = sample_skin(np.random.default_rng(1), 3)
    skin.freckles, skin.stubble_shadow = 0.5, 0.5
    tex = make_textures(skin, pos, masks, standin_head.landmarks, FaceExtras(iris=sample_iris(np.random.default_rng(1), 3)))
    assert tex.albedo.shape == (1024, 1024, 3) and tex.roughness.shape == (1024, 1024)
    assert np.isfinite(tex.albedo).all() and 0 <= tex.albedo.min() and tex.albedo.max() <= 1
    assert tex.albedo.std() > 0.005, "freckles and stubble must vary the albedo"


def test_texture_bad_inputs(standin_maps, standin_head):
    pos, masks = standin_maps
    skin = sample_skin(np.random.default_rng(0))
    with pytest.raises(ValueError, match="face"):
        make_textures(skin, pos, {"lips": masks["lips"]}, standin_head.landmarks)
    with pytest.raises(AssetInputError, match="shape"):
        make_textures(skin, pos, {"face": masks["face"][:10]}, standin_head.landmarks)
    with pytest.raises(AssetInputError, match="position_map"):
        make_textures(skin, pos[..., :2], masks, standin_head.landmarks)
    with pytest.raises(AssetInputError, match="fitzpatrick"):
        sample_skin(np.random.default_rng(0), 7)


def test_subsurface_follows_the_chromophores():
    """Darker skin scatters shorter and less (melanin absorbs before light comes back out)."""
    from synthetic.assets.skin import sample_skin

    light = [sample_skin(np.random.default_rng(i), 1).subsurface() for i in range(20)]
    dark = [sample_skin(np.random.default_rng(i), 6).subsurface() for i in range(20)]
    for radius, scale, weight in light + dark:
        assert radius[0] == 1.0 > radius[1] > radius[2] > 0 and 0.002 < scale <= 0.0042 and 0.7 <= weight <= 1.0
    assert np.mean([s for _, s, _ in dark]) < 0.85 * np.mean([s for _, s, _ in light])
    assert np.mean([w for _, _, w in dark]) < np.mean([w for _, _, w in light]) - 0.1


def test_pad_islands_repeats_edges_outwards_only():
    """Uncovered texels within the padding width take their island's edge values (so seams filter and bump
    without a step to the plain fill); farther ones and covered ones keep theirs."""
    from synthetic.assets.texture import pad_islands

    maps = np.zeros((12, 12, 2), np.float32)
    covered = np.zeros((12, 12), bool)
    covered[4:8, 4:8] = True
    maps[4:8, 4:8] = (5.0, -1.0)
    maps[0, 0] = 7.0  # an uncovered texel out of reach keeps its value
    out = pad_islands(maps, covered, 2)
    assert np.array_equal(out[4:8, 4:8], maps[4:8, 4:8])
    assert np.allclose(out[2:10, 4:8], (5.0, -1.0)) and np.allclose(out[4:8, 2:10], (5.0, -1.0))
    assert np.allclose(out[3, 3], (5.0, -1.0))  # two 4-neighbour steps away (diagonal)
    assert np.allclose(out[1, 4:8], 0.0) and np.allclose(out[2, 2], 0.0)  # three steps: untouched
    assert np.allclose(out[0, 0], 7.0)
