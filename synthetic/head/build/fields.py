"""Smooth deformation-field helpers shared by the identity and expression builders (numpy).

A field is a displacement ``[V, 3]`` in metres over all template vertices. Weights are smooth
(Gaussian or smoothstep) functions of template positions (m, model frame). Rigid parts
(eyeballs, corneas, teeth) are made to move rigidly afterwards by :func:`rigidify`.
"""

from __future__ import annotations

import numpy as np

MIRROR = np.array([-1.0, 1.0, 1.0])


def smoothstep(e0: float, e1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def gauss(points: np.ndarray, centre, radii) -> np.ndarray:
    """Anisotropic Gaussian weight ``[N]`` (1 at ``centre``; ``radii`` in m per axis)."""
    q = (points - np.asarray(centre)) / np.asarray(radii)
    return np.exp(-np.sum(q * q, axis=-1))


def gauss_pair(points: np.ndarray, centre, radii) -> np.ndarray:
    """Gaussian at ``centre`` (subject's left) plus its mirror image."""
    return gauss(points, centre, radii) + gauss(points, np.asarray(centre) * MIRROR, radii)


def mirrored_vector(points: np.ndarray, vec) -> np.ndarray:
    """Per-point direction ``vec`` given for the left side (+X); mirrored in x on the right side."""
    v = np.broadcast_to(np.asarray(vec, float), points.shape).copy()
    v[:, 0] *= np.where(points[:, 0] < 0, -1.0, 1.0)
    return v


def scale_about(points: np.ndarray, centre, factors, weight: np.ndarray) -> np.ndarray:
    """Displacement of scaling by ``factors`` (fractions, e.g. 0.04 = +4 %) about ``centre``, weighted."""
    return (points - np.asarray(centre)) * np.asarray(factors) * weight[:, None]


def rigidify(disp: np.ndarray, groups: list[np.ndarray], anchors: list[np.ndarray]) -> np.ndarray:
    """Make each vertex group move by one translation: the mean displacement of its anchor vertices."""
    out = disp.copy()
    for g, a in zip(groups, anchors):
        out[g] = disp[a].mean(axis=0)
    return out
