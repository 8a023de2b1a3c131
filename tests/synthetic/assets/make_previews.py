"""Write preview PNGs of the generated assets on the real head model (not collected by pytest).

Usage: ``python tests/synthetic/assets/make_previews.py [OUT_DIR]`` (default
``/tmp/synthheads_assets_previews``). Writes skin tones, a full texture set, every hair style
(front/side/back), every beard, a performance plot and a sheet of random identities.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from synthetic.assets import (BEARD_NAMES, STYLE_NAMES, FaceExtras, IdentityConfig, IdentitySampler,
                              grow_beard, grow_brows, grow_hair, grow_lashes, make_performance, make_textures,
                              sample_facial_hair, sample_hair, sample_hair_colour, sample_iris, sample_skin)
from synthetic.assets.head_adapter import surface_from_model, texture_inputs
from synthetic.assets.preview import grid, render_preview, save_png
from synthetic.head import HeadModel


def vertex_colours(model, albedo: np.ndarray) -> np.ndarray:
    """Albedo (H, W, 3) (row 0 = top) looked up at one UV of every vertex -> (V, 3)."""
    uv = np.zeros((model.n_vertices, 2))
    uv[model.faces.ravel()] = model.uv_coords[model.uv_faces.ravel()]
    h, w = albedo.shape[:2]
    rows = np.clip(((1 - uv[:, 1]) * h).astype(int), 0, h - 1)
    cols = np.clip((uv[:, 0] * w).astype(int), 0, w - 1)
    return albedo[rows, cols]


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    model = HeadModel.load()
    pos, masks = texture_inputs(model, 1024)
    surf = surface_from_model(model)
    lm = surf.landmarks
    body = surf.collision().body
    mesh = (surf.vertices, surf.faces, surf.normals)
    centre = np.array([0.0, 0.0, -0.05])

    # 1. skin tones: two identities per Fitzpatrick type, face crops of the albedo
    tiles = []
    for fz in range(1, 7):
        for k in range(2):
            rng = np.random.default_rng(100 * fz + k)
            skin = sample_skin(rng, fz)
            skin.stubble_shadow = 0.5 if k else 0.0
            hc = sample_hair_colour(rng, fz, 35)
            t = time.perf_counter()
            tex = make_textures(skin, pos, masks, lm, FaceExtras(hc.preview_rgb, iris=sample_iris(rng, fz)))
            print(f"texture type {fz}: {time.perf_counter() - t:.2f} s, ITA {skin.ita:.1f}")
            tiles.append(tex.albedo_srgb8()[60:560, 40:660])
    save_png(out / "skin_tones.png", grid([t[::2, ::2] for t in tiles], 4))

    # 2. one full texture set
    rng = np.random.default_rng(7)
    skin = sample_skin(rng, 2)
    skin.freckles = 0.6
    tex = make_textures(skin, pos, masks, lm, FaceExtras(iris=sample_iris(rng, 2, "green")))
    maps = [tex.albedo_srgb8(), (np.repeat(tex.roughness[..., None], 3, 2) * 255).astype(np.uint8),
            (np.repeat(tex.specular[..., None], 3, 2) * 255).astype(np.uint8)]
    save_png(out / "texture_maps.png", grid([m[::2, ::2] for m in maps], 3))
    vrgb = vertex_colours(model, tex.albedo)

    # 3. every hair style, front / side / back
    ims = []
    for k, style in enumerate(STYLE_NAMES):
        rng = np.random.default_rng(k + 30)
        hc = sample_hair_colour(rng, (k % 6) + 1, 30)
        hp = sample_hair(rng, "female", hc, style)
        s = grow_hair(surf, hp, 6000, rng)
        for view in ("front", "side", "back"):
            ims.append(render_preview(*mesh, skin.base_rgb, [s], view, 260, centre, 0.62, {"hair": hc.preview_rgb},
                                      body, vrgb))
    save_png(out / "hair_styles.png", grid(ims, 6))

    # 4. every beard with brows and lashes
    ims = []
    for k, style in enumerate(BEARD_NAMES):
        rng = np.random.default_rng(k + 60)
        hc = sample_hair_colour(rng, 3, 40)
        fh = sample_facial_hair(rng, "male", hc, style)
        groups = [grow_beard(surf, fh, rng, "render"), grow_brows(surf, fh, rng, "render"), grow_lashes(surf, fh, rng)]
        for view in ("front", "side"):
            ims.append(render_preview(*mesh, skin.base_rgb, groups, view, 300, np.array([0, -0.05, -0.03]), 0.24,
                                      {"beard": hc.preview_rgb}, None, vrgb))
    save_png(out / "beards.png", grid(ims, 4))

    # 5. a performance
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    p = make_performance(np.random.default_rng(1), model.expression_names, 300, 30.0, model.expression_ranges,
                         model.joint_names)
    fig, ax = plt.subplots(3, 1, figsize=(10, 7), sharex=True)
    for name in ("jaw_open", "mouth_smile_left", "mouth_pucker", "mouth_funnel", "brow_inner_up", "eye_blink_left",
                 "eye_wide_left"):
        ax[0].plot(p.expression[:, model.expression_index(name)], label=name)
    for seg in p.segments:
        ax[0].axvline(seg["start"], color="k", lw=0.5)
        ax[0].text(seg["start"] + 1, 1.02, seg["kind"], fontsize=7)
    ax[0].legend(fontsize=6, ncol=4)
    ax[1].plot(np.degrees(p.gaze))
    ax[1].set_ylabel("gaze yaw/pitch (deg)")
    ax[2].plot(np.degrees(p.pose[:, model.joint_index("head")]))
    ax[2].set_ylabel("head axis-angle (deg)")
    ax[2].set_xlabel("frame (30 fps)")
    fig.tight_layout()
    fig.savefig(out / "performance.png", dpi=80)

    # 6. random identities from seeds, textured
    sampler = IdentitySampler(model, IdentityConfig(texture_size=512, n_frames=2))
    ims = []
    for seed in range(12):
        params = sampler.sample(seed)
        isurf = sampler.surface(params)
        a = sampler.build(params, isurf, parts=("textures", "hair", "beard", "brows", "lashes"))
        hc = params["hair"]["colour"]["preview_rgb"]
        ims.append(render_preview(isurf.vertices, isurf.faces, isurf.normals, params["skin"]["base_rgb"],
                                  list(a.strands.values()), "front", 260, centre, 0.62, {"hair": hc, "beard": hc},
                                  body, vertex_colours(model, a.textures.albedo)))
        print(seed, params["sex"], params["skin"]["fitzpatrick"], params["hair"]["style"],
              params["facial_hair"]["beard_style"], params["hair"]["colour"]["name"], params["iris"]["name"])
    save_png(out / "identities.png", grid(ims, 6))
    print("wrote", sorted(str(p) for p in out.glob("*.png")))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/synthheads_assets_previews"))
