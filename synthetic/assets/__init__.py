"""Per-identity appearance and assets for SynthHeads (numpy only; pillow only for preview PNGs).

Facade (the implementation lives in the sibling modules)::

    from synthetic.assets import IdentitySampler, IdentityConfig
    sampler = IdentitySampler(HeadModel.load(), IdentityConfig(quality="render"))
    params = sampler.sample(seed)          # JSON-serialisable dict, bit-identical per seed
    assets = sampler.build(params)         # textures, strands, proxy offsets, performance

Lower-level pieces take plain arrays: ``make_textures`` (UV maps), ``grow_hair`` /
``grow_beard`` / ``grow_brows`` / ``grow_lashes`` (a ``HeadSurface``), ``fit_offsets`` (hair proxy),
``make_performance`` (expression names), ``MeshSDF`` (signed distance to any mesh).
Units: metres, radians, seconds; world = Blender (Z up, face along -Y).
"""

from .anatomy import Landmarks
from .collision import BodyProxy, CollisionField, FaceKeepOut
from .errors import AssetInputError
from .facial_hair import (BEARD_NAMES, FacialHairParams, beard_weights, grow_beard, grow_brows, grow_lashes,
                          sample_facial_hair)
from .hair import grow_hair
from .hair_styles import STYLE_NAMES, HairParams, sample_hair
from .head_adapter import surface_from_model, texture_inputs
from .identity import IdentityAssets, IdentityConfig, IdentitySampler, preview_hair, sample_identity
from .performance import Performance, make_performance
from .pigments import HairColour, IrisColour, hair_preview_rgb, sample_hair_colour, sample_iris
from .proxy import Occupancy, fit_offsets, voxelize_strands
from .sdf import MeshSDF, vertex_normals
from .seeds import child_seed, stream
from .skin import SkinParams, sample_skin
from .strands import Strands
from .surface import HeadSurface
from .texture import FaceExtras, SkinTextures, make_textures

__all__ = [
    "AssetInputError", "BEARD_NAMES", "BodyProxy", "CollisionField", "FaceExtras", "FaceKeepOut", "FacialHairParams",
    "HairColour", "HairParams", "HeadSurface", "IdentityAssets", "IdentityConfig", "IdentitySampler", "IrisColour",
    "Landmarks", "MeshSDF", "Occupancy", "Performance", "STYLE_NAMES", "SkinParams", "SkinTextures", "Strands",
    "beard_weights", "child_seed", "fit_offsets", "grow_beard", "grow_brows", "grow_hair", "grow_lashes",
    "hair_preview_rgb", "make_performance", "make_textures", "preview_hair", "sample_facial_hair", "sample_hair",
    "sample_hair_colour", "sample_identity", "sample_iris", "sample_skin", "stream", "surface_from_model",
    "texture_inputs", "vertex_normals", "voxelize_strands",
]
