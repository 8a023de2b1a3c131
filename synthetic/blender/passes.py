"""Optional linear render passes written as EXR files beside each camera's PNG (``--passes``).

Cycles computes the view-layer passes Depth (Z), Normal and Material Index (IndexMA) in the same
render as the colour image; the scene compositor (a node group, ``scene.compositing_node_group``,
in Blender 5.0) hands the colour image through unchanged and sends each pass through a File
Output node to one EXR per pass. What the files hold (``H x W`` = the camera's image size, row 0 =
top, as the PNG):

- ``cam_XX_depth.exr``: one float32 channel ``V``: camera-space z in metres, i.e. distance along
  the camera's optical axis (OpenCV z, not the length of the ray). Background: ``0.0``
  (:data:`BACKGROUND_DEPTH`).
- ``cam_XX_normal.exr``: float32 channels ``R, G, B`` = world-space unit normal x, y, z (Blender
  world: Z up). Background: ``(0, 0, 0)``.
- ``cam_XX_seg.exr``: one float32 channel ``V`` holding an integer part index per pixel
  (:data:`synthetic.blender.materials.SEG_LABELS`: 0 background, 1 skin, 2 hair incl. brows and
  lashes, 3 beard, 4 eyes, 5 mouth interior, 6 neck/clothes).

Sampling: Cycles writes depth and the material index from each pixel's first sample only (no
anti-aliasing: a pixel is labelled by one surface, never a blend of two), while the normal is
averaged over all samples and then renormalised here, so edge pixels get the mean direction of
what they cover. An edge pixel may therefore have alpha > 0 and seg 0 (its first sample missed
the head) or the other way round; where alpha = 0 all passes hold their background value.

Single-channel files use Blender's channel name ``V``; readers that only know ``Y`` (OpenCV) need
a generic EXR reader (OpenImageIO, OpenEXR, or Blender's own image loader).

Writes are atomic: the File Output node writes ``.cam_XX.tmp_<pass>.exr`` in the frame folder and
:meth:`PassOutputs.commit` renames each to its final name.
"""

from __future__ import annotations

import os
from pathlib import Path

import bpy

from synthetic.dataset.layout import PASSES

BACKGROUND_DEPTH = 0.0
"""Depth (m) written where no surface was hit."""
_CYCLES_NO_HIT = 1.0e9
"""Cycles' Depth pass holds 1e10 where the first sample hit nothing; anything above this is background."""

_SOCKET = {"depth": "Depth", "normal": "Normal", "seg": "Material Index"}
"""Render Layers output socket of each pass kind."""
_COLOR_MODE = {"depth": "BW", "normal": "RGB", "seg": "BW"}
_ITEM_TYPE = {"depth": "FLOAT", "normal": "RGBA", "seg": "FLOAT"}
"""File Output item socket: FLOAT gives one channel ``V``; RGBA with colour mode RGB gives ``R, G, B``."""
NODE_GROUP_NAME = "synthheads_passes"


def _enable_view_layer_passes(view_layer: bpy.types.ViewLayer, kinds: tuple[str, ...]) -> None:
    view_layer.use_pass_z = "depth" in kinds
    view_layer.use_pass_normal = "normal" in kinds
    view_layer.use_pass_material_index = "seg" in kinds


def _math(nt: bpy.types.NodeTree, operation: str, a, b=None) -> bpy.types.NodeSocket:
    """A Math node ``operation(a, b)``; ``a``/``b`` are sockets or numbers. Returns its output."""
    node = nt.nodes.new("ShaderNodeMath")
    node.operation = operation
    for socket, value in zip(node.inputs, (a, b)):
        if isinstance(value, bpy.types.NodeSocket):
            nt.links.new(value, socket)
        elif value is not None:
            socket.default_value = float(value)
    return node.outputs[0]


