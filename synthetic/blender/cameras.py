"""Blender camera objects that reproduce the rig's OpenCV cameras (K, w2c) exactly, created once
per scene and re-posed per identity (the rig jitters per identity)."""

from __future__ import annotations

import bpy
import numpy as np
from mathutils import Matrix

from synthetic.rig import RigCamera, blender_camera_params


def ensure_camera(scene: bpy.types.Scene, name: str) -> bpy.types.Object:
    ob = bpy.data.objects.get(name)
    if ob is None:
        ob = bpy.data.objects.new(name, bpy.data.cameras.new(name))
        scene.collection.objects.link(ob)
    return ob


def pose_camera(ob: bpy.types.Object, cam: RigCamera, width: int, height: int) -> None:
    """Set lens, sensor, shift and matrix_world so Blender renders what ``cam.K``/``cam.w2c`` see."""
    p = blender_camera_params(cam.K, cam.w2c, width, height)
    data = ob.data
    data.type = "PERSP"
    data.sensor_fit = p["sensor_fit"]
    data.sensor_width = p["sensor_width"]
    data.lens = p["lens"]
    data.shift_x = p["shift_x"]
    data.shift_y = p["shift_y"]
    data.clip_start = 0.05
    data.clip_end = 100.0
    ob.matrix_world = Matrix(np.asarray(p["matrix_world"]).tolist())


def setup_rig_cameras(scene: bpy.types.Scene, rig: list[RigCamera], width: int, height: int) -> list[bpy.types.Object]:
    """One Blender camera per rig camera (created if missing), posed; returns them in rig order."""
    obs = []
    for cam in rig:
        ob = ensure_camera(scene, cam.name)
        pose_camera(ob, cam, width, height)
        obs.append(ob)
    return obs
