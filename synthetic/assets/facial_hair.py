"""Beards, eyebrows and eyelashes as short strands.

* Beards grow on the face/neck region inside an ``anatomy.beard_zones`` area (moustache, goatee,
  full ...), every strand integrated by the growth engine with a downward-and-outward flow.
* Brows grow inside ``anatomy.brow_zone`` along ``anatomy.brow_direction``, lying on the skin.
* Lashes root along the eyelid margins: the mesh's open boundary loops around each eye when
  the head has eye openings, else an analytic lid curve on a 12 mm sphere around the eye
  centre; they leave the lid forwards and curl up (upper) or down (lower).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from . import anatomy as A
from . import defaults as D
from .errors import AssetInputError, check_choice, check_generator
from .growth import ChildParams, GrowthParams, grow_guides, interpolate_children, sample_roots
from .pigments import HairColour, _pick
from .strands import Strands, resample, taper_radius
from .surface import HeadSurface

BEARD_NAMES = tuple(D.BEARD_STYLES)


@dataclass
class FacialHairParams:
    """Beard, brows and lashes of one identity (JSON-serialisable). Lengths in metres.

    Attributes:
        beard_style: a key of ``defaults.BEARD_STYLES``. beard_length: longest beard hair.
        beard_curl, beard_frizz: curl radius and frizz (m). beard_shadow: skin darkening in [0, 1].
        brow_density: strand-count multiplier. brow_length: brow hair length.
        lash_upper, lash_lower: lashes per eye. lash_length_upper/lower: lash lengths. lash_curl: 1/m.
        brow_melanin, lash_melanin, beard_melanin: Principled Hair melanin of each group.
        brow_arch_mm, brow_lift_mm, brow_width_mm: the brow's arch, height offset and height at its head
            (``anatomy.brow_zone``; scaled mm), drawn by :func:`sample_brow_shape` (identities from before it have
            the defaults).
        colour_rgb: linear RGB of the brows' and beard's hair for painted brows and stubble when it is not the head
            hair's (dyed head hair); None: the head hair's ``preview_rgb``.
    """

    beard_style: str
    beard_length: float
    beard_curl: float
    beard_frizz: float
    beard_shadow: float
    brow_density: float
    brow_length: float
    lash_upper: int
    lash_lower: int
    lash_length_upper: float
    lash_length_lower: float
    lash_curl: float
    brow_melanin: float
    lash_melanin: float
    beard_melanin: float
    melanin_redness: float
    brow_arch_mm: float = 4.0
    brow_lift_mm: float = 0.0
    brow_width_mm: float = A.BROW_REFERENCE_WIDTH_MM
    colour_rgb: list | None = None

    def to_json(self) -> dict:
        return asdict(self)

    @property
    def spec(self) -> dict:
        return D.BEARD_STYLES[self.beard_style]


def sample_facial_hair(rng: np.random.Generator, sex: str, colour: HairColour, beard: str | None = None
                       ) -> FacialHairParams:
    """Draw beard style (by presentation weights unless given), brows and lashes, pigmented as ``colour`` (the
    natural hair colour: dyed head hair does not dye the brows, lashes and beard)."""
    check_choice("sex", sex, D.SEXES)
    if beard is None:
        beard = _pick(rng, {k: v["weights"][sex] for k, v in D.BEARD_STYLES.items()})
    spec = D.BEARD_STYLES[check_choice("beard style", beard, D.BEARD_STYLES)]
    dark = min(colour.melanin + 0.1, 0.99)
    return FacialHairParams(
        beard_style=beard, beard_length=float(rng.uniform(*spec["length"])),
        beard_curl=float(rng.uniform(*spec.get("curl", (0.0, 0.0)))),
        beard_frizz=float(rng.uniform(*spec.get("frizz", (0.0, 0.0)))),
        beard_shadow=float(rng.uniform(*spec.get("shadow", (0.0, 0.0)))),
        brow_density=float(rng.uniform(*D.BROW_DENSITY)) * (1.0 if sex == "male" else 0.8),
        brow_length=float(rng.uniform(*D.BROW_LENGTH)),
        lash_upper=int(rng.integers(*D.LASH_COUNT["upper"])), lash_lower=int(rng.integers(*D.LASH_COUNT["lower"])),
        lash_length_upper=float(rng.uniform(*D.LASH_LENGTH["upper"])),
        lash_length_lower=float(rng.uniform(*D.LASH_LENGTH["lower"])), lash_curl=float(rng.uniform(*D.LASH_CURL)),
        brow_melanin=float(np.clip(dark * (1 - 0.5 * colour.grey_fraction), 0, 1)),
        lash_melanin=float(max(rng.uniform(*D.LASH_MELANIN), colour.melanin)),
        beard_melanin=float(np.clip(colour.melanin * (1 - 0.7 * colour.grey_fraction), 0, 1)),
        melanin_redness=float(colour.melanin_redness))


def sample_brow_shape(rng: np.random.Generator, sex: str) -> dict:
    """The brow's arch, lift and width (``FacialHairParams.brow_arch_mm`` / ``brow_lift_mm`` / ``brow_width_mm``,
    scaled mm) for ``sex``: ``defaults.BROW_ARCH_MM``, ``BROW_LIFT_SD_MM`` and ``BROW_WIDTH_MM``, drawn in that
    order (the width last, so identities keep the arch and lift they had). Its own stream, so drawing it shifts
    nothing else."""
    check_choice("sex", sex, D.SEXES)
    mean, sd = D.BROW_ARCH_MM[sex]
    arch = float(np.clip(rng.normal(mean, sd), *D.BROW_ARCH_RANGE_MM))
    lift = float(np.clip(rng.normal(0.0, D.BROW_LIFT_SD_MM), -2.3 * D.BROW_LIFT_SD_MM, 2.3 * D.BROW_LIFT_SD_MM))
    mean, sd = D.BROW_WIDTH_MM[sex]
    width = float(np.clip(rng.normal(mean, sd), *D.BROW_WIDTH_RANGE_MM))
    return {"brow_arch_mm": arch, "brow_lift_mm": lift, "brow_width_mm": width}


def beard_weights(surface: HeadSurface, style: str) -> np.ndarray:
    """Per-vertex beard root density (V,) in [0, 1] for a style (0 for 'none')."""
    spec = D.BEARD_STYLES[check_choice("beard style", style, D.BEARD_STYLES)]
    if spec["density"] <= 0:
        return np.zeros(len(surface.vertices))
    skin = np.clip(surface.region("face") + surface.region("neck"), 0, 1) if "face" in surface.regions else \
        1.0 - surface.region("scalp")
    zone = A.beard_zones(surface.local, surface.landmarks)[spec["zone"]]
    return np.clip(zone * skin * (1 - surface.region("lips")) * (1 - surface.region("scalp")), 0, 1)


def _area_cm2(surface: HeadSurface, w: np.ndarray) -> float:
    v, f = surface.vertices, surface.faces
    area = 0.5 * np.linalg.norm(np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]]), axis=1)
    return float((area * w[f].mean(1)).sum() * 1e4)


def grow_beard(surface: HeadSurface, fh: FacialHairParams, rng: np.random.Generator, quality: str = "preview",
               per_cm2: float | None = None) -> Strands:
    """Beard strands (every strand integrated; no guides needed at these lengths)."""
    check_generator(rng)
    spec = fh.spec
    w = beard_weights(surface, fh.beard_style)
    info = {"style": fh.beard_style, "melanin_redness": fh.melanin_redness}
    if spec["density"] <= 0 or w.sum() <= 0:
        return Strands.empty("beard", 4, {**info, "n_strands": 0})
    rate = D.BEARD_STRANDS_PER_CM2[check_choice("quality", quality, D.BEARD_STRANDS_PER_CM2)] if per_cm2 is None \
        else float(per_cm2)
    n = int(round(_area_cm2(surface, w) * rate * spec["density"]))
    roots, normals = sample_roots(surface.vertices, surface.faces, surface.normals, w, n, rng)
    lm = surface.landmarks
    lat_w, fwd_w, up_w = lm.axes()

    def flow(p, nrm, ids):
        loc = lm.to_local(p)
        side = np.where(loc[:, 0] >= 0, 1.0, -1.0)[:, None] * lat_w
        outward = np.clip(np.abs(loc[:, 0]) / 30.0, 0, 1)[:, None]
        return -up_w + 0.4 * outward * side + 0.15 * fwd_w

    field = surface.collision(body=True, keep_out=False)
    lengths = fh.beard_length * rng.uniform(0.6, 1.0, n)
    layers = rng.uniform(*spec["layer"], n)
    params = GrowthParams(n_steps=max(spec["n_points"] - 1, 3), lift=spec["lift"], lift_length=0.004,
                          stiffness=spec["stiffness"], gravity=spec["gravity"], follow=0.02, layer_rise=0.005)
    grown = grow_guides(roots, normals, lengths, layers, flow, params, field)
    child = ChildParams(n_points=spec["n_points"], length_jitter=0.0, clump=0.0,
                        curl_radius=np.full(n, fh.beard_curl), curl_period=np.full(n, 0.012),
                        curl_start=0.004, frizz=fh.beard_frizz, margin=1e-4)
    pts = interpolate_children(roots, grown, child, rng, field, guide_normals=normals, use_keep_out=False,
                               guide_ids=np.arange(n))
    mel = np.clip(fh.beard_melanin + rng.normal(0, 0.04, n), 0, 1).astype(np.float32)
    return Strands("beard", pts.astype(np.float32), taper_radius(n, spec["n_points"], D.FACIAL_HAIR_ROOT_RADIUS, 0.3,
                                                                 0.4),
                   normals.astype(np.float32), mel, {**info, "n_strands": n})


def grow_brows(surface: HeadSurface, fh: FacialHairParams, rng: np.random.Generator, quality: str = "preview",
               per_brow: int | None = None) -> Strands:
    """Eyebrow strands lying on the skin along the brow's growth directions."""
    check_generator(rng)
    lm = surface.landmarks
    base = D.BROW_STRANDS[check_choice("quality", quality, D.BROW_STRANDS)] if per_brow is None else int(per_brow)
    n = int(round(2 * base * fh.brow_density))
    skin = surface.region("face") if "face" in surface.regions else 1.0 - surface.region("scalp")
    zone = A.brow_zone(lm.to_upright(surface.vertices), fh.brow_arch_mm, fh.brow_lift_mm, fh.brow_width_mm)
    w = np.clip(zone * skin, 0, 1)
    info = {"melanin_redness": fh.melanin_redness}
    if n == 0 or w.sum() <= 0:
        return Strands.empty("brows", 6, {**info, "n_strands": 0})
    roots, normals = sample_roots(surface.vertices, surface.faces, surface.normals, w, n, rng)
    axes = lm.upright_axes()

    field = surface.collision(body=False, keep_out=False)
    lengths = fh.brow_length * rng.uniform(0.55, 1.0, n)
    # each hair leaves the brow's flow by its own angle: parallel hairs read as a hatched, drawn-on brow
    jitter = np.radians(rng.normal(0.0, D.BROW_JITTER_DEG, n))

    def flow(p, nrm, ids):
        d = A.brow_direction(lm.to_upright(p)) @ axes
        a = jitter[ids][:, None]
        return d * np.cos(a) + np.cross(nrm, d) * np.sin(a)

    params = GrowthParams(n_steps=5, lift=0.25, lift_length=0.003, stiffness=0.4, gravity=0.0, follow=1.0,
                          layer_rise=0.004)
    pts = grow_guides(roots, normals, lengths, rng.uniform(0.0002, 0.0012, n), flow, params, field)
    pts = field.push_outside(pts.reshape(-1, 3), 1e-4, use_keep_out=False).reshape(pts.shape)
    pts[:, 0] = roots
    mel = np.clip(fh.brow_melanin + rng.normal(0, 0.03, n), 0, 1).astype(np.float32)
    return Strands("brows", pts.astype(np.float32), taper_radius(n, 6, D.BROW_ROOT_RADIUS, 0.3, 0.3),
                   normals.astype(np.float32), mel, {**info, "n_strands": n})


