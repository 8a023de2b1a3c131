"""The SynShot camera rig: counts, aiming, framing, determinism and exact Blender camera parameters."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from synthetic.errors import UserInputError
from synthetic.rig import (
    RigSettings,
    blender_camera_params,
    build_rig,
    intrinsics_from_blender,
    parse_resolution,
    project_points,
    yaw_pitch_from_direction,
)

REPO = Path(__file__).resolve().parents[2]


def _rigs():
    s = RigSettings()
    return [build_rig(s), build_rig(s, np.random.default_rng(0)), build_rig(s, np.random.default_rng(1))]


def test_counts_names_and_groups():
    cams = build_rig()
    assert len(cams) == 28
    assert [c.name for c in cams] == [f"cam_{i:02d}" for i in range(28)]
    assert [c.group for c in cams] == ["front"] * 14 + ["hemisphere"] * 14
    assert all((c.width, c.height) == (768, 512) for c in cams)


@pytest.mark.parametrize("cams", _rigs(), ids=["nominal", "jitter0", "jitter1"])
def test_every_camera_aims_at_target_with_a_proper_rotation(cams):
    target = np.array(RigSettings().target)
    for c in cams:
        r = c.w2c[:3, :3]
        np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-12)
        assert np.linalg.det(r) == pytest.approx(1.0)
        np.testing.assert_allclose(c.w2c[3], [0, 0, 0, 1])
        xy, z = project_points(target, c.K, c.w2c)
        np.testing.assert_allclose(xy, c.K[:2, 2], atol=1e-9)
        assert z > 0


def test_front_cameras_face_the_face_and_hemisphere_cameras_stay_above_the_cutoff():
    s = RigSettings()
    for cams in _rigs():
        for c in cams:
            d = c.centre - np.array(s.target)
            d /= np.linalg.norm(d)
            if c.group == "front":
                assert d[1] < -0.3  # on the -Y (face) side
                yaw, pitch = yaw_pitch_from_direction(d)
                assert -70.1 <= yaw <= 70.1 and -15.1 <= pitch <= 25.1
            else:
                assert d[2] >= s.hemisphere_min_z - 1e-9
    # the hemisphere cameras see the back and the top of the head
    dirs = np.array([c.centre - np.array(s.target) for c in build_rig(s) if c.group == "hemisphere"])
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    assert np.sum(dirs[:, 1] > 0.5) >= 4 and np.max(dirs[:, 2]) > 0.9
    # well spread: no two hemisphere cameras closer than 20 degrees
    cos = dirs @ dirs.T - 2 * np.eye(len(dirs))
    assert np.degrees(np.arccos(cos.max())) > 20


@pytest.mark.parametrize("cams", _rigs(), ids=["nominal", "jitter0", "jitter1"])
def test_head_sphere_fits_inside_every_image_with_margin(cams):
    s = RigSettings()
    rng = np.random.default_rng(3)
    sphere = rng.normal(size=(4000, 3))
    sphere = np.array(s.target) + 0.12 * sphere / np.linalg.norm(sphere, axis=1, keepdims=True)
    for c in cams:
        xy, z = project_points(sphere, c.K, c.w2c)
        assert np.all(z > 0)
        margin = 0.08 * min(c.width, c.height)
        assert xy[:, 0].min() > margin and xy[:, 0].max() < c.width - margin
        assert xy[:, 1].min() > margin and xy[:, 1].max() < c.height - margin


def test_same_seed_same_rig_and_different_seed_different_rig():
    s = RigSettings()
    a = build_rig(s, np.random.default_rng(42))
    b = build_rig(s, np.random.default_rng(42))
    c = build_rig(s, np.random.default_rng(43))
    assert all(np.array_equal(x.w2c, y.w2c) and np.array_equal(x.K, y.K) for x, y in zip(a, b))
    assert not all(np.array_equal(x.w2c, y.w2c) for x, y in zip(a, c))
    other = build_rig(RigSettings(seed=1))
    assert not all(np.array_equal(x.w2c, y.w2c) for x, y in zip(build_rig(s)[14:], other[14:]))


def test_focal_options_and_settings_round_trip():
    s = RigSettings(width=512, height=768, focal_mm=85.0, sensor_width_mm=36.0)
    np.testing.assert_allclose(s.intrinsics()[0, 0], 85.0 / 36.0 * 512)
    assert RigSettings.from_dict(json.loads(json.dumps(s.to_dict()))) == s
    assert parse_resolution("768x512") == (768, 512)
    with pytest.raises(UserInputError, match="WIDTHxHEIGHT"):
        parse_resolution("768*512")
    with pytest.raises(UserInputError, match="front_rows"):
        RigSettings(front_rows=(5, 5))


@pytest.mark.parametrize("size,pp", [((768, 512), None), ((768, 512), (300.5, 280.25)), ((512, 768), (240.0, 400.0))])
def test_blender_parameters_round_trip_to_K(size, pp):
    w, h = size
    K = RigSettings(width=w, height=h).intrinsics()
    if pp is not None:
        K[0, 2], K[1, 2] = pp
    cam = build_rig(RigSettings(width=w, height=h))[5]
    p = blender_camera_params(K, cam.w2c, w, h)
    K2 = intrinsics_from_blender(p["lens"], p["sensor_width"], p["shift_x"], p["shift_y"], w, h)
    np.testing.assert_allclose(K2, K, rtol=0, atol=1e-9)
    # the OpenGL camera-to-world puts the camera at the right place, looking along its local -Z
    c2w = p["matrix_world"]
    np.testing.assert_allclose(c2w[:3, 3], cam.centre, atol=1e-12)
    look = -c2w[:3, 2]
    to_target = np.array(RigSettings().target) - cam.centre
    np.testing.assert_allclose(look, to_target / np.linalg.norm(to_target), atol=1e-9)


def test_blender_parameters_match_a_real_blender_camera():
    """Build the camera in real bpy (subprocess, factory state) and compare its projection with K."""
    script = textwrap.dedent("""
        import json, sys
        import numpy as np, bpy, mathutils
        from synthetic.rig import RigSettings, blender_camera_params, build_rig, project_points
        out = []
        for (w, h, pp) in [(768, 512, None), (768, 512, (300.5, 280.25)), (512, 768, (240.0, 400.0))]:
            cam = build_rig(RigSettings(width=w, height=h))[20]
            K = cam.K.copy()
            if pp:
                K[0, 2], K[1, 2] = pp
            p = blender_camera_params(K, cam.w2c, w, h)
            scene = bpy.context.scene
            data = bpy.data.cameras.new("c")
            obj = bpy.data.objects.new("c", data)
            scene.collection.objects.link(obj)
            data.lens, data.sensor_width, data.sensor_fit = p["lens"], p["sensor_width"], p["sensor_fit"]
            data.shift_x, data.shift_y = p["shift_x"], p["shift_y"]
            scene.render.resolution_x, scene.render.resolution_y = p["resolution_x"], p["resolution_y"]
            scene.render.resolution_percentage = 100
            obj.matrix_world = mathutils.Matrix(p["matrix_world"].tolist())
            proj = np.array(obj.calc_matrix_camera(bpy.context.evaluated_depsgraph_get(), x=w, y=h))
            view = np.array(obj.matrix_world.inverted())
            pts = np.array(RigSettings().target) + np.random.default_rng(0).normal(0, 0.08, (20, 3))
            clip = np.c_[pts, np.ones(len(pts))] @ (proj @ view).T
            ndc = clip[:, :2] / clip[:, 3:]
            px = np.stack([(ndc[:, 0] + 1) / 2 * w, (1 - ndc[:, 1]) / 2 * h], 1)
            out.append(float(np.abs(px - project_points(pts, K, cam.w2c)[0]).max()))
        print(json.dumps(out))
    """)
    res = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120,
                         env={**__import__("os").environ, "PYTHONPATH": str(REPO)})
    assert res.returncode == 0, res.stderr[-2000:]
    errors = json.loads(res.stdout.strip().splitlines()[-1])
    assert max(errors) < 2e-3  # pixels; Blender's matrices are float32
