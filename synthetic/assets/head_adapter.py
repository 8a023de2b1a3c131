"""Bridge from ``synthetic.head.HeadModel`` to the plain arrays the asset generators take.

This is the only module of ``synthetic.assets`` that knows the head model; it imports it lazily
(inside the functions), so the rest of the package works on any mesh (tests use an analytic
stand-in). Region names follow ``synthetic.head.regions``; landmarks are the model's anchors.
"""

from __future__ import annotations

import numpy as np

from .anatomy import Landmarks
from .errors import AssetInputError
from .sdf import MeshSDF
from .surface import HeadSurface

#: head-model regions (or groups) whose faces bound the volume hair must stay out of. Only the skin:
#: the eyeballs are closed spheres partly inside the head, and a nearest-sample sign (``sdf``) near
#: them would call points inside the skull "outside" (outside the eyeball).
COLLISION_REGIONS = ("skin",)

#: texture mask name -> head-model region or group
TEXTURE_REGIONS = {"face": "face", "scalp": "scalp", "ears": "ears", "neck": "neck", "lips": "lips",
                   "eyes": "eyeballs", "iris": "iris", "pupil": "pupil", "mouth_interior": "mouth_interior",
                   "teeth": "teeth"}


def landmarks_from_model(model, vertices=None) -> Landmarks:
    """Landmarks (m) from the model's anchors (eye centres, nose tip, mouth, chin)."""
    a = model.anchors(vertices)
    missing = [k for k in ("eye_left", "eye_right", "nose_tip", "mouth", "chin") if k not in a]
    if missing:
        raise AssetInputError(f"head model: anchors {missing} are missing; have {sorted(a)}")
    return Landmarks(a["eye_left"], a["eye_right"], a["nose_tip"], a["mouth"], a["chin"])


def surface_from_model(model, shape=None, expression=None, pose=None, sdf_voxel: float = 0.004,
                       vertices=None) -> HeadSurface:
    """A ``HeadSurface`` of one identity (neutral unless expression/pose are given, or of ``vertices``).

    Faces are the skin only (``COLLISION_REGIONS``); per-vertex regions are the model's
    vertex masks of 'scalp', 'face', 'neck', 'lips' and 'ears' as 0/1 weights.
    """
    v = model.vertices(shape, expression, pose) if vertices is None else np.asarray(vertices, float)
    if v.shape != (model.n_vertices, 3):
        raise AssetInputError(f"surface_from_model: expected one identity ({model.n_vertices}, 3), got {v.shape}")
    keep = np.zeros(model.n_faces, bool)
    for name in COLLISION_REGIONS:
        keep |= model.face_mask(name)
    keep &= ~buried_ear_faces(model, v)
    regions = {k: model.vertex_mask(k).astype(float) for k in ("scalp", "face", "neck", "lips", "ears")}
    # seam vertices belong to both sides: hair and beards grow only where the region is not shared
    regions["face"] = regions["face"] * (1 - regions["lips"])
    anchors = model.anchors(v)
    normals = model.normals(vertices=v)
    return HeadSurface(v, model.faces[keep], regions, landmarks_from_model(model, v), normals,
                       neck_base=anchors.get("neck_base"), sdf_voxel=sdf_voxel)


EAR_BURIED_M = 0.001
"""An ear face whose three corners all lie this far (m) inside the head's skin is buried: the ear's root sits 5-10 mm
deep in the side of the head (so no gap shows where it meets the skin)."""


def buried_ear_faces(model, vertices: np.ndarray) -> np.ndarray:
    """``[F]`` bool: the ear faces of one identity's ``vertices`` ``[V, 3]`` (m) buried in its head skin
    (:data:`EAR_BURIED_M`). They stay out of the hair's collision surface: their normals face the head's inside, and
    the nearest-sample sign of the collision grid read points 3-7 mm inside the head beside them as outside (strands
    passed through the head above and in front of the ears)."""
    faces = model.faces
    head = np.zeros(model.n_vertices, bool)
    head[model.part_vertices("skin")] = True
    ear = np.zeros(model.n_vertices, bool)
    for name in ("ear_left", "ear_right"):
        ear[model.part_vertices(name)] = True
    grid = MeshSDF.build(vertices, faces[np.all(head[faces], axis=1)], voxel=0.004)
    deep = np.zeros(model.n_vertices, bool)
    deep[ear] = grid.signed_distance(vertices[ear]) < -EAR_BURIED_M
    return np.all(deep[faces], axis=1)


def texture_inputs(model, resolution: int, shape=None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Position map (H, W, 3) in m and region masks (H, W) float32 of the model's UV atlas.

    Row 0 is the TOP image row (v near 1), as ``HeadModel.texel_regions``; texels no UV triangle
    covers hold position 0 and mask 0. Positions interpolate the (identity's) neutral vertices.
    """
    from synthetic.head import regions as R  # lazy: only this adapter knows the head package

    res = int(resolution)
    if res < 8:
        raise AssetInputError(f"resolution: expected >= 8 texels, got {resolution}")
    v = model.vertices(shape)
    face_uv = model.face_uvs
    ids = R.rasterize_uv_faces(face_uv, res)
    hit = ids >= 0
    u, vv = R.texel_centre_uv(res)
    U, V = np.meshgrid(u, vv)
    f = ids[hit]
    uv = face_uv[f]  # (N, 3, 2)
    q = np.stack([U[hit], V[hit]], 1)
    a, b, c = uv[:, 0], uv[:, 1], uv[:, 2]
    den = (b[:, 1] - c[:, 1]) * (a[:, 0] - c[:, 0]) + (c[:, 0] - b[:, 0]) * (a[:, 1] - c[:, 1])
    den = np.where(np.abs(den) < 1e-20, 1e-20, den)
    w0 = ((b[:, 1] - c[:, 1]) * (q[:, 0] - c[:, 0]) + (c[:, 0] - b[:, 0]) * (q[:, 1] - c[:, 1])) / den
    w1 = ((c[:, 1] - a[:, 1]) * (q[:, 0] - c[:, 0]) + (a[:, 0] - c[:, 0]) * (q[:, 1] - c[:, 1])) / den
    w = np.clip(np.stack([w0, w1, 1 - w0 - w1], 1), 0, 1)
    w /= w.sum(1, keepdims=True)
    pos = np.zeros((res, res, 3), np.float32)
    pos[hit] = np.einsum("nk,nkc->nc", w, v[model.faces[f]])
    region = np.full((res, res), -1, np.int64)
    region[hit] = model.face_regions[f]
    masks = {}
    for key, name in TEXTURE_REGIONS.items():
        names = R.GROUPS.get(name, (name,))
        if not all(n in model.region_names for n in names):
            continue
        idx = [model.region_index(n) for n in names]
        masks[key] = np.isin(region, idx).astype(np.float32)
    if "mouth_interior" in masks and "teeth" in masks:
        masks["mouth_interior"] = np.clip(masks["mouth_interior"] - masks["teeth"], 0, 1)
    return pos, masks
