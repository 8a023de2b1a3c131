"""``python -m backend eval-inversion``: few-shot inversion vs. a from-scratch Gaussian baseline, per K inputs.

On held-out identities of the prior's recorded split (see :mod:`backend.invert.evaluate` for the protocol),
writes into ``--out`` (default ``<prior run>/eval_inversion``): ``eval_inversion.md`` (table),
``eval_inversion.json`` (every row), ``eval_inversion.png`` (metric vs K, prior vs baseline) and
``examples_k<K>.png`` (novel views: ground truth | prior | baseline); mean ± std over identities and ``--seeds``.
Finished runs are kept in ``eval_inversion.rows.json``: an interrupted evaluation resumes where it stopped.
The default (first held-out identity, seed 0, K = 1,2,3,5,8,13, steps 2 x inputs with floors 20 + 40) takes
about 10 min on a shared 2-core CPU; ``--identities held-out --seeds 0,1,2`` for the full protocol. A shell over
:func:`backend.invert.eval_run.evaluate_inversion`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from synthetic.cli_support import IN_DIR, OUT_DIR

NAME = "eval-inversion"
HELP = "evaluate few-shot inversion against a from-scratch baseline on held-out synthetic identities"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--prior", type=Path, required=True, help="prior run folder or checkpoint file")
    parser.add_argument("--data", type=IN_DIR, required=True, help="dataset root")
    parser.add_argument("--k", default="1,2,3,5,8,13", help="comma list of input-view counts")
    parser.add_argument("--identities", default="first",
                        help="'first' (first held-out identity), 'all' (the recorded held-out split), 'held-out' "
                             "(every complete identity the prior never trained on) or a comma list")
    parser.add_argument("--seeds", default="0",
                        help="comma list; each seed picks other input cameras and seeds the optimisation (default 0)")
    parser.add_argument("--novel-frames", type=int, default=3, help="frames not among the inputs to score")
    parser.add_argument("--no-baseline", action="store_true", help="skip the from-scratch baseline")
    parser.add_argument("--baseline-from", type=IN_DIR, default=None, metavar="DIR",
                        help="take the baseline's rows from an earlier evaluation's folder (same data, prior, inputs "
                             "and baseline settings) instead of fitting it again: sweeps of the prior's settings")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="InvertConfig field, applied after --config")
    parser.add_argument("--config", default="eval", metavar="PRESET|FILE.json",
                        help="inversion settings: a preset (eval: shorter step budgets, the default; default) or a "
                             "JSON file of InvertConfig fields")
    parser.add_argument("--out", type=OUT_DIR, default=None, help="output folder")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--threads", type=int, default=None)


def run(args: argparse.Namespace, progress) -> int:
    from backend.invert.eval_run import evaluate_inversion

    res = evaluate_inversion(args.prior, args.data, args.k, args.identities, args.novel_frames, not args.no_baseline,
                             args.overrides, args.out, args.device, args.threads, progress, args.config,
                             args.seeds, args.baseline_from)  # fmt: skip
    print(res.markdown)
    progress.message(f"eval-inversion: {res.out}")
    progress.done(out=str(res.out), plot=str(res.plot), table=json.loads(json.dumps(res.table)))
    return 0
