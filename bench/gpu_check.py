"""The prepared GPU check: what must be measured the first time the project meets a CUDA machine.

Run it through ``bench/gpu_check.sh`` (which installs missing packages from a kit of wheels first); see
``bench/README.md`` ("GPU check") for making the kit and the small dataset on a CPU machine.

Sections, in order, each timed, each a row of the table (``status`` ok / FAIL / skipped):

1. ``environment``: torch, CUDA, GPU, numpy, gsplat versions.
2. ``gsplat probe``: import, kernel build (first use compiles; minutes), one tiny rasterization vs reference.
3. ``gsplat vs reference``: random scenes, forward (RGB, alpha) and backward (every Gaussian field).
4. ``cuda tests``: the test suite's ``cuda``-marked tests.
5. ``gem fps``: GEM decode (one matrix product per modality) + render at 802x550 (NeRSemble's size, GEM's
   Table 4 protocol) for 6k / 25k / 60k / 100k Gaussians with 50 components per modality (GEM Table 4:
   201.7 FPS at 60k on an A100).
6. ``prior``: train steps/s of the ``tiny`` and ``small`` presets on the dataset, bf16 and float32.
7. ``inversion``: K = 3 views of one dataset identity, default settings, with the tiny prior of section 6
   (time only: that prior has trained for a few steps).

``--dry-run`` runs every section on the CPU at toy sizes (gsplat's place taken by the reference): it checks
the script, not the machine, and is part of the test suite. A time budget (``--budget``, default 480 s)
skips the sections that would start after it; results are written after every section, so a run killed
from outside still leaves its JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOY_PRIOR = ["data.map_size=32", "data.render_width=64", "data.render_height=48", "data.cameras_per_sample=2",
             "data.num_workers=0", "model.channels=[8,16]", "model.id_latent_dim=8", "model.exp_latent_dim=8",
             "model.id_codebook_size=16", "model.exp_codebook_size=16", "model.transformer_heads=2",
             "model.transformer_layers=1", "model.feat_channels=8", "model.regressor_channels=8",
             "model.face_density=1.0", "model.hair_density=2.0", "optim.batch_size=2"]  # fmt: skip
TOY_INVERT = dict(stage1_min_steps=3, stage2_min_steps=3, stage1_steps_per_input=1, stage2_steps_per_input=1,
                  lpips=0.0, warmup=100)  # fmt: skip


class Check:
    """Collects rows, writes the JSON after each section, enforces the time budget."""

    def __init__(self, out: Path, budget_s: float, dry_run: bool, device) -> None:
        self.out, self.budget, self.dry, self.device = out, budget_s, dry_run, device
        self.t0 = time.perf_counter()
        self.rows: list[dict] = []
        self.info: dict = {}

    def left(self) -> float:
        return self.budget - (time.perf_counter() - self.t0)

    def run(self, section: str, fn, *args, min_left: float = 0.0) -> object:
        """Run ``fn(*args)`` -> list of rows (or one row); a failure becomes a FAIL row with its first line."""
        if self.left() < min_left:
            self.add({"section": section, "status": "skipped", "note": f"time budget ({self.budget:.0f} s) spent"})
            return None
        t = time.perf_counter()
        try:
            result = fn(*args)
        except Exception as e:  # noqa: BLE001 - every failure is a row, the check goes on
            lines = traceback.format_exception_only(type(e), e)[-1].strip().splitlines()
            self.add({"section": section, "status": "FAIL", "note": lines[0][:300], "seconds": time.perf_counter() - t})
            traceback.print_exc(file=sys.stderr)
            return None
        rows, value = result if isinstance(result, tuple) else (result, None)
        for r in rows if isinstance(rows, list) else [rows]:
            self.add({"section": section, "status": "ok", **r, "seconds": r.get("seconds", time.perf_counter() - t)})
        return value

    def add(self, row: dict) -> None:
        self.rows.append(row)
        note = {k: v for k, v in row.items() if k not in ("section", "status")}
        print(f"[{time.perf_counter() - self.t0:6.1f} s] {row['section']}: {row['status']} {_fmt_dict(note)}",
              flush=True)
        self.write()

    def write(self) -> None:
        record = {"benchmark": "gpu_check", "dry_run": self.dry, "machine": self.info,
                  "elapsed_s": time.perf_counter() - self.t0, "rows": self.rows}
        self.out.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.out.with_suffix(".tmp")
        tmp.write_text(json.dumps(record, indent=2, default=str))
        tmp.replace(self.out)


def _fmt(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _fmt_dict(d: dict) -> str:
    return " ".join(f"{k}={_fmt(v)}" for k, v in d.items())


def sync(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


def median_time(fn, device, repeats: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    sync(device)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - t)
    return sorted(times)[len(times) // 2]


# ---------------------------------------------------------------------------------------------- sections
def environment(chk: Check) -> dict:
    import numpy as np
    import torch

    info = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "python": platform.python_version(),
            "torch": torch.__version__, "numpy": np.__version__, "cuda": torch.version.cuda,
            "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none",
            "cpu_cores": os.cpu_count()}  # fmt: skip
    try:
        import importlib.metadata as md

        info["gsplat"] = md.version("gsplat")
    except Exception:  # noqa: BLE001
        info["gsplat"] = "not installed"
    try:
        nvcc = subprocess.run(["nvcc", "--version"], capture_output=True, text=True, timeout=30).stdout
        info["nvcc"] = re.findall(r"release ([\d.]+)", nvcc)[0]
    except Exception:  # noqa: BLE001
        info["nvcc"] = "not found"
    chk.info = info
    return {"note": _fmt_dict(info)}


def gsplat_probe(chk: Check) -> dict:
    from backend.splat.rasterize import probe_gsplat

    if chk.dry:
        from backend.splat.rasterize import RasterOptions, rasterize

        def stand_in(means, quats, scales, opacities, colors, sh_degree, w2c, K, width, height, bg, *rest):
            from backend.splat import Cameras, GaussianSet

            out = rasterize(GaussianSet(means, quats, scales, opacities, colors), Cameras(K, w2c, width, height),
                            background=bg[0], options=RasterOptions(force_reference=True))
            return out.rgb, out.alpha, out.depth, {}

        ok, why = probe_gsplat(chk.device, stand_in)
    else:
        ok, why = probe_gsplat(chk.device)
    if not ok:
        raise RuntimeError(why)
    return {"note": why}


def random_scene(n: int, sh_degree: int, seed: int, device):
    import torch

    from backend.splat import GaussianSet

    gen = torch.Generator().manual_seed(seed)
    r = lambda *s: torch.rand(*s, generator=gen)  # noqa: E731
    k = (sh_degree + 1) ** 2
    g = GaussianSet((r(n, 3) - 0.5) * 0.4, torch.randn(n, 4, generator=gen), r(n, 3) * 0.01 + 0.002,
                    r(n) * 0.9 + 0.05, (r(n, k, 3) - 0.5) * 2.0)  # fmt: skip
    return g.to(device)


def gsplat_vs_reference(chk: Check) -> list[dict]:
    import torch

    from backend.splat import Cameras
    from backend.splat.rasterize import RasterOptions, rasterize

    scenes = [(500, 64, 48, 0)] if chk.dry else [(2000, 160, 120, 0), (20000, 256, 192, 3), (60000, 512, 384, 3)]
    rows = []
    for n, w, h, deg in scenes:
        g = random_scene(n, deg, n, chk.device)
        cams = Cameras.look_at([[0.0, -0.7, 0.1], [0.5, -0.45, 0.3]], [0, 0, 0], 40.0, w, h).to(chk.device)
        bg = torch.tensor([0.3, 0.6, 0.9], device=chk.device)
        fields = [g.means, g.quats, g.scales, g.opacities, g.sh]
        for t in fields:
            t.requires_grad_(True)
        weight = torch.rand(2, h, w, 3, generator=torch.Generator().manual_seed(1)).to(chk.device)
        # in the dry run the reference stands in for gsplat on both sides
        outs = {}
        for name, opts in (("fast", RasterOptions(force_reference=chk.dry)), ("ref", RasterOptions(force_reference=True))):
            t = time.perf_counter()
            out = rasterize(g, cams, background=bg, options=opts)
            grads = torch.autograd.grad((out.rgb * weight).sum(), fields)
            sync(chk.device)
            outs[name] = (out, grads, time.perf_counter() - t)
        (fo, fg, ft), (ro, rg, rt) = outs["fast"], outs["ref"]
        rel = {k: float((a - b).norm() / b.norm().clamp(min=1e-12))
               for k, a, b in zip(("means", "quats", "scales", "opacities", "sh"), fg, rg)}  # fmt: skip
        diff = (fo.rgb - ro.rgb).detach().abs()
        row = {"name": f"{n} G, {w}x{h}, sh{deg}", "rgb_max_diff": float(diff.max()), "rgb_mean_diff": float(diff.mean()),
               "alpha_max_diff": float((fo.alpha - ro.alpha).detach().abs().max()), "grad_rel_err_max": max(rel.values()),
               "worst_grad": max(rel, key=rel.get), "fast_s": ft, "ref_s": rt}  # fmt: skip
        rows.append(row)
    # One 8-bit level at most anywhere, far less on average: an H200 (2026-12-04) gave 0.0021 max at one pixel of
    # the 20k / sh3 scene (a Gaussian at the 1/255 opacity cut-off on one side only), 3e-5 gradient error.
    bad = [r for r in rows if r["rgb_max_diff"] > 1 / 255 or r["rgb_mean_diff"] > 1e-4 or r["alpha_max_diff"] > 1 / 255
           or r["grad_rel_err_max"] > 0.05]
    if bad:
        raise RuntimeError(f"gsplat and the reference disagree on {bad[0]['name']}: {_fmt_dict(bad[0])}")
    return rows


def cuda_tests(chk: Check) -> dict:
    files = sorted({str(p.relative_to(ROOT)) for p in (ROOT / "tests").rglob("test_*.py")
                    if "mark.cuda" in p.read_text(encoding="utf-8")})  # fmt: skip
    cmd = [sys.executable, "-m", "pytest", "-q", "-m", "cuda", "-p", "no:cacheprovider", *files]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=max(60.0, chk.left()))
    tail = [line for line in proc.stdout.strip().splitlines() if line.strip()][-1:]
    summary = tail[0].strip("= ") if tail else "no output"
    if proc.returncode not in (0, 5):
        sys.stderr.write(proc.stdout[-6000:] + proc.stderr[-3000:])
        raise RuntimeError(f"cuda tests failed: {summary}")
    return {"name": f"{len(files)} files", "note": summary}


def synthetic_gem(n: int, k: int, device):
    """A GEM of ``n`` Gaussians on a head-sized ellipsoid with ``k`` random components per modality."""
    import numpy as np

    from backend.gem.decode import TorchGem
    from synthetic.formats.gem import GemModality, GemModel

    rng = np.random.default_rng(n)
    d = rng.normal(size=(n, 3))
    pos = (d / np.linalg.norm(d, axis=1, keepdims=True) * [0.08, 0.1, 0.12]).astype(np.float32)
    quat = np.tile(np.float32([1, 0, 0, 0]), (n, 1))
    means = {"position": pos, "rotation": quat, "scale": np.full((n, 3), math.log(0.003), np.float32),
             "opacity": np.full((n, 1), 1.4, np.float32)}  # fmt: skip
    scale = {"position": 2e-4, "rotation": 1e-3, "scale": 1e-3, "opacity": 1e-3}
    mods = {m: GemModality(v.reshape(-1), (rng.normal(size=(k, v.size)) * scale[m]).astype(np.float32),
                           np.ones(k, np.float32)) for m, v in means.items()}  # fmt: skip
    sh = (rng.uniform(-1, 1, (n, 16, 3)) * [1.0] + [0.0]).astype(np.float32)
    sh[:, 1:] *= 0.05
    return TorchGem.from_model(GemModel(**mods, colour_sh=sh), device=device)


def gem_fps(chk: Check) -> list[dict]:
    import torch

    from backend.splat import Cameras, rasterize

    sizes = [6000] if chk.dry else [6000, 25000, 60000, 100000]
    w, h = (128, 88) if chk.dry else (802, 550)
    reps = 2 if chk.dry else 20
    cams = Cameras.look_at([[0.0, -0.55, 0.05]], [0, 0, 0], 30.0, w, h).to(chk.device)
    rows = []
    for n in sizes:
        t_row = time.perf_counter()
        gem = synthetic_gem(n, 50, chk.device).requires_grad_(False)
        flat = torch.randn(1, gem.n_coefficients, device=chk.device) * 0.5
        decoded = {}

        def decode():
            decoded["g"] = gem.decode(flat)

        def draw():
            rasterize(gem.gaussian_set(decoded["g"]), cams, background=1.0)

        with torch.no_grad():
            t_dec = median_time(decode, chk.device, reps)
            t_ren = median_time(draw, chk.device, reps)
        rows.append({"name": f"{n} Gaussians, 50 comp, {w}x{h}", "decode_ms": 1e3 * t_dec, "render_ms": 1e3 * t_ren,
                     "fps": 1.0 / (t_dec + t_ren), "seconds": time.perf_counter() - t_row})
    return rows


def prior_speed(chk: Check, data: Path) -> tuple[list[dict], object]:
    import torch
    from torch.utils.data import DataLoader

    from backend.prior.config import load_config
    from backend.prior.data import StepSampler, collate
    from backend.prior.evaluate import to_device
    from backend.prior.trainer import Trainer

    presets = ["tiny"] if chk.dry else ["tiny", "small"]
    steps = 3 if chk.dry else 12
    rows, keep = [], None
    for preset in presets:
        for amp in ("off", "bf16"):
            t_row = time.perf_counter()
            sets = (TOY_PRIOR if chk.dry else []) + [f"train.amp={amp}", f"optim.steps={steps}"]
            cfg = load_config(preset, sets)
            with tempfile.TemporaryDirectory() as tmp:
                trainer = Trainer(cfg, data, tmp, chk.device.type)
                ds = trainer.train_set
                sampler = StepSampler(len(ds), cfg.optim.batch_size, steps, 0, 0, 0, 1)
                loader = DataLoader(ds, batch_sampler=sampler, collate_fn=collate, num_workers=cfg.data.num_workers)
                if chk.device.type == "cuda":
                    torch.cuda.reset_peak_memory_stats(chk.device)
                times, t = [], time.perf_counter()
                for batch in loader:
                    trainer.train_step(to_device(batch, trainer.device))
                    trainer.step += 1
                    sync(chk.device)
                    times.append(time.perf_counter() - t)
                    t = time.perf_counter()
                timed = times[2:] or times
                step_s = sorted(timed)[len(timed) // 2]
                mem = torch.cuda.max_memory_allocated(chk.device) / 2**30 if chk.device.type == "cuda" else 0.0
                d = cfg.data
                effective = {torch.bfloat16: "bf16", torch.float16: "fp16"}.get(trainer.amp_dtype, "fp32")
                rows.append({"name": f"{preset} {'fp32' if amp == 'off' else amp} (runs {effective})",
                             "seconds": time.perf_counter() - t_row,
                             "batch": cfg.optim.batch_size, "render": f"{d.render_width}x{d.render_height}",
                             "gaussians": trainer.model.n_gaussians, "steps_per_s": 1.0 / step_s,
                             "first_step_s": times[0], "peak_gib": mem})  # fmt: skip
                if preset == "tiny" and keep is None:
                    keep = trainer.model
    return rows, keep


def inversion_time(chk: Check, data: Path, prior) -> dict:
    from backend.invert import InvertConfig, invert
    from backend.photos import prepare_synthetic
    from synthetic.dataset import Dataset
    from synthetic.head import HeadModel

    if prior is None:
        raise RuntimeError("no tiny prior from the prior section")
    head = HeadModel.load()
    reader = Dataset(data)
    ident = reader.identities[-1]
    names = list(reader.identity(ident).cameras.names)
    wanted = [c for c in ("cam_02", "cam_05", "cam_08") if c in names]
    views = [(0, c) for c in (wanted if len(wanted) == 3 else names[:3])]
    prepared = prepare_synthetic(data, ident, views, head, 64 if chk.dry else 256)
    cfg = InvertConfig(**TOY_INVERT) if chk.dry else InvertConfig()
    t = time.perf_counter()
    res = invert(prior, prepared, cfg, head)
    sync(chk.device)
    s = res.summary
    return {"name": f"K=3, identity {ident}, {s['render_size'][0]}x{s['render_size'][1]}",
            "seconds": time.perf_counter() - t, "steps": s["stage1"]["steps"] + s["stage2"]["steps"],
            "psnr_in_before": s["psnr_inputs_before"], "psnr_in_after": s["psnr_inputs_after"]}  # fmt: skip


# ---------------------------------------------------------------------------------------------- main
def table(rows: list[dict]) -> str:
    keys = ["section", "status", "name", "seconds"]
    lines = ["| section | status | what | seconds | figures |", "|---|---|---|---|---|"]
    for r in rows:
        rest = {k: v for k, v in r.items() if k not in keys}
        lines.append(f"| {r['section']} | {r['status']} | {r.get('name', '')} | {_fmt(r.get('seconds', ''))} | "
                     f"{_fmt_dict(rest)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="The project's prepared GPU check (see the module docstring).")
    ap.add_argument("--data", type=Path, help="small dataset rendered beforehand (python -m synthetic render)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "gpu_check.json")
    ap.add_argument("--budget", type=float, default=480.0, help="seconds; later sections are skipped past it")
    ap.add_argument("--dry-run", action="store_true", help="CPU, toy sizes: checks the script itself")
    args = ap.parse_args(argv)
    import torch

    from backend.prior.trainer import Trainer  # noqa: F401 - import errors here are setup errors, say so early

    if not args.dry_run and not torch.cuda.is_available():
        print("gpu_check: torch sees no CUDA device; use --dry-run on a CPU machine", file=sys.stderr)
        return 2
    if args.data is None or not (args.data / "dataset.json").is_file():
        print(f"gpu_check: --data must be a rendered dataset folder (with dataset.json), got {args.data}",
              file=sys.stderr)
        return 2
    if args.dry_run:
        torch.set_num_threads(min(2, torch.get_num_threads()))
    device = torch.device("cpu" if args.dry_run else "cuda")
    chk = Check(args.out, args.budget, args.dry_run, device)
    chk.run("environment", environment, chk)
    chk.run("gsplat probe", gsplat_probe, chk)
    chk.run("gsplat vs reference", gsplat_vs_reference, chk)
    chk.run("cuda tests", cuda_tests, chk, min_left=60)
    chk.run("gem fps", gem_fps, chk, min_left=30)
    prior = chk.run("prior", prior_speed, chk, args.data, min_left=60)
    if prior is None:
        chk.add({"section": "inversion", "status": "skipped", "note": "no tiny prior (the prior section did not run)"})
    else:
        chk.run("inversion", inversion_time, chk, args.data, prior, min_left=30)
    print(table(chk.rows))
    print(f"wrote {args.out} ({time.perf_counter() - chk.t0:.0f} s)")
    return 1 if any(r["status"] == "FAIL" for r in chk.rows) else 0


if __name__ == "__main__":
    sys.exit(main())
