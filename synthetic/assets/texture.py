"""Procedural UV textures of one identity: albedo, roughness and specular maps.

Everything is placed in 3D: the caller passes the head model's UV->position map and per-texel
region masks, and features (cheeks, brows, beard area, eyes) come from ``anatomy`` zones
around the landmarks, and noise is evaluated at the texels' 3D positions, so patterns have
no UV seams and keep their physical size (mm) on any layout.

Colour is computed as two chromophore fields per texel, log-multipliers of the identity's
melanin and blood, turned into albedo with the identity's (melanin x blood) lookup table
(``SkinParams.lut``); freckles, moles, redness, lips and under-eye darkening are changes of those
fields. Pores, painted brows, stubble and the eyes are then mixed on top.

Row order: outputs have exactly the row order of the inputs (whatever the head model's maps
use); nothing is flipped here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import anatomy as A
from . import defaults as D
from .errors import AssetInputError
from .noise import dots, fbm, smoothstep, value_noise
from .pigments import IrisColour
from .skin import SkinParams
from .wrinkles import RELIEF_CHANNELS, near_polyline, relief_maps, vermilion_lines

KNOWN_REGIONS = ("face", "scalp", "ears", "neck", "eyes", "iris", "pupil", "mouth_interior", "teeth", "lips")
TEETH_RGB = (0.72, 0.66, 0.55)


@dataclass
class SkinTextures:
    """Texture maps of one identity, in the inputs' row order.

    Attributes:
        albedo: (H, W, 3) float32 linear-sRGB base colour in [0, 1].
        roughness: (H, W) float32 Principled roughness in [0, 1].
        specular: (H, W) float32 Principled 'Specular IOR Level' in [0, 1] (0.5 = F0 of 4 %).
        coverage: (H, W) bool, texels covered by any region (others hold the plain skin colour, but for a
            ring of ``SEAM_PAD_TEXELS`` around each UV island that repeats its edge: :func:`pad_islands`).
        relief: (H, W, 7) float32 skin heights in mm, channels ``wrinkles.RELIEF_CHANNELS``
            (micro-detail, then one map per expression wrinkle), or None.
    """

    albedo: np.ndarray
    roughness: np.ndarray
    specular: np.ndarray
    coverage: np.ndarray
    relief: np.ndarray | None = None

    def albedo_srgb8(self) -> np.ndarray:
        """Albedo as (H, W, 3) uint8 sRGB (gamma-encoded) for PNG files."""
        return linear_to_srgb8(self.albedo)


def linear_to_srgb8(rgb: np.ndarray) -> np.ndarray:
    """Linear values in [0, 1] -> 8-bit sRGB (same shape, uint8)."""
    c = np.clip(np.asarray(rgb, np.float32), 0.0, 1.0)
    s = np.where(c <= 0.0031308, 12.92 * c, 1.055 * np.power(c, 1 / 2.4) - 0.055)
    return np.round(s * 255.0).astype(np.uint8)


@dataclass
class FaceExtras:
    """Hair-coloured marks painted into the skin texture.

    Attributes:
        hair_rgb: linear RGB of head/body hair (brows, stubble, scalp shadow).
        brow_density: painted brow strength in [0, 1] (brow strands are added on top when rendered).
        scalp_shadow: short-hair shadow on the scalp in [0, 1] (buzz cuts, shaved heads).
        iris: iris colours, painted into the 'eyes' region when it exists.
        age: years; sets the depth of wrinkles and rest lines in the relief maps, and sclera yellowing.
        tear_lines: lower-lid margins, each ``[K, 3]`` points (m) along the lid edge; a wet strip (glossy,
            the tear meniscus) runs along them.
        lid_lines: upper-lid margins, each ``[K, 3]`` (m); the lid crease runs ``crease_mm`` above them
            (0: a monolid).
        brow_arch_mm, brow_lift_mm, brow_width_mm: the painted brow's shape (``anatomy.brow_zone``), as the brow
            strands'.
    """

    hair_rgb: tuple = (0.05, 0.03, 0.02)
    brow_density: float = 0.8
    scalp_shadow: float = 0.0
    iris: IrisColour | None = None
    age: float = 35.0
    tear_lines: tuple = ()
    lid_lines: tuple = ()
    crease_mm: float = 7.0
    brow_arch_mm: float = 4.0
    brow_lift_mm: float = 0.0
    brow_width_mm: float = A.BROW_REFERENCE_WIDTH_MM


def _check_inputs(position_map, masks):
    pos = np.asarray(position_map, np.float32)
    if pos.ndim != 3 or pos.shape[2] != 3 or pos.shape[0] < 4 or pos.shape[1] < 4:
        raise AssetInputError(f"position_map: expected shape (H, W, 3) with H, W >= 4, got {pos.shape}")
    if not isinstance(masks, dict) or "face" not in masks:
        raise AssetInputError(f"masks: expected a dict of (H, W) arrays with at least 'face'; got keys "
                              f"{sorted(masks) if isinstance(masks, dict) else type(masks)}")
    out = {}
    for name, m in masks.items():
        m = np.asarray(m, np.float32)
        if m.shape != pos.shape[:2]:
            raise AssetInputError(f"masks[{name!r}]: expected shape {pos.shape[:2]}, got {m.shape}")
        if not np.all(np.isfinite(m)) or m.min() < 0 or m.max() > 1:
            raise AssetInputError(f"masks[{name!r}]: values must be finite and in [0, 1]")
        out[name] = m
    return pos, out


def make_textures(skin: SkinParams, position_map: np.ndarray, masks: dict, landmarks: A.Landmarks,
                  extras: FaceExtras | None = None) -> SkinTextures:
    """Albedo, roughness and specular maps for one identity.

    Args:
        skin: the identity's skin parameters (``sample_skin``).
        position_map: (H, W, 3) 3D position (m) of each texel on the neutral head; texels outside
            every region may hold anything finite.
        masks: region name -> (H, W) weights in [0, 1]; 'face' is required, any of
            ``KNOWN_REGIONS`` are used when present, other names are ignored.
        landmarks: the head's landmarks (m), to place cheeks, brows, beard area and eyes.
        extras: hair colour, brows, scalp shadow and iris (defaults: dark hair, brows, no iris).

    Returns:
        SkinTextures with maps of shape (H, W[, 3]), float32.
    """
    pos, masks = _check_inputs(position_map, masks)
    extras = extras or FaceExtras()
    h, w = pos.shape[:2]
    region = {k: masks[k].reshape(-1) for k in KNOWN_REGIONS if k in masks}
    coverage = np.zeros(h * w, bool)
    for m in region.values():
        coverage |= m > 0
    idx = np.flatnonzero(coverage)
    p = pos.reshape(-1, 3)[idx].astype(np.float64)
    if not np.all(np.isfinite(p)):
        raise AssetInputError("position_map: covered texels must hold finite positions")
    r = {k: m[idx] for k, m in region.items()}
    zero = np.zeros(len(idx), np.float32)
    lips, eyes, mouth = r.get("lips", zero), np.maximum(r.get("eyes", zero), r.get("iris", zero)), \
        r.get("mouth_interior", zero)
    teeth = r.get("teeth", zero)
    scalp, ears = r.get("scalp", zero), r.get("ears", zero)
    loc = landmarks.to_local(p)
    seed = skin.noise_seed
    nose_local = landmarks.local_of("nose_tip")

    # --- chromophore fields (natural-log multipliers of melanin and blood)
    # uneven tone: centimetre blotches of pigment and of blood (+-12 % / +-16 % before: a flat, waxy albedo)
    lm = MOTTLE * (0.12 * fbm(p, 30.0, seed + 1, 3) + 0.06 * fbm(p, 90.0, seed + 17, 2)) \
        + 0.05 * fbm(p, 220.0, seed + 2, 2)
    lb = MOTTLE * 0.16 * fbm(p, 40.0, seed + 3, 3)
    cheeks, nose = A.cheek_zone(loc), A.nose_zone(loc, nose_local)
    lb += np.log1p(skin.redness * (1.6 * cheeks + 1.3 * nose) * (0.75 + 0.25 * fbm(p, 90.0, seed + 4, 2)))
    lb += 0.5 * ears
    peri = A.periorbital_zone(loc) * skin.periorbital
    lm += 0.45 * peri
    lb += 0.4 * peri
    if skin.freckles > 0:
        zone = A.freckle_zone(loc, nose_local) * smoothstep(-0.35, 0.3, fbm(p, 25.0, seed + 5, 2))
        spots = np.maximum(dots(p, 420.0, seed + 6, skin.freckles, (0.25, 0.45)),
                           dots(p, 260.0, seed + 15, 0.5 * skin.freckles, (0.2, 0.4)))
        lm += 2.4 * zone * spots
    lm += 2.2 * dots(p, 62.0, seed + 7, skin.moles, (0.05, 0.12))
    # age spots (solar lentigines): flat brown patches, 2-6 mm, on sun-exposed skin from the forties
    aged = float(smoothstep(40.0, 80.0, extras.age)) * AGE_SPOTS[skin.fitzpatrick]
    if aged > 0:
        spots = dots(p, 110.0, seed + 18, 0.7 * aged, (0.2, 0.45))
        lm += 2.2 * A.freckle_zone(loc, nose_local) * spots * (0.6 + 0.4 * fbm(p, 300.0, seed + 19, 2))
    lb += 1.4 * dots(p, 140.0, seed + 8, skin.blemishes, (0.08, 0.2))
    lm -= 0.25 * scalp  # scalp skin sees less sun
    on_lips = np.flatnonzero(lips > 0)
    lip_var = np.zeros(len(idx), np.float32)
    lip_var[on_lips] = fbm(p[on_lips], 300.0, seed + 9, 2)
    lm = lm * (1 - lips) + lips * (np.log(skin.lip_melanin) + 0.3 * lm)
    lb += lips * (np.log(skin.lip_blood) + 0.15 * lip_var)
    lm = lm * (1 - mouth) + mouth * np.log(0.1)
    lb += mouth * np.log(6.0)
    # the caruncle: moist pink tissue filling each eye's inner corner (the lid's inner wall there)
    caruncle = caruncle_zone(p, extras.lid_lines) * (1 - eyes)
    lm -= 0.6 * caruncle
    lb += np.log(CARUNCLE_BLOOD) * caruncle
    # the waterline: the lids' inner wall, from the margin back onto the eye, is moist mucosa, pinker than the skin
    eye_centres = (landmarks.eye_left, landmarks.eye_right)
    wall, waterline = mucosa_weights(waterline_zone(p, extras.lid_lines + extras.tear_lines, eye_centres) * (1 - eyes),
                                     caruncle)
    lm -= 0.4 * wall
    lb += np.log(WATERLINE_BLOOD) * wall
    albedo = _lookup(skin.lut(), lm, lb)

    # --- pores: a fine stipple, strongest in the T-zone and cheeks
    tzone = np.maximum(A.forehead_zone(loc), nose)
    pore_w = skin.pores * (0.4 + 0.6 * np.maximum(tzone, cheeks)) * (1 - lips) * (1 - eyes) * (1 - mouth)
    pore = np.maximum(value_noise(p, 1400.0, seed + 10), 0.0)
    albedo *= (1.0 - 0.10 * pore_w * pore)[:, None]

    # --- hair-coloured marks: painted brows, stubble, scalp shadow
    hair = np.asarray(extras.hair_rgb, np.float32)
    upright = landmarks.to_upright(p)
    brow = A.brow_zone(upright, extras.brow_arch_mm, extras.brow_lift_mm, extras.brow_width_mm)
    brow = brow * float(extras.brow_density)
    if np.any(brow > 0):
        sel = np.flatnonzero(brow > 0)
        b = upright[sel]
        d = A.brow_direction(b)
        along = b[:, 0] * d[:, 0] + b[:, 2] * d[:, 2]
        across = b[:, 0] * d[:, 2] - b[:, 2] * d[:, 0]
        q = np.stack([along * 0.25, across * 2.5, b[:, 1] * 0.2], 1) * 1e-3
        streak = smoothstep(-0.3, 0.5, value_noise(q, 900.0, seed + 11))
        a = np.clip(brow[sel] * (0.35 + 0.55 * streak), 0, 0.9)[:, None]
        albedo[sel] = albedo[sel] * (1 - a) + a * hair * 0.8
    zones = A.beard_zones(loc, landmarks)
    # densest on the chin and upper lip, lighter up the cheeks (an even shadow up to the cheek line read as grime)
    stubble = zones["full"] * (0.45 + 0.55 * zones["goatee"]) * float(skin.stubble_shadow) * (1 - lips) * (1 - mouth)
    shadow = stubble + scalp * float(extras.scalp_shadow)
    if np.any(shadow > 0):
        sel = np.flatnonzero(shadow > 0)
        follicles = dots(p[sel], 1100.0, seed + 12, 0.8, (0.25, 0.45))
        a = np.clip(shadow[sel] * (0.25 + 0.5 * follicles), 0, 0.8)[:, None]
        albedo[sel] = albedo[sel] * (1 - a) + a * (0.5 * albedo[sel] + 0.5 * hair) * 0.7

    # --- roughness and specular
    oil = skin.oiliness * tzone
    rough = skin.roughness + 0.04 * fbm(p, 60.0, seed + 13, 2) - 0.10 * oil + 0.06 * pore_w * pore
    rough += 0.12 * np.maximum(brow, shadow)
    rough = rough * (1 - lips) + lips * (0.33 + 0.05 * lip_var)
    rough = rough * (1 - mouth) + mouth * 0.18
    spec = skin.specular * (1.0 + 0.35 * oil - 0.25 * pore_w * pore) * (1 - lips) + lips * 0.6
    spec = spec * (1 - mouth) + mouth * 0.6
    if np.any(teeth > 0):
        sel = np.flatnonzero(teeth > 0)
        col = np.asarray(TEETH_RGB, np.float32) * (0.93 + 0.07 * fbm(p[sel], 400.0, seed + 16, 2))[:, None]
        a = teeth[sel][:, None]
        albedo[sel] = albedo[sel] * (1 - a) + a * col
        rough[sel] = rough[sel] * (1 - a[:, 0]) + a[:, 0] * 0.25
        spec[sel] = spec[sel] * (1 - a[:, 0]) + a[:, 0] * 0.6
    if extras.iris is not None and np.any(eyes > 0):
        sel = np.flatnonzero(eyes > 0)
        iris_m = r["iris"][sel] if "iris" in r else None
        pupil_m = r["pupil"][sel] if "pupil" in r else None
        col, er, es = _paint_eyes(p[sel], landmarks, extras.iris, iris_m, pupil_m, extras.age)
        a = eyes[sel][:, None]
        albedo[sel] = albedo[sel] * (1 - a) + a * col
        rough[sel] = rough[sel] * (1 - a[:, 0]) + a[:, 0] * er
        spec[sel] = spec[sel] * (1 - a[:, 0]) + a[:, 0] * es

    wet = smoothstep(0.2, 0.6, waterline)
    rough = rough * (1 - wet) + wet * 0.12
    spec = spec * (1 - wet) + wet * 0.8

    # --- the tear meniscus: a wet, glossy strip along each lower lid margin
    for line in extras.tear_lines:
        near, _ = near_polyline(p, line, TEAR_STRIP_M)
        rough[near] = 0.06
        spec[near] = 0.95

    # --- the upper lash line: the lash roots, in two or three rows along the lid's front edge, darken it
    for line in extras.lid_lines:
        near, d = near_polyline(p, line, 3 * LASH_LINE_WIDTH_M)
        near, d = near[eyes[near] < 0.5], d[eyes[near] < 0.5]
        a = (LASH_LINE_DARKNESS * np.exp(-0.5 * (d / LASH_LINE_WIDTH_M) ** 2))[:, None]
        albedo[near] = albedo[near] * (1 - a) + a * np.asarray(LASH_LINE_RGB, np.float32)

    # --- relief (heights in mm): pores, fine lines, age lines and the expression wrinkle maps
    skin_w = np.clip(1.0 - lips - eyes - mouth - teeth, 0.0, 1.0)[:, None]
    lids = tuple(landmarks.to_local(np.asarray(line)) for line in extras.lid_lines)
    relief = relief_maps(p, loc, nose_local, landmarks.local_of("mouth"), pore_w, extras.age, seed, lids,
                         extras.crease_mm) * skin_w
    relief[:, 0] += lips * vermilion_lines(p, loc, landmarks.local_of("mouth"), seed)

    out_a = np.empty((h * w, 3), np.float32)
    out_a[:] = np.asarray(skin.base_rgb, np.float32)
    out_a[idx] = np.clip(albedo, 0, 1)
    out_r = np.full(h * w, skin.roughness, np.float32)
    out_r[idx] = np.clip(rough, 0, 1)
    out_s = np.full(h * w, skin.specular, np.float32)
    out_s[idx] = np.clip(spec, 0, 1)
    out_h = np.zeros((h * w, len(RELIEF_CHANNELS)), np.float32)
    out_h[idx] = relief
    maps = np.concatenate([out_a, out_r[:, None], out_s[:, None], out_h], 1).reshape(h, w, -1)
    maps = pad_islands(maps, coverage.reshape(h, w), max(2, round(SEAM_PAD_TEXELS * h / 1024)))
    return SkinTextures(maps[..., :3], maps[..., 3], maps[..., 4], coverage.reshape(h, w), maps[..., 5:])


MOTTLE = 3.0
"""Scale of the skin's centimetre-scale pigment and blood blotches (log-multipliers of the chromophores; at 1.0 the
albedo varied +-3 % and rendered flat, as wax does)."""
AGE_SPOTS = {1: 1.0, 2: 1.0, 3: 0.8, 4: 0.6, 5: 0.4, 6: 0.3}
"""Relative number of age spots per skin type (lentigines are commonest on fair, sun-damaged skin)."""
LASH_LINE_WIDTH_M = 0.0006
"""Gaussian width (m) of the dark band the upper lash roots make along the lid margin (1-1.5 mm across)."""
LASH_LINE_DARKNESS = 0.7
"""How far the band goes toward :data:`LASH_LINE_RGB` at the margin. Without it the lash strands alone (0.1 mm
thick, sub-pixel below ~1000 px) left the margin a thin line under a faint haze: no lash line as photos show."""
LASH_LINE_RGB = (0.025, 0.018, 0.014)
"""Linear RGB of the lash roots (lashes stay dark when the hair greys)."""
TEAR_STRIP_M = 0.0005
"""Half-width (m) of the tear meniscus's glossy strip along each lower lid margin (0.9 mm until generator 12: a
1.8 mm mirror band that rendered as a white rim under each eye)."""
WATERLINE_REACH_M = 0.006
WATERLINE_BLOOD = 2.2
"""How far (m) from a lid margin the lids' inner wall (the waterline) is looked for, and its blood multiplier."""


