"""The dataset's light sources as numbers (numpy only): procedural HDR environments, area-light rigs drawn per
identity, colour temperatures and the camera's white balance. :mod:`synthetic.blender.lighting` turns them into a
Blender world and lights; :mod:`synthetic.light_meter` meters them."""

from __future__ import annotations

import math

import numpy as np

ENVIRONMENTS = ("studio", "overcast", "window", "sunset", "night_city")
LIGHT_RIGS = ("three_point", "butterfly", "rembrandt", "split", "soft_box")


def kelvin_to_rgb(kelvin: float) -> np.ndarray:
    """Approximate linear-RGB colour (max component 1) of a black body at ``kelvin`` (1000-12000 K)."""
    t = kelvin / 100.0
    r = 1.0 if t <= 66 else min(1.0, 1.292936186 * (t - 60) ** -0.1332047592)
    g = 0.3900815788 * math.log(t) - 0.6318414438 if t <= 66 else 1.129890861 * (t - 60) ** -0.0755148492
    b = 1.0 if t >= 66 else (0.0 if t <= 19 else 0.5432067891 * math.log(t - 10) - 1.1962540891)
    srgb = np.clip([r, g, b], 0.0, 1.0)
    lin = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    return lin / lin.max()


def white_balance_gain(kelvin: float) -> np.ndarray:
    """Per-channel gains ``[3]`` (mean 1) that make light of ``kelvin`` white: the camera's white balance for the
    key light, applied to the lights and the environment (in linear RGB every light path is a per-channel
    product, so this equals a camera's RGB gains). Without it a 3500 K key turned skin orange; the environment
    keeps its colour relative to the lights (a warm sunset horizon, a cool sky)."""
    c = kelvin_to_rgb(kelvin)
    return c.mean() / c


def equirect_directions(width: int, height: int) -> np.ndarray:
    """Unit directions ``[H, W, 3]`` (Blender world) of an equirectangular image's pixel centres, as
    Cycles' Environment Texture maps them (row 0 = top = +Z; u = 0.5 looks along -X... see body)."""
    u = (np.arange(width) + 0.5) / width
    v = 1.0 - (np.arange(height) + 0.5) / height  # row 0 is the top (v = 1)
    lon = -(u - 0.5) * 2 * np.pi  # Cycles: u = -atan2(y, x) / 2pi + 0.5
    lat = (v - 0.5) * np.pi  # Cycles: v = atan2(z, hypot(x, y)) / pi + 0.5
    lon, lat = np.meshgrid(lon, lat)
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], -1)


def spot(dirs: np.ndarray, centre, size_rad: float) -> np.ndarray:
    c = np.asarray(centre, dtype=np.float64)
    c = c / np.linalg.norm(c)
    ang = np.arccos(np.clip(dirs @ c, -1, 1))
    return np.exp(-0.5 * (ang / size_rad) ** 2)


LIGHT_KELVIN = {"studio": (3500.0, 6500.0), "overcast": (5500.0, 7000.0), "window": (5000.0, 6500.0),
                "sunset": (3500.0, 4500.0), "night_city": (3500.0, 7000.0)}
"""Colour temperature range (K) of the area lights (and the camera's white balance) per environment: studio lamps
share one temperature with the studio's environment; daylight keys under an overcast sky or by a window; a low warm
sun at sunset (its sky stays blue). Drawn from 3500-7000 K for every environment before, a warm key white-balanced
against a 4000-8000 K studio or a daylight sky turned everything the environment lit blue (grey hair most)."""


def environment_image(kind: str, rng: np.random.Generator, width: int = 256, height: int = 128,
                      hue_kelvin: float | None = None) -> np.ndarray:
    """Linear HDR radiance ``[H, W, 3]`` for an environment of ``kind`` (one of ENVIRONMENTS). ``hue_kelvin``
    replaces the drawn colour temperature of the studio's lamps (the draw is made either way)."""
    d = equirect_directions(width, height)
    z = d[..., 2:3]
    drawn = rng.uniform(4000, 8000)
    hue = kelvin_to_rgb(drawn if hue_kelvin is None else hue_kelvin)
    if kind == "studio":
        env = 0.15 * hue * (0.6 + 0.4 * np.clip(z + 0.3, 0, 1))
        for _ in range(rng.integers(2, 4)):
            az = rng.uniform(0, 2 * np.pi)
            centre = [np.cos(az), np.sin(az), rng.uniform(0.1, 0.8)]
            env = env + rng.uniform(2, 6) * spot(d, centre, rng.uniform(0.15, 0.3))[..., None] * hue
    elif kind == "overcast":
        env = (0.4 + 0.8 * np.clip(z, 0, 1)) * kelvin_to_rgb(rng.uniform(6000, 7500)) * rng.uniform(0.6, 1.2)
        env = np.where(z < 0, 0.15 * np.array([0.35, 0.33, 0.3]), env)
    elif kind == "window":
        env = 0.08 * kelvin_to_rgb(3200) * np.ones_like(d)
        az = rng.uniform(-np.pi, np.pi)
        win = np.array([np.cos(az), np.sin(az), 0.2])
        env = env + rng.uniform(4, 10) * spot(d, win, 0.35)[..., None] ** 0.5 * kelvin_to_rgb(6500)
    elif kind == "sunset":
        sky = np.clip(z, 0, 1)
        env = (0.3 * (1 - sky) * kelvin_to_rgb(2500) + 0.5 * sky * kelvin_to_rgb(9000)) * np.ones_like(d)
        az = rng.uniform(0, 2 * np.pi)
        env = env + 40.0 * spot(d, [np.cos(az), np.sin(az), 0.08], 0.05)[..., None] * kelvin_to_rgb(2200)
        env = np.where(z < 0, 0.05, env)
    elif kind == "night_city":
        env = 0.02 * np.ones_like(d)
        for _ in range(6):
            az = rng.uniform(0, 2 * np.pi)
            col = kelvin_to_rgb(rng.uniform(2000, 9000))
            env = env + rng.uniform(1, 4) * spot(d, [np.cos(az), np.sin(az), rng.uniform(-0.1, 0.4)], 0.12)[
                ..., None
            ] * col
    else:
        raise ValueError(f"environment kind must be one of {ENVIRONMENTS}, got {kind!r}")
    return np.asarray(env, dtype=np.float32)


