"""Inside Blender 5.3: import a .gem as native Gaussian splats (the automatic choice there), compare the
evaluated point cloud with the numpy decode, move a slider, key a sequence, export the animated frame as
PLY and import it (and the backend's PLY of the same frame) with Blender's own PLY importer, render a tiny
Cycles image. Writes a JSON report for ``test_addon_gem_splats.py``."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _addon_in_blender as B  # noqa: E402
import bpy  # noqa: E402
import numpy as np  # noqa: E402

A = B.args()
T = B.Timer()
B.install(A["zip"])
from bl_ext.user_default.synthheads import scene_gem  # noqa: E402

from synthetic.formats.gem import read_gem  # noqa: E402

report = {}
scene = bpy.context.scene
scene.synthheads.gem.gn_components = A["gn_components"]
with T("import"):
    bpy.ops.scene.synthheads_import_gem(filepath=A["gem"])
obj = bpy.context.active_object
gem = read_gem(A["gem"])
info = scene_gem.gem_info(obj)
report["object"] = {"type": obj.type, "modifiers": [(m.type, m.name) for m in obj.modifiers], "info": info,
                    "materials": len(obj.data.materials)}  # fmt: skip
mod = obj.modifiers[scene_gem.MODIFIER]
report["gn_inputs"] = [(i.name, getattr(i, "min_value", None), getattr(i, "max_value", None))
                       for i in mod.node_group.interface.items_tree if getattr(i, "in_out", "") == "INPUT"
                       and i.socket_type == "NodeSocketFloat"]  # fmt: skip
report["nodes"] = sorted({n.bl_idname for n in mod.node_group.nodes})


def splat_arrays(target) -> dict:
    """Position, scale, rotation, radiance:base and radiance:sh_* of ``target``'s evaluated point cloud."""
    ev = B.evaluated_splats(target)
    attrs = ev["attributes"]
    out = {"type": ev["type"], "count": ev["count"], "types": {k: a["type"] for k, a in attrs.items()}}
    out.update({k: a["values"] for k, a in attrs.items() if k in ("position", "scale", "rotation")
                or k.startswith("radiance:")})  # fmt: skip
    return out


def compare(got: dict, coeffs) -> dict:
    """The evaluated splats against the numpy decode of ``coeffs`` (max abs / relative errors)."""
    want = gem.decode(coeffs)
    out = {"type": got["type"], "count": got["count"]}
    if got["count"] != gem.n_gaussians:
        return out
    base = got["radiance:base"]
    out.update(position_err=float(np.abs(got["position"] - want.means).max()),
               scale_rel_err=float(np.abs(got["scale"] / want.scales - 1).max()),
               rotation_err=float(np.abs(got["rotation"] - want.quats).max()),
               opacity_err=float(np.abs(base[:, 3] - want.opacities).max()),
               dc_err=float(np.abs(base[:, :3] - gem.colour_sh[:, 0]).max()),
               sh_err=float(max((np.abs(got[f"radiance:sh_{j}"] - gem.colour_sh[:, j + 1]).max()
                                 for j in range(gem.colour_sh.shape[1] - 1)), default=0.0)))  # fmt: skip
    return out


def limited(coeffs):
    for m, sockets in info["sockets"].items():
        coeffs[m][len(sockets):] = 0.0  # Blender drives only the exposed components
    return coeffs


with T("gn_check"):
    mean = splat_arrays(obj)
    report["types"] = mean["types"]
    report["gn_mean"] = compare(mean, gem.zero_coefficients())
    coeffs = limited(gem.random_coefficients(np.random.default_rng(5), scale=1.5))
    scene_gem.set_coefficients(obj, coeffs)
    bpy.context.view_layer.update()
    report["gn_random"] = compare(splat_arrays(obj), coeffs)
    # one slider to its +3 sigma end: the points move, as the decode says
    bpy.ops.scene.synthheads_gem_coefficients(mode="ZERO")
    key = obj.data.shape_keys.key_blocks["Pos000"]
    key.value = key.slider_max
    bpy.context.view_layer.update()
    moved = splat_arrays(obj)
    c = gem.zero_coefficients()
    c["position"][0] = key.slider_max * info["position_units"][0]
    report["slider"] = {"moved": float(np.abs(moved["position"] - mean["position"]).max()),
                        "compare": compare(moved, c)}  # fmt: skip
    key.value = 0.0

