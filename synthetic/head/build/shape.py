"""The neutral head as a signed-distance sculpt, and the ways to put points on its surface.

Frame: metres, Blender axes, face along -Y, Z up, X = subject's left; origin at the midpoint of
the ear canals (tragion midpoint). Landmark values below are those of an average adult
(chin-to-crown 0.23 m, head breadth 0.15 m, head length 0.195 m, interpupillary 63 mm).

Three projections put points on the surface, each a named function:

* :func:`project_radial`: along rays from :data:`RADIAL_CENTRE` (the skin is star-shaped from it);
* :func:`project_frontal`: along +Y from in front of the face, for points given by (x, z);
* :func:`project_neck_ring`: horizontally from the neck axis at a given height.
"""

from __future__ import annotations

import numpy as np

from . import sdf

RADIAL_CENTRE = np.array([0.0, 0.005, 0.0])
EYE_RADIUS = 0.012
EYE_CENTRE = np.array([0.0315, -0.071, 0.016])  # subject's left eyeball centre; mirror for the right
LID_RADIUS = 0.0139  # outer skin of the lids, about the eyeball centre
MOUTH_Z = -0.0535  # height of the mouth line (stomion)
LIP_ARCH_PER_M3 = 18750.0
"""Generator 10's set-back of the lips' volumes with the distance x from the midline: ``LIP_ARCH_PER_M3 * x**4`` (m),
3 mm at 20 mm out. Seen from above, the canonical face's upper lip falls 5 mm behind its front at 15 mm from the
midline and 10 mm at 20 mm; generator 9's fell 4 and 6 mm and then turned back to its corners in the last 4 mm."""
LIP_ARCH_RADII = (0.028, 0.035)
"""(m) Generator 11 adds the difference between two cylinders' fall-back, so the lips' fronts (measured from above)
follow a cylinder of the first radius instead of the second (canonical face: ~26 mm through its lips' front and
corners). The muzzle takes the same set-back: the lips alone did not move their corners, where the muzzle's broad
blend held the surface 4 mm forward of the canonical face (the lips' front fell 11.5 mm to the corners, now 15)."""


def lip_arch_setback(x: np.ndarray) -> np.ndarray:
    """How far back (m, >= 0) the lips' volumes are set at ``x`` (m) from the midline ``[N]``."""
    r1, r0 = LIP_ARCH_RADII
    xc = np.minimum(np.abs(x), 0.027)  # held inside the smaller radius (the cylinders' sides); the lips end at 26 mm
    cylinder = (r1 - np.sqrt(r1**2 - xc**2)) - (r0 - np.sqrt(r0**2 - xc**2))
    return LIP_ARCH_PER_M3 * x**4 + cylinder


NECK_CUT_Z = -0.165  # the neck ends here (open boundary)
NECK_TILT = 0.20  # neck axis moves forward (-Y) by 0.22 m per metre downward
NECK_CENTRE_Y = 0.022
NECK_RADII = (0.053, 0.056)  # 106 mm wide from the front (generator 5: 120, as wide as the jaw)


