"""What hair must stay out of: the head mesh (``MeshSDF``), an analytic body proxy and the face.

``CollisionField`` is the union of signed distances: the head SDF grid, optional shoulders and
torso (``BodyProxy``: capsules and an ellipsoid below the neck cut, so long hair drapes over
the shoulders and down the back instead of hanging through them), and an optional keep-out box
in front of the face so head hair frames the face instead of covering it. ``FaceSightZone`` is
the volume between the face core and the front cameras, where head hair is cut, not pushed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .anatomy import Landmarks, face_core_hull
from .sdf import MeshSDF


def _capsule(p: np.ndarray, a: np.ndarray, b: np.ndarray, r: float):
    ab = b - a
    t = np.clip(((p - a) @ ab) / (ab @ ab), 0, 1)
    d = p - (a + t[:, None] * ab)
    n = np.linalg.norm(d, axis=1)
    return n - r, d / np.maximum(n, 1e-12)[:, None]


def _ellipsoid(p: np.ndarray, c: np.ndarray, radii: np.ndarray):
    """Approximate signed distance of an axis-aligned ellipsoid (exact on the axes) and its gradient."""
    q = (p - c) / radii
    k0 = np.linalg.norm(q, axis=1)
    g = (p - c) / radii**2
    gn = np.linalg.norm(g, axis=1)
    sd = k0 * (k0 - 1.0) / np.maximum(gn, 1e-12)
    return sd, g / np.maximum(gn, 1e-12)[:, None]


@dataclass
class BodyProxy:
    """Shoulders (one capsule across) and torso (an ellipsoid) below the neck cut, world frame (m)."""

    shoulder_a: np.ndarray
    shoulder_b: np.ndarray
    shoulder_radius: float
    torso_centre: np.ndarray
    torso_radii: np.ndarray

    @classmethod
    def below_neck(cls, neck_base: np.ndarray, scale: float = 1.0) -> BodyProxy:
        """A generic adult body under the centre of the neck cut ``neck_base`` (m); ``scale`` ~ body size."""
        c = np.asarray(neck_base, float)
        s = float(scale)
        sh = c + np.array([0.0, 0.01, -0.05]) * s
        return cls(sh + np.array([-0.14, 0.0, -0.015]) * s, sh + np.array([0.14, 0.0, -0.015]) * s, 0.055 * s,
                   c + np.array([0.0, 0.01, -0.30]) * s, np.array([0.17, 0.11, 0.26]) * s)

    def query(self, p: np.ndarray):
        """Signed distance (N,) and outward unit gradient (N, 3)."""
        d1, g1 = _capsule(p, self.shoulder_a, self.shoulder_b, self.shoulder_radius)
        d2, g2 = _ellipsoid(p, self.torso_centre, self.torso_radii)
        first = d1 < d2
        return np.where(first, d1, d2), np.where(first[:, None], g1, g2)

    def to_json(self) -> dict:
        return {k: (np.asarray(v).tolist() if isinstance(v, np.ndarray) else v) for k, v in self.__dict__.items()}


@dataclass
class FaceKeepOut:
    """A box in front of the face (local anatomical frame, see ``anatomy``) that head hair may not enter.

    Bounds are in scaled mm of the local frame: ``lat`` half-width, ``fwd`` range, ``up`` range.
    Points inside are pushed sideways (along ``lat``) only, so hair that would fall across the
    face parts to the sides and frames it instead of hanging in front of it like a curtain.
    """

    landmarks: Landmarks
    half_width: float = 48.0
    fwd: tuple = (-30.0, 150.0)
    up: tuple = (-115.0, 15.0)

    def query(self, p: np.ndarray):
        lm = self.landmarks
        loc = (p - lm.origin) @ lm.axes().T * (1000.0 / lm.scale)
        inside_fwd = np.minimum(loc[:, 1] - self.fwd[0], self.fwd[1] - loc[:, 1])
        inside_up = np.minimum(loc[:, 2] - self.up[0], self.up[1] - loc[:, 2])
        lateral = self.half_width - np.abs(loc[:, 0])
        # Outside the fwd/up ranges the box is "far": it only acts sideways, on points within them.
        sd = np.where((inside_fwd > 0) & (inside_up > 0), -lateral, 1000.0) * lm.scale / 1000.0
        side = np.where(loc[:, 0] >= 0, 1.0, -1.0)
        return sd, side[:, None] * lm.axes()[0][None, :]


@dataclass
class FaceSightZone:
    """Where hair would hide the face core (``anatomy.in_face_core``) from the front cameras.

    The core is taken as its bounding box in the local frame (scaled mm): ``|lat| <= a``,
    ``bottom <= up <= top``, seen from its front plane ``fwd = front_mm``. A point is in the zone
    when a sight line from that box towards a camera at yaw within +-``yaw_deg`` and pitch within
    ``pitch_deg`` (the rig's front block plus a margin for head motion) passes through it: it is
    in front of the plane (``d = fwd - front_mm > 0``), at most ``d * tan(yaw)`` beside the box
    (``e = max(|lat| - a, 0)``), and at a height the pitch range reaches over the horizontal
    distance ``h = hypot(e, d)``. Hair is not pushed out of it (sideways or back would pile it up
    against the face); strands are cut where they enter it (``first_inside``), like a fringe
    trimmed above the eyes.
    """

    landmarks: Landmarks
    yaw_deg: float = 75.0
    pitch_deg: tuple = (-20.0, 30.0)
    front_mm: float = 0.0

    def contains(self, points: np.ndarray) -> np.ndarray:
        """(N,) bool for world points (N, 3) in m."""
        loc = self.landmarks.to_local(np.asarray(points, float).reshape(-1, 3)).astype(float)
        hull = face_core_hull(self.landmarks)
        half, bottom, top = np.abs(hull[:, 0]).max(), hull[:, 1].min(), hull[:, 1].max()
        d = loc[:, 1] - self.front_mm
        e = np.maximum(np.abs(loc[:, 0]) - half, 0.0)
        h = np.hypot(e, np.maximum(d, 0.0))
        lo, hi = np.tan(np.radians(self.pitch_deg))
        return ((d > 0) & (e <= d * np.tan(np.radians(self.yaw_deg))) & (loc[:, 2] <= top + h * hi)
                & (loc[:, 2] >= bottom + h * lo))

    def first_inside(self, strands: np.ndarray) -> np.ndarray:
        """(S,) index of the first point after the root of each strand (S, P, 3) inside the zone, or P."""
        s, p = strands.shape[:2]
        inside = self.contains(strands.reshape(-1, 3)).reshape(s, p)
        inside[:, 0] = False
        return np.where(inside.any(1), inside.argmax(1), p)


class CollisionField:
    """Union of the head SDF and optional analytic shapes; same ``query`` interface as ``MeshSDF``."""

    def __init__(self, head: MeshSDF, body: BodyProxy | None = None, keep_out: FaceKeepOut | None = None):
        self.head, self.body, self.keep_out = head, body, keep_out

    def query(self, points: np.ndarray, use_keep_out: bool = True, gradient: bool = True):
        """Signed distance (N,) in m (negative inside any shape) and outward unit gradient (N, 3) or None."""
        p = np.asarray(points, float).reshape(-1, 3)
        sd, g = self.head.query(p, gradient)
        extra = [self.body] + ([self.keep_out] if use_keep_out else [])
        for shape in extra:
            if shape is None:
                continue
            d, gg = shape.query(p)
            closer = d < sd
            sd = np.where(closer, d, sd)
            if gradient:
                g = np.where(closer[:, None], gg, g)
        return sd, g

    def signed_distance(self, points: np.ndarray, use_keep_out: bool = True) -> np.ndarray:
        return self.query(points, use_keep_out, gradient=False)[0]

    def push_outside(self, points: np.ndarray, margin, iterations: int = 4, use_keep_out: bool = True) -> np.ndarray:
        """Move points (N, 3) with signed distance < ``margin`` (m, scalar or (N,)) out along the gradient."""
        p = np.array(points, float).reshape(-1, 3)
        m = np.broadcast_to(np.asarray(margin, float), (len(p),))
        todo = np.flatnonzero(self.query(p, use_keep_out, gradient=False)[0] < m)
        for _ in range(iterations):
            if len(todo) == 0:
                break
            sd, g = self.query(p[todo], use_keep_out)
            bad = sd < m[todo]
            todo = todo[bad]
            p[todo] += ((m[todo] - sd[bad]) * 1.02)[:, None] * g[bad]
        if use_keep_out and self.keep_out is not None:  # the head and body are hard constraints: last word
            return self.push_outside(p, margin, iterations, use_keep_out=False)
        return p
