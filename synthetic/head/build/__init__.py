"""Offline build of the head model arrays (needs scipy; deterministic; about 15 s on 2 cores).

``python -m synthetic.head.build [--out FILE]`` writes the model file; without ``--out`` it goes
to the checkout cache (see :mod:`synthetic.head.storage`). The add-on packer can copy that file
to ``synthetic/head/data/`` so Blender reads it with numpy alone.
"""

from __future__ import annotations

import numpy as np

from .. import storage
from ..regions import REGION_NAMES


def build_model_arrays() -> dict[str, np.ndarray]:
    """Build every array of the model file (see :class:`synthetic.head.model.HeadModel`)."""
    from ..normals import vertex_normals
    from ..template import build_template
    from . import expressions, identity, landmarks, rig, skinning

    tpl = build_template()
    normals = vertex_normals(tpl.vertices, tpl.faces)
    joints = rig.joint_positions(tpl.extra["eye_centre_left"])
    weights = skinning.skin_weights(tpl)
    regressor = skinning.joint_regressor(tpl, joints)
    posedirs = rig.fit_pose_correctives(tpl.vertices, weights, joints)
    shapedirs, shape_std, _, factor_model = identity.build_identity_basis(tpl, normals)
    expr_names, exprdirs, expr_jaw = expressions.build_expressions(tpl, normals)
    lm_index, lm_face, lm_bary = landmarks.resolve_table(tpl)
    anchor_names, anchor_ids, anchor_w = skinning.anchor_vertices(tpl)
    f32 = np.float32
    return {
        "format_version": np.array(storage.FORMAT_VERSION),
        "generator_version": np.array(storage.GENERATOR_VERSION),
        "v_template": tpl.vertices.astype(f32),
        "faces": tpl.faces.astype(np.int32),
        "shapedirs": shapedirs.astype(f32),
        "shape_std": shape_std.astype(f32),
        "shape_factor_names": np.array(identity.FACTORS),
        **{k: v.astype(f32) for k, v in factor_model.items()},
        "exprdirs": exprdirs.astype(f32),
        "expr_names": np.array(expr_names),
        "expr_ranges": np.tile(np.array([[0.0, 1.0]], f32), (len(expr_names), 1)),
        "expr_jaw": expr_jaw.astype(f32),
        "joint_names": np.array(rig.JOINT_NAMES),
        "joint_parents": rig.JOINT_PARENTS.astype(np.int32),
        "J_regressor": regressor.astype(f32),
        "weights": weights.astype(f32),
        "posedirs": posedirs.astype(f32),
        "corrective_joints": rig.CORRECTIVE_JOINTS.astype(np.int32),
        "uv_coords": tpl.uv_coords.astype(f32),
        "uv_faces": tpl.uv_faces.astype(np.int32),
        "region_names": np.array(REGION_NAMES),
        "face_regions": tpl.face_regions.astype(np.int16),
        "symmetry_map": tpl.symmetry_map.astype(np.int32),
        "landmark_mediapipe": lm_index.astype(np.int32),
        "landmark_faces": lm_face.astype(np.int32),
        "landmark_bary": lm_bary.astype(f32),
        "anchor_names": np.array(anchor_names),
        "anchor_vertices": anchor_ids.astype(np.int32),
        "anchor_weights": anchor_w.astype(f32),
        **{f"rings_{name}": ids.astype(np.int32) for name, (ids, _, _) in tpl.rings.items()},
        **{f"ring_roles_{name}": np.array(roles) for name, (_, roles, _) in tpl.rings.items()},
        "part_names": np.array(list(tpl.parts)),
        "part_counts": np.array([len(v) for v in tpl.parts.values()], np.int32),
        "part_vertices": np.concatenate(list(tpl.parts.values())).astype(np.int32),
    }


def build_and_cache() -> dict[str, np.ndarray]:
    """Build the model arrays and write them into the checkout cache (:func:`synthetic.head.storage.cache_path`),
    removing older cached builds; a read-only checkout gets the arrays without a cache."""
    arrays = build_model_arrays()
    target = storage.cache_path()
    try:
        storage.save_arrays(target, arrays)
        for stale in target.parent.glob("head_model_v*.npz"):  # older builds: never read again
            if stale != target:
                stale.unlink(missing_ok=True)
    except OSError:  # read-only checkout: use the arrays without caching them
        pass
    return arrays
