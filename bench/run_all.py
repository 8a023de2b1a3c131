"""Run every stage benchmark and collect their tables into ``bench/RESULTS.md``.

    python bench/run_all.py              # every benchmark, full size (tens of minutes on 2 CPU cores)
    python bench/run_all.py --quick      # each script's smoke size (checks the scripts, numbers meaningless)
    python bench/run_all.py --only rasterizer,gem
    python bench/run_all.py --collect    # no runs: rebuild RESULTS.md from bench/out/*.json

Each benchmark is its own script (one per stage) run in a fresh process; each writes
``bench/out/<name>.json`` (machine, date, rows, notes). RESULTS.md names the machine and date of
every table, so numbers from different machines are never mixed silently.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from bench_common import OUT_DIR, ROOT, markdown_table

BENCHMARKS = {
    # name (bench/out/<name>.json): script
    "rasterizer": "bench_rasterizer.py",
    "render": "bench_render.py",
    "prior": "bench_prior.py",
    "inversion": "bench_inversion.py",
    "gem": "bench_gem.py",
    "gem_compact": "bench_gem_compact.py",
    "blender_splats": "bench_blender_splats.py",
}
TITLES = {
    "rasterizer": "Gaussian rasterizer (forward, forward+backward)",
    "render": "Synthetic dataset renderer (Blender Cycles): old vs new settings, quality, profile",
    "prior": "SynShot prior training step",
    "inversion": "Few-shot inversion",
    "gem": "GEM: distillation quality, size, decode and render speed",
    "gem_compact": "Compact .gem (float16 and 8-bit bases): size against GEM's Table 4, PSNR cost",
    "blender_splats": "GEM in Blender 5.3: native splats and ellipsoids against the backend; playback speed",
}
RESULTS = ROOT / "bench" / "RESULTS.md"
MAIN = ROOT / "runs" / "main"


def extra_args(name: str) -> list[str]:
    """Real inputs from the main job's outputs when it has run (``./run.sh main``); otherwise each script
    falls back to its self-contained stand-ins (an untrained prior, the head-model mesh teacher)."""
    prior, data = MAIN / "04_prior" / "prior", MAIN / "03_synthetic_dataset" / "data"
    avatar = MAIN / "06_invert_photo" / "astronaut.avatar.pt"
    if name == "inversion" and (prior / "checkpoints" / "last.pt").exists() and data.exists():
        return ["--prior", str(prior), "--data", str(data)]
    if name == "gem" and avatar.exists():
        return ["--avatar", str(avatar)]
    return []


def run_one(name: str, quick: bool) -> tuple[bool, float, str]:
    """Run one benchmark script; returns (ok, seconds, tail of its output)."""
    script = Path(__file__).resolve().parent / BENCHMARKS[name]
    if not script.exists():
        return False, 0.0, f"{script.name} does not exist"
    cmd = [sys.executable, str(script), *extra_args(name)] + (["--quick"] if quick else ["--full"] * (name == "gem"))
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    tail = (proc.stdout + proc.stderr)[-2000:]
    return proc.returncode == 0, time.perf_counter() - t0, tail


def section(name: str) -> str:
    """The markdown section of one benchmark from its JSON (or a line saying it has not run)."""
    path = OUT_DIR / f"{name}.json"
    title = TITLES.get(name, name)
    if not path.exists():
        return f"## {title}\n\nNot run yet (`python bench/{BENCHMARKS[name]}`).\n"
    data = json.loads(path.read_text())
    m = data.get("machine", {})
    where = ", ".join(f"{k} {v}" for k, v in m.items() if k != "date")
    rows = data.get("rows", [])
    columns = data.get("columns") or (list(rows[0].keys()) if rows else [])
    parts = [f"## {title}", "", f"`python bench/{BENCHMARKS[name]}` on {m.get('date', '?')} ({where}).", "",
             markdown_table(rows, columns) if rows else "(no rows)"]  # fmt: skip
    if data.get("notes"):
        parts += ["", data["notes"]]
    return "\n".join(parts) + "\n"


def write_results_md(names: list[str]) -> Path:
    body = ["# SynthHeads benchmark results", "",
            "Written by `python bench/run_all.py`; each table names the machine and date it ran on.",
            "Targets from the papers (PAPERS.md) and the issues are quoted in each script's notes.", ""]  # fmt: skip
    body += [section(n) for n in names]
    RESULTS.write_text("\n".join(body))
    return RESULTS


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smoke sizes (for checking the scripts)")
    ap.add_argument("--only", default="", help="comma list of benchmarks: " + ", ".join(BENCHMARKS))
    ap.add_argument("--collect", action="store_true", help="only rebuild RESULTS.md from bench/out/*.json")
    args = ap.parse_args()
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(BENCHMARKS)
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        print(f"run_all: unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    failed = []
    if not args.collect:
        for n in names:
            print(f"== {n} ...", flush=True)
            ok, seconds, tail = run_one(n, args.quick)
            print(f"== {n}: {'ok' if ok else 'FAILED'} in {seconds:.0f} s", flush=True)
            if not ok:
                print(tail, file=sys.stderr)
                failed.append(n)
    if args.quick:
        print("quick run: RESULTS.md left unchanged (smoke-size numbers are not results)")
    else:
        print(f"wrote {write_results_md(list(BENCHMARKS))}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
