"""Compact .gem (format version 2, float16 bases): file size against GEM's Table 4, and the PSNR it costs.

Size: bytes per Gaussian of a float32 (version 1) and a float16 (version 2) .gem, uncompressed, at the
paper's Gaussian counts (a 128^2 / 256^2 / 512^2 UV map, every texel a Gaussian) and component counts
(10 / 30 / 50 per modality; plus GEM's position 50 / rotation 40 / scale 40 / opacity 50), colour as
SH degree 0 (3 floats, as GEM's static colour). Sizes are exact array bytes (``GemModel.arrays``); one
size per table is checked against a real ``write_gem`` file. The paper's MB are read as 10^6 bytes.

PSNR cost: a GEM distilled from the teacher (mesh teacher or ``--avatar``) is written both ways; its
held-out expressions are rendered by the backend rasterizer at 256x256 from 5 rig cameras with the
float32 and the float16 file: PSNR float16 vs float32 renders, and each against the teacher.

    python bench/bench_gem_compact.py [--avatar FILE] [--map 64] [--components 30] [--quick]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from bench_common import write_results

PAPER_MB = {(128, 10): 7, (256, 10): 28, (512, 10): 113, (128, 30): 20, (256, 30): 83, (512, 30): 333,
            (128, 50): 34, (256, 50): 138, (512, 50): 553}  # fmt: skip
"""GEM (Zielonka et al., CVPR 2025) Table 4: size in MB by UV map and components."""


def shape_model(n: int, counts: dict[str, int]):
    """A GemModel with the right array shapes (zeros; identity rows, so it passes no checks: sizes only)."""
    from synthetic.formats.gem import DIMS, MODALITIES, GemModality, GemModel

    mods = {m: GemModality(np.zeros(n * DIMS[m], np.float32), np.zeros((counts[m], n * DIMS[m]), np.float32),
                           np.ones(counts[m], np.float32)) for m in MODALITIES}  # fmt: skip
    return GemModel(**mods, colour_sh=np.zeros((n, 1, 3), np.float32))


def size_rows() -> list[dict]:
    from synthetic.formats.gem import MODALITIES

    rows = []
    configs = [(k, {m: k for m in MODALITIES}) for k in (10, 30, 50)]
    configs.append(("50/40/40/50", {"position": 50, "rotation": 40, "scale": 40, "opacity": 50}))
    for label, counts in configs:
        for side in (128, 256, 512):
            n = side * side
            model = shape_model(n, counts)
            b32 = sum(a.nbytes for a in model.arrays("float32").values())
            b16 = sum(a.nbytes for a in model.arrays("float16").values())
            paper = PAPER_MB.get((side, label))
            row = {"components": label, "map": f"{side}^2", "gaussians": n, "float32_mb": b32 / 1e6,
                   "float16_mb": b16 / 1e6, "float16_bytes_per_gaussian": b16 / n,
                   "paper_mb": paper if paper is not None else "", "paper_bytes_per_gaussian": paper * 1e6 / n
                   if paper is not None else "", "float16_vs_paper": b16 / (paper * 1e6) if paper else ""}  # fmt: skip
            rows.append(row)
    return rows


def check_one_file() -> str:
    """Write one float16 file (128^2, 10 components, random orthonormal bases) and compare with the estimate."""
    from synthetic.formats.gem import DIMS, MODALITIES, GemModality, GemModel, write_gem

    rng = np.random.default_rng(0)
    n, k = 128 * 128, 10
    mods = {}
    for m in MODALITIES:
        q, _ = np.linalg.qr(rng.standard_normal((n * DIMS[m], k)))
        mods[m] = GemModality(np.zeros(n * DIMS[m], np.float32), q.T.astype(np.float32), np.ones(k, np.float32))
    model = GemModel(**mods, colour_sh=np.zeros((n, 1, 3), np.float32))
    with tempfile.TemporaryDirectory() as tmp:
        real = {p: write_gem(Path(tmp) / f"{p}.gem", model, compress=False, precision=p).stat().st_size
                for p in ("float32", "float16")}  # fmt: skip
        zipped = write_gem(Path(tmp) / "z.gem", model, compress=True, precision="float16").stat().st_size
    est = {p: sum(a.nbytes for a in model.arrays(p).values()) for p in real}
    return (f"Checked: a real 128^2 x 10-component file is {real['float32'] / 1e6:.3f} MB (float32) / "
            f"{real['float16'] / 1e6:.3f} MB (float16) uncompressed, against {est['float32'] / 1e6:.3f} / "
            f"{est['float16'] / 1e6:.3f} MB of array bytes; np.savez_compressed makes the float16 one "
            f"{zipped / 1e6:.3f} MB (its means and colour are zeros here; the table is uncompressed).")


def psnr_rows(args) -> list[dict]:
    import torch

    torch.set_num_threads(2)
    from backend.gem.decode import TorchGem
    from backend.gem.distill import DistillConfig, distill, project_frames
    from backend.gem.refine import evaluate_psnr
    from backend.gem.teacher import load_teacher
    from backend.gem.views import FRONTAL, rig_cameras
    from backend.splat import rasterize
    from synthetic.formats.gem import read_gem, write_gem
    from synthetic.head import HeadModel

    head = HeadModel.load()
    teacher = load_teacher(args.avatar, head, args.map)
    res = distill(teacher, DistillConfig(components=args.components, n_train=args.expressions,
                                         n_heldout=args.heldout), head)  # fmt: skip
    cams = rig_cameras(256, 256, [*FRONTAL, 16, 24][:5])
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        models = {p: read_gem(write_gem(Path(tmp) / f"{p}.gem", res.model, compress=False, precision=p))
                  for p in ("float32", "float16")}  # fmt: skip
        sizes = {p: (Path(tmp) / f"{p}.gem").stat().st_size for p in models}
    gems = {p: TorchGem.from_model(m) for p, m in models.items()}
    held = project_frames(gems["float32"], res.heldout_canonical, res.neutral_quats)
    vs_teacher = {p: evaluate_psnr(g, held, res.heldout_canonical, cams) for p, g in gems.items()}
    values = []
    with torch.no_grad():
        for i in range(len(res.heldout_canonical["means"])):
            imgs = {}
            for p, g in gems.items():
                d = g.decode({m: c[i : i + 1] for m, c in held.items()})
                imgs[p] = rasterize(g.gaussian_set(d), cams, background=torch.ones(3)).rgb.clamp(0, 1)
            mse = ((imgs["float32"] - imgs["float16"]) ** 2).flatten(1).mean(1)
            values += (10 * torch.log10(1 / mse.clamp(min=1e-12))).tolist()
    rows.append({"gaussians": res.model.n_gaussians, "components": args.components,
                 "file_float32_mb": sizes["float32"] / 1e6, "file_float16_mb": sizes["float16"] / 1e6,
                 "psnr_vs_teacher_float32_db": vs_teacher["float32"], "psnr_vs_teacher_float16_db": vs_teacher["float16"],
                 "psnr_cost_vs_teacher_db": vs_teacher["float32"] - vs_teacher["float16"],
                 "psnr_float16_vs_float32_mean_db": float(np.mean(values)),
                 "psnr_float16_vs_float32_min_db": float(np.min(values))})  # fmt: skip
    print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--avatar", default="mesh", help="avatar file or 'mesh' (the head-model teacher)")
    parser.add_argument("--map", type=int, default=64, help="teacher UV map size (Gaussians)")
    parser.add_argument("--components", type=int, default=30)
    parser.add_argument("--expressions", type=int, default=60)
    parser.add_argument("--heldout", type=int, default=6)
    parser.add_argument("--quick", action="store_true", help="smoke size")
    args = parser.parse_args()
    if args.quick:
        args.map, args.components, args.expressions, args.heldout = 32, 10, 12, 2
    sizes = size_rows()
    check = check_one_file()
    cost = psnr_rows(args)
    cols_cost = list(cost[0])
    cost_table = "\n".join(["| " + " | ".join(cols_cost) + " |", "|" + "---|" * len(cols_cost)]
                           + ["| " + " | ".join(f"{r[c]:.4g}" if isinstance(r[c], float) else str(r[c])
                                                for c in cols_cost) + " |" for r in cost])  # fmt: skip
    notes = (f"{check}\n\nPSNR cost of float16 bases (teacher {args.avatar}, map {args.map}, {args.components} "
             f"components, {args.heldout} held-out expressions x 5 cameras at 256x256, backend rasterizer):\n\n"
             f"{cost_table}\n\nTarget (issue 13): half the paper's megabytes per Gaussian.")
    write_results("gem_compact", sizes, ["components", "map", "gaussians", "float32_mb", "float16_mb",
                                          "float16_bytes_per_gaussian", "paper_mb", "paper_bytes_per_gaussian",
                                          "float16_vs_paper"], notes=notes)  # fmt: skip


if __name__ == "__main__":
    main()
