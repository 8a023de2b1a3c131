"""Add Synthetic Head and its Randomise buttons: the bpy side (numbers come from :mod:`.head_data`).

A head is an armature object (the root, carrying the JSON state in ``synthheads_head``) with the
bones neck/head/jaw/eye_left/eye_right, a skinned mesh child with ``Shape###``/``Exp###`` shape
keys, and hair-curves children (hair, beard, brows, lashes) parented to the head bone. Children
are found by their ``synthheads_part`` tag, never by name, so renaming is safe. Materials and
image helpers are Blender's scene-builder modules of ``synthetic.blender``, bundled by
``build_addon.py`` as ``._vendor``.
"""

from __future__ import annotations

import bpy
import numpy as np
from mathutils import Matrix

from . import head_data
from ._vendor import bpy_data, materials
from .head_data import HeadOptions, HeadState

STATE_KEY = "synthheads_head"
PART_KEY = "synthheads_part"
ROLE_KEY = "synthheads_role"
NAMES_KEY = "synthheads_names"
STRAND_GROUPS = ("hair", "beard", "brows", "lashes")
STRAND_MATERIAL_PART = {"hair": "hair", "beard": "beard", "brows": "brows", "lashes": "lashes"}


# ----------------------------------------------------------------------------- lookup
def head_root(obj: bpy.types.Object | None) -> bpy.types.Object | None:
    """The head's armature for ``obj`` or any of its children; None when ``obj`` is no synthetic head."""
    while obj is not None:
        if STATE_KEY in obj:
            return obj
        obj = obj.parent
    return None


def head_part(root: bpy.types.Object, part: str) -> bpy.types.Object | None:
    return next((c for c in root.children if c.get(PART_KEY) == part), None)


def head_state(root: bpy.types.Object) -> HeadState:
    return HeadState.from_json(root[STATE_KEY])


# ----------------------------------------------------------------------------- building
def add_head(context: bpy.types.Context, options: HeadOptions) -> bpy.types.Object:
    """Build a synthetic head from ``options.seed`` in the active collection; returns its armature."""
    model = head_data.load_model()
    state = head_data.initial_state(model, options)
    parts = ("textures", "teeth", *STRAND_GROUPS) if options.strands else ("textures", "teeth")
    assets = head_data.sampler(model, options).build(state.params, parts=parts)
    collection = context.collection or context.scene.collection

    arm = bpy.data.armatures.new("SynthHead_rig")
    arm.display_type = "STICK"
    root = bpy.data.objects.new("SynthHead", arm)
    root.show_in_front = True
    collection.objects.link(root)
    _edit_bones(context, root, lambda bones: _place_bones(bones, model, state.params, create=True))

    mesh_obj = _head_mesh(model, state, assets.textures, assets.rest_offsets, collection)
    mesh_obj.parent = root
    mod = mesh_obj.modifiers.new("Armature", "ARMATURE")
    mod.object = root
    _add_jaw_drivers(model, root, mesh_obj)
    if options.strands:
        for group in STRAND_GROUPS:
            _set_strands(root, group, assets.strands[group], state.params, collection)
    root[STATE_KEY] = state.to_json()
    return root


def _edit_bones(context, arm_obj, edit) -> None:
    """Run ``edit(edit_bones)`` in edit mode of ``arm_obj``; the active object and mode are restored."""
    view_layer = context.view_layer
    previous = view_layer.objects.active
    view_layer.objects.active = arm_obj
    try:
        bpy.ops.object.mode_set(mode="EDIT")
        edit(arm_obj.data.edit_bones)
    finally:
        bpy.ops.object.mode_set(mode="OBJECT")
        view_layer.objects.active = previous if previous is not None else arm_obj


def _place_bones(bones, model, params: dict, create: bool) -> None:
    for name, parent, head, tail in head_data.bone_layout(model, head_data.joint_positions(model, params)):
        bone = bones.new(name) if create else bones[name]
        bone.head, bone.tail, bone.roll = head.tolist(), tail.tolist(), 0.0
        if create and parent is not None:
            bone.parent = bones[parent]
            bone.use_connect = False


