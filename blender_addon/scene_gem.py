"""Import GEM, key a coefficient sequence, export a PLY: the bpy side (numbers from :mod:`.gem_eval`).

An imported GEM is a vertices-only mesh object (one vertex per Gaussian, at the mean position) with:

* per-point attributes (colour, raw means and the exposed basis rows; see ``gem_eval.point_attributes``);
* shape keys ``Pos###`` for the position components (``value * unit = coefficient``, the units in
  ``synthheads_gem["position_units"]``);
* a geometry-nodes modifier running a generated group that evaluates rotation, scale and opacity
  from its ``Rotation ##``/``Scale ##``/``Opacity ##`` inputs, and then shows the Gaussians one of two
  ways (``synthheads_gem["display"]``, chosen by :func:`resolve_display`):

  - ``SPLATS`` (Blender 5.3+, the default there): Mesh to Points, the attributes Blender's native
    Gaussian splats read, then Set Point Cloud Type to 3D Gaussian Splat. Encodings, read from
    Blender's source (``io/ply/importer/ply_import_gsplat.cc``, ``draw/.../draw_gsplat.bsl.hh``) and
    checked by rendering single splats in Cycles: ``scale`` is the standard deviation in metres (the
    PLY's ``exp(log-scale)``), ``rotation`` a w-x-y-z quaternion, ``radiance:base`` = (raw SH
    degree-0 coefficients, opacity in [0, 1]) and ``radiance:sh_J`` the higher SH coefficients; the
    renderer shows ``0.5 + SH`` as sRGB-encoded colour (so with the Standard view transform a pixel
    is the 3DGS colour). ``radiance:base`` is stored as a FLOAT_COLOR attribute: geometry nodes
    cannot build a 4-component vector, and the renderers read the colour type the same.
  - ``ELLIPSOIDS`` (any Blender): stores ``gs_opacity`` and instances an ico-sphere per point,
    scaled to ``ellipsoid_sigmas`` standard deviations and rotated by the quaternion. The material
    reads ``gs_colour``/``gs_opacity`` through the Attribute node in Instancer mode, so the same
    look shows in Eevee, the viewport's material preview and Cycles.

The object's ``synthheads_gem`` property (JSON) keeps the file path, units and socket identifiers.
"""

from __future__ import annotations

import json
from pathlib import Path

import bpy
import numpy as np

from . import gem_eval
from .gem_eval import GN_MODALITIES, GemImportOptions

GEM_KEY = "synthheads_gem"
MODIFIER = "SynthHeads GEM"


# ----------------------------------------------------------------------------- lookup
def gem_info(obj) -> dict | None:
    """The JSON info of an imported GEM object, or None for any other object."""
    if obj is None or GEM_KEY not in obj:
        return None
    return json.loads(obj[GEM_KEY])


def read_model(info: dict):
    from synthetic.formats.gem import read_gem

    return read_gem(info["path"])


def gn_input_path(ident: str) -> str:
    """The data path (from the object) of the GEM modifier's input ``ident``: Blender 5.3 keeps modifier
    inputs in ``properties.inputs.<identifier>.value``; older versions as ID properties ``["<identifier>"]``."""
    if "properties" in bpy.types.NodesModifier.bl_rna.properties:
        return f'modifiers["{MODIFIER}"].properties.inputs.{ident}.value'
    return f'modifiers["{MODIFIER}"]["{ident}"]'


def gn_input(obj, ident: str) -> float:
    """The value of the GEM modifier's input ``ident`` (see :func:`gn_input_path`)."""
    return float(obj.path_resolve(gn_input_path(ident)))


def set_gn_input(obj, ident: str, value: float) -> None:
    mod = obj.modifiers[MODIFIER]
    if "properties" in mod.bl_rna.properties:
        getattr(mod.properties.inputs, ident).value = value
    else:
        mod[ident] = value


def native_splats_available() -> bool:
    """Whether this Blender has native Gaussian splats (5.3+: the Set Point Cloud Type node)."""
    return hasattr(bpy.types, "GeometryNodePointsSetType")


