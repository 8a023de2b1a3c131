"""The torch port of dlib's face-recognition network against dlib itself, alignment from mediapipe landmarks,
CSIM on real photos, gradients, and one-line refusals of broken model files."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from skimage import data

from backend.identity import SAME_PERSON_DISTANCE, IdentityModel, chip_transform, cosine, extract_chips, \
    face_transforms, five_points
from backend.identity.dlib_reader import read_dlib_network
from backend.models_available import model_path
from synthetic.errors import UserInputError

torch.set_num_threads(1)


def grace_hopper() -> np.ndarray:
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("matplotlib")
    path = Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "sample_data" / "grace_hopper.jpg"
    return np.asarray(Image.open(path).convert("RGB"))


def as_tensor(img: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(img[..., :3])).permute(2, 0, 1)[None].float() / 255.0


@pytest.fixture(scope="module")
def model():
    return IdentityModel.load("cpu")


@pytest.fixture(scope="module")
def dlib_models():
    import dlib

    folder = model_path("dlib_face_recognition").parent
    return (dlib.face_recognition_model_v1(str(folder / "dlib_face_recognition_resnet_model_v1.dat")),
            dlib.get_frontal_face_detector(), dlib.shape_predictor(str(folder / "shape_predictor_5_face_landmarks.dat")))


def test_descriptors_match_dlib_on_the_same_chips(model, dlib_models):
    """Same 150x150 chips in: dlib (C++) and the torch port agree to float32 rounding."""
    net, _, _ = dlib_models
    rng = np.random.default_rng(0)
    chips = [np.asarray(Image.fromarray(data.astronaut()[20:220, 140:340]).resize((150, 150))),
             np.asarray(Image.fromarray(grace_hopper()[90:390, 130:430]).resize((150, 150))),
             rng.integers(0, 256, (150, 150, 3), dtype=np.uint8)]
    for chip in chips:
        ref = np.array(net.compute_face_descriptor(chip))
        with torch.no_grad():
            ours = model.embed_chips(as_tensor(chip))[0].numpy()
        assert np.abs(ours - ref).max() < 1e-4, np.abs(ours - ref).max()
    # documented once (dlib 20.0.1, 2026-12-04): the astronaut chip's descriptor norm and first values
    with torch.no_grad():
        d = model.embed_chips(as_tensor(chips[0]))[0]
    assert abs(float(d.norm()) - 1.29738) < 1e-4
    np.testing.assert_allclose(d[:4].numpy(), [-0.063150, 0.076105, 0.044715, 0.048425], atol=2e-5)


def test_mediapipe_alignment_matches_dlibs_own_pipeline(model, dlib_models):
    """dlib's detector + 5-point predictor + chip vs mediapipe's five points + our chip: same person distance."""
    net, detector, predictor = dlib_models
    for img in (data.astronaut(), grace_hopper()):
        shape = predictor(img, detector(img, 1)[0])
        ref = np.array(net.compute_face_descriptor(img, shape))
        dlib_points = np.array([[shape.part(i).x, shape.part(i).y] for i in range(5)], float)
        t = face_transforms([img])[0]
        assert t is not None
        with torch.no_grad():
            ours = model.embed(as_tensor(img), torch.as_tensor(t)[None])[0].numpy()
        assert np.linalg.norm(ours - ref) < 0.2
        # the chip template lands the five points where dlib's predictor puts them (px)
        assert np.abs(np.c_[_template_px(), np.ones(5)] @ t.T - dlib_points).max() < 6


def _template_px() -> np.ndarray:
    from backend.identity.align import _TEMPLATE, CHIP_PADDING, CHIP_SIZE

    return (CHIP_PADDING + _TEMPLATE) / (2 * CHIP_PADDING + 1) * CHIP_SIZE


def test_csim_tells_people_apart(model):
    ast, gh = data.astronaut(), grace_hopper()
    imgs = [ast, gh, ast[:, ::-1], np.asarray(Image.fromarray(ast).resize((400, 400)))]
    ts = face_transforms(imgs)
    assert all(t is not None for t in ts)
    with torch.no_grad():
        d = [model.embed(as_tensor(i), torch.as_tensor(t)[None]) for i, t in zip(imgs, ts)]
    dist = lambda a, b: float((d[a] - d[b]).norm())  # noqa: E731
    assert dist(0, 1) > SAME_PERSON_DISTANCE  # two people
    assert dist(0, 2) < 0.3 and dist(0, 3) < 0.3  # one person mirrored, one rescaled
    assert float(cosine(d[0], d[3])) > 0.98 > float(cosine(d[0], d[1]))


def test_identity_gradients_reach_the_image(model):
    img = as_tensor(data.astronaut()).requires_grad_(True)
    t = torch.as_tensor(face_transforms([data.astronaut()])[0])[None]
    target = model.embed(as_tensor(grace_hopper()), torch.as_tensor(face_transforms([grace_hopper()])[0])[None])
    loss = 1 - cosine(model.embed(img, t), target.detach()).mean()
    loss.backward()
    g = img.grad
    assert torch.isfinite(g).all() and float(g.abs().sum()) > 0
    # only the face region (the chip) gets gradient
    assert float(g[..., :, :40].abs().sum()) == 0


def test_chip_transform_recovers_a_similarity():
    angle, scale, shift = 0.3, 1.7, np.array([40.0, -12.0])
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    pts = _template_px() @ (scale * rot).T + shift
    m = chip_transform(pts)
    np.testing.assert_allclose(m[:, :2], scale * rot, atol=1e-9)
    np.testing.assert_allclose(m[:, 2], shift, atol=1e-9)
    # extract_chips samples the image where the transform says: a chip of a ramp image is the mapped ramp
    ramp = torch.arange(64.0)[None, None, None].expand(1, 3, 48, 64).contiguous()
    chips = extract_chips(ramp, torch.tensor([[[0.2, 0.0, 5.0], [0.0, 0.2, 3.0]]]), size=20)
    torch.testing.assert_close(chips[0, 0, 0], 5.0 + 0.2 * torch.arange(20.0))
    assert five_points(np.zeros((478, 3))).shape == (5, 2)


def test_broken_model_files_are_refused_with_one_line(tmp_path):
    with pytest.raises(UserInputError, match="no such file"):
        read_dlib_network(tmp_path / "missing.dat")
    real = model_path("dlib_face_recognition").read_bytes()
    (tmp_path / "cut.dat").write_bytes(real[: len(real) // 2])
    with pytest.raises(UserInputError, match="not a dlib face-recognition network") as e:
        read_dlib_network(tmp_path / "cut.dat")
    assert "\n" not in str(e.value)
    (tmp_path / "other.dat").write_bytes(b"\x00" * 1000)
    with pytest.raises(UserInputError, match="not a dlib face-recognition network"):
        read_dlib_network(tmp_path / "other.dat")


def test_small_faces_are_found_upsampled(model):
    """A 160x160 photo (a ~45 px face, under mediapipe's 64 px minimum) is retried upsampled; the transform
    comes back in the small image's pixels and describes the same person."""
    ast = data.astronaut()
    small = np.asarray(Image.fromarray(ast).resize((160, 160), Image.BICUBIC))
    t_small, t_full = face_transforms([small, ast])
    assert t_small is not None
    np.testing.assert_allclose(t_small[:, :2] * (512 / 160), t_full[:, :2], rtol=0.15)
    with torch.no_grad():
        a = model.embed(as_tensor(small), torch.as_tensor(t_small)[None])
        b = model.embed(as_tensor(ast), torch.as_tensor(t_full)[None])
    assert float((a - b).norm()) < SAME_PERSON_DISTANCE
