"""Training data for the image regressor: renders of a GEM with known coefficients and their landmarks.

Each sample is one coefficient vector rendered by one "portrait" camera: aimed at the face, small random yaw,
pitch and roll (default within +-15, +-10 and +-4 degrees), framed tightly (:data:`FACE_FILL`) so that at the
default 192 px mediapipe sees a face of some 110 px (it needs 64 px). mediapipe's 478 landmarks are detected on
each render; renders where no single face is found are skipped and counted. The neutral frame (the relative
feature reference) is the mean face (``k = 0``) seen from straight ahead.

Coefficients come either from the caller (``coefficients``, e.g. an avatar's expressions projected on the GEM:
realistic joint statistics across modalities) or from :func:`sample_coefficients` (each coefficient uniform in
``+-spread sigma``, independently: the only choice a ``.gem`` alone allows, since it stores no cross-modality
statistics).
"""

from __future__ import annotations

import numpy as np
import torch

from backend.splat import Cameras, rasterize
from synthetic.camera_convert import look_at_opencv_w2c
from synthetic.errors import UserInputError
from synthetic.rig import direction_from_yaw_pitch

from .decode import TorchGem
from .views import to_uint8

FACE_TARGET = (0.0, -0.03, 0.0)
"""Point the portrait cameras aim at (m, head frame): about the middle of the face, between eyes and mouth."""
FACE_FILL = 0.9
"""A sphere of 0.12 m (the head) at the camera distance spans this fraction of the image side."""
CAMERA_DISTANCE = 1.0
"""Portrait camera distance to :data:`FACE_TARGET` (m)."""


def face_cameras(size: int, yaw_deg=0.0, pitch_deg=0.0, roll_deg=0.0, fill: float = FACE_FILL) -> Cameras:
    """Portrait cameras (``size`` x ``size`` px) looking at :data:`FACE_TARGET` from ``yaw``/``pitch`` degrees
    (0, 0 = straight in front of the face; scalars or equal-length sequences, one camera each).

    Args:
        size: image side in pixels.
        yaw_deg: positive toward the subject's left. pitch_deg: positive from above. roll_deg: about the axis.
        fill: fraction of the image side a 0.12 m sphere spans.
    """
    yaw, pitch, roll = np.broadcast_arrays(*(np.atleast_1d(np.asarray(v, dtype=np.float64))
                                             for v in (yaw_deg, pitch_deg, roll_deg)))  # fmt: skip
    target = np.asarray(FACE_TARGET)
    f = 0.5 * fill * size / np.tan(np.arcsin(0.12 / CAMERA_DISTANCE))
    K = np.array([[f, 0.0, size / 2.0], [0.0, f, size / 2.0], [0.0, 0.0, 1.0]])
    w2cs = []
    for y, p, r in zip(yaw, pitch, roll):
        w2c = look_at_opencv_w2c(target + CAMERA_DISTANCE * direction_from_yaw_pitch(y, p), target)
        c, s = np.cos(np.radians(r)), np.sin(np.radians(r))
        turn = np.eye(4)
        turn[:2, :2] = [[c, -s], [s, c]]
        w2cs.append(turn @ w2c)
    n = len(w2cs)
    return Cameras(torch.as_tensor(np.repeat(K[None], n, 0), dtype=torch.float32),
                   torch.as_tensor(np.stack(w2cs), dtype=torch.float32), int(size), int(size))  # fmt: skip


def render_gem_rgb(gem: TorchGem, flat: torch.Tensor, cameras: Cameras, background: float = 1.0) -> np.ndarray:
    """uint8 ``[C, H, W, 3]`` renders of one flat coefficient vector ``[K]``."""
    with torch.no_grad():
        g = gem.gaussian_set(gem.decode(torch.as_tensor(flat)[None].float()))
        return to_uint8(rasterize(g, cameras, background=float(background)).rgb)


