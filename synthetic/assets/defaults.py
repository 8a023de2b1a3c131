"""Every default of ``synthetic.assets`` in one place: distributions, sizes, counts, style tables.

Units: metres, radians, seconds, unless a name says otherwise (``_mm``, ``_deg``, ``_hz``).
Probability tables are plain dicts ``name -> weight`` (normalised where used). Changing a value
here changes the generated data set, so it is part of the generator settings a dataset records
(``IdentitySampler.settings()``).
"""

from __future__ import annotations

FORMAT_VERSION = 1

# --------------------------------------------------------------------------- skin
FITZPATRICK_WEIGHTS = {1: 1.0, 2: 1.0, 3: 1.0, 4: 1.0, 5: 1.0, 6: 1.0}
"""Sampling weight of each Fitzpatrick type (uniform: the dataset should cover all tones evenly)."""

FITZPATRICK_ITA = {1: (50.0, 57.0), 2: (40.0, 50.0), 3: (28.0, 40.0), 4: (10.0, 28.0), 5: (-25.0, 10.0),
                   6: (-55.0, -25.0)}
"""Individual Typology Angle range (degrees) sampled uniformly for each type. The usual ITA classes
(very light > 55, light 41-55, intermediate 28-41, tan 10-28, brown -30-10, dark < -30) shifted to
the model's lightest reachable tone (about 56 degrees)."""

EUMELANIN_RATIO = {1: (0.50, 0.62), 2: (0.58, 0.70), 3: (0.66, 0.78), 4: (0.74, 0.86), 5: (0.84, 0.94),
                   6: (0.90, 0.97)}
"""Eumelanin share of epidermal melanin per type (rest pheomelanin): lighter skin is relatively
richer in pheomelanin."""

BLOOD_FRACTION = (0.008, 0.02)
"""Dermal blood volume fraction, uniform (a 'packaged' effective value, lower than anatomical)."""

EPIDERMIS_MM = (0.06, 0.10)
"""Epidermis thickness in mm, uniform."""

SKIN_LUT_SIZE = 24
"""Resolution per axis of the (melanin, blood) multiplier lookup table used per texel."""

SKIN_LUT_RANGE = {"melanin": (0.05, 6.0), "blood": (0.15, 12.0)}
"""Range of the per-texel multipliers of the identity's melanin and blood fractions."""

REDNESS = (0.0, 1.0)
"""Cheek and nose redness strength, uniform, scaled down for dark skin (less visible)."""

FRECKLE_PROBABILITY = {1: 0.6, 2: 0.45, 3: 0.25, 4: 0.1, 5: 0.05, 6: 0.03}
"""Chance that an identity has freckles, by Fitzpatrick type."""

FRECKLE_DENSITY = (0.15, 0.75)
"""Freckle density (share of candidate cells holding a freckle) when present."""

MOLE_DENSITY = (0.0, 0.08)
"""Share of 16 mm cells holding a mole."""

BLEMISH_DENSITY = (0.0, 0.12)
"""Share of 7 mm cells holding a small red blemish."""

PORE_STRENGTH = (0.4, 1.0)
"""Strength of the pore stipple in albedo, roughness and specular."""

LIP_MELANIN = {1: (0.35, 0.9), 2: (0.35, 0.9), 3: (0.45, 0.95), 4: (0.6, 1.05), 5: (0.8, 1.2), 6: (0.85, 1.25)}
"""Lip melanin as a multiple of the skin's, by Fitzpatrick type. Fair lips carry less melanin than the skin and read
pink; dark skin's lips are about as pigmented as the face, often more at the vermilion's edge (one range for all
left type-6 lips up to 1.4 times as light as the cheeks in albedo: pale salmon lips, as if painted, on dark faces)."""

LIP_BLOOD = (4.5, 8.0)
"""Lip blood as a multiple of the skin's. Chosen so a fair skin's lips land near measured lip colour
(CIELAB L* ~53, a* ~19 against the cheek's ~65 / ~10); 2.5-5 left them barely redder than the cheek (a* +4)."""

PERIORBITAL = (0.0, 0.35)
"""Under-eye darkening strength (melanin and blood, log-multiplier)."""

