"""Cycles render settings for dataset rendering: device choice, samples, denoising, transparent
film (alpha = foreground mask), plain sRGB output (the 'Standard' view transform, so PNGs are
ordinary 8-bit sRGB as ARCHITECTURE.md fixes), and persistent data so that re-rendering the same
scene from another camera does not rebuild the BVH.

The settings were chosen by measurement (``bench/bench_render.py``, table in bench/RESULTS.md): each
one cut render time and moved the image against a 256-spp full-detail reference by less than 0.5 dB
PSNR at the sizes it is used at (:meth:`RenderSettings.for_size`). :meth:`RenderSettings.legacy`
keeps the settings from before that work, so the benchmark can render old and new in one run."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import bpy


@dataclass(frozen=True)
class RenderSettings:
    width: int = 768
    height: int = 512
    samples: int = 64
    device: str = "auto"
    """auto | cpu | gpu: gpu uses OptiX, else CUDA, else HIP/oneAPI/Metal; auto falls back to cpu."""
    denoise: bool = True
    threads: int = 0
    """0 = all cores."""
    adaptive_threshold: float = 0.02
    """Cycles' adaptive-sampling noise threshold (lower = more samples where the image is noisy)."""
    denoise_quality: str = "HIGH"
    """OpenImageDenoise quality: HIGH | BALANCED | FAST (see :meth:`for_size`)."""
    denoise_prefilter: str = "ACCURATE"
    """Albedo/normal guide prefilter: ACCURATE | FAST | NONE."""
    light_tree: bool = False
    """Cycles' light tree; with a handful of area lights and one world it costs more than it saves."""
    subsurface: str = "RANDOM_WALK_SKIN"
    """Skin subsurface method: BURLEY | RANDOM_WALK | RANDOM_WALK_SKIN (set on the materials by
    :func:`synthetic.blender.materials.set_subsurface_method` after an identity is built)."""
    curve_shape: str = "RIBBONS"
    """How Cycles draws strands: RIBBONS (flat, camera-facing Catmull-Rom) | THICK (round Catmull-Rom)
    | THICK_LINEAR (round straight segments; measured no faster than ribbons for our hair)."""
    hair_width_px: float = 0.0
    """Strand level of detail (:mod:`synthetic.strand_lod`), opt-in: hair and beard are thinned to fewer,
    wider strands up to this projected width in pixels (0.25: every 4th strand at 256x256, about 2x
    faster, but 2-3 dB further from the full-detail reference: curls read coarser); 0 renders every strand."""

    @classmethod
    def for_size(cls, width: int, height: int, samples: int, device: str = "auto", **kw) -> RenderSettings:
        """The dataset renderer's settings for an image size: images up to :data:`SMALL_IMAGE_PX` on their
        longer side also get Christensen-Burley skin and balanced denoising with a fast prefilter.

        Measured against 256-spp references (bench/RESULTS.md): at 256x256 / 16 spp these cost 0.22 and
        0.27 dB and save ~20 % of the frame; at 768x512 / 64 spp they cost 2.0 and 0.76 dB (the image is
        clean enough there that Burley's different skin falloff shows), so large images keep random-walk
        skin and HIGH/ACCURATE denoising. ``kw`` overrides any field."""
        small = max(width, height) <= SMALL_IMAGE_PX
        fast = {"subsurface": "BURLEY", "denoise_quality": "BALANCED", "denoise_prefilter": "FAST"} if small else {}
        return cls(width, height, samples, device, **{**fast, **kw})

    @classmethod
    def legacy(cls, width: int, height: int, samples: int, device: str = "auto") -> RenderSettings:
        """The settings before the render-speed work (issue 17): HIGH/ACCURATE denoising, light tree,
        random-walk skin, every strand."""
        return cls(width, height, samples, device, light_tree=True)


SMALL_IMAGE_PX = 256
"""Longest image side (pixels) up to which :meth:`RenderSettings.for_size` picks the cheaper skin and denoiser."""


def _enable_gpu(want: str) -> str | None:
    """Enable the first GPU backend that has devices; returns its name or None."""
    prefs = bpy.context.preferences.addons["cycles"].preferences
    for backend in ("OPTIX", "CUDA", "HIP", "ONEAPI", "METAL"):
        try:
            prefs.compute_device_type = backend
        except TypeError:
            continue
        prefs.refresh_devices()
        devices = [d for d in prefs.devices if d.type == backend]
        if devices:
            for d in prefs.devices:
                d.use = d.type == backend
            return backend
    if want == "gpu":
        print("synthheads: --device gpu asked for, but Cycles found no GPU; rendering on the CPU", file=sys.stderr)
    return None


def configure_render(scene: bpy.types.Scene, settings: RenderSettings, seed: int = 0) -> str:
    """Apply ``settings`` to ``scene``; returns a description of the device actually used."""
    scene.render.engine = "CYCLES"
    cyc = scene.cycles
    backend = _enable_gpu(settings.device) if settings.device in ("auto", "gpu") else None
    cyc.device = "GPU" if backend else "CPU"
    cyc.samples = settings.samples
    cyc.use_adaptive_sampling = True
    cyc.adaptive_threshold = settings.adaptive_threshold
    cyc.use_denoising = settings.denoise
    if settings.denoise:
        cyc.denoiser = "OPTIX" if backend == "OPTIX" else "OPENIMAGEDENOISE"
        cyc.denoising_quality = settings.denoise_quality
        cyc.denoising_prefilter = settings.denoise_prefilter
    cyc.use_light_tree = settings.light_tree
    scene.cycles_curves.shape = settings.curve_shape
    cyc.seed = int(seed) % (2**31)
    cyc.max_bounces = 8
    cyc.transparent_max_bounces = 16
    cyc.use_auto_tile = False
    render = scene.render
    render.resolution_x, render.resolution_y = settings.width, settings.height
    render.resolution_percentage = 100
    render.pixel_aspect_x = render.pixel_aspect_y = 1.0
    render.film_transparent = True
    render.use_persistent_data = True
    render.threads_mode = "FIXED" if settings.threads else "AUTO"
    if settings.threads:
        render.threads = settings.threads
    scene.view_settings.view_transform = "Standard"
    scene.view_settings.look = "None"
    scene.view_settings.exposure = 0.0
    scene.view_settings.gamma = 1.0
    scene.display_settings.display_device = "sRGB"
    img = render.image_settings
    img.file_format = "PNG"
    img.color_mode = "RGBA"
    img.color_depth = "8"
    img.compression = 15
    return f"Cycles {cyc.device}" + (f" ({backend})" if backend else "")
