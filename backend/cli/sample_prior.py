"""``python -m backend sample-prior``: new people from the generative prior, as avatar files and pictures.
A shell over :func:`backend.avatar.sample_people.sample_people`."""

from __future__ import annotations

import argparse

from synthetic.cli_support import OUT_DIR

NAME = "sample-prior"
HELP = "sample new people from the prior: avatar files, a contact sheet and an identity x expression swap grid"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--n", type=int, default=16, help="people to sample (default 16)")
    parser.add_argument("--out", type=OUT_DIR, required=True, help="folder for person_XX.avatar.pt and the pictures")
    parser.add_argument("--prior", default=None, help="prior run folder or file (default: the shipped prior)")
    parser.add_argument("--sampler", default=None, help="code sampler file (default: the shipped sampler)")
    parser.add_argument("--temperature", type=float, default=1.0,
                        help="> 0; lower stays nearer the people the sampler learnt from (default 1.0)")
    parser.add_argument("--top-k", type=int, default=None, help="draw each token from its k likeliest codes only")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", type=int, default=128, help="picture tile edge in pixels (default 128)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: the free cores)")


def run(args: argparse.Namespace, progress) -> int:
    from backend.avatar.sample_people import sample_people
    from backend.devices import set_threads

    set_threads(args.threads)
    result = sample_people(args.n, args.out, args.prior, args.sampler, args.temperature, args.top_k, args.seed,
                           args.size, args.device, progress)  # fmt: skip
    progress.message(f"sample-prior: {len(result.avatars)} avatars, {result.people_sheet}, {result.swap_grid}")
    progress.done(out=str(args.out), people=str(result.people_sheet), swap_grid=str(result.swap_grid),
                  shared_tokens_mean=result.summary["tokens shared with the nearest training identity (mean)"])
    return 0
