"""Skin colour from a two-layer spectral model (melanin epidermis over blood-filled dermis).

The model, in brief (all lengths in mm, wavelengths in nm, 400-700 nm in 10 nm steps):

* Epidermis of thickness ``d_e`` with melanin volume fraction ``c_m``, split into eumelanin
  (fraction ``beta``) and pheomelanin. Absorption follows the power laws of the skin-optics
  literature, ``mu_eu = 6.6e10 * l**-3.33`` and ``mu_pheo = 2.9e13 * l**-4.75`` (mm^-1), plus a
  bloodless baseline.
* Dermis, semi-infinite, with blood volume fraction ``c_h`` (oxygen saturation 75 %) and reduced
  scattering ``5.75 * (l / 500)**-1.42`` mm^-1. Its diffuse reflectance uses the dipole
  approximation (total diffuse reflectance of a semi-infinite slab, refractive index 1.4).
* Reflectance = r_top + (1 - r_top) * T_e**2 * R_dermis, with T_e = exp(-d_e mu_epi) and a flat
  ``r_top`` = 3 % scattered by the stratum corneum above the melanin (it keeps very dark skin from
  turning saturated orange, as measured spectra of dark skin show).

Spectra are turned into linear sRGB (D65) with an analytic fit of the CIE 1931 colour matching
functions under a 6504 K blackbody, white-balanced so a perfect white reflector gives (1, 1, 1).
Tones are placed by the Individual Typology Angle (ITA, from CIELAB), the colorimetric measure
that dermatology relates to Fitzpatrick types; see ``defaults.FITZPATRICK_ITA``.
"""

from __future__ import annotations

import numpy as np

WAVELENGTHS = np.arange(400.0, 701.0, 10.0)  # nm

# Molar extinction of oxy- and deoxy-haemoglobin, cm^-1 / M (rounded values of the public tables).
_HB_L = np.array([400, 410, 420, 430, 440, 450, 460, 470, 480, 490, 500, 510, 520, 530, 540, 550, 560, 570, 580,
                  590, 600, 610, 620, 630, 640, 650, 660, 670, 680, 690, 700], float)
_HBO2 = np.array([266232, 466816, 480360, 246072, 102580, 62816, 44480, 33209, 26629, 23684, 20932, 20035, 24202,
                  39957, 53236, 43016, 32613, 44496, 50104, 14400, 3200, 1506, 942, 610, 442, 368, 320, 294, 277, 276,
                  290], float)
_HB = np.array([223296, 303956, 407560, 528600, 413280, 103292, 23389, 16156, 14550, 16684, 20862, 25773, 31590,
                39036, 46592, 53412, 53788, 45072, 37020, 28324, 14677, 9443, 6509, 5148, 4345, 3750, 3226, 2795, 2407,
                2100, 1794], float)
_BLOOD_MOLAR = 150.0 / 64500.0  # mol/L of haemoglobin in whole blood
_SAT = 0.75
_R_TOP = 0.03
_N_REL = 1.4


def _absorption_tables(lam: np.ndarray):
    """Per-wavelength absorption (mm^-1): eumelanin, pheomelanin, baseline tissue, whole blood."""
    mu_eu = 6.6e10 * lam ** -3.33
    mu_ph = 2.9e13 * lam ** -4.75
    mu_base = 0.0244 + 8.53 * np.exp(-(lam - 154.0) / 66.2)
    eps = _SAT * np.interp(lam, _HB_L, _HBO2) + (1 - _SAT) * np.interp(lam, _HB_L, _HB)
    mu_blood = np.log(10.0) * eps * _BLOOD_MOLAR / 10.0
    mus_derm = 5.75 * (lam / 500.0) ** -1.42
    return mu_eu, mu_ph, mu_base, mu_blood, mus_derm


_MU_EU, _MU_PH, _MU_BASE, _MU_BLOOD, _MUS_DERM = _absorption_tables(WAVELENGTHS)


def _lobe(lam, mu, s1, s2):
    s = np.where(lam < mu, s1, s2)
    return np.exp(-0.5 * ((lam - mu) / s) ** 2)


def _cmf(lam: np.ndarray) -> np.ndarray:
    """CIE 1931 2-degree colour matching functions (analytic multi-lobe fit), (L, 3)."""
    x = 1.056 * _lobe(lam, 599.8, 37.9, 31.0) + 0.362 * _lobe(lam, 442.0, 16.0, 26.7) - 0.065 * _lobe(
        lam, 501.1, 20.4, 26.2)
    y = 0.821 * _lobe(lam, 568.8, 46.9, 40.5) + 0.286 * _lobe(lam, 530.9, 16.3, 31.1)
    z = 1.217 * _lobe(lam, 437.0, 11.8, 36.0) + 0.681 * _lobe(lam, 459.0, 26.0, 13.8)
    return np.stack([x, y, z], axis=1)


