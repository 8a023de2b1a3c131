"""Every camera-frame conversion of the project, in one place (numpy only).

Frames:
- **OpenCV** camera (what ``cameras.json`` stores): x right, y down, z forward (looking direction).
- **OpenGL / Blender / nerfstudio** camera: x right, y up, z backward (camera looks along -z).
- World: Blender's, right-handed, Z up, metres.

``w2c`` is a 4x4 world-to-camera matrix, ``c2w`` its inverse. ``K`` is the 3x3 pinhole matrix in
pixels with the principal point measured from the top-left image corner (pixel centres at +0.5).
"""

from __future__ import annotations

import numpy as np

# Flip between OpenCV and OpenGL camera axes (y and z negated); its own inverse.
_CV_GL_FLIP = np.diag([1.0, -1.0, -1.0, 1.0])


def opencv_w2c_to_opengl_c2w(w2c: np.ndarray) -> np.ndarray:
    """``[..., 4, 4]`` OpenCV world-to-camera -> OpenGL (Blender, nerfstudio) camera-to-world."""
    return np.linalg.inv(w2c) @ _CV_GL_FLIP


def look_at_opencv_w2c(eye, target, up=(0.0, 0.0, 1.0)) -> np.ndarray:
    """OpenCV world-to-camera ``[4, 4]`` for a camera at ``eye`` (m) looking at ``target`` (m).

    ``up`` is the world direction that appears up in the image (default world +Z).
    """
    eye, target, up = (np.asarray(v, dtype=np.float64) for v in (eye, target, up))
    z = target - eye
    z /= np.linalg.norm(z)
    x = np.cross(z, up)
    if np.linalg.norm(x) < 1e-9:  # looking straight along up: pick any perpendicular
        x = np.cross(z, [1.0, 0.0, 0.0] if abs(z[0]) < 0.9 else [0.0, 1.0, 0.0])
    x /= np.linalg.norm(x)
    y = np.cross(z, x)  # image down
    w2c = np.eye(4)
    w2c[:3, :3] = np.stack([x, y, z])
    w2c[:3, 3] = -w2c[:3, :3] @ eye
    return w2c


def intrinsics_from_focal_mm(focal_mm: float, sensor_width_mm: float, width: int, height: int) -> np.ndarray:
    """Pinhole ``K`` ``[3, 3]`` for a Blender camera with horizontal sensor fit and square pixels."""
    f = focal_mm / sensor_width_mm * width
    return np.array([[f, 0.0, width / 2.0], [0.0, f, height / 2.0], [0.0, 0.0, 1.0]])


def intrinsics_from_fov(fov_x_deg: float, width: int, height: int) -> np.ndarray:
    """Pinhole ``K`` ``[3, 3]`` from a horizontal field of view in degrees, centred principal point."""
    f = 0.5 * width / np.tan(np.radians(fov_x_deg) / 2.0)
    return np.array([[f, 0.0, width / 2.0], [0.0, f, height / 2.0], [0.0, 0.0, 1.0]])