SKIN_ROUGHNESS = (0.40, 0.50)
"""Base roughness (Blender Principled BSDF) of skin; the T-zone's oil lowers it by up to 0.10 (texture.py). Measured
skin has Torrance-Sparrow m ~0.3-0.45 (GGX alpha = roughness^2: roughness 0.55-0.67), but that lobe includes the
pores and fine lines a shader draws as normals; chosen by looking at close-ups: 0.42-0.58 read as matte clay,
0.34-0.46 with -0.14 of oil as glossy plastic on dark skins; with the shader's pores (materials.PORE_SPACING_M)."""

SKIN_SPECULAR = (0.35, 0.55)
"""Base specular level (Principled 'Specular IOR Level', 0.5 = F0 of 4 %)."""

OILINESS = (0.0, 1.0)
"""T-zone shine: lowers roughness, raises specular on forehead and nose."""

TEXTURE_SIZE = 1024
"""Default texture edge in texels (any size works)."""

STUBBLE_SHADOW_PROBABILITY = {"male": 0.35, "female": 0.0}
"""Chance of a light 5 o'clock shadow in the texture when the beard style is 'none'."""

# --------------------------------------------------------------------------- eyes
IRIS_COLOURS = {
    "blue": {"inner": (0.18, 0.30, 0.42), "outer": (0.10, 0.19, 0.32), "ring": (0.03, 0.05, 0.08)},
    "grey": {"inner": (0.26, 0.30, 0.32), "outer": (0.16, 0.19, 0.21), "ring": (0.04, 0.05, 0.05)},
    "green": {"inner": (0.22, 0.20, 0.06), "outer": (0.10, 0.18, 0.10), "ring": (0.03, 0.05, 0.03)},
    "hazel": {"inner": (0.24, 0.12, 0.03), "outer": (0.12, 0.13, 0.06), "ring": (0.04, 0.03, 0.01)},
    "brown": {"inner": (0.12, 0.05, 0.015), "outer": (0.07, 0.035, 0.012), "ring": (0.02, 0.01, 0.004)},
    "dark": {"inner": (0.035, 0.016, 0.007), "outer": (0.025, 0.012, 0.006), "ring": (0.008, 0.004, 0.002)},
}
"""Iris base colours in linear RGB: inner (collarette), outer (periphery) and limbal ring."""

IRIS_WEIGHTS = {
    1: {"blue": 0.40, "grey": 0.10, "green": 0.20, "hazel": 0.15, "brown": 0.15, "dark": 0.0},
    2: {"blue": 0.30, "grey": 0.08, "green": 0.17, "hazel": 0.20, "brown": 0.25, "dark": 0.0},
    3: {"blue": 0.12, "grey": 0.04, "green": 0.12, "hazel": 0.22, "brown": 0.45, "dark": 0.05},
    4: {"blue": 0.03, "grey": 0.01, "green": 0.04, "hazel": 0.17, "brown": 0.60, "dark": 0.15},
    5: {"blue": 0.01, "grey": 0.0, "green": 0.01, "hazel": 0.08, "brown": 0.50, "dark": 0.40},
    6: {"blue": 0.0, "grey": 0.0, "green": 0.0, "hazel": 0.03, "brown": 0.37, "dark": 0.60},
}
"""Iris colour probabilities by Fitzpatrick type (rough world-population frequencies)."""

IRIS_ANGLE = 0.50
"""Half-angle (rad) of the iris seen from the eyeball centre (about 5.8 mm radius on a 12 mm eye)."""

PUPIL_ANGLE = (0.16, 0.24)
"""Half-angle (rad) of the pupil, uniform."""

