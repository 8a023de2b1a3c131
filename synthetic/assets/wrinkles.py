"""Skin relief: micro-detail and expression wrinkles as height maps, and how expressions drive them.

Heights are in millimetres along the skin normal (negative = a furrow) and are evaluated per texel
from its 3D position and its place in the anatomical frame (``anatomy.Landmarks.to_local``: lat,
fwd, up in mm scaled to a 63 mm interocular distance), so they fit any head shape and UV layout.

Channels (:data:`RELIEF_CHANNELS`):

* ``micro`` - always on: pores (T-zone and cheeks, where ``texture`` stipples them), a fine
  criss-cross of skin lines, and the age lines a face keeps at rest (forehead, crow's feet, a
  hint of the nasolabial fold) growing with age;
* one map per expression wrinkle (beyond SynShot's data, which has none): ``forehead`` (brow
  raise), ``glabella`` (brow lowering), ``crows_feet`` (smile, squint), ``nasolabial`` (smile),
  ``bunny`` (nose sneer), ``lip_lines`` (pucker). Their depth grows with age.

A frame's relief is ``micro + sum_i a_i * map_i`` with activations ``a`` in [0, 1] from the frame's
expression coefficients (:func:`wrinkle_activations`; :data:`WRINKLE_DRIVERS` says which
coefficients drive which wrinkle). At a neutral expression every ``a_i`` is 0. The Blender skin
material evaluates the same sum in its shader (a Bump node; the activations are node values the
dataset renderer sets per frame and the add-on drives from the expression shape keys).
"""

from __future__ import annotations

import numpy as np

from .noise import fbm, smoothstep, value_noise

RELIEF_CHANNELS = ("micro", "forehead", "glabella", "crows_feet", "nasolabial", "bunny", "lip_lines")
WRINKLES = RELIEF_CHANNELS[1:]

WRINKLE_DRIVERS = {
    "forehead": {"brow_inner_up": 0.6, "brow_outer_up_left": 0.3, "brow_outer_up_right": 0.3},
    "glabella": {"brow_down_left": 0.6, "brow_down_right": 0.6},
    "crows_feet": {"mouth_smile_left": 0.3, "mouth_smile_right": 0.3, "eye_squint_left": 0.35,
                   "eye_squint_right": 0.35, "cheek_squint_left": 0.3, "cheek_squint_right": 0.3},
    "nasolabial": {"mouth_smile_left": 0.5, "mouth_smile_right": 0.5, "mouth_upper_up_left": 0.25,
                   "mouth_upper_up_right": 0.25, "nose_sneer_left": 0.2, "nose_sneer_right": 0.2},
    "bunny": {"nose_sneer_left": 0.6, "nose_sneer_right": 0.6},
    "lip_lines": {"mouth_pucker": 1.0, "mouth_funnel": 0.6},
}
"""Wrinkle -> {expression coefficient name: weight}; activation = clip(sum(weight * value), 0, 1).
Names a head model lacks are skipped."""

MAX_DEPTH_MM = 0.9
"""Deepest furrow at full activation for the oldest faces (mm); the youngest get about 40 % of it."""


def age_factor(age: float) -> float:
    """0 at 25 years or younger, 1 at 70 and older."""
    return float(np.clip((float(age) - 25.0) / 45.0, 0.0, 1.0))


def wrinkle_activations(expression_names, expression) -> np.ndarray:
    """Activations ``[len(WRINKLES)]`` in [0, 1] of one frame's expression coefficients ``[E]``
    (``expression_names``: the model's names, in the same order)."""
    index = {str(n): i for i, n in enumerate(expression_names)}
    e = np.asarray(expression, dtype=np.float64).reshape(-1)
    if len(e) != len(index):
        raise ValueError(f"wrinkle_activations: {len(e)} coefficients for {len(index)} expression names")
    out = np.zeros(len(WRINKLES))
    for k, name in enumerate(WRINKLES):
        out[k] = sum(w * e[index[n]] for n, w in WRINKLE_DRIVERS[name].items() if n in index)
    return np.clip(out, 0.0, 1.0)


