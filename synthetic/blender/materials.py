"""Cycles materials for a synthetic head: textured skin with subsurface scattering, eyes (sclera,
iris, pupil, cornea), teeth, gums, tongue, and Principled Hair BSDF strands.

Every material gets a ``pass_index`` from :data:`PART_INDEX` so the optional segmentation pass
(material index) labels skin, hair, beard, eyes, mouth interior and neck/clothes.
"""

from __future__ import annotations

import bpy
import numpy as np

from .bpy_data import image_from_array

PART_INDEX = {"background": 0, "skin": 1, "hair": 2, "beard": 3, "eyes": 4, "mouth": 5, "neck": 6, "clothes": 6,
              "brows": 2, "lashes": 2}  # fmt: skip


def _principled(name: str, part: str) -> tuple[bpy.types.Material, bpy.types.Node, bpy.types.NodeTree]:
    mat = bpy.data.materials.new(name)
    mat.pass_index = PART_INDEX[part]
    nt = mat.node_tree
    bsdf = nt.nodes.get("Principled BSDF")
    if bsdf is None:
        nt.nodes.clear()
        bsdf = nt.nodes.new("ShaderNodeBsdfPrincipled")
        out = nt.nodes.new("ShaderNodeOutputMaterial")
        nt.links.new(bsdf.outputs["BSDF"], out.inputs["Surface"])
    return mat, bsdf, nt


def _texture(nt: bpy.types.NodeTree, image: bpy.types.Image) -> bpy.types.Node:
    tex = nt.nodes.new("ShaderNodeTexImage")
    tex.image = image
    tex.interpolation = "Linear"
    return tex


def skin_material(name: str, albedo: np.ndarray, roughness: np.ndarray | None = None,
                  specular: np.ndarray | None = None, part: str = "skin") -> bpy.types.Material:
    """Textured skin: ``albedo`` ``[R, R, 3]`` sRGB in [0, 1] (row 0 = top of the UV image, i.e. v = 1),
    optional ``roughness`` and ``specular`` ``[R, R]`` data maps; random-walk subsurface scattering
    with a skin-like mean free path (red scatters farthest)."""
    mat, bsdf, nt = _principled(name, part)
    albedo_img = image_from_array(f"{name}_albedo", albedo)
    nt.links.new(_texture(nt, albedo_img).outputs["Color"], bsdf.inputs["Base Color"])
    if roughness is not None:
        img = image_from_array(f"{name}_roughness", roughness, colorspace="Non-Color")
        nt.links.new(_texture(nt, img).outputs["Color"], bsdf.inputs["Roughness"])
    else:
        bsdf.inputs["Roughness"].default_value = 0.45
    if specular is not None:
        img = image_from_array(f"{name}_specular", specular, colorspace="Non-Color")
        nt.links.new(_texture(nt, img).outputs["Color"], bsdf.inputs["Specular IOR Level"])
    bsdf.subsurface_method = "RANDOM_WALK_SKIN"
    bsdf.inputs["Subsurface Weight"].default_value = 1.0
    bsdf.inputs["Subsurface Radius"].default_value = (1.0, 0.35, 0.2)
    bsdf.inputs["Subsurface Scale"].default_value = 0.004  # metres: mean free path of red light in skin
    bsdf.inputs["IOR"].default_value = 1.4
    return mat


def plain_material(name: str, part: str, rgb, roughness: float = 0.5, subsurface: float = 0.0,
                   transmission: float = 0.0, ior: float = 1.45, coat: float = 0.0) -> bpy.types.Material:
    """An untextured Principled material (teeth, gums, tongue, cornea, clothing)."""
    mat, bsdf, _ = _principled(name, part)
    bsdf.inputs["Base Color"].default_value = (*[float(c) for c in rgb], 1.0)
    bsdf.inputs["Roughness"].default_value = roughness
    bsdf.inputs["Subsurface Weight"].default_value = subsurface
    if subsurface:
        bsdf.inputs["Subsurface Scale"].default_value = 0.002
    bsdf.inputs["Transmission Weight"].default_value = transmission
    bsdf.inputs["IOR"].default_value = ior
    bsdf.inputs["Coat Weight"].default_value = coat
    return mat


