"""Cycles render settings for dataset rendering: device choice, samples, denoising, transparent
film (alpha = foreground mask), plain sRGB output (the 'Standard' view transform, so PNGs are
ordinary 8-bit sRGB as ARCHITECTURE.md fixes), and persistent data so that re-rendering the same
scene from another camera does not rebuild the BVH."""

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
    cyc.adaptive_threshold = 0.02
    cyc.use_denoising = settings.denoise
    if settings.denoise:
        cyc.denoiser = "OPTIX" if backend == "OPTIX" else "OPENIMAGEDENOISE"
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
