"""Skinning, pose correctives, eyelid blink and jaw opening."""

import numpy as np

from synthetic.head import landmark_table, lbs

# mediapipe landmark indices: eyelid middles and inner-lip middles
UPPER_LID = {"left": 386, "right": 159}
LOWER_LID = {"left": 374, "right": 145}
UPPER_INNER_LIP, LOWER_INNER_LIP = 13, 14


def _landmark(model, verts, mp_index):
    i = int(np.nonzero(model.landmark_mediapipe == mp_index)[0][0])
    return model.landmarks(verts)[..., i, :]


def test_rodrigues_round_trip():
    rng = np.random.default_rng(0)
    aa = rng.normal(size=(50, 3))
    aa *= (rng.uniform(0, 3.0, 50) / np.linalg.norm(aa, axis=1))[:, None]
    r = lbs.axis_angle_to_matrix(aa)
    np.testing.assert_allclose(r @ np.swapaxes(r, -1, -2), np.broadcast_to(np.eye(3), r.shape), atol=1e-12)
    np.testing.assert_allclose(lbs.matrix_to_axis_angle(r), aa, atol=1e-9)
    np.testing.assert_array_equal(lbs.axis_angle_to_matrix(np.zeros(3)), np.eye(3))


def test_lbs_with_zero_pose_is_the_identity(model):
    shape = model.sample_shape(np.random.default_rng(4))
    shaped = model.shaped(shape)
    posed = model.vertices(shape, None, np.zeros((model.n_joints, 3)))
    np.testing.assert_allclose(posed, shaped, atol=1e-12)
    np.testing.assert_allclose(model.skin_weights.sum(axis=1), 1.0, atol=1e-6)
    assert np.all(model.skin_weights >= -1e-7)


def test_joints_follow_the_identity(model):
    j0 = model.joints()
    shape = model.sample_shape(np.random.default_rng(5), scale=2.0)
    j1 = model.joints(shape)
    np.testing.assert_allclose(j0[model.joint_index("eye_left")], model.anchors()["eye_left"], atol=1e-6)
    assert np.all(np.linalg.norm(j1 - j0, axis=1) < 0.02)


def test_gaze_rotates_only_the_eyeball(model):
    pose = np.zeros((model.n_joints, 3))
    pose[model.joint_index("eye_left")] = [0.0, 0.0, 0.4]  # look toward the subject's left
    v = model.vertices(None, None, pose)
    moved = np.linalg.norm(v - model.template, axis=1) > 1e-7
    eye = np.zeros(model.n_vertices, bool)
    eye[model.part_vertices("eyeball_left")] = True
    eye[model.part_vertices("cornea_left")] = True
    np.testing.assert_array_equal(moved, eye)
    centre = model.anchors(v)["eye_left"]
    np.testing.assert_allclose(centre, model.anchors()["eye_left"], atol=1e-9)


def test_neck_turn_is_clean(model):
    pose = np.zeros((model.n_joints, 3))
    pose[model.joint_index("head")] = [0.0, 0.0, np.radians(40)]
    v = model.vertices(None, None, pose)
    # the nose turns toward the subject's left, the neck base stays put, no triangle collapses
    assert model.anchors(v)["nose_tip"][0] > 0.05
    np.testing.assert_allclose(model.anchors(v)["neck_base"], model.anchors()["neck_base"], atol=1e-3)
    tri = v[model.faces[model.face_mask("skin")]]
    cross = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    tri0 = model.template[model.faces[model.face_mask("skin")]]
    cross0 = np.cross(tri0[:, 1] - tri0[:, 0], tri0[:, 2] - tri0[:, 0])
    area, area0 = np.linalg.norm(cross, axis=1), np.linalg.norm(cross0, axis=1)
    # the twist shears the front of the neck base: the worst triangle keeps 0.44 (first template) / 0.25 (2026-12-05
    # template) of its area; a collapse goes to ~0 or flips
    assert np.min(area / area0) > 0.2
    assert np.min(np.sum(cross * cross0, axis=1) / (area * area0)) > 0.5  # no triangle turns over


def _polyline_distance(points, line):
    """Distance of each point ``[N, 3]`` to the polyline ``[K, 3]``."""
    a, b = line[:-1], line[1:]
    ab = b - a
    t = np.clip(np.einsum("nkc,kc->nk", points[:, None] - a[None], ab) / np.sum(ab * ab, axis=1), 0, 1)
    closest = a[None] + t[..., None] * ab[None]
    return np.linalg.norm(points[:, None] - closest, axis=-1).min(axis=1)


