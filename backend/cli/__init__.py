"""The backend's command line: one module per sub-command, registered in ``COMMANDS``."""

from __future__ import annotations

from collections.abc import Sequence

from synthetic.cli_support import main as _main

from . import (
    distill_gem,
    drive_gem,
    eval_inversion,
    eval_prior,
    export_prior,
    fit_photos,
    info,
    invert,
    main_job,
    render,
    sample_prior,
    train_prior,
    train_sampler,
)

COMMANDS = [info, main_job, train_prior, eval_prior, export_prior, train_sampler, sample_prior, fit_photos, invert,
            render, distill_gem, drive_gem, eval_inversion]


def main(argv: Sequence[str] | None = None) -> int:
    return _main("python -m backend", "SynthHeads torch backend", COMMANDS, argv)
