"""The one photo reader (``synthetic.dataset.files.read_photo``): EXIF orientation applied, errors name the file."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from synthetic.dataset.files import read_photo
from synthetic.errors import UserInputError


def test_exif_orientation_is_applied(tmp_path):
    pixels = np.zeros((20, 40, 3), np.uint8)  # landscape as stored, red on the left half
    pixels[:, :20, 0] = 255
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the camera was turned; show rotated 90 degrees clockwise
    Image.fromarray(pixels).save(tmp_path / "phone.jpg", exif=exif.tobytes(), quality=95)
    rgb = read_photo(tmp_path / "phone.jpg")
    assert rgb.shape == (40, 20, 3) and rgb.dtype == np.uint8  # upright: portrait
    assert rgb[:20, :, 0].mean() > 200 and rgb[20:, :, 0].mean() < 50  # the red half is now on top


def test_unreadable_and_missing(tmp_path):
    (tmp_path / "bad.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(UserInputError, match="bad.jpg: not a readable image"):
        read_photo(tmp_path / "bad.jpg")
    with pytest.raises(UserInputError, match="missing.jpg: photo not found"):
        read_photo(tmp_path / "missing.jpg")
