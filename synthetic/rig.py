"""The SynShot camera rig: 14 cameras in front of the subject plus 14 on the upper hemisphere (numpy only).

Frames and units: metres, Blender world (right-handed, Z up); the neutral head looks along -Y and
the model origin sits between the ear canals, so the head centre is slightly in front of and above
it (:data:`DEFAULT_TARGET`). Cameras are OpenCV pinholes (x right, y down, z forward): ``K`` 3x3 in
pixels with pixel centres at +0.5 (the image centre is ``(W/2, H/2)``), ``w2c`` 4x4 world-to-camera.
Every frame conversion goes through :mod:`synthetic.camera_convert`.

Resolution is ``width x height`` ("768x512" = 768 pixels wide, 512 high, landscape; the paper's
literal figure). Any size works; pass "512x768" for portrait images.

Layout (all cameras aim at ``target``; names ``cam_00`` ... front first):

* **front** (``cam_00``..``cam_13``): rows of cameras on a sphere of radius ``distance`` around the
  target, pitch evenly spread over ``front_pitch_deg`` (bottom row first), yaw over
  ``front_yaw_deg`` within a row (negative yaw = subject's right, -X, first). The widest rows span
  the full yaw range; narrower rows sit at cell centres, so rows interleave. Yaw 0, pitch 0 is the
  camera straight in front of the face (on -Y looking along +Y).
* **hemisphere** (``cam_14``..``cam_27``): directions chosen by farthest-point sampling from a
  Fibonacci lattice over the cap ``z >= hemisphere_min_z`` (unit direction from the target), with the
  front block (its yaw/pitch box widened by ``front_margin_deg``) removed and the front cameras
  counted as already chosen, so these cameras see the sides, top and back of the head. The lattice
  is turned about Z by an angle drawn from ``seed``: the rig is a pure function of its settings.

Per-identity jitter (:func:`build_rig` with a ``rng``): distance scaled by ``1 + U(-d, d)``, a
roll ``U(-r, r)`` degrees about each optical axis, and hemisphere directions tilted by up to
``hemisphere_jitter_deg`` (kept above the cap). Focal length and resolution never change, so every
image of a dataset has the same intrinsics.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

import numpy as np

from . import camera_convert
from .errors import UserInputError

N_FRONT = 14
N_HEMISPHERE = 14
DEFAULT_TARGET = (0.0, -0.02, 0.02)
"""Head centre (m, model frame): 2 cm in front of and above the ear-canal midpoint."""

SENSOR_FIT = "HORIZONTAL"
"""Blender ``camera.data.sensor_fit`` the rig's K assume: the sensor width maps to the image width.
(Blender's default ``AUTO`` maps it to the *larger* dimension, which differs for portrait images.)"""


def parse_resolution(text: str) -> tuple[int, int]:
    """``"WxH"`` -> ``(width, height)`` in pixels, e.g. ``"768x512"`` -> ``(768, 512)``."""
    try:
        w, h = (int(p) for p in str(text).lower().split("x"))
    except ValueError:
        raise UserInputError(f"resolution: expected WIDTHxHEIGHT such as 768x512, got {text!r}") from None
    if w < 8 or h < 8:
        raise UserInputError(f"resolution: width and height must be at least 8 pixels, got {text!r}")
    return w, h


@dataclass(frozen=True)
class RigSettings:
    """Everything that defines the rig. Stored in ``dataset.json`` (:meth:`to_dict`)."""

    width: int = 768
    """Image width in pixels."""
    height: int = 512
    """Image height in pixels."""
    distance: float = 1.0
    """Camera distance to ``target`` in metres."""
    target: tuple[float, float, float] = DEFAULT_TARGET
    """Point every camera aims at (m, model frame)."""
    head_fill: float | None = 0.7
    """When ``focal_mm`` is None: the focal length makes a sphere of ``head_radius`` at ``distance``
    span this fraction of the smaller image side."""
    head_radius: float = 0.12
    """Radius (m) of the sphere that stands for the head (hair included) for ``head_fill``."""
    focal_mm: float | None = None
    """Explicit focal length in mm (Blender ``lens``); overrides ``head_fill``."""
    sensor_width_mm: float = 36.0
    """Blender ``sensor_width`` in mm (horizontal sensor fit)."""
    front_rows: tuple[int, ...] = (5, 4, 5)
    """Cameras per front row, bottom row first; must sum to 14."""
    front_yaw_deg: tuple[float, float] = (-70.0, 70.0)
    front_pitch_deg: tuple[float, float] = (-15.0, 25.0)
    front_margin_deg: float = 12.0
    """How far around the front yaw/pitch box hemisphere cameras are kept away (degrees)."""
    hemisphere_min_z: float = -0.1
    """Lowest allowed z of a hemisphere camera's unit direction from the target."""
    seed: int = 0
    """Turns the hemisphere lattice about Z (rig-level, not per identity)."""
    distance_jitter: float = 0.05
    """Per-identity distance scale jitter (fraction, uniform +-)."""
    roll_jitter_deg: float = 3.0
    """Per-identity roll about each optical axis (degrees, uniform +-)."""
    hemisphere_jitter_deg: float = 6.0
    """Per-identity tilt of each hemisphere direction (degrees, at most)."""

    def __post_init__(self):
        object.__setattr__(self, "target", tuple(float(x) for x in self.target))
        object.__setattr__(self, "front_rows", tuple(int(x) for x in self.front_rows))
        object.__setattr__(self, "front_yaw_deg", tuple(float(x) for x in self.front_yaw_deg))
        object.__setattr__(self, "front_pitch_deg", tuple(float(x) for x in self.front_pitch_deg))
        problems = []
        if self.width < 8 or self.height < 8:
            problems.append(f"image size {self.width}x{self.height} below 8 pixels")
        if not self.distance > 0:
            problems.append(f"distance must be > 0 m, got {self.distance}")
        if sum(self.front_rows) != N_FRONT or min(self.front_rows) < 1:
            problems.append(f"front_rows must be positive and sum to {N_FRONT}, got {self.front_rows}")
        if self.focal_mm is None and not (self.head_fill and 0 < self.head_fill <= 1):
            problems.append(f"head_fill must be in (0, 1] when focal_mm is not given, got {self.head_fill}")
        if self.focal_mm is None and not 0 < self.head_radius < self.distance:
            problems.append("head_radius must be positive and smaller than distance")
        if self.focal_mm is not None and not self.focal_mm > 0:
            problems.append(f"focal_mm must be > 0, got {self.focal_mm}")
        if not self.sensor_width_mm > 0:
            problems.append(f"sensor_width_mm must be > 0, got {self.sensor_width_mm}")
        if not -1.0 < self.hemisphere_min_z < 0.9:
            problems.append(f"hemisphere_min_z must be in (-1, 0.9), got {self.hemisphere_min_z}")
        if not 0 <= self.distance_jitter < 0.5:
            problems.append(f"distance_jitter must be in [0, 0.5), got {self.distance_jitter}")
        if problems:
            raise UserInputError("rig settings: " + "; ".join(problems))

    def to_dict(self) -> dict:
        """JSON-ready dict (tuples become lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict) -> RigSettings:
        """Inverse of :meth:`to_dict`; unknown keys are an error (they would be silently ignored)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UserInputError(f"rig settings: unknown keys {unknown}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})

    def focal_length_mm(self) -> float:
        """Focal length in mm (Blender ``lens``), from ``focal_mm`` or ``head_fill``."""
        if self.focal_mm is not None:
            return float(self.focal_mm)
        half_angle = np.arcsin(self.head_radius / self.distance)  # angular radius of the head sphere
        f_px = 0.5 * self.head_fill * min(self.width, self.height) / np.tan(half_angle)
        return float(f_px * self.sensor_width_mm / self.width)

    def intrinsics(self) -> np.ndarray:
        """``K`` ``[3, 3]`` in pixels shared by every camera (centred principal point)."""
        return camera_convert.intrinsics_from_focal_mm(self.focal_length_mm(), self.sensor_width_mm,
                                                       self.width, self.height)


@dataclass(frozen=True)
class RigCamera:
    """One camera: ``K`` ``[3, 3]`` pixels, ``w2c`` ``[4, 4]`` OpenCV world-to-camera (m), size in pixels."""

    name: str
    group: str  # "front" or "hemisphere"
    K: np.ndarray = field(repr=False)
    w2c: np.ndarray = field(repr=False)
    width: int
    height: int

    @property
    def centre(self) -> np.ndarray:
        """Camera position ``[3]`` in world metres."""
        return -self.w2c[:3, :3].T @ self.w2c[:3, 3]

    def to_json(self) -> dict:
        return {"name": self.name, "group": self.group, "K": self.K.tolist(), "w2c": self.w2c.tolist()}


# ----------------------------------------------------------------------------- directions
def direction_from_yaw_pitch(yaw_deg, pitch_deg) -> np.ndarray:
    """Unit direction(s) ``[..., 3]`` from the target to a camera; yaw 0 pitch 0 = -Y (in front of the face),
    positive yaw toward +X (subject's left), positive pitch up (+Z)."""
    yaw, pitch = np.radians(yaw_deg), np.radians(pitch_deg)
    return np.stack([np.sin(yaw) * np.cos(pitch), -np.cos(yaw) * np.cos(pitch), np.sin(pitch)], axis=-1)


def yaw_pitch_from_direction(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`direction_from_yaw_pitch`: degrees ``[...]`` each."""
    d = np.asarray(d, dtype=np.float64)
    return np.degrees(np.arctan2(d[..., 0], -d[..., 1])), np.degrees(np.arcsin(np.clip(d[..., 2], -1, 1)))


def front_directions(s: RigSettings) -> np.ndarray:
    """``[14, 3]`` unit directions of the front cameras, bottom row first, yaw ascending in a row."""
    pitches = np.linspace(*s.front_pitch_deg, len(s.front_rows)) if len(s.front_rows) > 1 else [np.mean(
        s.front_pitch_deg)]
    widest = max(s.front_rows)
    lo, hi = s.front_yaw_deg
    out = []
    for n, pitch in zip(s.front_rows, pitches):
        if n == widest:
            yaws = np.linspace(lo, hi, n) if n > 1 else np.array([0.5 * (lo + hi)])
        else:  # interleave: cell centres
            yaws = lo + (hi - lo) * (np.arange(n) + 0.5) / n
        out.append(direction_from_yaw_pitch(yaws, np.full(n, pitch)))
    return np.concatenate(out)


def _in_front_block(d: np.ndarray, s: RigSettings) -> np.ndarray:
    yaw, pitch = yaw_pitch_from_direction(d)
    m = s.front_margin_deg
    return ((yaw >= s.front_yaw_deg[0] - m) & (yaw <= s.front_yaw_deg[1] + m)
            & (pitch >= s.front_pitch_deg[0] - m) & (pitch <= s.front_pitch_deg[1] + m))


def hemisphere_directions(s: RigSettings, n_candidates: int = 2048) -> np.ndarray:
    """``[14, 3]`` unit directions of the hemisphere cameras (nominal, no per-identity jitter)."""
    z_min = s.hemisphere_min_z
    k = np.arange(n_candidates) + 0.5
    z = 1.0 - (1.0 - z_min) * k / n_candidates  # equal-area spacing over the cap z in [z_min, 1]
    turn = np.random.default_rng(s.seed).uniform(0.0, 2.0 * np.pi)
    phi = k * np.pi * (3.0 - np.sqrt(5.0)) + turn  # golden angle
    r = np.sqrt(np.maximum(1.0 - z * z, 0.0))
    cand = np.stack([r * np.cos(phi), r * np.sin(phi), z], axis=-1)
    cand = cand[~_in_front_block(cand, s)]
    if len(cand) < N_HEMISPHERE:
        raise UserInputError("rig settings: the front block leaves no room for the hemisphere cameras")
    # farthest-point sampling, the front cameras counting as already placed
    nearest = np.min(1.0 - cand @ front_directions(s).T, axis=1)  # 1 - cos(angle) to the closest camera
    chosen = []
    for _ in range(N_HEMISPHERE):
        i = int(np.argmax(nearest))
        chosen.append(cand[i])
        nearest = np.minimum(nearest, 1.0 - cand @ cand[i])
    return np.array(chosen)


def _jitter_directions(d: np.ndarray, max_deg: float, z_min: float, rng: np.random.Generator) -> np.ndarray:
    """Tilt each unit direction by a random angle in [0, max_deg] toward a random side, then lift
    any direction that fell below ``z_min`` back onto the cap edge."""
    if max_deg <= 0:
        return d
    helper = np.where(np.abs(d[:, 2:3]) < 0.9, [[0.0, 0.0, 1.0]], [[1.0, 0.0, 0.0]])
    a = np.cross(d, helper)
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b = np.cross(d, a)
    psi = rng.uniform(0.0, 2.0 * np.pi, len(d))
    ang = np.radians(max_deg) * np.sqrt(rng.uniform(0.0, 1.0, len(d)))
    out = np.cos(ang)[:, None] * d + np.sin(ang)[:, None] * (np.cos(psi)[:, None] * a + np.sin(psi)[:, None] * b)
    low = out[:, 2] < z_min
    if np.any(low):
        xy = out[low, :2] / np.maximum(np.linalg.norm(out[low, :2], axis=1, keepdims=True), 1e-12)
        out[low, :2] = xy * np.sqrt(1.0 - z_min**2)
        out[low, 2] = z_min
    return out


def _roll(w2c: np.ndarray, deg: float) -> np.ndarray:
    """Rotate the camera about its own optical axis by ``deg`` (image turns clockwise for deg > 0)."""
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    r = np.eye(4)
    r[:2, :2] = [[c, -s], [s, c]]
    return r @ w2c


def _up_for(direction: np.ndarray) -> np.ndarray:
    """World direction shown as image-up: +Z, or the face side (-Y) for cameras nearly above or below."""
    return np.array([0.0, 0.0, 1.0]) if abs(direction[2]) < 0.985 else np.array([0.0, -1.0, 0.0])


def build_rig(settings: RigSettings | None = None, rng: np.random.Generator | None = None) -> list[RigCamera]:
    """The 28 cameras for ``settings``; with ``rng``, jittered for one identity (see the module doc).

    Deterministic: the same settings and the same generator state give the same cameras.
    """
    s = settings or RigSettings()
    front = front_directions(s)
    hemi = hemisphere_directions(s)
    n = N_FRONT + N_HEMISPHERE
    dist = np.full(n, s.distance)
    roll = np.zeros(n)
    if rng is not None:
        hemi = _jitter_directions(hemi, s.hemisphere_jitter_deg, s.hemisphere_min_z, rng)
        dist = s.distance * (1.0 + rng.uniform(-s.distance_jitter, s.distance_jitter, n))
        roll = rng.uniform(-s.roll_jitter_deg, s.roll_jitter_deg, n)
    dirs = np.concatenate([front, hemi])
    groups = ["front"] * N_FRONT + ["hemisphere"] * N_HEMISPHERE
    target = np.array(s.target)
    K = s.intrinsics()
    cams = []
    for i in range(n):
        w2c = camera_convert.look_at_opencv_w2c(target + dist[i] * dirs[i], target, _up_for(dirs[i]))
        cams.append(RigCamera(f"cam_{i:02d}", groups[i], K.copy(), _roll(w2c, roll[i]), s.width, s.height))
    return cams


# ----------------------------------------------------------------------------- projection
def project_points(points: np.ndarray, K: np.ndarray, w2c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World points ``[..., 3]`` (m) -> pixel coordinates ``[..., 2]`` (x right, y down, pixel centres at
    +0.5) and camera depth ``[...]`` (m along the optical axis; <= 0 behind the camera)."""
    p = np.asarray(points, dtype=np.float64)
    pc = p @ w2c[:3, :3].T + w2c[:3, 3]
    z = pc[..., 2]
    safe = np.where(np.abs(z) < 1e-12, 1e-12, z)
    uv = pc[..., :2] / safe[..., None]
    xy = uv @ K[:2, :2].T + K[:2, 2]
    return xy, z


# ----------------------------------------------------------------------------- Blender cameras
def blender_camera_params(K: np.ndarray, w2c: np.ndarray, width: int, height: int,
                          sensor_width_mm: float = 36.0) -> dict:
    """Parameters of a Blender perspective camera that reproduces ``K`` and ``w2c`` exactly.

    Blender formulas (``BKE_camera_params_compute_viewplane``, sensor fit HORIZONTAL, square pixels,
    pixel aspect 1): the view plane is ``width`` pixels wide at ``lens / sensor_width`` image-plane
    units, and lens shift moves it by ``shift * width`` pixels (shift is in units of the fitted image
    side, here the width, for both axes):

        fx = fy = lens / sensor_width * width
        cx = width / 2  - shift_x * width      (shift_x > 0 moves the view right, the optical axis left)
        cy = height / 2 + shift_y * width      (shift_y > 0 moves the view up, the axis down in the image)

    Returns a dict: ``matrix_world`` ``[4, 4]`` OpenGL camera-to-world (assign to
    ``obj.matrix_world``; Blender cameras look along their local -Z, +Y up), ``lens`` (mm),
    ``sensor_width`` (mm), ``sensor_fit`` ("HORIZONTAL"), ``shift_x``, ``shift_y``,
    ``resolution_x``, ``resolution_y`` (set ``resolution_percentage = 100`` and pixel aspect 1).
    """
    K = np.asarray(K, dtype=np.float64)
    if abs(K[0, 1]) > 1e-9 or abs(K[0, 0] - K[1, 1]) > 1e-6 * K[0, 0]:
        raise ValueError("blender_camera_params: Blender cameras need square pixels and no skew (fx == fy)")
    return {
        "matrix_world": camera_convert.opencv_w2c_to_opengl_c2w(np.asarray(w2c, dtype=np.float64)),
        "lens": float(K[0, 0] * sensor_width_mm / width),
        "sensor_width": float(sensor_width_mm),
        "sensor_fit": SENSOR_FIT,
        "shift_x": float((0.5 * width - K[0, 2]) / width),
        "shift_y": float((K[1, 2] - 0.5 * height) / width),
        "resolution_x": int(width),
        "resolution_y": int(height),
    }


def intrinsics_from_blender(lens: float, sensor_width: float, shift_x: float, shift_y: float,
                            width: int, height: int) -> np.ndarray:
    """``K`` ``[3, 3]`` of a Blender camera (sensor fit HORIZONTAL, square pixels); inverse of
    :func:`blender_camera_params`."""
    K = camera_convert.intrinsics_from_focal_mm(lens, sensor_width, width, height)
    K[0, 2] = 0.5 * width - shift_x * width
    K[1, 2] = 0.5 * height + shift_y * width
    return K
