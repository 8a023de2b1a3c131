"""Cycles materials for a synthetic head: textured skin with subsurface scattering, eyes (sclera,
iris, pupil, transparent cornea), teeth, gums, tongue, mouth interior, and Principled Hair BSDF
strands. :func:`head_material_slots` gives one material per head-model region.

Every material gets a ``pass_index`` from :data:`PART_INDEX` so the optional segmentation pass
(material index) labels skin, hair, beard, eyes, mouth interior and neck/clothes.
"""

from __future__ import annotations

import bpy
import numpy as np

from .bpy_data import image_from_array

PART_INDEX = {"background": 0, "skin": 1, "hair": 2, "beard": 3, "eyes": 4, "mouth": 5, "neck": 6, "clothes": 6,
              "brows": 2, "lashes": 2}  # fmt: skip
"""Material ``pass_index`` (the seg pass value) of each part; brows and lashes count as hair."""
SEG_LABELS = {"0": "background", "1": "skin", "2": "hair", "3": "beard", "4": "eyes", "5": "mouth_interior",
              "6": "neck_clothes"}  # fmt: skip
"""Meaning of each seg pass value (JSON-ready keys); written into ``identity.json`` when the seg pass is on."""


def _new_material(name: str, part: str) -> tuple[bpy.types.Material, bpy.types.NodeTree]:
    """A material labelled ``part`` for the segmentation pass, with its node tree (Blender's default nodes)."""
    mat = bpy.data.materials.new(name)
    mat.pass_index = PART_INDEX[part]
    if mat.node_tree is None:  # Blender 4.x creates materials without nodes; 5.0 always has them
        mat.use_nodes = True
    return mat, mat.node_tree


def _principled(name: str, part: str) -> tuple[bpy.types.Material, bpy.types.Node, bpy.types.NodeTree]:
    mat, nt = _new_material(name, part)
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


TEXTURED_EYE_REGIONS = ("iris", "sclera", "pupil")
"""Head-model regions whose materials read the skin's albedo image with ``textured_eyes``."""

ALBEDO_NODE = "albedo"
"""Name of the skin material's albedo image node (:func:`albedo_image`)."""


def albedo_image(skin: bpy.types.Material) -> bpy.types.Image:
    """The albedo image of a :func:`skin_material` (the eyes read their painted iris and sclera from it)."""
    return skin.node_tree.nodes[ALBEDO_NODE].image


def skin_material(name: str, albedo: np.ndarray, roughness: np.ndarray | None = None,
                  specular: np.ndarray | None = None, part: str = "skin",
                  relief: np.ndarray | None = None, wrinkles: tuple[str, ...] = (),
                  subsurface: tuple | None = None) -> bpy.types.Material:
    """Textured skin: ``albedo`` ``[R, R, 3]`` sRGB in [0, 1] (row 0 = top of the UV image, i.e. v = 1),
    optional ``roughness`` and ``specular`` ``[R, R]`` data maps; random-walk subsurface scattering
    with a skin-like mean free path (red scatters farthest). ``relief`` ``[R, R, 1 + W]`` heights in
    mm (``synthetic.assets.wrinkles.RELIEF_CHANNELS``: micro-detail, then one map per name in
    ``wrinkles``) bumps the normal: micro-detail always, each wrinkle scaled by its value node
    (:func:`set_wrinkles`, 0 = neutral). ``subsurface``: the identity's (radius RGB, scale m, weight)
    (``SkinParams.subsurface``; default: a light skin's)."""
    mat, bsdf, nt = _principled(name, part)
    albedo_img = image_from_array(f"{name}_albedo", albedo)
    albedo_tex = _texture(nt, albedo_img)
    albedo_tex.name = ALBEDO_NODE
    nt.links.new(albedo_tex.outputs["Color"], bsdf.inputs["Base Color"])
    if roughness is not None:
        img = image_from_array(f"{name}_roughness", roughness, colorspace="Non-Color")
        nt.links.new(_texture(nt, img).outputs["Color"], bsdf.inputs["Roughness"])
    else:
        bsdf.inputs["Roughness"].default_value = 0.45
    if specular is not None:
        img = image_from_array(f"{name}_specular", specular, colorspace="Non-Color")
        nt.links.new(_texture(nt, img).outputs["Color"], bsdf.inputs["Specular IOR Level"])
    if relief is not None:
        _relief_bump(name, nt, bsdf, relief, tuple(wrinkles), albedo_tex)
    bsdf.subsurface_method = "RANDOM_WALK_SKIN"
    radius, scale, weight = subsurface or ((1.0, 0.35, 0.2), 0.004, 1.0)
    bsdf.inputs["Subsurface Weight"].default_value = float(weight)
    bsdf.inputs["Subsurface Radius"].default_value = tuple(float(c) for c in radius)
    bsdf.inputs["Subsurface Scale"].default_value = float(scale)  # metres: mean free path of red light in skin
    bsdf.inputs["IOR"].default_value = 1.4
    return mat


