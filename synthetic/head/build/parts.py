"""Eyeballs, corneas, mouth bag, teeth, gums and tongue of the template (build step, numpy).

Each builder returns a :class:`Part`: vertices ``[N, 3]`` (m, model frame), triangles ``[F, 3]``
(outward; for the mouth bag "outward" means toward the cavity, so it is seen from inside the
mouth), a local UV layout in the unit square ``[T, 2]`` with its own triangle indices, and one
region label per triangle (names from :data:`synthetic.head.regions.REGION_NAMES`).

Polar grids (rings around a pole) get polar UVs (radius = ring index, angle = ring angle), which
never overlap and need no seam.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import shape
from .fields import smoothstep


@dataclass
class Part:
    name: str
    vertices: np.ndarray
    faces: np.ndarray
    uv: np.ndarray
    uv_faces: np.ndarray
    labels: list  # region name per face
    extra: dict = field(default_factory=dict)


def polar_grid(rings: np.ndarray, pole: np.ndarray | None, uv_radius: np.ndarray, labels_per_band: list):
    """Faces and polar UVs for rings ``[K, M, 3]`` around an optional ``pole`` ``[3]`` (inside ring 0).

    ``uv_radius`` ``[K]`` are the UV radii (<= 0.5) of the rings; the pole sits at the UV centre.
    ``labels_per_band`` gives one label for the pole fan and one per band between rings.
    Returns vertices, faces, uv, uv_faces, labels (faces ordered counter-clockwise seen from the pole side).
    """
    k, m = rings.shape[:2]
    verts = rings.reshape(-1, 3)
    ids = np.arange(k * m).reshape(k, m)
    ang = 2.0 * np.pi * np.arange(m) / m
    uv = (0.5 + uv_radius[:, None, None] * np.stack([np.cos(ang), np.sin(ang)], -1)[None]).reshape(-1, 2)
    faces, labels = [], []
    if pole is not None:
        verts = np.concatenate([verts, pole[None]])
        uv = np.concatenate([uv, [[0.5, 0.5]]])
        p = len(verts) - 1
        nxt = np.roll(ids[0], -1)
        faces.append(np.stack([np.full(m, p), ids[0], nxt], -1))
        labels += [labels_per_band[0]] * m
        band_labels = labels_per_band[1:]
    else:
        band_labels = labels_per_band
    for r in range(k - 1):
        a, b = ids[r], np.roll(ids[r], -1)
        c, d = np.roll(ids[r + 1], -1), ids[r + 1]
        faces.append(np.stack([a, d, c], -1))
        faces.append(np.stack([a, c, b], -1))
        labels += [band_labels[r]] * (2 * m)
    f = np.concatenate(faces)
    return verts, f, uv, f.copy(), labels


def _orient(vertices: np.ndarray, faces: np.ndarray, inside_point) -> np.ndarray:
    """Flip faces whose normal points toward ``inside_point`` (for convex-ish closed parts)."""
    tri = vertices[faces]
    n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    flip = np.sum(n * (tri.mean(axis=1) - np.asarray(inside_point)), axis=1) < 0
    faces = faces.copy()
    faces[flip] = faces[flip][:, ::-1]
    return faces


def eyeball(side: str) -> tuple[Part, Part]:
    """Eyeball (pupil, iris, sclera; open at the very back) and cornea dome of one eye.

    The optical axis at rest is -Y. Iris plane 10.3 mm in front of the centre, limbus radius
    5.9 mm, pupil radius 1.9 mm, cornea apex 12.8 mm in front of the centre.
    """
    r_eye = shape.EYE_RADIUS
    m = 32
    ang = 2.0 * np.pi * np.arange(m) / m
    circle = np.stack([np.cos(ang), np.zeros(m), np.sin(ang)], -1)
    fwd = np.array([0.0, -1.0, 0.0])
    limbus = 0.0059
    iris_depth = np.sqrt(r_eye**2 - limbus**2) - 0.0001
    rings, radii_uv, labels = [], [], ["pupil"]
    pupil_r = [0.0007, 0.0013, 0.0019]
    iris_r = [0.0027, 0.0036, 0.0045, 0.0053, limbus]
    for r in pupil_r + iris_r:
        cone = 0.0004 * (r / limbus)  # the iris bulges slightly forward at the pupil
        rings.append(circle * r + fwd * (iris_depth + 0.0004 - cone))
    labels += ["pupil"] * (len(pupil_r) - 1) + ["iris"] * len(iris_r)
    beta = np.radians(np.linspace(np.degrees(np.arcsin(limbus / r_eye)) + 4.0, 168.0, 13))
    for b in beta:
        rings.append(circle * (r_eye * np.sin(b)) + fwd * (r_eye * np.cos(b)))
    labels += ["sclera"] * len(beta)
    rings = np.stack(rings)
    radii_uv = np.concatenate([np.linspace(0.03, 0.22, len(pupil_r) + len(iris_r)), np.linspace(0.25, 0.49, len(beta))])
    v, f, uv, uvf, lab = polar_grid(rings, fwd * (iris_depth + 0.0004), radii_uv, labels)
    # cornea: from just outside the limbus to the apex
    cr = np.array([limbus + 0.0003, 0.0052, 0.0042, 0.0030, 0.0016])
    sag = 0.0128 - (iris_depth - 0.0002)
    cy = (iris_depth - 0.0002) + sag * (1.0 - (cr / cr[0]) ** 2) ** 0.85
    c_rings = np.stack([circle * r + fwd * y for r, y in zip(cr[::-1], cy[::-1])])
    cv, cf, cuv, cuvf, clab = polar_grid(c_rings, fwd * 0.0128, np.linspace(0.12, 0.48, len(cr)), ["cornea"] * len(cr))
    centre = shape.EYE_CENTRE * (np.array([-1.0, 1.0, 1.0]) if side == "right" else 1.0)
    f = _orient(v, f, np.zeros(3))
    cf = _orient(cv, cf, np.zeros(3))
    return (
        Part(f"eyeball_{side}", v + centre, f, uv, uvf, lab, {"centre": centre}),
        Part(f"cornea_{side}", cv + centre, cf, cuv, cuvf, clab, {"centre": centre}),
    )


def mouth_bag(rim: np.ndarray, t: np.ndarray) -> Part:
    """The mouth cavity: a sac from the inner-lip rim ``[M, 3]`` back to the throat.

    ``t`` ``[M]`` is the rim's angular parameter (upper half ``sin t > 0``). The rim vertices are
    the first ring of the part (the caller merges them with the skin's inner lip ring).
    """
    s, c = np.sin(t), np.cos(t)
    z0 = shape.MOUTH_Z - 0.002
    y_front, y_back = UPPER_ARCH_FRONT_Y - 0.006, -0.018
    rings = [rim]
    psi = np.linspace(0.22, 2.75, 8)
    for p in psi:
        blend = np.clip(p / 0.9, 0.0, 1.0) ** 0.7
        width = 0.028 * np.sin(min(p, np.pi / 2) + 0.0) * (0.75 + 0.25 * np.sin(p))
        height = np.where(s > 0, 0.019, 0.021) * np.sin(p) ** 0.8
        y = y_front + (y_back - y_front) * (1 - np.cos(p)) / 2
        target = np.stack([width * c, np.full_like(c, y), z0 + height * s], -1)
        rings.append((1 - blend) * rim + blend * target)
    rings = np.stack(rings)
    pole = np.array([0.0, y_back + 0.004, z0])
    radii_uv = np.linspace(0.47, 0.06, len(rings))
    v, f, uv, uvf, lab = polar_grid(rings[::-1], pole, radii_uv[::-1], ["mouth_bag"] * len(rings))
    # faces must face into the cavity (toward the mouth centre), i.e. away from the outside
    f = _orient(v, f, np.array([0.0, -0.06, z0]))
    f = f[:, ::-1]
    k = len(rings)
    m = len(t)
    order = np.arange(k * m).reshape(k, m)[::-1].reshape(-1)  # ring 0 of the part = rim
    inv = np.empty_like(order)
    inv[order] = np.arange(len(order))
    inv = np.concatenate([inv, [k * m]])
    return Part("mouth_bag", v[np.concatenate([order, [k * m]])], inv[f], uv[np.concatenate([order, [k * m]])],
                inv[uvf], lab, {"rim_count": m})


UPPER_ARCH_FRONT_Y = -0.0910
"""y (m) of the upper central incisors' labial faces at the midline, ~17 mm behind the upper lip's front (people:
11-16 mm of lip; generator 5's arch, 5 mm further back, left 23 mm and the teeth deep in a dark mouth). The teeth's
and gums' arches, the tongue and the mouth bag's front are placed from it."""
LOWER_ARCH_FRONT_Y = UPPER_ARCH_FRONT_Y + 0.0034
"""y (m) of the lower incisors' labial faces (behind the upper ones: overjet)."""
ARCH_DEPTH = 0.039
"""From the upper incisors back to the first molars (m) along y; the gums' arch reaches 4 mm further."""


ARCH_SQUARE = 0.5
"""Share of the dental arch's depth that grows as (x / half width)^2; the rest grows as the 4th power, so the front
is flatter than a parabola's and the arch turns back at the canines (people's canines stand 8-10 mm behind the
incisors; a parabola put them 14 mm back and turned the central incisors 31 degrees)."""


def _arch(x: np.ndarray, y_front: float, half_width: float, y_back: float) -> np.ndarray:
    """Dental arch through the incisors' labial point (:data:`ARCH_SQUARE`); returns y for x (m)."""
    r = x / half_width
    return y_front + (y_back - y_front) * (ARCH_SQUARE * r**2 + (1.0 - ARCH_SQUARE) * r**4)


def _arch_slope(x: np.ndarray, y_front: float, half_width: float, y_back: float) -> np.ndarray:
    """dy/dx of :func:`_arch`."""
    r = x / half_width
    return (y_back - y_front) / half_width * (2.0 * ARCH_SQUARE * r + 4.0 * (1.0 - ARCH_SQUARE) * r**3)


def _arch_points(widths: np.ndarray, y_front: float, half_width: float, y_back: float):
    """Centres along the left half of an arch for teeth of the given widths (m): x, y, tangent angle."""
    xs = np.linspace(0.0, half_width, 2000)
    ys = _arch(xs, y_front, half_width, y_back)
    arc = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(xs), np.diff(ys)))])
    edges = np.concatenate([[0.0], np.cumsum(widths)])
    mids = 0.5 * (edges[:-1] + edges[1:])
    x = np.interp(mids, arc, xs)
    y = np.interp(mids, arc, ys)
    return x, y, np.arctan(_arch_slope(x, y_front, half_width, y_back))


