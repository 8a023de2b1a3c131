"""Teachers: whatever produces per-expression canonical Gaussians that a GEM distils.

A teacher is any object with ``n_expression`` and ``canonical(expression) -> dict`` (the
:class:`Teacher` protocol), as ``backend.avatar.Avatar`` provides. :class:`MeshTeacher` is a self-contained
teacher built from the numpy head model (Gaussians on the mesh surface, flattened along the face normal,
stretched with the skin), used in tests, in the benchmark and whenever no trained avatar is at hand.

Canonical Gaussians (all torch, float32, head-canonical frame = the head model's frame, metres):

- ``means``     ``[B, N, 3]`` m
- ``quats``     ``[B, N, 4]`` w-x-y-z
- ``scales``    ``[B, N, 3]`` m (standard deviations)
- ``opacities`` ``[B, N]`` in (0, 1)
- ``sh``        ``[B, N, K, 3]`` SH colour coefficients
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import torch
from jaxtyping import Float
from torch import Tensor

from backend.prior.lbs_torch import matrix_to_quaternion
from backend.splat.gaussians import rgb_to_sh_dc
from synthetic.errors import UserInputError

REGION_COLOURS = {
    "face": (0.86, 0.66, 0.55), "lips": (0.72, 0.32, 0.33), "scalp": (0.22, 0.15, 0.10),
    "ears": (0.82, 0.60, 0.50), "neck": (0.78, 0.57, 0.47), "sclera": (0.93, 0.92, 0.90),
    "iris": (0.25, 0.40, 0.55), "pupil": (0.03, 0.03, 0.03), "mouth_bag": (0.35, 0.08, 0.10),
    "teeth": (0.92, 0.90, 0.82), "gums": (0.80, 0.45, 0.45), "tongue": (0.75, 0.35, 0.38),
}  # fmt: skip
"""Display colours of the head model's regions (sRGB in [0, 1]); the cornea is left out (transparent)."""


@runtime_checkable
class Teacher(Protocol):
    """What distillation needs from a teacher (``backend.avatar.Avatar`` satisfies it)."""

    n_expression: int

    def canonical(self, expression: Float[Tensor, "B E"]) -> dict[str, Tensor]:
        """Canonical Gaussians for ``B`` expression codes (see the module docstring)."""
        ...


def gaussian_count_for_map(map_size: int) -> int:
    """Gaussians a UV map of ``map_size``² holds for the mesh teacher: half the texels (GEM's 256² -> ~60k
    active Gaussians is ~0.9; the mesh teacher is sparser to stay cheap on a CPU)."""
    return max(64, int(round(0.5 * map_size * map_size)))


