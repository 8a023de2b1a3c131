"""Moving numpy arrays in and out of Blender datablocks in bulk (foreach_set, never per element),
and removing what an identity created so memory stays flat over hundreds of identities."""

from __future__ import annotations

import bpy
import numpy as np


def image_from_array(name: str, pixels: np.ndarray, colorspace: str = "sRGB", hdr: bool = False) -> bpy.types.Image:
    """An in-memory Blender image from ``[H, W, C]`` floats in [0, 1] (C = 1, 3 or 4).

    Row 0 of ``pixels`` is the TOP of the image (numpy/PNG order); Blender stores rows bottom-up,
    so the array is flipped here. Data maps (roughness, masks) should pass ``colorspace="Non-Color"``;
    ``hdr=True`` keeps values above 1 in a float buffer (environment maps).
    """
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    h, w, c = pixels.shape
    rgba = np.ones((h, w, 4), dtype=np.float32)
    if c == 1:
        rgba[..., :3] = pixels
    else:
        rgba[..., :c] = pixels[..., :4]
    img = bpy.data.images.new(name, width=w, height=h, alpha=True, float_buffer=hdr)
    img.colorspace_settings.name = colorspace
    img.pixels.foreach_set(np.ascontiguousarray(rgba[::-1]).ravel())  # flip: Blender row 0 = bottom
    return img


def mesh_from_arrays(
    name: str, vertices: np.ndarray, faces: np.ndarray, uv_coords: np.ndarray | None = None,
    uv_faces: np.ndarray | None = None, material_indices: np.ndarray | None = None,
) -> bpy.types.Mesh:
    """A triangle mesh: ``vertices`` ``[V, 3]`` (m), ``faces`` ``[F, 3]``; optional UVs given per
    corner through ``uv_faces`` ``[F, 3]`` into ``uv_coords`` ``[T, 2]`` ((0,0) bottom-left, as Blender)."""
    mesh = bpy.data.meshes.new(name)
    nv, nf = len(vertices), len(faces)
    mesh.vertices.add(nv)
    mesh.vertices.foreach_set("co", np.asarray(vertices, dtype=np.float32).ravel())
    mesh.loops.add(3 * nf)
    mesh.loops.foreach_set("vertex_index", np.asarray(faces, dtype=np.int32).ravel())
    mesh.polygons.add(nf)
    mesh.polygons.foreach_set("loop_start", np.arange(0, 3 * nf, 3, dtype=np.int32))
    mesh.polygons.foreach_set("use_smooth", np.ones(nf, dtype=bool))
    if material_indices is not None:
        mesh.polygons.foreach_set("material_index", np.asarray(material_indices, dtype=np.int32))
    if uv_coords is not None and uv_faces is not None:
        layer = mesh.uv_layers.new(name="UVMap")
        layer.data.foreach_set("uv", np.asarray(uv_coords, dtype=np.float32)[np.asarray(uv_faces).ravel()].ravel())
    mesh.update(calc_edges=True)
    mesh.validate(clean_customdata=False)
    return mesh


def set_mesh_positions(mesh: bpy.types.Mesh, vertices: np.ndarray) -> None:
    """Overwrite vertex positions ``[V, 3]`` (m) in place (per-frame update; topology unchanged)."""
    mesh.vertices.foreach_set("co", np.asarray(vertices, dtype=np.float32).ravel())
    mesh.update()


def hair_curves_from_strands(name: str, points: np.ndarray, radius: np.ndarray | float) -> bpy.types.Curves:
    """A hair-curves datablock from strands ``[S, P, 3]`` (m) with per-point ``radius`` ``[S, P]`` (m)."""
    s, p, _ = points.shape
    curves = bpy.data.hair_curves.new(name)
    if s == 0:
        return curves
    curves.add_curves([p] * s)
    curves.attributes["position"].data.foreach_set("vector", np.asarray(points, dtype=np.float32).ravel())
    rad = np.broadcast_to(np.asarray(radius, dtype=np.float32), (s, p))
    attr = curves.attributes.get("radius") or curves.attributes.new("radius", "FLOAT", "POINT")
    attr.data.foreach_set("value", np.ascontiguousarray(rad).ravel())
    return curves


def set_curve_positions(curves: bpy.types.Curves, points: np.ndarray) -> None:
    """Overwrite all curve point positions ``[S, P, 3]`` (m)."""
    if len(curves.points):
        curves.attributes["position"].data.foreach_set("vector", np.asarray(points, dtype=np.float32).ravel())
        curves.update_tag()


def purge_orphans() -> None:
    """Remove every datablock with no users left (after an identity's objects were deleted)."""
    for _ in range(4):  # nested users (material -> image) need a few passes
        removed = 0
        for coll in (bpy.data.meshes, bpy.data.hair_curves, bpy.data.materials, bpy.data.images,
                     bpy.data.node_groups, bpy.data.lights, bpy.data.worlds, bpy.data.textures):  # fmt: skip
            for block in list(coll):
                if block.users == 0:
                    coll.remove(block)
                    removed += 1
        if not removed:
            break