def head_sdf(p: np.ndarray) -> np.ndarray:
    """Signed distance (m, negative inside) of the neutral head skin without ears. ``p`` ``[N, 3]``."""
    m = sdf.mirror_x(p)
    c = p.copy()  # the skull is shallower below its widest level, so the nape curves in under it
    below = np.clip((0.040 - c[:, 2]) / 0.03, 0.0, 1.0)
    c[:, 2] = 0.040 + (c[:, 2] - 0.040) * (1.0 + 0.45 * below * below * (3.0 - 2.0 * below))
    cranium = sdf.superellipsoid(c, (0.0, 0.008, 0.040), (0.0760, 0.098, 0.092), 2.35)
    forehead = sdf.ellipsoid(p, (0.0, -0.044, 0.052), (0.064, 0.050, 0.052))
    d = sdf.smin(cranium, forehead, 0.012)
    # mid face, cheek pads and cheekbones (generator 8: the mid face 12 mm narrower and the cheek pads 3 mm further
    # back, so the cheeks turn away from the nose instead of facing forward as one flat plate; generator 9: the cheek
    # pads 4-6 mm forward and wider and a buccal mass under the cheekbone, from the signed distance of mediapipe's
    # canonical face (a real average) to this skin: the cheeks sat 4 mm and the lateral face 11 mm inside it)
    midface = sdf.ellipsoid(p, (0.0, -0.042, -0.016), (0.044, 0.045, 0.050))
    cheek = sdf.ellipsoid(m, (0.031, -0.060, -0.013), (0.024, 0.022, 0.021))
    masseter = sdf.ellipsoid(m, (0.038, -0.030, -0.042), (0.0110, 0.030, 0.032))
    zygoma = sdf.round_cone(m, (0.046, -0.056, 0.006), (0.063, -0.006, 0.006), 0.0095, 0.007)
    d = sdf.smin(d, midface, 0.02)
    d = sdf.smin(d, sdf.smin(cheek, zygoma, 0.012), 0.018)
    d = sdf.smin(d, masseter, 0.02)
    # the fullness between cheekbone and jaw (the face stays wide down to the mouth instead of narrowing under the
    # cheekbones: 111 -> 125 mm across at the mouth's height)
    buccal = sdf.ellipsoid(m, (0.049, -0.032, -0.024), (0.017, 0.030, 0.036))
    d = sdf.smin(d, buccal, 0.022)
    # the soft tissue over the jaw beside and below the mouth (generator 10: without it the face fell back steeply
    # 25-40 mm from the midline below the mouth, 8-11 mm behind the canonical face there, and the mouth stood out
    # of a narrow V-shaped lower face as a muzzle in three-quarter views)
    jowl = sdf.ellipsoid(m, (0.028, -0.052, -0.060), (0.015, 0.034, 0.024))
    d = sdf.smin(d, jowl, 0.025)
    # lower cheek pads (the fullness beside the nose and mouth), blended tightly: where they meet the muzzle is
    # the nasolabial fold
    malar = sdf.ellipsoid(m, (0.033, -0.066, -0.034), (0.014, 0.014, 0.018))
    d = sdf.smin(d, malar, 0.008)
    # jaw: body tapered toward the chin, rami up to the ear, chin (gnathion 68 mm below the subnasale: Farkas'
    # women 64, men 72; generator 3's chin was 3.5 mm higher; generator 10: tapered a quarter as much and 3 mm
    # wider, the chin 9 mm wider, so the lower face rounds to the chin as a U instead of a V)
    q = p.copy()
    q[:, 0] *= 1.0 + 0.10 * np.clip((-0.02 - p[:, 1]) / 0.08, 0.0, 1.0) ** 1.5
    jaw = sdf.ellipsoid(q, (0.0, -0.040, -0.062), (0.048, 0.054, 0.037))
    ramus = sdf.round_cone(m, (0.039, -0.014, -0.064), (0.051, -0.004, -0.010), 0.010, 0.012)
    # (soft-tissue pogonion ~5 mm behind the subnasale, lower face sto-gn ~46 mm women / 49 men: generator 5's chin
    # stood 11 mm behind the subnasale, a weak profile)
    chin = sdf.ellipsoid(p, (0.0, -0.0855, -0.0850), (0.0240, 0.0140, 0.0145))
    d = sdf.smin(d, sdf.smin(sdf.smin(jaw, ramus, 0.02), chin, 0.018), 0.02)
    # under the chin the skin runs back level to the throat (the jaw's underside rose 7 mm behind the chin)
    submental = sdf.ellipsoid(p, (0.0, -0.066, -0.0885), (0.024, 0.024, 0.0105))
    d = sdf.smin(d, submental, 0.012)
    # neck, blended into skull base and jaw over 14 mm (generator 7: 32 mm, which filled the space under the jaw's
    # angle and made the lower face a box with no jaw line; with the masseter, rami and jaw drawn in, go-go / zy-zy
    # is 0.74 instead of 0.87)
    flare = 1.0 + 3.0 * np.clip(-0.125 - p[:, 2], 0.0, None) ** 1.5  # the trapezius starts at the base
    q = p.copy()
    q[:, 0] /= flare
    neck = sdf.elliptic_cylinder_z(q, (0.0, NECK_CENTRE_Y + 0.05 * NECK_TILT), NECK_RADII, -0.01, tilt=NECK_TILT)
    d = sdf.smin(d, neck, 0.014)
    # brow ridge
    brow = sdf.round_cone(m, (0.0, -0.088, 0.034), (0.046, -0.073, 0.032), 0.0088, 0.0068)
    d = sdf.smin(d, brow, 0.012)
    # the brows' arch over each eye (generator 12): beside mediapipe's canonical face (a real average) the brow stood
    # 3-5 mm too far back 16-24 mm above the eye centre and 4 mm at its lateral end, so the eyes sat in a flat plane
    # with no shadow under the brow; blended broadly into the forehead (a tight blend left a crease above a bar)
    arch = sdf.round_cone(m, (0.014, -0.0860, 0.037), (0.046, -0.0750, 0.035), 0.0085, 0.0075)
    d = sdf.smin(d, arch, 0.018)
    # eye sockets, then the lids wrapped over the eyeballs
    socket = sdf.ellipsoid(m, EYE_CENTRE + np.array([0.0, -0.005, 0.006]), (0.016, 0.010, 0.010))
    d = sdf.smax(d, -socket, 0.005)
    lids = sdf.sphere(m, EYE_CENTRE, LID_RADIUS)
    d = sdf.smin(d, lids, 0.007)
    # nose: bridge, tip, wings, side walls; nostrils cut from below (generator 8: wings 1.5 mm nearer the midline
    # and higher, blended tighter so the alar crease shows: al-al 36 -> 34 mm, Farkas 31.4 women / 34.9 men;
    # generator 9: the body 4 mm wider and blended into the cheeks over 9 mm instead of 5, so the side walls slope
    # like the canonical face's instead of standing near vertical; the tip 0.8 mm rounder and the wings 2 mm forward
    # and taller at the same al-al: the canonical's lower nose was 3-5 mm fuller than ours)
    bridge = sdf.round_cone(p, (0.0, -0.0900, 0.021), (0.0, -0.1130, -0.016), 0.0056, 0.0058)
    tip = sdf.sphere(p, (0.0, -0.1080, -0.0228), 0.0086)
    wings = sdf.ellipsoid(m, (0.0102, -0.0970, -0.0290), (0.0056, 0.0088, 0.0064))
    body = sdf.ellipsoid(p, (0.0, -0.092, -0.012), (0.0128, 0.014, 0.029))
    nose = sdf.smin(sdf.smin(sdf.smin(bridge, tip, 0.006), wings, 0.004), body, 0.006)
    d = sdf.smin(d, nose, 0.009)
    # the skin of the upper lip (philtrum) slopes forward from the nose's base to the lip's red (19 mm wide; 28 mm
    # until generator 7, a bar under the nose from the front)
    philtrum = sdf.ellipsoid(p, (0.0, -0.0955, -0.0410), (0.0095, 0.0095, 0.0060))
    d = sdf.smin(d, philtrum, 0.005)
    nostril = sdf.ellipsoid(m, (0.0060, -0.1008, -0.0334), (0.0031, 0.0058, 0.0024))
    d = sdf.smax(d, -nostril, 0.002)
    # lips and the muzzle around them
    arch = p.copy()  # the lips wrap round the teeth (generator 10; before, they ran straight out to the corners)
    arch[:, 1] -= lip_arch_setback(p[:, 0])
    muzzle = sdf.ellipsoid(arch, (0.0, -0.074, -0.050), (0.029, 0.023, 0.023))
    upper = sdf.ellipsoid(arch, (0.0, -0.0940, MOUTH_Z + 0.0050), (0.0255, 0.0092, 0.0068))
    lower = sdf.ellipsoid(arch, (0.0, -0.0920, MOUTH_Z - 0.0060), (0.0225, 0.0096, 0.0068))
    d = sdf.smin(d, muzzle, 0.02)
    d = sdf.smin(d, sdf.smin(upper, lower, 0.002), 0.004)
    slit = sdf.ellipsoid(p, (0.0, -0.104, MOUTH_Z), (0.0265, 0.013, 0.0010))
    d = sdf.smax(d, -slit, 0.0018)
    return d


