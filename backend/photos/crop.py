"""Crop and resize a photo around the face to the dataset rig's look: :func:`face_crop`, :func:`crop_image`.

The dataset's cameras (:class:`synthetic.rig.RigSettings`) frame a head sphere of ``head_radius`` at
``distance`` so that it spans ``head_fill`` of the image height, in a 3:2 landscape frame. A photo crop
with the same pixels-per-metre at the face makes real inputs look like what the prior was trained on.
The face scale (pixels per metre) and centre come from a 2D similarity between the head model's frontal
landmarks and the detected ones; the crop is axis-aligned (no roll), so it is one scale and one shift:
``x_crop = s * (x_photo - x0)``, and intrinsics follow as ``K_crop = A @ K_photo`` (:meth:`Crop.matrix`).

Pixels: x right, y down, (0, 0) = top-left corner of the top-left pixel (pixel centres at +0.5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthetic.rig import DEFAULT_TARGET, RigSettings

DEFAULT_SIZE = (384, 256)
"""Crop ``(width, height)`` in pixels: the dataset's 3:2 landscape (768x512 halved)."""
_FRONTAL = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0]])
"""Model frame (X subject's left, Z up) -> image (x right, y down) for a camera in front of the face."""


@dataclass(frozen=True)
class Crop:
    """An axis-aligned crop ``box`` = ``(x0, y0, x1, y1)`` of the source (pixels) resized to ``size`` = (w, h)."""

    box: tuple[float, float, float, float]
    size: tuple[int, int]

    @property
    def scale(self) -> float:
        """Crop pixels per source pixel."""
        return self.size[0] / (self.box[2] - self.box[0])

    @property
    def matrix(self) -> np.ndarray:
        """``[3, 3]`` source pixels -> crop pixels (homogeneous); ``K_crop = matrix @ K_source``."""
        s = self.scale
        return np.array([[s, 0.0, -s * self.box[0]], [0.0, s, -s * self.box[1]], [0.0, 0.0, 1.0]])

    def points(self, xy: np.ndarray) -> np.ndarray:
        """Source pixel coordinates ``[..., 2+]`` -> crop pixels (extra columns, e.g. landmark z, kept)."""
        out = np.array(xy, dtype=np.float64, copy=True)
        out[..., 0] = (out[..., 0] - self.box[0]) * self.scale
        out[..., 1] = (out[..., 1] - self.box[1]) * self.scale
        return out


def rig_pixels_per_metre(size: tuple[int, int] = DEFAULT_SIZE, rig: RigSettings | None = None) -> float:
    """Pixels per metre at the rig's target distance in an image of ``size`` framed like the rig."""
    base = rig or RigSettings()
    s = RigSettings(**{**base.to_dict(), "width": int(size[0]), "height": int(size[1])})
    return float(s.intrinsics()[0, 0] / s.distance)


def rig_focal_px(size: tuple[int, int] = DEFAULT_SIZE, rig: RigSettings | None = None) -> float:
    """The rig's focal length (pixels) for an image of ``size``: the fit's focal prior in a crop."""
    base = rig or RigSettings()
    return float(RigSettings(**{**base.to_dict(), "width": int(size[0]), "height": int(size[1])}).intrinsics()[0, 0])


def similarity_2d(src: np.ndarray, dst: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Least-squares 2D similarity (Umeyama) ``dst ~ s R src + t``; returns ``(s, R [2, 2], t [2])``."""
    ms, md = src.mean(0), dst.mean(0)
    a, b = src - ms, dst - md
    u, sig, vt = np.linalg.svd(b.T @ a)
    d = np.sign(np.linalg.det(u @ vt)) or 1.0
    rot = u @ np.diag([1.0, d]) @ vt
    s = float((sig * [1.0, d]).sum() / (a**2).sum())
    return s, rot, md - s * rot @ ms


def face_crop(landmarks_px: np.ndarray, model, size: tuple[int, int] = DEFAULT_SIZE,
              rig: RigSettings | None = None) -> Crop:
    """The crop that frames the detected face like the dataset rig frames a head.

    Args:
        landmarks_px: ``[478, 2+]`` detected mediapipe landmarks in source pixels.
        model: :class:`synthetic.head.HeadModel` (its template landmarks give the metric face size).
        size: crop ``(width, height)`` pixels.
        rig: the rig whose framing to copy (default :class:`RigSettings`'s).

    Returns:
        :class:`Crop` whose box may extend past the photo (those pixels come out transparent).
    """
    ids = model.landmark_mediapipe
    src = model.landmarks() @ _FRONTAL.T  # [L, 2] metres, frontal view
    dst = np.asarray(landmarks_px, dtype=np.float64)[ids, :2]
    s, rot, t = similarity_2d(src, dst)  # s = source pixels per metre at the face
    target = (rig or RigSettings()).target if rig is not None else DEFAULT_TARGET
    centre = s * rot @ (_FRONTAL @ np.asarray(target, dtype=np.float64)) + t
    k = rig_pixels_per_metre(size, rig) / s  # crop pixels per source pixel
    w, h = size[0] / k, size[1] / k
    box = (float(centre[0] - w / 2), float(centre[1] - h / 2), float(centre[0] + w / 2), float(centre[1] + h / 2))
    return Crop(box, (int(size[0]), int(size[1])))


def crop_image(image: np.ndarray, crop: Crop) -> np.ndarray:
    """Resample ``image`` ``[H, W, C]`` (uint8 or float) into the crop, antialiased (Lanczos when shrinking).

    Pixels outside the source come out 0 (transparent when C = 4). Returns ``[h, w, C]`` of the input dtype.
    """
    from PIL import Image

    img = np.asarray(image)
    h, w = img.shape[:2]
    x0, y0, x1, y1 = crop.box
    pad_l, pad_t = max(0, int(np.ceil(-x0))), max(0, int(np.ceil(-y0)))
    pad_r, pad_b = max(0, int(np.ceil(x1 - w))), max(0, int(np.ceil(y1 - h)))
    as_float = img.astype(np.float32) / (255.0 if img.dtype == np.uint8 else 1.0)
    padded = np.pad(as_float, ((pad_t, pad_b), (pad_l, pad_r), (0, 0)))
    box = (x0 + pad_l, y0 + pad_t, x1 + pad_l, y1 + pad_t)
    resample = Image.LANCZOS if crop.scale < 1.0 else Image.BICUBIC
    chans = [np.asarray(Image.fromarray(np.ascontiguousarray(padded[..., c], dtype=np.float32))
                        .resize(crop.size, resample, box=box)) for c in range(img.shape[2])]
    out = np.clip(np.stack(chans, axis=-1), 0.0, 1.0)
    return (out * 255.0 + 0.5).astype(np.uint8) if img.dtype == np.uint8 else out.astype(img.dtype)
