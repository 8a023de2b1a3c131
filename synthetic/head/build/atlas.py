"""The UV atlas: chart projections for the skin and slots that pack every island (build step).

UV (0, 0) is the bottom-left of the texture (Blender). The face chart takes the largest slot
(0.65 x 0.65 of the atlas, 42 % of all texels); islands never overlap because every island is
fitted inside its own slot with a uniform scale.

Each coordinate conversion is one named function: :func:`direction_to_face_chart`,
:func:`direction_to_scalp_chart`, :func:`point_to_neck_chart`.
"""

from __future__ import annotations

import numpy as np

from . import shape

#: slot rectangles (u0, v0, u1, v1) in the atlas
SLOTS = {
    "face": (0.005, 0.345, 0.655, 0.995),
    "scalp": (0.665, 0.665, 0.995, 0.995),
    "neck": (0.665, 0.445, 0.995, 0.655),
    "ear_left": (0.005, 0.175, 0.325, 0.335),
    "ear_right": (0.335, 0.175, 0.655, 0.335),
    "mouth": (0.665, 0.235, 0.855, 0.435),
    "tongue": (0.865, 0.305, 0.995, 0.435),
    "gums_upper": (0.005, 0.095, 0.325, 0.165),
    "gums_lower": (0.335, 0.095, 0.655, 0.165),
    "eyeball_left": (0.665, 0.095, 0.795, 0.225),
    "eyeball_right": (0.805, 0.095, 0.935, 0.225),
    "cornea_left": (0.865, 0.235, 0.925, 0.295),
    "cornea_right": (0.935, 0.235, 0.995, 0.295),
    "teeth": (0.005, 0.005, 0.655, 0.085),
}

FACE_AXIS = np.array([0.0, -1.0, -0.12]) / np.linalg.norm([0.0, -1.0, -0.12])
SCALP_AXIS = np.array([0.0, 0.55, 0.835]) / np.linalg.norm([0.0, 0.55, 0.835])


def _lambert_azimuthal(directions: np.ndarray, axis: np.ndarray, up: np.ndarray) -> np.ndarray:
    """Equal-area azimuthal projection of unit ``directions`` ``[N, 3]`` about ``axis``; radius 2 = antipode."""
    right = np.cross(up, axis)
    right /= np.linalg.norm(right)
    true_up = np.cross(axis, right)
    cosang = np.clip(directions @ axis, -1.0, 1.0)
    k = np.sqrt(2.0 / np.maximum(1.0 + cosang, 1e-9))
    return np.stack([k * (directions @ right), k * (directions @ true_up)], axis=-1)


def direction_to_face_chart(directions: np.ndarray) -> np.ndarray:
    """Radial directions ``[N, 3]`` -> face chart coords ``[N, 2]``, unnormalised.

    Laid out like a photo of the face: u grows toward the subject's left (+X), v upward."""
    return _lambert_azimuthal(directions, FACE_AXIS, np.array([0.0, 0.0, 1.0]))


def direction_to_scalp_chart(directions: np.ndarray) -> np.ndarray:
    """Radial directions ``[N, 3]`` -> scalp chart coords ``[N, 2]`` (seen from behind-above), unnormalised."""
    return _lambert_azimuthal(directions, SCALP_AXIS, np.array([0.0, -0.835, 0.55]))


NECK_U_PER_RAD = 0.058  # neck chart u per radian around the neck (about the neck radius, in m)


def point_to_neck_chart(points: np.ndarray) -> np.ndarray:
    """Neck points ``[N, 3]`` -> (u = angle around the neck axis * radius, seam at the back; v = height) (m)."""
    cy = shape.NECK_CENTRE_Y + 0.05 * shape.NECK_TILT + shape.NECK_TILT * points[:, 2]
    ang = np.arctan2(points[:, 0], -(points[:, 1] - cy))
    return np.stack([ang * NECK_U_PER_RAD, points[:, 2]], axis=-1)


def fit_to_slot(uv: np.ndarray, slot: str, margin: float = 0.004, bounds: np.ndarray | None = None) -> np.ndarray:
    """Scale ``uv`` ``[..., 2]`` uniformly and centre it inside ``SLOTS[slot]`` (minus a margin)."""
    u0, v0, u1, v1 = SLOTS[slot]
    lo, hi = (uv.reshape(-1, 2).min(0), uv.reshape(-1, 2).max(0)) if bounds is None else bounds
    size = np.maximum(hi - lo, 1e-12)
    scale = min((u1 - u0 - 2 * margin) / size[0], (v1 - v0 - 2 * margin) / size[1])
    centre_in = 0.5 * (lo + hi)
    centre_out = np.array([0.5 * (u0 + u1), 0.5 * (v0 + v1)])
    return (uv - centre_in) * scale + centre_out


def pack_grid(n: int, slot: str, cols: int) -> list[tuple[float, float, float, float]]:
    """Split a slot into ``n`` square cells (``cols`` per row); returns cell rectangles."""
    u0, v0, u1, v1 = SLOTS[slot]
    rows = int(np.ceil(n / cols))
    size = min((u1 - u0) / cols, (v1 - v0) / rows)
    return [(u0 + (i % cols) * size, v0 + (i // cols) * size, u0 + (i % cols + 1) * size, v0 + (i // cols + 1) * size)
            for i in range(n)]


def fit_to_rect(uv: np.ndarray, rect, margin: float = 0.002) -> np.ndarray:
    u0, v0, u1, v1 = rect
    lo, hi = uv.min(0), uv.max(0)
    size = np.maximum(hi - lo, 1e-12)
    scale = min((u1 - u0 - 2 * margin) / size[0], (v1 - v0 - 2 * margin) / size[1])
    return (uv - 0.5 * (lo + hi)) * scale + np.array([0.5 * (u0 + u1), 0.5 * (v0 + v1)])
