"""Test helpers: a tiny stand-in head model (an ellipsoid) and a tiny dataset written with the real
writer, whose images are the head mesh rasterised with the back-projection rasteriser (alpha =
coverage), so the model's landmarks fall inside the masks.

``TinyHead`` offers exactly the members of ``synthetic.head.model.HeadModel`` that the dataset
checks use (``n_shape``, ``faces``, ``landmark_faces``, ``vertices``, ``landmarks``,
``fingerprint``, ``matches``, ``mismatch``), so these tests do not depend on how the full model file is laid out.
"""

from __future__ import annotations

import hashlib

import numpy as np

from synthetic.backproject import rasterize_triangles
from synthetic.dataset import DatasetSettings, DatasetWriter
from synthetic.dataset.landmarks import project_frame
from synthetic.rig import RigSettings, build_rig, project_points

CENTRE = np.array([0.0, -0.02, 0.03])
RADII = np.array([0.075, 0.095, 0.11])


def _rodrigues(aa):
    theta = np.linalg.norm(aa)
    if theta < 1e-12:
        return np.eye(3)
    k = np.asarray(aa) / theta
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(theta) * kx + (1 - np.cos(theta)) * kx @ kx


class TinyHead:
    """Ellipsoid head: 2 shape components (m), 2 expressions, pose ``[5, 3]`` (joint 1 = head turns the mesh
    about the origin), 12 landmarks on the face side."""

    n_joints = 5

    def __init__(self, size_std=0.01, n_lat=12, n_lon=20):
        th = np.linspace(0.0, np.pi, n_lat + 1)
        ph = np.linspace(0.0, 2.0 * np.pi, n_lon + 1)
        t, p = np.meshgrid(th, ph, indexing="ij")
        unit = np.stack([np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)], -1).reshape(-1, 3)
        idx = np.arange((n_lat + 1) * (n_lon + 1)).reshape(n_lat + 1, n_lon + 1)
        a, b, c, d = idx[:-1, :-1], idx[:-1, 1:], idx[1:, :-1], idx[1:, 1:]
        self.faces = np.concatenate([np.stack([a, c, b], -1).reshape(-1, 3), np.stack([b, c, d], -1).reshape(-1, 3)])
        self.uv_coords = np.stack([p / (2 * np.pi), 1.0 - t / np.pi], -1).reshape(-1, 2)
        self.template = CENTRE + unit * RADII
        self.shape_basis = np.stack([unit.ravel() / np.linalg.norm(unit), np.tile([0, 0, 1.0], len(unit))], 1)
        self.shape_basis[:, 1] /= np.linalg.norm(self.shape_basis[:, 1])
        self.expression_basis = np.stack([np.zeros(unit.size), (unit * [0.01, 0, 0]).ravel()], 1)
        self.shape_std = np.array([size_std, 0.005])
        tri = self.template[self.faces]
        fn = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
        area = np.linalg.norm(fn, axis=1)
        front = np.nonzero((area > 1e-6) & (fn[:, 1] < -0.5 * area))[0]  # faces looking toward -Y
        rng = np.random.default_rng(5)
        self.landmark_faces = rng.choice(front, 12, replace=False)
        self.landmark_barycentric = rng.dirichlet([2.0, 2.0, 2.0], 12)
        self.landmark_mediapipe = np.arange(12)

    @property
    def n_shape(self):
        return 2

    def fingerprint(self):
        h = hashlib.sha256()
        for arr in (self.template, self.faces, self.shape_basis, self.shape_std, self.landmark_faces):
            h.update(np.ascontiguousarray(arr).tobytes())
        return h.hexdigest()

    def landmark_fingerprint(self):
        return hashlib.sha256(np.ascontiguousarray(self.landmark_barycentric).tobytes()).hexdigest()

    def matches(self, fingerprint):
        return fingerprint == self.fingerprint()

    def mismatch(self, fingerprint, source, made="rendered", redo="re-render it"):
        return f"{source}: {made} with another head model (fingerprint {str(fingerprint)[:12]})"

    def sample_shape(self, rng, sex=None, age=None):
        return rng.standard_normal(2) * self.shape_std

    def vertices(self, shape=None, expression=None, pose=None):
        v = self.template.ravel().copy()
        if shape is not None:
            v += self.shape_basis @ np.asarray(shape, float)
        if expression is not None:
            v += self.expression_basis @ np.asarray(expression, float)
        v = v.reshape(-1, 3)
        if pose is not None:
            pose = np.asarray(pose, float)
            if pose.shape != (self.n_joints, 3):
                raise ValueError(f"pose: expected ({self.n_joints}, 3), got {pose.shape}")
            v = v @ _rodrigues(pose[1]).T
        return v

    def landmarks(self, vertices=None):
        v = self.template if vertices is None else vertices
        return np.einsum("lk,lkc->lc", self.landmark_barycentric, v[self.faces[self.landmark_faces]])


TINY_RIG = RigSettings(width=64, height=48)


def render_rgba(model: TinyHead, verts: np.ndarray, cam) -> np.ndarray:
    """uint8 ``[H, W, 4]``: flat grey-ish shading where the mesh covers the pixel, alpha = coverage."""
    xy, z = project_points(verts, cam.K, cam.w2c)
    face, _, _ = rasterize_triangles(xy[model.faces], cam.width, cam.height, z[model.faces])
    img = np.zeros((cam.height, cam.width, 4), np.uint8)
    hit = face >= 0
    img[hit] = [200, 160, 140, 255]
    return img


def write_tiny_dataset(root, model: TinyHead, n_identities=1, n_frames=2, complete=True, landmarks=True):
    """A real dataset on disk (writer API), with images rendered from the head model and, when
    ``landmarks``, per-view landmarks."""
    settings = DatasetSettings(n_identities=n_identities, frames_per_identity=n_frames, seed_base=7,
                               head_model_fingerprint=model.fingerprint(), rig=TINY_RIG,
                               generator={"renderer": "numpy test raster"}, landmarks=landmarks,
                               landmark_fingerprint=model.landmark_fingerprint() if landmarks else None)
    ds = DatasetWriter(root, settings)
    for index in range(n_identities):
        w = ds.identity(index)
        rng = np.random.default_rng(w.seed)
        shape = model.sample_shape(rng)
        cams = build_rig(TINY_RIG, rng)
        w.write_identity({"shape": shape, "hair": "none"})
        w.write_cameras(cams)
        w.write_texture("albedo.png", np.full((16, 16, 3), 0.5))
        w.write_texture("backprojected.png", np.full((16, 16, 3), 0.4))
        w.write_texture("backprojected_mask.png", np.ones((16, 16), bool))
        for f in range(n_frames):
            expression = np.array([0.3 * f, 0.5])
            pose = np.zeros((5, 3))
            pose[1] = [0.05 * f, 0.1, 0.0]
            verts = model.vertices(shape, expression, pose)
            images = {c.name: render_rgba(model, verts, c) for c in cams}
            w.write_frame(f, expression, pose, gaze=[0.0, 0.0], images=images)
            if landmarks:
                w.write_landmarks(f, project_frame(model.landmarks(verts), model.landmark_mediapipe, verts,
                                                   model.faces, cams))
        if complete:
            w.finish()
    return ds
