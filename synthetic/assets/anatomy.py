"""Anatomical frame, soft zones (brows, cheeks, nose, beard areas, hairline) and the face core placed in 3D.

Features are placed relative to five landmarks rather than in UV, so one description fits any
head shape and any UV layout. The local frame (``Landmarks.to_local``) has its origin between
the eye centres and axes, in millimetres scaled to a 63 mm interocular distance:

* ``lat``: towards the subject's left (world +X for a neutral head);
* ``fwd``: out of the face (world -Y for a neutral head);
* ``up``: towards the top of the head (world +Z), orthogonal to ``lat``.

Zone functions take local coordinates (N, 3) in those scaled millimetres and return float32
weights in [0, 1] with soft (smoothstep) edges. The eye-mouth line leans back 16-24 degrees, so a feature placed by
its height above the eyes uses the upright frame instead (``Landmarks.to_upright``: ``up`` = world +Z): the brows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import AssetInputError
from .noise import smoothstep

REFERENCE_IOD_M = 0.063  # interocular distance the zone sizes below are written for


@dataclass(frozen=True)
class Landmarks:
    """Five anatomical points in metres, world frame (Blender: Z up, face along -Y).

    ``eye_left`` is the subject's left eye centre (world +X side for a neutral head).
    """

    eye_left: np.ndarray
    eye_right: np.ndarray
    nose_tip: np.ndarray
    mouth: np.ndarray
    chin: np.ndarray

    def __post_init__(self):
        for name in ("eye_left", "eye_right", "nose_tip", "mouth", "chin"):
            v = np.asarray(getattr(self, name), float)
            if v.shape != (3,) or not np.all(np.isfinite(v)):
                raise AssetInputError(f"Landmarks.{name}: expected a finite 3-vector in metres, got {v}")
            object.__setattr__(self, name, v)
        if np.linalg.norm(self.eye_left - self.eye_right) < 1e-3:
            raise AssetInputError("Landmarks: eye centres coincide; cannot build the face frame")

    @property
    def origin(self) -> np.ndarray:
        """Midpoint of the eye centres (m)."""
        return 0.5 * (self.eye_left + self.eye_right)

    @property
    def scale(self) -> float:
        """Interocular distance divided by the 63 mm reference (unitless)."""
        return float(np.linalg.norm(self.eye_left - self.eye_right) / REFERENCE_IOD_M)

    def axes(self) -> np.ndarray:
        """(3, 3) rows = world directions of ``lat``, ``fwd``, ``up``."""
        lat = self.eye_left - self.eye_right
        lat /= np.linalg.norm(lat)
        up = self.origin - self.mouth
        up = up - lat * (up @ lat)
        up /= np.linalg.norm(up)
        fwd = np.cross(lat, up)
        return np.stack([lat, fwd, up])

    def to_local(self, points: np.ndarray) -> np.ndarray:
        """World points (N, 3) in m -> local (lat, fwd, up) in scaled mm, float32."""
        return self._in_frame(points, self.axes())

    def _in_frame(self, points: np.ndarray, axes: np.ndarray) -> np.ndarray:
        """World points (N, 3) in m -> coordinates along ``axes`` (3, 3 rows) about :attr:`origin`, scaled mm."""
        loc = (np.asarray(points, float) - self.origin) @ axes.T
        return (loc * (1000.0 / self.scale)).astype(np.float32)

    def upright_axes(self) -> np.ndarray:
        """(3, 3) rows = world directions of ``lat``, ``fwd``, ``up`` where ``up`` is the world +Z (without its
        ``lat`` part) instead of the eye-mouth line. Assets are built on the neutral, upright head, whose eye-mouth
        line leans back 16-24 degrees (the mouth is ahead of the eye centres): in :meth:`axes`' frame a point on
        the brow, ~20 mm ahead of the eye centres, reads 7-10 mm lower than it stands. Features placed by their
        height above the eyes (the brows) use this frame."""
        lat = self.eye_left - self.eye_right
        lat /= np.linalg.norm(lat)
        up = np.array([0.0, 0.0, 1.0]) - lat * lat[2]
        up /= np.linalg.norm(up)
        return np.stack([lat, np.cross(lat, up), up])

    def to_upright(self, points: np.ndarray) -> np.ndarray:
        """World points (N, 3) in m -> (lat, fwd, up) of :meth:`upright_axes` in scaled mm, float32."""
        return self._in_frame(points, self.upright_axes())

    def directions_to_world(self, local_dirs: np.ndarray) -> np.ndarray:
        """Local direction vectors (N, 3) -> world directions (N, 3) (unit length kept)."""
        return np.asarray(local_dirs, float) @ self.axes()

    def local_of(self, name: str) -> np.ndarray:
        """Local coordinates (3,) of one landmark."""
        return self.to_local(getattr(self, name)[None])[0]

    def to_json(self) -> dict:
        """Landmarks as lists of floats (m)."""
        return {k: [float(x) for x in getattr(self, k)] for k in ("eye_left", "eye_right", "nose_tip", "mouth", "chin")}


def _band(x, lo, hi, soft):
    """1 inside [lo, hi], 0 outside, with smooth ramps of width ``soft`` (mm)."""
    return smoothstep(lo - soft, lo, x) * (1.0 - smoothstep(hi, hi + soft, x))


def _front(loc, limit=-25.0, soft=10.0):
    return smoothstep(limit - soft, limit, loc[:, 1])


BROW_REFERENCE_WIDTH_MM = 11.0
"""The brow's height (scaled mm) at its medial head that :data:`BROW_CENTRE_AT_PUPIL_MM` is set for, and the width of
identities drawn before widths were (``FacialHairParams.brow_width_mm``)."""


def brow_zone(loc: np.ndarray, arch: float = 4.0, lift: float = 0.0,
              width: float = BROW_REFERENCE_WIDTH_MM) -> np.ndarray:
    """Eyebrow area (both sides): an arch above each eye, ``width`` (scaled mm) tall at its medial head, narrowing
    to :data:`BROW_TAIL_FRACTION` of that at the tail. ``loc`` in the upright frame (:meth:`Landmarks.to_upright`):
    with ``lift`` 0 the hair's lower edge stands ~14 mm above the eye centre at the mid-pupil line whatever the
    width (people: 19.5 mm from the lower corneal limbus, ~6 mm below the centre); ``arch`` (scaled mm) is how far
    the peak, lateral of the pupil, rises above the medial head; ``lift`` moves the whole brow up (scaled mm)."""
    a = np.abs(loc[:, 0])
    u = (a - 9.5) / 48.0
    rise = np.sin(np.pi * np.clip(u, 0, 1) ** 0.8) - BROW_RISE_AT_PUPIL
    reference = _brow_half(BROW_REFERENCE_WIDTH_MM, BROW_PUPIL_U)
    lower_edge_kept = 0.8 * (_brow_half(width, BROW_PUPIL_U) - reference)
    centre = BROW_CENTRE_AT_PUPIL_MM + lower_edge_kept + lift + arch * rise - 3.0 * np.clip(u - 0.7, 0, 1)
    half = _brow_half(width, u)
    along = _band(u, 0.0, 1.0, 0.06)
    across = 1.0 - smoothstep(half * 0.6, half, np.abs(loc[:, 2] - centre))
    return (along * across * _front(loc, -12.0, 8.0)).astype(np.float32)


BROW_TAIL_FRACTION = 5.0 / 11.0
"""The brow's height at its tail as a fraction of its height at the medial head."""


