"""Benchmark of the Blender/Cycles dataset renderer (CPU): images per second, scene build time per
identity, memory over many identities, and building the scene once vs rebuilding it every frame.

    python bench/bench_render.py            # the full run (about 15 min on 2 cores)
    python bench/bench_render.py --quick    # a smoke run of the script itself

Each measurement runs in its own process (``bench/_render_driver.py``), so peak memory is per
measurement and one measurement's caches do not help the next. Prints a markdown table and writes
``bench/out/render.json``. Timings on a shared machine are noisy: the table gives medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from bench_common import ROOT, write_results

DRIVER = Path(__file__).resolve().parent / "_render_driver.py"
FRONT_CAMERAS = ["cam_02", "cam_07", "cam_11", "cam_05", "cam_09", "cam_00"]


def run_driver(cfg: dict) -> dict:
    """Run one measurement in a fresh process; returns its result dict plus ``process_s`` (wall seconds)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, str(DRIVER), json.dumps(cfg)], cwd=ROOT, env=env, capture_output=True,
                          text=True)  # fmt: skip
    wall = time.perf_counter() - t0
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        tail = f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        raise RuntimeError(f"driver failed ({proc.returncode}) for {cfg}:\n{tail}")
    return {**json.loads(lines[-1][len("RESULT "):]), "process_s": wall}


def median(xs) -> float:
    return float(statistics.median(xs)) if xs else float("nan")


def throughput_rows(width: int, height: int, samples: int, n_images: int, seed: int) -> tuple[list[dict], dict]:
    cfg = {"mode": "throughput", "width": width, "height": height, "samples": samples, "quality": "render",
           "texture_size": 1024, "seed": seed, "cameras": FRONT_CAMERAS[:n_images], "n_images": n_images}
    r = run_driver(cfg)
    steady = r["image_s"][1:] or r["image_s"]  # the 2nd image may still pay a BVH rebuild (see notes)
    label = f"{width}x{height}, {samples} spp, render hair"
    rows = [
        {"measurement": f"images/s ({label})", "value": 1.0 / median(steady), "unit": "img/s",
         "detail": f"median of {len(steady)} images after the first; per image {median(steady):.1f} s"},
        {"measurement": f"first image after build ({label})", "value": r["image_s"][0], "unit": "s",
         "detail": "includes Cycles' scene sync (BVH, textures, shaders)"},
    ]  # fmt: skip
    return rows, r


def build_rows(results: list[dict]) -> list[dict]:
    """Scene build phases at render quality (1024 texels, ~60k scalp strands), median over the runs."""
    rows = []
    for key, what in (("sample_s", "sample parameters"), ("assets_s", "numpy assets (textures, strands, proxy)"),
                      ("scene_s", "bpy scene (cameras, lights, objects)")):  # fmt: skip
        vals = [r["timings"][key] for r in results]
        rows.append({"measurement": f"build per identity: {what}", "value": median(vals), "unit": "s",
                     "detail": f"render quality, median of {len(vals)} identities"})  # fmt: skip
    total = [sum(r["timings"].values()) for r in results]
    rows.append({"measurement": "build per identity: total", "value": median(total), "unit": "s",
                 "detail": f"render quality, median of {len(total)} identities"})
    return rows