def relief_height(relief: np.ndarray, activations) -> np.ndarray:
    """A frame's skin height (mm) from ``relief`` ``[..., 7]`` (:data:`RELIEF_CHANNELS`) and
    activations ``[6]``: ``micro + sum_i a_i * map_i``."""
    a = np.asarray(activations, dtype=np.float32)
    return relief[..., 0] + relief[..., 1:] @ a


def _band(x, lo, hi, soft):
    return smoothstep(lo - soft, lo, x) * (1.0 - smoothstep(hi, hi + soft, x))


def _furrows(phase: np.ndarray, sharpness: float) -> np.ndarray:
    """Periodic narrow furrows in [0, 1]: 1 on integer ``phase``, falling to 0 between them."""
    return ((1.0 + np.cos(2.0 * np.pi * phase)) * 0.5) ** sharpness


def _segment_distance(px, py, a, b):
    """Distance (mm) from points ``(px, py)`` to the segment a-b in the (lat, up) plane, and the
    position along it in [0, 1]."""
    d = np.asarray(b, float) - np.asarray(a, float)
    t = np.clip(((px - a[0]) * d[0] + (py - a[1]) * d[1]) / (d @ d), 0.0, 1.0)
    return np.hypot(px - (a[0] + t * d[0]), py - (a[1] + t * d[1])), t


def polyline_distance(points: np.ndarray, line: np.ndarray) -> np.ndarray:
    """Distance of points ``[N, D]`` to the open polyline ``[K, D]`` (any dimension, the points' units)."""
    pts, line = np.asarray(points, np.float64), np.asarray(line, np.float64)
    best = np.full(len(pts), np.inf)
    for a, b in zip(line[:-1], line[1:], strict=True):
        d = b - a
        t = np.clip((pts - a) @ d / max(float(d @ d), 1e-18), 0.0, 1.0)
        best = np.minimum(best, np.linalg.norm(pts - (a + t[:, None] * d), axis=1))
    return best