def _brow_half(width: float, u) -> np.ndarray:
    """Half the brow's height (scaled mm) at ``u`` (0 medial head .. 1 tail) for a brow ``width`` tall at its head."""
    return 0.5 * width * (1.0 - (1.0 - BROW_TAIL_FRACTION) * np.clip(u, 0, 1))


BROW_PUPIL_U = (31.5 - 9.5) / 48.0
"""The mid-pupil line (31.5 mm out) on the brow's medial-to-tail parameter."""
BROW_RISE_AT_PUPIL = float(np.sin(np.pi * BROW_PUPIL_U ** 0.8))
"""The arch's rise (fraction of ``arch``) at the mid-pupil line (31.5 mm out): the arch pivots there, so the brow's
height above the pupil does not depend on how arched it is."""
BROW_CENTRE_AT_PUPIL_MM = 17.46
"""Height (scaled mm, upright frame) of the brow zone's centre line at the mid-pupil line with ``lift`` 0: its lower
edge (0.8 of the 4.1 mm half-width below) then stands ~14 mm above the eye centre, as people's does."""


def brow_direction(loc: np.ndarray) -> np.ndarray:
    """Unit directions (N, 3) in the upright frame in which brow hairs grow: up at the head, lateral then down at
    the tail."""
    u = np.clip((np.abs(loc[:, 0]) - 9.5) / 48.0, 0, 1)
    ang = np.radians(np.interp(u, [0.0, 0.12, 0.4, 1.0], [75.0, 35.0, 12.0, -25.0]))
    side = np.where(loc[:, 0] >= 0, 1.0, -1.0)
    return np.stack([side * np.cos(ang), np.zeros_like(ang), np.sin(ang)], axis=1)


