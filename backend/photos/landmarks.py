"""Face detection and 478 face-mesh landmarks with mediapipe 0.10.21's bundled models: :func:`detect_face`.

Only the models that ship inside the mediapipe wheel are used (legacy ``mediapipe.python.solutions``:
BlazeFace short- and full-range detection, face mesh with attention/iris refinement = 478 points); the
Tasks API needs ``.task`` files that are not shipped. The graphs are slow to build, so each is built once
per process (:func:`_graph`) and reused.

A photo must show exactly one face that is large enough; otherwise :class:`synthetic.errors.UserInputError`
names the photo (``source``) and says what is wrong (no face, N faces, face too small with its size).

Pixels: x right, y down, (0, 0) = the top-left corner of the top-left pixel (mediapipe's normalised
coordinates times the image size), the same convention as OpenCV ``K`` with pixel centres at +0.5.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from dataclasses import dataclass
from functools import cache

import numpy as np

from synthetic.errors import UserInputError

N_LANDMARKS = 478
"""Face-mesh points with ``refine_landmarks=True`` (468 mesh + 2 x 5 iris)."""
MIN_FACE_PX = 64
"""Smallest accepted face: the shorter side of the face box (landmark extent) in pixels."""
MIN_SCORE = 0.5
"""Detector confidence below which a detection does not count as a face."""
_CROP_MARGIN = 1.0
"""The face mesh runs on a square crop around the detection box, this fraction of its size added per side."""
_CROP_SIZE = 512
"""Crops are resized so their side is at most this many pixels (face mesh input is 192 px anyway)."""

_TILE = 512
"""Tile side (px) of the fallback small-face search."""

_LOCK = threading.Lock()  # mediapipe graphs are not re-entrant


@dataclass(frozen=True)
class DetectedFace:
    """One detected face.

    Attributes:
        landmarks: ``[478, 3]`` float64: x, y in pixels of the input image, z in mediapipe's relative units
            (normalised like x by the face-mesh crop width; smaller = nearer the camera).
        box: ``(x0, y0, x1, y1)`` pixels: the union of the detector's box and the landmarks' extent.
        score: detector confidence in [0, 1].
    """

    landmarks: np.ndarray
    box: tuple[float, float, float, float]
    score: float

    @property
    def size_px(self) -> float:
        """Shorter side of the landmarks' bounding box (pixels): the face size the checks use."""
        ext = self.landmarks[:, :2].max(0) - self.landmarks[:, :2].min(0)
        return float(ext.min())


