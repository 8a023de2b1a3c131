"""Per-view 2D landmarks: projection, self-occlusion by the head mesh, the iBUG-68 subset, the file."""

from __future__ import annotations

import numpy as np
import pytest
from _tiny_dataset import TINY_RIG

from synthetic.dataset import Dataset
from synthetic.dataset.landmarks import IBUG68_MEDIAPIPE, ibug68_rows, occluded, project_frame
from synthetic.errors import UserInputError
from synthetic.rig import RigSettings, build_rig, project_points, yaw_pitch_from_direction


def _ellipsoid(tiny_head):
    v = tiny_head.vertices()
    return v, tiny_head.faces


def test_points_behind_the_head_are_hidden_and_points_in_front_are_not(tiny_head):
    v, faces = _ellipsoid(tiny_head)
    cam = build_rig(TINY_RIG, np.random.default_rng(0))[2]  # front row, straight ahead
    toward = cam.centre - v
    facing = np.einsum("vc,vc->v", toward / np.linalg.norm(toward, axis=1, keepdims=True),
                       (v - v.mean(0)) / np.linalg.norm(v - v.mean(0), axis=1, keepdims=True))
    near, far = v[facing > 0.5], v[facing < -0.5]
    assert len(near) > 10 and len(far) > 10
    assert not occluded(near, v, faces, cam.K, cam.w2c).any()
    assert occluded(far, v, faces, cam.K, cam.w2c).all()
    # a point floating just above the surface is not hidden by it; one 2 cm inside the head is
    out = v[facing > 0.8][0]
    centre = v.mean(0)
    assert not occluded((out + 0.003 * (out - centre))[None], v, faces, cam.K, cam.w2c)[0]
    assert occluded((out - 0.02 * (out - centre) / np.linalg.norm(out - centre))[None], v, faces, cam.K, cam.w2c)[0]


def test_project_frame_flags_points_outside_the_image_or_behind_the_camera(tiny_head):
    v, faces = _ellipsoid(tiny_head)
    cams = build_rig(TINY_RIG, np.random.default_rng(0))[:3]
    c = cams[0]
    ahead = c.centre + 0.3 * (v.mean(0) - c.centre)  # between camera and head: in view, not hidden
    behind = c.centre - 0.2 * (v.mean(0) - c.centre)
    aside = v.mean(0) + 5.0 * np.cross(v.mean(0) - c.centre, [0.0, 0.0, 1.0])
    pts = np.array([ahead, behind, aside])
    view = project_frame(pts, [0, 1, 2], v, faces, cams)
    xy, vis = view.camera(c.name)
    assert vis.tolist() == [True, False, False]
    assert np.allclose(xy, project_points(pts, c.K, c.w2c)[0], atol=1e-3)
    assert view.xy.shape == (3, 3, 2) and view.visible.shape == (3, 3)
    with pytest.raises(UserInputError, match="no landmarks for camera 'cam_99'"):
        view.camera("cam_99")
    with pytest.raises(ValueError, match=r"\[L, 3\]"):
        project_frame(pts[:, :2], [0, 1, 2], v, faces, cams)


def test_the_reader_returns_what_the_writer_projected(tiny_dataset, tiny_head):
    ident = Dataset(tiny_dataset).identity(0)
    for f in range(ident.n_frames):
        view = ident.landmarks(f)
        fr = ident.frame(f)
        verts = tiny_head.vertices(ident.shape, fr.expression, fr.pose)
        ref = project_frame(tiny_head.landmarks(verts), tiny_head.landmark_mediapipe, verts, tiny_head.faces,
                            ident.cameras.rig())
        assert view.cameras == ident.cameras.names
        assert np.abs(view.xy - ref.xy).max() <= 0.006 and np.array_equal(view.visible, ref.visible)
        assert 0.2 < view.visible.mean() < 1.0  # the tiny rig sees the face side from some cameras only
    with pytest.raises(UserInputError, match="iBUG-68"):
        view.ibug68  # the tiny head's 12 points are not the 68


@pytest.fixture(scope="module")
def head():
    from synthetic.head import HeadModel

    return HeadModel.load()


def test_ibug68_subset_reads_as_a_face_from_the_front(head):
    """The named subset has the iBUG layout: jaw from the subject's right to left, chin lowest, eyes
    above the nose above the mouth; every point seen from the frontal camera."""
    rows = ibug68_rows(head.landmark_mediapipe)
    assert len(set(rows.tolist())) == 68 and len(IBUG68_MEDIAPIPE) == 68
    v = head.vertices(np.zeros(head.n_shape), np.zeros(head.n_expression), np.zeros((head.n_joints, 3)))
    rig = build_rig(RigSettings(width=512, height=512))
    front = min(rig, key=lambda c: np.hypot(*yaw_pitch_from_direction(c.centre / np.linalg.norm(c.centre))))
    view = project_frame(head.landmarks(v), head.landmark_mediapipe, v, head.faces, [front])
    xy, vis = view.xy[0][rows], view.visible[0][rows]
    assert vis.all()
    x, y = xy[:, 0], xy[:, 1]
    # the jaw runs left to right in the image; its top two points (mediapipe 162 at the temple, 234 at the
    # cheekbone, placed by mediapipe on our renders) may sit within 1 % of the face's width of each other
    tol = 0.01 * (x[16] - x[0])
    assert np.all(np.diff(x[0:9]) > -tol) and np.all(np.diff(x[8:17]) > -tol), np.diff(x[0:17])
    assert np.all(np.diff(x[1:8]) > 0) and np.all(np.diff(x[9:16]) > 0)
    assert np.argmax(y[0:17]) in (7, 8, 9)  # chin lowest
    assert x[36] < x[39] < x[42] < x[45]  # right eye's corners, then the left eye's
    eyes, nose_tip, mouth = y[36:48].mean(), y[30], y[48:68].mean()
    assert y[19] < eyes < nose_tip < mouth < y[8]
    assert abs(x[30] - x[8]) < 0.05 * (x[16] - x[0])  # nose tip and chin on the midline


def test_a_turned_camera_hides_the_far_side(head):
    v = head.vertices(np.zeros(head.n_shape), np.zeros(head.n_expression), np.zeros((head.n_joints, 3)))
    rig = build_rig(RigSettings(width=512, height=512))
    yaw = {c.name: float(yaw_pitch_from_direction(c.centre / np.linalg.norm(c.centre))[0]) for c in rig}
    side = [c for c in rig if c.group == "front" and abs(yaw[c.name]) > 60][:2]
    view = project_frame(head.landmarks(v), head.landmark_mediapipe, v, head.faces, side)
    rows = ibug68_rows(head.landmark_mediapipe)
    for i, c in enumerate(side):
        jaw = view.visible[i][rows[:17]]
        near, far = (jaw[9:], jaw[:8]) if yaw[c.name] > 0 else (jaw[:8], jaw[9:])
        # positive yaw looks from the subject's left: the right jaw (iBUG 0-7) is the far one
        assert far.sum() <= 1 and near.sum() >= 4, (c.name, yaw[c.name], jaw.astype(int))