EDGE_WIDTH = (0.92, 0.9, 0.5, 0.75, 0.8, 0.85)
"""Per tooth (central incisor to first molar), the crown's width at its biting edge as a share of its widest: flat
incisal edges, a pointed canine, rounded cusps behind. (The crowns were rounded to a third of their width at both
ends: from the front the incisors read as pebbles with dark gaps between.)"""
EDGE_THICKNESS = (0.2, 0.25, 0.4, 0.75, 0.8, 0.85)
"""Per tooth, the crown's labial-lingual thickness at the biting edge as a share of its thickest (incisors are
chisels 1-2 mm thick at the edge; molars are broad on top)."""


def _tooth(centre, angle, width, thickness, height, edge_z, up: bool, edge_width: float = 0.6,
           edge_thickness: float = 0.45, m: int = 12, k: int = 7):
    """A crown: labial face toward -Y rotated by ``angle``; ``edge_z`` = biting edge. Squarish in cross-section,
    ``edge_width`` / ``edge_thickness`` of its full width / thickness at the biting edge, narrowing 28 % toward the
    neck (inside the gum).

    Open at the root end (inside the gum), so its polar UV layout around the biting edge has no seam."""
    lat = np.linspace(0.12, np.pi - 0.12, k)
    lon = 2.0 * np.pi * np.arange(m) / m
    cl, sl = np.cos(lon), np.sin(lon)
    rings = []
    for a in lat:
        t = (1.0 - np.cos(a)) / 2  # 0 at the biting edge, 1 at the root
        neck = 1.0 - 0.28 * smoothstep(0.55, 1.0, t)
        wide = (edge_width + (1.0 - edge_width) * smoothstep(0.0, 0.3, t)) * neck
        thick = (edge_thickness + (1.0 - edge_thickness) * smoothstep(0.0, 0.5, t) ** 0.7) * neck
        ex = 0.5 * width * wide * np.sign(cl) * np.abs(cl) ** 0.35
        ey = 0.5 * thickness * thick * np.sign(sl) * np.abs(sl) ** 0.6
        ez = t * height
        rings.append(np.stack([ex, ey, np.full(m, ez if up else -ez)], -1))
    rings = np.stack(rings)  # edge -> root; open at the root, which hides inside the gum
    edge_pole = np.array([0.0, 0.0, -0.0002 if up else 0.0002])
    v, f, uv, uvf, lab = polar_grid(rings, edge_pole, np.linspace(0.1, 0.48, k), ["teeth"] * k)
    rot = np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]])
    v = v @ rot.T + np.array([centre[0], centre[1], edge_z])
    f = _orient(v, f, v.mean(axis=0))
    return v, f, uv, uvf, lab