@contextlib.contextmanager
def quiet_native_stderr():
    """Send file descriptor 2 to /dev/null while mediapipe's C++ graphs run (TFLite/absl print INFO and
    warning lines there that no setting turns off); Python exceptions still propagate."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (embedded interpreter): nothing to silence
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def run_graph(graph, rgb: np.ndarray):
    """``graph.process(rgb)`` under the process-wide mediapipe lock, native stderr silenced."""
    with _LOCK, quiet_native_stderr():
        return graph.process(np.ascontiguousarray(rgb))


@cache
def _graph(kind: str):
    """The mediapipe solution of ``kind`` (built once per process)."""
    with quiet_native_stderr():
        from mediapipe.python.solutions import face_detection, face_mesh

    if kind == "detect_short":
        return face_detection.FaceDetection(model_selection=0, min_detection_confidence=MIN_SCORE)
    if kind == "detect_full":
        return face_detection.FaceDetection(model_selection=1, min_detection_confidence=MIN_SCORE)
    if kind == "mesh":
        return face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1, refine_landmarks=True,
                                  min_detection_confidence=0.3)
    raise KeyError(kind)


def _check_rgb(rgb, source: str) -> np.ndarray:
    a = np.asarray(rgb)
    if a.ndim != 3 or a.shape[2] not in (3, 4) or a.shape[0] < 8 or a.shape[1] < 8:
        raise UserInputError(f"{source}: expected an RGB image [H, W, 3], found shape {a.shape}")
    if a.dtype != np.uint8:
        raise UserInputError(f"{source}: expected uint8 pixels, found {a.dtype}")
    return np.ascontiguousarray(a[..., :3])


def _detections(rgb: np.ndarray) -> list[tuple[np.ndarray, float]]:
    """Face boxes ``(x0, y0, x1, y1)`` px and scores of the whole photo.

    Both BlazeFace models run on the whole image (short range: large faces; full range: smaller ones) and
    their boxes are merged. When neither finds a face, the full-range model also runs on overlapping
    :data:`_TILE` px tiles, so a small face in a large photo is found (and then refused as too small)
    instead of being reported as missing.
    """
    h, w = rgb.shape[:2]
    found = _run_detector("detect_short", rgb, 0, 0) + _run_detector("detect_full", rgb, 0, 0)
    if not found and max(h, w) > 1.5 * _TILE:
        step = _TILE // 2
        for y0 in range(0, max(h - step, 1), step):
            for x0 in range(0, max(w - step, 1), step):
                found += _run_detector("detect_full", rgb[y0:y0 + _TILE, x0:x0 + _TILE], x0, y0)
    return _suppress(found)


def _run_detector(kind: str, rgb: np.ndarray, x0: int, y0: int) -> list[tuple[np.ndarray, float]]:
    """Boxes (pixels, shifted by the tile origin ``x0, y0``) and scores of one detector on one image."""
    h, w = rgb.shape[:2]
    res = run_graph(_graph(kind), rgb)
    found = []
    for d in res.detections or []:
        score = float(d.score[0]) if d.score else 0.0
        if score < MIN_SCORE:
            continue
        b = d.location_data.relative_bounding_box
        box = np.array([b.xmin * w, b.ymin * h, (b.xmin + b.width) * w, (b.ymin + b.height) * h])
        found.append((np.clip(box, 0, [w, h, w, h]) + [x0, y0, x0, y0], score))
    return found


def _suppress(found: list[tuple[np.ndarray, float]], overlap_max: float = 0.5) -> list[tuple[np.ndarray, float]]:
    """Greedy non-maximum suppression (the two detector passes may report one face twice)."""
    keep: list[tuple[np.ndarray, float]] = []
    for box, score in sorted(found, key=lambda f: -f[1]):
        if all(_overlap(box, k) <= overlap_max for k, _ in keep):
            keep.append((box, score))
    return keep


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over the smaller box's area (one face's boxes from two models nest rather than match)."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return float(ix * iy / smaller) if smaller > 0 else 0.0


def _mesh_in_crop(rgb: np.ndarray, box: np.ndarray) -> np.ndarray | None:
    """478 landmarks (input-image pixels, z raw) from the face mesh run on a square crop around ``box``."""
    from PIL import Image

    h, w = rgb.shape[:2]
    cx, cy = 0.5 * (box[0] + box[2]), 0.5 * (box[1] + box[3])
    side = max(box[2] - box[0], box[3] - box[1]) * (1.0 + 2.0 * _CROP_MARGIN)
    x0, y0 = int(np.floor(cx - side / 2)), int(np.floor(cy - side / 2))
    n = int(np.ceil(side))
    crop = np.zeros((n, n, 3), np.uint8)  # pad with black outside the photo
    sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x0 + n, w), min(y0 + n, h)
    crop[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = rgb[sy0:sy1, sx0:sx1]
    scale = min(1.0, _CROP_SIZE / n)
    m = max(8, int(round(n * scale)))
    if m != n:
        crop = np.asarray(Image.fromarray(crop).resize((m, m), Image.BILINEAR))
    res = run_graph(_graph("mesh"), crop)
    if not res.multi_face_landmarks:
        return None
    lm = np.array([[p.x, p.y, p.z] for p in res.multi_face_landmarks[0].landmark], dtype=np.float64)
    out = lm.copy()
    out[:, 0] = x0 + lm[:, 0] * n  # normalised crop coords -> crop pixels at full scale -> image pixels
    out[:, 1] = y0 + lm[:, 1] * n
    return out


def detect_face(rgb: np.ndarray, source: str) -> DetectedFace:
    """Detect the one face of a photo and its 478 face-mesh landmarks.

    Args:
        rgb: ``[H, W, 3]`` uint8 sRGB photo (an alpha channel, if any, is ignored).
        source: what to call the photo in error messages (its file name).

    Returns:
        :class:`DetectedFace` (landmarks ``[478, 3]``, box, score).

    Raises:
        UserInputError: not an RGB uint8 image; no face; several faces (how many); a face smaller than
            :data:`MIN_FACE_PX` (its size and the minimum).

    Example::

        face = detect_face(np.asarray(Image.open("me.jpg").convert("RGB")), "me.jpg")
        face.landmarks[1, :2]   # nose tip (mediapipe index 1) in pixels
    """
    rgb = _check_rgb(rgb, source)
    found = _detections(rgb)
    if not found:
        raise UserInputError(f"{source}: no face found")
    if len(found) > 1:
        raise UserInputError(f"{source}: {len(found)} faces found; give a photo with exactly one face")
    box, score = found[0]
    if min(box[2] - box[0], box[3] - box[1]) < MIN_FACE_PX:
        raise _too_small(source, min(box[2] - box[0], box[3] - box[1]))
    lm = _mesh_in_crop(rgb, box)
    if lm is None:
        raise UserInputError(f"{source}: a face was detected but its landmarks could not be found")
    face = DetectedFace(lm, _union_box(box, lm), score)
    if face.size_px < MIN_FACE_PX:
        raise _too_small(source, face.size_px)
    return face


def _too_small(source: str, size: float) -> UserInputError:
    return UserInputError(f"{source}: face too small ({size:.0f} px across, minimum {MIN_FACE_PX} px); "
                          "use a closer or larger photo")


def _union_box(box: np.ndarray, lm: np.ndarray) -> tuple[float, float, float, float]:
    lo, hi = lm[:, :2].min(0), lm[:, :2].max(0)
    return (float(min(box[0], lo[0])), float(min(box[1], lo[1])), float(max(box[2], hi[0])), float(max(box[3], hi[1])))