def resolve_display(display: str) -> str:
    """``AUTO`` -> ``SPLATS`` where native splats exist, else ``ELLIPSOIDS``; refuses ``SPLATS`` without them."""
    from synthetic.errors import UserInputError

    if display not in gem_eval.DISPLAYS:
        raise UserInputError(f"display {display!r}: use one of {', '.join(gem_eval.DISPLAYS)}")
    if display == "AUTO":
        return "SPLATS" if native_splats_available() else "ELLIPSOIDS"
    if display == "SPLATS" and not native_splats_available():
        raise UserInputError(f"native Gaussian splats need Blender 5.3 or newer (this is {bpy.app.version_string}); "
                             "use Ellipsoids")  # fmt: skip
    return display


# ----------------------------------------------------------------------------- import
def import_gem(context, path, options: GemImportOptions) -> tuple[bpy.types.Object, list[str]]:
    """Create the GEM object for the file at ``path`` in the active collection (at the mean).

    Returns the object and warnings for the user (components left out of the geometry nodes).
    """
    from synthetic.formats.gem import read_gem

    gem = read_gem(path)
    display = resolve_display(options.display)
    splats = display == "SPLATS"
    name = Path(path).stem
    pos = gem_eval.position_sliders(gem.position.std)
    gn = gem_eval.gn_sliders(gem, options.gn_components)
    counts = {m: len(v) for m, v in gn.items()}
    warnings = [f"only the first {counts[m]} of {gem.modality(m).n_components} {m} components drive the "
                "geometry nodes (the others stay zero; raise Node Components to see more)"
                for m in GN_MODALITIES if counts[m] < gem.modality(m).n_components]  # fmt: skip

    mesh = bpy.data.meshes.new(name)
    mesh.vertices.add(gem.n_gaussians)
    mesh.vertices.foreach_set("co", gem.position.mean.astype(np.float32))
    for attr_name, (kind, values) in gem_eval.point_attributes(gem, counts, splats=splats).items():
        attr = mesh.attributes.new(attr_name, kind, "POINT")
        field = {"FLOAT_COLOR": "color", "FLOAT_VECTOR": "vector", "FLOAT": "value", "QUATERNION": "value"}[kind]
        attr.data.foreach_set(field, values.ravel())
    obj = bpy.data.objects.new(name, mesh)
    (context.collection or context.scene.collection).objects.link(obj)

    obj.shape_key_add(name="Basis", from_mix=False)
    mean = gem.position.mean.reshape(-1, 3)
    for k, slider in enumerate(pos):
        kb = obj.shape_key_add(name=slider.name, from_mix=False)
        target = mean + slider.unit * gem.position.basis[k].reshape(-1, 3)
        kb.data.foreach_set("co", target.astype(np.float32).ravel())
        kb.slider_min, kb.slider_max = slider.lo, slider.hi
        kb.value = 0.0  # a new key starts at 1 in recent Blender versions: import at the mean
    mesh.shape_keys.name = f"{name}_coefficients"

    material = None if splats else _gem_material(f"{name}_gaussians")
    group, sockets = _gn_group(f"SynthHeads GEM {name}", gn, material, options, splats)
    mod = obj.modifiers.new(MODIFIER, "NODES")
    mod.node_group = group
    info = {"path": str(Path(path).resolve()), "n_gaussians": gem.n_gaussians, "display": display,
            "component_counts": gem.component_counts, "shared": gem.shared_coefficients,
            "position_units": [s.unit for s in pos], "sockets": sockets, "metadata": gem.metadata}  # fmt: skip
    obj[GEM_KEY] = json.dumps(info)
    if gem.shared_coefficients:
        _drive_gn_from_shape_keys(obj, sockets, [s.unit for s in pos])
    return obj, warnings