TOOTH_ROWS = {
    True: {"widths": (8.6, 6.6, 7.6, 7.0, 6.6, 10.0), "heights": (10.5, 9.0, 10.0, 8.0, 7.5, 7.0),
           "thick": (7.0, 6.2, 8.0, 9.0, 9.0, 10.5), "half_width": 0.0235, "edge": -0.0013},
    False: {"widths": (5.2, 5.8, 6.8, 7.0, 7.1, 11.0), "heights": (9.0, 9.0, 10.0, 8.0, 7.5, 7.0),
            "thick": (6.0, 6.2, 7.5, 8.0, 8.5, 10.0), "half_width": 0.0215, "edge": 0.0022},
}  # fmt: skip
"""Per jaw (upper: True), central incisor to first molar: crown widths, heights and thicknesses (mm), the arch's
half width (m) and the biting edge's height above :data:`shape.MOUTH_Z` (m)."""
GUM_COVER = 0.0015
"""How far (m) the gum's edge reaches over each crown's neck."""
PAPILLA = 0.0015
"""How much further (m) the gum reaches down between two crowns than over their middles."""
GUM_EDGE_BELOW_NECK = 0.0029
"""From the gum tube's centre line down to its visible (labial) edge (m): radius 4.7 mm at 20 degrees below the
horizontal, plus the labial droop."""