def eye_material(name: str, iris_rgb, pupil_radius: float = 0.35, iris_radius: float = 0.75) -> bpy.types.Material:
    """Eyeball surface: white sclera, coloured iris ring and black pupil laid out in the eyeball's
    UVs (the iris centred at UV (0.5, 0.5), radii in UV units of ``iris_radius`` * 0.5), glossy."""
    mat, bsdf, nt = _principled(name, "eyes")
    uv = nt.nodes.new("ShaderNodeTexCoord")
    sep = nt.nodes.new("ShaderNodeSeparateXYZ")
    nt.links.new(uv.outputs["UV"], sep.inputs["Vector"])
    # r = 2 * |uv - 0.5|  (0 at the pupil centre, 1 at the UV border)
    dist = nt.nodes.new("ShaderNodeVectorMath")
    dist.operation = "DISTANCE"
    dist.inputs[1].default_value = (0.5, 0.5, 0.0)
    nt.links.new(uv.outputs["UV"], dist.inputs[0])
    ramp = nt.nodes.new("ShaderNodeValToRGB")
    nt.links.new(dist.outputs["Value"], ramp.inputs["Fac"])
    cr = ramp.color_ramp
    cr.interpolation = "LINEAR"
    iris = (*[float(c) for c in iris_rgb], 1.0)
    dark = (*[0.35 * float(c) for c in iris_rgb], 1.0)
    stops = [(0.0, (0.01, 0.01, 0.01, 1)), (0.5 * pupil_radius * 0.5, (0.01, 0.01, 0.01, 1)),
             (0.5 * pupil_radius * 0.5 + 0.01, iris), (0.5 * iris_radius * 0.5 - 0.02, dark),
             (0.5 * iris_radius * 0.5, (0.05, 0.04, 0.04, 1)), (0.5 * iris_radius * 0.5 + 0.03, (0.85, 0.8, 0.78, 1)),
             (1.0, (0.8, 0.62, 0.6, 1))]  # fmt: skip
    cr.elements[0].position, cr.elements[0].color = stops[0]
    cr.elements[1].position, cr.elements[1].color = stops[-1]
    for pos, col in stops[1:-1]:
        e = cr.elements.new(pos)
        e.color = col
    nt.links.new(ramp.outputs["Color"], bsdf.inputs["Base Color"])
    bsdf.inputs["Roughness"].default_value = 0.05
    bsdf.inputs["Coat Weight"].default_value = 1.0
    bsdf.inputs["Coat Roughness"].default_value = 0.02
    return mat


def hair_material(name: str, melanin: float, redness: float, part: str = "hair",
                  roughness: float = 0.3, random_color: float = 0.15) -> bpy.types.Material:
    """Principled Hair BSDF (Chiang model) parameterised by melanin concentration (0 = blond/white,
    1 = black) and melanin redness (0..1)."""
    mat = bpy.data.materials.new(name)
    mat.pass_index = PART_INDEX[part]
    nt = mat.node_tree
    nt.nodes.clear()
    hair = nt.nodes.new("ShaderNodeBsdfHairPrincipled")
    hair.parametrization = "MELANIN"
    hair.inputs["Melanin"].default_value = float(np.clip(melanin, 0, 1))
    hair.inputs["Melanin Redness"].default_value = float(np.clip(redness, 0, 1))
    hair.inputs["Roughness"].default_value = roughness
    hair.inputs["Radial Roughness"].default_value = 0.3
    hair.inputs["Random Color"].default_value = random_color
    hair.inputs["Random Roughness"].default_value = 0.1
    out = nt.nodes.new("ShaderNodeOutputMaterial")
    nt.links.new(hair.outputs["BSDF"], out.inputs["Surface"])
    return mat
