"""Named expression blendshapes (FACS / ARKit-like), built from the template's ring structure.

Names follow Apple ARKit's 52 blendshapes in snake case (``mouthSmileLeft`` -> ``mouth_smile_left``),
so captured performances map one to one; "left" is the SUBJECT's left (+X). Every shape is the
displacement (m) of full action (coefficient 1); the valid range is [0, 1].

Jaw components are driven by the jaw joint (``EXPR_JAW`` radians per unit) so the chin swings
on an arc; their blendshape holds only a small corrective. Eyelids close by rotating the upper
lid about the eyeball's horizontal axis until its margin meets the lower lid margin.
"""

from __future__ import annotations

import numpy as np

from . import shape
from .fields import gauss, smoothstep

#: jaw-joint axis-angle (rad) per unit of the jaw components
EXPR_JAW = {"jaw_open": (0.36, 0.0, 0.0), "jaw_left": (0.0, 0.0, 0.10), "jaw_right": (0.0, 0.0, -0.10)}


def _rotate_x(points: np.ndarray, centre: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Rotate ``points`` ``[N, 3]`` about the x axis through ``centre`` by ``angle`` ``[N]`` (rad, + = up)."""
    d = points - centre
    c, s = np.cos(angle), np.sin(angle)
    # positive angle lifts points in front of the centre (-Y side) upward
    y = d[:, 1] * c + d[:, 2] * s
    z = -d[:, 1] * s + d[:, 2] * c
    return np.stack([points[:, 0], centre[1] + y, centre[2] + z], axis=-1)


def _lid_angle(points: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Elevation angle (rad) of points about an eye's horizontal axis, seen from the side."""
    d = points - centre
    return np.arctan2(d[:, 2], -d[:, 1])


class _Ctx:
    """Template data the shapes are written against."""

    def __init__(self, tpl, normals):
        self.p = tpl.vertices
        self.n = normals
        self.tpl = tpl
        v = len(self.p)
        self.skin = np.zeros(v, bool)
        self.skin[tpl.parts["skin"]] = True
        self.bag = np.zeros(v, bool)
        self.bag[tpl.parts["mouth_bag"]] = True
        m_ids, m_roles, m_t = tpl.rings["mouth"]
        self.m_ids, self.m_roles, self.m_t = m_ids, m_roles, m_t
        # lip side of every vertex: +1 upper lip, -1 lower lip (ring-exact on the mouth patch)
        z = self.p[:, 2]
        side = np.tanh((z - shape.MOUTH_Z) / 0.004)
        s = np.sin(m_t)
        for k in range(m_ids.shape[0]):
            side[m_ids[k]] = np.clip(s / 0.12, -1, 1) if k <= m_roles.index("border") else side[m_ids[k]]
        side[tpl.parts["mouth_bag"]] = np.clip(np.tanh((z[tpl.parts["mouth_bag"]] - shape.MOUTH_Z) / 0.003), -1, 1)
        self.upper = np.clip(side, 0, 1)
        self.lower = np.clip(-side, 0, 1)
        contact = m_ids[m_roles.index("contact")]
        self.corner_left = self.p[contact[0]]
        self.corner_right = self.p[contact[len(contact) // 2]]
        self.face_mask = (self.skin | self.bag).astype(float)

    def corner(self, side: str) -> np.ndarray:
        return self.corner_left if side == "left" else self.corner_right

    def sign(self, side: str) -> float:
        return 1.0 if side == "left" else -1.0

    def half(self, side: str, soft: float = 0.006) -> np.ndarray:
        """1 on the subject's ``side`` of the face, 0 on the other, smooth across the midline."""
        return smoothstep(-soft, soft, self.sign(side) * self.p[:, 0])

    def mouth_region(self, r=(0.03, 0.03, 0.02)) -> np.ndarray:
        return gauss(self.p, (0, -0.095, shape.MOUTH_Z), r) * self.face_mask


SMILE_LIP_REACH = 0.018
"""How far (m, Gaussian width from the corner along x) a smile's corner pull reaches along the lips. At the default
0.03 the lips' middle rose half as far as the corners (4.1 of 8.1 mm): the whole mouth lifted and the smile barely
curved; people's corners rise 5-10 mm against a nearly still middle."""


def _corner_pull(c: _Ctx, side: str, vec, radius=0.016, lip_reach=0.03) -> np.ndarray:
    """Move a mouth corner by ``vec`` (m, given for the left side) with falloff over lips and cheek."""
    vec = np.array(vec, float) * [c.sign(side), 1, 1]
    corner = c.corner(side)
    d = np.linalg.norm(c.p - corner, axis=1)
    w = np.exp(-((d / radius) ** 2))
    along = np.exp(-(((c.p[:, 0] - corner[0]) / lip_reach) ** 2)) * gauss(c.p, (0, -0.095, shape.MOUTH_Z),
                                                                            (0.05, 0.03, 0.011))
    w = np.maximum(w, along * c.half(side, 0.02))
    return vec * (w * c.face_mask)[:, None]


def _blink(c: _Ctx, side: str, amount: float = 1.0, lower_raise: float = 0.18) -> np.ndarray:
    """Upper lid rotated down to the lower lid margin (``amount`` = 1 closes the eye)."""
    ids, roles, t = c.tpl.rings[f"eye_{side}"]
    centre = shape.EYE_CENTRE * ([1, 1, 1] if side == "left" else [-1, 1, 1])
    up = np.sin(t) > 0
    m = len(t)
    partner = (-np.arange(m)) % m  # t -> -t: same x on the other lid
    margin = c.p[ids[roles.index("margin")]]
    gap = _lid_angle(margin, centre) - _lid_angle(margin[partner], centre)  # [M] rad, >0 on the upper lid
    target = np.where(up, gap * (1.0 - lower_raise), gap * lower_raise)  # lower lid: gap < 0, moves up
    falloff = {"inner": 1.0, "margin_inner": 1.0, "margin": 1.0, "skin0": 0.9, "skin1": 0.7, "skin2": 0.42,
               "skin3": 0.18, "skin4": 0.05, "skin5": 0.0}
    disp = np.zeros_like(c.p)
    for k, role in enumerate(roles):
        f = falloff[role] * np.where(up, 1.0, np.clip(1.0 - k / 4.0, 0.0, 1.0) * 0.6 + 0.4 * (k < 3))
        ang = -target * f * amount
        ring = ids[k]
        disp[ring] = _rotate_x(c.p[ring], centre, ang) - c.p[ring]
    return disp


def _lid_lift(c: _Ctx, side: str, upper_rad: float, lower_rad: float) -> np.ndarray:
    """Rotate the upper and lower lids about the eye axis (rad, + = up)."""
    ids, roles, t = c.tpl.rings[f"eye_{side}"]
    centre = shape.EYE_CENTRE * ([1, 1, 1] if side == "left" else [-1, 1, 1])
    up = np.sin(t) > 0
    disp = np.zeros_like(c.p)
    for k, role in enumerate(roles):
        f = float(np.clip(1.0 - max(k - 2, 0) / 4.0, 0.0, 1.0))
        ang = np.where(up, upper_rad, lower_rad) * f * np.abs(np.sin(t)) ** 0.5
        disp[ids[k]] = _rotate_x(c.p[ids[k]], centre, ang) - c.p[ids[k]]
    return disp


def _brow(c: _Ctx, side: str, x_centre: float, vec, radius=(0.014, 0.03, 0.012)) -> np.ndarray:
    vec = np.array(vec, float) * [c.sign(side), 1, 1]
    g = gauss(c.p, (c.sign(side) * x_centre, -0.085, 0.034), radius) * c.skin
    return vec * g[:, None]


def build_expressions(tpl, normals: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Return ``(names, basis [V, 3, E], jaw [E, 3])``."""
    c = _Ctx(tpl, normals)
    p, n = c.p, c.n
    z0 = shape.MOUTH_Z
    shapes: dict[str, np.ndarray] = {}
    lips = gauss(p, (0, -0.097, z0), (0.03, 0.02, 0.011)) * c.face_mask
    jaw_ids = np.concatenate([v for k, v in tpl.parts.items() if k.startswith("tooth_lower") or k in
                              ("gums_lower", "tongue")])
    # jaw: corrective shapes only (the joint does the swing)
    shapes["jaw_open"] = (0, -0.0015, 0.0) * (lips * c.lower)[:, None]
    shapes["jaw_left"] = np.zeros_like(p)
    shapes["jaw_right"] = np.zeros_like(p)
    fwd = gauss(p, (0, -0.07, -0.08), (0.06, 0.06, 0.035)) * c.face_mask
    fwd *= np.maximum(c.lower, smoothstep(-0.06, -0.075, p[:, 2]))
    fwd[jaw_ids] = 1.0
    shapes["jaw_forward"] = (0, -0.0045, 0) * fwd[:, None]
    shapes["mouth_close"] = ((0, 0, -0.008) * c.upper[:, None] + (0, 0, 0.011) * c.lower[:, None]) * lips[:, None]
    # lips forward / rounded
    pucker = gauss(p, (0, -0.1, z0), (0.026, 0.03, 0.016)) * c.face_mask
    narrow = -(p[:, 0] * 0.32)[:, None] * [1, 0, 0]
    shapes["mouth_pucker"] = ((0, -0.008, 0) + narrow) * pucker[:, None]
    open_ring = ((0, 0, 0.0025) * c.upper[:, None] + (0, 0, -0.0025) * c.lower[:, None])
    shapes["mouth_funnel"] = ((0, -0.007, 0) + narrow * 0.7 + open_ring) * pucker[:, None]
    for side in ("left", "right"):
        sgn = c.sign(side)
        half = c.half(side, 0.012)
        shapes[f"mouth_{side}"] = (sgn * 0.008, 0, 0) * (c.mouth_region((0.035, 0.03, 0.022)) * 1.0)[:, None]
        cheek = gauss(p, (sgn * 0.038, -0.075, -0.025), (0.016, 0.03, 0.02)) * c.skin
        lid_push = gauss(p, (sgn * 0.033, -0.082, 0.005), (0.014, 0.02, 0.006)) * c.skin
        shapes[f"mouth_smile_{side}"] = (_corner_pull(c, side, (0.007, 0.005, 0.009), lip_reach=SMILE_LIP_REACH)
                                         + n * 0.004 * cheek[:, None] + (0, 0, 0.004) * cheek[:, None]
                                         + (0, 0, 0.0012) * lid_push[:, None])
        shapes[f"mouth_frown_{side}"] = _corner_pull(c, side, (0.002, 0.0, -0.006))
        shapes[f"mouth_dimple_{side}"] = _corner_pull(c, side, (0.003, 0.004, 0.0), radius=0.012)
        shapes[f"mouth_stretch_{side}"] = _corner_pull(c, side, (0.006, 0.0015, -0.003), lip_reach=0.04) + (
            (0, 0, -0.002) * (lips * c.lower * half)[:, None])
        press = lips * half
        shapes[f"mouth_press_{side}"] = ((0, 0.0012, -0.002) * (press * c.upper)[:, None]
                                         + (0, 0.0012, 0.002) * (press * c.lower)[:, None])
        lip_band = gauss(p, (sgn * 0.01, -0.097, z0), (0.02, 0.02, 0.012)) * c.face_mask
        shapes[f"mouth_lower_down_{side}"] = (0, -0.001, -0.006) * (lip_band * c.lower)[:, None]
        shapes[f"mouth_upper_up_{side}"] = (0, -0.001, 0.005) * (lip_band * c.upper)[:, None]
        brow_all = gauss(p, (sgn * 0.03, -0.085, 0.034), (0.022, 0.03, 0.012)) * c.skin
        shapes[f"brow_down_{side}"] = (-sgn * 0.002, -0.001, -0.0055) * brow_all[:, None] + _lid_lift(c, side, -0.05, 0)
        shapes[f"brow_outer_up_{side}"] = _brow(c, side, 0.042, (0, 0, 0.0065), (0.016, 0.03, 0.02))
        shapes[f"cheek_puff_{side}"] = n * 0.009 * (gauss(p, (sgn * 0.042, -0.06, -0.05), (0.02, 0.03, 0.024))
                                                   * c.skin)[:, None] + (0, -0.001, 0) * (lips * half)[:, None]
        shapes[f"cheek_squint_{side}"] = (0, -0.001, 0.0035) * (gauss(p, (sgn * 0.042, -0.07, -0.008),
                                                                      (0.016, 0.03, 0.012)) * c.skin)[:, None]
        shapes[f"nose_sneer_{side}"] = (0, -0.0005, 0.004) * (gauss(p, (sgn * 0.014, -0.098, -0.028),
                                                                    (0.008, 0.02, 0.012)) * c.skin)[:, None]
        shapes[f"eye_blink_{side}"] = _blink(c, side)
        shapes[f"eye_squint_{side}"] = _lid_lift(c, side, -0.06, 0.16) + shapes[f"cheek_squint_{side}"] * 0.4
        shapes[f"eye_wide_{side}"] = _lid_lift(c, side, 0.22, -0.05) + _brow(c, side, 0.03, (0, 0, 0.002))
    roll = lips * smoothstep(0.0, 0.4, np.abs(np.tanh((p[:, 2] - z0) / 0.004)))
    shapes["mouth_roll_upper"] = (0, 0.004, -0.002) * (roll * c.upper)[:, None]
    shapes["mouth_roll_lower"] = (0, 0.004, 0.0025) * (roll * c.lower)[:, None]
    chin = gauss(p, (0, -0.09, -0.085), (0.02, 0.03, 0.018)) * c.skin
    shapes["mouth_shrug_lower"] = (0, -0.002, 0.003) * (lips * c.lower)[:, None] + (0, -0.001, 0.003) * chin[:, None]
    shapes["mouth_shrug_upper"] = (0, -0.002, 0.002) * (lips * c.upper)[:, None]
    shapes["brow_inner_up"] = (0, 0, 0.006) * (gauss(p, (0, -0.09, 0.036), (0.02, 0.03, 0.014)) * c.skin)[:, None]
    tongue = np.zeros(len(p))
    tongue[tpl.parts["tongue"]] = smoothstep(-0.04, -0.08, p[tpl.parts["tongue"], 1])
    shapes["tongue_out"] = (0, -0.022, -0.004) * tongue[:, None]
    names = list(shapes)
    basis = np.stack([shapes[k] for k in names], axis=-1)
    jaw = np.array([EXPR_JAW.get(k, (0.0, 0.0, 0.0)) for k in names])
    return names, basis, jaw