def _bisect(fun, lo: np.ndarray, hi: np.ndarray, iters: int = 40) -> np.ndarray:
    """Find t in [lo, hi] with fun(t) = 0 where fun(lo) < 0 < fun(hi) (vectorised bisection)."""
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        inside = fun(mid) < 0
        lo = np.where(inside, mid, lo)
        hi = np.where(inside, hi, mid)
    return 0.5 * (lo + hi)


def _outermost_crossing(points_along, n: int, t_max: float, step: float) -> np.ndarray:
    """Largest t in [0, t_max] where head_sdf(points_along(t)) goes from inside to outside.

    Sphere tracing inward from ``t_max`` (steps of 0.9 * distance, at least ``step / 8``), then
    bisection on the last bracket; far faster than marching the whole ray.
    """
    t = np.full(n, float(t_max))
    outside_t = t.copy()
    active = np.ones(n, bool)
    min_step = step / 8.0
    for _ in range(400):
        idx = np.nonzero(active)[0]
        if len(idx) == 0:
            break
        d = _sdf_along(points_along, t, idx)
        inside = d < 0
        done_in = idx[inside]
        active[done_in] = False  # bracket [t, outside_t]
        go = idx[~inside]
        outside_t[go] = t[go]
        t[go] = t[go] - np.maximum(0.9 * d[~inside], min_step)
        under = go[t[go] <= 0.0]
        t[under] = 0.0
        active[under] = False
    return _bisect(lambda tt: head_sdf(points_along(tt)), t, outside_t, iters=18)


