"""Build one identity in the Blender scene and update it per frame.

The head is one mesh (skin, eyes, mouth interior) with a material per region; scalp hair, beard,
brows and lashes are hair-curves objects with the Principled Hair BSDF. Per frame only vertex
positions and curve points change (:func:`update_frame`); nothing is rebuilt per camera or frame.
:func:`remove_objects_and_world` deletes everything the identity created so memory stays flat
(:func:`synthetic.blender.staging.clear_identity` also drops Cycles' cached render data).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import bpy
import numpy as np

from synthetic.assets.skin import SkinParams
from synthetic.assets.teeth import mouth_colours
from synthetic.assets.wrinkles import WRINKLES, wrinkle_activations
from synthetic.strand_follow import attach_roots, follow, vertex_motion
from synthetic.strand_lod import thin_strands

from . import materials
from .bpy_data import hair_curves_from_strands, mesh_from_arrays, purge_orphans, set_curve_positions, set_mesh_positions

STRAND_PART = {"hair": "hair", "beard": "beard", "brows": "brows", "lashes": "lashes"}


@dataclass
class StrandGroup:
    obj: bpy.types.Object
    rest_points: np.ndarray  # [S, P, 3] neutral frame (m)
    root_vertex: np.ndarray  # [S] head-model vertex each strand follows


@dataclass
class IdentityObjects:
    head: bpy.types.Object
    strands: list[StrandGroup]
    follow_ids: np.ndarray
    others: list = field(default_factory=list)
    skin: bpy.types.Material | None = None
    rest_offsets: np.ndarray | None = None  # [V, 3] the identity's mouth (m): teeth, inner lip; synthetic.assets.teeth

    def all_objects(self) -> list:
        return [self.head, *[g.obj for g in self.strands], *self.others]


def _curve_material(name: str, strands, colour: dict | None, part: str) -> bpy.types.Material:
    """Hair BSDF whose melanin comes from the per-strand ``melanin`` curve attribute."""
    redness = float(colour["melanin_redness"]) if colour else 0.3
    random_color = float(colour.get("random_color", 0.1)) if colour else 0.1
    mat = materials.hair_material(name, float(np.mean(strands.melanin)) if strands.count else 0.5, redness, part,
                                  random_color=random_color)  # fmt: skip
    nt = mat.node_tree
    hair = next(n for n in nt.nodes if n.bl_idname == "ShaderNodeBsdfHairPrincipled")
    attr = nt.nodes.new("ShaderNodeAttribute")
    attr.attribute_type = "GEOMETRY"
    attr.attribute_name = "melanin"
    nt.links.new(attr.outputs["Fac"], hair.inputs["Melanin"])
    return mat


def build_identity(scene: bpy.types.Scene, model, params: dict, assets, neutral: np.ndarray,
                   strand_lod: dict[str, int] | None = None, subsurface: str | None = None) -> IdentityObjects:
    """Create the head mesh and strand objects of one identity in its neutral frame.

    Args:
        model: ``synthetic.head.HeadModel``.
        params: ``IdentitySampler.sample`` output (JSON parameters).
        assets: ``IdentitySampler.build`` output (textures, strands, performance).
        neutral: ``[V, 3]`` neutral vertices of this identity (m).
        strand_lod: thinning factor per strand group (:func:`synthetic.strand_lod.strand_lod`); None or
            a missing group = every strand.
        subsurface: skin subsurface method for rendering (None keeps the material's random-walk skin).
    """
    tex = assets.textures
    albedo = tex.albedo_srgb8().astype(np.float32) / 255.0
    skin = materials.skin_material("skin", albedo, tex.roughness, tex.specular, relief=tex.relief, wrinkles=WRINKLES,
                                   subsurface=SkinParams.from_json(params["skin"]).subsurface())
    iris_rgb = 0.5 * (np.asarray(params["iris"]["inner"]) + np.asarray(params["iris"]["outer"]))
    slots, face_slot = materials.head_material_slots(model, skin, iris_rgb, mouth_colours(params), textured_eyes=True)
    mesh = mesh_from_arrays("head", neutral, model.faces, model.uv_coords, model.uv_faces, face_slot)
    if subsurface:
        materials.set_subsurface_method(slots, subsurface)
    for mat in slots:
        mesh.materials.append(mat)
    head = bpy.data.objects.new("head", mesh)
    scene.collection.objects.link(head)

    skin_ids = model.part_vertices("skin")
    groups = []
    for name, strands in assets.strands.items():
        if strands.count == 0:
            continue
        strands = thin_strands(strands, (strand_lod or {}).get(name, 1))
        curves = hair_curves_from_strands(name, strands.points, strands.radius)
        attr = curves.attributes.new("melanin", "FLOAT", "CURVE")
        attr.data.foreach_set("value", np.asarray(strands.melanin, dtype=np.float32))
        if name == "hair":
            colour = params["hair"]["colour"]
        else:
            colour = {"melanin_redness": params["facial_hair"]["melanin_redness"], "random_color": 0.1}
        curves.materials.append(_curve_material(f"{name}_mat", strands, colour, STRAND_PART.get(name, "hair")))
        ob = bpy.data.objects.new(name, curves)
        scene.collection.objects.link(ob)
        roots = attach_roots(neutral, strands.roots.astype(np.float64), skin_ids)
        groups.append(StrandGroup(ob, strands.points.astype(np.float64), roots))
    follow_ids = np.unique(np.concatenate([g.root_vertex for g in groups])) if groups else np.zeros(0, np.int64)
    return IdentityObjects(head, groups, follow_ids, skin=skin, rest_offsets=assets.rest_offsets)


def update_frame(objs: IdentityObjects, model, shape, expression, pose) -> np.ndarray:
    """Pose the identity for one frame and set its expression wrinkles; returns the posed vertices
    ``[V, 3]`` (m)."""
    verts = model.vertices(shape, expression, pose, rest_offsets=objs.rest_offsets)
    set_mesh_positions(objs.head.data, verts)
    if objs.skin is not None:
        activations = wrinkle_activations(model.expression_names, expression)
        materials.set_wrinkles(objs.skin, dict(zip(WRINKLES, activations.tolist(), strict=True)))
    if objs.strands:
        motion = vertex_motion(model, shape, expression, pose, objs.follow_ids)
        for g in objs.strands:
            set_curve_positions(g.obj.data, follow(g.rest_points, g.root_vertex, motion, objs.follow_ids))
    return verts


def remove_objects_and_world(scene: bpy.types.Scene, objects) -> None:
    """Delete ``objects`` and the scene's world (both per identity), then every datablock left without users."""
    for ob in list(objects):
        bpy.data.objects.remove(ob, do_unlink=True)
    if scene.world is not None:
        bpy.data.worlds.remove(scene.world)
    purge_orphans()
