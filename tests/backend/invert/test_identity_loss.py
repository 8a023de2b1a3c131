"""Identity in inversion: faces found once per input view, the loss small for the person and larger for
someone else, gradients reaching the render, chip transforms that survive the resize to the render size."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from skimage import data

from backend.identity import IdentityModel, cosine
from backend.invert import InvertConfig
from backend.invert.identity import IdentityLoss, scaled, view_faces
from backend.invert.optimise import identity_loss_note
from backend.photos.prepared import PreparedView


def photo(name: str) -> np.ndarray:
    if name == "astronaut":
        img = data.astronaut()
    else:
        import matplotlib.cbook as cbook

        img = np.asarray(Image.open(cbook.get_sample_data("grace_hopper.jpg")).convert("RGB"))
    rgba = np.concatenate([img / 255.0, np.ones(img.shape[:2] + (1,))], -1).astype(np.float32)
    return rgba


def view(name: str) -> PreparedView:
    return PreparedView(name, photo(name), np.eye(3), np.eye(4), np.zeros(3), np.zeros((1, 3)))


def resized(rgba: np.ndarray, w: int, h: int) -> torch.Tensor:
    t = torch.from_numpy(rgba[..., :3]).permute(2, 0, 1)[None]
    return F.interpolate(t, size=(h, w), mode="bilinear", align_corners=False, antialias=True)


def test_identity_loss_knows_the_person_and_sends_gradients():
    model = IdentityModel.load("cpu")
    faces = view_faces(model, [view("astronaut"), view("grace")])
    assert sorted(faces.transforms) == ["astronaut", "grace"] and faces.n_views == 2
    size = (256, 256)
    loss = IdentityLoss(model, faces, size, every=1)
    same = resized(photo("astronaut"), *size).requires_grad_(True)
    value_same = loss(same, ["astronaut"])
    value_same.backward()
    assert float(value_same) < 0.03  # the same photo at the render size: descriptors nearly equal
    assert torch.isfinite(same.grad).all() and float(same.grad.abs().sum()) > 0
    other = resized(photo("grace"), *size)
    assert float(loss(other, ["astronaut"])) > 3 * float(value_same)
    # views without a face (not in faces) give no term; `every` skips calls
    assert float(loss(same, ["no_face_view"])) == 0
    sparse = IdentityLoss(model, faces, size, every=3)
    values = [float(sparse(same.detach(), ["astronaut"])) for _ in range(6)]
    assert [v > 0 for v in values] == [True, False, False, True, False, False]


def test_scaled_chip_transforms_describe_the_same_face():
    model = IdentityModel.load("cpu")
    faces = view_faces(model, [view("astronaut")])
    t = faces.transforms["astronaut"]
    with torch.no_grad():
        small = model.embed(resized(photo("astronaut"), 300, 300),
                            torch.as_tensor(scaled(t, faces.sizes["astronaut"], (300, 300)))[None])
    assert float(cosine(small, faces.descriptors["astronaut"][None])) > 0.98
    np.testing.assert_allclose(scaled(t, (512, 512), (512, 512)), t)


def test_identity_note_says_why():
    assert identity_loss_note(InvertConfig(identity=0)) == "identity loss off (identity=0)"
    note = identity_loss_note(InvertConfig(identity=0.1, identity_every=4), 2, 3)
    assert note == "identity loss on: dlib ResNet, weight 0.1, every 4 steps, faces in 2 of 3 inputs"
