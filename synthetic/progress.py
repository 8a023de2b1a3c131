"""Progress reporting for long jobs: a bar for people, JSON lines for the Blender add-on.

With ``mode="json"`` every call prints one JSON object a line on stdout, as ARCHITECTURE.md
fixes: ``{"event": "progress", "stage": ..., "done": i, "total": n}``, ``{"event": "done", ...}``,
``{"event": "error", "message": ...}``. With ``mode="bar"`` a single self-rewriting line goes to
stderr (plain lines when stderr is not a terminal, at most one per second per stage).

Example::

    progress = Progress("bar")
    for i in progress.track(range(n), stage="render"):
        ...
    progress.done(out="runs/x")
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any, Literal, TypeVar

T = TypeVar("T")
Mode = Literal["bar", "json", "none"]


class Progress:
    """Reports progress of named stages. Not thread-safe; one instance per job."""

    def __init__(self, mode: Mode = "bar", stream_bar=None, stream_json=None):
        if mode not in ("bar", "json", "none"):
            raise ValueError(f"progress mode must be bar, json or none, not {mode!r}")
        self.mode = mode
        self._bar = stream_bar or sys.stderr
        self._json = stream_json or sys.stdout
        self._start: dict[str, float] = {}
        self._last_print: dict[str, float] = {}

    def _emit(self, obj: dict[str, Any]) -> None:
        self._json.write(json.dumps(obj) + "\n")
        self._json.flush()

    def update(self, stage: str, done: int, total: int, **extra: Any) -> None:
        """Report that ``done`` of ``total`` units of ``stage`` are finished."""
        now = time.monotonic()
        start = self._start.setdefault(stage, now)
        if self.mode == "json":
            self._emit({"event": "progress", "stage": stage, "done": int(done), "total": int(total), **extra})
            return
        if self.mode == "none":
            return
        tty = getattr(self._bar, "isatty", lambda: False)()
        last = self._last_print.get(stage, 0.0)
        final = done >= total
        if not final and now - last < (0.1 if tty else 1.0):
            return
        self._last_print[stage] = now
        frac = done / total if total else 1.0
        width = 30
        fill = int(round(frac * width))
        elapsed = now - start
        eta = f"{elapsed / done * (total - done):6.1f}s" if done else "     ?"  # unknown before the first unit
        info = " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in extra.items())
        line = (
            f"{stage:<14} [{'#' * fill}{'.' * (width - fill)}] {done}/{total} "
            f"{elapsed:6.1f}s elapsed, eta {eta} {info}"
        )
        if tty:
            self._bar.write("\r" + line + ("\n" if final else ""))
        else:
            self._bar.write(line + "\n")
        self._bar.flush()

    def track(self, items: Iterable[T], stage: str, total: int | None = None) -> Iterator[T]:
        """Iterate over ``items`` reporting each finished item."""
        if total is None:
            total = len(items)  # type: ignore[arg-type]
        self.update(stage, 0, total)
        for i, item in enumerate(items):
            yield item
            self.update(stage, i + 1, total)

    def message(self, text: str) -> None:
        """A line for people (stderr in bar mode, an info event in JSON mode)."""
        if self.mode == "json":
            self._emit({"event": "info", "message": text})
        elif self.mode == "bar":
            self._bar.write(text + "\n")
            self._bar.flush()

    def done(self, **result: Any) -> None:
        if self.mode == "json":
            self._emit({"event": "done", **result})

    def error(self, message: str) -> None:
        if self.mode == "json":
            self._emit({"event": "error", "message": message})
        else:
            sys.stderr.write(f"error: {message}\n")
            sys.stderr.flush()
