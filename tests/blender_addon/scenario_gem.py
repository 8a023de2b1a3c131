"""Inside Blender: import a generated .gem, check its attributes, sliders and geometry nodes against
numpy, key a coefficient sequence, export PLYs, refuse bad files, render a tiny Cycles image.
Writes a JSON report for ``test_addon_gem.py``."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _addon_in_blender as B  # noqa: E402
import bpy  # noqa: E402
import numpy as np  # noqa: E402

A = B.args()
T = B.Timer()
B.install(A["zip"])
from bl_ext.user_default.synthheads import gem_eval, scene_gem  # noqa: E402

from synthetic.formats.gem import read_gem  # noqa: E402

report = {}
scene = bpy.context.scene
scene.synthheads.gem.gn_components = A["gn_components"]
scene.synthheads.gem.display = A.get("display", "AUTO")
with T("import"):
    bpy.ops.scene.synthheads_import_gem(filepath=A["gem"])
obj = bpy.context.active_object
gem = read_gem(A["gem"])
info = scene_gem.gem_info(obj)
mesh = obj.data
report["object"] = {"name": obj.name, "type": obj.type, "vertices": len(mesh.vertices), "edges": len(mesh.edges),
                    "polygons": len(mesh.polygons), "modifiers": [(m.type, m.name) for m in obj.modifiers],
                    "info": info}  # fmt: skip
co = np.empty(len(mesh.vertices) * 3, np.float32)
mesh.vertices.foreach_get("co", co)
report["rest_position_err"] = float(np.abs(co - gem.position.mean).max())
attrs = B.attribute_arrays(mesh.attributes)
attrs.pop("position", None)
expected = gem_eval.point_attributes(gem, {m: len(v) for m, v in info["sockets"].items()})
report["attributes"] = {name: {"type": a["type"], "domain": a["domain"]} for name, a in attrs.items()}
report["attribute_err"] = {name: float(np.abs(attrs[name]["values"].reshape(values.shape[0], -1)
                                              - values.reshape(values.shape[0], -1)).max())
                           for name, (_, values) in expected.items() if name in attrs}  # fmt: skip
keys = mesh.shape_keys.key_blocks
report["keys"] = [(k.name, k.slider_min, k.slider_max) for k in keys]
mod = obj.modifiers[scene_gem.MODIFIER]
iface = [i for i in mod.node_group.interface.items_tree if getattr(i, "in_out", "") == "INPUT"]
report["gn_inputs"] = [(i.name, i.socket_type, getattr(i, "min_value", None), getattr(i, "max_value", None))
                       for i in iface]  # fmt: skip
report["gem_std"] = {m: gem.modality(m).std.tolist() for m in ("position", "rotation", "scale", "opacity")}
report["material"] = [(n.bl_idname, getattr(n, "attribute_type", None), getattr(n, "attribute_name", None))
                      for n in bpy.data.materials[f"{obj.name}_gaussians"].node_tree.nodes]  # fmt: skip


def instances():
    """World matrices [M, 4, 4] of the ellipsoid instances of ``obj`` and the evaluated ``gs_opacity``."""
    dg = bpy.context.evaluated_depsgraph_get()
    mats = [np.array(inst.matrix_world) for inst in dg.object_instances
            if inst.is_instance and inst.parent is not None and inst.parent.original == obj]  # fmt: skip
    opacity = None
    ev = obj.evaluated_get(dg)
    if hasattr(ev, "evaluated_geometry"):
        geometry = ev.evaluated_geometry()  # keep it alive while reading its point cloud
        pc = geometry.instances_pointcloud()
        if pc is not None and "gs_opacity" in pc.attributes:
            opacity = np.empty(len(pc.points), np.float32)
            pc.attributes["gs_opacity"].data.foreach_get("value", opacity)
    return np.array(mats), opacity


def compare(coeffs) -> dict:
    """Instances in Blender vs the numpy decode of ``coeffs`` (rotation/scale/opacity limited to the GN inputs)."""
    inst = gem.decode(coeffs)
    mats, opacity = instances()
    size = scene_gem.gn_input(obj, next(i.identifier for i in iface if i.name == "Ellipsoid Size"))
    out = {"count": len(mats)}
    if len(mats) != gem.n_gaussians:
        return out
    t, m3 = mats[:, :3, 3], mats[:, :3, :3]
    axes = np.linalg.norm(m3, axis=1)  # column norms = ellipsoid half-axes
    rot = m3 / axes[:, None, :]
    w, x, y, z = inst.quats.T
    r_np = np.stack([np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
                     np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
                     np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1)], 1)  # fmt: skip
    out.update(position_err=float(np.abs(t - inst.means).max()),
               scale_rel_err=float(np.abs(axes / (inst.scales * size) - 1).max()),
               rotation_err=float(np.abs(rot - r_np).max()),
               opacity_err=None if opacity is None else float(np.abs(opacity - inst.opacities).max()))
    return out


with T("gn_check"):
    report["gn_mean"] = compare(gem.zero_coefficients())
    rng = np.random.default_rng(5)
    coeffs = gem.random_coefficients(rng, scale=1.5)
    for m, sockets in info["sockets"].items():
        coeffs[m][len(sockets):] = 0.0  # Blender drives only the exposed components
    scene_gem.set_coefficients(obj, coeffs)
    bpy.context.view_layer.update()
    report["gn_random"] = compare(coeffs)
    report["controls_roundtrip_err"] = float(max(np.abs(scene_gem.current_coefficients(obj, gem)[m] - coeffs[m]).max()
                                                 for m in coeffs))  # fmt: skip
    bpy.ops.scene.synthheads_gem_coefficients(mode="RANDOM", seed=3)
    report["random_op_values"] = [k.value for k in keys][1:]
    bpy.ops.scene.synthheads_gem_coefficients(mode="ZERO")
    report["zero_op_values"] = [k.value for k in keys][1:]

with T("sequence"):
    scene.frame_set(A["frame_start"])
    bpy.ops.scene.synthheads_load_sequence(filepath=A["sequence"])
    fcurves = []
    for id_data in (mesh.shape_keys, obj):
        ad = id_data.animation_data
        for path in ([f'key_blocks["{k.name}"].value' for k in keys[1:]] if id_data is mesh.shape_keys else
                     [scene_gem.gn_input_path(s) for v in info["sockets"].values() for s in v]):
            fc = scene_gem._find_fcurve(id_data, path) if ad else None
            if fc is not None:
                co = np.empty(len(fc.keyframe_points) * 2, np.float32)
                fc.keyframe_points.foreach_get("co", co)
                fcurves.append({"path": path, "keys": co.reshape(-1, 2).tolist()})
    report["fcurves"] = fcurves
    report["gn_paths"] = {s: scene_gem.gn_input_path(s) for v in info["sockets"].values() for s in v}
    report["frame_end"] = scene.frame_end
    report["fps"] = scene.render.fps / scene.render.fps_base
    values = {}
    for f in A["check_frames"]:
        scene.frame_set(A["frame_start"] + f)
        c = scene_gem.current_coefficients(obj, gem)
        values[str(f)] = {m: v.tolist() for m, v in c.items()}
        bpy.ops.scene.synthheads_export_ply(filepath=os.path.join(A["out"], f"frame_{f}.ply"))
    report["coefficients_at"] = values

# a GEM whose modalities share one coefficient vector: the Pos### sliders drive the node inputs
with T("shared"):
    active = obj
    bpy.ops.scene.synthheads_import_gem(filepath=A["shared_gem"])
    shared_obj = bpy.context.active_object
    shared = read_gem(A["shared_gem"])
    obj, gem, mod = shared_obj, shared, shared_obj.modifiers[scene_gem.MODIFIER]
    iface = [i for i in mod.node_group.interface.items_tree if getattr(i, "in_out", "") == "INPUT"]
    c = shared.random_coefficients(np.random.default_rng(2), scale=1.0)
    scene_gem.set_coefficients(shared_obj, c)
    bpy.context.view_layer.update()
    report["shared"] = {"drivers": len(shared_obj.animation_data.drivers) if shared_obj.animation_data else 0,
                        "compare": compare(c)}  # fmt: skip
    obj, gem, mod = active, read_gem(A["gem"]), active.modifiers[scene_gem.MODIFIER]
    iface = [i for i in mod.node_group.interface.items_tree if getattr(i, "in_out", "") == "INPUT"]
    bpy.data.objects.remove(shared_obj)
    bpy.context.view_layer.objects.active = active

if not scene_gem.native_splats_available():
    scene.synthheads.gem.display = "SPLATS"
    report["errors_splats"] = B.operator_error(lambda: bpy.ops.scene.synthheads_import_gem(filepath=A["gem"]))
    scene.synthheads.gem.display = A.get("display", "AUTO")
report["errors"] = {
    "corrupt": B.operator_error(lambda: bpy.ops.scene.synthheads_import_gem(filepath=A["corrupt"])),
    "bad_sequence": B.operator_error(lambda: bpy.ops.scene.synthheads_load_sequence(filepath=A["bad_sequence"])),
}
report["objects_after_errors"] = sorted(o.name for o in bpy.data.objects)

with T("render"):
    scene.frame_set(A["frame_start"])
    B.light_scene()
    B.frame_camera(distance=0.75, lens=70, height=0.05)
    report["render"] = B.render(os.path.join(A["out"], "gem.png"), size=A.get("size", (64, 64)),
                                samples=A.get("samples", 4))  # fmt: skip
report["times"] = T.times
B.write_report(os.path.join(A["out"], "report.json"), report)
