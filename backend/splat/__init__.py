"""Gaussian splatting core: the Gaussian set type, cameras, SH colour and the rasterizer."""

from .cameras import Cameras
from .gaussians import GaussianSet
from .rasterize import RasterOptions, RenderOutput, rasterize
from .sh import eval_sh_basis, sh_to_rgb

__all__ = ["Cameras", "GaussianSet", "RasterOptions", "RenderOutput", "rasterize", "eval_sh_basis", "sh_to_rgb"]
