"""Per-view 2D landmarks of a frame: the head model's landmarks projected into every camera, with
a visibility flag, and the ``landmarks.json`` body that holds them (FaceSynthetics ships 70 per image).

Landmarks are the head model's mediapipe face-mesh points (``HeadModel.landmarks``, order
``HeadModel.landmark_mediapipe``), posed for the frame. A landmark is **visible** in a camera when
it lies in front of the camera, inside the image and no head-mesh triangle lies in front of it on
its pixel ray (self-occlusion: the far cheek behind the nose, the chin under a raised head). Hair,
beard, clothing and eyelashes are not counted as occluders: they are thin and the seg pass says
what covers a pixel.

The 68 iBUG points (300-W / Multi-PIE layout: jaw 0-16, brows 17-26, nose 27-35, eyes 36-47, mouth
48-67) are a named subset, :data:`IBUG68_MEDIAPIPE`. Four of the usual mediapipe stand-ins are not
on the template's table, and their neighbours take their place: 70/300 for the brows' outer ends
(mediapipe 71/301) and 98/327 for the nostril wings (75/305).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import UserInputError
from ..rig import project_points

IBUG68_MEDIAPIPE = (
    162, 234, 93, 58, 172, 136, 149, 148, 152, 377, 378, 365, 397, 288, 323, 454, 389,  # jaw 0-16
    70, 63, 105, 66, 107, 336, 296, 334, 293, 300,  # brows 17-26
    168, 197, 5, 4, 98, 97, 2, 326, 327,  # nose bridge 27-30, base 31-35
    33, 160, 158, 133, 153, 144,  # right eye (image left) 36-41
    362, 385, 387, 263, 373, 380,  # left eye 42-47
    61, 39, 37, 0, 267, 269, 291, 405, 314, 17, 84, 181,  # outer lip 48-59
    78, 82, 13, 312, 308, 317, 14, 87,  # inner lip 60-67
)
"""Mediapipe face-mesh index of each of the 68 iBUG points, in iBUG order."""

OCCLUSION_TOLERANCE_M = 0.005
"""A triangle hides a landmark when it is this much nearer the camera on the landmark's ray (m).
Large enough that the lip contact line and the lid margins of a closed mouth or eye, which the
lips and lids cover by a millimetre or two, count as visible (as annotators mark them)."""


def ibug68_rows(mediapipe_indices) -> np.ndarray:
    """Rows ``[68]`` of :data:`IBUG68_MEDIAPIPE` in a landmark list ordered by ``mediapipe_indices``.

    ``UserInputError`` when the list lacks one of them."""
    where = {int(m): i for i, m in enumerate(np.asarray(mediapipe_indices).tolist())}
    missing = [m for m in IBUG68_MEDIAPIPE if m not in where]
    if missing:
        raise UserInputError(f"the landmark table lacks mediapipe points {missing} of the iBUG-68 subset")
    return np.array([where[m] for m in IBUG68_MEDIAPIPE], dtype=np.int64)


def occluded(points: np.ndarray, vertices: np.ndarray, faces: np.ndarray, K: np.ndarray, w2c: np.ndarray,
             tolerance: float = OCCLUSION_TOLERANCE_M) -> np.ndarray:
    """``[L]`` bool: a triangle of the mesh covers the point's pixel more than ``tolerance`` m nearer.

    Args:
        points: ``[L, 3]`` world points (m). vertices ``[V, 3]`` (m), faces ``[F, 3]``: the occluding mesh.
        K ``[3, 3]`` pixels, w2c ``[4, 4]`` OpenCV world-to-camera.

    Exact in image space: a triangle's projection is a triangle, and inverse depth is linear in it.
    Triangles behind the camera are ignored.
    """
    xy, z = project_points(points, K, w2c)
    vxy, vz = project_points(vertices, K, w2c)
    tri_ok = np.all(vz[faces] > 1e-6, axis=1)
    f = faces[tri_ok]
    txy, tz = vxy[f], vz[f]  # [F, 3, 2], [F, 3]
    lo, hi = txy.min(1), txy.max(1)
    out = np.zeros(len(points), dtype=bool)
    for i in range(len(points)):
        if z[i] <= 0:
            continue
        p = xy[i]
        cand = np.flatnonzero((lo[:, 0] <= p[0]) & (p[0] <= hi[:, 0]) & (lo[:, 1] <= p[1]) & (p[1] <= hi[:, 1]))
        if not len(cand):
            continue
        a, b, c = txy[cand, 0], txy[cand, 1], txy[cand, 2]
        den = (b[:, 1] - c[:, 1]) * (a[:, 0] - c[:, 0]) + (c[:, 0] - b[:, 0]) * (a[:, 1] - c[:, 1])
        ok = np.abs(den) > 1e-12
        den = np.where(ok, den, 1.0)
        w0 = ((b[:, 1] - c[:, 1]) * (p[0] - c[:, 0]) + (c[:, 0] - b[:, 0]) * (p[1] - c[:, 1])) / den
        w1 = ((c[:, 1] - a[:, 1]) * (p[0] - c[:, 0]) + (a[:, 0] - c[:, 0]) * (p[1] - c[:, 1])) / den
        w2 = 1.0 - w0 - w1
        inside = ok & (w0 >= 0) & (w1 >= 0) & (w2 >= 0)
        if not np.any(inside):
            continue
        inv_z = (np.stack([w0, w1, w2], 1) / tz[cand]).sum(1)  # perspective-correct depth
        depth = 1.0 / inv_z[inside]
        out[i] = bool(np.any(depth < z[i] - tolerance))
    return out


@dataclass(frozen=True)
class ViewLandmarks:
    """Landmarks of one frame in every camera.

    Attributes:
        mediapipe: ``[L]`` mediapipe face-mesh index of each landmark (the row order).
        cameras: ``C`` camera names.
        xy: ``[C, L, 2]`` pixel coordinates (x right, y down, pixel centres at +0.5), float32.
        visible: ``[C, L]`` bool (see the module docstring).
    """

    mediapipe: np.ndarray
    cameras: tuple[str, ...]
    xy: np.ndarray
    visible: np.ndarray

    @property
    def ibug68(self) -> np.ndarray:
        """Rows ``[68]`` of the iBUG-68 points (``xy[:, view.ibug68]`` is ``[C, 68, 2]``)."""
        return ibug68_rows(self.mediapipe)

    def camera(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(xy ``[L, 2]``, visible ``[L]``) of camera ``name``."""
        if name not in self.cameras:
            raise UserInputError(f"no landmarks for camera {name!r}; cameras are {', '.join(self.cameras)}")
        i = self.cameras.index(name)
        return self.xy[i], self.visible[i]

    def to_json(self) -> dict:
        """The ``landmarks.json`` body (pixel coordinates rounded to 1/100 px; ``ibug68`` when the
        landmark list holds the whole subset)."""
        has_ibug = set(IBUG68_MEDIAPIPE) <= set(self.mediapipe.tolist())
        return {
            "mediapipe": self.mediapipe.astype(int).tolist(),
            **({"ibug68": ibug68_rows(self.mediapipe).tolist()} if has_ibug else {}),
            "occlusion": "head mesh only (hair, beard, clothing and lashes do not hide a landmark)",
            "cameras": {name: {"xy": np.round(self.xy[i].astype(np.float64), 2).tolist(),
                               "visible": self.visible[i].astype(int).tolist()}
                        for i, name in enumerate(self.cameras)},
        }  # fmt: skip