# --------------------------------------------------------------------------- hair colour
HAIR_COLOURS = {
    "black": {"melanin": (0.90, 0.99), "redness": (0.05, 0.25)},
    "dark_brown": {"melanin": (0.72, 0.90), "redness": (0.10, 0.35)},
    "brown": {"melanin": (0.55, 0.72), "redness": (0.15, 0.45)},
    "light_brown": {"melanin": (0.42, 0.55), "redness": (0.15, 0.45)},
    "dark_blonde": {"melanin": (0.30, 0.42), "redness": (0.15, 0.45)},
    "blonde": {"melanin": (0.15, 0.30), "redness": (0.10, 0.40)},
    "platinum": {"melanin": (0.05, 0.15), "redness": (0.0, 0.2)},
    "auburn": {"melanin": (0.45, 0.70), "redness": (0.65, 0.90)},
    "red": {"melanin": (0.25, 0.50), "redness": (0.85, 1.00)},
}
"""Blender Principled Hair BSDF (Chiang) 'Melanin' and 'Melanin Redness' ranges per colour name."""

HAIR_COLOUR_WEIGHTS = {
    1: {"black": 0.03, "dark_brown": 0.20, "brown": 0.20, "light_brown": 0.15, "dark_blonde": 0.14, "blonde": 0.12,
        "platinum": 0.04, "auburn": 0.06, "red": 0.06},
    2: {"black": 0.06, "dark_brown": 0.25, "brown": 0.22, "light_brown": 0.14, "dark_blonde": 0.12, "blonde": 0.10,
        "platinum": 0.02, "auburn": 0.05, "red": 0.04},
    3: {"black": 0.25, "dark_brown": 0.35, "brown": 0.20, "light_brown": 0.08, "dark_blonde": 0.05, "blonde": 0.03,
        "platinum": 0.0, "auburn": 0.03, "red": 0.01},
    4: {"black": 0.55, "dark_brown": 0.35, "brown": 0.07, "light_brown": 0.02, "dark_blonde": 0.01, "blonde": 0.0,
        "platinum": 0.0, "auburn": 0.0, "red": 0.0},
    5: {"black": 0.75, "dark_brown": 0.22, "brown": 0.03, "light_brown": 0.0, "dark_blonde": 0.0, "blonde": 0.0,
        "platinum": 0.0, "auburn": 0.0, "red": 0.0},
    6: {"black": 0.85, "dark_brown": 0.15, "brown": 0.0, "light_brown": 0.0, "dark_blonde": 0.0, "blonde": 0.0,
        "platinum": 0.0, "auburn": 0.0, "red": 0.0},
}
"""Natural hair colour probabilities by Fitzpatrick type."""

DYED_HAIR_PROBABILITY = 0.06
"""Chance that the head hair colour is drawn uniformly from all names (dyed), ignoring the type."""

GREYING_ONSET_AGE = (34.0, 7.0)
"""Age (years) at which greying starts: normal(mean, std)."""

GREYING_SPAN_YEARS = (18.0, 40.0)
"""Years from onset to fully grey, uniform."""

AGE_RANGE = (18.0, 80.0)
"""Identity age in years, uniform."""

GREY_MELANIN = (0.0, 0.08)
"""Melanin of a grey (unpigmented) strand."""

HAIR_PREVIEW_GAIN = 4.0
"""Preview colour exp(-gain * sqrt(sigma_a)); Chiang et al.'s inverse colour mapping uses ~5.9,
a lower value accounts for the specular sheen a viewer sees (preview only, never rendered)."""

# --------------------------------------------------------------------------- head hair
HAIR_STRANDS = {"preview": 5_000, "render": 60_000}
"""Strand counts of head hair at density 1 for the two quality presets."""

GUIDES_PER_STRAND = 1.0 / 40.0
"""Guides per child strand (clamped to GUIDE_COUNT_RANGE)."""

GUIDE_COUNT_RANGE = (64, 1500)

HAIR_ROOT_RADIUS = 4.0e-5
"""Root radius (m) of a head hair fibre (real fibres: 25-60 um; renders with fewer strands use more)."""

HAIR_MARGIN = 3.0e-4
"""Minimum distance (m) of every strand point from the skin and body after growing."""

FRONT_FOLLOW = 0.08
"""Extra arc length (m) over which gravity ramps in for guides rooted on the front of the scalp in styles
combed off the face ('part', 'back' flows): they follow the comb up and over the top of the head before
they fall, instead of sliding down the forehead in front of the face."""

FACE_SIGHT_YAW_DEG = 75.0
FACE_SIGHT_PITCH_DEG = (-20.0, 30.0)
"""Camera directions (yaw +-, pitch range; degrees) from which head hair must not hide the face core
(``collision.FaceSightZone``): the rig's front block (yaw +-70, pitch -15..25) plus a margin for head motion."""

