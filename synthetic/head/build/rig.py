"""Joints, skinning weights and pose correctives of the template (build step; scipy for NNLS).

Joints (model frame, metres), parent chain ``neck -> head -> {jaw, eye_left, eye_right}``:

* ``neck``: base of the neck (C7 level); rotating it turns the whole head and neck.
* ``head``: atlanto-occipital joint, just below and behind the ear canals; the head turns on it
  and the upper neck follows through blended weights.
* ``jaw``: midpoint of the two temporomandibular joints; x-axis rotations open the mouth.
* ``eye_left`` / ``eye_right``: eyeball centres; rotations aim the gaze (lids do not follow).

Pose correctives: for random head and jaw poses the build compares linear blend skinning with
dual-quaternion skinning (which keeps volume where weights blend) and fits the rest-space
difference linearly on the ``R - I`` features of the head and jaw joints (FLAME's layout).
"""

from __future__ import annotations

import numpy as np

from .. import lbs
from . import shape

JOINT_NAMES = ("neck", "head", "jaw", "eye_left", "eye_right")
JOINT_PARENTS = np.array([-1, 0, 1, 1, 1])
CORRECTIVE_JOINTS = np.array([1, 2])
NECK_JOINT = np.array([0.0, 0.012, -0.140])
HEAD_JOINT = np.array([0.0, 0.006, -0.012])
JAW_JOINT = np.array([0.0, -0.012, -0.006])


