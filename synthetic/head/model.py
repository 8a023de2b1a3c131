"""The SynthHeads head model: template + identity basis + expressions + LBS (pure numpy).

Frame and units: metres, Blender world axes (X = subject's left, -Y = where the face looks,
Z up). The origin is the midpoint between the two ear canals (tragion midpoint), which is also
the head joint (the head turns about it). The neck joint sits 10 cm below, at the neck base.

Evaluation, for identity ``shape`` (S,), expression ``expression`` (E,) and ``pose`` (J, 3)::

    v_shaped = template + shape_basis @ shape + expression_basis @ expression
    joints   = joint_regressor @ v_shaped
    rot_j    = rodrigues(pose_j)          (jaw gets + expression @ expression_jaw)
    v_posed  = v_shaped + pose_basis @ features(rot)     (pose correctives: R - I of head and jaw)
    out      = sum_j w_j G_j(rot, joints) v_posed        (LBS)

* Shape coefficients are in metres: the basis vectors are orthonormal as flattened (V*3)
  vectors, so coefficient k is the length of the identity displacement along component k;
  ``shape_std`` gives their standard deviations over the procedural population.
* Expression coefficients are unitless, 0 = neutral, 1 = full action (``expression_ranges``).
  ``jaw_*`` components drive the jaw joint (``expression_jaw`` rad per unit) plus a linear
  corrective, so jaw opening swings along an arc instead of a straight line.
* Pose: per-joint axis-angle in radians, order :attr:`joint_names` =
  ``neck, head, jaw, eye_left, eye_right``; parents ``-1, neck, head, head, head``.

Every batch shape broadcasts: ``shape`` ``[..., S]``, ``expression`` ``[..., E]``, ``pose``
``[..., J, 3]``; outputs are ``[..., V, 3]``. ``None`` means zeros.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from . import lbs, regions, storage
from .normals import vertex_normals


#: sex's share of the masculinity factor (in its standard deviations): men N(+0.8, 0.6^2), women N(-0.8, 0.6^2)
SEX_SHIFT = 0.8
#: ages (years) map onto the age factor as (age - AGE_MEAN) / AGE_SPREAD (the dataset draws 18-80 uniformly)
AGE_MEAN, AGE_SPREAD = 49.0, 18.0
#: how much of the age factor the age in years explains (the rest is how old a face looks for its age)
AGE_SHARE = 0.85


@dataclass
class HeadParams:
    """One sample of model parameters: identity, expression, pose (see :class:`HeadModel`)."""

    shape: np.ndarray
    expression: np.ndarray
    pose: np.ndarray
    seed: int | None = None
    extra: dict = field(default_factory=dict)


class HeadModel:
    """Evaluate the head model. Construct with :meth:`load` (default file) or from arrays."""

    def __init__(self, arrays: dict[str, np.ndarray]):
        self._arrays = arrays
        a = arrays
        self.template = a["v_template"].astype(np.float64)
        self.faces = a["faces"].astype(np.int64)
        self.shape_basis = a["shapedirs"]  # (V, 3, S) float32, orthonormal columns
        self.shape_std = a["shape_std"].astype(np.float64)
        # the population's factor model (absent in models built before generator 4): see sample_shape
        self.shape_factor_names = tuple(str(n) for n in a.get("shape_factor_names", ()))
        self._shape_from_fields = a.get("shape_from_fields")  # (S, P) metres per field standard deviation
        self._field_loadings = a.get("field_loadings")  # (P, F) on shape_factor_names
        self._field_unique = a.get("field_unique")  # (P,)
        self.expression_basis = a["exprdirs"]  # (V, 3, E)
        self.expression_names = tuple(str(n) for n in a["expr_names"])
        self.expression_ranges = a["expr_ranges"].astype(np.float64)
        self.expression_jaw = a["expr_jaw"].astype(np.float64)  # (E, 3) jaw axis-angle per unit
        self.joint_names = tuple(str(n) for n in a["joint_names"])
        self.joint_parents = a["joint_parents"].astype(np.int64)
        self.joint_regressor = a["J_regressor"].astype(np.float64)  # (J, V)
        self.skin_weights = a["weights"].astype(np.float64)  # (V, J)
        self.pose_basis = a["posedirs"]  # (V, 3, P)
        self.corrective_joints = a["corrective_joints"].astype(np.int64)
        self.uv_coords = a["uv_coords"].astype(np.float64)  # (T, 2), (0, 0) bottom-left
        self.uv_faces = a["uv_faces"].astype(np.int64)
        self.region_names = tuple(str(n) for n in a["region_names"])
        self.face_regions = a["face_regions"].astype(np.int64)
        self.symmetry_map = a["symmetry_map"].astype(np.int64)
        self.landmark_mediapipe = a["landmark_mediapipe"].astype(np.int64)
        self.landmark_faces = a["landmark_faces"].astype(np.int64)
        self.landmark_barycentric = a["landmark_bary"].astype(np.float64)
        self.anchor_names = tuple(str(n) for n in a["anchor_names"])
        self.anchor_vertices = a["anchor_vertices"].astype(np.int64)  # (A, K) vertex ids
        self.anchor_weights = a["anchor_weights"].astype(np.float64)  # (A, K), rows sum to 1
        counts = a["part_counts"].astype(np.int64)
        flat = a["part_vertices"].astype(np.int64)
        self.part_names = tuple(str(n) for n in a["part_names"])
        self._parts = dict(zip(self.part_names, np.split(flat, np.cumsum(counts)[:-1])))
        self._shape_flat = self.shape_basis.reshape(-1, self.n_shape)
        self._expr_flat = self.expression_basis.reshape(-1, self.n_expression)
        self._pose_flat = self.pose_basis.reshape(-1, self.pose_basis.shape[-1])

    # ------------------------------------------------------------------ construction
    @classmethod
    def load(cls, path: str | os.PathLike | None = None) -> HeadModel:
        """Load the model file (see :mod:`synthetic.head.storage` for the lookup and the cache); when none is
        packaged or cached, build it (:func:`synthetic.head.build.build_and_cache`, needs scipy) and cache it."""
        try:
            return cls(storage.load_arrays(path))
        except storage.ModelNotBuilt:
            from .build import build_and_cache  # needs scipy: only on a developer or data machine

            return cls(build_and_cache())

    def arrays(self) -> dict[str, np.ndarray]:
        """The raw model arrays (as stored; do not modify)."""
        return dict(self._arrays)

    def fingerprint(self) -> str:
        """sha256 hex digest of the model's geometry (every array but the landmark table): what datasets,
        priors, avatars and fitted shapes record and check."""
        return self._fingerprint

    @cached_property
    def _fingerprint(self) -> str:
        return storage.fingerprint_arrays(self._arrays)

    def matches(self, fingerprint: str | None) -> bool:
        """Whether a file's recorded ``head_model_fingerprint`` is this model's geometry (also in its legacy form,
        :data:`~synthetic.head.storage.LEGACY_FINGERPRINTS`)."""
        legacy = storage.LEGACY_FINGERPRINTS.get(fingerprint)
        return fingerprint is not None and self._fingerprint in (fingerprint, legacy)

    def mismatch(self, fingerprint: str | None, source: str, made: str = "rendered", redo: str = "re-render it") -> str:
        """One line saying that ``source`` (a dataset's or avatar's path) was ``made`` with another head model than this
        one, and what to do about it: for an earlier template generator, ``redo`` it with this checkout or load that
        generator's build."""
        head = (f"{source}: {made} with another head model (fingerprint {str(fingerprint)[:12]}, "
                f"loaded {self._fingerprint[:12]})")
        if not self.supersedes(fingerprint):
            return head
        era = storage.SUPERSEDED_TEMPLATES[storage.geometry_fingerprint(fingerprint)].split(" (")[0]
        return (f"{head}: it is of an earlier template, {era}; {redo} with this checkout, or set {storage.ENV_VAR} to "
                f"a head model built by that generator's checkout")

    def supersedes(self, fingerprint: str | None) -> bool:
        """Whether a file's ``head_model_fingerprint`` is an earlier template that this model replaces
        (:data:`~synthetic.head.storage.SUPERSEDED_TEMPLATES`, also in its legacy form): a prior trained on it
        still runs here. Datasets and avatars need :meth:`matches`."""
        geometry = storage.geometry_fingerprint(fingerprint)
        return geometry in storage.SUPERSEDED_TEMPLATES and geometry != self._fingerprint

    def landmark_fingerprint(self) -> str:
        """sha256 hex digest of the landmark table's arrays (what ``landmarks.json`` depends on besides geometry)."""
        return storage.landmark_fingerprint(self._arrays)

    # ------------------------------------------------------------------ sizes
    @property
    def n_vertices(self) -> int:
        return len(self.template)

    @property
    def n_faces(self) -> int:
        return len(self.faces)

    @property
    def n_shape(self) -> int:
        return self.shape_basis.shape[-1]

    @property
    def n_expression(self) -> int:
        return self.expression_basis.shape[-1]

    @property
    def n_joints(self) -> int:
        return len(self.joint_names)

    @property
    def generator_version(self) -> str:
        return str(self._arrays["generator_version"])

    # ------------------------------------------------------------------ parameter checks
    def _coeffs(self, value, size: int, what: str) -> np.ndarray | None:
        if value is None:
            return None
        arr = np.asarray(value, dtype=np.float64)
        if arr.ndim == 0 or arr.shape[-1] != size:
            raise ValueError(f"{what}: expected shape (..., {size}), got {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{what}: coefficients must be finite")
        return arr

    def _pose(self, value) -> np.ndarray | None:
        if value is None:
            return None
        arr = np.asarray(value, dtype=np.float64)
        if arr.ndim < 2 or arr.shape[-2:] != (self.n_joints, 3):
            raise ValueError(f"pose: expected shape (..., {self.n_joints}, 3) axis-angle per joint, got {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ValueError("pose: axis-angle values must be finite")
        return arr

    def joint_index(self, name: str) -> int:
        try:
            return self.joint_names.index(name)
        except ValueError:
            raise KeyError(f"unknown joint {name!r}; joints are {self.joint_names}") from None

    def expression_index(self, name: str) -> int:
        try:
            return self.expression_names.index(name)
        except ValueError:
            raise KeyError(f"unknown expression {name!r}; see HeadModel.expression_names") from None

    def expression_vector(self, **values: float) -> np.ndarray:
        """Build an expression vector from names, e.g. ``expression_vector(jaw_open=0.6)``."""
        e = np.zeros(self.n_expression)
        for k, v in values.items():
            e[self.expression_index(k)] = v
        return e

    # ------------------------------------------------------------------ evaluation
    def shaped(self, shape=None, expression=None) -> np.ndarray:
        """Rest-pose vertices ``[..., V, 3]`` (m) with identity and expression offsets."""
        s = self._coeffs(shape, self.n_shape, "shape")
        e = self._coeffs(expression, self.n_expression, "expression")
        v = self.template.reshape(-1)
        if s is not None:
            v = v + s @ self._shape_flat.T
        if e is not None:
            v = v + e @ self._expr_flat.T
        return np.asarray(v).reshape(np.shape(v)[:-1] + (self.n_vertices, 3))

    def joints(self, shape=None, expression=None) -> np.ndarray:
        """Rest-pose joint positions ``[..., J, 3]`` (m) for an identity."""
        return np.einsum("jv,...vc->...jc", self.joint_regressor, self.shaped(shape, expression))

    def rotations(self, pose=None, expression=None) -> np.ndarray:
        """Local joint rotations ``[..., J, 3, 3]`` including the jaw part of the expression."""
        p = self._pose(pose)
        e = self._coeffs(expression, self.n_expression, "expression")
        batch = np.broadcast_shapes(p.shape[:-2] if p is not None else (), e.shape[:-1] if e is not None else ())
        aa = np.zeros(batch + (self.n_joints, 3))
        if p is not None:
            aa = aa + p
        if e is not None:
            aa[..., self.joint_index("jaw"), :] += e @ self.expression_jaw
        return lbs.axis_angle_to_matrix(aa)

    def vertices(self, shape=None, expression=None, pose=None, rest_offsets=None) -> np.ndarray:
        """Posed vertices ``[..., V, 3]`` in metres (model frame) for the given coefficients.

        ``rest_offsets`` ``[V, 3]`` (m): per-identity rest-pose changes outside the shape space (the
        identity's teeth, ``synthetic.assets.teeth``), added after the joints are placed and before
        skinning, so they move with their joints (lower teeth with the jaw)."""
        shapes = {k: np.shape(x)[:-2 if k == "pose" else -1] for k, x in
                  (("shape", shape), ("expression", expression), ("pose", pose)) if x is not None}
        try:
            np.broadcast_shapes(*shapes.values())
        except ValueError:
            raise ValueError(f"batch shapes do not broadcast: {shapes}") from None
        v_shaped = self.shaped(shape, expression)
        offsets = None
        if rest_offsets is not None:
            offsets = np.asarray(rest_offsets, dtype=np.float64)
            if offsets.shape != (self.n_vertices, 3):
                raise ValueError(f"rest_offsets: expected ({self.n_vertices}, 3), got {offsets.shape}")
        if pose is None and expression is None:
            return v_shaped if offsets is None else v_shaped + offsets
        rot = self.rotations(pose, expression)
        joints = np.einsum("jv,...vc->...jc", self.joint_regressor, v_shaped)
        feats = lbs.pose_features(rot, self.corrective_joints)
        v_posed = v_shaped + (feats @ self._pose_flat.T).reshape(feats.shape[:-1] + (self.n_vertices, 3))
        if offsets is not None:
            v_posed = v_posed + offsets
        transforms = lbs.forward_kinematics(rot, joints, self.joint_parents)
        return lbs.skin_vertices(v_posed, self.skin_weights, transforms)

    def normals(self, shape=None, expression=None, pose=None, vertices=None) -> np.ndarray:
        """Unit vertex normals ``[..., V, 3]`` (area-weighted face normals), outward."""
        v = self.vertices(shape, expression, pose) if vertices is None else np.asarray(vertices, dtype=np.float64)
        return vertex_normals(v, self.faces)

    def landmarks(self, vertices=None) -> np.ndarray:
        """Mediapipe landmark positions ``[..., L, 3]`` (m); order = :attr:`landmark_mediapipe`."""
        v = self.template if vertices is None else np.asarray(vertices, dtype=np.float64)
        tri = v[..., self.faces[self.landmark_faces], :]  # [..., L, 3, 3]
        return np.einsum("lk,...lkc->...lc", self.landmark_barycentric, tri)

    def anchors(self, vertices=None) -> dict[str, np.ndarray]:
        """Named anatomical points (m): eye centres, nose tip, mouth centre, chin, ... ``[..., 3]`` each."""
        v = self.template if vertices is None else np.asarray(vertices, dtype=np.float64)
        return {n: np.einsum("k,...kc->...c", w, v[..., ids, :])
                for n, ids, w in zip(self.anchor_names, self.anchor_vertices, self.anchor_weights)}

    def ring(self, patch: str, role: str) -> np.ndarray:
        """Vertex ids ``[M]`` of one ring of a structured patch, e.g. ``ring("eye_left", "margin")``
        (upper lid: first half, ``sin t > 0``) or ``ring("mouth", "contact")`` (the closed lip line).
        Patches: ``eye_left``, ``eye_right``, ``mouth``; roles: :meth:`ring_roles`."""
        roles = self.ring_roles(patch)
        if role not in roles:
            raise KeyError(f"patch {patch!r} has no ring {role!r}; rings are {roles}")
        return self._arrays[f"rings_{patch}"][roles.index(role)].astype(np.int64)

    def ring_roles(self, patch: str) -> tuple[str, ...]:
        key = f"ring_roles_{patch}"
        if key not in self._arrays:
            raise KeyError(f"unknown patch {patch!r}; patches are eye_left, eye_right, mouth")
        return tuple(str(r) for r in self._arrays[key])

    def part_vertices(self, name: str) -> np.ndarray:
        """Vertex ids of a mesh part: ``skin``, ``eyeball_left``, ``cornea_right``, ``mouth_bag``,
        ``tooth_upper_left_0`` ... ``tooth_lower_right_5``, ``gums_upper``, ``gums_lower``, ``tongue``,
        ``ear_left``, ``ear_right`` (see :attr:`part_names`)."""
        try:
            return self._parts[name]
        except KeyError:
            raise KeyError(f"unknown part {name!r}; parts are {self.part_names}") from None

    # ------------------------------------------------------------------ sampling
    def sample_shape(self, rng: np.random.Generator, size=None, scale: float = 1.0, sex: str | None = None,
                     age: float | None = None) -> np.ndarray:
        """Identity coefficients ``[*size, S]`` in metres.

        Without ``sex`` and ``age``: ~ N(0, (scale * shape_std)^2), the whole population. With either (and a
        model that carries its population's factor model): a member of the population whose masculinity factor
        fits ``sex`` ("female" / "male": N(-/+ :data:`SEX_SHIFT`, 1 - SEX_SHIFT^2)) and whose age factor fits
        ``age`` in years (:data:`AGE_MEAN`, :data:`AGE_SPREAD`: :data:`AGE_SHARE` of the factor, the rest
        individual), so women get the softer brows, smaller jaws and fuller lips the fields load on, and older
        people longer noses and ears and thinner lips. The other factors are drawn from N(0, 1).
        """
        size = () if size is None else tuple(np.atleast_1d(size))
        if (sex is None and age is None) or self._shape_from_fields is None:
            return rng.standard_normal(size + (self.n_shape,)) * self.shape_std * scale
        factors = rng.standard_normal(size + (len(self.shape_factor_names),))
        if sex is not None:
            if sex not in ("female", "male"):
                raise ValueError(f"sex must be 'female' or 'male', not {sex!r}")
            k = self.shape_factor_names.index("male")
            shift = SEX_SHIFT if sex == "male" else -SEX_SHIFT
            factors[..., k] = shift + np.sqrt(1.0 - SEX_SHIFT**2) * factors[..., k]
        if age is not None:
            k = self.shape_factor_names.index("age")
            z = np.clip((float(age) - AGE_MEAN) / AGE_SPREAD, -2.0, 2.0)
            factors[..., k] = AGE_SHARE * z + np.sqrt(1.0 - AGE_SHARE**2) * factors[..., k]
        unique = rng.standard_normal(size + (len(self._field_unique),)) * self._field_unique
        fields = factors @ self._field_loadings.T.astype(np.float64) + unique
        return fields @ self._shape_from_fields.T.astype(np.float64) * scale

    def sample_expression(self, rng: np.random.Generator, size=None, activity: float = 0.12) -> np.ndarray:
        """Random sparse expressions ``[*size, E]``: each component active with probability
        ``activity``, then inside its range (biased to small values). ``mouth_close`` and
        ``tongue_out`` never exceed ``jaw_open`` (closing or poking through closed lips looks broken)."""
        size = () if size is None else tuple(np.atleast_1d(size))
        lo, hi = self.expression_ranges[:, 0], self.expression_ranges[:, 1]
        active = rng.random(size + (self.n_expression,)) < activity
        values = np.where(active, lo + (hi - lo) * rng.random(size + (self.n_expression,)) ** 1.5, 0.0)
        jaw = values[..., self.expression_index("jaw_open")]
        for name in ("mouth_close", "tongue_out"):
            if name in self.expression_names:
                i = self.expression_index(name)
                values[..., i] = np.minimum(values[..., i], jaw)
        return values

    def sample_pose(self, rng: np.random.Generator, size=None, head_deg: float = 15.0, gaze_deg: float = 12.0):
        """Random natural poses ``[*size, J, 3]``: small neck/head turns, gaze shared by both eyes."""
        size = () if size is None else tuple(np.atleast_1d(size))
        pose = np.zeros(size + (self.n_joints, 3))
        pose[..., self.joint_index("neck"), :] = rng.normal(0, np.radians(head_deg) * 0.4, size + (3,))
        pose[..., self.joint_index("head"), :] = rng.normal(0, np.radians(head_deg) * 0.6, size + (3,))
        gaze = rng.normal(0, np.radians(gaze_deg), size + (3,)) * np.array([1.0, 0.0, 1.0])
        pose[..., self.joint_index("eye_left"), :] = gaze
        pose[..., self.joint_index("eye_right"), :] = gaze
        return pose

    def sample(self, seed: int | np.random.Generator, expression: bool = False, pose: bool = False) -> HeadParams:
        """One identity from a seed (same seed, same identity); neutral unless asked otherwise."""
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        shape = self.sample_shape(rng)
        expr = self.sample_expression(rng) if expression else np.zeros(self.n_expression)
        pz = self.sample_pose(rng) if pose else np.zeros((self.n_joints, 3))
        return HeadParams(shape, expr, pz, seed=None if isinstance(seed, np.random.Generator) else int(seed))

    # ------------------------------------------------------------------ regions and UVs
    @property
    def face_uvs(self) -> np.ndarray:
        """Per-corner UVs ``[F, 3, 2]`` (Blender loop UVs), (0, 0) = bottom-left of the texture."""
        return self.uv_coords[self.uv_faces]

    def region_index(self, name: str) -> int:
        try:
            return self.region_names.index(name)
        except ValueError:
            known = self.region_names + tuple(regions.GROUPS)
            raise KeyError(f"unknown region {name!r}; regions are {known}") from None

    def face_mask(self, name: str) -> np.ndarray:
        """``[F]`` bool: faces in a region or region group (see :data:`regions.GROUPS`)."""
        ids = [self.region_index(n) for n in regions.GROUPS.get(name, (name,))]
        return np.isin(self.face_regions, ids)

    def vertex_mask(self, name: str) -> np.ndarray:
        """``[V]`` bool: vertices touched by a face of the region (seam vertices belong to both)."""
        mask = np.zeros(self.n_vertices, bool)
        mask[self.faces[self.face_mask(name)].ravel()] = True
        return mask

    def texel_regions(self, resolution: int) -> np.ndarray:
        """``[H, W]`` int region index per texel (-1 = empty); row 0 is the TOP row of the image."""
        face_ids = regions.rasterize_uv_faces(self.face_uvs, resolution)
        out = np.full(face_ids.shape, -1, np.int64)
        hit = face_ids >= 0
        out[hit] = self.face_regions[face_ids[hit]]
        return out

    def texel_mask(self, name: str, resolution: int) -> np.ndarray:
        """``[H, W]`` bool texel mask of a region or group; row 0 is the top image row."""
        ids = [self.region_index(n) for n in regions.GROUPS.get(name, (name,))]
        return np.isin(self.texel_regions(resolution), ids)

    # ------------------------------------------------------------------ export
    def export_obj(self, path, shape=None, expression=None, pose=None, vertices=None, mtl_groups: bool = True):
        """Write a Wavefront OBJ (m, model frame, with UVs) atomically; returns the path."""
        from .obj_io import write_obj

        v = self.vertices(shape, expression, pose) if vertices is None else np.asarray(vertices, dtype=np.float64)
        if v.shape != (self.n_vertices, 3):
            raise ValueError(f"export_obj: expected one mesh of shape ({self.n_vertices}, 3), got {v.shape}")
        groups = (self.face_regions, self.region_names) if mtl_groups else None
        return write_obj(path, v, self.faces, self.uv_coords, self.uv_faces, groups)