class MeshTeacher:
    """Gaussians on the head-model surface of one identity; expression moves, turns and stretches them.

    Each Gaussian sits at a fixed barycentric point of a mesh triangle (chosen once, area-weighted), is
    rotated into the triangle's tangent frame (tangent = first edge, normal = face normal), has in-plane
    standard deviations that follow the triangle's size (``sqrt(area)``, so stretching skin stretches the
    Gaussian: a non-linear function of the expression) and a thickness of 20 % of that. Opacity drops a
    little where skin is stretched. Colours are the region colours times a baked head-light term (fixed,
    as a GEM needs). Position is linear in the mesh (the head model is linear plus jaw skinning); rotation,
    scale and opacity are not, so PCA is not exact.

    On top, "wrinkles" move each Gaussian along its normal by ``detail_m * (tanh(2 s) + tanh(2 s)^2) / 2`` with
    ``s = e . P_i`` for a smooth random field ``P`` ``[E, N]`` (sines of position): a non-linear function of
    the expression that a few principal components cannot capture exactly, as with a CNN teacher.

    Args:
        head: a ``synthetic.head.HeadModel``.
        n_gaussians: number of Gaussians N.
        shape: ``[S]`` identity coefficients (default: the mean head).
        seed: chooses the triangles, barycentric points and the wrinkle field.
        detail_m: wrinkle amplitude in metres (0 turns them off).
    """

    def __init__(self, head, n_gaussians: int = 4096, shape: np.ndarray | None = None, seed: int = 0,
                 detail_m: float = 0.004) -> None:  # fmt: skip
        self.head = head
        self.shape = None if shape is None else np.asarray(shape, dtype=np.float64)
        self.seed = int(seed)
        self.n_expression = int(head.n_expression)
        faces = np.asarray(head.faces)
        regions = np.asarray(head.face_regions)
        keep = regions != head.region_names.index("cornea")
        faces, regions = faces[keep], regions[keep]
        v0 = head.vertices(self.shape)
        area = self._areas(v0[faces])
        rng = np.random.default_rng(seed)
        self.face_index = np.sort(rng.choice(len(faces), size=int(n_gaussians), p=area / area.sum()))
        bary = rng.random((int(n_gaussians), 2))
        flip = bary.sum(1) > 1
        bary[flip] = 1 - bary[flip]
        self.bary = np.column_stack([1 - bary.sum(1), bary])
        self.tris = faces[self.face_index]
        self.base_size = float(np.sqrt(area.sum() / n_gaussians)) * 0.9
        self.rest_area = area[self.face_index]
        colour = np.array([REGION_COLOURS[head.region_names[r]] for r in regions[self.face_index]])
        normals = self._frames(v0[self.tris])[..., 2]
        light = 0.65 + 0.35 * np.clip(normals @ np.array([0.3, -0.8, 0.5]) / np.linalg.norm([0.3, -0.8, 0.5]), 0, 1)
        self.rgb = np.clip(colour * light[:, None], 0, 1)
        self.detail_m = float(detail_m)
        centres = np.einsum("nkc,nk->nc", v0[self.tris], self.bary)
        dirs = rng.normal(size=(16, 3))
        waves = np.sin(centres @ dirs.T * 60.0 + rng.uniform(0, 2 * np.pi, 16))  # [N, 16], ~10 cm wavelength
        self.field = rng.normal(size=(self.n_expression, 16)) @ waves.T / 4.0  # [E, N]

    @property
    def n_gaussians(self) -> int:
        return int(len(self.face_index))

    def resampled(self, map_size: int) -> MeshTeacher:
        """The same identity with the Gaussian count of a ``map_size``² UV map."""
        return MeshTeacher(self.head, gaussian_count_for_map(map_size), self.shape, self.seed, self.detail_m)

    @staticmethod
    def _areas(tri: np.ndarray) -> np.ndarray:
        return 0.5 * np.linalg.norm(np.cross(tri[..., 1, :] - tri[..., 0, :], tri[..., 2, :] - tri[..., 0, :]), axis=-1)

    @staticmethod
    def _frames(tri: np.ndarray) -> np.ndarray:
        """Rotation matrices ``[..., 3, 3]`` with columns tangent, bitangent, normal of triangles ``[..., 3, 3]``."""
        e1 = tri[..., 1, :] - tri[..., 0, :]
        n = np.cross(e1, tri[..., 2, :] - tri[..., 0, :])
        n /= np.maximum(np.linalg.norm(n, axis=-1, keepdims=True), 1e-12)
        t = e1 / np.maximum(np.linalg.norm(e1, axis=-1, keepdims=True), 1e-12)
        return np.stack([t, np.cross(n, t), n], axis=-1)

    def canonical(self, expression: Float[Tensor, "B E"]) -> dict[str, Tensor]:
        """Canonical Gaussians for ``B`` expressions (module docstring); no pose, no global transform."""
        e = torch.as_tensor(expression).detach().cpu().double().numpy()
        if e.ndim != 2 or e.shape[1] != self.n_expression:
            raise ValueError(f"expression must be [B, {self.n_expression}], got {list(e.shape)}")
        verts = self.head.vertices(self.shape, e)  # [B, V, 3]
        tri = verts[:, self.tris]  # [B, N, 3, 3]
        means = np.einsum("bnkc,nk->bnc", tri, self.bary)
        frames = self._frames(tri)
        s = np.tanh(2.0 * e @ self.field)  # [B, N]
        means = means + frames[..., 2] * (self.detail_m * 0.5 * (s + s * s))[..., None]
        rot = torch.as_tensor(frames)
        stretch = np.sqrt(self._areas(tri) / np.maximum(self.rest_area, 1e-12))
        size = self.base_size * stretch
        scales = np.stack([size, 0.8 * size, 0.2 * size], axis=-1)
        opacity = 1.0 / (1.0 + np.exp(-(4.0 - 2.5 * (stretch - 1.0))))
        sh = rgb_to_sh_dc(torch.as_tensor(self.rgb))[None, :, None, :].expand(len(e), -1, -1, -1)
        f = torch.float32
        return {"means": torch.as_tensor(means, dtype=f), "quats": matrix_to_quaternion(rot).to(f),
                "scales": torch.as_tensor(scales, dtype=f), "opacities": torch.as_tensor(opacity, dtype=f),
                "sh": sh.to(f).contiguous()}  # fmt: skip


def load_teacher(path: str | Path | None, head, map_size: int | None = None, n_gaussians: int = 4096):
    """The teacher for ``distill-gem``: an avatar file (``backend.avatar.load_avatar``), or the mesh teacher
    when ``path`` is ``"mesh"`` or ``"mesh:SEED"`` (a random identity of the head model).

    Args:
        path: avatar file, ``mesh`` or ``mesh:SEED``.
        head: ``synthetic.head.HeadModel``.
        map_size: resample the teacher to this UV map size (``avatar.resampled``), or None to keep it.
        n_gaussians: mesh teacher Gaussian count when ``map_size`` is None.
    """
    text = str(path)
    if text == "mesh" or text.startswith("mesh:"):
        seed = int(text.split(":", 1)[1]) if ":" in text else 0
        shape = head.sample_shape(np.random.default_rng(seed)) if seed else None
        n = gaussian_count_for_map(map_size) if map_size else n_gaussians
        return MeshTeacher(head, n, shape, seed)
    if not Path(text).exists():
        raise UserInputError(f"{text}: no such avatar file (or use 'mesh' for the head-model teacher)")
    try:
        from backend.avatar import load_avatar
    except ImportError as exc:
        raise UserInputError(f"{text}: avatars cannot be loaded in this install ({exc}); use 'mesh'") from None
    avatar = load_avatar(text)
    return avatar.resampled(map_size) if map_size else avatar
