"""Identity-loss weight by measurement: inversion with dlib's identity term at several weights.

For each weight: invert (a) three views of a held-out synthetic identity of the prior's dataset and (b) the
single photo ``skimage.data.astronaut()``; report the CSIM / descriptor distance of the avatar against its
inputs (rendered at the inputs' full resolution), PSNR/SSIM/LPIPS on the synthetic identity's novel views
and novel expressions (what the inversion never saw), and the time. Same prior, seed and step budgets.

    python bench/bench_identity_loss.py --prior RUN --data ROOT [--weights 0,0.1,0.3] [--every 4] [--quick]
"""

from __future__ import annotations

import argparse
import time

from bench_common import write_results

VIEWS = [(0, "cam_02"), (0, "cam_05"), (0, "cam_08")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prior", required=True, help="a prior run folder or checkpoint")
    ap.add_argument("--data", required=True, help="the prior's dataset (its held-out identity is inverted)")
    ap.add_argument("--weights", default="0,0.1,0.3")
    ap.add_argument("--every", type=int, default=4, help="identity loss on one step in this many")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="a tenth of the steps (smoke test)")
    args = ap.parse_args()
    import torch
    from skimage import data as skdata

    from backend.invert import InvertConfig, invert
    from backend.invert.evaluate import score_avatar
    from backend.photos import prepare_photos, prepare_synthetic
    from backend.prior.checkpoint import load_prior
    from synthetic.head import HeadModel

    torch.set_num_threads(args.threads)
    head = HeadModel.load()
    prior, _, ckpt = load_prior(args.prior, "cpu", head)
    identity = int(ckpt["split"]["held-out"][0])
    inputs = {"synthetic": prepare_synthetic(args.data, identity, VIEWS, head),
              "astronaut": prepare_photos([skdata.astronaut()], head)}
    rows = []
    for w in [float(x) for x in args.weights.split(",")]:
        for name, prepared in inputs.items():
            cfg = InvertConfig(identity=w, identity_every=args.every)
            if args.quick:
                cfg.stage1_min_steps, cfg.stage2_min_steps = 6, 10
                cfg.stage1_steps_per_input = cfg.stage2_steps_per_input = 1
            t = time.perf_counter()
            res = invert(prior, prepared, cfg, head)
            seconds = time.perf_counter() - t
            s, idt = res.summary, res.summary["identity"]
            row = {"weight": w, "input": name, "seconds": seconds, "psnr_inputs": s["psnr_inputs_after"],
                   "csim_before": (idt["csim_before"] or {}).get("csim"), "csim_after": (idt["csim_after"] or {}).get("csim"),
                   "dist_after": (idt["csim_after"] or {}).get("distance"), "faces": (idt["csim_after"] or {}).get("faces")}  # fmt: skip
            if name == "synthetic":
                scores = score_avatar(res.avatar, args.data, identity, VIEWS, res.targets.size)
                for split, sc in scores.items():
                    short = "nv" if split == "novel_views" else "ne"
                    row.update({f"{short}_psnr": sc["psnr"], f"{short}_lpips": sc["lpips"]})
            rows.append(row)
            print(row, flush=True)
    cols = ["weight", "input", "seconds", "psnr_inputs", "csim_before", "csim_after", "dist_after", "faces",
            "nv_psnr", "nv_lpips", "ne_psnr", "ne_lpips"]
    write_results("identity_loss", rows, cols,
                  notes=f"identity loss every {args.every} steps; CSIM/distance: dlib descriptors of the avatar's "
                        "renders vs the inputs at full resolution (same person: distance < 0.6); nv/ne: novel "
                        f"views / novel expressions of held-out identity {identity}")  # fmt: skip


if __name__ == "__main__":
    main()
