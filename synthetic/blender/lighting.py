"""Per-identity lighting in Blender: the world and area lights that :func:`synthetic.light_meter.metered_lighting`
draws from the identity's random stream (a procedural HDR environment of several kinds plus key / fill / rim
lights, so lighting varies across the dataset: SynShot used one environment map for everything and names that a
weakness) and meters for the face."""

from __future__ import annotations

import bpy
import numpy as np

from ..light_meter import metered_lighting
from .bpy_data import image_from_array


def _area_light(name: str, location, target, power_w: float, size_m: float, colour) -> bpy.types.Object:
    light = bpy.data.lights.new(name, "AREA")
    light.energy = power_w
    light.size = size_m
    light.color = tuple(float(c) for c in colour)
    ob = bpy.data.objects.new(name, light)
    ob.location = location
    direction = np.asarray(target, dtype=float) - np.asarray(location, dtype=float)
    from mathutils import Vector

    ob.rotation_euler = Vector(direction).to_track_quat("-Z", "Y").to_euler()
    return ob


def build_lighting(scene: bpy.types.Scene, rng: np.random.Generator, target=(0.0, 0.0, 0.0)) -> tuple[list, dict]:
    """Create the world and lights for one identity (drawn and metered by
    :func:`synthetic.light_meter.metered_lighting`); returns (objects created, JSON description)."""
    desc, env = metered_lighting(rng, target)
    world = bpy.data.worlds.new("synthheads_world")
    scene.world = world
    nt = world.node_tree
    nt.nodes.clear()
    tex = nt.nodes.new("ShaderNodeTexEnvironment")
    tex.image = image_from_array("synthheads_env", env, colorspace="Linear Rec.709", hdr=True)
    mapping = nt.nodes.new("ShaderNodeMapping")
    mapping.inputs["Rotation"].default_value[2] = desc["environment_rotation_rad"]
    coord = nt.nodes.new("ShaderNodeTexCoord")
    bg = nt.nodes.new("ShaderNodeBackground")
    bg.inputs["Strength"].default_value = desc["environment_strength"]
    out = nt.nodes.new("ShaderNodeOutputWorld")
    nt.links.new(coord.outputs["Generated"], mapping.inputs["Vector"])
    nt.links.new(mapping.outputs["Vector"], tex.inputs["Vector"])
    nt.links.new(tex.outputs["Color"], bg.inputs["Color"])
    nt.links.new(bg.outputs["Background"], out.inputs["Surface"])

    objects = []
    for light in desc["lights"]:
        ob = _area_light(f"synthheads_{light['role']}", light["location_m"], light["aim_m"], light["power_w"],
                         light["size_m"], light["colour"])
        scene.collection.objects.link(ob)
        objects.append(ob)
    return objects, desc