def _gem_material(name: str) -> bpy.types.Material:
    """Emission coloured by ``gs_colour`` mixed with transparency by ``gs_opacity`` (front faces only,
    so each ellipsoid adds its opacity once)."""
    mat = bpy.data.materials.new(name)
    if mat.node_tree is None:  # Blender < 5.0 creates materials without nodes
        mat.use_nodes = True
    nt = mat.node_tree
    nt.nodes.clear()
    new = nt.nodes.new
    colour, opacity = new("ShaderNodeAttribute"), new("ShaderNodeAttribute")
    for node, attr in ((colour, "gs_colour"), (opacity, "gs_opacity")):
        node.attribute_type, node.attribute_name = "INSTANCER", attr
    geometry = new("ShaderNodeNewGeometry")
    front = new("ShaderNodeMath")
    front.operation = "SUBTRACT"
    front.inputs[0].default_value = 1.0
    alpha = new("ShaderNodeMath")
    alpha.operation = "MULTIPLY"
    emission, transparent, mix, out = (new("ShaderNodeEmission"), new("ShaderNodeBsdfTransparent"),
                                       new("ShaderNodeMixShader"), new("ShaderNodeOutputMaterial"))  # fmt: skip
    link = nt.links.new
    link(geometry.outputs["Backfacing"], front.inputs[1])
    link(opacity.outputs["Fac"], alpha.inputs[0])
    link(front.outputs[0], alpha.inputs[1])
    link(colour.outputs["Color"], emission.inputs["Color"])
    link(alpha.outputs[0], mix.inputs["Fac"])
    link(transparent.outputs[0], mix.inputs[1])
    link(emission.outputs[0], mix.inputs[2])
    link(mix.outputs[0], out.inputs["Surface"])
    mat.diffuse_color = (0.8, 0.6, 0.5, 1.0)  # solid-mode viewport colour
    return mat


class _Graph:
    """Small helper to add geometry nodes and links tersely."""

    def __init__(self, tree):
        self.tree = tree

    def node(self, kind: str, **props):
        n = self.tree.nodes.new(kind)
        for k, v in props.items():
            setattr(n, k, v)
        return n

    def link(self, out, inp) -> None:
        self.tree.links.new(out, inp)

    def attr(self, name: str, data_type: str):
        n = self.node("GeometryNodeInputNamedAttribute", data_type=data_type)
        n.inputs["Name"].default_value = name
        return n.outputs["Attribute"]

    def math(self, op: str, *inputs):
        n = self.node("ShaderNodeMath", operation=op)
        for i, v in enumerate(inputs):
            if isinstance(v, int | float):
                n.inputs[i].default_value = v
            else:
                self.link(v, n.inputs[i])
        return n.outputs[0]

    def vmath(self, op: str, a, b=None, scale=None):
        n = self.node("ShaderNodeVectorMath", operation=op)
        self.link(a, n.inputs[0])
        if b is not None:
            self.link(b, n.inputs[1])
        if scale is not None:
            self.link(scale, n.inputs["Scale"])
        return n.outputs["Value"] if op in ("DOT_PRODUCT", "LENGTH", "DISTANCE") else n.outputs["Vector"]


