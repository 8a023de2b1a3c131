"""The backend's command line: one module per sub-command, registered in ``COMMANDS``."""

from __future__ import annotations

from collections.abc import Sequence

from synthetic.cli_support import main as _main

from . import eval_prior, info, main_job, train_prior

COMMANDS = [info, main_job, train_prior, eval_prior]


def main(argv: Sequence[str] | None = None) -> int:
    return _main("python -m backend", "SynthHeads torch backend", COMMANDS, argv)
