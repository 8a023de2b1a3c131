"""SynthHeads head model: a FLAME-like morphable head built from procedural anatomy (numpy only).

Public facade (the implementation lives in the sibling modules)::

    from synthetic.head import HeadModel
    model = HeadModel.load()                      # packaged file, cache, or a fresh build (scipy)
    params = model.sample(seed=7)                 # identity from a seed
    verts = model.vertices(params.shape, model.expression_vector(jaw_open=0.5), pose)

Frame: metres, Blender axes (X = subject's left, face looks along -Y, Z up), origin at the
midpoint of the ear canals. See :mod:`synthetic.head.model` for the evaluation order and
:mod:`synthetic.head.flame` for reading a licensed FLAME ``generic_model.pkl`` without chumpy.
"""

from .flame import FlameModel, load_flame_pickle
from .model import HeadModel, HeadParams, vertex_normals
from .regions import GROUPS, REGION_NAMES

__all__ = ["HeadModel", "HeadParams", "FlameModel", "load_flame_pickle", "vertex_normals", "REGION_NAMES", "GROUPS"]
