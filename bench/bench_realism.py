"""Realism benchmark: do an off-the-shelf face tracker and our own landmarks agree on our renders?

Renders ``--identities`` synthetic heads with the dataset renderer (``python -m synthetic render``:
Blender 5.3 / Cycles, render-quality hair) at ``--size`` (default 512x512) from the most frontal
front-row cameras, frame 0 neutral and frames 1.. from the performance, then runs mediapipe 0.10.21's
face detector and face mesh (the models bundled in the wheel, as ``backend.photos.landmarks`` uses
them) on every image. Per camera it reports:

* detection rate: images where mediapipe finds exactly one face;
* NME: mean distance between mediapipe's landmarks and ours (``landmarks.json``, same mediapipe
  indices, only our visible ones) divided by the inter-ocular distance (outer eye corners,
  mediapipe 33 and 263, from our landmarks), in percent.

Target (issue 18): NME < 3 % on the nine most frontal cameras. Writes ``bench/out/realism.json``, the
table, and ``bench/out/realism_sheet.png`` (every image, ours in green, mediapipe's in red).

    python bench/bench_realism.py                       # 4 identities x 3 frames x 9 cameras at 512x512
    python bench/bench_realism.py --data DIR            # measure an existing dataset (no rendering)
    python bench/bench_realism.py --quick               # 1 identity, 1 frame, 2 cameras at 256x256
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from bench_common import OUT_DIR, ROOT, machine, markdown_table

from synthetic.rig import RigSettings, build_rig, yaw_pitch_from_direction

EYE_CORNERS = (33, 263)
"""Mediapipe indices of the outer eye corners (inter-ocular normalisation)."""


def frontal_cameras(n: int) -> list[str]:
    """The ``n`` front-row cameras closest to straight ahead (angle from yaw 0, pitch 0)."""
    rig = build_rig(RigSettings())
    angle = {}
    for c in rig:
        if c.group != "front":
            continue
        yaw, pitch = yaw_pitch_from_direction(c.centre / np.linalg.norm(c.centre))
        angle[c.name] = float(np.hypot(yaw, pitch))
    return sorted(angle, key=lambda k: (round(angle[k], 1), k))[:n]


def render(out: Path, args, cameras: list[str]) -> float:
    """Render (or resume) the dataset; returns the seconds it took."""
    cmd = [sys.executable, "-m", "synthetic", "render", "--out", str(out), "--identities", str(args.identities),
           "--frames", str(args.frames), "--resolution", f"{args.size}x{args.size}", "--samples", str(args.samples),
           "--seed", str(args.seed), "--cameras", ",".join(cameras), "--resume", "--progress", "none"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"render failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return time.perf_counter() - t0


def measure(root: Path, cameras: list[str] | None):
    """Per image: identity, frame, camera, detected, NME (%) and the two landmark sets for the sheet."""
    from backend.photos.landmarks import detect_face
    from synthetic.dataset import Dataset
    from synthetic.errors import UserInputError

    ds = Dataset(root)
    rows, sheet = [], []
    for ident in ds:
        for f in range(ident.n_frames):
            view = ident.landmarks(f)
            mp_index = view.mediapipe
            for cam in cameras or ident.cameras.names:
                rgba = ident.image(f, cam)
                rgb = rgba[..., :3] * rgba[..., 3:] + 0.5 * (1 - rgba[..., 3:])  # over mid-grey
                rgb8 = np.round(rgb * 255).astype(np.uint8)
                ours, vis = view.camera(cam)
                io = float(np.linalg.norm(ours[list(mp_index).index(EYE_CORNERS[0])]
                                          - ours[list(mp_index).index(EYE_CORNERS[1])]))
                try:
                    face = detect_face(rgb8, f"id {ident.index} frame {f} {cam}")
                except UserInputError as exc:
                    rows.append({"identity": ident.index, "frame": f, "camera": cam, "detected": False,
                                 "why": str(exc).split(": ", 1)[-1]})
                    sheet.append((rgb8, ours[vis], None))
                    continue
                theirs = face.landmarks[mp_index, :2]
                err = np.linalg.norm(theirs[vis] - ours[vis], axis=1)
                rows.append({"identity": ident.index, "frame": f, "camera": cam, "detected": True,
                             "nme": float(100 * err.mean() / max(io, 1e-6)), "n_points": int(vis.sum()),
                             "interocular_px": io})
                sheet.append((rgb8, ours[vis], theirs[vis]))
    return rows, sheet


def summarise(rows: list[dict], cameras: list[str]) -> list[dict]:
    out = []
    for cam in [*cameras, "all"]:
        sel = [r for r in rows if cam == "all" or r["camera"] == cam]
        det = [r for r in sel if r["detected"]]
        nme = [r["nme"] for r in det]
        out.append({"camera": cam, "images": len(sel), "detected": f"{len(det)}/{len(sel)}",
                    "detection_rate": len(det) / max(len(sel), 1),
                    "nme_mean_%": float(np.mean(nme)) if nme else float("nan"),
                    "nme_median_%": float(np.median(nme)) if nme else float("nan")})
    return out


def contact_sheet(sheet, path: Path, tile: int = 256) -> None:
    from PIL import Image, ImageDraw

    cols = min(9, len(sheet))
    rows = (len(sheet) + cols - 1) // cols
    canvas = Image.new("RGB", (cols * tile, rows * tile), (40, 40, 40))
    for k, (rgb, ours, theirs) in enumerate(sheet):
        img = Image.fromarray(rgb)
        s = tile / max(img.size)
        img = img.resize((round(img.size[0] * s), round(img.size[1] * s)), Image.LANCZOS)
        d = ImageDraw.Draw(img)
        for pts, colour in ((ours, (60, 230, 60)), (theirs, (240, 50, 50))):
            if pts is None:
                continue
            for x, y in pts * s:
                d.ellipse([x - 1.2, y - 1.2, x + 1.2, y + 1.2], fill=colour)
        if theirs is None:
            d.text((4, 4), "no face", fill=(255, 80, 80))
        canvas.paste(img, ((k % cols) * tile, (k // cols) * tile))
    canvas.save(path)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--identities", type=int, default=4)
    ap.add_argument("--frames", type=int, default=3, help="frame 0 is neutral, the rest expressive (default 3)")
    ap.add_argument("--size", type=int, default=512, help="square image side in pixels (default 512)")
    ap.add_argument("--samples", type=int, default=16)
    ap.add_argument("--cameras", type=int, default=9, help="the N most frontal front-row cameras (default 9)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", type=Path, default=None, help="measure this dataset instead of rendering one")
    ap.add_argument("--quick", action="store_true", help="1 identity, 1 frame, 2 cameras at 256x256")
    args = ap.parse_args()
    if args.quick:
        args.identities, args.frames, args.size, args.cameras = 1, 1, 256, 2
    cameras = frontal_cameras(args.cameras)
    render_s = None
    root = args.data
    if root is None:
        root = OUT_DIR / f"realism_data_{args.size}_{args.samples}spp_seed{args.seed}"
        render_s = render(root, args, cameras)
    rows, sheet = measure(root, cameras if args.data is None else None)
    cams = cameras if args.data is None else sorted({r["camera"] for r in rows})
    table = summarise(rows, cams)
    cols = ["camera", "images", "detected", "detection_rate", "nme_mean_%", "nme_median_%"]
    print(markdown_table(table, cols))
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    name = "realism_quick" if args.quick else "realism"
    contact_sheet(sheet, OUT_DIR / f"{name}_sheet.png")
    record = {"benchmark": name, "machine": machine(), "data": str(root), "render_seconds": render_s,
              "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
              "cameras": cams, "table": table, "images": rows}
    (OUT_DIR / f"{name}.json").write_text(json.dumps(record, indent=2))
    print(f"wrote {OUT_DIR / f'{name}.json'} and {OUT_DIR / f'{name}_sheet.png'}"
          + (f" (render {render_s:.0f} s)" if render_s else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
