"""Contact sheet of synthetic identities rendered by the dataset renderer (Blender 5.3 / Cycles).

Each row is one identity (dataset seed base ``--seed``, identities 0..N-1, exactly as ``python -m synthetic
render`` would sample them); the columns are a front and a three-quarter camera of the rig, each with a neutral
face, a smile and a brow raise. Run it with the renderer's Blender Python::

    .venv-blender/bin/python tools/identity_sheet.py --identities 16 --out docs/images/synthetic_identities.jpg

It takes about 15-20 s per image on two CPU cores at 512x512 / 16 spp.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EXPRESSIONS = {
    "neutral": {},
    "smile": {"mouth_smile_left": 0.9, "mouth_smile_right": 0.9, "cheek_squint_left": 0.5, "cheek_squint_right": 0.5,
              "eye_squint_left": 0.3, "eye_squint_right": 0.3},
    "brow raise": {"brow_inner_up": 1.0, "brow_outer_up_left": 0.9, "brow_outer_up_right": 0.9,
                   "eye_wide_left": 0.4, "eye_wide_right": 0.4},
}
CAMERAS = {"front": "cam_02", "three-quarter": "cam_03"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--identities", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0, help="dataset seed base (as render --seed)")
    ap.add_argument("--size", type=int, default=512, help="render size in pixels (square)")
    ap.add_argument("--samples", type=int, default=16)
    ap.add_argument("--tile", type=int, default=192, help="tile size in the sheet (pixels)")
    ap.add_argument("--out", type=Path, required=True, help="sheet image (.jpg or .png)")
    args = ap.parse_args()

    import bpy
    from PIL import Image, ImageDraw

    from synthetic.assets.performance import rest_lids
    from synthetic.blender import cameras, identity_scene, staging
    from synthetic.blender.render_settings import RenderSettings, configure_render
    from synthetic.dataset.writer import identity_seed
    from synthetic.head import HeadModel
    from synthetic.rig import RigSettings, build_rig

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    render = RenderSettings.for_size(args.size, args.size, args.samples, device="cpu")
    configure_render(scene, render)
    model = HeadModel.load()
    rs = RigSettings(width=args.size, height=args.size)
    rig0 = build_rig(rs)
    cams = dict(zip([c.name for c in rig0], cameras.setup_rig_cameras(scene, rig0, args.size, args.size), strict=True))
    names = model.expression_names
    cols = [(v, e) for v in CAMERAS for e in EXPRESSIONS]
    t = args.tile
    sheet = Image.new("RGB", (t * len(cols), t * args.identities + 24), (96, 96, 96))
    draw = ImageDraw.Draw(sheet)
    for k, (view, expr) in enumerate(cols):
        draw.text((k * t + 6, 6), f"{view}, {expr}", fill=(255, 255, 255))
    tmp = Path(tempfile.mkdtemp(prefix="identity_sheet_")) / "view.png"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    for i in range(args.identities):
        seed = identity_seed(args.seed, i)
        staged = staging.stage_identity(scene, model, seed, rs, cams, "render", 1024, 1, list(CAMERAS.values()),
                                        render=render)  # fmt: skip
        try:
            for k, (view, expr) in enumerate(cols):
                e = np.zeros(len(names))
                for n, v in EXPRESSIONS[expr].items():
                    e[names.index(n)] = v
                e = rest_lids(e, names, staged.assets.lid_rest)
                identity_scene.update_frame(staged.objs, model, staged.shape, e, np.zeros((model.n_joints, 3)))
                scene.camera = cams[CAMERAS[view]]
                scene.render.filepath = str(tmp)
                bpy.ops.render.render(write_still=True)
                im = Image.open(tmp).convert("RGBA")
                bg = Image.new("RGBA", im.size, (128, 128, 128, 255))
                bg.alpha_composite(im)
                s = args.size
                crop = bg.convert("RGB").crop((int(0.13 * s), int(0.04 * s), int(0.87 * s), int(0.78 * s)))
                sheet.paste(crop.resize((t, t), Image.LANCZOS), (k * t, 24 + i * t))
        finally:
            staging.clear_identity(scene, staged.objs)
        p = staged.params
        draw.text((4, 24 + i * t + 4), f"id {i}: {p['sex']}, {p['age']:.0f}, {p['hair']['style']}", fill=(255, 255, 0))
        print(f"identity {i + 1}/{args.identities} done at {time.time() - t0:.0f} s", flush=True)
    tmp.unlink(missing_ok=True)
    tmp.parent.rmdir()
    sheet.save(args.out, quality=88) if args.out.suffix.lower() in (".jpg", ".jpeg") else sheet.save(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
