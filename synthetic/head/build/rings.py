"""Structured ring patches around the eye openings and the mouth (build step, numpy).

A patch is a stack of closed rings with the same number of vertices; vertex ``j`` of ring ``k``
sits at the same angular parameter ``t_j`` on every ring, so the rings join as quads and
expressions can address "the upper lid margin" or "the lower lip contact line" by index.
Rings run inner -> outer. Angular parameter ``t`` (rad): ``x = centre + a cos t``, upper half
``sin t > 0``; for the eyes ``t = 0`` is the outer (lateral) corner of the subject's left eye.

Positions are metres in the model frame. The outermost ring of every patch lies on the
sculpted skin and is stitched to the rest of the head by the spherical Delaunay fill.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import shape
from .fields import smoothstep

EYE_RING_COUNT_M = 40
MOUTH_RING_COUNT_M = 80
SEAL_F = 0.10
"""Where the seal ring (the lips' red just before they touch) lies between the contact line (0) and the vermilion
border (1) in the frontal parameter: ~0.8 mm above (below) the contact at the midline."""
SEAL_FORWARD = 0.75
"""How far forward the seal ring stands, as a share of the way from the contact line's depth to the first lip
ring's: the red faces forward down to the seal and turns back into the contact over the last ~0.8 mm."""
LID_SEAL_M = 0.0001
"""Gap (m) between the lids' innermost ring and the eyeball's surface: the lids lie on the eye."""
CONTACT_DEPTH_M = 0.0022
"""How far (m) the closed lips' meeting line (stomion) lies behind the first ring of the lips' red, the further back
of the upper and lower one: at the midline the stomion ends ~4 mm behind the upper lip's most forward point and
~2.5 mm behind the lower's, as in profile photographs."""


@dataclass
class RingPatch:
    """Rings ``[K, M, 3]`` (m), their frontal parameters ``[K, M, 2]`` (x, z in m) and ring roles."""

    name: str
    points: np.ndarray
    param: np.ndarray
    roles: list[str]
    t: np.ndarray
    extra: dict = field(default_factory=dict)

    def ring(self, role: str) -> int:
        return self.roles.index(role)


def _eye_param(t: np.ndarray, grow: float, scale_in: float = 1.0) -> np.ndarray:
    """Left-eye opening contour grown by ``grow`` (m) or shrunk by ``scale_in`` (<1), as (x, z) ``[M, 2]``."""
    ex, ez = shape.EYE_CENTRE[0], shape.EYE_CENTRE[2]
    c, s = np.cos(t), np.sin(t)
    xc, a = ex + 0.0005, 0.0142
    z_in, z_out = ez - 0.0016, ez + 0.0008  # canthal tilt: the outer corner is higher
    base = 0.5 * (z_in + z_out) + 0.5 * (z_out - z_in) * c
    up = s > 0
    # upper lid peaks medially of centre, lower lid lowest laterally of centre
    skew = np.where(up, 1.0 - 0.18 * c, 1.0 + 0.12 * c)
    height = np.where(up, 0.0060, 0.0062) * skew
    medial = c < 0
    grow_x = grow * np.where(medial, 0.55, 0.7)
    grow_z = grow * np.where(up, 1.05, 0.95)
    x = xc + (a + grow_x) * c * scale_in
    z = base + height * np.abs(s) ** 0.85 * np.sign(s) * scale_in + grow_z * s
    return np.stack([x, z], axis=-1)


def eye_patch(side: str) -> RingPatch:
    """Rings around one eye opening, innermost (touching the eyeball) to outermost (brow, cheek).

    ``side`` is ``"left"`` (subject's left, +X) or ``"right"`` (mirror image).
    """
    m = EYE_RING_COUNT_M
    tt = np.linspace(0.0, 2.0 * np.pi, m, endpoint=False)
    t = tt - 0.22 * np.sin(2 * tt) * 0.5  # slightly denser sampling near the corners
    grows = [0.0010, 0.0022, 0.0038, 0.0058, 0.0082, 0.0110]
    params = [_eye_param(t, 0.0, 0.76), _eye_param(t, 0.0, 0.90), _eye_param(t, 0.0)]
    params += [_eye_param(t, g) for g in grows]
    param = np.stack(params)
    roles = ["inner", "margin_inner", "margin"] + [f"skin{i}" for i in range(len(grows))]
    pts = shape.project_frontal(param.reshape(-1, 2)).reshape(param.shape[:2] + (3,))
    # the lids hug the eyeball: pull the margin onto the lid sphere and ease the next rings toward it
    centre = shape.EYE_CENTRE
    ray = pts - centre
    dist = np.linalg.norm(ray, axis=-1, keepdims=True)
    unit = ray / dist
    hug = shape.LID_RADIUS + 0.0006
    frontal = pts.copy()
    # toward the corners the lids keep their frontal outline and only sink back toward the sphere: pulled along
    # the ray, the medial corner moved 4 mm laterally (the skin there is in front of the eyeball), so the opening
    # was 21 mm wide instead of a person's 27-30 and showed the iris between two slits of sclera
    corner = smoothstep(0.55, 0.97, np.abs(np.cos(t)))[:, None]
    for k, keep in ((2, 0.0), (3, 0.35), (4, 0.65), (5, 0.88)):
        pts[k] = centre + unit[k] * np.where(dist[k] > hug, hug + (dist[k] - hug) * keep, dist[k])
        pts[k, :, 0::2] += corner * (frontal[k, :, 0::2] - pts[k, :, 0::2])
    ray = pts - centre
    unit = ray / np.linalg.norm(ray, axis=-1, keepdims=True)
    # lid thickness: the two inner rings go from the margin back onto the eyeball surface (generator 12: they
    # stopped 0.9 mm off it, and in three-quarter views the slit showed as a black crescent in the outer corner)
    margin_unit = unit[2]
    pts[1] = centre + margin_unit * (0.5 * hug + 0.5 * (shape.EYE_RADIUS + LID_SEAL_M))
    pts[0] = centre + margin_unit * (shape.EYE_RADIUS + LID_SEAL_M)
    pts[1, :, 1] += 0.0003  # rounded lid edge
    if side == "right":
        pts = pts * np.array([-1.0, 1.0, 1.0])
        param = param * np.array([-1.0, 1.0])
    elif side != "left":
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    return RingPatch(f"eye_{side}", pts, param, roles, t)


def _mouth_contour(t: np.ndarray, half_width: float, up_height, low_height, power: float = 0.35) -> np.ndarray:
    """(x, z) ``[M, 2]`` of a closed mouth contour: ``x = w cos t``; heights are functions of x."""
    x = half_width * np.cos(t)
    s = np.sin(t)
    line = shape.MOUTH_Z + 0.0008 * (np.clip(x, -0.025, 0.025) / 0.025) ** 2
    h = np.where(s >= 0, up_height(x), low_height(x))
    return np.stack([x, line + h * np.abs(s) ** power * np.sign(s)], axis=-1)


def _falloff(x: np.ndarray, width: float, power: float) -> np.ndarray:
    return np.clip(1.0 - (x / width) ** 2, 0.0, 1.0) ** power


def mouth_patch() -> RingPatch:
    """Rings around the mouth: bag rim, inner lip, contact line, lip surface, vermilion border, skin."""
    m = MOUTH_RING_COUNT_M
    tt = np.linspace(0.0, 2.0 * np.pi, m, endpoint=False)
    t = tt - 0.30 * np.sin(2 * tt) * 0.5
    corner = 0.0250

    def bow(x):  # upper vermilion height above the mouth line: cupid's bow with a central dip
        peaks = 0.0005 * np.exp(-(((np.abs(x) - 0.0055) / 0.0030) ** 2))
        return 0.0093 * _falloff(x, corner + 0.001, 0.55) - 0.0013 * np.exp(-((x / 0.0032) ** 2)) + peaks

    def lower(x):
        return 0.0098 * _falloff(x, corner + 0.001, 0.5)

    def contact(x):
        return 0.00025 + 0.0005 * _falloff(x, corner, 0.5)

    border = _mouth_contour(t, corner + 0.0010, bow, lower)
    contact_line = _mouth_contour(t, corner - 0.0012, contact, contact)
    outer = _mouth_contour(t, 0.0420, lambda x: 0.0130 + 0.0 * x, lambda x: 0.0235 + 0.0 * x, power=1.0)
    lip_f = [SEAL_F, 0.30, 0.62, 0.86]
    skin_g = [0.16, 0.36, 0.62, 1.0]
    params = [contact_line] + [(1 - f) * contact_line + f * border for f in lip_f] + [border]
    params += [(1 - g) * border + g * outer for g in skin_g]
    param = np.stack(params)
    pts = shape.project_frontal(param.reshape(-1, 2)).reshape(param.shape[:2] + (3,))
    # where along the lips' relief each ring lies: 0 contact, 1 border, 1.25-2 the skin rings (the seal ring's
    # depth is set below from its neighbours)
    relief_f = np.array([0.0, 0.0, 0.25, 0.5, 0.75, 1.0] + [1.0 + 0.25 * (i + 1) for i in range(len(skin_g))])
    pts += _lip_relief(param, t, relief_f, corner)
    # close the mouth: both halves of the contact line meet on the mouth line, just behind the lips' fronts (the
    # lips touch there; the slit carved in the base surface would put the meeting line ~9 mm back, and the red of
    # both lips turned away into a dark slot, leaving a thin upper lip from the front)
    s = np.sin(t)
    line_z = shape.MOUTH_Z + 0.0008 * (param[0, :, 0] / 0.025) ** 2
    pts[0, :, 2] = line_z + 0.00001 * np.sign(s)
    partner = (-np.arange(m)) % m  # the same column on the other lip
    lips_front = np.maximum(pts[2, :, 1], pts[2, partner, 1])  # the further back of the two lip0 rings
    pts[0, :, 1] = np.maximum(np.minimum(pts[0, :, 1], lips_front + CONTACT_DEPTH_M), pts[2, :, 1] + 0.0007)
    # the seal ring: each lip's red comes down (up) almost vertically to just above (below) the contact line and
    # only there turns back into it, so the closed lips press together along a thin line instead of meeting in a
    # wide V (the contact line straight from lip0 left a 6 mm dark band from the front)
    pts[1, :, 1] = pts[0, :, 1] + SEAL_FORWARD * (pts[2, :, 1] - pts[0, :, 1])
    # inner lips: from the contact line back into the mouth, opening up and down
    inner = []
    for depth, spread, shrink in ((0.0024, 0.0012, 0.0006), (0.0052, 0.0030, 0.0015), (0.0080, 0.0050, 0.0026)):
        ring = pts[0].copy()
        ring[:, 0] -= shrink * np.sign(ring[:, 0]) * np.abs(np.cos(t))
        ring[:, 1] += depth
        ring[:, 2] += spread * np.abs(s) ** 0.5 * np.sign(s)
        inner.append(ring)
    pts = np.concatenate([np.stack(inner[::-1]), pts])
    # inner rings get parameters nested inside the contact line (they live on the mouth UV island)
    inner_param = np.stack([contact_line * [1.0, 1.0]] * 3)
    param = np.concatenate([inner_param, param])
    pts = symmetrize_rings(pts)
    roles = ["bag_rim", "inner2", "inner1", "contact", "seal"] + [f"lip{i}" for i in range(len(lip_f) - 1)]
    roles += ["border"]
    roles += [f"skin{i}" for i in range(len(skin_g))]
    return RingPatch("mouth", pts, param, roles, t, extra={"corner": corner})


def _lip_relief(param: np.ndarray, t: np.ndarray, relief_f: np.ndarray, corner: float) -> np.ndarray:
    """Displacement ``[K, M, 3]`` (m) that sculpts the lips on top of the projected rings (contact first):
    pouting vermilion, a raised border ("white roll") and the philtrum columns above the upper lip.
    ``relief_f [K]``: each ring's place, 0 contact .. 1 vermilion border .. 2 the outermost skin ring."""
    k = param.shape[0]
    x = param[:, :, 0]
    up = (np.sin(t) > 0)[None, :]
    along = np.clip(1.0 - (x / (corner + 0.002)) ** 2, 0.0, 1.0)
    out = np.zeros(param.shape[:2] + (3,))
    f = np.asarray(relief_f, float)[:, None]
    pout = np.where(f <= 1.0, np.sin(np.pi * np.clip(0.12 + 0.88 * f, 0, 1)) ** 0.8, 0.0)
    amp = np.where(up, 0.0026, 0.0032) * along**0.6
    out[..., 1] -= amp * pout
    roll = np.exp(-(((f - 1.05) / 0.18) ** 2)) * np.where(up, 0.0005, 0.0003) * along**0.3
    out[..., 1] -= roll
    skin_rings = np.clip(f - 1.0, 0.0, None)
    columns = (0.0006 * np.exp(-(((np.abs(x) - 0.0052) / 0.0022) ** 2)) - 0.00035 * np.exp(-((x / 0.0025) ** 2)))
    fade = np.exp(-(((skin_rings - 1.2) / 1.1) ** 2)) * (skin_rings > 0) * (np.arange(k) < k - 1)[:, None]
    out[..., 1] -= np.where(up, columns * fade, 0.0)
    return out


def neck_ring(count: int = 60) -> np.ndarray:
    """The open bottom edge of the neck: ``[count, 3]`` points at :data:`shape.NECK_CUT_Z`."""
    ang = np.linspace(0.0, 2.0 * np.pi, count, endpoint=False)
    return symmetrize_rings(shape.project_neck_ring(ang, shape.NECK_CUT_Z)[None], half_turn=False)[0]


def symmetrize_rings(points: np.ndarray, half_turn: bool = True) -> np.ndarray:
    """Make rings ``[K, M, 3]`` exactly mirror symmetric (x -> -x) by copying the +X half.

    With ``half_turn`` the mirror of vertex ``j`` is ``M/2 - j`` (rings parametrised by
    ``x = cos t``); otherwise it is ``-j`` (rings parametrised by an angle from the -Y axis).
    """
    k, m = points.shape[:2]
    j = np.arange(m)
    partner = (m // 2 - j) % m if half_turn else (-j) % m
    out = points.copy()
    left = points[:, :, 0] > 0  # each mirror pair is copied from its +X member
    flip = np.array([-1.0, 1.0, 1.0])
    for kk in range(k):
        out[kk] = np.where(left[kk][:, None], points[kk], points[kk, partner] * flip)
        out[kk, partner == j, 0] = 0.0  # vertices on the midline
    return out


def ring_faces(index: np.ndarray) -> np.ndarray:
    """Triangles ``[2 (K-1) M, 3]`` joining consecutive rings of a ``[K, M]`` vertex-index grid."""
    k, m = index.shape
    a = index[:-1]
    b = np.roll(index[:-1], -1, axis=1)
    c = np.roll(index[1:], -1, axis=1)
    d = index[1:]
    tri1 = np.stack([a, b, c], axis=-1).reshape(-1, 3)
    tri2 = np.stack([a, c, d], axis=-1).reshape(-1, 3)
    return np.concatenate([tri1, tri2])
