"""Stage one identity in the scene from its seed: sample parameters, build the numpy assets, pose
the rig cameras, and create lighting and objects, timing each phase; and clear it again.

The render worker and ``bench/bench_render.py`` both go through here, so the benchmark measures
the code path that renders the dataset. Units: metres, seconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import bpy
import numpy as np

from synthetic.assets import IdentityAssets, IdentityConfig, IdentitySampler
from synthetic.assets import defaults as D
from synthetic.assets.performance import blink_columns, pick_frames, rest_lids
from synthetic.assets.seeds import stream
from synthetic import strand_lod
from synthetic.rig import RigCamera, RigSettings, build_rig

from . import cameras as blender_cameras
from . import clothing, identity_scene, lighting
from .bpy_data import purge_orphans
from .render_settings import RenderSettings


@dataclass(frozen=True)
class RenderDetail:
    """How much of an identity's detail goes into the scene: strand thinning factor per group
    (:mod:`synthetic.strand_lod`) and the skin's subsurface method (None = as built)."""

    strand_lod: dict = field(default_factory=dict)
    subsurface: str | None = None

    @classmethod
    def for_rig(cls, assets: IdentityAssets, rig: list[RigCamera], target, hair_width_px: float,
                subsurface: str | None) -> RenderDetail:
        """Strand thinning for the sharpest camera of ``rig`` looking at ``target`` (m)."""
        ppm = strand_lod.pixels_per_metre(rig, target)
        return cls(strand_lod.strand_lod(assets.strands, ppm, hair_width_px), subsurface)


@dataclass
class StagedIdentity:
    """An identity present in the scene (its objects, lights and posed cameras) and what made it."""

    seed: int
    params: dict
    assets: IdentityAssets
    shape: np.ndarray
    """``[n_shape]`` identity coefficients."""
    rig: list[RigCamera]
    """The cameras rendered for this identity (jittered per identity), in rig order."""
    objs: identity_scene.IdentityObjects
    lighting: dict
    """JSON description of the world and lights."""
    clothing: dict | None = None
    """Clothing parameters (:func:`.clothing.sample_clothing`), or None without clothing."""
    timings: dict = field(default_factory=dict)
    """Seconds per phase: ``sample_s`` (parameters), ``assets_s`` (textures, strands, proxy, performance),
    ``scene_s`` (cameras, lighting and bpy objects)."""
    detail: RenderDetail | None = None
    """What of the identity went into the scene (strand thinning, subsurface method)."""


def sample_assets(model, seed: int, quality: str, texture_size: int, frames: int) -> tuple[dict, IdentityAssets, dict]:
    """Parameters and numpy assets of identity ``seed``; ``frames`` counts the neutral frame 0 too.
    Returns (params, assets, {sample_s, assets_s})."""
    t0 = time.perf_counter()
    n_perf = max(D.PERFORMANCE_FRAMES, frames - 1)  # rendered frames are spread over it (frame_inputs)
    sampler = IdentitySampler(model, IdentityConfig(quality=quality, texture_size=texture_size, n_frames=n_perf))
    params = sampler.sample(seed)
    t1 = time.perf_counter()
    assets = sampler.build(params)
    return params, assets, {"sample_s": t1 - t0, "assets_s": time.perf_counter() - t1}


def build_objects(scene: bpy.types.Scene, model, seed: int, params: dict, assets: IdentityAssets, target,
                  clothes: dict | None = None, detail: RenderDetail | None = None
                  ) -> tuple[identity_scene.IdentityObjects, dict]:  # fmt: skip
    """World, lights, head/strand objects in the neutral pose and optional ``clothes``
    (:func:`.clothing.sample_clothing`); returns (objects, lighting description).
    ``target`` is the rig's look-at point (m), which the lights aim at; ``detail`` (None = full
    detail) thins strands and picks the skin's subsurface method for rendering."""
    before = set(bpy.data.objects)
    try:
        light_objs, light_desc = lighting.build_lighting(scene, stream(seed, "lighting"), target=target)
        created = list(light_objs)
        neutral = model.vertices(np.asarray(params["shape"]), rest_offsets=assets.rest_offsets)
        if clothes is not None:
            created.append(clothing.build_clothing(scene, model, neutral, clothes))
        detail = detail or RenderDetail()
        objs = identity_scene.build_identity(scene, model, params, assets, neutral, detail.strand_lod,
                                             detail.subsurface)  # fmt: skip
    except BaseException:  # leave no half-built identity behind for the next one
        identity_scene.remove_objects_and_world(scene, set(bpy.data.objects) - before)
        raise
    objs.others.extend(created)
    scene.cycles.seed = seed % (2**31)
    return objs, light_desc


