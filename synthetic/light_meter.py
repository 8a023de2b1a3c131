"""An incident light meter for the dataset's lights: what a photographer reads at the face before exposing.

The renderer (:mod:`synthetic.blender.lighting`) draws an environment and two or three area lights per identity;
their strengths vary the picture's brightness by several stops (a split light, a night city, a warm key that the
white balance dims). A photographer meters the light falling on the face and exposes for it, so skin comes out at
its own tone, light skin light and dark skin dark. This module is that meter, in numpy, from the same numbers the
renderer gives Cycles:

* :func:`environment_irradiance`: irradiance (linear RGB, Cycles units: a background of radiance 1 gives pi) on a
  receptor at the face from an equirectangular environment image, its strength and its rotation about Z;
* :func:`area_light_irradiance`: the same from a square Lambertian area light of power ``P`` W, integrated over its
  surface (the studio's 2 m soft boxes stand 1.2-1.8 m away: no point-light approximation);
* :func:`metered_lighting`: the identity's lights scaled by one factor so that the meter reads the exposure drawn,
  as long as the brightest-lit skin stays below white.

Receptors: ``"dome"`` is an incident meter's hemispherical dome pointed at the camera (a source at angle ``t`` from
its axis counts ``(1 + cos t) / 2``: a key from the side counts half, as on a real meter) and ``"card"`` a flat
Lambertian card (``max(0, cos t)``). A white Lambertian surface under irradiance ``E`` renders at ``E / pi``.
"""

from __future__ import annotations

import numpy as np

from .lights import draw_lighting, equirect_directions

LUMA = np.array([0.2126, 0.7152, 0.0722])
"""Rec. 709 luminance weights of linear RGB."""

CYCLES_AREA_POWER = 1.0
"""Cycles' radiance of a square area light of power P (W) and side a (m), as a multiple of the Lambertian
``P / (pi a^2)``; checked against a rendered white card in ``tests/synthetic/blender/test_white_balance.py``."""


def _receptor(cos_t: np.ndarray, receptor: str) -> np.ndarray:
    if receptor == "dome":
        return 0.5 * (1.0 + cos_t)
    if receptor == "card":
        return np.maximum(cos_t, 0.0)
    raise ValueError(f"receptor must be 'dome' or 'card', got {receptor!r}")


def environment_irradiance(env: np.ndarray, strength: float, rotation_rad: float, normal,
                           receptor: str = "dome") -> np.ndarray:
    """Irradiance ``[..., 3]`` (linear RGB) on receptors facing ``normal`` ``[..., 3]`` (world, Blender axes) from
    the environment ``env`` ``[H, W, 3]`` (linear radiance, as :func:`synthetic.lights.environment_image` makes it),
    scaled by ``strength`` and turned by ``rotation_rad`` about Z (the world's Mapping node: a world direction
    ``d`` looks up the image at ``Rz(rotation) d``, so the receptor turns the same way)."""
    env = np.asarray(env, dtype=np.float64)
    h, w = env.shape[:2]
    dirs = equirect_directions(w, h).reshape(-1, 3)
    c, s = np.cos(rotation_rad), np.sin(rotation_rad)
    n = np.asarray(normal, dtype=np.float64)
    n = n / np.linalg.norm(n, axis=-1, keepdims=True)
    n = np.stack([c * n[..., 0] - s * n[..., 1], s * n[..., 0] + c * n[..., 1], n[..., 2]], -1)
    solid_angle = (2 * np.pi / w) * (np.pi / h) * np.sqrt(np.clip(1.0 - dirs[:, 2] ** 2, 0.0, 1.0))
    radiance = env[..., :3].reshape(-1, 3) * solid_angle[:, None]
    return float(strength) * (_receptor(n @ dirs.T, receptor) @ radiance)


