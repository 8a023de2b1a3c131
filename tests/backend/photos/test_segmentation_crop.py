"""Selfie segmentation alpha and the rig-framed face crop."""

import numpy as np
import pytest

from backend.photos import detect_face, foreground_alpha
from backend.photos.crop import Crop, crop_image, face_crop, rig_pixels_per_metre
from synthetic.errors import UserInputError


def test_alpha_is_soft_and_covers_the_person(astronaut):
    face = detect_face(astronaut, "astronaut")
    alpha = foreground_alpha(astronaut, "astronaut")
    assert alpha.shape == astronaut.shape[:2] and alpha.dtype == np.float32
    assert 0.0 <= alpha.min() and alpha.max() <= 1.0
    nose = face.landmarks[1, :2].astype(int)
    assert alpha[nose[1], nose[0]] > 0.95  # face
    assert alpha[20, 480] < 0.05  # background top right
    assert alpha[60, 230] > 0.9  # hair on top of the head
    edge = (alpha > 0.05) & (alpha < 0.95)
    assert 0.002 < edge.mean() < 0.1  # a soft band, not a hard step, not a blur


def test_alpha_refuses_a_float_image():
    with pytest.raises(UserInputError, match="x.png"):
        foreground_alpha(np.zeros((32, 32, 3), np.float32), "x.png")


def test_crop_matrix_maps_points_and_intrinsics():
    crop = Crop((10.0, 20.0, 110.0, 86.6667), (384, 256))
    xy = np.array([[10.0, 20.0], [60.0, 50.0]])
    out = crop.points(xy)
    np.testing.assert_allclose(out[0], [0, 0], atol=1e-9)
    np.testing.assert_allclose(out[1], [50 * 3.84, 30 * 3.84], atol=1e-9)
    K = np.array([[500.0, 0, 64], [0, 500.0, 48], [0, 0, 1]])
    Kc = crop.matrix @ K
    p = np.array([0.1, -0.05, 1.0])  # a camera-frame point projects to the same crop pixel both ways
    src = (K @ p)[:2] / p[2]
    np.testing.assert_allclose(crop.points(src[None])[0], (Kc @ p)[:2] / p[2], atol=1e-9)


def test_face_crop_frames_the_head_like_the_rig(astronaut, head_model):
    face = detect_face(astronaut, "astronaut")
    crop = face_crop(face.landmarks, head_model, (384, 256))
    lm = crop.points(face.landmarks)
    # the eye-to-eye distance (~6.3 cm on the model, 33 -> 263) comes out at the rig's pixels per metre
    row = {int(m): i for i, m in enumerate(head_model.landmark_mediapipe)}
    eyes_m = np.linalg.norm(head_model.landmarks()[row[33]] - head_model.landmarks()[row[263]])
    eyes_px = np.linalg.norm(lm[263, :2] - lm[33, :2])
    assert eyes_px == pytest.approx(eyes_m * rig_pixels_per_metre((384, 256)), rel=0.15)
    assert 120 < lm[1, 0] < 264 and 70 < lm[1, 1] < 190  # nose near the middle
    img = crop_image(astronaut, crop)
    assert img.shape == (256, 384, 3) and img.dtype == np.uint8
    assert img.std() > 20
