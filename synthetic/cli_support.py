"""Shared command-line plumbing for ``python -m synthetic`` and ``python -m backend``.

Each sub-command is a module with ``NAME``, ``HELP``, ``add_arguments(parser)`` and
``run(args, progress) -> int``. :func:`main` builds the parser, runs the chosen command and
maps errors onto the exit codes of ARCHITECTURE.md: 0 done, 2 bad input or usage (one clear
line), 1 failure (with a traceback for the developer).
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from types import ModuleType

from .errors import UserInputError
from .progress import Progress


def add_progress_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--progress",
        choices=("bar", "json", "none"),
        default="bar",
        help="bar: a progress bar on stderr; json: one JSON object a line on stdout (for the add-on)",
    )


def main(prog: str, description: str, commands: Sequence[ModuleType], argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    by_name = {}
    for module in commands:
        p = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        add_progress_argument(p)
        module.add_arguments(p)
        by_name[module.NAME] = module
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    progress = Progress(args.progress)
    try:
        return int(by_name[args.command].run(args, progress) or 0)
    except UserInputError as exc:
        progress.error(str(exc)) if args.progress == "json" else sys.stderr.write(f"{prog} {args.command}: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        progress.error("interrupted") if args.progress == "json" else sys.stderr.write("interrupted\n")
        return 130
    except Exception as exc:  # a failure, not bad input: keep the traceback for the report
        traceback.print_exc()
        if args.progress == "json":
            progress.error(f"{type(exc).__name__}: {exc}")
        return 1
