"""Few-shot inversion cost for K input views: time per step of each stage and the whole inversion.

Uses the trained prior and a held-out identity of its dataset when given (``--prior runs/prior_tiny --data
runs/data_expr``), else an untrained prior at the tiny preset's size on teacher renders (no dataset needed;
the cost does not depend on what the images show). Step counts are the inversion defaults for K views
(early stopping off, so every step is timed).

    python bench/bench_inversion.py [--k 3] [--prior RUN --data ROOT] [--threads 1]
"""

from __future__ import annotations

import argparse
import time

from bench_common import ROOT, write_results


def inputs(args, head):
    from backend.prior.checkpoint import load_prior

    if args.prior:
        from backend.invert.evaluate import split_views
        from backend.photos import prepare_synthetic
        from synthetic.dataset.reader import Dataset

        prior, _, ckpt = load_prior(args.prior, "cpu", head)
        identity = ckpt["split"]["held-out"][0]
        views = split_views(Dataset(args.data).identity(identity), args.k, 0)["inputs"]
        return prior, prepare_synthetic(args.data, identity, views, head), f"{args.prior} id {identity}"
    import sys

    sys.path.insert(0, str(ROOT))
    from tests.backend.avatar.avatar_fixture import flat_prepared, teacher_views, tiny_prior

    prior = tiny_prior(head)
    return prior, flat_prepared(head, views=teacher_views(head, prior, args.k)), "untrained reduced prior"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--prior", default=None)
    parser.add_argument("--data", default=None)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps-scale", type=float, default=1.0, help="multiply the default step budgets")
    parser.add_argument("--quick", action="store_true", help="smoke size: K=1 and a tenth of the steps")
    args = parser.parse_args()
    if args.quick:
        args.k, args.steps_scale = 1, 0.1
    import torch

    from backend.invert import InvertConfig, invert
    from synthetic.head import HeadModel

    torch.set_num_threads(args.threads)
    head = HeadModel.load()
    prior, prepared, source = inputs(args, head)
    d = InvertConfig()
    cfg = InvertConfig(warmup=10**9, stage1_min_steps=int(d.stage1_min_steps * args.steps_scale),
                       stage2_min_steps=int(d.stage2_min_steps * args.steps_scale))
    t0 = time.perf_counter()
    result = invert(prior, prepared, cfg, head)
    total = time.perf_counter() - t0
    s = result.summary
    rows = [{"k": args.k, "stage": st, "steps": s[st]["steps"], "s_per_step": s[st]["seconds"] / s[st]["steps"],
             "seconds": s[st]["seconds"]} for st in ("stage1", "stage2")]
    rows.append({"k": args.k, "stage": "total (incl. setup, renders)", "steps": sum(r["steps"] for r in rows),
                 "seconds": total, "psnr_before": s["psnr_inputs_before"], "psnr_after": s["psnr_inputs_after"]})
    write_results("inversion", rows, ["k", "stage", "steps", "s_per_step", "seconds", "psnr_before",
                                            "psnr_after"],
                  notes=f"{source}; {s['n_gaussians']} Gaussians, {s['render_size']} px, "
                        f"{args.threads} thread(s), views/step {cfg.views_per_step}")


if __name__ == "__main__":
    main()