def memory_rows(n_identities: int, seed: int) -> tuple[list[dict], dict]:
    cfg = {"mode": "memory", "width": 64, "height": 64, "samples": 1, "quality": "preview", "texture_size": 512,
           "seed": seed, "cameras": ["cam_02"], "n_identities": n_identities}
    r = run_driver(cfg)
    rss = r["rss_mib"]  # [before the first identity, after identity 1, ..., after identity n]
    after = rss[1:]
    slope = float(np.polyfit(np.arange(len(after)), after, 1)[0]) if len(after) > 2 else float("nan")
    k = max(1, min(10, len(after) // 3))
    detail = f"{n_identities} identities, 1 camera 64x64 1 spp, preview hair, 512 texels"
    rows = [
        {"measurement": "RSS after identity 1", "value": rss[1], "unit": "MiB", "detail": detail},
        {"measurement": f"RSS after identity {n_identities}", "value": rss[-1], "unit": "MiB", "detail": detail},
        {"measurement": "peak RSS", "value": r["peak_rss_mib"], "unit": "MiB", "detail": detail},
        {"measurement": f"RSS median of the first / last {k} identities", "value": f"{median(after[:k]):.0f} / "
         f"{median(after[-k:]):.0f}", "unit": "MiB", "detail": detail},
        {"measurement": "RSS trend (least-squares slope)", "value": slope, "unit": "MiB/identity",
         "detail": f"left in bpy.data after the last identity: {r['datablocks_left']} (the 28 rig cameras stay)"},
        {"measurement": "build per identity: total (preview)", "value": median(r["identity_s"]), "unit": "s",
         "detail": "sample + assets + scene + one tiny render + clear, median"},
    ]  # fmt: skip
    return rows, r


def frames_rows(n_frames: int, cameras: list[str], seed: int, size: int = 256, samples: int = 16
                ) -> tuple[list[dict], dict]:
    cfg = {"mode": "frames", "width": size, "height": size, "samples": samples, "quality": "render",
           "texture_size": 1024, "seed": seed, "cameras": cameras, "n_frames": n_frames}
    r = run_driver(cfg)
    rows = []
    for key, label, prep in (("updated", "built once + updated", "update"), ("rebuilt", "rebuilt every frame",
                                                                                "clear + bpy rebuild")):
        frames = r[key]
        first = median([f["render_s"][0] for f in frames])
        later = median([x for f in frames for x in f["render_s"][1:]])
        rows.append({"measurement": f"per frame ({len(cameras)} cameras), {label}",
                     "value": median([f["total_s"] for f in frames]), "unit": "s",
                     "detail": f"{prep} {median([f['prep_s'] for f in frames]):.2f} s; first render of the frame "
                               f"{first:.1f} s, later ones {later:.1f} s"})  # fmt: skip
    extra = [b["total_s"] - a["total_s"] for a, b in zip(r["updated"], r["rebuilt"])]
    rows += [
        {"measurement": "rebuild overhead per frame", "value": median(extra), "unit": "s",
         "detail": f"median of {len(extra)} frames, each rendered both ways back to back; {size}x{size}, {samples} "
                   "spp, render hair; the overhead (build, scene sync, BVH) does not grow with image size"},
        {"measurement": "rebuild overhead per frame incl. numpy assets (estimate)",
         "value": median(extra) + r["asset_timings"]["assets_s"], "unit": "s",
         "detail": "+ this identity's asset generation time, if the assets were regenerated too"},
    ]  # fmt: skip
    return rows, r


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny settings: checks the script, not the renderer")
    ap.add_argument("--identities", type=int, default=50, help="identities in the memory run (default 50)")
    ap.add_argument("--big-images", type=int, default=2, help="images at 768x512, 64 spp (default 2)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    rows, raw = [], {}
    if args.quick:
        small, raw["small"] = throughput_rows(64, 64, 2, 2, seed=1)
        rows += small + build_rows([raw["small"]])
        fr, raw["frames"] = frames_rows(2, ["cam_02"], seed=3, size=64, samples=2)
        rows += fr
        mem, raw["memory"] = memory_rows(3, seed=100)
        rows += mem
    else:
        small, raw["small"] = throughput_rows(256, 256, 16, 4, seed=1)
        big, raw["big"] = throughput_rows(768, 512, 64, args.big_images, seed=2)
        rows += small + big
        fr, raw["frames"] = frames_rows(5, ["cam_02", "cam_20"], seed=3, size=128, samples=16)
        rows += build_rows([raw["small"], raw["big"]])
        rows += fr
        mem, raw["memory"] = memory_rows(args.identities, seed=100)
        rows += mem
    notes = (f"CPU only ({os.cpu_count()} cores, shared with other jobs: medians, noisy). Total bench time "
             f"{time.perf_counter() - t0:.0f} s. Each row group ran in its own process. "
             "Raw per-image / per-identity numbers are under 'raw' in this file.")  # fmt: skip
    path = write_results("render", rows, ["measurement", "value", "unit", "detail"], notes)
    data = json.loads(path.read_text())
    data["raw"] = raw
    path.write_text(json.dumps(data, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