def _gn_group(name: str, gn: dict, material, options: GemImportOptions, splats: bool = False):
    """The geometry-nodes group and ``{modality: [socket identifier]}`` of its coefficient inputs."""
    tree = bpy.data.node_groups.new(name, "GeometryNodeTree")
    iface = tree.interface
    geometry = iface.new_socket("Geometry", in_out="INPUT", socket_type="NodeSocketGeometry")
    size = None
    if not splats:
        size = iface.new_socket("Ellipsoid Size", in_out="INPUT", socket_type="NodeSocketFloat")
        size.default_value, size.min_value, size.max_value = options.ellipsoid_sigmas, 0.0, 10.0
        size.description = "Half-axes of the ellipsoids in standard deviations of each Gaussian"
    sockets: dict[str, list[str]] = {}
    for m in GN_MODALITIES:
        sockets[m] = []
        for slider in gn[m]:
            s = iface.new_socket(slider.name, in_out="INPUT", socket_type="NodeSocketFloat")
            s.default_value, s.min_value, s.max_value = 0.0, slider.lo, slider.hi
            s.description = f"{m} coefficient (range +-3 standard deviations)"
            sockets[m].append(s.identifier)
    iface.new_socket("Geometry", in_out="OUTPUT", socket_type="NodeSocketGeometry")

    g = _Graph(tree)
    group_in, group_out = g.node("NodeGroupInput"), g.node("NodeGroupOutput")
    inputs = {item.identifier: group_in.outputs[item.identifier] for item in iface.items_tree
              if getattr(item, "in_out", "") == "INPUT"}  # fmt: skip

    # rotation: raw quaternion = mean + sum_k c_k b_k, normalised
    xyz, w = g.attr("rot_mean_xyz", "FLOAT_VECTOR"), g.attr("rot_mean_w", "FLOAT")
    for k, ident in enumerate(sockets["rotation"]):
        xyz = g.vmath("ADD", xyz, g.vmath("SCALE", g.attr(f"rot_{k:02d}_xyz", "FLOAT_VECTOR"), scale=inputs[ident]))
        w = g.math("MULTIPLY_ADD", g.attr(f"rot_{k:02d}_w", "FLOAT"), inputs[ident], w)
    length = g.math("MAXIMUM", g.math("SQRT", g.math("MULTIPLY_ADD", w, w, g.vmath("DOT_PRODUCT", xyz, xyz))), 1e-8)
    inv = g.math("DIVIDE", 1.0, length)
    unit_xyz = g.node("ShaderNodeSeparateXYZ")
    g.link(g.vmath("SCALE", xyz, scale=inv), unit_xyz.inputs[0])
    quat = g.node("FunctionNodeQuaternionToRotation")
    g.link(g.math("MULTIPLY", w, inv), quat.inputs["W"])
    for axis in "XYZ":
        g.link(unit_xyz.outputs[axis], quat.inputs[axis])

    # scale: exp(mean + sum_k c_k b_k) per axis (metres; ellipsoids: times their size in sigmas)
    log_scale = g.attr("scale_mean", "FLOAT_VECTOR")
    for k, ident in enumerate(sockets["scale"]):
        log_scale = g.vmath("ADD", log_scale, g.vmath("SCALE", g.attr(f"scale_{k:02d}", "FLOAT_VECTOR"),
                                                      scale=inputs[ident]))  # fmt: skip
    split, scale = g.node("ShaderNodeSeparateXYZ"), g.node("ShaderNodeCombineXYZ")
    g.link(log_scale, split.inputs[0])
    for axis in "XYZ":
        g.link(g.math("EXPONENT", split.outputs[axis]), scale.inputs[axis])

    # opacity: sigmoid(mean + sum_k c_k b_k)
    logit = g.attr("opacity_mean", "FLOAT")
    for k, ident in enumerate(sockets["opacity"]):
        logit = g.math("MULTIPLY_ADD", g.attr(f"opacity_{k:02d}", "FLOAT"), inputs[ident], logit)
    opacity = g.math("DIVIDE", 1.0, g.math("ADD", 1.0, g.math("EXPONENT", g.math("MULTIPLY", logit, -1.0))))

    if splats:
        _splat_tail(g, inputs[geometry.identifier], quat.outputs[0], scale.outputs[0], opacity, group_out)
    else:
        _ellipsoid_tail(g, inputs[geometry.identifier], quat.outputs[0],
                        g.vmath("SCALE", scale.outputs[0], scale=inputs[size.identifier]), opacity, material,
                        options, group_out)  # fmt: skip
    _tidy(tree)
    return tree, sockets


def _store(g: _Graph, geometry, name: str, data_type: str, value):
    store = g.node("GeometryNodeStoreNamedAttribute", data_type=data_type, domain="POINT")
    store.inputs["Name"].default_value = name
    g.link(geometry, store.inputs["Geometry"])
    g.link(value, store.inputs["Value"])
    return store.outputs["Geometry"]