def _pass_value(nt: bpy.types.NodeTree, kind: str, source: bpy.types.NodeSocket) -> bpy.types.NodeSocket:
    """The compositor socket holding what the ``kind`` file stores (see the module docstring)."""
    if kind == "depth":  # Cycles' "no hit" (1e10) -> 0: depth * (depth < 1e9)
        return _math(nt, "MULTIPLY", source, _math(nt, "LESS_THAN", source, _CYCLES_NO_HIT))
    if kind == "normal":  # sample-averaged normal -> unit length; a zero vector stays zero
        node = nt.nodes.new("ShaderNodeVectorMath")
        node.operation = "NORMALIZE"
        nt.links.new(source, node.inputs[0])
        return node.outputs["Vector"]
    return _math(nt, "ROUND", source)  # seg: already integral (first sample); rounding guards the float path


class PassOutputs:
    """The compositor set-up that writes the passes ``kinds`` (a subset of :data:`PASSES`) per render.

    Build once per scene; before each render call :meth:`target` with the frame folder, after it
    :meth:`commit` with the final paths.
    """

    def __init__(self, scene: bpy.types.Scene, kinds) -> None:
        kinds = tuple(kinds)
        unknown = [k for k in kinds if k not in PASSES]
        if unknown or not kinds:
            raise ValueError(f"passes must be a non-empty subset of {PASSES}, got {kinds}")
        self.kinds = kinds
        _enable_view_layer_passes(scene.view_layers[0], kinds)
        scene.render.use_compositing = True
        scene.render.compositor_device = "CPU"
        scene.render.compositor_precision = "FULL"  # float32 all the way: depth needs more than half floats
        nt = bpy.data.node_groups.new(NODE_GROUP_NAME, "CompositorNodeTree")
        scene.compositing_node_group = nt
        nt.interface.new_socket("Image", in_out="OUTPUT", socket_type="NodeSocketColor")
        layers = nt.nodes.new("CompositorNodeRLayers")
        layers.scene = scene
        out = nt.nodes.new("NodeGroupOutput")
        nt.links.new(layers.outputs["Image"], out.inputs[0])  # the PNG: the render, untouched
        files = nt.nodes.new("CompositorNodeOutputFile")
        files.save_as_render = False  # data, not colour: no view transform, no colour-space conversion
        _exr_format(files.format, "RGB")
        for kind in kinds:
            item = files.file_output_items.new(_ITEM_TYPE[kind], kind)
            item.save_as_render = False
            item.override_node_format = True
            _exr_format(item.format, _COLOR_MODE[kind])
            nt.links.new(_pass_value(nt, kind, layers.outputs[_SOCKET[kind]]), files.inputs[kind])
        self._files = files
        self._pending: dict[str, Path] = {}

    def target(self, folder: Path, camera: str) -> dict[str, Path]:
        """Point the next render's pass files at temp names in ``folder``; returns {kind: temp path}."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        prefix = f".{camera}.tmp_"
        self._files.directory = str(folder) + os.sep
        self._files.file_name = prefix
        self._pending = {k: folder / f"{prefix}{k}.exr" for k in self.kinds}
        return dict(self._pending)

    def commit(self, final: dict[str, Path]) -> None:
        """Rename the files the last render wrote to ``final`` ({kind: path}); raises if one is missing."""
        missing = [str(p) for p in self._pending.values() if not p.is_file()]
        if missing:
            raise RuntimeError(f"the compositor did not write the pass file(s) {', '.join(missing)}")
        for kind, tmp in self._pending.items():
            os.replace(tmp, final[kind])
        self._pending = {}


def _exr_format(fmt: bpy.types.ImageFormatSettings, color_mode: str) -> None:
    """Single-layer OpenEXR, 32-bit float, lossless ZIP compression."""
    fmt.media_type = "IMAGE"
    fmt.file_format = "OPEN_EXR"
    fmt.color_depth = "32"
    fmt.exr_codec = "ZIP"
    fmt.color_mode = color_mode
