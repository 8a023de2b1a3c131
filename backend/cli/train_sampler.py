"""``python -m backend train-sampler``: fit the autoregressive code sampler (what lets the prior draw new people)
to the identity codes a trained prior gives every identity of a dataset. A shell over
:func:`backend.prior.sampler_training.fit_sampler`."""

from __future__ import annotations

import argparse

from synthetic.cli_support import IN_DIR, OUT_FILE

NAME = "train-sampler"
HELP = "fit the autoregressive identity-code sampler of a trained prior (for sample-prior)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=IN_DIR, required=True,
                        help="dataset root whose identities teach the sampler (more people than the prior saw is fine)")
    parser.add_argument("--out", type=OUT_FILE, required=True, help="sampler file to write (e.g. models/sampler.pt)")
    parser.add_argument("--prior", default=None, help="prior run folder or file (default: the shipped prior)")
    parser.add_argument("--kind", choices=("latent-gaussian", "autoregressive"), default="latent-gaussian",
                        help="latent-gaussian (default: a low-rank Gaussian over the continuous identity latents, what "
                             "works with ~100 people) or autoregressive (a transformer over the code indices, as "
                             "Taming Transformers; needs thousands); bench/bench_sampler.py compares them")
    parser.add_argument("--steps", type=int, default=3000, help="autoregressive: optimisation steps (default 3000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: the free cores)")


def run(args: argparse.Namespace, progress) -> int:
    from backend.devices import resolve_device, set_threads
    from backend.prior.sampler_training import SamplerTraining, fit_sampler
    from synthetic.errors import UserInputError

    if args.steps < 1:
        raise UserInputError(f"--steps must be >= 1, got {args.steps}")
    set_threads(args.threads)
    s = fit_sampler(args.data, args.out, args.prior, args.kind, SamplerTraining(steps=args.steps, seed=args.seed),
                    device=resolve_device(args.device), progress=progress)
    if "val_nll" in s:
        progress.message(f"train-sampler: validation NLL {s['val_nll']:.3f} nats/token at step {s['best_step']} "
                         f"(per-position histogram {s['position_unigram_val_nll']}, uniform {s['uniform_nll']:.3f})")
    else:
        progress.message(f"train-sampler: {s['components']} components from {len(s['train_identities'])} people "
                         f"keep {100 * s['variance_kept']:.0f} % of their spread (the top 10: "
                         f"{100 * s['variance_top10']:.0f} %)")
    progress.done(out=str(args.out), **{k: v for k, v in s.items() if not isinstance(v, (dict, list))})
    return 0