def _tooth_row(upper: bool):
    """(widths, heights, thicknesses in m, biting-edge z, centres x, y, tangent angles) of one jaw's left half."""
    row = TOOTH_ROWS[upper]
    widths, heights, thick = (np.asarray(row[k]) * 1e-3 for k in ("widths", "heights", "thick"))
    y_front = UPPER_ARCH_FRONT_Y if upper else LOWER_ARCH_FRONT_Y
    y_back = UPPER_ARCH_FRONT_Y + ARCH_DEPTH  # both jaws' first molars end at the same depth
    x, y, ang = _arch_points(widths, y_front, row["half_width"], y_back)
    return widths, heights, thick, shape.MOUTH_Z + row["edge"], x, y, ang


def teeth(upper: bool) -> list[Part]:
    """One jaw's crowns (left and right halves, incisors to first molar), each tooth a part (arches from
    :data:`UPPER_ARCH_FRONT_Y`, sizes from :data:`TOOTH_ROWS`)."""
    widths, heights, thick, edge, x, y, ang = _tooth_row(upper)
    parts = []
    for side, sx in (("left", 1.0), ("right", -1.0)):
        for i in range(len(widths)):
            c = (sx * x[i], y[i] + 0.5 * thick[i] * np.cos(ang[i]))
            v, f, uv, uvf, lab = _tooth(c, sx * ang[i], widths[i] * 0.97, thick[i], heights[i], edge, upper,
                                        EDGE_WIDTH[i], EDGE_THICKNESS[i])
            if sx < 0:
                f = f[:, ::-1].copy()
                f = _orient(v, f, v.mean(axis=0))
            parts.append(Part(f"tooth_{'upper' if upper else 'lower'}_{side}_{i}", v, f, uv, uvf, lab))
    return parts


