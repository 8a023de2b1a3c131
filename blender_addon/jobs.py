"""Background jobs: ``python -m synthetic|backend <command> --progress json`` in a subprocess (no bpy).

A :class:`Job` starts the command in its own process group, and a reader thread copies every
output line (stdout and stderr, merged) into the job's log file and turns the JSON lines of the
progress protocol (ARCHITECTURE.md) into events on a queue. Blender polls :meth:`Job.poll` from a
modal timer, so the UI stays responsive; :meth:`Job.cancel` terminates the whole process group
(SIGTERM, then SIGKILL after a grace period). The log file is kept after the job ends.

Exit codes: 0 done, 2 bad input, 1 failure; a failed job's :attr:`JobStatus.error` holds the
command's last ``error`` event, or else the last lines of its output, plus the log path.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

CANCEL_GRACE_S = 10.0
TAIL_LINES = 6


@dataclass
class JobSpec:
    """One command to run: ``argv`` (interpreter first) in ``cwd``, output copied to ``log_path``."""

    kind: str
    argv: list[str]
    cwd: str
    log_path: str
    title: str = ""
    result_path: str | None = None
    """What the job produces (a follow-up, such as importing a distilled GEM, reads it)."""


@dataclass
class JobStatus:
    """What the UI shows; updated by :meth:`Job.poll`."""

    state: str = "starting"
    """starting, running, done, failed or cancelled."""
    stage: str = ""
    done: int = 0
    total: int = 0
    message: str = ""
    error: str = ""
    returncode: int | None = None
    result: dict = field(default_factory=dict)
    """The ``done`` event's fields."""
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 0.0

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed", "cancelled")

    def elapsed(self) -> float:
        return (self.ended or time.monotonic()) - self.started