def area_light_irradiance(location, target, power_w: float, size_m: float, colour, point, normal,
                          receptor: str = "dome", samples: int = 16) -> np.ndarray:
    """Irradiance ``[..., 3]`` at ``point`` on receptors facing ``normal`` ``[..., 3]`` from a square area light of
    side ``size_m`` centred at ``location`` and aimed at ``target`` (Lambertian, one-sided, radiance
    ``CYCLES_AREA_POWER * P * colour / (pi a^2)``), integrated on a ``samples`` x ``samples`` grid over its face."""
    loc, tgt, x = (np.asarray(v, dtype=np.float64) for v in (location, target, point))
    axis = tgt - loc
    axis /= np.linalg.norm(axis)
    helper = np.array([0.0, 0.0, 1.0]) if abs(axis[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    u = np.cross(axis, helper)
    u /= np.linalg.norm(u)
    v = np.cross(axis, u)
    t = ((np.arange(samples) + 0.5) / samples - 0.5) * size_m
    grid = (loc + t[:, None, None] * u + t[None, :, None] * v).reshape(-1, 3)  # points on the light
    to_light = grid - x
    r = np.linalg.norm(to_light, axis=-1)
    d = to_light / r[:, None]
    # what each patch of the light sends to the point, before the receptor's response
    flux = np.maximum(-(d @ axis), 0.0) * (size_m / samples) ** 2 / r**2
    n = np.asarray(normal, dtype=np.float64)
    n = n / np.linalg.norm(n, axis=-1, keepdims=True)
    radiance = CYCLES_AREA_POWER * float(power_w) / (np.pi * size_m**2)
    e = radiance * (_receptor(n @ d.T, receptor) @ flux)
    return e[..., None] * np.asarray(colour, dtype=np.float64)[:3]


def reading(desc: dict, env: np.ndarray, point, normal, receptor: str = "dome") -> float | np.ndarray:
    """Luminance (linear: a white Lambertian surface's render value) that the lights of ``desc`` (the JSON
    description :func:`synthetic.lights.draw_lighting` makes, with ``location_m`` and ``aim_m`` per light) and the environment
    ``env`` give receptors at ``point`` facing ``normal`` ``[..., 3]``: irradiance luminance / pi (a float for one
    normal)."""
    e = environment_irradiance(env, desc["environment_strength"], desc["environment_rotation_rad"], normal, receptor)
    for light in desc["lights"]:
        e = e + area_light_irradiance(light["location_m"], light["aim_m"], light["power_w"], light["size_m"],
                                      light["colour"], point, normal, receptor)
    out = (e @ LUMA) / np.pi
    return float(out) if np.ndim(out) == 0 else out


def face_normals(count: int = 120) -> np.ndarray:
    """``[count', 3]`` directions a face's skin turns to, as the front cameras see it: a Fibonacci sphere of
    ``count`` points, those within 100 degrees of straight ahead (-Y; the cheeks and jaw sides turn 90 degrees)."""
    i = np.arange(count)
    z = 1.0 - 2.0 * (i + 0.5) / count
    ring = np.sqrt(1.0 - z * z)
    theta = 2 * np.pi * i / ((1 + 5**0.5) / 2)
    dirs = np.stack([ring * np.cos(theta), ring * np.sin(theta), z], 1)
    return dirs[dirs[:, 1] < np.sin(np.radians(10.0))]


FACE_FORWARD_M = 0.09
"""Where the meter is held: this far in front of the rig's look-at point (the head's centre), towards the front
cameras (-Y), about the tip of the nose."""

DOME_TARGET = 1.25
"""The dome reading the exposure aims at (before the drawn bracket). 1.0 would be the textbook incident exposure
(an 18 % grey card at 0.18 linear); a face is no card facing the camera (it curves away from the key, the brows
and nose shade it), and at 1.0 the brighter cheek of six held-out heads came out at 0.63-1.3 (median 0.76) of its
albedo. At 1.25 the lit side of the face shows about its own tone, as in a portrait."""

HIGHLIGHT_MAX = 1.6
"""The most a white card turned to the brightest light may read (linear): light skin's red albedo is about 0.6, so
its lit side stays below white. Unlimited, a split light with a window on its side clipped a fifth of a bald
head's pixels; this limit binds for about one identity in five."""

EXPOSURE_EV = (-0.35, 0.35)
"""Range (stops) of the exposure drawn around :data:`DOME_TARGET`, as photographers bracket: some variety in
brightness stays in the dataset, no longer the 2 stops (readings 0.3-1.4) the unmetered lights gave."""


def metered_lighting(rng: np.random.Generator, target=(0.0, 0.0, 0.0)) -> tuple[dict, np.ndarray]:
    """:func:`synthetic.lights.draw_lighting`, then exposed as a photographer would: every light's power and the
    environment's strength scaled by one factor so that a dome meter at the face, facing the front cameras, reads
    ``DOME_TARGET * 2 ** ev`` (``ev`` drawn from :data:`EXPOSURE_EV` after every other draw), unless that would put
    the brightest-lit side of the face (a card turned to the light, :func:`face_normals`) above
    :data:`HIGHLIGHT_MAX`: then the highlights set the exposure (a split light's lit cheek stays skin, its shadow
    side goes dark). Returns (description with ``exposure`` {``ev``, ``scale``, ``reading_before``,
    ``brightest_before``, ``highlight_limited``}, environment image ``[H, W, 3]``)."""
    desc, env = draw_lighting(rng, target)
    point = np.asarray(target, dtype=np.float64) + np.array([0.0, -FACE_FORWARD_M, 0.0])
    before = reading(desc, env, point, [0.0, -1.0, 0.0], "dome")
    if not before > 0:
        raise ValueError("the lights give no light at the face: nothing to meter")
    brightest = float(np.max(reading(desc, env, point, face_normals(), "card")))
    ev = float(rng.uniform(*EXPOSURE_EV))
    metered, highlights = DOME_TARGET * 2.0**ev / before, HIGHLIGHT_MAX / brightest
    scale = min(metered, highlights)
    desc["environment_strength"] *= scale
    for light in desc["lights"]:
        light["power_w"] *= scale
    desc["exposure"] = {"ev": ev, "scale": scale, "reading_before": before, "brightest_before": brightest,
                        "highlight_limited": bool(highlights < metered)}
    return desc, env
