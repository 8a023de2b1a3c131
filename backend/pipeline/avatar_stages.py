"""Main-job stages after the prior: invert avatars (three views of a held-out synthetic identity, and the
real photo ``skimage.data.astronaut()``), render their orbits and expression sweeps, distil a GEM from the
photo avatar and render its coefficient sweeps, and build the Blender add-on zip.

Every stage drives the same command lines a user runs (``python -m backend invert / render / distill-gem``),
so the report shows exactly what those commands produce.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from backend.cli.invert import output_paths
from synthetic.dataset.files import read_png, write_png
from synthetic.progress import Progress

from .images import contact_sheet
from .prior_stage import run_backend
from .stages import Stage

SYNTHETIC_VIEWS = "0:cam_02,0:cam_05,0:cam_08"
"""The three input views of the held-out identity: neutral frame, front-low centre and +-52 degrees at eye level."""
ORBIT_FRAMES = 12
EXPRESSIONS = (
    ("neutral", {}),
    ("jaw open", {"jaw_open": 0.8}),
    ("smile", {"mouth_smile_left": 0.9, "mouth_smile_right": 0.9, "cheek_squint_left": 0.4,
               "cheek_squint_right": 0.4}),
    ("surprise", {"brow_inner_up": 0.9, "brow_outer_up_left": 0.8, "brow_outer_up_right": 0.8, "eye_wide_left": 0.7,
                  "eye_wide_right": 0.7, "jaw_open": 0.35}),
    ("pucker + blink", {"mouth_pucker": 0.9, "eye_blink_left": 1.0, "eye_blink_right": 1.0}),
    ("frown", {"mouth_frown_left": 0.8, "mouth_frown_right": 0.8, "brow_down_left": 0.8, "brow_down_right": 0.8}),
)  # fmt: skip
"""The expression sweep rendered for every avatar (head-model expression names and weights)."""


def _sheet(folder: Path, frames_dir: Path, name: str, columns: int, pick: slice = slice(None)) -> str:
    """Contact sheet of the ``pick`` of ``frames_dir/frame_*.png`` saved as ``folder/name``; returns its report path."""
    frames = [read_png(p) / 255.0 for p in sorted(frames_dir.glob("frame_*.png"))[pick]]
    if not frames:
        raise RuntimeError(f"{frames_dir}: the render command wrote no frames")
    write_png(folder / name, contact_sheet(frames, columns, background=(1.0, 1.0, 1.0)))
    return f"{folder.name}/{name}"


def expression_sequence(path: Path) -> Path:
    """Write the :data:`EXPRESSIONS` sweep as ``[T, E]`` coefficients (``.npy``) for ``render --expressions``."""
    from synthetic.head import HeadModel

    model = HeadModel.load()
    np.save(path, np.stack([model.expression_vector(**values) for _, values in EXPRESSIONS]).astype(np.float32))
    return path


def render_avatar_sheets(folder: Path, avatar: Path, label: str, device: torch.device) -> list[str]:
    """Orbit and expression-sweep contact sheets of ``avatar`` (``render --avatar``)."""
    orbit, expr = folder / f"{label}_orbit", folder / f"{label}_expressions"
    run_backend(["render", "--avatar", str(avatar), "--orbit", str(ORBIT_FRAMES), "--out", str(orbit),
                 "--device", device.type, "--progress", "none"])  # fmt: skip
    seq = expression_sequence(folder / "expressions.npy")
    run_backend(["render", "--avatar", str(avatar), "--expressions", str(seq), "--out", str(expr),
                 "--device", device.type, "--progress", "none"])  # fmt: skip
    return [_sheet(folder, orbit, f"{label}_orbit.png", ORBIT_FRAMES // 2),
            _sheet(folder, expr, f"{label}_expressions.png", len(EXPRESSIONS))]  # fmt: skip


def _inversion_facts(avatar: Path) -> dict[str, Any]:
    """Headline numbers of an ``invert`` run from its ``.log.json``."""
    summary = json.loads(output_paths(avatar)[1].read_text())["summary"]
    facts = {"Gaussians": summary.get("n_gaussians"),
             "input-view PSNR before -> after (dB)": f"{summary['psnr_inputs_before']:.2f} -> "
                                                     f"{summary['psnr_inputs_after']:.2f}",
             "Gaussians no input saw (kept near the pivot)": f"{100 * summary.get('unseen_fraction', 0):.0f} %",
             "identity loss": summary.get("identity_loss")}  # fmt: skip
    for st in ("stage1", "stage2"):
        if st in summary:
            r = summary[st]
            early = ", stopped early" if r["stopped_early"] else ""
            facts[st] = f"{r['steps']}/{r['steps_budget']} steps in {r['seconds']:.0f} s{early}"
    return facts


def _novel_scores(avatar_path: Path, data: Path, identity: int, device: torch.device) -> list[dict[str, Any]]:
    from backend.avatar import load_avatar
    from backend.invert.evaluate import score_avatar

    avatar = load_avatar(avatar_path, device)
    size = (avatar.prior.cfg.data.render_width, avatar.prior.cfg.data.render_height)
    inputs = [(int(f), c) for f, c in (v.split(":") for v in SYNTHETIC_VIEWS.split(","))]
    scores = score_avatar(avatar, data, identity, inputs, size)
    return [{"split": name.replace("_", " "), **row} for name, row in scores.items()]


def invert_synthetic_stage(device: torch.device, data_stage: str, prior_stage: str) -> Stage:
    """Invert a held-out identity of the main job's dataset from three views."""

    def run(folder: Path, progress: Progress) -> dict[str, Any]:
        data = folder.parent / data_stage / "data"
        prior = folder.parent / prior_stage / "prior"
        held = json.loads((prior / "eval_held-out.json").read_text())["identities"]
        identity = int(held[0])
        avatar = folder / "synthetic.avatar.pt"
        run_backend(["invert", "--prior", str(prior), "--data", str(data), "--identity", str(identity),
                     "--views", SYNTHETIC_VIEWS, "--out", str(avatar), "--device", device.type,
                     "--progress", "none"])  # fmt: skip
        preview = output_paths(avatar)[0]
        images = [f"{folder.name}/{preview.name}", *render_avatar_sheets(folder, avatar, "synthetic", device)]
        scores = _novel_scores(avatar, data, identity, device)
        return {"facts": {"identity (held out of training)": identity, "input views": SYNTHETIC_VIEWS,
                          **_inversion_facts(avatar)},
                "tables": {"Avatar vs ground truth on views and expressions it never saw": scores},
                "images": images}  # fmt: skip

    return Stage("05_invert_synthetic", "Few-shot inversion: three views of a held-out synthetic identity", run)