class Job:
    """A running command; create it with :func:`start`."""

    def __init__(self, spec: JobSpec):
        self.spec = spec
        self.status = JobStatus()
        self._events: queue.Queue = queue.Queue()
        self._tail: deque[str] = deque(maxlen=TAIL_LINES)
        self._cancelled = False
        self._proc: subprocess.Popen | None = None
        self._reader: threading.Thread | None = None

    # ------------------------------------------------------------------ running
    def start(self) -> Job:
        log = Path(self.spec.log_path)
        log.parent.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHOME", "PYTHONPATH", "PYTHONSTARTUP")}
        env["PYTHONUNBUFFERED"] = "1"
        with open(log, "a", encoding="utf-8") as f:
            f.write(f"=== {time.strftime('%Y-%m-%d %H:%M:%S')} {self.spec.title or self.spec.kind}\n"
                    f"=== cwd {self.spec.cwd}\n=== {' '.join(self.spec.argv)}\n")  # fmt: skip
        kwargs = {"start_new_session": True} if os.name == "posix" else {
            "creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)}  # fmt: skip
        try:
            self._proc = subprocess.Popen(self.spec.argv, cwd=self.spec.cwd, env=env, stdin=subprocess.DEVNULL,
                                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                          encoding="utf-8", errors="replace", bufsize=1, **kwargs)  # fmt: skip
        except OSError as exc:
            self._finish("failed", f"cannot start {self.spec.argv[0]}: {exc}")
            return self
        self.status.state = "running"
        self._reader = threading.Thread(target=self._read, name=f"synthheads-{self.spec.kind}", daemon=True)
        self._reader.start()
        return self

    def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        with open(self.spec.log_path, "a", encoding="utf-8") as log:
            for line in self._proc.stdout:
                log.write(line)
                log.flush()
                text = line.strip()
                event = None
                if text.startswith("{"):
                    try:
                        event = json.loads(text)
                    except json.JSONDecodeError:
                        event = None
                if isinstance(event, dict) and "event" in event:
                    self._events.put(event)
                elif text:
                    self._events.put({"event": "line", "text": text})

    def poll(self) -> JobStatus:
        """Apply the events that arrived since the last call; notice the end of the process."""
        while True:
            try:
                ev = self._events.get_nowait()
            except queue.Empty:
                break
            self._apply(ev)
        if self.status.finished or self._proc is None:
            return self.status
        rc = self._proc.poll()
        if rc is not None and (self._reader is None or not self._reader.is_alive()):
            self._apply_pending()
            self.status.returncode = rc
            if self._cancelled:
                self._finish("cancelled", "cancelled")
            elif rc == 0 and not self.status.error:
                self._finish("done", "")
            else:
                self._finish("failed", self._failure_message(rc))
        return self.status

    def _apply_pending(self) -> None:
        while not self._events.empty():
            self._apply(self._events.get_nowait())

    def _apply(self, ev: dict) -> None:
        kind = ev.get("event")
        s = self.status
        if kind == "progress":
            s.stage, s.done, s.total = str(ev.get("stage", "")), int(ev.get("done", 0)), int(ev.get("total", 0))
        elif kind == "info":
            s.message = str(ev.get("message", ""))
            self._tail.append(s.message)
        elif kind == "error":
            s.error = str(ev.get("message", "unknown error"))
        elif kind == "done":
            s.result = {k: v for k, v in ev.items() if k != "event"}
        elif kind == "line":
            self._tail.append(ev["text"])

    def _failure_message(self, rc: int) -> str:
        what = {2: "bad input", 1: "failed"}.get(rc, f"exited with code {rc}")
        detail = self.status.error or (self._tail[-1] if self._tail else "no output")
        return f"{self.spec.title or self.spec.kind} {what}: {detail} (log: {self.spec.log_path})"

    def _finish(self, state: str, error: str) -> None:
        self.status.state = state
        if state != "done":
            self.status.error = error
        self.status.ended = time.monotonic()
        with open(self.spec.log_path, "a", encoding="utf-8") as f:
            f.write(f"=== {time.strftime('%Y-%m-%d %H:%M:%S')} {state}"
                    f"{'' if self.status.returncode is None else f' (exit {self.status.returncode})'}\n")  # fmt: skip

    def cancel(self) -> None:
        """Terminate the job's process group (SIGTERM, SIGKILL after :data:`CANCEL_GRACE_S`)."""
        if self._proc is None or self._proc.poll() is not None:
            return
        self._cancelled = True
        _signal_group(self._proc, signal.SIGTERM)
        threading.Thread(target=self._kill_later, daemon=True).start()

    def _kill_later(self) -> None:
        try:
            self._proc.wait(timeout=CANCEL_GRACE_S)
        except subprocess.TimeoutExpired:
            _signal_group(self._proc, getattr(signal, "SIGKILL", signal.SIGTERM))

    def wait(self, timeout: float | None = None, interval: float = 0.1, on_update=None) -> JobStatus:
        """Poll until the job ends (or ``timeout`` seconds pass; then it is cancelled)."""
        end = None if timeout is None else time.monotonic() + timeout
        while not self.poll().finished:
            if on_update is not None:
                on_update(self.status)
            if end is not None and time.monotonic() > end:
                self.cancel()
                end = None
            time.sleep(interval)
        return self.status


def _signal_group(proc: subprocess.Popen, sig) -> None:
    try:
        if os.name == "posix":
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(signal.CTRL_BREAK_EVENT if sig == signal.SIGTERM else sig)
    except (ProcessLookupError, PermissionError, OSError):
        pass


def start(spec: JobSpec) -> Job:
    return Job(spec).start()


class JobRegistry:
    """At most one job per kind; the UI reads the latest job of each kind from here."""

    def __init__(self):
        self._jobs: dict[str, Job] = {}

    def get(self, kind: str) -> Job | None:
        return self._jobs.get(kind)

    def running(self, kind: str) -> bool:
        job = self._jobs.get(kind)
        return job is not None and not job.poll().finished

    def add(self, job: Job) -> Job:
        if self.running(job.spec.kind):
            raise RuntimeError(f"a {job.spec.kind} job is already running; cancel it first")
        self._jobs[job.spec.kind] = job
        return job

    def cancel_all(self) -> None:
        for job in self._jobs.values():
            job.cancel()


REGISTRY = JobRegistry()


def python_executable_ok(path: str) -> bool:
    return bool(path) and os.path.isfile(path) and os.access(path, os.X_OK)


def interpreter_default() -> str:
    """The project's ``.venv`` interpreter when known (``SYNTHHEADS_PYTHON``, or ``SYNTHHEADS_ROOT/.venv``)."""
    explicit = os.environ.get("SYNTHHEADS_PYTHON", "")
    if explicit:
        return explicit
    root = os.environ.get("SYNTHHEADS_ROOT", "")
    if root:
        for rel in ((".venv", "bin", "python"), (".venv", "Scripts", "python.exe")):
            candidate = os.path.join(root, *rel)
            if os.path.isfile(candidate):
                return candidate
    return ""


def project_dir_for(python: str, explicit: str = "") -> str:
    """The folder holding ``synthetic/`` and ``backend/`` (where ``python -m ...`` runs): ``explicit``,
    else the first parent of the interpreter path (not resolving links) that holds ``synthetic/``."""
    if explicit:
        return explicit
    for parent in Path(os.path.abspath(python)).parents:
        if (parent / "synthetic" / "__init__.py").is_file():
            return str(parent)
    return ""


def log_name(kind: str) -> str:
    return f"{kind}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
