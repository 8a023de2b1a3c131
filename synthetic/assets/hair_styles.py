"""Head-hair style parameters: sampling, scalp density (hairline, recession) and comb flow fields.

The style table lives in ``defaults.HAIR_STYLES``; ``sample_hair`` draws one identity's values
inside a style's ranges. ``scalp_density`` and ``flow_field`` turn them into a per-vertex root
density and a direction field on the head, both placed with the anatomical frame (``anatomy``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from . import defaults as D
from .errors import AssetInputError, check_choice
from .noise import smoothstep
from .pigments import HairColour, _pick
from .surface import HeadSurface

STYLE_NAMES = tuple(D.HAIR_STYLES)


@dataclass
class HairParams:
    """One identity's head hair (JSON-serialisable). Lengths in metres, offsets in local mm.

    Attributes:
        style: a key of ``defaults.HAIR_STYLES``. flow: comb field kind (see ``flow_field``).
        length: longest strand (m).
        part_offset_mm: signed lateral position of the part (+ = subject's left).
        layer: (min, max) guide height above the scalp (m) - the hair's volume.
        curl_radius, curl_period, wave_amplitude, wave_period, frizz: shape noise (m).
        recession, crown_thinning: hair loss in [0, 1]. scalp_shadow: texture darkening in [0, 1].
        gather_up_mm: tie height for ponytails and buns (local ``up``), else None.
        tie_radius, spread_radius: bundle radius at the tie and below it / of the bun (m).
        colour: the hair colour (``HairColour``) as a dict.
    """

    style: str
    flow: str
    length: float
    part_offset_mm: float
    layer: list
    curl_radius: float
    curl_period: float
    wave_amplitude: float
    wave_period: float
    frizz: float
    recession: float
    crown_thinning: float
    scalp_shadow: float
    gather_up_mm: float | None
    tie_radius: float
    spread_radius: float
    colour: dict

    @property
    def spec(self) -> dict:
        """The style's fixed table entry (``defaults.HAIR_STYLES[style]``)."""
        return D.HAIR_STYLES[self.style]

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> HairParams:
        try:
            out = cls(**data)
        except TypeError as exc:
            raise AssetInputError(f"hair parameters: {exc}") from None
        check_choice("hair style", out.style, D.HAIR_STYLES)
        return out


def sample_hair(rng: np.random.Generator, sex: str, colour: HairColour, style: str | None = None) -> HairParams:
    """Draw a style (by presentation ``sex`` weights unless given) and its values."""
    check_choice("sex", sex, D.SEXES)
    if style is None:
        style = _pick(rng, {k: v["weights"][sex] for k, v in D.HAIR_STYLES.items()})
    spec = D.HAIR_STYLES[check_choice("hair style", style, D.HAIR_STYLES)]

    def u(key):
        lo, hi = spec[key]
        return float(rng.uniform(lo, hi))

    flows = spec["flow"] if isinstance(spec["flow"], tuple) else (spec["flow"],)
    flow = flows[int(rng.integers(len(flows)))]
    part = u("part_offset_mm") * (1.0 if rng.random() < 0.5 else -1.0)
    gather = u("gather") if spec["gather"] is not None else None
    return HairParams(style=style, flow=flow, length=u("length"), part_offset_mm=part,
                      layer=[float(x) for x in spec["layer"]],
                      curl_radius=u("curl_radius"), curl_period=u("curl_period"), wave_amplitude=u("wave_amplitude"),
                      wave_period=u("wave_period"), frizz=u("frizz"), recession=u("recession"),
                      crown_thinning=u("crown_thinning"), scalp_shadow=u("scalp_shadow"), gather_up_mm=gather,
                      tie_radius=D.TIE_RADIUS,
                      spread_radius=float(rng.uniform(*(D.BUN_RADIUS if style == "bun" else D.TAIL_RADIUS))),
                      colour=colour.to_json())


@dataclass
class ScalpFrame:
    """Reference points of the scalp in the local anatomical frame (scaled mm).

    front/back: most forward and backward scalp ``fwd`` near the midline; top: highest ``up``;
    crown: the whorl point on the top-back of the head (local coordinates, (3,)).
    """

    front: float
    back: float
    top: float
    crown: np.ndarray

    @classmethod
    def of(cls, surface: HeadSurface) -> ScalpFrame:
        loc = surface.local
        scalp = surface.region("scalp") > 0.5
        if scalp.sum() < 10:
            raise AssetInputError("surface: the 'scalp' region has fewer than 10 vertices with weight > 0.5")
        mid = scalp & (np.abs(loc[:, 0]) < 20.0)
        if mid.sum() < 3:
            mid = scalp
        front, back = float(loc[mid, 1].max()), float(loc[mid, 1].min())
        top = float(loc[scalp, 2].max())
        want = np.array([0.0, front - 0.6 * (front - back), top])
        cand = np.nonzero(scalp)[0]
        d = np.linalg.norm((loc[cand] - want) * np.array([1.0, 1.0, 0.3]), axis=1)
        return cls(front, back, top, loc[cand[np.argmin(d)]].astype(float))

    def surface_point(self, surface: HeadSurface, local_target) -> np.ndarray:
        """World position of the scalp vertex nearest to a local (mm) target point."""
        loc = surface.local
        cand = np.nonzero(surface.region("scalp") > 0.3)[0]
        i = cand[np.argmin(np.linalg.norm(loc[cand] - np.asarray(local_target), axis=1))]
        return surface.vertices[i]


def scalp_density(surface: HeadSurface, hair: HairParams, frame: ScalpFrame) -> np.ndarray:
    """Per-vertex root density (V,) in [0, 1]: the scalp weights, minus recession and crown thinning."""
    w = surface.region("scalp").copy()
    if hair.spec["density"] <= 0:
        return np.zeros_like(w)
    loc = surface.local
    if hair.recession > 0:
        temple = smoothstep(8.0, 38.0, np.abs(loc[:, 0]))
        cut = frame.front - hair.recession * (18.0 + 32.0 * temple)
        w *= 1.0 - smoothstep(cut - 8.0, cut + 4.0, loc[:, 1])
    if hair.crown_thinning > 0:
        d = np.linalg.norm(loc - frame.crown, axis=1)
        w *= 1.0 - hair.crown_thinning * np.exp(-(d / 45.0) ** 2)
    return np.clip(w, 0.0, 1.0)


def part_side(surface: HeadSurface, hair: HairParams, points: np.ndarray) -> np.ndarray:
    """(N,) int: 1 for world points (N, 3) on the subject's-left side of the part line, 0 on the other
    (the side the 'part' flow combs them towards)."""
    return (surface.landmarks.to_local(points)[:, 0] >= hair.part_offset_mm).astype(np.int64)


def flow_field(surface: HeadSurface, hair: HairParams, frame: ScalpFrame, target_world: np.ndarray | None = None):
    """The style's comb direction field: ``flow(points, normals, guide_ids) -> (N, 3)`` world directions.

    Kinds: 'radial' (away from the crown whorl, with a slight swirl), 'back' (combed back),
    'part' (away from the part line on top, radial elsewhere), 'tied_*' (towards ``target_world``).
    No kind combs hair towards the face except 'radial' over the forehead (a fringe): the front
    hairline is combed up and back ('part', 'tied_*'), temples and sides never forward.
    """
    lm = surface.landmarks
    axes = lm.axes()
    lat_w, fwd_w, up_w = axes
    crown_w = lm.origin + frame.crown @ axes * (lm.scale / 1000.0)
    kind = hair.flow

    def near_front(loc):  # (N, 1): on the front of the scalp above the face (the forehead hairline)
        return (smoothstep(frame.front - 45.0, frame.front, loc[:, 1]) * smoothstep(-10.0, 25.0, loc[:, 2]))[:, None]

    def radial(p, n):
        v = p - crown_w
        v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
        swirl = np.cross(n, v) * (0.5 * np.exp(-(np.linalg.norm(p - crown_w, axis=1) / 0.03) ** 2))[:, None]
        out = v + swirl + 0.25 * (-up_w)
        # towards the face only as a fringe over the forehead: at the temples and below the brows, never forward
        loc = lm.to_local(p)
        off_fringe = np.maximum(smoothstep(35.0, 50.0, np.abs(loc[:, 0])), 1 - smoothstep(15.0, 40.0, loc[:, 2]))
        return out - (off_fringe * np.maximum(out @ fwd_w, 0.0))[:, None] * fwd_w[None, :]

    if kind == "radial":
        return lambda p, n, ids: radial(p, n)
    if kind == "back":
        return lambda p, n, ids: -fwd_w[None, :] + 0.35 * radial(p, n)
    if kind == "part":
        part_mm = hair.part_offset_mm

        def part(p, n, ids):
            loc = lm.to_local(p)
            side = np.where(loc[:, 0] >= part_mm, 1.0, -1.0)[:, None]
            # combed (sideways, and back near the hairline) on the upper front two thirds; radial fall elsewhere
            w = smoothstep(frame.back + 40.0, frame.back + 100.0, loc[:, 1]) * smoothstep(-10.0, 25.0, loc[:, 2])
            nf = near_front(loc)
            # near the front hairline: up and back off the forehead (its tangent plane keeps the 'up')
            comb = side * lat_w[None, :] * (1 - 0.5 * nf) - fwd_w[None, :] * (0.3 + 0.9 * nf) \
                + (1.1 * nf - 0.2) * up_w[None, :]
            return w[:, None] * comb + (1 - w)[:, None] * radial(p, n)

        return part
    if kind.startswith("tied"):
        if target_world is None:
            raise AssetInputError("flow_field: tied styles need the gather point")

        def tied(p, n, ids):  # straight to the gather point, but up off the forehead first (not down over it)
            d = target_world[None, :] - p
            return d + 1.1 * near_front(lm.to_local(p)) * np.linalg.norm(d, axis=1, keepdims=True) * up_w[None, :]

        return tied
    raise AssetInputError(f"hair style flow: unknown kind {kind!r}")
