"""Test helper: one identity staged in a fresh Blender scene for the ``cam_02`` view (the dataset renderer's own
staging), removed again on exit."""

from contextlib import contextmanager
from types import SimpleNamespace


@contextmanager
def staged_identity(seed: int, size: int, samples: int = 16, quality: str = "preview"):
    """Yield ``SimpleNamespace(scene, model, cams, staged)``: identity ``seed`` staged at ``size`` x ``size`` px,
    ``samples`` spp on the CPU without denoising, textures at 512 px, one frame, the camera set to ``cam_02``."""
    import bpy

    from synthetic.blender import cameras, staging
    from synthetic.blender.render_settings import RenderSettings, configure_render
    from synthetic.head import HeadModel
    from synthetic.rig import RigSettings, build_rig

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    render = RenderSettings(size, size, samples=samples, device="cpu", denoise=False)
    configure_render(scene, render)
    model = HeadModel.load()
    rs = RigSettings(width=size, height=size)
    rig0 = build_rig(rs)
    cams = dict(zip([c.name for c in rig0], cameras.setup_rig_cameras(scene, rig0, size, size)))
    staged = staging.stage_identity(scene, model, seed, rs, cams, quality, 512, 1, ["cam_02"], render=render)
    scene.camera = cams["cam_02"]
    try:
        yield SimpleNamespace(scene=scene, model=model, cams=cams, staged=staged)
    finally:
        staging.clear_identity(scene, staged.objs)