def wrinkle_node_name(wrinkle: str) -> str:
    """Name of the value node (0..1) that scales ``wrinkle``'s height map in the skin material."""
    return f"wrinkle_{wrinkle}"


CAVITY_PER_MM = 0.3
"""Albedo darkening per mm of furrow depth: the light a crease's walls shade off, which a bump map
alone (a normal, no occlusion) cannot show."""


def _relief_bump(name: str, nt: bpy.types.NodeTree, bsdf: bpy.types.Node, relief: np.ndarray,
                 wrinkles: tuple[str, ...], albedo_tex: bpy.types.Node) -> None:
    """height = micro + sum_i value_i * wrinkle_i (mm) -> Bump node (1 mm = 0.001 m) -> BSDF normal,
    and the base colour darkened in the furrows (:data:`CAVITY_PER_MM`).

    The channels travel in float RGB images, three per image (cubic filtering, so the bump's finite
    differences do not show texel steps)."""
    r = np.asarray(relief, dtype=np.float32)
    if r.ndim != 3 or r.shape[2] != 1 + len(wrinkles):
        raise ValueError(f"relief: expected [R, R, {1 + len(wrinkles)}] heights (micro + {len(wrinkles)} "
                         f"wrinkles), got {r.shape}")
    n_img = -(-r.shape[2] // 3)
    padded = np.concatenate([r, np.zeros(r.shape[:2] + (3 * n_img - r.shape[2],), np.float32)], axis=2)
    outputs = []
    for k in range(n_img):
        img = image_from_array(f"{name}_relief{k}", padded[..., 3 * k:3 * k + 3], colorspace="Non-Color", hdr=True)
        img.file_format = "OPEN_EXR"  # signed heights: a packed .blend keeps them as float, not 8-bit PNG
        tex = _texture(nt, img)
        tex.interpolation = "Cubic"
        sep = nt.nodes.new("ShaderNodeSeparateColor")
        nt.links.new(tex.outputs["Color"], sep.inputs["Color"])
        outputs.extend(sep.outputs[:3])
    height = outputs[0]  # micro
    for i, wrinkle in enumerate(wrinkles):
        value = nt.nodes.new("ShaderNodeValue")
        value.name = value.label = wrinkle_node_name(wrinkle)
        value.outputs[0].default_value = 0.0
        mul = nt.nodes.new("ShaderNodeMath")
        mul.operation = "MULTIPLY_ADD"  # map * value + height so far
        nt.links.new(outputs[1 + i], mul.inputs[0])
        nt.links.new(value.outputs[0], mul.inputs[1])
        nt.links.new(height, mul.inputs[2])
        height = mul.outputs[0]
    bump = nt.nodes.new("ShaderNodeBump")
    bump.inputs["Strength"].default_value = 1.0
    bump.inputs["Distance"].default_value = 0.001  # heights are in mm
    nt.links.new(_add_pores(nt, height), bump.inputs["Height"])
    nt.links.new(bump.outputs["Normal"], bsdf.inputs["Normal"])
    depth = nt.nodes.new("ShaderNodeMath")
    depth.operation = "MINIMUM"
    depth.inputs[1].default_value = 0.0
    nt.links.new(height, depth.inputs[0])
    shade = nt.nodes.new("ShaderNodeMath")
    shade.operation = "MULTIPLY_ADD"  # 1 + k * min(height, 0)
    shade.use_clamp = True
    shade.inputs[1].default_value = CAVITY_PER_MM
    shade.inputs[2].default_value = 1.0
    nt.links.new(depth.outputs[0], shade.inputs[0])
    mix = nt.nodes.new("ShaderNodeMix")
    mix.data_type, mix.blend_type = "RGBA", "MULTIPLY"
    mix.inputs["Factor"].default_value = 1.0
    nt.links.new(albedo_tex.outputs["Color"], mix.inputs["A"])
    nt.links.new(shade.outputs[0], mix.inputs["B"])
    nt.links.new(mix.outputs["Result"], bsdf.inputs["Base Color"])


PORE_SPACING_M = 0.00045
"""Voronoi cell size of the pores (m). The cells are 3D and the skin cuts through them, so about half a pore per
cell^2 of skin lies close enough to a feature point to show: ~250 pores per cm^2, as on cheeks and nose."""
PORE_DEPTH_MM = 0.05
"""Depth of a pore's pit in the shader's relief (mm); the pit's radius is a quarter of the spacing."""
SKIN_GRAIN_MM = 0.012
"""Amplitude of the skin's fine grain (the criss-cross of surface lines, ~0.25 mm) in the relief (mm)."""


def _add_pores(nt: bpy.types.NodeTree, height: bpy.types.NodeSocket) -> bpy.types.NodeSocket:
    """``height`` (mm) plus pores and fine grain, made in the shader from object-space Voronoi cells and noise.

    The texture maps (1024 texels over the whole head: ~0.5 mm a texel on the face) cannot carry pores; without
    them a highlight is one smooth lobe and skin reads as plastic. Each pore is a pit of depth
    :data:`PORE_DEPTH_MM` at a Voronoi feature point (:data:`PORE_SPACING_M` apart); the grain is noise of
    :data:`SKIN_GRAIN_MM` at ~0.25 mm. Object space, metres: the head object is unscaled."""
    coords = nt.nodes.new("ShaderNodeTexCoord")
    cells = nt.nodes.new("ShaderNodeTexVoronoi")
    cells.feature, cells.distance = "F1", "EUCLIDEAN"
    cells.inputs["Scale"].default_value = 1.0 / PORE_SPACING_M
    cells.inputs["Randomness"].default_value = 1.0
    nt.links.new(coords.outputs["Object"], cells.inputs["Vector"])
    pit = nt.nodes.new("ShaderNodeMapRange")  # distance in cells: 0 at the pore's centre -> -depth, 0.25 -> 0
    pit.clamp = True
    pit.inputs["From Min"].default_value, pit.inputs["From Max"].default_value = 0.0, 0.25
    pit.inputs["To Min"].default_value, pit.inputs["To Max"].default_value = -PORE_DEPTH_MM, 0.0
    pit.interpolation_type = "SMOOTHSTEP"
    nt.links.new(cells.outputs["Distance"], pit.inputs["Value"])
    grain = nt.nodes.new("ShaderNodeTexNoise")
    grain.inputs["Scale"].default_value = 4000.0
    grain.inputs["Detail"].default_value = 1.0
    nt.links.new(coords.outputs["Object"], grain.inputs["Vector"])
    grain_mm = nt.nodes.new("ShaderNodeMath")
    grain_mm.operation = "MULTIPLY_ADD"  # (noise - 0.5) * 2 * amplitude = noise * 2a - a
    grain_mm.inputs[1].default_value = 2.0 * SKIN_GRAIN_MM
    grain_mm.inputs[2].default_value = -SKIN_GRAIN_MM
    nt.links.new(grain.outputs["Fac"], grain_mm.inputs[0])
    total = height
    for extra in (pit.outputs["Result"], grain_mm.outputs[0]):
        add = nt.nodes.new("ShaderNodeMath")
        add.operation = "ADD"
        nt.links.new(total, add.inputs[0])
        nt.links.new(extra, add.inputs[1])
        total = add.outputs[0]
    return total


def set_wrinkles(mat: bpy.types.Material, activations: dict) -> None:
    """Set the skin material's wrinkle values (name -> activation in [0, 1], e.g. from
    :func:`synthetic.assets.wrinkles.wrinkle_activations`); names without a node are skipped."""
    nodes = mat.node_tree.nodes
    for wrinkle, a in activations.items():
        node = nodes.get(wrinkle_node_name(wrinkle))
        if node is not None:
            node.outputs[0].default_value = float(a)


def set_subsurface_method(mats, method: str) -> None:
    """Set the subsurface method (BURLEY | RANDOM_WALK | RANDOM_WALK_SKIN) of the skin among ``mats``
    (materials of segmentation part skin or neck whose Principled BSDF scatters below the surface);
    eyes and mouth keep theirs."""
    skin_parts = {PART_INDEX["skin"], PART_INDEX["neck"]}
    for mat in mats:
        if mat is None or mat.node_tree is None or mat.pass_index not in skin_parts:
            continue
        for node in mat.node_tree.nodes:
            if node.bl_idname == "ShaderNodeBsdfPrincipled" and node.inputs["Subsurface Weight"].default_value > 0:
                node.subsurface_method = method


def plain_material(name: str, part: str, rgb, roughness: float = 0.5, subsurface: float = 0.0,
                   transmission: float = 0.0, ior: float = 1.45, coat: float = 0.0,
                   specular: float = 0.5) -> bpy.types.Material:
    """An untextured Principled material (sclera, iris, pupil, teeth, gums, tongue, clothing). ``specular``:
    Principled's Specular IOR Level (0.5 = the reflectance ``ior`` gives; 0 = no surface reflection at all)."""
    mat, bsdf, _ = _principled(name, part)
    bsdf.inputs["Specular IOR Level"].default_value = specular
    bsdf.inputs["Base Color"].default_value = (*[float(c) for c in rgb], 1.0)
    bsdf.inputs["Roughness"].default_value = roughness
    bsdf.inputs["Subsurface Weight"].default_value = subsurface
    if subsurface:
        bsdf.inputs["Subsurface Scale"].default_value = 0.002
    bsdf.inputs["Transmission Weight"].default_value = transmission
    bsdf.inputs["IOR"].default_value = ior
    bsdf.inputs["Coat Weight"].default_value = coat
    return mat


CORNEA_IOR = 1.376
"""Refractive index of the cornea: about 2.5 % of the light is reflected head-on, more at grazing angles."""


def cornea_material(name: str = "cornea") -> bpy.types.Material:
    """The cornea as a clear coat over iris and pupil: a sharp Fresnel-weighted mirror (the catchlights) over a
    Transparent BSDF, not refractive glass. Cycles' shadow rays stop at glass, so under a glass dome the iris
    and pupil were lit only by caustic paths: dark, noisy, and washed out to a flat grey disc by the dome's
    reflection. Through a transparent surface the lights reach the iris directly (the refraction's small shift
    of the iris is not visible at the sizes rendered)."""
    mat, nt = _new_material(name, "eyes")
    nt.nodes.clear()
    clear = nt.nodes.new("ShaderNodeBsdfTransparent")
    mirror = nt.nodes.new("ShaderNodeBsdfGlossy")
    mirror.inputs["Roughness"].default_value = 0.02
    fresnel = nt.nodes.new("ShaderNodeFresnel")
    fresnel.inputs["IOR"].default_value = CORNEA_IOR
    mix = nt.nodes.new("ShaderNodeMixShader")
    out = nt.nodes.new("ShaderNodeOutputMaterial")
    nt.links.new(fresnel.outputs["Fac"], mix.inputs["Fac"])
    nt.links.new(clear.outputs["BSDF"], mix.inputs[1])
    nt.links.new(mirror.outputs["BSDF"], mix.inputs[2])
    nt.links.new(mix.outputs["Shader"], out.inputs["Surface"])
    return mat


def _mottled(mat: bpy.types.Material, amount: float) -> bpy.types.Material:
    """Modulate a plain material's base colour by object-space noise (1 - ``amount`` .. 1), ~2 mm blotches."""
    nt = mat.node_tree
    bsdf = next(n for n in nt.nodes if n.bl_idname == "ShaderNodeBsdfPrincipled")
    rgb = tuple(bsdf.inputs["Base Color"].default_value)
    coord = nt.nodes.new("ShaderNodeTexCoord")
    noise = nt.nodes.new("ShaderNodeTexNoise")
    noise.inputs["Scale"].default_value = 400.0  # per metre of object space
    noise.inputs["Detail"].default_value = 3.0
    nt.links.new(coord.outputs["Object"], noise.inputs["Vector"])
    mix = nt.nodes.new("ShaderNodeMix")
    mix.data_type = "RGBA"
    mix.inputs["A"].default_value = tuple(c * (1.0 - amount) for c in rgb[:3]) + (1.0,)
    mix.inputs["B"].default_value = rgb
    nt.links.new(noise.outputs["Fac"], mix.inputs["Factor"])
    nt.links.new(mix.outputs["Result"], bsdf.inputs["Base Color"])
    return mat


def hair_material(name: str, melanin: float, redness: float, part: str = "hair",
                  roughness: float = 0.3, random_color: float = 0.15) -> bpy.types.Material:
    """Principled Hair BSDF (Chiang model) parameterised by melanin concentration (0 = blond/white,
    1 = black) and melanin redness (0..1)."""
    mat, nt = _new_material(name, part)
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


MOUTH_RGB = {"teeth": (0.86, 0.82, 0.72), "gums": (0.75, 0.3, 0.3), "tongue": (0.7, 0.3, 0.3),
             "mouth_bag": (0.35, 0.08, 0.08)}
"""Default linear-RGB colours of the mouth interior (an identity's ``teeth`` parameters override them)."""


def head_material_slots(model, skin: bpy.types.Material, iris_rgb, mouth: dict | None = None,
                        textured_eyes: bool = False) -> tuple[list[bpy.types.Material], np.ndarray]:
    """Materials for every region of the head model and the per-face material index ``[F]``.

    Skin regions (face, lips, scalp, ears) share ``skin``; the neck uses a copy labelled ``neck``
    for the segmentation pass. Eyes and the mouth interior get plain physically plausible materials;
    ``mouth`` (keys of :data:`MOUTH_RGB`) gives the identity's teeth, gums, tongue and mouth colours.
    The tongue and the mouth's walls are mottled (a noise texture), not one flat colour.
    ``textured_eyes``: sclera, iris and pupil read the skin's albedo image (the identity's painted iris
    pattern, sclera veins and yellowing) instead of flat colours.
    """
    rgb = {**MOUTH_RGB, **(mouth or {})}
    neck = skin.copy()
    neck.name = skin.name + "_neck"
    neck.pass_index = PART_INDEX["neck"]
    iris = [float(c) for c in iris_rgb]
    by_region = {
        "face": skin, "lips": skin, "scalp": skin, "ears": skin, "neck": neck,
        "sclera": plain_material("sclera", "eyes", (0.82, 0.78, 0.75), roughness=0.25, subsurface=0.2),
        # iris and pupil lie in the eye's fluid under the cornea (nearly the same refractive index): no sheen
        # of their own; a Principled default one greyed a brown iris and lifted the pupil to 0.05
        "iris": plain_material("iris", "eyes", iris, roughness=0.4, specular=0.0),
        "pupil": plain_material("pupil", "eyes", (0.005, 0.005, 0.005), roughness=0.3, specular=0.0),
        "cornea": cornea_material(),
        "mouth_bag": _mottled(plain_material("mouth", "mouth", rgb["mouth_bag"], roughness=0.5, subsurface=0.3), 0.5),
        "teeth": plain_material("teeth", "mouth", rgb["teeth"], roughness=0.25, subsurface=0.15),
        "gums": plain_material("gums", "mouth", rgb["gums"], roughness=0.35, subsurface=0.4),
        "tongue": _mottled(plain_material("tongue", "mouth", rgb["tongue"], roughness=0.4, subsurface=0.5), 0.3),
    }  # fmt: skip
    if textured_eyes:
        albedo = albedo_image(skin)
        for region in TEXTURED_EYE_REGIONS:
            nt = by_region[region].node_tree
            bsdf = next(n for n in nt.nodes if n.bl_idname == "ShaderNodeBsdfPrincipled")
            nt.links.new(_texture(nt, albedo).outputs["Color"], bsdf.inputs["Base Color"])
    slots: list[bpy.types.Material] = []
    region_to_slot = []
    for name in model.region_names:
        mat = by_region.get(name, skin)
        if mat not in slots:
            slots.append(mat)
        region_to_slot.append(slots.index(mat))
    return slots, np.asarray(region_to_slot, dtype=np.int32)[model.face_regions]
