"""Hair and iris pigmentation: sampling and preview colours.

Hair colour is expressed in the parameters of Blender's Principled Hair BSDF (Chiang model):
``melanin`` in [0, 1] (0 white, 1 black) and ``melanin_redness`` in [0, 1] (pheomelanin share).
The preview colour follows Cycles' conversion to an absorption coefficient,

    q = -ln(1 - melanin);  sigma_a = q (1 - r) * (0.506, 0.841, 1.653) + q r * (0.343, 0.733, 1.924)

and Chiang et al.'s relation between absorption and apparent colour, c = exp(-k sqrt(sigma_a)),
with ``k = defaults.HAIR_PREVIEW_GAIN``. Preview colours are linear RGB.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np

from . import defaults as D
from .errors import AssetInputError, check_choice

_EU = np.array([0.506, 0.841, 1.653])
_PHEO = np.array([0.343, 0.733, 1.924])


def hair_absorption(melanin, redness) -> np.ndarray:
    """Absorption coefficient sigma_a (..., 3) per unit fibre width, as Cycles' Principled Hair derives it."""
    m = np.clip(np.asarray(melanin, float), 0.0, 0.9999)
    r = np.clip(np.asarray(redness, float), 0.0, 1.0)
    q = -np.log1p(-m)[..., None]
    return q * (1 - r)[..., None] * _EU + q * r[..., None] * _PHEO


def hair_preview_rgb(melanin, redness) -> np.ndarray:
    """Approximate linear-RGB colour (..., 3) of hair with the given melanin parameters."""
    return np.exp(-D.HAIR_PREVIEW_GAIN * np.sqrt(hair_absorption(melanin, redness)))


@dataclass
class HairColour:
    """Head-hair pigmentation (JSON-serialisable).

    Attributes:
        name: colour family (a key of ``defaults.HAIR_COLOURS``).
        melanin, melanin_redness: Principled Hair BSDF parameters of pigmented strands, in [0, 1].
        grey_fraction: share of unpigmented (grey/white) strands, from age, in [0, 1].
        grey_melanin: melanin of the unpigmented strands.
        random_color: per-strand melanin jitter (Principled Hair 'Random Color').
        preview_rgb: linear RGB of the mixed head of hair (for previews and painted texture hair).
        dyed: the colour was drawn as a dye (any family, whatever the skin type); brows, lashes and beard then keep
            a natural colour of their own (identities from before this field: False).
    """

    name: str
    melanin: float
    melanin_redness: float
    grey_fraction: float
    grey_melanin: float
    random_color: float
    preview_rgb: list
    dyed: bool = False

    def to_json(self) -> dict:
        return asdict(self)

    def greying_as(self, other: HairColour) -> HairColour:
        """This colour with ``other``'s grey share and grey melanin (and the preview colour they mix to): the same
        person's brows greying as their head hair."""
        return replace(self, grey_fraction=other.grey_fraction, grey_melanin=other.grey_melanin,
                       preview_rgb=mixed_preview_rgb(self.melanin, self.melanin_redness, other.grey_fraction,
                                                     other.grey_melanin))

    def strand_melanin(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Per-strand melanin (n,) float32: pigmented strands jittered, a ``grey_fraction`` share grey."""
        base = np.clip(self.melanin + self.random_color * rng.normal(0.0, 0.5, n) * (1 - self.melanin + 0.05), 0, 1)
        grey = rng.random(n) < self.grey_fraction
        return np.where(grey, self.grey_melanin, base).astype(np.float32)


def sample_hair_colour(rng: np.random.Generator, fitzpatrick: int, age: float, name: str | None = None,
                       allow_dye: bool = True) -> HairColour:
    """Sample natural (occasionally dyed, unless ``allow_dye`` is False) hair colour for a skin type and an age in
    years; a forced ``name`` counts as natural. The draws are the same either way."""
    if fitzpatrick not in D.HAIR_COLOUR_WEIGHTS:
        raise AssetInputError(f"fitzpatrick: expected 1..6, got {fitzpatrick!r}")
    dyed = bool(rng.random() < D.DYED_HAIR_PROBABILITY) and allow_dye and name is None
    if name is None:
        table = {k: 1.0 for k in D.HAIR_COLOURS} if dyed else D.HAIR_COLOUR_WEIGHTS[fitzpatrick]
        name = _pick(rng, table)
    check_choice("hair colour", name, D.HAIR_COLOURS)
    spec = D.HAIR_COLOURS[name]
    mel = float(rng.uniform(*spec["melanin"]))
    red = float(rng.uniform(*spec["redness"]))
    onset = rng.normal(*D.GREYING_ONSET_AGE)
    span = rng.uniform(*D.GREYING_SPAN_YEARS)
    grey = float(np.clip((age - onset) / span, 0.0, 1.0) ** 1.5)
    grey_mel = float(rng.uniform(*D.GREY_MELANIN))
    jitter = float(rng.uniform(0.02, 0.12))
    return HairColour(name, mel, red, grey, grey_mel, jitter, mixed_preview_rgb(mel, red, grey, grey_mel), dyed)


def mixed_preview_rgb(melanin: float, redness: float, grey_fraction: float, grey_melanin: float) -> list:
    """Linear RGB ``[3]`` of a head of hair with a ``grey_fraction`` share of unpigmented strands."""
    mix = (1 - grey_fraction) * hair_preview_rgb(melanin, redness) + grey_fraction * hair_preview_rgb(grey_melanin, 0.1)
    return [float(x) for x in mix]


@dataclass
class IrisColour:
    """Iris appearance (JSON-serialisable): colour family, linear-RGB colours, pupil size and pattern seed."""

    name: str
    inner: list
    outer: list
    ring: list
    pupil_angle: float
    pattern_seed: int

    def to_json(self) -> dict:
        return asdict(self)


def sample_iris(rng: np.random.Generator, fitzpatrick: int, name: str | None = None) -> IrisColour:
    """Sample an iris colour family for a skin type, with small per-identity colour jitter."""
    if fitzpatrick not in D.IRIS_WEIGHTS:
        raise AssetInputError(f"fitzpatrick: expected 1..6, got {fitzpatrick!r}")
    if name is None:
        name = _pick(rng, D.IRIS_WEIGHTS[fitzpatrick])
    check_choice("iris colour", name, D.IRIS_COLOURS)
    base = D.IRIS_COLOURS[name]
    gain = rng.uniform(0.8, 1.25)
    tint = rng.uniform(0.9, 1.1, 3)
    cols = {k: [float(x) for x in np.clip(np.array(base[k]) * gain * tint, 0, 1)] for k in ("inner", "outer", "ring")}
    return IrisColour(name, cols["inner"], cols["outer"], cols["ring"], float(rng.uniform(*D.PUPIL_ANGLE)),
                      int(rng.integers(0, 2**31 - 1)))


def _pick(rng: np.random.Generator, table: dict) -> str:
    names = sorted(table)
    w = np.array([table[k] for k in names], float)
    return names[int(rng.choice(len(names), p=w / w.sum()))]