def cheek_zone(loc: np.ndarray) -> np.ndarray:
    """Cheek apples (redness): soft blobs below and lateral to the eyes."""
    d2 = ((np.abs(loc[:, 0]) - 40.0) / 17.0) ** 2 + ((loc[:, 2] + 32.0) / 15.0) ** 2
    return (np.exp(-d2) * _front(loc, -30.0)).astype(np.float32)


def nose_zone(loc: np.ndarray, nose_tip_local: np.ndarray) -> np.ndarray:
    """Nose tip, alae and bridge."""
    d = loc - nose_tip_local
    tip = np.exp(-(d[:, 0] ** 2 + d[:, 2] ** 2 + 0.5 * d[:, 1] ** 2) / 14.0 ** 2)
    t = np.clip(loc[:, 2] / min(nose_tip_local[2], -1.0), 0.0, 1.0)  # 0 at eye level, 1 at the tip
    bridge = np.exp(-(loc[:, 0] / (5.0 + 8.0 * t)) ** 2) * _band(loc[:, 2], nose_tip_local[2], 5.0, 6.0)
    return (np.maximum(tip, 0.6 * bridge) * _front(loc, -5.0)).astype(np.float32)


def forehead_zone(loc: np.ndarray) -> np.ndarray:
    """Forehead band above the brows."""
    return (_band(loc[:, 2], 24.0, 80.0, 10.0) * (1 - smoothstep(40.0, 58.0, np.abs(loc[:, 0])))
            * _front(loc, -20.0)).astype(np.float32)


def periorbital_zone(loc: np.ndarray) -> np.ndarray:
    """Ring under and around each eye (darker, thinner skin)."""
    d = np.hypot(np.abs(loc[:, 0]) - 31.5, loc[:, 2])
    return (_band(d, 10.0, 20.0, 5.0) * (1 - smoothstep(-2.0, 8.0, loc[:, 2])) * _front(loc, -20.0)).astype(np.float32)


def freckle_zone(loc: np.ndarray, nose_tip_local: np.ndarray) -> np.ndarray:
    """Where freckles gather: nose and cheeks most, forehead and the rest of the face less."""
    return np.clip(0.25 + np.maximum(cheek_zone(loc) * 1.4, nose_zone(loc, nose_tip_local))
                   + 0.3 * forehead_zone(loc), 0, 1).astype(np.float32)


def beard_zones(loc: np.ndarray, lm: Landmarks) -> dict[str, np.ndarray]:
    """Facial-hair areas: ``moustache``, ``chin``, ``goatee``, ``jaw`` and ``full`` (the union).

    Heights follow the mouth, nose and chin landmarks; the cheek line rises from beside the
    nose to the sideburns in front of the ears.
    """
    m, n, c = lm.local_of("mouth"), lm.local_of("nose_tip"), lm.local_of("chin")
    a = np.abs(loc[:, 0])
    w = loc[:, 2] - m[2]
    top = (n[2] - m[2]) - 14.0  # below the nostrils (with the 3 mm ramp: none on the nose wings)
    chin_w = c[2] - m[2]
    front = _front(loc, m[1] - 55.0, 12.0)
    moustache = _band(a, -1.0, 24.0, 5.0) * _band(w, 3.0 - 6.0 * smoothstep(14.0, 24.0, a), top, 3.0)
    chin = _band(a, -1.0, 21.0, 6.0) * _band(w, chin_w - 14.0, -7.0, 4.0)
    sides = _band(a, 14.0, 30.0, 4.0) * _band(w, chin_w + 4.0, 2.0, 4.0)
    goatee = np.maximum(np.maximum(moustache, chin), sides)
    cheek_line = np.interp(a, [0.0, 22.0, 44.0, 58.0, 70.0], [m[2] + 14.0, m[2] + 14.0, -36.0, -22.0, 5.0])
    jaw = (1 - smoothstep(cheek_line - 4.0, cheek_line + 2.0, loc[:, 2])) * smoothstep(
        c[2] - 42.0, c[2] - 30.0, loc[:, 2]) * _front(loc, -72.0, 10.0)
    full = np.maximum(np.maximum(goatee, jaw), moustache)
    out = {"moustache": moustache * front, "chin": chin * front, "goatee": goatee * front, "jaw": jaw,
           "full": full * np.maximum(front, jaw)}
    return {k: np.clip(v, 0, 1).astype(np.float32) for k, v in out.items()}