def _head_mesh(model, state: HeadState, textures, rest_offsets, collection) -> bpy.types.Object:
    """The skinned head mesh: base = template + the identity's mouth (``rest_offsets`` ``[V, 3]`` m: teeth, gums and
    the inner lip at the corners; or None), the dataset renderer's materials (painted eyes, the identity's mouth
    colours), shape keys and drivers."""
    from synthetic.assets.teeth import mouth_colours

    albedo = head_data.srgb8_to_unit(textures.albedo_srgb8())
    skin = _skin_material(albedo, textures, state.params)
    iris_rgb = 0.5 * (np.asarray(state.params["iris"]["inner"]) + np.asarray(state.params["iris"]["outer"]))
    slots, face_slot = materials.head_material_slots(model, skin, iris_rgb, mouth_colours(state.params),
                                                     textured_eyes=True)
    _tag_head_materials(model, slots, face_slot)
    base = model.template if rest_offsets is None else model.template + rest_offsets
    mesh = bpy_data.mesh_from_arrays("SynthHead_mesh", base, model.faces, model.uv_coords,
                                     model.uv_faces, face_slot)  # fmt: skip
    for mat in slots:
        mesh.materials.append(mat)
    obj = bpy.data.objects.new("SynthHead_mesh", mesh)
    obj[PART_KEY] = "mesh"
    collection.objects.link(obj)
    _add_shape_keys(model, state, obj)
    _add_wrinkle_drivers(model, obj, skin)
    for name, groups in head_data.skin_weight_groups(model).items():
        vg = obj.vertex_groups.new(name=name)
        for weight, ids in groups:
            vg.add(ids.tolist(), weight, "REPLACE")
    return obj


EYE_ROLES = materials.TEXTURED_EYE_REGIONS
"""Materials that read the skin's albedo image (the identity's painted eyes), tagged by their region's name."""


def _tag_head_materials(model, slots, face_slot) -> None:
    """Tag the skin, neck and eye materials (found through the faces of their regions) and pack images."""
    for role, region in (("skin", "face"), ("neck", "neck"), *((r, r) for r in EYE_ROLES)):
        faces = np.flatnonzero(model.face_regions == model.region_index(region))
        if len(faces):
            slots[int(face_slot[faces[0]])][ROLE_KEY] = role
    for mat in slots:
        _pack_images(mat)


def _pack_images(mat: bpy.types.Material) -> None:
    """Pack generated images into the .blend so that saved files keep their textures."""
    for node in mat.node_tree.nodes:
        if node.bl_idname == "ShaderNodeTexImage" and node.image is not None and node.image.packed_file is None:
            node.image.pack()


def _add_shape_keys(model, state: HeadState, obj) -> None:
    n = state.options.n_shape_keys
    shape, expr = head_data.shape_key_targets(model, n)
    template = np.array([v.co for v in obj.data.vertices], dtype=np.float32)  # the base: template + teeth
    obj.shape_key_add(name="Basis", from_mix=False)
    values = head_data.identity_values(model, state.params, n)
    neutral = head_data.neutral_expression(model, state.params)
    for k in range(n):
        kb = obj.shape_key_add(name=f"Shape{k:03d}", from_mix=False)
        kb.data.foreach_set("co", (template + shape[k]).ravel())
        kb.slider_min, kb.slider_max = -3.0, 3.0
        kb.value = float(values[k])
    for e in range(model.n_expression):
        kb = obj.shape_key_add(name=f"Exp{e:03d}", from_mix=False)
        kb.data.foreach_set("co", (template + expr[e]).ravel())
        lo, hi = (float(x) for x in model.expression_ranges[e])
        kb.slider_min, kb.slider_max = max(lo, -10.0), min(hi, 10.0)
        kb.value = float(neutral[e])
    obj.data.shape_keys.name = "SynthHead_keys"
    obj.data.shape_keys[NAMES_KEY] = {f"Exp{e:03d}": name for e, name in enumerate(model.expression_names)}


def _expression_sum(driver, key, terms: list[tuple[int, float]]) -> str:
    """Make ``driver`` a scripted driver with one variable per expression slider of ``terms``
    (``(expression index, coefficient)``) and return the simple expression ``c0*e0 + c1*e1 + ...``."""
    driver.type = "SCRIPTED"
    parts = []
    for i, (e, coef) in enumerate(terms):
        var = driver.variables.new()
        var.name, var.type = f"e{i}", "SINGLE_PROP"
        var.targets[0].id_type = "KEY"
        var.targets[0].id = key
        var.targets[0].data_path = f'key_blocks["Exp{e:03d}"].value'
        parts.append(f"{coef:.9g}*e{i}")
    return " + ".join(parts)


def _skin_material(albedo, textures, params: dict) -> bpy.types.Material:
    """The skin material with its relief (micro-detail and expression wrinkle maps) when the textures have
    one, and the identity's subsurface scattering (``SkinParams.subsurface``)."""
    from synthetic.assets.skin import SkinParams
    from synthetic.assets.wrinkles import WRINKLES

    return materials.skin_material("skin", albedo, textures.roughness, textures.specular, relief=textures.relief,
                                   wrinkles=WRINKLES, subsurface=SkinParams.from_json(params["skin"]).subsurface())


