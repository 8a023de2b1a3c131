"""Skinning weights, joint regressor and named anchor vertices of the template (build step).

Weights ``[V, J]`` (rows sum to 1) for joints ``neck, head, jaw, eye_left, eye_right``
(:mod:`synthetic.head.build.rig`). The lips get exact ring-based jaw weights (lower half 1,
upper half 0, corners 0.5), blending into a smooth field on the cheeks and chin; the lower teeth,
lower gums and tongue follow the jaw rigidly; eyeballs and corneas follow their eye joint.
"""

from __future__ import annotations

import numpy as np

from . import rig, shape


def skin_weights(tpl) -> np.ndarray:
    p = tpl.vertices
    v = len(p)
    jaw = rig.jaw_weight(p)
    neck = rig.neck_weight(p)
    ids, roles, t = tpl.rings["mouth"]
    ring_jaw = 0.5 - 0.5 * np.tanh(np.sin(t) / 0.28) / np.tanh(1.0 / 0.28)  # rounded opening
    border = roles.index("border")
    for k in range(ids.shape[0]):
        alpha = 1.0 if k <= border else max(0.0, 1.0 - 0.27 * (k - border))
        jaw[ids[k]] = alpha * ring_jaw + (1 - alpha) * jaw[ids[k]]
    bag = tpl.parts["mouth_bag"][len(t):]
    rel = (p[bag, 2] - (shape.MOUTH_Z - 0.002)) / 0.006
    back = np.clip((p[bag, 1] + 0.05) / 0.035, 0.0, 1.0)  # the throat end stays with the head
    jaw[bag] = (0.5 - 0.5 * np.tanh(rel)) * (1.0 - 0.6 * back)
    neck[bag] = 0.0
    rigid_jaw = [ids_ for name, ids_ in tpl.parts.items()
                 if name.startswith("tooth_lower") or name in ("gums_lower", "tongue")]
    rigid_head = [ids_ for name, ids_ in tpl.parts.items()
                  if name.startswith("tooth_upper") or name in ("gums_upper", "ear_left", "ear_right")]
    for ids_ in rigid_jaw:
        jaw[ids_], neck[ids_] = 1.0, 0.0
    for ids_ in rigid_head:
        jaw[ids_], neck[ids_] = 0.0, 0.0
    w = np.zeros((v, len(rig.JOINT_NAMES)))
    w[:, 0] = neck
    w[:, 2] = jaw * (1.0 - neck)
    w[:, 1] = 1.0 - w[:, 0] - w[:, 2]
    for j, side in ((3, "left"), (4, "right")):
        eye = np.concatenate([tpl.parts[f"eyeball_{side}"], tpl.parts[f"cornea_{side}"]])
        w[eye] = 0.0
        w[eye, j] = 1.0
    return w


def joint_regressor(tpl, joints: np.ndarray) -> np.ndarray:
    """``[J, V]`` sparse-ish rows: each joint is a convex combination of nearby vertices that
    reproduces its template position exactly, so joints follow the identity's shape."""
    p = tpl.vertices
    skin = tpl.parts["skin"]
    reg = np.zeros((len(joints), len(p)))
    sets = []
    ps = p[skin]
    sets.append(skin[np.abs(ps[:, 2] - joints[0, 2]) < 0.012])  # neck: a band around the neck
    band = (np.abs(ps[:, 2] - joints[1, 2]) < 0.015) & (ps[:, 1] > -0.04)
    sets.append(skin[band])  # head: the skull around the ear canals
    near_tmj = np.minimum(np.linalg.norm(ps - [0.056, -0.012, -0.006], axis=1),
                          np.linalg.norm(ps - [-0.056, -0.012, -0.006], axis=1)) < 0.022
    sets.append(skin[near_tmj])
    for side in ("left", "right"):
        sets.append(tpl.parts[f"eyeball_{side}"])
    for j, ids in enumerate(sets):
        reg[j, ids] = rig.regressor_weights(p[ids], joints[j])
    return reg


NOSE_TIP_MAX_Z = -0.019
"""The nose-tip anchor is the most forward skin vertex on the midline *below* this height (m): the dorsum's lower
end (z -16 mm) stands as far forward as the tip (the midline profile within 0.6 mm over 8 mm of height), and the
unrestricted most forward vertex jumped 5 mm up between builds (generator 12), moving the nostrils' relief, which is
placed from the tip, onto the nose's front."""


def anchor_vertices(tpl, k: int = 8) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Named anatomical points as weighted means of ``k`` vertices each: names, ids ``[A, k]``,
    weights ``[A, k]`` (rows sum to 1). Used by assets (beard and brow zones) and camera rigs."""
    p = tpl.vertices
    skin = tpl.parts["skin"]
    names, rows, weights = [], [], []
    even = np.full(k, 1.0 / k)

    def symmetric(target):  # k/2 on each side so the mean stays on the midline
        d = np.linalg.norm(p[skin] - np.asarray(target), axis=1)
        left = skin[np.argsort(d)[: k // 2]]
        return np.concatenate([left, tpl.symmetry_map[left]])

    for side in ("left", "right"):
        eye = tpl.parts[f"eyeball_{side}"]
        m = 32
        rings = eye[: (len(eye) - 1)].reshape(-1, m)
        front, back = rings[7, ::8], rings[-1, ::8]  # limbus and rearmost sclera ring, 4 points each
        centre = tpl.extra[f"eye_centre_{side}"]
        yf, yb = p[front, 1].mean() - centre[1], p[back, 1].mean() - centre[1]
        a = yb / (yb - yf)  # weight of the front ring so the mean lands on the eyeball centre
        names.append(f"eye_{side}")
        rows.append(np.concatenate([front, back]))
        weights.append(np.concatenate([np.full(4, a / 4), np.full(4, (1 - a) / 4)]))
    below = np.clip(p[skin, 2] - NOSE_TIP_MAX_Z, 0.0, None)  # the dorsum's end is as far forward as the tip
    tip = skin[np.argmin(p[skin, 1] + 10 * np.abs(p[skin, 0]) + 10 * below)]
    names.append("nose_tip")
    rows.append(np.full(k, tip))
    weights.append(even)
    ids, roles, t = tpl.rings["mouth"]
    contact = ids[roles.index("contact")]
    m = len(t)
    names.append("mouth")
    rows.append(np.array([contact[m // 4], contact[3 * m // 4]] * (k // 2)))
    weights.append(even)
    for name, target in (("chin", [0.002, -0.093, -0.088]), ("crown", [0.002, 0.0, 0.14])):
        names.append(name)
        rows.append(symmetric(target))
        weights.append(even)
    names.append("neck_base")
    rows.append(tpl.neck_ring[(np.arange(k) * len(tpl.neck_ring)) // k])
    weights.append(even)
    return names, np.stack(rows), np.stack(weights)
