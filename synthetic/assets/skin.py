"""Per-identity skin parameters: Fitzpatrick type and tone, pigmentation marks, surface finish.

``sample_skin`` picks a Fitzpatrick type, then a tone inside it as an ITA angle (perceptual,
CIELAB), and inverts the spectral model (``skin_optics``) for the melanin fraction that gives that
tone with this identity's eumelanin share, blood and epidermis thickness.
``SkinParams.lut`` tabulates the albedo over multipliers of melanin and blood, which the texture
generator uses per texel (freckles, redness, lips are changes of those two chromophores).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from . import defaults as D
from .errors import AssetInputError
from .pigments import _pick
from .skin_optics import ita_degrees, melanin_for_ita, skin_rgb


@dataclass
class SkinParams:
    """Skin of one identity (JSON-serialisable; every float is a plain Python float).

    Attributes:
        fitzpatrick: type 1..6. ita: target Individual Typology Angle (degrees).
        melanin, eumelanin_ratio, blood: epidermal melanin fraction, eumelanin share, dermal blood fraction.
        epidermis_mm: epidermis thickness (mm).
        base_rgb: resulting linear-sRGB albedo of plain skin.
        redness: cheek/nose redness strength. freckles: freckle density (0 = none).
        moles, blemishes: densities of moles and red blemishes. pores: pore stipple strength.
        lip_melanin, lip_blood: lip chromophores as multiples of the skin's.
        periorbital: under-eye darkening. roughness, specular: base Principled values. oiliness: T-zone shine.
        stubble_shadow: darkening of the beard area in [0, 1] (set from the beard).
        noise_seed: 32-bit seed of the texture's noise patterns.
    """

    fitzpatrick: int
    ita: float
    melanin: float
    eumelanin_ratio: float
    blood: float
    epidermis_mm: float
    base_rgb: list
    redness: float
    freckles: float
    moles: float
    blemishes: float
    pores: float
    lip_melanin: float
    lip_blood: float
    periorbital: float
    roughness: float
    specular: float
    oiliness: float
    stubble_shadow: float
    noise_seed: int

    def subsurface(self) -> tuple[list, float, float]:
        """Render subsurface settings from the chromophores: (radius RGB as fractions of the scale,
        scale in m, weight). Melanin absorbs in the epidermis before light scatters back, so darker
        skin scatters shorter and less (scale 4 mm for type I to about 2.8 mm for type VI, weight 1.0
        to 0.75) and less blue; more blood keeps the red tail long."""
        mel = float(np.clip(self.melanin / 0.35, 0.0, 1.0))
        blood = float(np.clip(self.blood / 0.03, 0.0, 1.5))
        radius = [1.0, 0.35 - 0.05 * mel, 0.2 - 0.07 * mel]
        scale = 0.004 * (1.0 - 0.3 * mel) * (0.95 + 0.05 * blood)
        return radius, scale, 1.0 - 0.25 * mel

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> SkinParams:
        try:
            return cls(**data)
        except TypeError as exc:
            raise AssetInputError(f"skin parameters: {exc}") from None

    def lut(self, size: int = D.SKIN_LUT_SIZE) -> np.ndarray:
        """Albedo table (size, size, 3) float32 over log-spaced melanin x blood multipliers (``SKIN_LUT_RANGE``)."""
        lm = np.geomspace(*D.SKIN_LUT_RANGE["melanin"], size)
        lb = np.geomspace(*D.SKIN_LUT_RANGE["blood"], size)
        mel = np.clip(self.melanin * lm, 0.0, 0.95)[:, None]
        bld = np.clip(self.blood * lb, 0.0, 0.95)[None, :]
        return skin_rgb(mel, self.eumelanin_ratio, bld, self.epidermis_mm).astype(np.float32)


def sample_skin(rng: np.random.Generator, fitzpatrick: int | None = None) -> SkinParams:
    """Sample skin parameters; ``fitzpatrick`` forces a type (1..6) instead of ``FITZPATRICK_WEIGHTS``."""
    if fitzpatrick is None:
        fitzpatrick = int(_pick(rng, {str(k): v for k, v in D.FITZPATRICK_WEIGHTS.items()}))
    if fitzpatrick not in D.FITZPATRICK_ITA:
        raise AssetInputError(f"fitzpatrick: expected an integer 1..6, got {fitzpatrick!r}")
    ita = float(rng.uniform(*D.FITZPATRICK_ITA[fitzpatrick]))
    beta = float(rng.uniform(*D.EUMELANIN_RATIO[fitzpatrick]))
    blood = float(rng.uniform(*D.BLOOD_FRACTION))
    epi = float(rng.uniform(*D.EPIDERMIS_MM))
    mel = melanin_for_ita(ita, beta, blood, epi)
    rgb = skin_rgb(mel, beta, blood, epi)
    darkness = (fitzpatrick - 1) / 5.0
    has_freckles = rng.random() < D.FRECKLE_PROBABILITY[fitzpatrick]
    return SkinParams(
        fitzpatrick=fitzpatrick, ita=float(ita_degrees(rgb)), melanin=mel, eumelanin_ratio=beta, blood=blood,
        epidermis_mm=epi, base_rgb=[float(x) for x in rgb],
        redness=float(rng.uniform(*D.REDNESS) * (1.0 - 0.6 * darkness)),
        freckles=float(rng.uniform(*D.FRECKLE_DENSITY)) if has_freckles else 0.0,
        moles=float(rng.uniform(*D.MOLE_DENSITY)), blemishes=float(rng.uniform(*D.BLEMISH_DENSITY)),
        pores=float(rng.uniform(*D.PORE_STRENGTH)), lip_melanin=float(rng.uniform(*D.LIP_MELANIN[fitzpatrick])),
        lip_blood=float(rng.uniform(*D.LIP_BLOOD)), periorbital=float(rng.uniform(*D.PERIORBITAL)),
        roughness=float(rng.uniform(*D.SKIN_ROUGHNESS)), specular=float(rng.uniform(*D.SKIN_SPECULAR)),
        oiliness=float(rng.uniform(*D.OILINESS)), stubble_shadow=0.0, noise_seed=int(rng.integers(0, 2**32 - 1)))
