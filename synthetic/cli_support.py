"""Shared command-line plumbing for ``python -m synthetic`` and ``python -m backend``.

Each sub-command is a module with ``NAME``, ``HELP``, ``add_arguments(parser)`` and
``run(args, progress) -> int``. :func:`main` builds the parser, runs the chosen command and
maps errors onto the exit codes of ARCHITECTURE.md: 0 done, 2 bad input or usage (one clear
line), 1 failure (with a traceback for the developer).

Path options declare what they expect with ``type=`` one of :data:`IN_FILE`, :data:`IN_DIR`, :data:`OUT_FILE`,
:data:`OUT_DIR` (each a :class:`PathArg`): before the command runs, a file given where a folder is expected (or
the reverse) is refused with one line naming the option and the path, exit 2, and nothing is written.
A missing input is left to the command, which names it in its own words.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from .errors import UserInputError
from .progress import Progress


class PathArg:
    """An argparse ``type`` for a path of one kind: ``"file"`` or ``"folder"``, read (``output=False``) or written.

    Parsing only makes a :class:`~pathlib.Path`; :func:`check_path_args` checks the kinds before the command runs.
    """

    def __init__(self, kind: str, output: bool):
        if kind not in ("file", "folder"):
            raise ValueError(f"PathArg kind must be 'file' or 'folder', not {kind!r}")
        self.kind, self.output = kind, output
        self.__name__ = f"{'output' if output else 'input'} {kind}"  # argparse names the type in its errors

    def __call__(self, text: str) -> Path:
        return Path(text)

    def problem(self, path: Path) -> str | None:
        """Why ``path`` cannot be this kind of path, or None (a missing input is the command's to report)."""
        if self.kind == "folder" and path.exists() and not path.is_dir():
            return "is a file, expected a folder"
        if self.kind == "file" and path.is_dir():
            return "is a folder, expected a file"
        if self.output:
            for parent in path.parents:
                if parent.exists():
                    return None if parent.is_dir() else f"cannot be created: {parent} is a file"
        return None


IN_FILE = PathArg("file", output=False)
IN_DIR = PathArg("folder", output=False)
OUT_FILE = PathArg("file", output=True)
OUT_DIR = PathArg("folder", output=True)


def check_path_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """``UserInputError`` naming the first option whose path is of the wrong kind (see :class:`PathArg`)."""
    for action in parser._actions:  # noqa: SLF001 (argparse keeps no public list of a parser's arguments)
        if not isinstance(action.type, PathArg):
            continue
        value = getattr(args, action.dest, None)
        for path in value if isinstance(value, list) else [value]:
            why = None if path is None else action.type.problem(Path(path))
            if why:
                name = action.option_strings[0] if action.option_strings else action.dest
                raise UserInputError(f"{name} {path}: {why}")


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
    by_name, parsers = {}, {}
    for module in commands:
        p = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        add_progress_argument(p)
        module.add_arguments(p)
        by_name[module.NAME], parsers[module.NAME] = module, p
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    progress = Progress(args.progress)
    try:
        check_path_args(parsers[args.command], args)
        return int(by_name[args.command].run(args, progress) or 0)
    except (UserInputError, FileExistsError, NotADirectoryError, IsADirectoryError) as exc:
        # the OS errors: a path of the wrong kind that no PathArg declared (a file inside an output folder)
        text = str(exc) if isinstance(exc, UserInputError) else f"{exc.filename}: {exc.strerror}"
        progress.error(text) if args.progress == "json" else sys.stderr.write(f"{prog} {args.command}: error: {text}\n")
        return 2
    except KeyboardInterrupt:
        progress.error("interrupted") if args.progress == "json" else sys.stderr.write("interrupted\n")
        return 130
    except Exception as exc:  # a failure, not bad input: keep the traceback for the report
        traceback.print_exc()
        if args.progress == "json":
            progress.error(f"{type(exc).__name__}: {exc}")
        return 1