def _ellipsoid_tail(g: _Graph, geometry, rotation, half_axes, opacity, material, options, group_out) -> None:
    """Store ``gs_opacity`` for the material, instance a scaled, rotated ico-sphere per point."""
    points = _store(g, geometry, "gs_opacity", "FLOAT", opacity)
    ico = g.node("GeometryNodeMeshIcoSphere")
    ico.inputs["Radius"].default_value = 1.0
    ico.inputs["Subdivisions"].default_value = max(1, int(options.ico_subdivisions))
    set_mat = g.node("GeometryNodeSetMaterial")
    set_mat.inputs["Material"].default_value = material
    g.link(ico.outputs["Mesh"], set_mat.inputs["Geometry"])
    instance = g.node("GeometryNodeInstanceOnPoints")
    g.link(points, instance.inputs["Points"])
    g.link(set_mat.outputs["Geometry"], instance.inputs["Instance"])
    g.link(rotation, instance.inputs["Rotation"])
    g.link(half_axes, instance.inputs["Scale"])
    g.link(instance.outputs["Instances"], group_out.inputs[0])


def _splat_tail(g: _Graph, geometry, rotation, scale, opacity, group_out) -> None:
    """Mesh to Points, Blender's native splat attributes, Set Point Cloud Type (3D Gaussian Splat)."""
    to_points = g.node("GeometryNodeMeshToPoints", mode="VERTICES")
    g.link(geometry, to_points.inputs["Mesh"])
    points = _store(g, to_points.outputs["Points"], "rotation", "QUATERNION", rotation)
    points = _store(g, points, "scale", "FLOAT_VECTOR", scale)
    dc = g.node("ShaderNodeSeparateXYZ")
    g.link(g.attr("sh_dc", "FLOAT_VECTOR"), dc.inputs[0])
    base = g.node("FunctionNodeCombineColor")
    for axis, channel in zip("XYZ", ("Red", "Green", "Blue")):
        g.link(dc.outputs[axis], base.inputs[channel])
    g.link(opacity, base.inputs["Alpha"])
    points = _store(g, points, "radiance:base", "FLOAT_COLOR", base.outputs["Color"])
    set_type = g.node("GeometryNodePointsSetType")
    set_type.inputs["Type"].default_value = "3D Gaussian Splat"
    g.link(points, set_type.inputs[0])
    g.link(set_type.outputs[0], group_out.inputs[0])


def _tidy(tree) -> None:
    """Spread the nodes in columns by link depth so the group is readable in the node editor."""
    depth = {n: 0 for n in tree.nodes}
    for _ in range(len(tree.nodes)):
        changed = False
        for link in tree.links:
            if depth[link.to_node] < depth[link.from_node] + 1:
                depth[link.to_node] = depth[link.from_node] + 1
                changed = True
        if not changed:
            break
    rows: dict[int, int] = {}
    for n in tree.nodes:
        d = depth[n]
        n.location = (d * 220.0, -rows.get(d, 0) * 160.0)
        rows[d] = rows.get(d, 0) + 1


def _drive_gn_from_shape_keys(obj, sockets: dict[str, list[str]], units: list[float]) -> None:
    """Shared coefficients: each GN input follows the Pos### slider of the same component."""
    key = obj.data.shape_keys
    for m in GN_MODALITIES:
        for k, ident in enumerate(sockets[m]):
            driver = obj.driver_add(gn_input_path(ident)).driver
            driver.type = "SCRIPTED"
            var = driver.variables.new()
            var.name, var.type = "c", "SINGLE_PROP"
            var.targets[0].id_type = "KEY"
            var.targets[0].id = key
            var.targets[0].data_path = f'key_blocks["Pos{k:03d}"].value'
            driver.expression = f"c*{units[k]:.9g}"


# ----------------------------------------------------------------------------- coefficients
def controls(obj):
    """(position slider values [K_p], GN input values {modality: [k]}) of a GEM object now."""
    info = gem_info(obj)
    keys = obj.data.shape_keys.key_blocks
    pos = np.array([keys[f"Pos{k:03d}"].value for k in range(info["component_counts"]["position"])])
    gn = {m: np.array([gn_input(obj, ident) for ident in info["sockets"][m]]) for m in GN_MODALITIES}
    return pos, gn