def light_positions(rig: str, rng: np.random.Generator) -> list[tuple[str, float, float, float, float]]:
    """(role, azimuth deg from the face direction, elevation deg, relative power, size m) per light."""
    side = rng.choice([-1.0, 1.0])
    if rig == "three_point":
        return [("key", side * rng.uniform(25, 50), rng.uniform(15, 40), 1.0, 0.6),
                ("fill", -side * rng.uniform(30, 60), rng.uniform(0, 20), rng.uniform(0.2, 0.5), 1.0),
                ("rim", side * rng.uniform(130, 170), rng.uniform(20, 50), rng.uniform(0.5, 1.2), 0.4)]  # fmt: skip
    if rig == "butterfly":
        return [("key", 0.0, rng.uniform(35, 50), 1.0, 0.7), ("fill", 0.0, -rng.uniform(10, 25), 0.3, 1.2)]
    if rig == "rembrandt":
        return [("key", side * rng.uniform(40, 55), rng.uniform(35, 50), 1.0, 0.5),
                ("fill", -side * 40.0, 5.0, rng.uniform(0.1, 0.25), 1.2)]  # fmt: skip
    if rig == "split":
        return [("key", side * 90.0, rng.uniform(0, 15), 1.0, 0.5), ("rim", -side * 150.0, 30.0, 0.4, 0.4)]
    if rig == "soft_box":
        return [("key", side * rng.uniform(0, 30), rng.uniform(10, 30), 1.0, 2.0),
                ("fill", -side * 60.0, 0.0, 0.5, 2.0)]  # fmt: skip
    raise ValueError(f"light rig must be one of {LIGHT_RIGS}, got {rig!r}")


def draw_lighting(rng: np.random.Generator, target=(0.0, 0.0, 0.0)) -> tuple[dict, np.ndarray]:
    """One identity's lighting before metering: (JSON description, environment image ``[H, W, 3]`` linear, white
    balance applied). Lights aim at ``target`` (m); each carries ``location_m`` and ``aim_m``. The draws, in this order, are those
    the renderer has always made (environment, rig, strength, rotation, image, key power, temperature, then per
    light distance and temperature jitter), so an identity keeps its lights."""
    kind = str(rng.choice(ENVIRONMENTS))
    rig = str(rng.choice(LIGHT_RIGS))
    env_strength = float(rng.uniform(0.35, 0.84))  # relative to the key power; the meter sets the overall level
    rotation = float(rng.uniform(0, 2 * np.pi))
    before_env = rng.bit_generator.state  # a fresh dict: later draws do not change it
    env = environment_image(kind, rng)
    key_power = float(rng.uniform(5.6, 11.2))  # W per m^2 of distance: 1.8-3.6 W/m^2 at the face before metering
    temperature = float(rng.uniform(*LIGHT_KELVIN[kind]))
    if kind == "studio":  # the same environment again, its lamps at the lights' temperature (same draws)
        replay = np.random.Generator(type(rng.bit_generator)())
        replay.bit_generator.state = before_env
        env = environment_image(kind, replay, hue_kelvin=temperature)
    gain = white_balance_gain(temperature)
    lights = []
    target = np.asarray(target, dtype=float)
    for role, az, el, rel, size in light_positions(rig, rng):
        dist = float(rng.uniform(1.2, 1.8))
        a, e = math.radians(az), math.radians(el)
        # azimuth 0 = in front of the face (-Y), positive towards the subject's left (+X)
        loc = target + dist * np.array([math.sin(a) * math.cos(e), -math.cos(a) * math.cos(e), math.sin(e)])
        colour = kelvin_to_rgb(temperature + rng.uniform(-500, 500)) * gain
        lights.append({"role": role, "azimuth_deg": az, "elevation_deg": el, "distance_m": dist,
                       "location_m": loc.tolist(), "aim_m": target.tolist(), "power_w": key_power * rel * dist**2,
                       "size_m": size, "colour": colour.tolist()})  # fmt: skip
    desc = {"environment": kind, "environment_strength": env_strength, "environment_rotation_rad": rotation,
            "light_rig": rig, "lights": lights, "white_balance_k": temperature}  # fmt: skip
    return desc, np.asarray(env * gain, dtype=np.float32)