def _smooth(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def joint_positions(eye_left: np.ndarray) -> np.ndarray:
    eye_right = eye_left * np.array([-1.0, 1.0, 1.0])
    return np.stack([NECK_JOINT, HEAD_JOINT, JAW_JOINT, eye_left, eye_right])


def neck_weight(points: np.ndarray) -> np.ndarray:
    """Weight of the neck joint on skin points ``[N, 3]``: 1 low on the neck, 0 on the head."""
    y, z = points[:, 1], points[:, 2]
    junction = -0.062 + 0.33 * (y + 0.01)  # under the chin in front, the nape behind
    return _smooth((junction - z) / 0.095)


def jaw_weight(points: np.ndarray) -> np.ndarray:
    """Weight of the jaw on skin points ``[N, 3]`` away from the lips (which get ring-based weights)."""
    x, y, z = points[:, 0], points[:, 1], points[:, 2]
    rel_y, rel_z = -(y - JAW_JOINT[1]), z - JAW_JOINT[2]
    ang = np.degrees(np.arctan2(rel_z, rel_y))  # angle above the forward horizontal, about the jaw axis
    corner = np.degrees(np.arctan2(shape.MOUTH_Z - JAW_JOINT[2], 0.088 + JAW_JOINT[1]))
    lateral = np.clip((np.abs(x) - 0.018) / 0.03, 0.0, 1.0)
    width = 3.0 + 14.0 * lateral
    centre = corner - 2.0 - 4.0 * lateral
    w = _smooth(0.5 - (ang - centre) / (2.0 * width))
    w *= 1.0 - _smooth((y + 0.030) / 0.035)  # fades toward the ear and the back of the jaw
    w *= 1.0 - 0.85 * neck_weight(points)  # the throat stays with the neck
    return w


def regressor_weights(points: np.ndarray, target: np.ndarray, ridge: float = 1e-3) -> np.ndarray:
    """Non-negative weights ``[N]`` summing to 1 whose weighted mean of ``points`` is ``target``."""
    from scipy.optimize import nnls

    n = len(points)
    scale = 100.0  # metres -> centimetres, so position rows and the sum row weigh alike
    a = np.vstack([points.T * scale, np.ones((1, n)) * 10.0, ridge * np.eye(n)])
    b = np.concatenate([target * scale, [10.0], ridge * np.full(n, 1.0 / n)])
    w, _ = nnls(a, b)
    return w / w.sum()


def dual_quaternion_skin(vertices: np.ndarray, weights: np.ndarray, transforms: np.ndarray) -> np.ndarray:
    """Dual-quaternion skinning of ``[V, 3]`` rest vertices with ``[J, 4, 4]`` transforms (reference)."""
    from scipy.spatial.transform import Rotation

    q = Rotation.from_matrix(transforms[:, :3, :3]).as_quat()  # x, y, z, w
    qr = np.concatenate([q[:, 3:], q[:, :3]], axis=1)  # w, x, y, z
    t = transforms[:, :3, 3]
    tq = np.concatenate([np.zeros((len(t), 1)), t], axis=1)
    qd = 0.5 * _qmul(tq, qr)
    # align signs with the dominant joint of each vertex
    dom = np.argmax(weights, axis=1)
    sign = np.sign(np.einsum("vjk,vk->vj", np.broadcast_to(qr, (len(weights),) + qr.shape), qr[dom]))
    sign[sign == 0] = 1.0
    w = weights * sign
    br = w @ qr
    bd = w @ qd
    norm = np.linalg.norm(br, axis=1, keepdims=True)
    br, bd = br / norm, bd / norm
    rot = Rotation.from_quat(np.concatenate([br[:, 1:], br[:, :1]], axis=1)).as_matrix()
    trans = 2.0 * _qmul(bd, _qconj(br))[:, 1:]
    return np.einsum("vab,vb->va", rot, vertices) + trans


def _qmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    aw, ax, ay, az = a.T
    bw, bx, by, bz = b.T
    return np.stack([aw * bw - ax * bx - ay * by - az * bz, aw * bx + ax * bw + ay * bz - az * by,
                     aw * by - ax * bz + ay * bw + az * bx, aw * bz + ax * by - ay * bx + az * bw], axis=1)


def _qconj(q: np.ndarray) -> np.ndarray:
    return q * np.array([1.0, -1.0, -1.0, -1.0])


def fit_pose_correctives(vertices: np.ndarray, weights: np.ndarray, joints: np.ndarray, n_samples: int = 160,
                         seed: int = 3) -> np.ndarray:
    """Pose corrective basis ``[V, 3, 18]`` (rest space, m per unit of ``R - I``) for head and jaw."""
    rng = np.random.default_rng(seed)
    blended = weights.max(axis=1) < 0.999
    idx = np.nonzero(blended)[0]
    feats, deltas = [], []
    for _ in range(n_samples):
        pose = np.zeros((len(JOINT_NAMES), 3))
        pose[1] = rng.uniform(-1, 1, 3) * np.radians([30.0, 25.0, 45.0])  # head: nod, roll, turn
        pose[2, 0] = rng.uniform(0.0, 0.45)  # jaw opening
        pose[2, 2] = rng.uniform(-0.08, 0.08)  # jaw sideways
        rot = lbs.axis_angle_to_matrix(pose)
        g = lbs.forward_kinematics(rot, joints, JOINT_PARENTS)
        w = weights[idx]
        lin = lbs.skin_vertices(vertices[idx], w, g)
        dq = dual_quaternion_skin(vertices[idx], w, g)
        blend = np.einsum("vj,jab->vab", w, g[:, :3, :3])
        rest_delta = np.linalg.solve(blend, (dq - lin)[..., None])[..., 0]
        feats.append(lbs.pose_features(rot, CORRECTIVE_JOINTS))
        deltas.append(rest_delta.reshape(-1))
    f = np.stack(feats)
    d = np.stack(deltas)
    gram = f.T @ f
    ridge = 1e-2 * np.trace(gram) / len(gram) * np.eye(len(gram))  # features are nearly collinear
    coef = np.linalg.solve(gram + ridge, f.T @ d)  # [18, len(idx) * 3]
    out = np.zeros((len(vertices), 3, f.shape[1]))
    out[idx] = coef.T.reshape(len(idx), 3, f.shape[1])
    return out
