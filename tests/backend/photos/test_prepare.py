"""prepare_photos end to end on two real photos: views, fit, texture, overlays."""

import numpy as np
import pytest

from backend.photos import PreparedPhotos, prepare_photos
from synthetic.dataset.files import read_photo
from synthetic.errors import UserInputError


@pytest.fixture(scope="module")
def prepared(head_model, astronaut, grace_hopper_path) -> PreparedPhotos:
    return prepare_photos([astronaut, grace_hopper_path], head_model, (384, 256), texture_size=128)


def test_views_are_calibrated_rgba_crops(prepared, head_model):
    assert [v.name for v in prepared.views] == ["image_0", "grace_hopper"]
    for v in prepared.views:
        assert v.image.shape == (256, 384, 4) and v.image.dtype == np.float32
        assert v.K.shape == (3, 3) and v.w2c.shape == (4, 4)
        np.testing.assert_allclose(v.w2c[:3, :3] @ v.w2c[:3, :3].T, np.eye(3), atol=1e-9)
        assert v.expression.shape == (head_model.n_expression,) and np.all(v.pose == 0)
        assert v.landmarks.shape == (478, 2)
        alpha = v.image[..., 3]
        assert 0.15 < alpha.mean() < 0.8  # the head, not the whole crop
        nose = v.landmarks[1].astype(int)
        assert alpha[nose[1], nose[0]] > 0.95
        # the fitted camera puts the model's nose tip on the detected one (within a few pixels)
        tip = head_model.landmarks(head_model.vertices(prepared.shape, v.expression))
        p = v.K @ (v.w2c[:3, :3] @ tip[list(head_model.landmark_mediapipe).index(1)] + v.w2c[:3, 3])
        assert np.linalg.norm(p[:2] / p[2] - v.landmarks[1]) < 4.0
    # the hair proxy: thickness on the scalp only, a bob's few centimetres (astronaut), measured at the silhouette
    proxy, scalp = prepared.proxy_offsets_m, head_model.vertex_mask("scalp")
    assert proxy.shape == (head_model.n_vertices,) and not proxy[~scalp].any()
    assert 0.015 < np.median(proxy[scalp]) < 0.05 and prepared.info["hair_proxy"]["measured_vertices"] > 100
    assert np.all(np.array(prepared.info["residual_px"]) < 3.0)


def test_the_mask_keeps_the_head_and_hair_and_drops_the_shoulders(prepared, head_model):
    """As in the prior's data (a head on its neck), the person mask loses the shoulders and clothes: the crop's
    bottom corners (astronaut's suit, Grace Hopper's jacket) go to 0, the face and the hair above the brows stay."""
    from backend.photos.head_alpha import head_alpha

    cover = prepared.info["alpha_cover"]
    for i, v in enumerate(prepared.views):
        alpha = v.image[..., 3]
        h, w = alpha.shape
        assert cover["kept"][i] < cover["person"][i] - 0.03, cover  # the shoulders: 4-5 % of the crop
        for corner in (alpha[int(0.9 * h):, : w // 5], alpha[int(0.9 * h):, -w // 5:]):
            assert corner.max() < 0.05, corner.max()
        lm = v.landmarks.astype(int)
        face = [1, 10, 152, 234, 454]  # nose tip, forehead top, chin, cheek edges (mediapipe)
        assert np.all(alpha[lm[face, 1], lm[face, 0]] > 0.9), alpha[lm[face, 1], lm[face, 0]]
        top = lm[10]  # the hair (or hat) 15 % of the crop above the forehead's top is kept
        assert alpha[max(top[1] - int(0.15 * h), 0), top[0]] > 0.9
    with pytest.raises(ValueError, match="differ"):
        head_alpha(np.ones((4, 4)), np.ones((4, 5), bool))


def test_clothing_over_the_neck_is_untrusted(prepared):
    """The astronaut's black turtleneck and Grace Hopper's white collar and dark lapels lie inside the neck's
    silhouette: trust 0 there (the loss ignores them), 1 on the face and on Hopper's bare neck."""
    cover = prepared.info["alpha_cover"]["untrusted"]
    assert all(0.01 < c < 0.06 for c in cover), cover
    for v in prepared.views:
        t = v.trust
        assert t.shape == v.image.shape[:2] and t.dtype == np.float32 and 0 <= t.min() and t.max() <= 1
        lm = v.landmarks.astype(int)
        face = [1, 10, 152, 234, 454]
        assert np.all(t[lm[face, 1], lm[face, 0]] == 1.0)
    h, w = prepared.views[0].trust.shape
    (ax, ay), (gx, gy) = prepared.views[0].landmarks[152].astype(int), prepared.views[1].landmarks[152].astype(int)
    assert prepared.views[0].trust[ay + int(0.12 * h), ax] < 0.05  # the astronaut's turtleneck below the chin
    hopper = prepared.views[1].trust
    assert hopper[gy + int(0.08 * h), gx] > 0.95  # her neck
    assert hopper[gy + int(0.12 * h), gx - int(0.1 * w)] < 0.05 and hopper[gy + int(0.12 * h), gx + int(0.1 * w)] < 0.05


def test_texture_is_not_blank_and_covers_the_face(prepared, head_model):
    tex, mask = prepared.texture, prepared.texture_mask
    assert tex.shape == (128, 128, 3) and mask.shape == (128, 128)
    assert 0.1 < mask.mean() < 0.5, mask.mean()
    assert tex[mask].std() > 0.05
    w = prepared.texture_weight  # seen head-on somewhere, only at grazing angles elsewhere
    assert w.shape == mask.shape and np.array_equal(w > 0, mask) and w.max() > 0.8 and np.median(w[mask]) < 0.8
    face = head_model.texel_mask("face", 128) if "face" in head_model.region_names else None
    if face is not None:
        assert mask[face].mean() > 0.5


def test_overlays(prepared):
    assert len(prepared.overlays) == 2
    for o in prepared.overlays:
        assert o.shape == (512, 768, 3) and o.dtype == np.uint8
        assert o.std() > 20


def test_unreadable_and_missing_files(tmp_path, head_model):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not a jpeg")
    with pytest.raises(UserInputError, match="broken.jpg: not a readable image"):
        read_photo(bad)
    with pytest.raises(UserInputError, match="missing.jpg: photo not found"):
        prepare_photos([tmp_path / "missing.jpg"], head_model)
