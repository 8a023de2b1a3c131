"""``HeadSurface``: the plain arrays the hair and proxy code needs from a head, in one checked bundle.

It is built from arrays (``HeadSurface(...)``), so the asset code does not depend on the head
model's internals; ``head_adapter.surface_from_model`` fills it from ``synthetic.head``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .anatomy import Landmarks
from .collision import BodyProxy, CollisionField, FaceKeepOut
from .errors import AssetInputError, as_faces, as_points, as_weights
from .sdf import MeshSDF, vertex_normals


@dataclass
class HeadSurface:
    """A neutral (or posed) head mesh with region weights, landmarks and an optional neck base.

    Attributes:
        vertices: (V, 3) metres, world frame (Blender: Z up, face along -Y).
        faces: (F, 3) int vertex indices, counter-clockwise seen from outside.
        regions: name -> (V,) weights in [0, 1]; 'scalp' is where head hair grows, 'face' and
            'neck' where beards may grow, 'lips' is excluded from beards.
        landmarks: eye centres, nose tip, mouth, chin (m).
        normals: (V, 3) outward unit normals (computed from the faces when None).
        neck_base: (3,) centre of the neck cut (m); when given, a body proxy is placed below it.
        sdf_voxel: voxel size (m) of the signed-distance grid used for collisions.
    """

    vertices: np.ndarray
    faces: np.ndarray
    regions: dict
    landmarks: Landmarks
    normals: np.ndarray | None = None
    neck_base: np.ndarray | None = None
    sdf_voxel: float = 0.004
    _sdf: MeshSDF | None = field(default=None, repr=False)

    def __post_init__(self):
        self.vertices = as_points("vertices", self.vertices)
        self.faces = as_faces("faces", self.faces, len(self.vertices))
        if self.normals is None:
            self.normals = vertex_normals(self.vertices, self.faces)
        else:
            self.normals = as_points("normals", self.normals)
            if len(self.normals) != len(self.vertices):
                raise AssetInputError(f"normals: expected {len(self.vertices)} rows, got {len(self.normals)}")
        if not isinstance(self.regions, dict) or "scalp" not in self.regions:
            raise AssetInputError("regions: expected a dict of per-vertex weights with at least 'scalp'")
        self.regions = {k: as_weights(f"regions[{k!r}]", v, len(self.vertices)) for k, v in self.regions.items()}
        if not isinstance(self.landmarks, Landmarks):
            raise AssetInputError(f"landmarks: expected synthetic.assets.anatomy.Landmarks, got {type(self.landmarks)}")
        if self.neck_base is not None:
            self.neck_base = np.asarray(self.neck_base, float).reshape(3)

    def region(self, name: str) -> np.ndarray:
        """(V,) weights of a region (zeros when the head has no such region)."""
        return self.regions.get(name, np.zeros(len(self.vertices)))

    @property
    def local(self) -> np.ndarray:
        """(V, 3) vertex positions in the landmarks' local frame (scaled mm)."""
        return self.landmarks.to_local(self.vertices)

    @property
    def sdf(self) -> MeshSDF:
        """The head's signed-distance grid (built once, ~0.5 s)."""
        if self._sdf is None:
            self._sdf = MeshSDF.build(self.vertices, self.faces, self.normals, voxel=self.sdf_voxel)
        return self._sdf

    def collision(self, body: bool = True, keep_out: bool = False) -> CollisionField:
        """Collision field of the head, plus the body proxy (if ``neck_base`` is known) and the face keep-out."""
        proxy = BodyProxy.below_neck(self.neck_base, self.landmarks.scale) if body and self.neck_base is not None \
            else None
        return CollisionField(self.sdf, proxy, FaceKeepOut(self.landmarks) if keep_out else None)