SEXES = {"female": 0.5, "male": 0.5}
"""Sampling weights of the presentation used to pick hair and beard styles."""

_COMMON = {"length_jitter": 0.15, "clump": 0.3, "clump_shape": 1.0, "curl_radius": (0.0, 0.0),
           "curl_period": (0.02, 0.02), "wave_amplitude": (0.0, 0.0), "wave_period": (0.06, 0.06),
           "frizz": (0.0, 0.002), "recession": (0.0, 0.0), "crown_thinning": (0.0, 0.0), "part_offset_mm": (0.0, 0.0),
           "lift": 0.3, "lift_length": 0.02, "stiffness": 0.65, "gravity": 0.5, "follow": 0.05, "layer": (0.002, 0.012),
           "layer_rise": 0.02, "n_points": 24, "density": 1.0, "scalp_shadow": (0.0, 0.0), "gather": None,
           "curl_start": 0.015}


def _style(**kw) -> dict:
    out = dict(_COMMON)
    out.update(kw)
    return out


HAIR_STYLES = {
    "bald": _style(flow="radial", length=(0.001, 0.001), density=0.0, scalp_shadow=(0.0, 0.2), n_points=4,
                   weights={"female": 0.01, "male": 0.07}),
    "buzz": _style(flow="back", length=(0.003, 0.008), lift=0.85, lift_length=0.01, stiffness=0.9, gravity=0.0,
                   layer=(0.0, 0.0), clump=0.0, length_jitter=0.3, frizz=(0.0, 0.0004), n_points=6,
                   scalp_shadow=(0.4, 0.8), weights={"female": 0.03, "male": 0.14}),
    "receding": _style(flow="back", length=(0.01, 0.04), lift=0.6, lift_length=0.01, stiffness=0.75, gravity=0.1,
                       layer=(0.0, 0.004), recession=(0.5, 1.0), crown_thinning=(0.3, 0.9), clump=0.2, n_points=10,
                       scalp_shadow=(0.2, 0.5), weights={"female": 0.0, "male": 0.12}),
    "short": _style(flow=("radial", "back", "part"), length=(0.03, 0.07), part_offset_mm=(15.0, 30.0), lift=0.5,
                    lift_length=0.015, stiffness=0.75, gravity=0.2,
                    follow=0.04, layer=(0.002, 0.012), clump=0.35, frizz=(0.0, 0.002), n_points=12,
                    scalp_shadow=(0.0, 0.2), weights={"female": 0.06, "male": 0.24}),
    "side_part": _style(flow="part", length=(0.06, 0.11), part_offset_mm=(18.0, 32.0), lift=0.25, stiffness=0.6,
                        gravity=0.35, follow=0.05, layer=(0.002, 0.014), clump=0.35, n_points=16,
                        weights={"female": 0.08, "male": 0.2}),
    "medium": _style(flow="part", length=(0.12, 0.2), part_offset_mm=(0.0, 25.0), lift=0.12, stiffness=0.5,
                     gravity=0.8, follow=0.05, layer=(0.003, 0.02), clump=0.4, frizz=(0.0, 0.003), n_points=24,
                     weights={"female": 0.18, "male": 0.08}),
    "long_straight": _style(flow="part", length=(0.3, 0.45), part_offset_mm=(0.0, 15.0), lift=0.12, stiffness=0.5,
                            gravity=0.9, follow=0.06, layer=(0.003, 0.02), clump=0.4, frizz=(0.0, 0.004),
                            n_points=32, weights={"female": 0.22, "male": 0.02}),
    "wavy": _style(flow="part", length=(0.2, 0.38), part_offset_mm=(0.0, 25.0), lift=0.15, stiffness=0.55,
                   gravity=0.85,
                   wave_amplitude=(0.006, 0.014), wave_period=(0.05, 0.09), clump=0.5, frizz=(0.002, 0.006),
                   layer=(0.004, 0.025), n_points=40, weights={"female": 0.16, "male": 0.03}),
    "curly": _style(flow=("radial", "part"), length=(0.1, 0.22), lift=0.5, lift_length=0.03, gravity=0.3, follow=0.06,
                    curl_radius=(0.004, 0.008), curl_period=(0.015, 0.03), clump=0.6, frizz=(0.003, 0.008),
                    layer=(0.008, 0.035), layer_rise=0.03, n_points=64, weights={"female": 0.1, "male": 0.05}),
    "afro": _style(flow="radial", length=(0.04, 0.09), lift=0.95, lift_length=0.2, stiffness=0.85, gravity=0.0,
                   curl_radius=(0.002, 0.0035), curl_period=(0.005, 0.009), curl_start=0.004, clump=0.3,
                   frizz=(0.002, 0.005), layer=(0.0, 0.0), n_points=64, weights={"female": 0.05, "male": 0.06}),
    "ponytail": _style(flow="tied_tail", length=(0.25, 0.4), lift=0.1, stiffness=0.5, gravity=0.0,
                       layer=(0.0015, 0.006), layer_rise=0.01, clump=0.3, n_points=40, gather=(-20.0, 40.0),
                       weights={"female": 0.1, "male": 0.01}),
    "bun": _style(flow="tied_bun", length=(0.3, 0.5), lift=0.1, stiffness=0.5, gravity=0.0, layer=(0.0015, 0.006),
                  layer_rise=0.01, clump=0.2, n_points=48, gather=(50.0, 80.0), weights={"female": 0.07, "male": 0.0}),
}
"""Head-hair styles. Ranges (lo, hi) are sampled uniformly per identity (``length`` in m is the
longest strand; ``layer`` in m is the guide height above the scalp; ``part_offset_mm`` is the
part's distance from the midline, side random; ``gather`` is the tie height range in local mm).
``flow`` names the comb direction field (``hair_styles.flow_field``), or a tuple of them to pick
from per identity; ``weights`` are the
sampling weights per presentation."""

