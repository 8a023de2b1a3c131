"""Strand containers and polyline helpers (resampling, frames, radii).

A ``Strands`` group holds ``S`` polylines of ``P`` points each, in metres, world frame (Blender,
Z up). Point 0 is the root, on (or a hair's width above) the skin.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import AssetInputError


@dataclass
class Strands:
    """A group of hair strands.

    Attributes:
        name: group name ('hair', 'beard', 'brows', 'lashes').
        points: (S, P, 3) float32 polyline points in metres; points[:, 0] is the root.
        radius: (S, P) float32 fibre radius in metres (tapers towards the tip).
        root_normal: (S, 3) float32 unit surface normal at each root.
        melanin: (S,) float32 per-strand Principled Hair 'Melanin' (grey strands lower).
        params: JSON-serialisable description (style name, lengths, ...).
    """

    name: str
    points: np.ndarray
    radius: np.ndarray
    root_normal: np.ndarray
    melanin: np.ndarray
    params: dict = field(default_factory=dict)

    def __post_init__(self):
        p = self.points
        if p.ndim != 3 or p.shape[2] != 3:
            raise AssetInputError(f"Strands.points: expected (S, P, 3), got {p.shape}")
        s, n = p.shape[:2]
        if self.radius.shape != (s, n) or self.root_normal.shape != (s, 3) or self.melanin.shape != (s,):
            raise AssetInputError(f"Strands '{self.name}': radius {self.radius.shape}, root_normal "
                                  f"{self.root_normal.shape}, melanin {self.melanin.shape} do not match points "
                                  f"{p.shape}")

    @property
    def roots(self) -> np.ndarray:
        """(S, 3) root positions (m)."""
        return self.points[:, 0]

    @property
    def count(self) -> int:
        return int(self.points.shape[0])

    def lengths(self) -> np.ndarray:
        """(S,) polyline lengths in metres."""
        return polyline_lengths(self.points)

    @classmethod
    def empty(cls, name: str, n_points: int = 2, params: dict | None = None) -> Strands:
        """A group with no strands (e.g. the 'bald' style)."""
        return cls(name, np.zeros((0, n_points, 3), np.float32), np.zeros((0, n_points), np.float32),
                   np.zeros((0, 3), np.float32), np.zeros(0, np.float32), dict(params or {}))

    def arrays(self, prefix: str = "") -> dict[str, np.ndarray]:
        """The arrays as a flat dict (for ``np.savez``), keys prefixed with ``prefix``."""
        return {f"{prefix}points": self.points, f"{prefix}radius": self.radius,
                f"{prefix}root_normal": self.root_normal, f"{prefix}melanin": self.melanin}


def polyline_lengths(points: np.ndarray) -> np.ndarray:
    """(S,) lengths of polylines (S, P, 3)."""
    if points.shape[0] == 0:
        return np.zeros(0)
    return np.linalg.norm(np.diff(points, axis=1), axis=2).sum(1)


def resample(points: np.ndarray, n_points: int, fraction: np.ndarray | None = None) -> np.ndarray:
    """Resample polylines (S, K, 3) to ``n_points`` points evenly spaced in arc length.

    ``fraction`` (S,) in (0, 1] keeps only that leading share of each strand (shorter strands).
    """
    s, k = points.shape[:2]
    seg = np.linalg.norm(np.diff(points, axis=1), axis=2)
    cum = np.concatenate([np.zeros((s, 1)), np.cumsum(seg, axis=1)], axis=1)
    total = np.maximum(cum[:, -1], 1e-12)
    frac = np.ones(s) if fraction is None else np.clip(fraction, 1e-3, 1.0)
    target = np.linspace(0.0, 1.0, n_points)[None, :] * (total * frac)[:, None]
    # One searchsorted over all rows: shifting row r by r * span keeps the flattened array sorted.
    span = float(total.max()) * 2.0 + 1.0
    shift = (np.arange(s) * span)[:, None]
    flat = (cum + shift).ravel()
    j = np.searchsorted(flat, (target + shift).ravel(), side="right").reshape(s, n_points) - 1
    j = np.clip(j - np.arange(s)[:, None] * k, 0, k - 2)
    rows = np.arange(s)[:, None]
    c0 = cum[rows, j]
    c1 = cum[rows, j + 1]
    t = np.clip((target - c0) / np.maximum(c1 - c0, 1e-12), 0, 1)[..., None]
    return points[rows, j] * (1 - t) + points[rows, j + 1] * t


def tangents(points: np.ndarray) -> np.ndarray:
    """Unit tangents (S, P, 3) of polylines (central differences, one-sided at the ends)."""
    d = np.gradient(points, axis=1)
    return d / np.maximum(np.linalg.norm(d, axis=2, keepdims=True), 1e-12)


def transport_frames(points: np.ndarray, first_normal: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rotation-minimising frames (T, N, B), each (S, P, 3), along polylines.

    ``first_normal`` (S, 3) seeds N at the root (made orthogonal to the first tangent). Frames are
    propagated by the double-reflection method, one point at a time, vectorised over strands.
    """
    t = tangents(points)
    s, p = points.shape[:2]
    n = np.empty_like(points)
    n0 = first_normal - t[:, 0] * np.einsum("ij,ij->i", first_normal, t[:, 0])[:, None]
    fallback = np.cross(t[:, 0], np.array([0.0, 0.0, 1.0]))
    bad = np.linalg.norm(n0, axis=1) < 1e-6
    n0[bad] = fallback[bad] + 1e-3
    n[:, 0] = n0 / np.linalg.norm(n0, axis=1, keepdims=True)
    for i in range(p - 1):
        v1 = points[:, i + 1] - points[:, i]
        c1 = np.maximum(np.einsum("ij,ij->i", v1, v1), 1e-20)[:, None]
        rl = n[:, i] - (2 / c1) * np.einsum("ij,ij->i", v1, n[:, i])[:, None] * v1
        tl = t[:, i] - (2 / c1) * np.einsum("ij,ij->i", v1, t[:, i])[:, None] * v1
        v2 = t[:, i + 1] - tl
        c2 = np.maximum(np.einsum("ij,ij->i", v2, v2), 1e-20)[:, None]
        nn = rl - (2 / c2) * np.einsum("ij,ij->i", v2, rl)[:, None] * v2
        n[:, i + 1] = nn / np.maximum(np.linalg.norm(nn, axis=1, keepdims=True), 1e-12)
    b = np.cross(t, n)
    return t, n, b


def taper_radius(n_strands: int, n_points: int, root_radius: float, tip_fraction: float = 0.25,
                 taper_start: float = 0.7) -> np.ndarray:
    """Per-point radii (S, P) float32: constant up to ``taper_start`` of the length, then linear to the tip."""
    u = np.linspace(0.0, 1.0, n_points)
    prof = 1.0 - (1.0 - tip_fraction) * np.clip((u - taper_start) / max(1 - taper_start, 1e-6), 0, 1)
    return np.broadcast_to((root_radius * prof).astype(np.float32), (n_strands, n_points)).copy()


def concatenate(groups: list[Strands], name: str) -> Strands:
    """Join groups with the same point count into one (params of the first kept)."""
    groups = [g for g in groups if g.count]
    if not groups:
        return Strands.empty(name)
    if len({g.points.shape[1] for g in groups}) != 1:
        raise AssetInputError("concatenate: strand groups have different point counts; resample first")
    return Strands(name, np.concatenate([g.points for g in groups]), np.concatenate([g.radius for g in groups]),
                   np.concatenate([g.root_normal for g in groups]), np.concatenate([g.melanin for g in groups]),
                   dict(groups[0].params))
