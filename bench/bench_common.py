"""Shared helpers for the benchmark scripts: timing, machine description, table and JSON output."""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT_DIR = ROOT / "bench" / "out"


def machine() -> dict:
    info = {
        "python": platform.python_version(),
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
        if torch.cuda.is_available():
            info["gpu"] = torch.cuda.get_device_name(0)
    except ImportError:
        pass
    return info


def time_call(fn, repeats: int = 3, warmup: int = 1, sync=None) -> float:
    """Median wall time of ``fn()`` in seconds after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
        if sync:
            sync()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        if sync:
            sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def markdown_table(rows: list[dict], columns: list[str]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    for r in rows:
        cells = []
        for c in columns:
            v = r.get(c, "")
            cells.append(f"{v:.4g}" if isinstance(v, float) else str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_results(name: str, rows: list[dict], columns: list[str], notes: str = "") -> Path:
    """Print the table and write ``bench/out/<name>.json`` (machine, rows, notes)."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    print(markdown_table(rows, columns))
    if notes:
        print(notes)
    path = OUT_DIR / f"{name}.json"
    record = {"benchmark": name, "machine": machine(), "columns": columns, "rows": rows, "notes": notes}
    path.write_text(json.dumps(record, indent=2))
    print(f"wrote {path}")
    return path