TIE_RADIUS = 0.012
"""Radius (m) of the bundle at a ponytail or bun tie."""

TAIL_RADIUS = (0.018, 0.03)
"""Radius (m) a ponytail spreads to below the tie."""

BUN_RADIUS = (0.028, 0.04)
"""Radius (m) of a bun."""

# --------------------------------------------------------------------------- facial hair
BEARD_STYLES = {
    "none": {"zone": "full", "density": 0.0, "length": (0.001, 0.001), "weights": {"female": 1.0, "male": 0.35}},
    "stubble": {"zone": "full", "density": 1.2, "length": (0.0008, 0.0025), "lift": 0.8, "stiffness": 0.9,
                "gravity": 0.0, "layer": (0.0, 0.0), "n_points": 4, "shadow": (0.5, 0.9), "curl": (0.0, 0.0),
                "frizz": (0.0, 0.0002), "weights": {"female": 0.0, "male": 0.2}},
    "moustache": {"zone": "moustache", "density": 1.0, "length": (0.008, 0.02), "lift": 0.3, "stiffness": 0.7,
                  "gravity": 0.2, "layer": (0.0005, 0.003), "n_points": 8, "shadow": (0.0, 0.2), "curl": (0.0, 0.0),
                  "frizz": (0.0, 0.0015), "weights": {"female": 0.0, "male": 0.07}},
    "goatee": {"zone": "goatee", "density": 1.0, "length": (0.01, 0.035), "lift": 0.35, "stiffness": 0.7,
               "gravity": 0.4, "layer": (0.0005, 0.004), "n_points": 10, "shadow": (0.2, 0.5), "curl": (0.0, 0.002),
               "frizz": (0.0005, 0.002), "weights": {"female": 0.0, "male": 0.1}},
    "short_beard": {"zone": "full", "density": 1.0, "length": (0.006, 0.015), "lift": 0.45, "stiffness": 0.75,
                    "gravity": 0.2, "layer": (0.0005, 0.003), "n_points": 8, "shadow": (0.4, 0.7),
                    "curl": (0.0, 0.0015), "frizz": (0.0005, 0.0015), "weights": {"female": 0.0, "male": 0.15}},
    "full_beard": {"zone": "full", "density": 1.0, "length": (0.03, 0.09), "lift": 0.4, "stiffness": 0.65,
                   "gravity": 0.6, "layer": (0.001, 0.012), "n_points": 16, "shadow": (0.5, 0.8),
                   "curl": (0.0, 0.004), "frizz": (0.001, 0.004), "weights": {"female": 0.0, "male": 0.13}},
}
"""Beard styles: the anatomy zone roots grow in, a density multiplier, length range (m), growth
(lift, stiffness, gravity), guide layer (m), points per strand, skin shadow in the texture, curl
radius (m), frizz (m) and sampling weights per presentation."""