def near_polyline(points: np.ndarray, line: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the points ``[N, D]`` within ``radius`` of the open polyline ``[K, D]`` and their distances to it.
    Only points inside the line's bounding box grown by ``radius`` are measured (a lid margin's strip is a few
    hundred of half a million texels: :func:`polyline_distance` over all of them took 0.6 s per lid)."""
    pts, line = np.asarray(points, np.float64), np.asarray(line, np.float64)
    lo, hi = line.min(axis=0) - radius, line.max(axis=0) + radius
    box = np.flatnonzero(np.all((pts >= lo) & (pts <= hi), axis=1))
    d = polyline_distance(pts[box], line)
    keep = d < radius
    return box[keep], d[keep]


def relief_maps(p: np.ndarray, loc: np.ndarray, nose_local: np.ndarray, mouth_local: np.ndarray,
                pore_weight: np.ndarray, age: float, seed: int, lid_lines=(), crease_mm: float = 7.0) -> np.ndarray:
    """Height channels ``[N, 7]`` float32 (mm) of skin texels.

    Args:
        p: ``[N, 3]`` texel positions (m). loc: ``[N, 3]`` the same in the anatomical frame (scaled mm).
        nose_local, mouth_local: nose tip and mouth centre in that frame (mm).
        pore_weight: ``[N]`` where pores show, in [0, 1] (0 off the face, on lips, eyes, mouth).
        age: years. seed: the identity's skin noise seed.
        lid_lines: upper-lid margins in the anatomical frame, each ``[K, 3]`` (mm); the lid crease runs
            ``crease_mm`` above them (0: a monolid, no crease).
    """
    lat, fwd, up = loc[:, 0], loc[:, 1], loc[:, 2]
    a = np.abs(lat)
    front = smoothstep(-40.0, -25.0, fwd)  # the face side of the head, not the ears or scalp behind
    old = age_factor(age)
    depth = MAX_DEPTH_MM * (0.4 + 0.6 * old)
    wobble = fbm(p, 45.0, seed + 31, 2)  # slow bends so lines are not ruler-straight
    breaks = smoothstep(-0.45, 0.15, fbm(p, 70.0, seed + 32, 2))  # lines fade in and out along their length
    out = np.zeros((len(p), len(RELIEF_CHANNELS)), np.float32)

    # forehead: 3-5 horizontal furrows across the brow-raise area, period by identity
    period = 8.0 + 3.0 * (0.5 + 0.5 * value_noise(np.zeros((1, 3)), 1.0, seed + 33)[0])
    zone = _band(up, 24.0, 58.0, 7.0) * (1.0 - smoothstep(32.0, 48.0, a)) * front
    phase = (up + 3.0 * wobble + 0.0025 * lat**2) / period
    folds = _furrows(phase, 4.0) - 0.3 * (1.0 - _furrows(phase, 1.0))  # furrows with the skin bulging between
    out[:, 1] = -depth * zone * folds * (0.45 + 0.55 * breaks)

    # glabella: two near-vertical furrows between the brows
    centre = 5.0 + 0.12 * (up - 8.0)
    zone = _band(up, 3.0, 26.0, 5.0) * front
    out[:, 2] = -depth * zone * np.exp(-(((a - centre) / 1.1) ** 2)) * (0.7 + 0.3 * breaks)

    # crow's feet: rays fanning out from each outer eye corner
    cx, cy = a - 44.0, up + 1.0
    r, ang = np.hypot(cx, cy), np.arctan2(cy, np.maximum(cx, 1e-3))
    zone = _band(r, 5.0, 18.0, 4.0) * smoothstep(42.0, 47.0, a) * _band(ang, -0.55, 0.5, 0.2) * front
    rays = _furrows(ang / np.radians(15.0) + 0.5 * wobble, 6.0)  # 4-5 lines
    out[:, 3] = -depth * 0.8 * zone * rays * (0.5 + 0.5 * breaks)

    # nasolabial fold: a groove from beside the nose wing to below the mouth corner, the cheek bulging above it
    n, m = nose_local, mouth_local
    d, t = _segment_distance(a, up, (16.0, n[2] + 1.0), (28.0, m[2] - 12.0))
    lateral = a - (16.0 + t * 12.0)  # > 0 on the cheek side
    zone = (1.0 - smoothstep(0.85, 1.0, t)) * front
    groove = -np.exp(-((d / 3.0) ** 2)) + 0.45 * np.exp(-(((d - 6.0) / 3.5) ** 2)) * (lateral > 0)
    out[:, 4] = depth * 0.9 * zone * groove

    # bunny lines: oblique furrows on the sides of the nose bridge
    s = up * np.cos(0.55) + a * np.sin(0.55)
    zone = _band(a, 4.0, 13.0, 3.0) * _band(up, n[2] + 12.0, -6.0, 4.0) * front
    out[:, 5] = -depth * 0.7 * zone * _furrows(s / 3.2 + 0.3 * wobble, 4.0)

    # lip lines: short vertical lines above the upper lip and below the lower lip
    w = up - m[2]
    zone = _band(a, -1.0, 19.0, 4.0) * (_band(w, 5.0, 13.0, 2.5) + _band(w, -14.0, -7.0, 2.5)) * front
    out[:, 6] = -depth * 0.6 * zone * _furrows(lat / 2.7 + 0.5 * wobble, 8.0) * (0.4 + 0.6 * breaks)

    # micro relief: pores, fine skin lines, and the lines an older face keeps at rest
    pores = np.maximum(value_noise(p, 1400.0, seed + 10), 0.0)  # the stipple the albedo darkens (texture.py)
    criss = np.abs(value_noise(p * np.array([1.0, 1.0, 0.25]), 900.0, seed + 34)) + \
        np.abs(value_noise(p * np.array([0.25, 1.0, 1.0]), 900.0, seed + 35))
    micro = -0.06 * pore_weight * pores - 0.02 * front * smoothstep(0.0, 1.2, criss)
    micro += old * (0.45 * out[:, 1] + 0.4 * out[:, 3] + 0.25 * np.minimum(out[:, 4], 0.0))
    out[:, 0] = micro + anatomy_relief(loc, nose_local, mouth_local, lid_lines, crease_mm) * front
    return out


LIP_LINE_SPACING_MM = 1.4
"""Distance between the vermilion's vertical creases (people: ~0.5-2 mm; at 1024 texels a texel on the lips is
0.44 mm, so finer lines would alias)."""


def vermilion_lines(p: np.ndarray, loc: np.ndarray, mouth_local: np.ndarray, seed: int) -> np.ndarray:
    """Heights ``[N]`` (mm, <= 0) of the fine creases across the lips' red part: near-vertical lines fanning from
    a point 25 mm beyond the mouth line (below it for the upper lip, above for the lower), wavy and broken along
    their length. ``p`` ``[N, 3]`` m, ``loc`` the same in the anatomical frame (mm), ``mouth_local`` (mm)."""
    lat, w = loc[:, 0], loc[:, 2] - mouth_local[2]
    fan = np.arctan2(lat, np.abs(w) + 25.0) * 25.0  # ~ mm across the lines at the lip
    phase = fan / LIP_LINE_SPACING_MM + 0.8 * fbm(p, 400.0, seed + 36, 2)
    broken = smoothstep(-0.3, 0.35, fbm(p, 600.0, seed + 37, 2))
    return (-0.13 * _furrows(phase, 3.0) * (0.3 + 0.7 * broken)).astype(np.float32)


def anatomy_relief(loc: np.ndarray, nose_local: np.ndarray, mouth_local: np.ndarray, lid_lines=(),
                   crease_mm: float = 7.0) -> np.ndarray:
    """Heights ``[N]`` (mm) of the facial detail the head mesh is too coarse to hold (its face edges
    are ~3.5 mm): the alar crease around each nose wing, dark nostril openings, the philtrum's two
    columns, the upper-lid crease. Placed from the nose tip, the mouth and the lid margins in the
    anatomical frame (``loc`` ``[N, 3]`` mm), so they follow each identity's shape."""
    lat, up = loc[:, 0], loc[:, 2]
    a = np.abs(lat)
    n, m = nose_local, mouth_local
    h = np.zeros(len(loc), np.float32)
    # alar crease: a soft groove hugging the wing where it meets the cheek, round its lateral side from the alar base
    # up over its top, shallower over the top (a 0.9 mm deep, 1.1 mm wide ring read as a drawn outline at 512 px)
    wing = NOSE_WING_CENTRE_MM
    cx, cy = (a - wing[0]) / NOSE_WING_RADII_MM[0], (up - (n[2] + wing[1])) / NOSE_WING_RADII_MM[1]
    r, ang = np.hypot(cx, cy), np.arctan2(cy, cx)
    h -= ALAR_CREASE_DEPTH_MM * np.exp(-(((r - 1.0) * NOSE_WING_RADII_MM[0] / 1.4) ** 2)) \
        * _band(ang, -1.0, 2.0, 0.45) * (1.0 - 0.5 * smoothstep(0.6, 1.8, ang))
    # nostrils: dark openings on the nose's underside (the mesh cuts them only a few mm deep), placed in 3D so the
    # tip's front at the same height stays clear
    q = (np.stack([a, loc[:, 1] - n[1], up - n[2]], 1) - NOSTRIL_CENTRE_MM) / NOSTRIL_RADII_MM
    h -= NOSTRIL_DEPTH_MM * (1.0 - smoothstep(0.7, 1.3, np.sqrt(np.sum(q * q, axis=1))))
    # philtrum: two soft columns from the nose's base down to the cupid's bow, a groove between them
    span = _band(up, m[2] + PHILTRUM_BOTTOM_MM, n[2] + PHILTRUM_TOP_MM, 1.5)
    h += span * (0.3 * np.exp(-(((a - 4.5) / 1.3) ** 2)) - 0.25 * np.exp(-((lat / 1.6) ** 2)))
    # upper-lid crease: a fold above the lid margin
    if crease_mm > 0:
        for line in lid_lines:
            h += lid_crease(lat, up, np.asarray(line, np.float64), crease_mm)
    return h


