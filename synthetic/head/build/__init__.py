"""Offline build of the head model arrays (needs scipy; bit-identical across machines under :data:`BLAS_ENV`;
about 15 s).

``python -m synthetic.head.build [--out FILE]`` writes the model file; without ``--out`` it goes
to the checkout cache (see :mod:`synthetic.head.storage`). The add-on packer can copy that file
to ``synthetic/head/data/`` so Blender reads it with numpy alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from .. import storage
from ..regions import REGION_NAMES

BLAS_ENV = {"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "NPY_DISABLE_CPU_FEATURES": "AVX512F AVX512CD AVX512_KNL AVX512_KNM AVX512_SKX AVX512_CLX AVX512_CNL "
                                        "AVX512_ICL"}
"""The BLAS settings every build runs under. Datasets, priors and avatars are tied to the model's exact
fingerprint, and the identity basis (QR, eigh and products of ``[V*3, S]`` matrices) came out one float32 ulp
apart in ~1200 values with another OpenBLAS kernel or thread count (measured 2026-12-06: 1 thread against 2, the
Sandybridge kernel against Zen/Haswell: three different fingerprints from one commit; the template, faces and UVs
were identical). One kernel (AVX2: x86-64 CPUs since 2013) on one thread makes the build bit-identical across
machines. numpy's own loops dispatch by CPU too: on a CPU with AVX-512 its float32 ufuncs gave another generator-12
model (99072f5a... against 0efe42b0..., 2026-12-07), so the build also keeps numpy to its AVX2 paths (a machine
without AVX-512 only warns about the names). OpenBLAS and numpy read these when they load, so a process without them
builds in a child process that has them."""

_ROOT = Path(__file__).resolve().parents[3]  # the checkout (the folder holding ``synthetic``)


def blas_env_is_set() -> bool:
    """Whether this process runs under :data:`BLAS_ENV` (then it may build in-process)."""
    return all(os.environ.get(k) == v for k, v in BLAS_ENV.items())


def build_reproducibly() -> dict[str, np.ndarray]:
    """:func:`build_model_arrays` under :data:`BLAS_ENV`: in this process when it has them, else in a child
    (``python -m synthetic.head.build --out <temporary file>``) whose file is read back."""
    import scipy.spatial  # noqa: F401  (the build needs scipy: a Python without it fails here, with ImportError)

    if blas_env_is_set():
        return build_model_arrays()
    with tempfile.TemporaryDirectory(prefix="head_model_build_") as tmp:
        out = Path(tmp) / "head_model.npz"
        env = dict(os.environ, **BLAS_ENV)  # the child has the checkout on its path, where it can build in-process
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_ROOT), env.get("PYTHONPATH", "")) if p)
        run = subprocess.run([sys.executable, "-m", "synthetic.head.build", "--out", str(out)], env=env,
                             cwd=str(_ROOT), capture_output=True, text=True)
        if run.returncode != 0 or not out.is_file():
            last = (run.stderr.strip().splitlines() or ["no output"])[-1]
            raise RuntimeError(f"head model build failed (python -m synthetic.head.build): {last}")
        return storage.read_arrays(out)


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
    removing older cached builds; a read-only checkout gets the arrays without a cache. Built under
    :data:`BLAS_ENV` (:func:`build_reproducibly`), so every machine caches the same fingerprint."""
    arrays = build_reproducibly()
    target = storage.cache_path()
    try:
        storage.save_arrays(target, arrays)
        for stale in target.parent.glob("head_model_v*.npz"):  # older builds: never read again
            if stale != target:
                stale.unlink(missing_ok=True)
    except OSError:  # read-only checkout: use the arrays without caching them
        pass
    return arrays
