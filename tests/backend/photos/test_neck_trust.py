"""neck_trust on a drawn photo: a face of one skin tone, a neck half skin, half collar (white, black, blue)."""

import numpy as np

from backend.photos.neck_trust import NeckTrustOptions, VisibleParts, neck_trust, skin_like

SKIN = np.array([0.80, 0.60, 0.48], np.float32)


def drawn(collar_rgb) -> tuple[np.ndarray, VisibleParts]:
    """``[80, 60, 4]`` RGBA: face rows 0-39 (skin with noise), neck rows 40-79 cols 15-44: skin in its top half and
    ``collar_rgb`` below; hair (dark brown) at cols 0-9 of the face rows, outside the neck."""
    rng = np.random.default_rng(0)
    img = np.ones((80, 60, 4), np.float32)
    img[..., :3] = SKIN * rng.uniform(0.85, 1.1, (80, 60, 1))  # shading
    img[60:, 15:45, :3] = collar_rgb
    img[:40, :10, :3] = (0.25, 0.17, 0.10)
    img[40:, :15, 3] = img[40:, 45:, 3] = 0.0  # background beside the neck
    face = np.zeros((80, 60), bool)
    face[:40] = True
    neck = np.zeros((80, 60), bool)
    neck[40:] = True  # the neck region and, outside the head, what is nearer to it
    return img, VisibleParts(face, neck)


def test_collars_of_any_colour_are_untrusted_and_skin_is_not():
    for collar in ((0.95, 0.95, 0.97), (0.05, 0.05, 0.06), (0.15, 0.25, 0.60)):
        img, parts = drawn(collar)
        t = neck_trust(img, parts)
        assert t.shape == (80, 60) and t.dtype == np.float32
        assert np.all(t[64:, 18:42] == 0.0), collar  # the collar, away from its soft edge
        assert np.all(t[42:55, 18:42] > 0.99), collar  # the neck's skin (shaded)
        assert np.all(t[:40] == 1.0)  # the face and the hair beside it: never judged
        assert np.all(t[:, :6] == 1.0)  # background beside the neck (alpha 0), beyond the soft edge, stays trusted


def test_no_face_or_too_little_trusts_everything():
    img, parts = drawn((0.95, 0.95, 0.97))
    none = VisibleParts(np.zeros_like(parts.face), parts.neck)
    assert skin_like(img[..., :3], none.face) is None
    assert np.all(neck_trust(img, none) == 1.0)


def test_specks_are_not_clothing():
    img, parts = drawn(SKIN)
    img[50:52, 30:32, :3] = 0.0  # a mole: 4 px, below the blob threshold
    assert np.all(neck_trust(img, parts) == 1.0)


def test_a_collar_rim_beside_the_jaw_goes_with_the_collar_and_hair_does_not():
    """A black collar whose rim rises beside the jaw (above the neck's rows): the rim is the collar's colour and
    connected to it, so it is untrusted too; the brown hair beside the face is not."""
    img, parts = drawn((0.05, 0.05, 0.06))
    img[33:, 3:10, :3] = 0.05  # the collar's rim: rows 33-39 beside the face, rows 40-79 beside the neck
    img[33:, 3:10, 3] = 1.0
    t = neck_trust(img, parts)
    assert np.all(t[34:40, 4:9] == 0.0)  # the rim above the neck rows
    assert np.all(t[:27, :9] == 1.0)  # the hair beside the face
    assert np.all(t[:26, 12:] == 1.0) and np.all(t[:40, 16:] > 0.99)  # the face, up to the rim's soft edge
    no_grow = neck_trust(img, parts, NeckTrustOptions(grow_px=0))
    assert np.all(no_grow[34:37, 4:9] > 0.5)  # without the growth the rim stayed trusted (the speck it left)
