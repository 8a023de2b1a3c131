"""Vertex normals of a triangle mesh (numpy only): used by the head model and by its offline build."""

from __future__ import annotations

import numpy as np


def vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Area-weighted unit vertex normals ``[..., V, 3]`` of a triangle mesh ``faces`` ``[F, 3]``."""
    v = np.asarray(vertices, dtype=np.float64)
    flat = v.reshape(-1, v.shape[-2], 3)
    n_b, n_v = flat.shape[:2]
    tri = flat[:, faces, :]
    fn = np.cross(tri[:, :, 1] - tri[:, :, 0], tri[:, :, 2] - tri[:, :, 0])  # [B, F, 3], |fn| = 2 area
    offsets = (np.arange(n_b) * n_v)[:, None]
    n = np.zeros((n_b * n_v, 3))
    for k in range(3):
        idx = (offsets + faces[None, :, k]).ravel()
        for c in range(3):
            n[:, c] += np.bincount(idx, weights=fn[..., c].ravel(), minlength=n_b * n_v)
    n /= np.maximum(np.linalg.norm(n, axis=-1, keepdims=True), 1e-20)
    return n.reshape(v.shape)