def _boundary_loops(faces: np.ndarray) -> list[np.ndarray]:
    """Open boundaries of a triangle mesh ``[F, 3]`` as ordered vertex loops (each ``[K]``, K >= 3).

    A boundary vertex with more than two boundary edges (two holes touching) ends its walk there;
    such partial walks are dropped."""
    edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    uniq, counts = np.unique(np.sort(edges, axis=1), axis=0, return_counts=True)
    nbrs: dict[int, list[int]] = {}
    for a, b in uniq[counts == 1]:
        nbrs.setdefault(int(a), []).append(int(b))
        nbrs.setdefault(int(b), []).append(int(a))
    loops, seen = [], set()
    for start in sorted(nbrs):
        if start in seen or len(nbrs[start]) != 2:
            continue
        loop, prev, cur = [start], -1, start
        seen.add(start)
        while True:
            nxt = [v for v in nbrs[cur] if v != prev]
            if len(nbrs[cur]) != 2 or not nxt:
                loop = []
                break
            prev, cur = cur, nxt[0]
            if cur == start:
                break
            loop.append(cur)
            seen.add(cur)
        if len(loop) >= 3:
            loops.append(np.asarray(loop, np.int64))
    return loops


def lid_curves(surface: HeadSurface, n: int = 64) -> dict[str, np.ndarray]:
    """Eyelid margins as polylines (n, 3) in metres: keys 'left_upper', 'left_lower', 'right_upper', 'right_lower'.

    Uses the skin's open boundary loop around each eye (the eye opening: the loop whose centroid lies
    within 22 mm of the eye centre), split at its two corners (the loop's extremes along the face's
    lateral axis); the half that lies higher is the upper lid. Each curve runs from the inner (nasal)
    corner to the outer one. Without such a loop, an analytic almond curve on a 12.5 mm sphere
    around the eye centre. A head model knows its margins exactly (``IdentitySampler.lid_margins``);
    this is for surfaces without one.
    """
    lm = surface.landmarks
    lat, fwd, up = lm.axes()
    loops = _boundary_loops(np.asarray(surface.faces))
    out = {}
    for side, centre in (("left", lm.eye_left), ("right", lm.eye_right)):
        near = [lp for lp in loops if len(lp) >= 8
                and np.linalg.norm(surface.vertices[lp].mean(0) - centre) < 0.022 * lm.scale]
        if near:
            ring = surface.vertices[min(near, key=lambda lp: np.linalg.norm(surface.vertices[lp].mean(0) - centre))]
            x = ring @ lat
            i0, i1 = int(np.argmin(x)), int(np.argmax(x))
            k = len(ring)
            fwd_path = ring[[(i0 + j) % k for j in range((i1 - i0) % k + 1)]]
            back_path = ring[[(i0 - j) % k for j in range((i0 - i1) % k + 1)]]
            upper, lower = (fwd_path, back_path) if (fwd_path @ up).mean() > (back_path @ up).mean() \
                else (back_path, fwd_path)
            if side == "right":  # runs towards -lat: inner corner first
                upper, lower = upper[::-1], lower[::-1]
            out[f"{side}_upper"], out[f"{side}_lower"] = (resample(c[None], n)[0] for c in (upper, lower))
            continue
        for lid, sign in (("upper", 1.0), ("lower", -1.0)):
            th = np.linspace(0.12 * np.pi, 0.88 * np.pi, n) * sign
            half_h = (0.45 if sign > 0 else 0.3)
            d = np.cos(th)[:, None] * lat + half_h * np.abs(np.sin(th))[:, None] * up * sign + 0.8 * fwd
            d /= np.linalg.norm(d, axis=1, keepdims=True)
            out[f"{side}_{lid}"] = centre + d * 0.0125 * lm.scale
    return out


