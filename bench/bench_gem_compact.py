"""Compact .gem: file size of float32 (version 1), float16 (version 2) and uint8 (version 3) files against GEM's
Table 4, and the PSNR each costs.

Size: bytes per Gaussian of each precision, uncompressed, at the paper's Gaussian counts (a 128^2 / 256^2 / 512^2
UV map, every texel a Gaussian) and component counts (10 / 30 / 50 per modality; plus GEM's position 50 / rotation
40 / scale 40 / opacity 50), colour as SH degree 0 (3 floats, as GEM's static colour). Sizes are exact array bytes
(``GemModel.arrays``); one size per precision is checked against a real ``write_gem`` file. The paper's MB are read
as 10^6 bytes.

PSNR cost: a GEM distilled from the teacher (mesh teacher or ``--avatar``) is written at each precision and read
back; its held-out expressions (coefficients projected on the float32 bases, the same for every file) are
rendered by the backend rasterizer at 256x256 from 5 rig cameras: PSNR of each file's renders against the
float32 file's and against the teacher's, and the largest raw-value error per modality.

    python bench/bench_gem_compact.py [--avatar FILE] [--map 64] [--components 30 ...] [--quick]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from bench_common import markdown_table, write_results

PAPER_MB = {(128, 10): 7, (256, 10): 28, (512, 10): 113, (128, 30): 20, (256, 30): 83, (512, 30): 333,
            (128, 50): 34, (256, 50): 138, (512, 50): 553}  # fmt: skip
"""GEM (Zielonka et al., CVPR 2025) Table 4: size in MB by UV map and components."""
PRECISIONS = ("float32", "float16", "uint8")
GEM_COUNTS = "position=50,rotation=40,scale=40,opacity=50"
"""GEM's per-modality component counts."""


def shape_model(n: int, counts: dict[str, int]):
    """A GemModel with the right array shapes (zeros: sizes only, it passes no checks)."""
    from synthetic.formats.gem import DIMS, MODALITIES, GemModality, GemModel

    mods = {m: GemModality(np.zeros(n * DIMS[m], np.float32), np.zeros((counts[m], n * DIMS[m]), np.float32),
                           np.ones(counts[m], np.float32)) for m in MODALITIES}  # fmt: skip
    return GemModel(**mods, colour_sh=np.zeros((n, 1, 3), np.float32))


def counts_label(counts: dict[str, int]) -> str:
    values = list(counts.values())
    return str(values[0]) if len(set(values)) == 1 else "/".join(map(str, values))


def size_rows() -> list[dict]:
    from backend.cli.distill_gem import parse_components
    from synthetic.formats.gem import MODALITIES

    rows = []
    configs = [{m: k for m in MODALITIES} for k in (10, 30, 50)] + [parse_components(GEM_COUNTS)]
    for counts in configs:
        label = counts_label(counts)
        for side in (128, 256, 512):
            n = side * side
            model = shape_model(n, counts)
            size = {p: sum(a.nbytes for a in model.arrays(p).values()) for p in PRECISIONS}
            paper = PAPER_MB.get((side, int(label))) if label.isdigit() else None
            row = {"components": label, "map": f"{side}^2", "gaussians": n}
            row.update({f"{p}_mb": size[p] / 1e6 for p in PRECISIONS})
            row.update({f"{p}_bytes_per_gaussian": size[p] / n for p in PRECISIONS[1:]})
            row.update({"paper_mb": paper or "", "paper_bytes_per_gaussian": paper * 1e6 / n if paper else ""})
            row.update({f"{p}_vs_paper": size[p] / (paper * 1e6) if paper else "" for p in PRECISIONS[1:]})
            rows.append(row)
    return rows


def check_files() -> str:
    """Write one file per precision (128^2, 10 components, random orthonormal bases) and compare with the estimate."""
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
                for p in PRECISIONS}  # fmt: skip
    est = {p: sum(a.nbytes for a in model.arrays(p).values()) for p in PRECISIONS}
    return ("Checked: real 128^2 x 10-component files are " + " / ".join(f"{real[p] / 1e6:.3f}" for p in PRECISIONS)
            + f" MB ({' / '.join(PRECISIONS)}) uncompressed, against "
            + " / ".join(f"{est[p] / 1e6:.3f}" for p in PRECISIONS) + " MB of array bytes.")


