"""Per-identity teeth and mouth interior (beyond SynShot, whose data has one set of teeth for all).

:func:`sample_teeth` draws an identity's :class:`TeethParams` (size, incisor length, a gap between
the upper central incisors, crowding, shade yellowing with age, gum recession with age, tongue and
mouth colours). :func:`teeth_offsets` turns them into rest-pose vertex offsets ``[V, 3]`` (m) of the
head model's tooth crowns and gums, which ``HeadModel.vertices(..., rest_offsets=)`` adds before
skinning, so the lower teeth still follow the jaw. :func:`commissure_offsets` adds the same kind of offsets that
keep the inner lip and the mouth bag inside the mouth's corners.

Per tooth (``tooth_{upper,lower}_{left,right}_{0..5}``, 0 = central incisor): scaled about its neck
(where it leaves the gum) by the size, incisors and canines lengthened by the incisor length;
crowded teeth (mostly lower incisors and canines) turn about their long axis and step in or out of
the arch; the gap pushes each upper half-arch sideways.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .errors import check_generator

SHADE_BRIGHT = (0.82, 0.78, 0.68)
SHADE_YELLOW = (0.62, 0.54, 0.38)
"""Linear-RGB ends of the tooth shade range (a bleached A1 to a worn D4, roughly)."""


@dataclass
class TeethParams:
    """One identity's teeth and mouth interior (JSON-serialisable; lengths in mm).

    Attributes:
        scale: crown size relative to the template. incisor_length: extra length factor of incisors and canines.
        gap_mm: space between the upper central incisors (diastema), 0 for most people.
        crowding: 0 (straight arch) .. 1 (turned and staggered front teeth).
        shade: 0 bright .. 1 yellow (grows with age). recession_mm: gum line moved towards the roots.
        tongue_rgb, mouth_rgb, gums_rgb: linear RGB. jitter_seed: per-tooth variation.
    """

    scale: float
    incisor_length: float
    gap_mm: float
    crowding: float
    shade: float
    recession_mm: float
    tongue_rgb: list
    mouth_rgb: list
    gums_rgb: list
    jitter_seed: int

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> TeethParams:
        return cls(**data)

    @property
    def tooth_rgb(self) -> list:
        """Crown colour (linear RGB) for this shade."""
        a, b = np.asarray(SHADE_BRIGHT), np.asarray(SHADE_YELLOW)
        return (a + (b - a) * float(self.shade)).tolist()


def mouth_colours(params: dict) -> dict | None:
    """Linear-RGB colours of the mouth interior for an identity's parameters (``identity.json``): keys ``teeth``,
    ``gums``, ``tongue``, ``mouth_bag`` (what ``head_material_slots`` takes), or None when it has no teeth
    parameters (sampled before teeth were; the defaults apply)."""
    if params.get("teeth") is None:
        return None
    t = TeethParams.from_json(params["teeth"])
    return {"teeth": t.tooth_rgb, "gums": t.gums_rgb, "tongue": t.tongue_rgb, "mouth_bag": t.mouth_rgb}


def sample_teeth(rng: np.random.Generator, age: float) -> TeethParams:
    """Draw one identity's teeth; ``age`` in years shifts the shade and the gum line."""
    check_generator(rng)
    old = float(np.clip((age - 20.0) / 55.0, 0.0, 1.0))
    gap = float(rng.uniform(0.6, 2.2)) if rng.random() < 0.12 else 0.0
    crowding = float(rng.uniform(0.15, 1.0)) if rng.random() < 0.45 else 0.0
    tongue = np.array([0.62, 0.24, 0.25]) * rng.uniform(0.8, 1.15) + rng.normal(0, 0.02, 3)
    mouth = np.array([0.30, 0.07, 0.07]) * rng.uniform(0.7, 1.2)
    gums = np.array([0.68, 0.26, 0.27]) * rng.uniform(0.8, 1.15) + rng.normal(0, 0.02, 3)
    return TeethParams(
        scale=float(rng.uniform(0.93, 1.07)), incisor_length=float(rng.uniform(0.92, 1.1)), gap_mm=gap,
        crowding=crowding, shade=float(np.clip(0.15 + 0.6 * old + rng.normal(0, 0.15), 0, 1)),
        recession_mm=float(np.clip(1.2 * old * rng.uniform(0.3, 1.0), 0, 1.5)),
        tongue_rgb=np.clip(tongue, 0.05, 0.9).round(4).tolist(), mouth_rgb=np.clip(mouth, 0.02, 0.6).round(4).tolist(),
        gums_rgb=np.clip(gums, 0.05, 0.9).round(4).tolist(), jitter_seed=int(rng.integers(0, 2**31 - 1)),
    )  # fmt: skip