def _add_wrinkle_drivers(model, mesh_obj, skin: bpy.types.Material) -> None:
    """Drive the skin's wrinkle values from the expression sliders: a brow raise lines the forehead,
    a smile deepens the nasolabial folds and crow's feet, as in the dataset renders."""
    key = mesh_obj.data.shape_keys
    nodes = skin.node_tree.nodes
    for wrinkle, terms in head_data.wrinkle_driver_terms(model).items():
        node = nodes.get(materials.wrinkle_node_name(wrinkle))
        if node is None or not terms:
            continue
        driver = node.outputs[0].driver_add("default_value").driver
        driver.expression = f"min(1.0, max(0.0, {_expression_sum(driver, key, terms)}))"


def _add_jaw_drivers(model, root, mesh_obj) -> None:
    """Drive the jaw bone's Euler rotation from the jaw_* expression sliders (simple expressions, no Python)."""
    pose_bone = root.pose.bones["jaw"]
    pose_bone.rotation_mode = "XYZ"
    key = mesh_obj.data.shape_keys
    rest = np.array(pose_bone.bone.matrix_local.to_3x3())
    for axis, terms in enumerate(head_data.jaw_driver_terms(model, rest)):
        if not terms:
            continue
        driver = pose_bone.driver_add("rotation_euler", axis).driver
        driver.expression = _expression_sum(driver, key, terms)


def _strand_material(name: str, strands, colour: dict, part: str) -> bpy.types.Material:
    """Principled Hair BSDF whose melanin comes from the per-strand ``melanin`` curve attribute."""
    melanin = float(np.mean(strands.melanin)) if strands.count else 0.5
    mat = materials.hair_material(name, melanin, float(colour.get("melanin_redness", 0.3)), part,
                                  random_color=float(colour.get("random_color", 0.1)))  # fmt: skip
    nt = mat.node_tree
    hair = next(n for n in nt.nodes if n.bl_idname == "ShaderNodeBsdfHairPrincipled")
    attr = nt.nodes.new("ShaderNodeAttribute")
    attr.attribute_type, attr.attribute_name = "GEOMETRY", "melanin"
    nt.links.new(attr.outputs["Fac"], hair.inputs["Melanin"])
    return mat


def _strand_colour(params: dict, group: str) -> dict:
    if group == "hair":
        return params["hair"]["colour"]
    return {"melanin_redness": params["facial_hair"]["melanin_redness"], "random_color": 0.1}


def _set_strands(root, group: str, strands, params: dict, collection=None) -> bpy.types.Object:
    """Create or replace the hair-curves child ``group`` of ``root`` with ``strands`` (world = model frame)."""
    curves = bpy_data.hair_curves_from_strands(f"{root.name}_{group}", strands.points, strands.radius)
    if strands.count:
        attr = curves.attributes.new("melanin", "FLOAT", "CURVE")
        attr.data.foreach_set("value", np.asarray(strands.melanin, dtype=np.float32))
    curves.materials.append(_strand_material(f"{root.name}_{group}", strands, _strand_colour(params, group),
                                             STRAND_MATERIAL_PART[group]))  # fmt: skip
    obj = head_part(root, group)
    if obj is None:
        obj = bpy.data.objects.new(f"{root.name}_{group}", curves)
        obj[PART_KEY] = group
        (collection or root.users_collection[0]).objects.link(obj)
    else:
        old = obj.data
        obj.data = curves
        _remove_curves(old)
    _parent_to_bone(obj, root, "head")
    return obj


def _remove_curves(curves) -> None:
    mats = [m for m in curves.materials if m is not None]
    if curves.users == 0:
        bpy.data.hair_curves.remove(curves)
    for mat in mats:
        if mat.users == 0:
            bpy.data.materials.remove(mat)


def _parent_to_bone(obj, root, bone_name: str) -> None:
    """Parent ``obj`` to a bone keeping its world placement in the rest pose (Blender bone parents sit at the tail)."""
    bone = root.data.bones[bone_name]
    obj.parent, obj.parent_type, obj.parent_bone = root, "BONE", bone_name
    rest = root.matrix_world @ bone.matrix_local @ Matrix.Translation((0.0, bone.length, 0.0))
    obj.matrix_basis = Matrix.Identity(4)
    obj.matrix_parent_inverse = rest.inverted()