_XYZ_TO_RGB = np.array([[3.2404542, -1.5371385, -0.4985314],
                        [-0.9692660, 1.8760108, 0.0415560],
                        [0.0556434, -0.2040259, 1.0572252]])
_D65_WHITE = np.array([0.95047, 1.0, 1.08883])


def _spectral_to_rgb_matrix(lam: np.ndarray) -> np.ndarray:
    """(L, 3) matrix mapping a reflectance spectrum to white-balanced linear sRGB."""
    h, c, k = 6.62607e-34, 2.99792e8, 1.380649e-23
    lm = lam * 1e-9
    illum = 1.0 / (lm ** 5 * (np.exp(h * c / (lm * k * 6504.0)) - 1.0))
    w = _cmf(lam) * illum[:, None]
    w /= w[:, 1].sum()
    m = w @ _XYZ_TO_RGB.T
    return m / m.sum(axis=0, keepdims=True)  # white reflector -> (1, 1, 1)


_SPEC_TO_RGB = _spectral_to_rgb_matrix(WAVELENGTHS)


def _dipole_rd(alpha_p: np.ndarray) -> np.ndarray:
    """Total diffuse reflectance of a semi-infinite medium with reduced albedo ``alpha_p``."""
    fdr = -1.440 / _N_REL ** 2 + 0.710 / _N_REL + 0.668 + 0.0636 * _N_REL
    a = (1 + fdr) / (1 - fdr)
    s = np.sqrt(3.0 * (1.0 - alpha_p))
    return 0.5 * alpha_p * (1.0 + np.exp(-4.0 / 3.0 * a * s)) * np.exp(-s)


def skin_reflectance(melanin, eumelanin_ratio, blood, epidermis_mm=0.08) -> np.ndarray:
    """Diffuse reflectance spectra (..., L) for broadcastable parameter arrays.

    Args:
        melanin: epidermal melanin volume fraction c_m in [0, 1].
        eumelanin_ratio: eumelanin share beta in [0, 1] (rest is pheomelanin).
        blood: dermal blood volume fraction c_h in [0, 1].
        epidermis_mm: epidermis thickness in mm.
    """
    cm = np.asarray(melanin, float)[..., None]
    beta = np.asarray(eumelanin_ratio, float)[..., None]
    ch = np.asarray(blood, float)[..., None]
    de = np.asarray(epidermis_mm, float)[..., None]
    mu_epi = cm * (beta * _MU_EU + (1 - beta) * _MU_PH) + (1 - cm) * _MU_BASE
    mu_derm = ch * _MU_BLOOD + (1 - ch) * _MU_BASE
    alpha_p = _MUS_DERM / (_MUS_DERM + mu_derm)
    return _R_TOP + (1.0 - _R_TOP) * np.exp(-2.0 * de * mu_epi) * _dipole_rd(alpha_p)


def skin_rgb(melanin, eumelanin_ratio, blood, epidermis_mm=0.08) -> np.ndarray:
    """Linear-sRGB diffuse albedo (..., 3) of skin with the given parameters (see ``skin_reflectance``)."""
    return skin_reflectance(melanin, eumelanin_ratio, blood, epidermis_mm) @ _SPEC_TO_RGB


def linear_to_lab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of linear-sRGB colours (..., 3)."""
    m = np.linalg.inv(_XYZ_TO_RGB)
    xyz = (np.asarray(rgb, float) @ m.T) / _D65_WHITE
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(np.maximum(xyz, 1e-12)), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


def ita_degrees(rgb: np.ndarray) -> np.ndarray:
    """Individual Typology Angle in degrees, ``atan2(L* - 50, b*)``, of linear-sRGB colours (..., 3)."""
    lab = linear_to_lab(rgb)
    return np.degrees(np.arctan2(lab[..., 0] - 50.0, lab[..., 2]))


def melanin_for_ita(target_ita: float, eumelanin_ratio: float, blood: float, epidermis_mm: float = 0.08) -> float:
    """Melanin fraction whose skin colour has ITA ``target_ita`` (degrees), by table inversion.

    ITA falls monotonically as melanin rises; the result is clamped to the table's [0.002, 0.6].
    """
    grid = np.geomspace(0.002, 0.6, 160)
    ita = ita_degrees(skin_rgb(grid, eumelanin_ratio, blood, epidermis_mm))
    return float(np.exp(np.interp(-target_ita, -ita, np.log(grid))))