def psnr_rows(args, components) -> list[dict]:
    import torch

    torch.set_num_threads(args.threads)
    from backend.gem.decode import TorchGem
    from backend.gem.distill import DistillConfig, distill, project_frames
    from backend.gem.refine import evaluate_psnr
    from backend.gem.teacher import load_teacher
    from backend.gem.views import FRONTAL, rig_cameras
    from backend.splat import rasterize
    from synthetic.formats.gem import MODALITIES, PRECISIONS as VERSIONS, read_gem, write_gem
    from synthetic.head import HeadModel

    head = HeadModel.load()
    teacher = load_teacher(args.avatar, head, args.map)
    res = distill(teacher, DistillConfig(components=components, n_train=args.expressions,
                                         n_heldout=args.heldout), head)  # fmt: skip
    cams = rig_cameras(256, 256, [*FRONTAL, 16, 24][:5])
    with tempfile.TemporaryDirectory() as tmp:
        models = {p: read_gem(write_gem(Path(tmp) / f"{p}.gem", res.model, compress=False, precision=p))
                  for p in PRECISIONS}  # fmt: skip
        sizes = {p: (Path(tmp) / f"{p}.gem").stat().st_size for p in models}
    gems = {p: TorchGem.from_model(m) for p, m in models.items()}
    held = project_frames(gems["float32"], res.heldout_canonical, res.neutral_quats)
    coeffs = {m: c.double().numpy() for m, c in held.items()}
    raw = {p: m.decode_raw(coeffs) for p, m in models.items()}
    values: dict[str, list[float]] = {p: [] for p in PRECISIONS[1:]}
    with torch.no_grad():
        for i in range(len(res.heldout_canonical["means"])):
            imgs = {}
            for p, g in gems.items():
                d = g.decode({m: c[i : i + 1] for m, c in held.items()})
                imgs[p] = rasterize(g.gaussian_set(d), cams, background=torch.ones(3)).rgb.clamp(0, 1)
            for p in values:
                mse = ((imgs["float32"] - imgs[p]) ** 2).flatten(1).mean(1)
                values[p] += (10 * torch.log10(1 / mse.clamp(min=1e-12))).tolist()
    rows = []
    teacher_f32 = evaluate_psnr(gems["float32"], held, res.heldout_canonical, cams)
    for p in PRECISIONS:
        vs_teacher = teacher_f32 if p == "float32" else evaluate_psnr(gems[p], held, res.heldout_canonical, cams)
        row = {"components": counts_label(res.model.component_counts), "precision": p, "version": VERSIONS[p],
               "gaussians": res.model.n_gaussians, "file_mb": sizes[p] / 1e6,
               "bytes_per_gaussian": sizes[p] / res.model.n_gaussians, "psnr_vs_teacher_db": vs_teacher,
               "psnr_cost_db": teacher_f32 - vs_teacher,
               "psnr_vs_float32_mean_db": float(np.mean(values[p])) if p in values else "",
               "psnr_vs_float32_min_db": float(np.min(values[p])) if p in values else ""}  # fmt: skip
        for m in MODALITIES:
            row[f"max_err_{m}"] = float(np.abs(raw[p][m] - raw["float32"][m]).max())
        rows.append(row)
        print(row, flush=True)
    return rows


def main() -> None:
    from backend.cli.distill_gem import parse_components

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--avatar", default="mesh", help="avatar file or 'mesh' (the head-model teacher)")
    parser.add_argument("--map", type=int, default=64, help="teacher UV map size (Gaussians)")
    parser.add_argument("--components", action="append", type=parse_components,
                        help=f"components of the PSNR runs (repeatable; default 30 and GEM's {GEM_COUNTS})")
    parser.add_argument("--expressions", type=int, default=60)
    parser.add_argument("--heldout", type=int, default=6)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--quick", action="store_true", help="smoke size")
    args = parser.parse_args()
    args.components = args.components or [30, parse_components(GEM_COUNTS)]
    if args.quick:
        args.map, args.components, args.expressions, args.heldout = 32, [10], 12, 2
    sizes = size_rows()
    check = check_files()
    cost = [row for components in args.components for row in psnr_rows(args, components)]
    cost_columns = list(cost[0])
    notes = (f"{check}\n\nPSNR cost (teacher {args.avatar}, map {args.map}, {args.expressions} training and "
             f"{args.heldout} held-out expressions x 5 cameras at 256x256, backend rasterizer; psnr_cost_db = PSNR "
             f"against the teacher of the float32 file minus this file's; max_err_* = largest raw-value error "
             f"against the float32 file over the held-out expressions, metres for position, log-scale, logit "
             f"opacity):\n\n{markdown_table(cost, cost_columns)}\n\n"
             "Target (issue 13): half the paper's megabytes per Gaussian (uint8_vs_paper <= 0.5).")
    columns = ["components", "map", "gaussians", *(f"{p}_mb" for p in PRECISIONS),
               *(f"{p}_bytes_per_gaussian" for p in PRECISIONS[1:]), "paper_mb", "paper_bytes_per_gaussian",
               *(f"{p}_vs_paper" for p in PRECISIONS[1:])]  # fmt: skip
    write_results("gem_compact", sizes, columns, notes=notes)


if __name__ == "__main__":
    main()