def set_coefficients(obj, coeffs: dict[str, np.ndarray]) -> None:
    """Set the sliders to ``coeffs`` (coefficient units); GN inputs driven by shape keys are left to the drivers."""
    info = gem_info(obj)
    keys = obj.data.shape_keys.key_blocks
    for k, unit in enumerate(info["position_units"]):
        keys[f"Pos{k:03d}"].value = float(coeffs["position"][k] / unit)
    if not info["shared"]:
        for m in GN_MODALITIES:
            for k, ident in enumerate(info["sockets"][m]):
                set_gn_input(obj, ident, float(coeffs[m][k]))
    obj.data.update()
    obj.update_tag()


def current_coefficients(obj, gem) -> dict[str, np.ndarray]:
    pos, gn = controls(obj)
    return gem_eval.coefficients_from_controls(gem, pos, gem_info(obj)["position_units"], gn)


def key_sequence(obj, seq, frame_start: int) -> int:
    """Keyframe every frame of ``seq`` from ``frame_start``; returns the number of F-curves written."""
    info = gem_info(obj)
    key = obj.data.shape_keys
    frames = frame_start + np.arange(seq.n_frames, dtype=np.float64)
    written = 0
    for k, unit in enumerate(info["position_units"]):
        _write_fcurve(key, f'key_blocks["Pos{k:03d}"].value', frames, seq.coefficients["position"][:, k] / unit)
        written += 1
    if not info["shared"]:
        for m in GN_MODALITIES:
            for k, ident in enumerate(info["sockets"][m]):
                _write_fcurve(obj, gn_input_path(ident), frames, seq.coefficients[m][:, k])
                written += 1
    return written


def _write_fcurve(id_data, data_path: str, frames: np.ndarray, values: np.ndarray) -> None:
    """Replace the F-curve of ``data_path`` on ``id_data`` by linear keys (bulk ``foreach_set``)."""
    fc = _find_fcurve(id_data, data_path)
    if fc is not None:
        fc.keyframe_points.clear()
    else:
        id_data.keyframe_insert(data_path, frame=float(frames[0]))
        fc = _find_fcurve(id_data, data_path)
        fc.keyframe_points.clear()
    fc.keyframe_points.add(len(frames))
    co = np.stack([frames, np.asarray(values, dtype=np.float64)], axis=1).astype(np.float32)
    fc.keyframe_points.foreach_set("co", co.ravel())
    fc.keyframe_points.foreach_set("interpolation", np.full(len(frames), _linear_enum(), dtype=np.int32))
    fc.update()


def _linear_enum() -> int:
    return bpy.types.Keyframe.bl_rna.properties["interpolation"].enum_items["LINEAR"].value


def _find_fcurve(id_data, data_path: str):
    ad = id_data.animation_data
    if ad is None or ad.action is None:
        return None
    action = ad.action
    if getattr(ad, "action_slot", None) is not None:  # Blender 4.4+: layered actions with slots
        from bpy_extras import anim_utils

        bag = anim_utils.action_get_channelbag_for_slot(action, ad.action_slot)
        return None if bag is None else bag.fcurves.find(data_path)
    return action.fcurves.find(data_path)


# ----------------------------------------------------------------------------- export
def export_ply(obj, path) -> tuple[Path, int]:
    """Write the GEM at the object's current coefficients as a 3DGS PLY (GEM frame); returns (path, N)."""
    info = gem_info(obj)
    gem = read_model(info)
    if gem.n_gaussians != info["n_gaussians"]:
        from synthetic.errors import UserInputError

        raise UserInputError(f"{info['path']}: the file now holds {gem.n_gaussians} Gaussians, the object was "
                             f"imported with {info['n_gaussians']}; import it again")  # fmt: skip
    instance = gem.decode(current_coefficients(obj, gem))
    out = gem_eval.write_ply(path, instance, comments=(f"synthheads GEM {Path(info['path']).name}",))
    return out, gem.n_gaussians