def waterline_zone(p: np.ndarray, margins, eye_centres) -> np.ndarray:
    """Weight ``[N]`` in [0, 1] of the lids' inner wall at points ``p`` ``[N, 3]`` (m): within
    :data:`WATERLINE_REACH_M` of a lid margin ``[K, 3]`` and more than 0.2 mm nearer its eyeball's centre (the
    nearer of ``eye_centres``, ``[3]`` each) than the margin's nearest point: the wall runs from the margin in onto
    the eye, the skin outside it away from the eye."""
    out = np.zeros(len(p), np.float32)
    centres = np.asarray(eye_centres, np.float64).reshape(-1, 3)
    for line in margins:
        line = np.asarray(line, np.float64)
        near, _ = near_polyline(p, line, WATERLINE_REACH_M)
        if len(near) == 0:
            continue
        c = centres[np.argmin(np.linalg.norm(centres - line.mean(0), axis=1))]
        q = np.asarray(p[near], np.float64)
        nearest = np.argmin(((q[:, None, :] - line[None]) ** 2).sum(-1), axis=1)
        inward = np.linalg.norm(line[nearest] - c, axis=1) - np.linalg.norm(q - c, axis=1)
        out[near] = np.maximum(out[near], smoothstep(0.0002, 0.0007, inward))
    return out