def gums(upper: bool) -> Part:
    """A gum band over the tooth necks along one arch (open tube section, labial to lingual). Its edge follows the
    crowns: :data:`GUM_COVER` over each neck, arching over each crown and dipping between them (the papillae).
    (A level band hid 5 of the upper central incisors' 10.5 mm and left gaps over the shorter back teeth.)"""
    widths, heights, _thick, edge, x_c, _y, _ang = _tooth_row(upper)
    if upper:
        y_front, half_w = UPPER_ARCH_FRONT_Y, 0.0245
    else:
        y_front, half_w = LOWER_ARCH_FRONT_Y, 0.0225
    y_back = UPPER_ARCH_FRONT_Y + ARCH_DEPTH + 0.004
    n_s, n_p = 61, 9
    xs = np.linspace(-half_w * 1.02, half_w * 1.02, n_s)
    ys = _arch(xs, y_front, half_w, y_back)
    # the gum's edge along the arch: each crown's neck less GUM_COVER, dipping PAPILLA between neighbours
    bounds = np.concatenate([[0.0], 0.5 * (x_c[1:] + x_c[:-1]), [x_c[-1] + 0.5 * widths[-1]]])
    ax = np.abs(xs)
    k = np.clip(np.searchsorted(bounds, ax) - 1, 0, len(heights) - 1)
    u = (ax - bounds[k]) / (bounds[k + 1] - bounds[k]) * 2.0 - 1.0  # -1..1 across the crown
    reach = heights[k] - GUM_COVER - PAPILLA * np.clip(u, -1.0, 1.0) ** 4
    gum_edge = edge + reach if upper else edge - reach
    neck_z = gum_edge + (GUM_EDGE_BELOW_NECK if upper else -GUM_EDGE_BELOW_NECK)
    tang = np.stack([np.ones_like(xs), _arch_slope(xs, y_front, half_w, y_back), np.zeros_like(xs)], -1)
    tang /= np.linalg.norm(tang, axis=1, keepdims=True)
    up = np.array([0.0, 0.0, 1.0 if upper else -1.0])
    out = np.cross(tang, [0.0, 0.0, 1.0])  # labial direction (toward -Y at the front)
    out *= np.where(np.sum(out * [0, -1, 0], axis=1) < 0, -1.0, 1.0)[:, None]
    centre = np.stack([xs, ys, neck_z], -1) - out * 0.0035
    phi = np.linspace(-0.35, np.pi + 0.35, n_p)
    r = 0.0047
    grid = centre[:, None] + r * (np.cos(phi)[None, :, None] * out[:, None] + np.sin(phi)[None, :, None] * up)
    grid[:, :, 2] -= (0.0015 if upper else -0.0015) * np.cos(phi)[None] ** 2  # scalloped edge hint
    ids = np.arange(n_s * n_p).reshape(n_s, n_p)
    a, b, c, d = ids[:-1, :-1], ids[1:, :-1], ids[1:, 1:], ids[:-1, 1:]
    f = np.concatenate([np.stack([a, b, c], -1).reshape(-1, 3), np.stack([a, c, d], -1).reshape(-1, 3)])
    su, sv = np.meshgrid(np.linspace(0.0, 4.5, n_s), np.linspace(0.0, 1.0, n_p), indexing="ij")  # ~arch : tube
    uv = np.stack([su, sv], -1).reshape(-1, 2)
    v = grid.reshape(-1, 3)
    inner = centre.mean(axis=0) - up * 0.01
    f = _orient(v, f, inner)
    return Part(f"gums_{'upper' if upper else 'lower'}", v, f, uv, f.copy(), ["gums"] * len(f))


def tongue() -> Part:
    """Tongue resting in the lower jaw: a domed, flat-bottomed body; tip behind the lower incisors."""
    m, k = 28, 9
    ang = 2.0 * np.pi * np.arange(m) / m
    beta = np.linspace(0.18, 2.5, k)
    centre = np.array([0.0, UPPER_ARCH_FRONT_Y + 0.032, shape.MOUTH_Z - 0.0085])
    radii = np.array([0.0205, 0.029, 0.0085])
    rings = []
    for b in beta:
        dx, dy = np.sin(b) * np.cos(ang), np.sin(b) * np.sin(ang)
        dz = np.cos(b) * np.where(np.cos(b) < 0, 0.35, 1.0)
        ring = centre + np.stack([dx, dy, np.full_like(dx, dz)], -1) * radii
        ring[:, 1] -= 0.004 * (dy < 0) * (-dy) ** 2  # pointier toward the tip
        rings.append(ring)
    rings = np.stack(rings)
    top = centre + np.array([0.0, 0.0, radii[2]])
    v, f, uv, uvf, lab = polar_grid(rings, top, np.linspace(0.06, 0.48, k), ["tongue"] * k)
    f = _orient(v, f, centre - np.array([0.0, 0.0, 0.004]))
    return Part("tongue", v, f, uv, uvf, lab)