BEARD_STRANDS_PER_CM2 = {"preview": 12.0, "render": 55.0}
"""Beard strands per cm^2 of beard zone at density 1."""

FACIAL_HAIR_ROOT_RADIUS = 3.5e-5
"""Root radius (m) of beard hairs."""

BROW_STRANDS = {"preview": 260, "render": 520}
"""Brow hairs per brow at density 1 (people: ~250-600 terminal hairs a brow; at 160/320 of 70 um the brows read
as a thin, see-through line at 512 px)."""
BROW_ROOT_RADIUS = 4.5e-5
"""Brow hair radius at the root (m): brow hairs are coarse, 80-100 um thick."""
BROW_JITTER_DEG = 14.0
"""Spread (degrees, one sigma) of each brow hair's direction about the brow's flow."""

BROW_LENGTH = (0.006, 0.011)
BROW_DENSITY = (0.55, 1.25)
"""Per-identity multiplier of brow strand count (sparse to bushy)."""
BROW_ARCH_MM = {"female": (5.0, 1.0), "male": (3.0, 1.0)}
"""Brow arch (mean, sd) in scaled mm: how far the peak, lateral of the pupil, rises above the medial head (women's
brows are more arched, men's lower and flatter: Sclafani & Jung 2010). Clipped to :data:`BROW_ARCH_RANGE_MM`."""
BROW_ARCH_RANGE_MM = (1.0, 7.5)
BROW_WIDTH_MM = {"female": (8.5, 1.0), "male": (11.0, 1.2)}
"""Brow height (scaled mm, mean and sd) at its medial head, by sex; the tail narrows to
:data:`synthetic.assets.anatomy.BROW_TAIL_FRACTION` of it. Women's brows are thinner (and usually groomed so);
11 mm for everyone, as before, made young women's brows read heavy and low. Clipped to
:data:`BROW_WIDTH_RANGE_MM`."""
BROW_WIDTH_RANGE_MM = (6.0, 14.0)
BROW_LIFT_SD_MM = 1.5
"""Per-identity sd (scaled mm) of the brow's height at the mid-pupil line about ``anatomy.brow_zone``'s (people:
19.5 +- 2.5 mm from the lower corneal limbus, no difference between women and men; the face shape adds the
rest). Clipped to +-2.3 sd."""

LASH_COUNT = {"upper": (90, 140), "lower": (45, 75)}
"""Eyelashes per eye (both quality presets: they are few and visible)."""

LASH_LENGTH = {"upper": (0.007, 0.011), "lower": (0.004, 0.0065)}
LASH_CURL = (15.0, 45.0)
"""Curvature of lashes (1/m)."""

LASH_ROOT_RADIUS = 5.0e-5
LASH_MELANIN = (0.8, 0.97)
"""Lashes are dark for almost everyone; they grey late."""

# --------------------------------------------------------------------------- performances
FPS = 30.0
"""Default frame rate of performances."""

PERFORMANCE_FRAMES = 250
"""Default frames per identity (SynShot: ~500k frames / 2000 identities)."""

PERFORMANCE_KINDS = {"talking": 0.35, "smile": 0.15, "surprise": 0.1, "random": 0.3, "neutral": 0.1}
"""Weights of segment kinds in a 'mixed' performance."""

SEGMENT_SECONDS = (1.5, 4.0)
"""Duration range of one performance segment."""

SYLLABLE_SECONDS = (0.16, 0.3)
"""Syllable duration (talking runs at about 3-6 syllables per second)."""

PHRASE_SYLLABLES = (3, 10)
PAUSE_SECONDS = (0.25, 0.7)

