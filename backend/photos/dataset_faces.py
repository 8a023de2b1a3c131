"""Mediapipe on a rendered synthetic dataset: :func:`dataset_faces` yields one record per image.

What the realism benchmark (``bench/bench_realism.py``) measures and what the landmark-table calibration
(``tools/calibrate_landmarks.py``) fits to: :func:`backend.photos.landmarks.detect_face` on every image of
the chosen cameras, each RGBA render composited over mid-grey (as a photo of the head against a plain wall),
next to the head model's state for that frame (identity shape, expression, pose) and the camera.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synthetic.errors import UserInputError

from .landmarks import DetectedFace, detect_face

EYE_CORNERS = (33, 263)
"""Mediapipe indices of the outer eye corners: their distance normalises landmark errors (NME)."""


@dataclass
class DatasetFace:
    """One image of a dataset and what mediapipe found in it.

    Attributes:
        identity, frame, camera: which image. rgb: ``[H, W, 3]`` uint8, the render over mid-grey.
        face: the detection (``landmarks`` ``[478, 3]``, x, y in pixels) or None when there is none.
        why: why there is no face (the detector's message), else "".
        shape: identity coefficients ``[S]`` or None; expression ``[E]``; pose ``[J, 3]`` axis-angle (rad).
        K: ``[3, 3]`` pixels; w2c: ``[4, 4]`` OpenCV world-to-camera; width, height: pixels.
        ident: the :class:`synthetic.dataset.reader.Identity` (for its stored ``landmarks.json``).
        dataset: the dataset's root folder (identity indices repeat across datasets).
    """

    identity: int
    frame: int
    camera: str
    rgb: np.ndarray
    face: DetectedFace | None
    why: str
    shape: np.ndarray | None
    expression: np.ndarray
    pose: np.ndarray
    K: np.ndarray
    w2c: np.ndarray
    width: int
    height: int
    ident: object
    dataset: str


def over_grey(rgba: np.ndarray) -> np.ndarray:
    """float RGBA ``[H, W, 4]`` in [0, 1] -> uint8 RGB ``[H, W, 3]`` composited over mid-grey (0.5)."""
    rgb = rgba[..., :3] * rgba[..., 3:] + 0.5 * (1 - rgba[..., 3:])
    return np.round(np.clip(rgb, 0, 1) * 255).astype(np.uint8)


def dataset_faces(root: str | Path, cameras: list[str] | None = None, frames: list[int] | None = None
                  ) -> Iterator[DatasetFace]:
    """Run mediapipe on every image of the dataset at ``root`` (``cameras``/``frames``: only these; None = all).

    Yields one :class:`DatasetFace` per image, identities and frames in order, cameras in ``cameras`` order
    (or the identity's). Raises ``UserInputError`` for a dataset that does not read."""
    from synthetic.dataset import Dataset

    ds = Dataset(root)
    for ident in ds:
        cams = ident.cameras
        for f in range(ident.n_frames) if frames is None else [f for f in frames if f < ident.n_frames]:
            fr = ident.frame(f)
            for cam in cameras or cams.names:
                ci = cams.index(cam)
                rgb8 = over_grey(ident.image(f, cam))
                try:
                    face, why = detect_face(rgb8, f"id {ident.index} frame {f} {cam}"), ""
                except UserInputError as exc:
                    face, why = None, str(exc).split(": ", 1)[-1]
                yield DatasetFace(ident.index, f, cam, rgb8, face, why, ident.shape, fr.expression, fr.pose,
                                  cams.K[ci], cams.w2c[ci], cams.width, cams.height, ident, str(root))
