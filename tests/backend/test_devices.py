"""Threads per stage from the cores free at that moment, not from the lagging load average."""

from __future__ import annotations

import os
import subprocess
import sys

import torch

from backend.devices import cpu_busy, set_threads, threads_for


def test_threads_follow_free_cores():
    assert [threads_for(2, b) for b in (None, 0.0, 0.3, 0.5, 0.6, 1.0, 1.6, 2.0)] == [2, 2, 2, 2, 1, 1, 1, 1]
    assert threads_for(16, 3.2) == 13 and threads_for(1, 0.9) == 1


def test_cpu_busy_reads_proc_stat(tmp_path):
    assert cpu_busy(0.01, str(tmp_path / "missing")) is None
    busy = cpu_busy(0.2)
    assert busy is not None and 0.0 <= busy <= (os.cpu_count() or 1)
    # a process spinning on one core is seen at once (a load average would lag by a minute)
    spin = subprocess.Popen([sys.executable, "-c", "import time\nt=time.time()\nwhile time.time()-t<3: pass"])
    try:
        assert cpu_busy(0.5) >= 0.7
    finally:
        spin.kill()


def test_explicit_threads_win():
    before = torch.get_num_threads()
    try:
        assert set_threads(1) == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