def _sdf_along(points_along, t: np.ndarray, idx: np.ndarray) -> np.ndarray:
    full = points_along(t)
    return head_sdf(full[idx])


def project_radial(directions: np.ndarray) -> np.ndarray:
    """Surface points ``[N, 3]`` (m) on rays ``RADIAL_CENTRE + t * d`` for unit ``directions`` ``[N, 3]``."""
    d = np.asarray(directions, float)
    t = _outermost_crossing(lambda t: RADIAL_CENTRE + t[:, None] * d, len(d), 0.40, 0.003)
    return RADIAL_CENTRE + t[:, None] * d


def project_frontal(xz: np.ndarray) -> np.ndarray:
    """Surface points ``[N, 3]`` seen from the front: for each ``(x, z)`` the first skin hit along +Y."""
    xz = np.asarray(xz, float)
    start = -0.16

    def along(t):
        return np.stack([xz[:, 0], start + (0.20 - t), xz[:, 1]], axis=-1)

    t = _outermost_crossing(along, len(xz), 0.20, 0.002)
    return along(t)


def project_neck_ring(angles: np.ndarray, z: float) -> np.ndarray:
    """Surface points ``[N, 3]`` at height ``z`` found horizontally from the neck axis at ``angles`` (rad,
    0 = toward -Y, positive toward +X)."""
    cy = NECK_CENTRE_Y + 0.05 * NECK_TILT + NECK_TILT * z
    o = np.array([0.0, cy, z])
    d = np.stack([np.sin(angles), -np.cos(angles), np.zeros_like(angles)], axis=-1)
    t = _outermost_crossing(lambda t: o + t[:, None] * d, len(d), 0.12, 0.002)
    return o + t[:, None] * d


def radial_direction(points: np.ndarray) -> np.ndarray:
    """Unit directions ``[N, 3]`` from :data:`RADIAL_CENTRE` to ``points`` (the Delaunay domain)."""
    v = np.asarray(points, float) - RADIAL_CENTRE
    return v / np.linalg.norm(v, axis=-1, keepdims=True)
