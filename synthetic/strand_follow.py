"""Make hair strands (scalp hair, beard, brows, lashes) follow the head per frame (numpy only).

Each strand is attached to the skin vertex nearest its root. Per frame the strand moves rigidly
with that vertex: first by the vertex's rest-pose displacement (expression and pose correctives,
so brows rise and beards open with the jaw), then by the vertex's linear-blend-skinning transform
(so everything turns with the head and neck). Strands keep their shape; no simulation.
"""

from __future__ import annotations

import numpy as np

from .head import lbs


def attach_roots(skin_vertices: np.ndarray, roots: np.ndarray, candidates: np.ndarray | None = None) -> np.ndarray:
    """Index ``[S]`` of the vertex nearest each strand root ``[S, 3]`` among ``candidates`` (vertex ids)."""
    cand = np.arange(len(skin_vertices)) if candidates is None else np.asarray(candidates)
    pts = skin_vertices[cand]
    out = np.empty(len(roots), dtype=np.int64)
    for start in range(0, len(roots), 2048):  # chunked: [chunk, Vc] distances
        r = roots[start : start + 2048]
        d2 = (r * r).sum(1)[:, None] - 2 * r @ pts.T + (pts * pts).sum(1)[None]
        out[start : start + 2048] = cand[np.argmin(d2, axis=1)]
    return out


def vertex_motion(model, shape, expression, pose, vertex_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-vertex motion for a frame: ``(delta [K, 3], A [K, 3, 3], t [K, 3])`` such that a point p
    rigidly attached to vertex k moves to ``A_k (p + delta_k) + t_k`` (metres, model frame)."""
    neutral = model.shaped(shape, None)
    v_shaped = model.shaped(shape, expression)
    rot = model.rotations(pose, expression)
    joints = np.einsum("jv,vc->jc", model.joint_regressor, v_shaped)
    feats = lbs.pose_features(rot, model.corrective_joints)
    corrective = (feats @ model.pose_basis.reshape(-1, model.pose_basis.shape[-1]).T).reshape(-1, 3)
    delta = (v_shaped - neutral + corrective)[vertex_ids]
    G = lbs.forward_kinematics(rot, joints, model.joint_parents)  # [J, 4, 4]
    A = np.einsum("kj,jab->kab", model.skin_weights[vertex_ids], G)  # [K, 4, 4]
    return delta, A[:, :3, :3], A[:, :3, 3]


def follow(points: np.ndarray, root_vertex: np.ndarray, motion: tuple[np.ndarray, np.ndarray, np.ndarray],
           motion_ids: np.ndarray) -> np.ndarray:
    """Move strands ``[S, P, 3]`` (rest positions, neutral frame) by the motion of their root vertices.

    ``motion`` comes from :func:`vertex_motion` evaluated for ``motion_ids``; ``root_vertex`` ``[S]``
    must be a subset of ``motion_ids``."""
    delta, A, t = motion
    lookup = {int(v): i for i, v in enumerate(motion_ids)}
    k = np.fromiter((lookup[int(v)] for v in root_vertex), dtype=np.int64, count=len(root_vertex))
    p = points + delta[k][:, None, :]
    return np.einsum("sab,spb->spa", A[k], p) + t[k][:, None, :]
