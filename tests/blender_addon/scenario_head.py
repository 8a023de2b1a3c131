"""Inside Blender: install the zip, Add Synthetic Head, check its rig against the numpy model,
randomise every part, render a tiny Cycles image. Writes a JSON report for ``test_addon_head.py``."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _addon_in_blender as B  # noqa: E402
import bpy  # noqa: E402
import numpy as np  # noqa: E402

A = B.args()
T = B.Timer()
with T("install"):
    B.install(A["zip"])
from bl_ext.user_default.synthheads import head_data, scene_head  # noqa: E402

from synthetic.assets.identity import lid_rest  # noqa: E402
from synthetic.head import lbs  # noqa: E402

report = {"operators": sorted(o for o in dir(bpy.ops.scene) if o.startswith("synthheads_")),
          "panels": sorted(c.bl_category + ":" + c.bl_label for c in bpy.types.Panel.__subclasses__()
                           if getattr(c, "bl_category", "") == "SynthHeads")}  # fmt: skip
scene = bpy.context.scene
settings = scene.synthheads.head
settings.seed, settings.texture_size, settings.hair_quality = A["seed"], "256", "preview"
with T("add_head"):
    bpy.ops.scene.synthheads_add_head()
root = bpy.context.active_object
model = head_data.load_model()
state = scene_head.head_state(root)
mesh_obj = scene_head.head_part(root, "mesh")
keys = mesh_obj.data.shape_keys.key_blocks
report["root"] = {"name": root.name, "type": root.type, "state_seed": state.options.seed, "seeds": state.seeds}
report["mesh"] = {"vertices": len(mesh_obj.data.vertices), "polygons": len(mesh_obj.data.polygons),
                  "model_vertices": model.n_vertices, "model_faces": model.n_faces,
                  "uv_layers": [u.name for u in mesh_obj.data.uv_layers],
                  "modifiers": [(m.type, getattr(m, "object", None) and m.object.name) for m in mesh_obj.modifiers],
                  "parent": mesh_obj.parent.name}  # fmt: skip
report["keys"] = [(k.name, k.slider_min, k.slider_max, k.value) for k in keys]
report["lid_rest"] = lid_rest(state.params)
report["key_names"] = dict(mesh_obj.data.shape_keys[scene_head.NAMES_KEY])
report["model"] = {"expression_names": list(model.expression_names),
                   "expression_ranges": model.expression_ranges.tolist(), "joint_names": list(model.joint_names),
                   "joint_parents": model.joint_parents.tolist()}  # fmt: skip
expected = head_data.identity_values(model, state.params, 50)
values = np.array([keys[f"Shape{k:03d}"].value for k in range(50)])
report["identity_value_err"] = float(np.max(np.abs(values - expected)))
shape = np.asarray(state.params["shape"])
joints = model.joints(shape)
report["bones"] = {b.name: {"parent": b.parent.name if b.parent else None, "head": list(b.head_local)}
                   for b in root.data.bones}  # fmt: skip
report["bone_head_err"] = float(max(np.abs(np.array(root.data.bones[n].head_local) - joints[j]).max()
                                    for j, n in enumerate(model.joint_names)))  # fmt: skip
groups = {vg.index: vg.name for vg in mesh_obj.vertex_groups}
weights = np.zeros((model.n_vertices, len(model.joint_names)))
for v in mesh_obj.data.vertices:
    for g in v.groups:
        weights[v.index, model.joint_names.index(groups[g.group])] = g.weight
kept = np.round(model.skin_weights, 5)  # the add-on groups weights rounded to 1e-5 and drops those under 1e-4
report["skin_weight_err"] = float(np.max(np.abs(weights - np.where(kept >= 1e-4, model.skin_weights, 0))))
mats = [s.material for s in mesh_obj.material_slots]
report["eye_images"] = sorted({n.image.name for m in mats if m.get(scene_head.ROLE_KEY) in scene_head.EYE_ROLES
                              for n in m.node_tree.nodes if n.bl_idname == "ShaderNodeTexImage" and n.image})
report["materials"] = {"count": len(mats), "roles": sorted(m.get(scene_head.ROLE_KEY, "") for m in mats),
                       "images": sorted({(n.image.name, n.image.packed_file is not None, tuple(n.image.size))
                                         for m in mats for n in m.node_tree.nodes
                                         if n.bl_idname == "ShaderNodeTexImage"})}  # fmt: skip
report["strands"] = {}
for group in scene_head.STRAND_GROUPS:
    ob = scene_head.head_part(root, group)
    report["strands"][group] = None if ob is None else {
        "type": ob.type, "curves": len(ob.data.curves), "points": len(ob.data.points),
        "parent_type": ob.parent_type, "parent_bone": ob.parent_bone, "material": ob.data.materials[0].name,
        "world_is_identity_at_rest": bool(np.allclose(np.array(ob.matrix_world), np.eye(4), atol=1e-6))}  # fmt: skip
report["drivers"] = [(fc.data_path, fc.array_index, fc.driver.expression)
                     for fc in (root.animation_data.drivers if root.animation_data else [])]  # fmt: skip

# rig: jaw_open through the driver, a head turn and a glance, against the numpy LBS (no pose correctives)
with T("rig_check"):
    expr = model.expression_vector(jaw_open=0.8, mouth_smile_left=0.5)
    for e, value in enumerate(expr):
        keys[f"Exp{e:03d}"].value = float(value)
    pose = np.zeros((len(model.joint_names), 3))
    pose[model.joint_index("head")] = (0.15, 0.0, 0.2)
    pose[model.joint_index("eye_left")] = (0.0, 0.0, 0.2)
    for name in ("head", "eye_left"):
        pb = root.pose.bones[name]
        pb.rotation_mode = "XYZ"
        aa_local = np.array(pb.bone.matrix_local.to_3x3()).T @ pose[model.joint_index(name)]
        pb.rotation_euler = aa_local.tolist()  # single-axis rest frames: euler = axis-angle for one axis...
    bpy.context.view_layer.update()
    skin_mat = next(s.material for s in mesh_obj.material_slots if s.material.get("synthheads_role") == "skin")
    report["wrinkles"] = {n.name: n.outputs[0].default_value for n in skin_mat.node_tree.nodes
                          if n.name.startswith("wrinkle_")}  # fmt: skip
    report["wrinkle_expression"] = expr.tolist()
    got = B.evaluated_vertices(mesh_obj)
    rot = model.rotations(pose, expr)
    for name in ("head", "eye_left"):  # ...so compare with the rotation Blender actually applied
        pb = root.pose.bones[name]
        r_local = np.array(pb.rotation_euler.to_matrix())
        rest = np.array(pb.bone.matrix_local.to_3x3())
        rot[model.joint_index(name)] = rest @ r_local @ rest.T
    # the identity's teeth as the dataset renderer builds them; the add-on's base mesh holds them
    teeth = head_data.sampler(model, state.options).build(state.params, parts=("teeth",)).rest_offsets
    report["teeth_offset_max"] = float(np.abs(teeth).max())
    v_shaped = model.shaped(shape, expr) + teeth
    transforms = lbs.forward_kinematics(rot, joints, model.joint_parents)
    want = lbs.skin_vertices(v_shaped, model.skin_weights, transforms)
    report["rig_err"] = float(np.abs(got - want).max())
    report["rig_jaw_motion"] = float(np.abs(want - v_shaped).max())
    report["full_model_diff"] = float(np.abs(got - model.vertices(shape, expr, pose, rest_offsets=teeth)).max())
    hair = scene_head.head_part(root, "hair")
    report["hair_follows_head"] = bool(not np.allclose(np.array(hair.matrix_world), np.eye(4), atol=1e-4))
    for kb in keys:
        if kb.name.startswith("Exp"):
            kb.value = 0.0
    for name in ("head", "eye_left"):
        root.pose.bones[name].rotation_euler = (0.0, 0.0, 0.0)
    bpy.context.view_layer.update()

# randomise every part: what changes and what stays
def skin_image():
    skin = next(s.material for s in mesh_obj.material_slots if s.material.get("synthheads_role") == "skin")
    return next(n.image for n in skin.node_tree.nodes if n.bl_idname == "ShaderNodeTexImage")


def rest_errors(st) -> tuple[float, float]:
    """How far the base mesh is from template + the identity's mouth offsets, and the first identity key's offset
    from the base from its target (m)."""
    n = 3 * len(mesh_obj.data.vertices)
    base, key0 = np.empty(n, np.float32), np.empty(n, np.float32)
    keys[0].data.foreach_get("co", base)
    keys["Shape000"].data.foreach_get("co", key0)
    mouth = head_data.sampler(model, st.options).build(st.params, parts=("teeth",)).rest_offsets
    want = (model.template if mouth is None else model.template + mouth).ravel()
    target = head_data.shape_key_targets(model, 1)[0][0].ravel()
    return float(np.abs(base - want).max()), float(np.abs(key0 - base - target).max())


def snapshot():
    st = scene_head.head_state(root)
    rest_error, key_error = rest_errors(st)
    return {"shape": [keys[f"Shape{k:03d}"].value for k in range(50)],
            "exp": [keys[f"Exp{e:03d}"].value for e in range(model.n_expression)],
            "bones": {b.name: list(b.head_local) for b in root.data.bones},
            "skin_image": skin_image().name, "skin_pixels": float(np.mean(np.array(skin_image().pixels[:]))),
            "eye_images": sorted({n.image.name for s in mesh_obj.material_slots
                                  if s.material.get(scene_head.ROLE_KEY) in scene_head.EYE_ROLES
                                  for n in s.material.node_tree.nodes
                                  if n.bl_idname == "ShaderNodeTexImage" and n.image}),
            "hair": {g: (len(o.data.curves), float(np.mean([p.position[2] for p in o.data.points[:200]]))
                         if len(o.data.points) else 0.0)
                     for g in scene_head.STRAND_GROUPS if (o := scene_head.head_part(root, g)) is not None},
            "params": {k: st.params[k] for k in ("skin", "iris", "hair", "facial_hair")}, "seeds": st.seeds,
            "n_images": len(bpy.data.images), "n_materials": len(bpy.data.materials),
            "n_curves": len(bpy.data.hair_curves), "rest_error": rest_error, "key_error": key_error,
            "base": [keys[0].data[i].co[0] for i in range(0, len(mesh_obj.data.vertices), 97)]}  # fmt: skip


report["randomize"] = {"before": snapshot()}
for i, part in enumerate(("identity", "expression", "skin", "hair", "beard")):
    with T(f"randomize_{part}"):
        bpy.ops.scene.synthheads_randomize(part=part, seed=100 + i)
    report["randomize"][part] = snapshot()
report["expected_expression"] = head_data.expression_values(model, 101, scene_head.head_state(root).params).tolist()
settings.seed = 41
bpy.ops.scene.synthheads_randomize(part="expression")  # seed -1: the panel's seed + 1
report["next_seed"] = {"panel": settings.seed, "state": scene_head.head_state(root).seeds["expression"]}
for kb in keys:
    if kb.name.startswith("Exp"):
        kb.value = 0.0

with T("render"):
    B.light_scene()
    B.frame_camera(distance=0.75, lens=70, height=0.05)
    report["render"] = B.render(os.path.join(A["out"], "head.png"), size=A.get("size", (64, 64)),
                                samples=A.get("samples", 4))  # fmt: skip
bpy.ops.object.select_all(action="DESELECT")
bpy.context.view_layer.objects.active = None
report["poll_without_head"] = bpy.ops.scene.synthheads_randomize.poll()
report["times"] = T.times
B.write_report(os.path.join(A["out"], "report.json"), report)