SEMANTIC_EXPRESSIONS = {
    "jaw_open": {"jaw_open": 1.0},
    "smile": {"mouth_smile_left": 1.0, "mouth_smile_right": 1.0, "cheek_squint_left": 0.4, "cheek_squint_right": 0.4},
    "pucker": {"mouth_pucker": 1.0},
    "funnel": {"mouth_funnel": 1.0},
    "stretch": {"mouth_stretch_left": 1.0, "mouth_stretch_right": 1.0},
    "press": {"mouth_press_left": 1.0, "mouth_press_right": 1.0, "mouth_close": 0.3},
    "lower_down": {"mouth_lower_down_left": 1.0, "mouth_lower_down_right": 1.0},
    "upper_up": {"mouth_upper_up_left": 1.0, "mouth_upper_up_right": 1.0},
    "brow_raise": {"brow_inner_up": 1.0, "brow_outer_up_left": 1.0, "brow_outer_up_right": 1.0},
    "brow_down": {"brow_down_left": 1.0, "brow_down_right": 1.0},
    "eye_wide": {"eye_wide_left": 1.0, "eye_wide_right": 1.0},
    "blink": {"eye_blink_left": 1.0, "eye_blink_right": 1.0},
    "squint": {"eye_squint_left": 1.0, "eye_squint_right": 1.0},
    "frown": {"mouth_frown_left": 1.0, "mouth_frown_right": 1.0},
}
"""Semantic channels -> head-model expression names (ARKit-style snake case) and weights.
Names a model lacks are skipped."""

VISEMES = {"open": {"jaw_open": 1.0}, "oo": {"jaw_open": 0.4, "pucker": 0.8, "funnel": 0.5},
           "ee": {"jaw_open": 0.35, "stretch": 0.6, "smile": 0.2}, "mbp": {"jaw_open": 0.05, "press": 0.9},
           "fv": {"jaw_open": 0.2, "upper_up": 0.2, "lower_down": 0.1, "press": 0.3},
           "ah": {"jaw_open": 1.0, "lower_down": 0.4, "upper_up": 0.2}}
"""Mouth shapes cycled while talking, as semantic channel weights (scaled per syllable)."""

MONOLID_PROBABILITY = 0.2
"""Share of identities whose upper lid has no visible crease."""
LID_CREASE_MM = (4.0, 10.0)
"""Height of the upper-lid crease above the lid margin (mm): low creases to deep-set eyes."""

LID_REST = (0.0, 0.2)
"""An identity's resting upper-lid drop as an ``eye_blink`` activation, uniform. The template's lids open 11.2 mm
with the upper margin 5.0 mm above the pupil centre (the iris shows whole: a stare); each 0.1 drops the margin
0.93 mm, so the margin rests 3.1-5.0 mm above the pupil (MRD1), mean 4.1: people's mean is 4-4.5 mm, the lid over
the top 1-2 mm of the iris. (Drawn from 0.05-0.3 before, MRD1 2.2-4.5, mean 3.4: the eyes read as squinting.)"""

BLINK_INTERVAL = (2.0, 1.6)
"""Gamma(shape, scale) seconds between blinks (mean ~3.2 s)."""

BLINK_SECONDS = (0.25, 0.35)
"""Blink close-and-open duration (closing takes 40 %: at least 3 frames at 30 fps)."""

FIXATION_SECONDS = (2.0, 0.18)
"""Gamma(shape, scale) fixation duration plus 0.1 s (mean ~0.46 s)."""

GAZE_STD_DEG = (10.0, 6.0)
"""Std of saccade targets: yaw, pitch (degrees)."""

GAZE_LIMIT_DEG = (30.0, 22.0)
"""Gaze limits: yaw, pitch (degrees)."""

HEAD_MOTION_DEG = {"yaw": 8.0, "pitch": 5.0, "roll": 3.0}
"""Amplitude scale of small head motion per axis (degrees)."""

JOINT_LIMITS_DEG = {"neck": 30.0, "head": 30.0, "jaw": 25.0, "eye_left": 35.0, "eye_right": 35.0}
"""Largest rotation angle per joint used in performances (degrees)."""