def eye_forward(lm: Landmarks) -> np.ndarray:
    """World unit vector the neutral eyes look along (the frame's ``fwd``)."""
    return lm.axes()[1]


# --------------------------------------------------------------------------- face core
# The face core: what hair must never hide (eyes, nose, mouth). Every point whose local (lat, up)
# lies inside the convex hull of both eye boxes and the mouth box, in front of ``fwd = FRONT_MM``.
# The nose lies inside the hull; the forehead and brows (a fringe), the outer cheeks and the chin do not.
EYE_HALF_WIDTH_MM = 16.0
"""Half width of each eye box about its centre (the fissure is ~30 mm wide), scaled mm."""
EYE_HALF_HEIGHT_MM = 10.0
"""Half height of each eye box (upper lid to lower lid; brows start ~13 mm above the eye centre)."""
MOUTH_HALF_WIDTH_MM = 26.0
"""Half width of the mouth box about the mouth landmark (lip corners ~25 mm out), scaled mm."""
MOUTH_UP_MM, MOUTH_DOWN_MM = 8.0, 12.0
"""Height of the mouth box above and below the mouth landmark (lips), scaled mm."""
FRONT_MM = -35.0
"""The face core lies in front of this ``fwd`` plane (the eyeballs and lips are well in front)."""


def face_core_hull(landmarks: Landmarks) -> np.ndarray:
    """Corners (K, 2) of the face core's convex hull in local (lat, up) scaled mm, counter-clockwise."""
    m = landmarks.local_of("mouth")
    pts = []
    for name in ("eye_left", "eye_right"):
        e = landmarks.local_of(name)
        for dx in (-EYE_HALF_WIDTH_MM, EYE_HALF_WIDTH_MM):
            for dz in (-EYE_HALF_HEIGHT_MM, EYE_HALF_HEIGHT_MM):
                pts.append((e[0] + dx, e[2] + dz))
    for dx in (-MOUTH_HALF_WIDTH_MM, MOUTH_HALF_WIDTH_MM):
        for dz in (-MOUTH_DOWN_MM, MOUTH_UP_MM):
            pts.append((m[0] + dx, m[2] + dz))
    return _convex_hull(np.asarray(pts, float))


def in_face_core(points: np.ndarray, landmarks: Landmarks) -> np.ndarray:
    """(N,) bool: which world points (N, 3) in m lie in the face core."""
    loc = landmarks.to_local(np.asarray(points, float).reshape(-1, 3)).astype(float)
    hull = face_core_hull(landmarks)
    inside = loc[:, 1] > FRONT_MM
    for a, b in zip(hull, np.roll(hull, -1, axis=0)):  # left of every counter-clockwise edge
        inside &= (b[0] - a[0]) * (loc[:, 2] - a[1]) - (b[1] - a[1]) * (loc[:, 0] - a[0]) >= 0
    return inside


def _convex_hull(p: np.ndarray) -> np.ndarray:
    """Counter-clockwise convex hull (K, 2) of 2D points (N, 2) (Andrew's monotone chain)."""
    pts = sorted(map(tuple, np.unique(p, axis=0)))

    def half(seq):
        out = []
        for q in seq:
            while len(out) >= 2 and ((out[-1][0] - out[-2][0]) * (q[1] - out[-2][1])
                                     - (out[-1][1] - out[-2][1]) * (q[0] - out[-2][0])) <= 0:
                out.pop()
            out.append(q)
        return out

    lower, upper = half(pts), half(pts[::-1])
    return np.asarray(lower[:-1] + upper[:-1], float)
