"""Named regions of the head model and a pure-numpy UV rasteriser for per-texel masks.

Every face of the model carries one fine region label (``HeadModel.region_names``); the groups
below name unions of them. UV convention: (0, 0) is the bottom-left of the texture (Blender).
Images returned here are in the usual array order, row 0 = TOP row, so texel ``(row, col)``
has its centre at ``u = (col + 0.5) / W``, ``v = 1 - (row + 0.5) / H`` (:func:`texel_centre_uv`).
"""

from __future__ import annotations

import numpy as np

from ..raster import rasterize_triangles

#: Fine labels, in the order the build stores them.
REGION_NAMES = (
    "face",  # facial skin incl. eyelids, nose, cheeks, forehead, chin, jaw
    "lips",  # red of the lips (vermilion), outside part
    "scalp",  # skin of the cranium that hair grows on or could grow on
    "ears",
    "neck",
    "sclera",
    "iris",
    "pupil",
    "cornea",  # transparent dome over iris and pupil
    "mouth_bag",  # inner lips and the walls of the mouth cavity
    "teeth",
    "gums",
    "tongue",
)

#: Region groups: a name that stands for several fine labels.
GROUPS = {
    "skin": ("face", "lips", "scalp", "ears", "neck"),
    "eyes": ("sclera", "iris", "pupil", "cornea"),
    "eyeballs": ("sclera", "iris", "pupil"),
    "mouth_interior": ("mouth_bag", "teeth", "gums", "tongue"),
}


def texel_centre_uv(resolution: int) -> tuple[np.ndarray, np.ndarray]:
    """UV of texel centres: ``u`` ``[W]`` per column and ``v`` ``[H]`` per row (row 0 = top, v near 1)."""
    c = (np.arange(resolution) + 0.5) / resolution
    return c, 1.0 - c


def uv_to_pixel(uv: np.ndarray, resolution: int) -> np.ndarray:
    """UV ``[..., 2]`` ((0,0) bottom-left) -> continuous pixel coords ``[..., 2]`` (x right, y down)."""
    uv = np.asarray(uv, dtype=np.float64)
    return np.stack([uv[..., 0] * resolution, (1.0 - uv[..., 1]) * resolution], axis=-1)


def rasterize_uv_faces(face_uvs: np.ndarray, resolution: int, return_counts: bool = False, tol: float = 0.0):
    """Rasterise UV triangles: which face covers each texel centre.

    Args:
        face_uvs: ``[F, 3, 2]`` per-corner UVs.
        resolution: texture size (square), texels.
        return_counts: also return ``[H, W]`` how many faces cover each texel centre.
        tol: a texel centre counts as inside when every barycentric coordinate is ``>= -tol``
            (``tol < 0`` makes the test strict, so shared edges are not counted twice).

    Returns:
        ``[H, W]`` int64 face index per texel (-1 empty; the last covering face wins), row 0 on top;
        and the counts when asked.
    """
    out = rasterize_triangles(uv_to_pixel(face_uvs, resolution), resolution, resolution, tol=tol,
                              return_counts=return_counts)
    return (out[0], out[3]) if return_counts else out[0]
