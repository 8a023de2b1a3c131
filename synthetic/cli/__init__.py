"""``python -m synthetic``: one module per sub-command, registered in ``COMMANDS``."""

from __future__ import annotations

from collections.abc import Sequence

from ..cli_support import main as _main
from . import landmarks, preview, render, validate

COMMANDS = [render, validate, preview, landmarks]


def main(argv: Sequence[str] | None = None) -> int:
    return _main("python -m synthetic", "SynthHeads synthetic-data tools (numpy core)", COMMANDS, argv)