def _lid_gap(model, verts, side):
    """Largest distance (m) from the upper-lid landmarks to the lower-lid margin polyline."""
    upper = [i for i, _ in landmark_table.CONTOURS[f"eye_{side}_upper"]]
    lower = [i for i, _ in landmark_table.CONTOURS[f"eye_{side}_lower"]] + [upper[0], upper[-1]]
    up = np.stack([_landmark(model, verts, i) for i in upper[1:-1]])
    lo = np.stack([_landmark(model, verts, i) for i in lower])
    lo = lo[np.argsort(lo[:, 0])]
    return _polyline_distance(up, lo).max()


def test_blink_closes_the_eyes(model):
    for side in ("left", "right"):
        open_gap = _lid_gap(model, model.template, side)
        v = model.vertices(None, model.expression_vector(**{f"eye_blink_{side}": 1.0}))
        closed_gap = _lid_gap(model, v, side)
        assert open_gap > 0.006
        assert closed_gap < 0.001, f"{side} lid gap after blink {closed_gap * 1e3:.2f} mm"
        # the other eye stays open
        other = "right" if side == "left" else "left"
        np.testing.assert_allclose(_lid_gap(model, v, other), _lid_gap(model, model.template, other), atol=1e-4)
        # the closed lid covers the eyeball: the lid margin lies in front of the cornea
        eye = model.anchors(v)[f"eye_{side}"]
        mid = _landmark(model, v, UPPER_LID[side])
        assert np.linalg.norm(mid - eye) > 0.0128


def test_jaw_open_separates_the_lips_and_shows_the_teeth(model):
    closed = np.linalg.norm(_landmark(model, model.template, UPPER_INNER_LIP)
                            - _landmark(model, model.template, LOWER_INNER_LIP))
    v = model.vertices(None, model.expression_vector(jaw_open=1.0))
    gap = np.linalg.norm(_landmark(model, v, UPPER_INNER_LIP) - _landmark(model, v, LOWER_INNER_LIP))
    assert closed < 0.001
    assert gap > 0.015, f"lips only {gap * 1e3:.1f} mm apart"
    lower_teeth = np.concatenate([model.part_vertices(n) for n in model.part_names if n.startswith("tooth_lower")])
    upper_teeth = np.concatenate([model.part_vertices(n) for n in model.part_names if n.startswith("tooth_upper")])
    assert np.all(v[lower_teeth, 2] < model.template[lower_teeth, 2])
    np.testing.assert_allclose(v[upper_teeth], model.template[upper_teeth], atol=1e-12)
    # the same through the pose's jaw joint
    pose = np.zeros((model.n_joints, 3))
    pose[model.joint_index("jaw"), 0] = model.expression_jaw[model.expression_index("jaw_open"), 0]
    vp = model.vertices(None, None, pose)
    assert np.linalg.norm(_landmark(model, vp, UPPER_INNER_LIP) - _landmark(model, vp, LOWER_INNER_LIP)) > 0.015


def test_a_smile_curves_the_mouth(model):
    """A smile (0.9 each side) lifts the mouth corners 5-10 mm and out, while the lips' middle rises under a quarter
    as far: the lip line curves up. (Generator 6 lifted the middle 4.1 mm against the corners' 8.1: the whole mouth
    rose and the smile barely showed.)"""
    names = model.expression_names
    smile = np.zeros(len(names))
    smile[[names.index("mouth_smile_left"), names.index("mouth_smile_right")]] = 0.9
    rest, smiling = model.vertices(None), model.vertices(None, smile)
    for corner, side in ((291, 1.0), (61, -1.0)):
        move = _landmark(model, smiling, corner) - _landmark(model, rest, corner)
        assert 0.005 < move[2] < 0.010 and side * move[0] > 0.003, (corner, move)
        middle = _landmark(model, smiling, UPPER_INNER_LIP) - _landmark(model, rest, UPPER_INNER_LIP)
        assert middle[2] < 0.25 * move[2], (middle, move)


def test_expressions_are_local_and_left_is_plus_x(model):
    for name in model.expression_names:
        v = model.vertices(None, model.expression_vector(**{name: 1.0}))
        d = np.linalg.norm(v - model.template, axis=1)
        assert d.max() > 5e-4, f"{name} does nothing"
        assert d.max() < 0.05, f"{name} moves a vertex {d.max() * 1e3:.0f} mm"
        if name.endswith("_left") and not name.startswith("jaw") and name != "mouth_left":
            left = model.template[:, 0] > 0.005
            right = model.template[:, 0] < -0.005
            assert d[left].sum() > 3 * d[right].sum(), name


def test_rings_are_exposed(model):
    contact = model.ring("mouth", "contact")
    margin = model.ring("eye_left", "margin")
    assert len(contact) == 80 and len(margin) == 40
    assert np.all(model.template[margin, 0] > 0)  # the subject's left eye is on +X
    assert "bag_rim" in model.ring_roles("mouth")