def invert_photo_stage(device: torch.device, prior_stage: str) -> Stage:
    """Invert the real photo ``skimage.data.astronaut()``."""

    def run(folder: Path, progress: Progress) -> dict[str, Any]:
        from PIL import Image
        from skimage import data as skdata

        photo = folder / "astronaut.png"
        Image.fromarray(skdata.astronaut()).save(photo)
        prior = folder.parent / prior_stage / "prior"
        avatar = folder / "astronaut.avatar.pt"
        run_backend(["invert", "--prior", str(prior), "--images", str(photo), "--out", str(avatar),
                     "--device", device.type, "--progress", "none"])  # fmt: skip
        preview = output_paths(avatar)[0]
        images = [f"{folder.name}/{photo.name}", f"{folder.name}/{preview.name}",
                  *render_avatar_sheets(folder, avatar, "astronaut", device)]  # fmt: skip
        return {"facts": {"photo": "skimage.data.astronaut()", **_inversion_facts(avatar)}, "images": images}

    return Stage("06_invert_photo", "Single-photo inversion: skimage.data.astronaut()", run)


def gem_stage(device: torch.device, avatar_stage: str, avatar_name: str) -> Stage:
    """Distil the photo avatar into a 30-component GEM and render its coefficient sweeps."""

    def run(folder: Path, progress: Progress) -> dict[str, Any]:
        avatar = folder.parent / avatar_stage / avatar_name
        gem = folder / "avatar.gem"
        steps = "300" if device.type == "cuda" else "60"
        run_backend(["distill-gem", "--avatar", str(avatar), "--components", "30", "--out", str(gem),
                     "--refine-steps", steps, "--progress", "none"])  # fmt: skip
        report = json.loads(gem.with_suffix(".json").read_text())
        images = [f"{folder.name}/avatar.png"]
        for j in (1, 2, 3):
            out = folder / f"sweep_{j}"
            # frame 6 of a sweep (-3..+3 sigma in 13 steps, then back) is the GEM's mean: exported once as a PLY
            ply = ["--ply", str(folder / "neutral.ply"), "--ply-frame", "6"] if j == 1 else []
            run_backend(["render", "--gem", str(gem), "--sweep", str(j), "--out", str(out), "--device", device.type,
                         "--progress", "none", *ply])  # fmt: skip
            # the sweep is a -3..+3..-3 sigma loop of 25 frames (for the video): every other frame of the way up
            images.append(_sheet(folder, out, f"sweep_{j}.png", 7, slice(0, 13, 2)))
        facts = {"file": gem.name, "size (MB)": round(gem.stat().st_size / 1e6, 2), "PLY of a frame": "neutral.ply",
                 "Gaussians": report["n_gaussians"], "components per modality": report["components"],
                 "explained variance": {k: round(v, 4) for k, v in report["explained_variance"].items()},
                 "refinement": f"{report['refine'].get('steps', 0)} steps, "
                               + ("kept" if report.get("refinement_kept") else "not kept (the PCA was better)")}
        rows = [{"expressions": split, "PCA (dB)": report["psnr_before"].get(split),
                 "after refinement (dB)": report["psnr_after"].get(split)} for split in ("train", "heldout")]
        return {"facts": facts, "tables": {"GEM vs the avatar (PSNR, rig views)": rows}, "images": images}

    return Stage("07_gem", "GEM distilled from the photo avatar: coefficient sweeps (-3 sigma .. +3 sigma)", run)


def addon_stage() -> Stage:
    """``python build_addon.py`` (which also installs the zip into a fresh Blender as a smoke test)."""

    def run(folder: Path, progress: Progress) -> dict[str, Any]:
        import subprocess
        import sys

        root = Path(__file__).resolve().parents[2]
        proc = subprocess.run([sys.executable, str(root / "build_addon.py")], cwd=root, capture_output=True,
                              text=True)  # fmt: skip
        (folder / "build.log").write_text(proc.stdout + proc.stderr)
        if proc.returncode != 0:
            raise RuntimeError(f"build_addon.py failed with exit code {proc.returncode} (see {folder}/build.log)")
        zips = sorted((root / "dist").glob("synthheads-*.zip"), key=lambda p: p.stat().st_mtime)
        return {"facts": {"zip": str(zips[-1]), "size (MB)": round(zips[-1].stat().st_size / 1e6, 2),
                          "install": "Blender 4.2+: Edit > Preferences > Get Extensions > Install from Disk"}}

    return Stage("08_addon", "Blender add-on zip", run)