def _rot_z(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


COMMISSURE_MARGIN = 0.002
"""How far (m) the inner lip and the mouth bag stay medial of the closed lips' corner (:func:`commissure_offsets`)."""
COMMISSURE_DEPTH = 0.008
"""Depth (m) behind the lips' corner over which that holds (full over the first half, fading to none): deeper in,
the cheeks are wider than the mouth and the bag may be too."""


def commissure_offsets(model, rest: np.ndarray) -> np.ndarray:
    """Rest-pose offsets ``[V, 3]`` (m) that keep the inner lip and the mouth bag inside the mouth's corners.

    An identity's shape can carry the inner lip rings (``bag_rim``, ``inner1``, ``inner2``) and the bag's first
    rings out past the corner of the closed lips (seed 0 identity 0: the rim 24.4 mm out against the lips' corner
    at 22.5 mm), and renders then show a pink-red tip of mouth interior beside each corner. Each such vertex moves
    medially to :data:`COMMISSURE_MARGIN` inside its side's corner (the ``contact`` ring's extreme), fully within
    half of :data:`COMMISSURE_DEPTH` behind the corner and fading out at it (the template's inner ring, which
    meets the corner, moves up to 1.4 mm; zero for a model without a mouth patch). ``rest``: the identity's neutral vertices ``[V, 3]``."""
    rest = np.asarray(rest, dtype=np.float64)
    out = np.zeros_like(rest)
    if not hasattr(model, "ring_roles") or "mouth_bag" not in getattr(model, "part_names", ()):
        return out
    roles = model.ring_roles("mouth")
    if "contact" not in roles:
        return out
    inner = np.unique(np.concatenate([model.ring("mouth", r) for r in ("bag_rim", "inner2", "inner1") if r in roles]
                                     + [model.part_vertices("mouth_bag")]))
    corners = rest[model.ring("mouth", "contact")]
    p = rest[inner]
    for side in (1.0, -1.0):
        corner = corners[np.argmax(side * corners[:, 0])]
        behind = p[:, 1] - corner[1]  # the head looks along -Y: larger y is further into the mouth
        weight = np.clip((COMMISSURE_DEPTH - behind) / (0.5 * COMMISSURE_DEPTH), 0.0, 1.0)
        excess = np.maximum(side * p[:, 0] - (side * corner[0] - COMMISSURE_MARGIN), 0.0) * (side * p[:, 0] > 0)
        out[inner, 0] -= side * excess * weight
    return out


def mouth_rest_offsets(model, params: dict) -> np.ndarray | None:
    """Rest-pose offsets ``[V, 3]`` (m) of the mouth of the identity in ``params`` (``identity.json``): its teeth and
    gums (:func:`teeth_offsets`) plus the inner lip kept inside the corners (:func:`commissure_offsets`), on its
    neutral head. None for parameters from before teeth were sampled (rendered with the template's mouth)."""
    if params.get("teeth") is None:
        return None
    neutral = model.vertices(None if params.get("shape") is None else np.asarray(params["shape"], dtype=np.float64))
    teeth = teeth_offsets(model, neutral, TeethParams.from_json(params["teeth"]))
    return teeth + commissure_offsets(model, neutral)


def teeth_offsets(model, rest: np.ndarray, params: TeethParams) -> np.ndarray:
    """Rest-pose offsets ``[V, 3]`` (m) that give ``rest`` (the identity's neutral vertices ``[V, 3]``)
    this identity's teeth; zero off the teeth and gums. ``model`` provides ``part_names`` and
    ``part_vertices``."""
    rest = np.asarray(rest, dtype=np.float64)
    out = np.zeros_like(rest)
    rng = np.random.default_rng(params.jitter_seed)
    teeth = [n for n in model.part_names if n.startswith("tooth_")]
    if not teeth:
        return out
    centres = {n: rest[model.part_vertices(n)].mean(0) for n in teeth}
    arch = {jaw: np.mean([c for n, c in centres.items() if f"_{jaw}_" in n], axis=0) for jaw in ("upper", "lower")}
    for name in sorted(teeth):
        _, jaw, side, idx = name.split("_")
        i = int(idx)
        ids = model.part_vertices(name)
        v = rest[ids]
        upper = jaw == "upper"
        z = v[:, 2]
        neck = np.array([v[:, 0].mean(), v[:, 1].mean(), z.max() if upper else z.min()])
        d = v - neck
        d *= params.scale
        if i <= 2:  # incisors and canine: longer or shorter crowns
            d[:, 2] *= params.incisor_length
        radial = centres[name][:2] - arch[jaw][:2]
        radial = np.append(radial / max(np.linalg.norm(radial), 1e-9), 0.0)  # out of the arch (labial)
        move = np.zeros(3)
        front = i <= 2
        crowd = params.crowding * (1.0 if front else 0.3) * (1.3 if not upper else 0.8)
        if crowd > 0:
            d = d @ _rot_z(float(rng.normal(0.0, np.radians(12.0) * crowd))).T
            move += radial * float(rng.normal(0.0, 0.6e-3 * crowd))
        else:
            rng.normal(size=2)  # keep the per-tooth draws aligned whatever the crowding
        if upper and params.gap_mm > 0:
            move[0] += (0.5e-3 * params.gap_mm) * (1.0 if side == "left" else -1.0)
        out[ids] = neck + d + move - v
    for jaw, sign in (("upper", 1.0), ("lower", -1.0)):
        name = f"gums_{jaw}"
        if name in model.part_names and params.recession_mm > 0:
            out[model.part_vertices(name), 2] += sign * 1e-3 * params.recession_mm
    return out
