"""Test helper: run ``python -m synthetic ...`` from the checkout as a subprocess (the real CLI, real Blender)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def synthetic_cli(*args, check=True, timeout=900):
    """Run the CLI with ``args``; returns the CompletedProcess, raising with its output when ``check`` and it fails."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "synthetic", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-4000:]}")
    return proc