CARUNCLE_RADIUS_M = 0.0022
CARUNCLE_BLOOD = 4.0
"""The caruncle's extent around each inner lid corner (m, Gaussian sigma) and its blood multiplier."""


def mucosa_weights(wall_zone: np.ndarray, caruncle: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(pigment weight of the lids' inner wall, wet weight), each like the inputs (weights in [0, 1]).

    Where the caruncle is, it has its own pigment and blood (the wall's stop there, so its melanin is not cut
    twice); both tissues are wet."""
    return wall_zone * (1 - caruncle), np.maximum(wall_zone, caruncle)


def caruncle_zone(p: np.ndarray, lid_lines) -> np.ndarray:
    """Weight ``[N]`` in [0, 1] of the caruncle at points ``p`` ``[N, 3]`` (m, model frame: face along -Y): a
    Gaussian about a point 1.8 mm lateral of and 1.5 mm behind each upper-lid margin's first point (the inner
    corner), on the lid's inner wall between the margin and the eyeball."""
    w = np.zeros(len(p), np.float32)
    for line in lid_lines:
        line = np.asarray(line, np.float64)
        corner = line[0] + np.array([0.0018 * np.sign(line[-1, 0] - line[0, 0]), 0.0015, 0.0])
        d2 = np.sum((p - corner) ** 2, axis=1)
        w = np.maximum(w, np.exp(-0.5 * d2 / CARUNCLE_RADIUS_M ** 2).astype(np.float32))
    return w


SEAM_PAD_TEXELS = 4
"""Texels (at 1024) by which every map repeats its UV islands' edges outwards: texture filtering and the bump's
finite differences at a seam then read the island's own values, not the plain fill (a relief step at an island's
edge would tilt the bump's normal there)."""


def pad_islands(maps: np.ndarray, covered: np.ndarray, texels: int) -> np.ndarray:
    """``maps`` ``[H, W, C]`` with every uncovered texel within ``texels`` steps (4-neighbour) of ``covered``
    ``[H, W]`` bool set to the mean of its already-set neighbours, ring by ring; the rest unchanged."""
    out = np.array(maps, np.float32, copy=True)
    done = np.asarray(covered, bool).copy()
    for _ in range(int(texels)):
        acc = np.zeros_like(out)
        cnt = np.zeros(done.shape, np.float32)
        for dst, src in (((slice(1, None), slice(None)), (slice(None, -1), slice(None))),
                         ((slice(None, -1), slice(None)), (slice(1, None), slice(None))),
                         ((slice(None), slice(1, None)), (slice(None), slice(None, -1))),
                         ((slice(None), slice(None, -1)), (slice(None), slice(1, None)))):
            acc[dst] += out[src] * done[src][..., None]
            cnt[dst] += done[src]
        new = ~done & (cnt > 0)
        if not new.any():
            break
        out[new] = acc[new] / cnt[new][:, None]
        done |= new
    return out


def _lookup(lut: np.ndarray, log_mel: np.ndarray, log_blood: np.ndarray) -> np.ndarray:
    """Bilinear lookup of the (melanin, blood) albedo table at natural-log multipliers; (N, 3) float32."""
    n = lut.shape[0]
    coords = []
    for vals, key in ((log_mel, "melanin"), (log_blood, "blood")):
        lo, hi = np.log(D.SKIN_LUT_RANGE[key])
        coords.append(np.clip((vals - lo) / (hi - lo) * (n - 1), 0, n - 1 - 1e-4))
    i = np.floor(coords[0]).astype(np.int64)
    j = np.floor(coords[1]).astype(np.int64)
    ti = (coords[0] - i).astype(np.float32)[:, None]
    tj = (coords[1] - j).astype(np.float32)[:, None]
    top = lut[i, j] * (1 - tj) + lut[i, j + 1] * tj
    bot = lut[i + 1, j] * (1 - tj) + lut[i + 1, j + 1] * tj
    return (top * (1 - ti) + bot * ti).astype(np.float32)


def _paint_eyes(p: np.ndarray, lm: A.Landmarks, iris: IrisColour, iris_mask=None, pupil_mask=None,
                age: float = 35.0):
    """Sclera, iris and pupil colours (N, 3) plus roughness and specular (N,) for eyeball texels.

    The sclera yellows and shows more veins with ``age`` (years).

    The iris is the cap within ``IRIS_ANGLE`` of the eye's forward axis, or, when the head model
    labels iris and pupil texels, exactly those texels (the pattern still runs radially).
    """
    fwd = A.eye_forward(lm)
    col = np.empty((len(p), 3), np.float32)
    dl = np.linalg.norm(p - lm.eye_left, axis=1)
    dr = np.linalg.norm(p - lm.eye_right, axis=1)
    centre = np.where((dl < dr)[:, None], lm.eye_left, lm.eye_right)
    v = p - centre
    v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    ang = np.arccos(np.clip(v @ fwd, -1, 1)).astype(np.float32)
    axes = lm.axes()
    phi = np.arctan2(v @ axes[2], v @ axes[0])
    iris_angle = D.IRIS_ANGLE
    if iris_mask is not None and np.any(iris_mask > 0.5):
        iris_angle = float(np.percentile(ang[iris_mask > 0.5], 99))
    t = np.clip(ang / iris_angle, 0, 1)
    seed = iris.pattern_seed
    streak = value_noise(np.stack([np.cos(phi) * 8, np.sin(phi) * 8, t * 3], 1), 4.0, seed) * 0.5 + 0.5
    inner, outer, ring = (np.asarray(c, np.float32) for c in (iris.inner, iris.outer, iris.ring))
    irs = inner + (outer - inner) * smoothstep(0.2, 0.8, t)[:, None]
    irs = irs * (0.65 + 0.7 * streak)[:, None]
    irs = irs * (1 - 0.8 * smoothstep(0.8, 1.0, t))[:, None] + ring * smoothstep(0.8, 1.0, t)[:, None]
    old = float(np.clip((age - 25.0) / 50.0, 0.0, 1.0))
    # sclera: off-white (linear 0.8 rendered paper-white beside the darkest skins), duller and pinker toward the
    # corners, where the conjunctiva's vessels are and the lids shade it
    white = np.array([0.66, 0.60, 0.54], np.float32) * (1 - old) + np.array([0.62, 0.53, 0.40], np.float32) * old
    corner = smoothstep(0.9, 2.2, ang / iris_angle)[:, None]
    sclera = white * (1 - 0.22 * corner) + np.array([0.05, -0.01, -0.01], np.float32) * corner
    veins = smoothstep(0.55 - 0.1 * old, 0.9, value_noise(p, 700.0, seed + 1)) * smoothstep(1.6, 2.6, ang / iris_angle)
    sclera = sclera * (1 - 0.4 * veins)[:, None] + np.array([0.5, 0.08, 0.06], np.float32) * (0.4 * veins)[:, None]
    if iris_mask is not None:
        a = (1.0 - np.clip(iris_mask + (pupil_mask if pupil_mask is not None else 0.0), 0, 1))[:, None]
    else:
        a = smoothstep(1.0, 1.08, ang / iris_angle)[:, None]
    col[:] = irs * (1 - a) + sclera * a
    if pupil_mask is not None:
        pupil = pupil_mask[:, None]
    else:
        pupil = (1 - smoothstep(iris.pupil_angle * 0.95, iris.pupil_angle * 1.05, ang))[:, None]
    col = col * (1 - pupil) + np.float32(0.01) * pupil
    return col, np.full(len(p), 0.05, np.float32), np.full(len(p), 0.8, np.float32)
