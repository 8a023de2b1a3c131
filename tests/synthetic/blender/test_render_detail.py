"""Render settings and render detail of the dataset renderer (issue 17): the measured defaults reach
Cycles, strands are thinned by the rig's image scale, the skin's subsurface method is switched, and
the legacy settings render every strand with random-walk skin."""

import numpy as np
import pytest

bpy = pytest.importorskip("bpy", reason="bpy 5.0.1 is a pinned dependency; this only skips outside the venv")


def _stage(render, width=256, height=256):
    from synthetic.blender import cameras, staging
    from synthetic.blender.render_settings import configure_render
    from synthetic.head import HeadModel
    from synthetic.rig import RigSettings, build_rig

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    configure_render(scene, render)
    model = HeadModel.load()
    rs = RigSettings(width=width, height=height)
    rig0 = build_rig(rs)
    cams = dict(zip([c.name for c in rig0], cameras.setup_rig_cameras(scene, rig0, width, height)))
    staged = staging.stage_identity(scene, model, 11, rs, cams, "preview", 256, 1, ["cam_02", "cam_07"],
                                    render=render)  # fmt: skip
    return scene, staged


def _skin_methods(obj) -> set[str]:
    from synthetic.blender.materials import PART_INDEX

    return {n.subsurface_method for m in obj.data.materials if m.pass_index in (PART_INDEX["skin"], PART_INDEX["neck"])
            for n in m.node_tree.nodes
            if n.bl_idname == "ShaderNodeBsdfPrincipled" and n.inputs["Subsurface Weight"].default_value > 0}  # fmt: skip


def test_defaults_reach_cycles_and_legacy_keeps_the_old_ones():
    from synthetic.blender.render_settings import RenderSettings, configure_render

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    configure_render(scene, RenderSettings.for_size(256, 256, 16, device="cpu"))
    cyc = scene.cycles
    assert (cyc.denoising_quality, cyc.denoising_prefilter, cyc.use_light_tree) == ("BALANCED", "FAST", False)
    assert cyc.adaptive_threshold == pytest.approx(0.02)
    assert RenderSettings.for_size(256, 256, 16).subsurface == "BURLEY"
    # large images keep random-walk skin and HIGH/ACCURATE denoising (Burley cost 2 dB at 768x512)
    big = RenderSettings.for_size(768, 512, 64, device="cpu")
    assert (big.subsurface, big.denoise_quality, big.light_tree) == ("RANDOM_WALK_SKIN", "HIGH", False)
    configure_render(scene, big)
    assert (cyc.denoising_quality, cyc.denoising_prefilter, cyc.use_light_tree) == ("HIGH", "ACCURATE", False)
    old = RenderSettings.legacy(64, 64, 16, "cpu")
    configure_render(scene, old)
    assert (cyc.denoising_quality, cyc.denoising_prefilter, cyc.use_light_tree) == ("HIGH", "ACCURATE", True)
    assert (old.subsurface, old.hair_width_px) == ("RANDOM_WALK_SKIN", 0.0)


def test_strands_are_thinned_by_the_rigs_image_scale_when_asked_and_skin_switched():
    from synthetic.blender import staging
    from synthetic.blender.render_settings import RenderSettings
    from synthetic.rig import RigSettings
    from synthetic.strand_lod import pixels_per_metre, strand_lod

    assert RenderSettings().hair_width_px == 0.0, "strand LOD is opt-in (it costs 2-3 dB, bench/RESULTS.md)"
    new = RenderSettings.for_size(256, 256, 4, device="cpu", hair_width_px=0.25)
    scene, staged = _stage(new)
    try:
        hair = staged.assets.strands["hair"]
        assert hair.count > 100, "seed 11 must have head hair for this test"
        ppm = pixels_per_metre(staged.rig, RigSettings(width=256, height=256).target)
        expected = strand_lod(staged.assets.strands, ppm, new.hair_width_px)
        assert staged.detail.strand_lod == expected and expected["hair"] > 1
        k = expected["hair"]
        obj = next(g.obj for g in staged.objs.strands if g.obj.name.startswith("hair"))
        assert len(obj.data.curves) == len(range(0, hair.count, k))
        radius = np.empty(len(obj.data.points), np.float32)
        obj.data.attributes["radius"].data.foreach_get("value", radius)
        assert radius.max() == pytest.approx(k * float(hair.radius.max()), rel=1e-5)
        assert _skin_methods(staged.objs.head) == {"BURLEY"}
    finally:
        staging.clear_identity(scene, staged.objs)

    for settings, skin in ((RenderSettings.for_size(256, 256, 4, device="cpu"), {"BURLEY"}),
                           (RenderSettings.legacy(256, 256, 4, "cpu"), {"RANDOM_WALK_SKIN"})):  # fmt: skip
        scene, staged = _stage(settings)
        try:
            obj = next(g.obj for g in staged.objs.strands if g.obj.name.startswith("hair"))
            assert len(obj.data.curves) == staged.assets.strands["hair"].count
            assert set(staged.detail.strand_lod.values()) == {1}
            assert skin <= _skin_methods(staged.objs.head)
        finally:
            staging.clear_identity(scene, staged.objs)