LASH_CLUMP = (3, 6)
"""Lashes per clump (neighbours along the lid whose tips lean together), drawn per clump."""
LASH_CLUMP_PULL = 0.45
"""How far a lash's tip moves toward its clump's mean tip (the pull grows from the root as s^2)."""


def _clump(pts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Lashes ``[N, P, 3]`` (ordered along the lid) gathered in clumps of neighbours: each point moves toward its
    clump's mean by ``LASH_CLUMP_PULL * s^2`` (s = 0 at the root, 1 at the tip). Real lashes stick together in
    small groups; evenly spaced, parallel lashes read as a false-lash strip."""
    n, p = pts.shape[:2]
    sizes = []
    while sum(sizes) < n:
        sizes.append(int(rng.integers(LASH_CLUMP[0], LASH_CLUMP[1] + 1)))
    label = np.repeat(np.arange(len(sizes)), sizes)[:n]
    mean = np.zeros((len(sizes), p, 3))
    np.add.at(mean, label, pts)
    mean /= np.bincount(label, minlength=len(sizes))[:, None, None]
    w = LASH_CLUMP_PULL * np.linspace(0.0, 1.0, p) ** 2
    return pts + w[None, :, None] * (mean[label] - pts)


def grow_lashes(surface: HeadSurface, fh: FacialHairParams, rng: np.random.Generator,
                margins: dict | None = None) -> Strands:
    """Eyelashes: upper lashes leave the lid forwards and curl up, lower ones curl down.

    ``margins``: the lid margins in :func:`lid_curves`' layout (keys ``left_upper`` ... ``right_lower``,
    each ``[K, 3]`` m from the inner corner out), e.g. the head model's own; default :func:`lid_curves`."""
    check_generator(rng)
    lm = surface.landmarks
    lat, fwd, up = lm.axes()
    curves = lid_curves(surface) if margins is None else margins
    field = surface.collision(body=False, keep_out=False)
    groups = []
    n_pts = 6
    for name, curve in curves.items():
        upper = name.endswith("upper")
        n = fh.lash_upper if upper else fh.lash_lower
        centre = lm.eye_left if name.startswith("left") else lm.eye_right
        t = np.sort(rng.uniform(0.04, 0.96, n))
        cum = np.concatenate([[0], np.cumsum(np.linalg.norm(np.diff(curve, axis=0), axis=1))])
        roots = np.stack([np.interp(t * cum[-1], cum, curve[:, k]) for k in range(3)], 1)
        roots = field.push_outside(roots, 0.0, use_keep_out=False)  # analytic lids may dip under the skin
        out = roots - centre
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        vert = up if upper else -up
        # along the lid, inner corner out: outer lashes fan outward, inner ones a little inward
        along = np.gradient(roots, axis=0) if n > 1 else np.zeros((n, 3))
        along /= np.maximum(np.linalg.norm(along, axis=1, keepdims=True), 1e-12)
        d0 = out * 0.4 + fwd * 0.85 + vert * 0.15 + along * (0.45 * (t - 0.4))[:, None]
        d0 += rng.normal(0.0, 0.07, (n, 3))  # no two lashes leave the lid alike
        d0 /= np.linalg.norm(d0, axis=1, keepdims=True)
        mid = 1.0 - 0.35 * np.abs(2 * t - 1.1)  # longest a little outside the middle
        length = (fh.lash_length_upper if upper else fh.lash_length_lower) * mid * rng.uniform(0.55, 1.05, n)
        s = np.linspace(0, 1, n_pts)[None, :] * length[:, None]
        curl = fh.lash_curl * rng.uniform(0.7, 1.3, n)[:, None]
        pts = roots[:, None] + d0[:, None] * s[..., None] + vert * (curl * s**2)[..., None]
        pts = _clump(pts, rng)
        groups.append((pts, out))
    if not groups:
        raise AssetInputError("grow_lashes: no eyelid curves found")
    pts = np.concatenate([g[0] for g in groups])
    normals = np.concatenate([g[1] for g in groups])
    fixed = field.push_outside(pts[:, 1:].reshape(-1, 3), 1e-4, use_keep_out=False).reshape(len(pts), n_pts - 1, 3)
    pts = np.concatenate([pts[:, :1], fixed], axis=1)
    n = len(pts)
    mel = np.clip(fh.lash_melanin + rng.normal(0, 0.02, n), 0, 1).astype(np.float32)
    return Strands("lashes", pts.astype(np.float32), taper_radius(n, n_pts, D.LASH_ROOT_RADIUS, 0.2, 0.2),
                   normals.astype(np.float32), mel, {"n_strands": n, "melanin_redness": fh.melanin_redness})
