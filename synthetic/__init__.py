"""SynthHeads synthetic-data core: head model, asset samplers, camera rig, dataset format, file formats
(``formats``: ``.gem``, 3DGS PLY, GEM coefficient sequences) and command-line helpers.

Everything here imports numpy and the standard library (pillow lazily, for images), never bpy or torch, except the
sub-package :mod:`synthetic.blender`: the renderer's Blender side, which imports bpy and runs in Blender's Python.
"""

from . import cache_env as _cache_env

_cache_env.apply()

__version__ = "0.1.0"
