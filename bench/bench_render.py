"""Benchmark of the Blender/Cycles dataset renderer (CPU): old vs new render settings in one run
(speed and image quality against a 256-spp full-detail reference), scene build time per identity,
per-frame Python overhead, memory over many identities, and building the scene once vs rebuilding
it every frame.

    python bench/bench_render.py            # the full run (about 30 min on 2 cores)
    python bench/bench_render.py --quick    # a smoke run of the script itself
    python bench/bench_render.py --profile-only new   # only where a new-settings frame goes (~5 min)

"old" is :meth:`synthetic.blender.render_settings.RenderSettings.legacy` (the settings before issue
17), "new" the renderer's defaults, "LOD" new plus the opt-in strand level of detail; the 256x256
rows add the changes one at a time, each image
compared (PSNR, SSIM, composited over grey) with a 256-spp render of the same view at full detail
(every strand, random-walk skin, HIGH denoising, adaptive threshold 0.005).

Each measurement runs in its own process (``bench/_render_driver.py``) with the renderer's Blender
(:func:`synthetic.render_job.default_blender`: Blender 5.3 from ``.venv-blender``), so peak memory is
per measurement and one measurement's caches do not help the next. Prints a markdown table, writes
``bench/out/render.json`` and a contact sheet ``bench/out/render_sheet.png`` (reference | old | new
| new with strand LOD, per size). Timings on a shared machine are noisy: the table gives medians.
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
from bench_common import OUT_DIR, ROOT, write_results

DRIVER = Path(__file__).resolve().parent / "_render_driver.py"
FRONT_CAMERAS = ["cam_02", "cam_07", "cam_11", "cam_05", "cam_09", "cam_00"]


IMAGES = ROOT / "bench" / "out" / "render_images"
ABLATION = [  # (label, profile, overrides): each row adds one change to the one before
    ("old", "old", {}),
    ("+ light tree off", "old", {"light_tree": False}),
    ("+ OIDN balanced, fast prefilter", "old", {"light_tree": False, "denoise_quality": "BALANCED",
                                                "denoise_prefilter": "FAST"}),
    ("+ Burley skin SSS = new", "new", {}),
    ("new + strand LOD 0.25 px (opt-in)", "new", {"hair_width_px": 0.25}),
]  # fmt: skip
REFERENCE = ("reference (256 spp, full detail)", "old", {"adaptive_threshold": 0.005})
REFERENCE_CYCLES_SEED = 987_654
"""The reference's own Cycles seed: with the identity's seed its first samples would be those of the
16-spp render it judges, and correlated noise would flatter the judged image."""


def run_driver(cfg: dict) -> dict:
    """Run one measurement in a fresh process; returns its result dict plus ``process_s`` (wall seconds)."""
    from synthetic.render_job import default_blender

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    proc = subprocess.run([default_blender(), str(DRIVER), json.dumps(cfg)], cwd=ROOT, env=env, capture_output=True,
                          text=True)  # fmt: skip
    wall = time.perf_counter() - t0
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        tail = f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        raise RuntimeError(f"driver failed ({proc.returncode}) for {cfg}:\n{tail}")
    return {**json.loads(lines[-1][len("RESULT "):]), "process_s": wall}


def median(xs) -> float:
    return float(statistics.median(xs)) if xs else float("nan")


def throughput(width: int, height: int, samples: int, n_images: int, seed: int, profile: str = "new",
               overrides: dict | None = None, keep: Path | None = None, cycles_seed: int | None = None) -> dict:
    """One driver run: stage identity ``seed`` at render quality and render ``n_images`` front views."""
    cfg = {"mode": "throughput", "width": width, "height": height, "samples": samples, "quality": "render",
           "texture_size": 1024, "seed": seed, "cameras": FRONT_CAMERAS[:n_images], "n_images": n_images,
           "profile": profile, "overrides": overrides or {}, "keep": str(keep) if keep else None,
           "cycles_seed": cycles_seed}  # fmt: skip
    if keep:
        keep.mkdir(parents=True, exist_ok=True)
    return run_driver(cfg)


def load_view(path: Path):
    """A kept PNG as a float ``[3, H, W]`` tensor composited over mid grey (alpha = coverage)."""
    import torch

    from synthetic.dataset.files import read_png

    a = torch.from_numpy(read_png(path).astype(np.float32) / 255.0)
    return (a[..., :3] * a[..., 3:] + 0.5 * (1.0 - a[..., 3:])).permute(2, 0, 1)


def image_quality(folder: Path, ref: Path, cameras: list[str]) -> tuple[float, float]:
    """Mean PSNR (dB) and SSIM of ``folder``'s views against ``ref``'s, over ``cameras`` both have."""
    from backend.metrics import psnr, ssim

    ps, ss = [], []
    for cam in cameras:
        if (ref / f"{cam}.png").is_file() and (folder / f"{cam}.png").is_file():
            a, b = load_view(folder / f"{cam}.png"), load_view(ref / f"{cam}.png")
            ps.append(float(psnr(a, b)))
            ss.append(float(ssim(a, b)))
    return (float(np.mean(ps)), float(np.mean(ss))) if ps else (float("nan"), float("nan"))


def speed_rows(width: int, height: int, samples: int, n_images: int, n_ref: int, seed: int,
               variants: list[tuple[str, str, dict]]) -> tuple[list[dict], dict]:
    """Reference plus ``variants`` at one size: per-image seconds (median after the first image, which
    pays the scene sync), images/s and quality against the reference; rows in variant order."""
    size = f"{width}x{height}"
    ref_dir = IMAGES / f"{size}_ref"
    raw = {"reference": throughput(width, height, 256, n_ref, seed, REFERENCE[1], REFERENCE[2], ref_dir,
                                   cycles_seed=REFERENCE_CYCLES_SEED)}  # fmt: skip
    rows = []
    for i, (label, profile, overrides) in enumerate(variants):
        name = "old" if label == "old" else "new" if label.endswith("new") else "lod" if "LOD" in label else f"step{i}"
        folder = IMAGES / f"{size}_{name}"
        r = throughput(width, height, samples, n_images, seed, profile, overrides, folder)
        raw[label] = r
        steady = r["image_s"][1:] or r["image_s"]
        p, q = image_quality(folder, ref_dir, r["cameras"])
        rows.append({"measurement": f"{size}, {samples} spp: {label}", "value": 1.0 / median(steady),
                     "unit": "img/s", "s_per_image": median(steady), "first_image_s": r["image_s"][0],
                     "psnr_db": p, "ssim": q, "hair_lod": r["strand_lod"].get("hair", 1),
                     "detail": f"median of {len(steady)} images after the first; quality over {min(n_ref, n_images)} "
                               "views vs the reference"})  # fmt: skip
    return rows, raw


def contact_sheet(sizes: list[str], cameras: list[str], columns: list[str], path: Path) -> None:
    """Reference | old | new (``columns``: image folder suffixes) for the first kept view of each size."""
    from PIL import Image

    tiles = []
    for size in sizes:
        row = []
        for col in columns:
            f = IMAGES / f"{size}_{col}" / f"{cameras[0]}.png"
            if f.is_file():
                im = Image.open(f).convert("RGBA")
                bg = Image.new("RGBA", im.size, (128, 128, 128, 255))
                row.append(Image.alpha_composite(bg, im).convert("RGB"))
        if row:
            tiles.append(row)
    if not tiles:
        return
    h = 256
    scaled = [[t.resize((round(t.width * h / t.height), h)) for t in row] for row in tiles]
    width = max(sum(t.width for t in row) for row in scaled)
    sheet = Image.new("RGB", (width, h * len(scaled)), (255, 255, 255))
    for i, row in enumerate(scaled):
        x = 0
        for t in row:
            sheet.paste(t, (x, i * h))
            x += t.width
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)


PROFILE_ORDER = ["full", "no_denoise", "one_bounce", "burley", "no_light_tree", "one_sample", "diffuse_hair",
                 "no_hair"]  # fmt: skip


def profile_rows(width: int, height: int, samples: int, seed: int, n_cameras: int = 5,
                 settings: str = "old") -> tuple[list[dict], dict]:
    """Where a frame's time goes with the ``settings`` ("old" or "new"): the frame re-rendered with one thing
    removed at a time; each row is the time saved (mean over the views after the first two of each tweak; the
    savings overlap, so they do not add up to the frame)."""
    cfg = {"mode": "profile", "width": width, "height": height, "samples": samples, "quality": "render",
           "texture_size": 1024, "seed": seed, "cameras": FRONT_CAMERAS[:n_cameras], "profile": settings,
           "tweaks": PROFILE_ORDER}  # fmt: skip
    r = run_driver(cfg)
    skip = 2 if n_cameras > 2 else 1  # after a settings change the first two views still pay a re-sync
    t = {k: float(np.mean(v[skip:])) for k, v in r["image_s"].items()}
    full = t["full"]
    label = f"profile {width}x{height}, {samples} spp, {settings} settings"
    rows = [{"measurement": f"{label}: frame time per view", "value": full, "unit": "s",
             "detail": f"mean of the last {n_cameras - skip} views; hair strands {r['strands']}"},
            {"measurement": f"{label}: scene sync + BVH build (first view after the build)",
             "value": r["first_image_s"] - full, "unit": "s", "detail": "first image minus a later one"}]  # fmt: skip
    from _render_driver import PROFILE_TWEAKS

    for k in PROFILE_ORDER[1:]:
        rows.append({"measurement": f"{label}: {PROFILE_TWEAKS[k][0]}", "value": full - t[k], "unit": "s",
                     "detail": f"time saved per view without it ({100 * (full - t[k]) / full:.0f} % of the frame)"})
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
    upd = r["updated"]
    prep, per_cam = median([f["prep_s"] for f in upd]), median([x for f in upd for x in f["render_s"]])
    rows = [{"measurement": "per-frame Python overhead (pose + strand follow)", "value": 100.0 * prep / (prep + 28 *
             per_cam), "unit": "% of a 28-camera frame",
             "detail": f"update {prep:.2f} s per frame against {per_cam:.1f} s per camera x 28 cameras "
                       f"({size}x{size}, {samples} spp); with the {len(cameras)} cameras measured: "
                       f"{100.0 * prep / median([f['total_s'] for f in upd]):.1f} %"}]  # fmt: skip
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


def write_with_raw(name: str, rows: list[dict], columns: list[str], notes: str, raw: dict) -> None:
    """:func:`write_results`, then the raw per-image numbers under ``raw`` in the same JSON."""
    path = write_results(name, rows, columns, notes)
    data = json.loads(path.read_text())
    data["raw"] = raw
    path.write_text(json.dumps(data, indent=2))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny settings: checks the script, not the renderer")
    ap.add_argument("--identities", type=int, default=50, help="identities in the memory run (default 50)")
    ap.add_argument("--big-images", type=int, default=2, help="images at 768x512, 64 spp (default 2)")
    ap.add_argument("--profile-only", choices=["old", "new"],
                    help="only the profile (256x256, 16 spp) with these settings; writes "
                         "render_profile_<settings>.json")
    args = ap.parse_args()
    t0 = time.perf_counter()
    rows, raw = [], {}
    if args.profile_only:
        rows, raw["profile"] = profile_rows(256, 256, 16, seed=1, settings=args.profile_only)
        notes = f"CPU only ({os.cpu_count()} cores). Total bench time {time.perf_counter() - t0:.0f} s."
        write_with_raw(f"render_profile_{args.profile_only}", rows, ["measurement", "value", "unit", "detail"], notes,
                       raw)
        return 0
    old_new = [ABLATION[0], ("new", "new", {}), ABLATION[4]]  # above 256 px "new" keeps RW skin and HIGH OIDN
    if args.quick:
        prof, raw["profile"] = profile_rows(64, 64, 2, seed=1, n_cameras=2)
        rows += prof
        small, raw["small"] = speed_rows(64, 64, 2, 2, 1, 1, old_new)
        rows += small + build_rows([raw["small"]["old"]])
        fr, raw["frames"] = frames_rows(2, ["cam_02"], seed=3, size=64, samples=2)
        rows += fr
        mem, raw["memory"] = memory_rows(3, seed=100)
        rows += mem
        sizes = ["64x64"]
    else:
        prof, raw["profile"] = profile_rows(256, 256, 16, seed=1)
        rows += prof
        small, raw["small"] = speed_rows(256, 256, 16, 4, 4, 1, ABLATION)
        big, raw["big"] = speed_rows(768, 512, 64, args.big_images, 1, 2, old_new)
        rows += small + big
        fr, raw["frames"] = frames_rows(4, ["cam_02", "cam_20"], seed=3, size=256, samples=16)
        rows += build_rows([raw["small"][ABLATION[3][0]], raw["big"]["new"]])
        rows += fr
        mem, raw["memory"] = memory_rows(args.identities, seed=100)
        rows += mem
        sizes = ["256x256", "768x512"]
    contact_sheet(sizes, FRONT_CAMERAS, ["ref", "old", "new", "lod"], OUT_DIR / "render_sheet.png")
    notes = (f"CPU only ({os.cpu_count()} cores, shared with other jobs: medians, noisy). Total bench time "
             f"{time.perf_counter() - t0:.0f} s. Each row group ran in its own process. "
             "Raw per-image / per-identity numbers are under 'raw' in this file.")  # fmt: skip
    write_with_raw("render", rows, ["measurement", "value", "unit", "s_per_image", "first_image_s", "psnr_db", "ssim",
                                    "hair_lod", "detail"], notes, raw)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