# ----------------------------------------------------------------------------- randomising
def randomize(context, root, part: str, seed: int) -> HeadState:
    """Draw ``part`` of the head ``root`` afresh from ``seed``; returns the new state (also stored on ``root``)."""
    model = head_data.load_model()
    state = head_data.redraw_part(model, head_state(root), part, seed)
    mesh_obj = head_part(root, "mesh")
    if mesh_obj is None:
        raise LookupError(f"{root.name}: the head mesh is missing (deleted?); add a new synthetic head")
    keys = mesh_obj.data.shape_keys.key_blocks
    if part == "identity":
        for k, value in enumerate(head_data.identity_values(model, state.params, state.options.n_shape_keys)):
            keys[f"Shape{k:03d}"].value = float(value)
        from synthetic.assets.teeth import mouth_rest_offsets

        _set_rest_offsets(model, mesh_obj, mouth_rest_offsets(model, state.params))  # the new face's teeth, lip corners
        _edit_bones(context, root, lambda bones: _place_bones(bones, model, state.params, create=False))
        _regrow(root, model, state, [g for g in STRAND_GROUPS if head_part(root, g) is not None])
    elif part == "expression":
        for e, value in enumerate(head_data.expression_values(model, seed, state.params)):
            keys[f"Exp{e:03d}"].value = float(value)
    elif part == "skin":
        _replace_skin(model, state, mesh_obj)
    elif part == "hair":
        _regrow(root, model, state, ["hair"])
    elif part == "beard":
        _regrow(root, model, state, ["beard", "brows", "lashes"])
    root[STATE_KEY] = state.to_json()
    return state


def _set_rest_offsets(model, mesh_obj, rest_offsets) -> None:
    """Move the base mesh to ``template + rest_offsets`` (``[V, 3]`` m, the identity's teeth, gums and inner lip at
    the corners; None = the template's mouth), keeping every shape key's offset from the base."""
    keys = mesh_obj.data.shape_keys.key_blocks
    n = 3 * len(mesh_obj.data.vertices)
    base = np.empty(n, np.float32)
    keys[0].data.foreach_get("co", base)
    target = (model.template if rest_offsets is None else model.template + rest_offsets).astype(np.float32).ravel()
    delta = target - base
    co = np.empty(n, np.float32)
    for kb in keys:
        kb.data.foreach_get("co", co)
        kb.data.foreach_set("co", co + delta)
    mesh_obj.data.vertices.foreach_set("co", target)
    mesh_obj.data.update()


def _regrow(root, model, state: HeadState, groups: list[str]) -> None:
    if not groups:
        return
    assets = head_data.sampler(model, state.options).build(state.params, parts=tuple(groups))
    for group in groups:
        _set_strands(root, group, assets.strands[group], state.params)


def _replace_skin(model, state: HeadState, mesh_obj) -> None:
    """New skin textures and iris colour; the old skin and neck materials and their images are removed."""
    textures = head_data.sampler(model, state.options).build(state.params, parts=("textures",)).textures
    skin = _skin_material(head_data.srgb8_to_unit(textures.albedo_srgb8()), textures, state.params)
    _add_wrinkle_drivers(model, mesh_obj, skin)
    skin[ROLE_KEY] = "skin"
    _pack_images(skin)
    neck = skin.copy()
    neck.name = skin.name + "_neck"
    neck.pass_index = materials.PART_INDEX["neck"]
    neck[ROLE_KEY] = "neck"
    old = []
    for slot in mesh_obj.material_slots:
        mat = slot.material
        role = mat.get(ROLE_KEY) if mat is not None else None
        if role in ("skin", "neck"):
            old.append(mat)
            slot.material = skin if role == "skin" else neck
        elif role in EYE_ROLES:  # the new skin image holds the new iris pattern
            albedo = materials.albedo_image(skin)
            for node in mat.node_tree.nodes:
                if node.bl_idname == "ShaderNodeTexImage":
                    node.image = albedo
            if role == "iris":  # the flat colour a viewport without textures shows
                rgb = 0.5 * (np.asarray(state.params["iris"]["inner"]) + np.asarray(state.params["iris"]["outer"]))
                bsdf = next(n for n in mat.node_tree.nodes if n.bl_idname == "ShaderNodeBsdfPrincipled")
                bsdf.inputs["Base Color"].default_value = (*[float(c) for c in rgb], 1.0)
    for mat in {m.name: m for m in old}.values():
        images = [n.image for n in mat.node_tree.nodes if n.bl_idname == "ShaderNodeTexImage" and n.image]
        if mat.users == 0:
            bpy.data.materials.remove(mat)
        for img in images:
            if img.users == 0:
                bpy.data.images.remove(img)
