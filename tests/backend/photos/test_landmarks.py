"""detect_face on real photos, and its three refusals (no face, several faces, too small)."""

import numpy as np
import pytest
from PIL import Image

from backend.photos import detect_face
from backend.photos.landmarks import MIN_FACE_PX, N_LANDMARKS
from synthetic.errors import UserInputError


@pytest.mark.parametrize("which", ["astronaut", "grace_hopper"])
def test_detects_478_landmarks_inside_the_face_box(which, request):
    rgb = request.getfixturevalue(which)
    face = detect_face(rgb, which)
    assert face.landmarks.shape == (N_LANDMARKS, 3)
    x0, y0, x1, y1 = face.box
    xy = face.landmarks[:, :2]
    assert np.all((xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1))
    assert face.score > 0.8
    assert face.size_px > 80  # both faces are ~90-190 px across
    # anatomy: eyes above the mouth, subject's right eye (33) on the image left of the left eye (263)
    assert face.landmarks[33, 0] < face.landmarks[1, 0] < face.landmarks[263, 0]
    assert face.landmarks[159, 1] < face.landmarks[1, 1] < face.landmarks[13, 1] < face.landmarks[152, 1]


def test_astronaut_face_location(astronaut):
    face = detect_face(astronaut, "astronaut")
    nose = face.landmarks[1, :2]  # the astronaut's nose tip is near (222, 131) in the 512x512 photo
    assert np.linalg.norm(nose - [222, 131]) < 12


def test_no_face_is_refused():
    import skimage.data

    with pytest.raises(UserInputError, match=r"coffee\.png: no face found"):
        detect_face(skimage.data.coffee(), "coffee.png")


def test_two_faces_are_refused(astronaut, grace_hopper):
    side = np.zeros((600, 1024, 3), np.uint8)
    side[:512, :512] = astronaut
    side[:, 512:] = grace_hopper[:, :512]
    with pytest.raises(UserInputError, match=r"pair\.jpg: 2 faces found"):
        detect_face(side, "pair.jpg")


def test_small_face_is_refused_with_its_size(grace_hopper):
    canvas = np.full((1500, 2000, 3), 128, np.uint8)
    small = np.asarray(Image.fromarray(grace_hopper).resize((128, 150), Image.LANCZOS))
    canvas[700:850, 900:1028] = small
    with pytest.raises(UserInputError, match=rf"far\.jpg: face too small \((\d+) px across, minimum {MIN_FACE_PX} px"):
        detect_face(canvas, "far.jpg")


def test_not_an_rgb_image():
    with pytest.raises(UserInputError, match="grey.png: expected an RGB image"):
        detect_face(np.zeros((64, 64), np.uint8), "grey.png")
