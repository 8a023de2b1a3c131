"""GEM in Blender 5.3 against the backend: render fidelity (native splats, ellipsoids) and playback speed.

Fidelity: one GEM frame (a GEM distilled from the head-model mesh teacher, or ``--gem FILE``; coefficients
drawn at 1 std, rotation/scale/opacity past the add-on's 8 node inputs at zero) from one camera (the
backend's ``render --gem`` front camera, 256x256) rendered by the backend rasterizer and, through the
add-on in Blender 5.3, by Cycles (native splats and the ellipsoid instances) and EEVEE (native splats).
Colour management: the backend writes 3DGS colours as sRGB values; Blender treats ``0.5 + SH`` as
sRGB-encoded, renders in scene-linear and, with the Standard view transform used here, writes sRGB
again. Blender's transparent film is composited over the backend's white background in sRGB. PSNR / SSIM
are against the backend image; a side-by-side PNG goes to docs/images/blender_splats_side_by_side.png.

Speed: random GEMs with 6k / 25k / 100k Gaussians and 30 components per modality (8 node inputs each for
rotation, scale, opacity) imported both ways; frames per second of playing a keyed 24-frame coefficient
sequence with ``scene.frame_set`` (depsgraph evaluation only: headless, nothing is drawn).

    python bench/bench_blender_splats.py [--samples 64] [--quick]

Needs ``.venv-blender`` (``tools/bootstrap.sh``) and runs from the torch ``.venv``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from bench_common import ROOT, markdown_table, write_results

BLENDER_PYTHON = Path(os.environ.get("SYNTHHEADS_BLENDER_PYTHON", ROOT / ".venv-blender" / "bin" / "python"))
IMAGE = ROOT / "docs" / "images" / "blender_splats_side_by_side.png"
GN_COMPONENTS = 8
BLENDER_VERSION = ["?"]


def build_zip(out: Path) -> Path:
    subprocess.run([sys.executable, str(ROOT / "build_addon.py"), "--out", str(out)], check=True, cwd=ROOT,
                   capture_output=True)  # fmt: skip
    return sorted(out.glob("synthheads-*.zip"))[0]


def distilled_gem(n_gaussians: int, components: int):
    from backend.gem.distill import DistillConfig, distill
    from backend.gem.teacher import load_teacher
    from synthetic.head import HeadModel

    head = HeadModel.load()
    teacher = load_teacher("mesh", head, None, n_gaussians)
    return distill(teacher, DistillConfig(components=components, n_train=max(24, components + 1), n_heldout=2),
                   head).model  # fmt: skip


def random_gem(n: int, k: int, seed: int = 0):
    """A GEM of ``n`` Gaussians on a head-sized ellipsoid, ``k`` random orthonormal components per modality."""
    from synthetic.formats.gem import DIMS, MODALITIES, SH_C0, GemModality, GemModel

    rng = np.random.default_rng(seed)
    d = rng.standard_normal((n, 3))
    pos = d / np.linalg.norm(d, axis=1, keepdims=True) * np.array([0.08, 0.1, 0.12])
    means = {"position": pos, "rotation": np.tile([1.0, 0, 0, 0], (n, 1)) + 0.3 * rng.standard_normal((n, 4)),
             "scale": np.full((n, 3), np.log(0.004)), "opacity": np.full((n, 1), 2.0)}  # fmt: skip
    stds = {"position": 0.01, "rotation": 1.0, "scale": 2.0, "opacity": 3.0}
    mods = {}
    for m in MODALITIES:
        q, _ = np.linalg.qr(rng.standard_normal((n * DIMS[m], k)))
        mods[m] = GemModality(means[m].ravel().astype(np.float32), q.T.astype(np.float32),
                              (stds[m] * np.linspace(1.0, 0.2, k)).astype(np.float32))  # fmt: skip
    sh = np.zeros((n, 1, 3), np.float32)
    sh[:, 0] = (rng.uniform(0.3, 0.8, (n, 3)) - 0.5) / SH_C0
    return GemModel(**mods, colour_sh=sh)


def run_worker(job: dict, work: Path, timeout: float) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["BLENDER_USER_RESOURCES"] = str(work / "blender_user")
    proc = subprocess.run([str(BLENDER_PYTHON), "-I", str(ROOT / "bench" / "_blender_splats_worker.py"),
                           json.dumps({**job, "out": str(work)})], cwd=work, env=env, capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip
    if proc.returncode != 0:
        raise SystemExit(f"Blender worker failed (exit {proc.returncode}):\n{(proc.stdout + proc.stderr)[-3000:]}")
    return json.loads((work / "report.json").read_text())


def load_rgba(path: Path) -> np.ndarray:
    from synthetic.dataset.files import read_png

    return read_png(path).astype(np.float64) / 255.0


def fidelity(args, work: Path, zip_path: Path) -> tuple[list[dict], dict]:
    import torch

    from backend.gem.decode import TorchGem
    from backend.metrics.image import psnr, ssim
    from backend.splat import Cameras, rasterize
    from synthetic.camera_convert import opencv_w2c_to_opengl_c2w
    from synthetic.formats.gem import read_gem, write_gem

    model = read_gem(args.gem) if args.gem else distilled_gem(args.gaussians, args.components)
    gem_path = write_gem(work / "bench.gem", model)
    coeffs = model.random_coefficients(np.random.default_rng(args.seed), scale=1.0)
    for m in ("rotation", "scale", "opacity"):
        coeffs[m][GN_COMPONENTS:] = 0.0  # Blender drives the first GN_COMPONENTS of these
    np.savez(work / "coeffs.npz", **coeffs)
    size, fov, distance = args.size, 30.0, args.distance
    tg = TorchGem.from_model(model)
    centre = model.position.mean.reshape(-1, 3).astype(np.float64).mean(0)  # as `render --gem` frames a GEM
    cam = Cameras.look_at((centre + distance * np.array([0.0, -1.0, 0.1]))[None], centre, fov, size, size)
    with torch.no_grad():
        g = tg.gaussian_set(tg.decode({m: torch.as_tensor(c[None], dtype=torch.float32) for m, c in coeffs.items()}))
        ref = rasterize(g, cam, background=torch.ones(3)).rgb[0].clamp(0, 1).numpy().astype(np.float64)
    c2w = opencv_w2c_to_opengl_c2w(cam.w2c[0].double().numpy())
    jobs = []
    for name, display, engine in (("cycles_splats", "SPLATS", "CYCLES"), ("eevee_splats", "SPLATS", "BLENDER_EEVEE"),
                                  ("cycles_ellipsoids", "ELLIPSOIDS", "CYCLES")):  # fmt: skip
        if engine == "BLENDER_EEVEE" and args.no_eevee:
            continue
        jobs.append({"name": name, "display": display, "engine": engine, "gem": str(gem_path),
                     "coefficients": str(work / "coeffs.npz"), "gn_components": GN_COMPONENTS, "c2w": c2w.tolist(),
                     "fov": fov, "size": size, "samples": args.samples if engine == "CYCLES" else args.eevee_samples,
                     "path": str(work / f"{name}.png")})  # fmt: skip
    report = run_worker({"zip": str(zip_path), "renders": jobs}, work, timeout=args.timeout)
    rows, images = [], {"backend": ref}
    BLENDER_VERSION[0] = report["blender"]
    ref_t = torch.as_tensor(ref).permute(2, 0, 1)[None].float()
    for entry in report["renders"]:
        row = {"renderer": entry["name"], "gaussians": model.n_gaussians, "sh_degree": model.sh_degree}
        if "error" in entry or not Path(entry["path"]).is_file():
            row["note"] = entry.get("error", "no image")[:120]
            rows.append(row)
            continue
        rgba = load_rgba(Path(entry["path"]))
        img = rgba[..., :3] * rgba[..., 3:] + (1.0 - rgba[..., 3:])  # over white, in sRGB (as written)
        images[entry["name"]] = img
        t = torch.as_tensor(img).permute(2, 0, 1)[None].float()
        row.update(psnr_db=float(psnr(t, ref_t)), ssim=float(ssim(t, ref_t)), render_s=entry["seconds"],
                   samples=next(j["samples"] for j in jobs if j["name"] == entry["name"]))  # fmt: skip
        rows.append(row)
        print(row, flush=True)
    return rows, images


def side_by_side(images: dict, path: Path = IMAGE) -> None:
    from synthetic.dataset.files import write_png

    order = [k for k in ("backend", "cycles_splats", "eevee_splats", "cycles_ellipsoids") if k in images]
    h, w, _ = images["backend"].shape
    gap = np.ones((h, 4, 3))
    row = np.concatenate([x for k in order for x in (images[k], gap)][:-1], axis=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_png(path, (np.clip(row, 0, 1) * 255 + 0.5).astype(np.uint8))
    print(f"wrote {path} ({' | '.join(order)})")


def speed(args, work: Path, zip_path: Path) -> list[dict]:
    from synthetic.formats.gem import write_gem

    jobs = []
    for n in args.speed_sizes:
        gem = random_gem(n, 30, seed=n)
        path = write_gem(work / f"speed_{n}.gem", gem, compress=False)
        seq = {m: np.random.default_rng(1).standard_normal((24, 30)) * gem.modality(m).std
               for m in ("position", "rotation", "scale", "opacity")}  # fmt: skip
        np.savez(work / f"speed_{n}.npz", **seq)
        jobs.append({"gem": str(path), "sequence": str(work / f"speed_{n}.npz"), "gaussians": n, "frames": 24,
                     "gn_components": GN_COMPONENTS})  # fmt: skip
    report = run_worker({"zip": str(zip_path), "speed": jobs}, work, timeout=args.timeout)
    return report["speed"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gem", default=None, help="a .gem file (default: distilled from the mesh teacher)")
    parser.add_argument("--gaussians", type=int, default=6000, help="mesh-teacher Gaussians (without --gem)")
    parser.add_argument("--components", type=int, default=10)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--distance", type=float, default=0.6, help="camera distance (m); the head fills the frame")
    parser.add_argument("--samples", type=int, default=64, help="Cycles samples per pixel")
    parser.add_argument("--eevee-samples", type=int, default=16)
    parser.add_argument("--no-eevee", action="store_true")
    parser.add_argument("--speed-sizes", type=int, nargs="+", default=[6000, 25000, 100000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--image", type=Path, default=IMAGE, help="where the side-by-side PNG goes")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--quick", action="store_true", help="smoke size")
    args = parser.parse_args()
    if args.quick:
        args.gaussians, args.size, args.samples, args.speed_sizes, args.no_eevee = 1000, 64, 4, [2000], True
    if not BLENDER_PYTHON.is_file():
        raise SystemExit(f"no Blender 5.3 Python at {BLENDER_PYTHON}: run tools/bootstrap.sh")
    import torch

    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        zip_path = build_zip(work / "dist")
        (work / "fidelity").mkdir()
        rows, images = fidelity(args, work / "fidelity", zip_path)
        side_by_side(images, ROOT / "bench" / "out" / "blender_splats_quick.png" if args.quick else args.image)
        speed_work = work / "speed"
        speed_work.mkdir()
        speed_rows = speed(args, speed_work, zip_path)
    speed_cols = ["gaussians", "display", "fps", "ms_per_frame", "import_s", "evaluated"]
    notes = (f"Blender {BLENDER_VERSION[0]} (the bpy module in .venv-blender, CPU). Camera: the backend's `render --gem` front camera (distance {args.distance} m, 30 deg horizontal FOV), "
             f"{args.size}x{args.size}; Cycles {args.samples} spp (CPU, box filter 1 px, no denoising), EEVEE "
             f"{args.eevee_samples} samples; Standard view transform, transparent film over white in sRGB. "
             f"Image: docs/images/{IMAGE.name} (backend | Cycles splats | EEVEE splats | Cycles ellipsoids). "
             f"Target (issue 13): >= 28 dB for Cycles against the backend.\n\n"
             f"Coefficient playback, depsgraph evaluation only (headless: no viewport draw), 30 components per "
             f"modality, {GN_COMPONENTS} node inputs each for rotation/scale/opacity, 24 keyed frames (median of 3 passes) "
             f"(target: >= 24 fps at 25k for evaluation):\n\n" + markdown_table(speed_rows, speed_cols))
    cols = ["renderer", "gaussians", "sh_degree", "psnr_db", "ssim", "render_s", "samples", "note"]
    write_results("blender_splats", rows, cols, notes=notes)


if __name__ == "__main__":
    main()