with T("sequence"):
    scene.frame_set(A["frame_start"])
    bpy.ops.scene.synthheads_load_sequence(filepath=A["sequence"])
    frames = {}
    for f in A["check_frames"]:
        scene.frame_set(A["frame_start"] + f)
        c = scene_gem.current_coefficients(obj, gem)
        got = splat_arrays(obj)
        ply = os.path.join(A["out"], f"frame_{f}.ply")
        bpy.ops.scene.synthheads_export_ply(filepath=ply)
        frames[str(f)] = {"coefficients": {m: v.tolist() for m, v in c.items()}, "compare": compare(got, c)}
        frames[str(f)]["evaluated"] = got
    report["frames"] = {f: {k: v for k, v in d.items() if k != "evaluated"} for f, d in frames.items()}

with T("ply_import"):
    # our PLYs (the add-on's export, and the backend's `render --gem --ply` of the same frame) through
    # Blender's own importer: native splats whose attributes must equal the animated GEM's
    ply_checks = {}
    for label, path in (("addon", os.path.join(A["out"], f"frame_{A['check_frames'][-1]}.ply")),
                        ("backend", A["backend_ply"])):
        before = set(bpy.data.objects)
        bpy.ops.wm.ply_import(filepath=path)
        imported = [o for o in bpy.data.objects if o not in before]
        if len(imported) != 1:
            ply_checks[label] = {"objects": len(imported)}
            continue
        ob = imported[0]
        got = splat_arrays(ob)
        ref = frames[str(A["check_frames"][-1])]["evaluated"]
        check = {"objects": 1, "object_type": ob.type, "type": got["type"], "count": got["count"],
                 "matrix_is_identity": bool(np.allclose(np.array(ob.matrix_world), np.eye(4), atol=1e-6)),
                 "types": got["types"]}  # fmt: skip
        if got["count"] == ref["count"]:
            q_got, q_ref = got["rotation"], ref["rotation"]
            check.update({
                "position_err": float(np.abs(got["position"] - ref["position"]).max()),
                "scale_rel_err": float(np.abs(got["scale"] / ref["scale"] - 1).max()),
                "rotation_err": float(np.minimum(np.abs(q_got - q_ref).max(1), np.abs(q_got + q_ref).max(1)).max()),
                "base_err": float(np.abs(got["radiance:base"] - ref["radiance:base"]).max()),
                "sh_err": float(max(np.abs(got[k] - ref[k]).max() for k in ref if k.startswith("radiance:sh_"))),
                "sh_names": sorted(k for k in got if k.startswith("radiance:sh_")),
            })
        ply_checks[label] = check
        bpy.data.objects.remove(ob)
    report["ply_import"] = ply_checks

with T("playback"):
    # depsgraph evaluation of coefficient playback (frame changes), no drawing
    scene.frame_set(A["frame_start"])
    t0 = time.perf_counter()
    n = 0
    for f in range(A["frame_start"], A["frame_start"] + A["n_frames"]):
        scene.frame_set(f)
        obj.evaluated_get(bpy.context.evaluated_depsgraph_get())
        n += 1
    report["eval_fps"] = n / (time.perf_counter() - t0)

with T("render"):
    scene.frame_set(A["frame_start"])
    B.frame_camera(distance=0.75, lens=70, height=0.05)
    report["render"] = B.render(os.path.join(A["out"], "gem_splats.png"), size=(64, 64), samples=4)
report["times"] = T.times
B.write_report(os.path.join(A["out"], "report.json"), report)