def pose_rig(seed: int, rig_settings: RigSettings, cam_objects: dict, cameras=None) -> list[RigCamera]:
    """The identity's jittered rig (only ``cameras`` when given), applied to the Blender cameras."""
    rig = build_rig(rig_settings, stream(seed, "rig"))
    if cameras:
        rig = [c for c in rig if c.name in cameras]
    for cam in rig:
        blender_cameras.pose_camera(cam_objects[cam.name], cam, rig_settings.width, rig_settings.height)
    return rig


def stage_identity(scene: bpy.types.Scene, model, seed: int, rig_settings: RigSettings, cam_objects: dict,
                   quality: str, texture_size: int, frames: int, cameras=None,
                   with_clothing: bool = False, render: RenderSettings | None = None) -> StagedIdentity:
    """Sample, build and place identity ``seed`` (see :class:`StagedIdentity`); undo with :func:`clear_identity`.
    ``render`` (default :class:`RenderSettings`) sets the render detail: strand thinning up to its
    ``hair_width_px`` and its skin ``subsurface`` method (:class:`RenderDetail`)."""
    render = render or RenderSettings()
    params, assets, timings = sample_assets(model, seed, quality, texture_size, frames)
    t0 = time.perf_counter()
    clothes = clothing.sample_clothing(stream(seed, "clothing")) if with_clothing else None
    rig = pose_rig(seed, rig_settings, cam_objects, cameras)
    detail = RenderDetail.for_rig(assets, rig, rig_settings.target, render.hair_width_px, render.subsurface)
    objs, light_desc = build_objects(scene, model, seed, params, assets, rig_settings.target, clothes, detail)
    timings["scene_s"] = time.perf_counter() - t0
    return StagedIdentity(seed, params, assets, np.asarray(params["shape"]), rig, objs, light_desc, clothes,
                          timings, detail)  # fmt: skip


def frame_inputs(model, assets: IdentityAssets, frame: int,
                 n_frames: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(expression ``[E]``, pose ``[J, 3]`` rad, gaze ``[2]``) of ``frame`` of ``n_frames`` (neutral frame 0 included).

    Frame 0 is neutral (with the identity's resting lids, ``assets.lid_rest``); frames 1.. are spread over the whole
    performance (:func:`~synthetic.assets.performance.pick_frames`), so a short render still shows expressions;
    blinks do not count as expression, so rendered frames blink at the performance's natural rate.
    """
    if frame == 0:  # the neutral frame: what the back-projected texture is made from
        neutral = rest_lids(np.zeros(model.n_expression), model.expression_names, assets.lid_rest)
        return neutral, np.zeros((model.n_joints, 3)), np.zeros(2)
    perf = assets.performance
    picked = pick_frames(max(n_frames - 1, 1), perf.expression, ignore=blink_columns(perf.expression_names))
    index = int(picked[frame - 1])
    return perf.expression[index], perf.pose[index], perf.gaze[index]


def clear_identity(scene: bpy.types.Scene, objs: identity_scene.IdentityObjects) -> None:
    """Delete the identity's objects, its world and every datablock left without users, and drop
    Cycles' persistent render data (see :func:`drop_render_cache`)."""
    identity_scene.remove_objects_and_world(scene, objs.all_objects())
    purge_orphans()
    drop_render_cache(scene)


def drop_render_cache(scene: bpy.types.Scene) -> None:
    """Free Cycles' persistent data (kept between renders so other cameras and frames of one identity
    re-render without a full scene sync).

    Needed between identities: Cycles recognises a cached image by its datablock's address, and a
    new identity's texture allocated where a purged one lived would otherwise render with the old
    identity's pixels (another person's skin). Turning the option off frees the cache.
    """
    if scene.render.use_persistent_data:
        scene.render.use_persistent_data = False
        scene.render.use_persistent_data = True