NOSE_WING_CENTRE_MM = (10.2, 0.9)
NOSE_WING_RADII_MM = (6.6, 7.0)
"""Where the alar crease runs, relative to the nose tip landmark in the anatomical frame (mm): an ellipse of these
(lateral, vertical) radii about the wing's centre (lateral, up), through the groove between the template's wing
and cheek (``synthetic.head.build.shape``: the wing ellipsoid ends 15.8 mm out, the cheek meets it ~17 mm out, from 7 mm
above the tip's height down to the alar base 7 mm below it). Until 2026-12-06 the ring sat 8 mm lower and 4 mm
further out (placed for an earlier template) and ran across the upper lip: a grey oval from wing to wing."""
NOSTRIL_CENTRE_MM = (6.0, -22.3, -4.6)
NOSTRIL_RADII_MM = (3.4, 6.0, 2.8)
NOSTRIL_DEPTH_MM = 1.2
"""The nostril openings relative to the nose tip landmark (lateral, forward, up; mm), the half-axes of the ellipsoid
the darkening fills (the template's nostril cut, ``shape.head_sdf``'s ``nostril``, plus ~0.3 mm) and its depth. Until
2026-12-06 they were 6.4 mm lower, on the upper lip (a dark moustache-like smudge under the nose)."""
PHILTRUM_TOP_MM, PHILTRUM_BOTTOM_MM = -8.0, 7.0
"""The philtrum's columns run from the columella's base (subnasale: this far relative to the nose tip landmark, mm;
~7 mm below it on the template) down to the cupid's bow (this far above the mouth landmark; the vermilion's top is
6.0-7.4 mm above it on the template). Until 2026-12-06 they started 5 mm above the mouth, on the lip's red."""
ALAR_CREASE_DEPTH_MM = 0.5
"""Depth (mm) of the alar crease at the wing's side (half that over its top)."""
LID_CREASE_DEPTH_MM, LID_CREASE_WIDTH_MM = 0.6, 0.9
"""The upper-lid crease's depth at its middle and its Gaussian half-width (mm)."""