def sample_coefficients(gem: TorchGem, n: int, rng: np.random.Generator, spread: float = 2.0) -> np.ndarray:
    """``[n, K]`` flat coefficients, each uniform in ``+-spread`` standard deviations, independently."""
    sigma = gem.flat_std().detach().cpu().numpy().astype(np.float64)
    return (rng.uniform(-spread, spread, (n, gem.n_coefficients)) * sigma).astype(np.float32)


def landmark_dataset(gem: TorchGem, n: int | None = None, size: int = 192, seed: int = 0, progress=None,
                     coefficients: np.ndarray | None = None, max_yaw: float = 15.0, max_pitch: float = 10.0,
                     max_roll: float = 4.0, keep_images: int = 0) -> dict:  # fmt: skip
    """Landmarks of GEM renders with known coefficients.

    Args:
        gem: the GEM.
        n: number of samples drawn with :func:`sample_coefficients` (ignored when ``coefficients`` is given).
        size: render side (px).
        seed: seeds the coefficients and the camera angles.
        coefficients: ``[T, K]`` flat coefficients to render instead of sampled ones.
        max_yaw, max_pitch, max_roll: camera angles are uniform within these (degrees).
        keep_images: keep the first this many renders (uint8) in the result, for pictures.

    Returns:
        ``{"landmarks": [T', 478, 3], "coefficients": [T', K], "neutral": [478, 3], "skipped": int,
        "tried": int, "detection_rate": float, "views": [T', 3] (yaw, pitch, roll), "index": [T'] (row of
        the input), "images": list}``; ``T'`` counts the renders with a face.

    Raises:
        UserInputError: mediapipe finds no face on the neutral render, or on fewer than 8 renders.
    """
    from backend.photos import detect_face

    rng = np.random.default_rng(seed)
    ks = sample_coefficients(gem, int(n or 0), rng) if coefficients is None else np.asarray(coefficients, np.float32)
    if ks.ndim != 2 or ks.shape[1] != gem.n_coefficients:
        raise ValueError(f"coefficients must be [T, {gem.n_coefficients}], got {list(ks.shape)}")
    neutral = detect_face(render_gem_rgb(gem, torch.zeros(gem.n_coefficients), face_cameras(size))[0],
                          "neutral GEM render (k = 0)")  # fmt: skip
    views = np.column_stack([rng.uniform(-a, a, len(ks)) for a in (max_yaw, max_pitch, max_roll)])
    lms, keep, images = [], [], []
    for i, (k, v) in enumerate(zip(ks, views)):
        img = render_gem_rgb(gem, torch.as_tensor(k), face_cameras(size, *v))[0]
        if len(images) < keep_images:
            images.append(img)
        try:
            lms.append(detect_face(img, f"training render {i}").landmarks)
            keep.append(i)
        except UserInputError:
            pass
        if progress is not None:
            progress.update("regressor data", i + 1, len(ks))
    if len(lms) < 8:
        raise UserInputError(f"mediapipe found a face on only {len(lms)} of {len(ks)} GEM renders; cannot train")
    idx = np.asarray(keep)
    return {"landmarks": np.stack(lms), "coefficients": ks[idx], "neutral": neutral.landmarks,
            "skipped": len(ks) - len(idx), "tried": len(ks), "detection_rate": len(idx) / len(ks),
            "views": views[idx], "index": idx, "images": images}  # fmt: skip


def teacher_coefficients(gem: TorchGem, teacher, head, n: int, seed: int = 0, activity: float = 0.2) -> np.ndarray:
    """``[n, K]`` flat GEM coefficients of ``n`` random expressions of the GEM's teacher (an avatar or a mesh
    teacher): ``head.sample_expression`` codes, the teacher's canonical Gaussians, projected on the GEM's bases.
    Unlike :func:`sample_coefficients` these have the teacher's joint statistics across modalities."""
    from .distill import project_frames, teacher_canonical

    expr = head.sample_expression(np.random.default_rng(seed), int(n), activity)
    canon = teacher_canonical(teacher, expr)
    neutral_quats = teacher_canonical(teacher, np.zeros((1, int(teacher.n_expression))))["quats"][0]
    with torch.no_grad():
        return gem.flatten(project_frames(gem, canon, neutral_quats)).float().cpu().numpy()