def project_frame(landmarks: np.ndarray, mediapipe, vertices: np.ndarray, faces: np.ndarray,
                  cameras) -> ViewLandmarks:
    """Project one frame's landmarks into every camera.

    Args:
        landmarks: ``[L, 3]`` posed landmark positions (m), e.g. ``model.landmarks(vertices)``.
        mediapipe: ``[L]`` their mediapipe indices. vertices ``[V, 3]`` (m), faces ``[F, 3]``: the posed head.
        cameras: objects with ``name``, ``K`` ``[3, 3]``, ``w2c`` ``[4, 4]``, ``width``, ``height``
            (``RigCamera``).
    """
    pts = np.asarray(landmarks, dtype=np.float64)
    verts = np.asarray(vertices, dtype=np.float64)
    mp = np.asarray(mediapipe, dtype=np.int64)
    if pts.ndim != 2 or pts.shape[1] != 3 or mp.shape != (len(pts),):
        raise ValueError(f"project_frame: landmarks {pts.shape} and mediapipe {mp.shape} must be [L, 3] and [L]")
    xys, vis = [], []
    for cam in cameras:
        xy, z = project_points(pts, cam.K, cam.w2c)
        inside = (z > 0) & (xy[:, 0] >= 0) & (xy[:, 0] < cam.width) & (xy[:, 1] >= 0) & (xy[:, 1] < cam.height)
        xys.append(xy)
        vis.append(inside & ~occluded(pts, verts, faces, cam.K, cam.w2c))
    return ViewLandmarks(mp, tuple(c.name for c in cameras), np.array(xys, dtype=np.float32), np.array(vis))


def parse_landmarks(data: dict, path, camera_names) -> ViewLandmarks:
    """:class:`ViewLandmarks` from a ``landmarks.json`` body; ``UserInputError`` naming ``path`` when
    it is malformed or does not hold exactly the identity's ``camera_names``."""
    try:
        mp = np.asarray(data["mediapipe"], dtype=np.int64)
        per = data["cameras"]
        names = tuple(camera_names)
        if set(per) != set(names):
            raise ValueError(f"cameras {sorted(per)} differ from cameras.json {sorted(names)}")
        xy = np.array([per[n]["xy"] for n in names], dtype=np.float32)
        visible = np.array([per[n]["visible"] for n in names]).astype(bool)
    except (KeyError, TypeError, ValueError) as exc:
        raise UserInputError(f"{path}: malformed landmarks ({type(exc).__name__}: {exc})") from None
    if mp.ndim != 1 or xy.shape != (len(names), len(mp), 2) or visible.shape != (len(names), len(mp)):
        raise UserInputError(f"{path}: expected xy [{len(names)}, {len(mp)}, 2] and visible [{len(names)}, "
                             f"{len(mp)}], found {xy.shape} and {visible.shape}")
    if not np.all(np.isfinite(xy)):
        raise UserInputError(f"{path}: non-finite landmark coordinates")
    return ViewLandmarks(mp, names, xy, visible)
