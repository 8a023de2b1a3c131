"""GEM benchmark: components x map resolution -> PSNR against the teacher, file size, decode time, render FPS.

For each map resolution the teacher (an avatar via ``avatar.resampled(map)``, or the head-model mesh teacher) is
distilled at each component count (PCA per modality; ``--refine-steps`` of photometric refinement, 0 by
default on a CPU). PSNR (dB) is GEM vs teacher renders of held-out expressions (coefficients by projection) in
6 rig cameras; decode time is one coefficient vector -> activated Gaussians (median); the teacher's own decode
(``canonical`` of one expression) is timed in the same run; FPS is CPU rasterization at 128x128, one camera.

    python bench/bench_gem.py                                  # mesh teacher, components 10/30, map 64/128
    python bench/bench_gem.py --avatar runs/dev_gem/avatar_tiny9.avatar --full   # 10/30/50 x 64/128/256
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench_common import time_call, write_results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--avatar", default="mesh", help="avatar file or 'mesh'")
    parser.add_argument("--components", type=int, nargs="+", default=[10, 30])
    parser.add_argument("--maps", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--full", action="store_true", help="components 10 30 50 x maps 64 128 256")
    parser.add_argument("--expressions", type=int, default=60)
    parser.add_argument("--heldout", type=int, default=6)
    parser.add_argument("--refine-steps", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="smoke size: 10 components, map 32, few expressions")
    args = parser.parse_args()
    if args.quick:
        args.components, args.maps, args.expressions, args.heldout, args.refine_steps = [10], [32], 12, 2, 0
    if args.full:
        args.components, args.maps = [10, 30, 50], [64, 128, 256]

    import torch

    torch.set_num_threads(1)
    from backend.gem.decode import TorchGem
    from backend.gem.distill import DistillConfig, distill, project_frames
    from backend.gem.refine import RefineConfig, evaluate_psnr, refine
    from backend.gem.teacher import load_teacher
    from backend.gem.views import FRONTAL, rig_cameras
    from backend.splat import rasterize
    from synthetic.formats.gem import write_gem
    from synthetic.head import HeadModel

    head = HeadModel.load()
    eval_cams = rig_cameras(96, 64, [*FRONTAL, 16, 20, 24])
    fps_cam = rig_cameras(128, 128, [FRONTAL[1]])
    rows = []
    for map_size in args.maps:
        teacher = load_teacher(args.avatar, head, map_size)
        e1 = torch.zeros(1, teacher.n_expression)
        e1[0, 0] = 0.3
        with torch.no_grad():
            t_teacher = time_call(lambda t=teacher, e=e1: t.canonical(e), repeats=3)
        for k in args.components:
            t0 = time.perf_counter()
            res = distill(teacher, DistillConfig(components=k, n_train=max(args.expressions, k + 1),
                                                 n_heldout=args.heldout), head)  # fmt: skip
            gem = TorchGem.from_model(res.model)
            if args.refine_steps:
                tr = project_frames(gem, res.train_canonical, res.neutral_quats)
                refine(gem, res.train_canonical, tr, rig_cameras(96, 64), RefineConfig(steps=args.refine_steps))
            build_s = time.perf_counter() - t0
            held = project_frames(gem, res.heldout_canonical, res.neutral_quats)
            p = evaluate_psnr(gem, held, res.heldout_canonical, eval_cams)
            with tempfile.TemporaryDirectory() as tmp:
                size = write_gem(Path(tmp) / "b.gem", gem.to_model()).stat().st_size / 1e6
            flat = gem.flatten({m: v[:1] for m, v in held.items()})
            with torch.no_grad():
                t_dec = time_call(lambda m=gem, f=flat: m.decode(f), repeats=7)
                g = gem.gaussian_set(gem.decode(flat))
                t_ren = time_call(lambda s=g: rasterize(s, fps_cam, background=torch.ones(3)), repeats=3)
            rows.append({"map": map_size, "components": k, "gaussians": res.model.n_gaussians,
                         "psnr_heldout_db": p, "size_mb": size, "gem_decode_ms": t_dec * 1e3,
                         "teacher_decode_ms": t_teacher * 1e3, "speedup": t_teacher / t_dec,
                         "render_fps_cpu": 1.0 / t_ren, "build_s": build_s})  # fmt: skip
            print(rows[-1], flush=True)
    cols = ["map", "components", "gaussians", "psnr_heldout_db", "size_mb", "gem_decode_ms", "teacher_decode_ms",
            "speedup", "render_fps_cpu", "build_s"]  # fmt: skip
    write_results("gem", rows, cols, notes=f"teacher={args.avatar}, refine_steps={args.refine_steps}, "
                                           f"train expressions={args.expressions}, held-out={args.heldout}")


if __name__ == "__main__":
    main()