def lid_crease(lat: np.ndarray, up: np.ndarray, margin: np.ndarray, crease_mm: float) -> np.ndarray:
    """Heights ``[N]`` (mm, <= 0) of the upper-lid crease at points ``(lat, up)`` (mm, anatomical frame), for one
    upper-lid ``margin`` ``[K, 3]`` (mm, inner corner to outer).

    The crease follows the lid's arc ``crease_mm`` above the margin over the iris and closes in on the margin
    toward both corners (offset and depth go as ``sin(pi u)``, ``u`` from 0 at the inner corner to 1 at the outer).
    A copy of the margin lifted straight up kept the margin's near-vertical ends and read as a box drawn over each
    eye at 512 px."""
    out = np.zeros(len(lat), np.float32)
    side = np.sign(margin[:, 0].mean())
    inner, outer = np.abs(margin[0, 0]), np.abs(margin[-1, 0])
    sel = np.flatnonzero((np.sign(lat) == side) & (np.abs(up) < 30) & (np.abs(lat) < 60))
    if not len(sel) or abs(outer - inner) < 1e-6:
        return out

    def arch(x):  # sin(pi u) along the lid, in float64 (float32 pi * 1 overshoots pi: sin < 0)
        u = np.clip((np.abs(np.asarray(x, np.float64)) - inner) / (outer - inner), 0.0, 1.0)
        return np.clip(np.sin(np.pi * u), 0.0, None)

    crease = np.stack([margin[:, 0], margin[:, 2] + crease_mm * arch(margin[:, 0]) ** 0.5], 1)
    dist = polyline_distance(np.stack([lat[sel], up[sel]], 1), crease)
    out[sel] = -LID_CREASE_DEPTH_MM * arch(lat[sel]) ** 0.8 * np.exp(-((dist / LID_CREASE_WIDTH_MM) ** 2))
    return out

