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

* by region (lips, eyes, brows, nose, face oval: mediapipe's own connection sets);
* the fit: the head model fitted to mediapipe's points on three neutral views per identity, as ``invert``
  fits photos; RMS distance (mm) of the fitted face to the rendered one (rigid, and with scale).

With ``--landmarks-from-model`` our landmarks are projected with this checkout's table rather than read from
``landmarks.json``; ``--baseline-table`` measures another table too (old vs new on the same detections).

Target (issue 18): NME < 3 % on the nine most frontal cameras. Writes ``bench/out/realism.json``, the
table, and ``bench/out/realism_sheet.png`` (every image, ours in green, mediapipe's in red).

    python bench/bench_realism.py                       # 4 identities x 3 frames x 9 cameras at 512x512
    python bench/bench_realism.py --data DIR [DIR ...]  # measure existing datasets (no rendering)
    python bench/bench_realism.py --data DIR --baseline-table OLD_TABLE.py   # a recalibrated table, old vs new
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

from backend.photos.dataset_faces import EYE_CORNERS

from synthetic.rig import RigSettings, build_rig, yaw_pitch_from_direction

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


def detections(roots: list[Path], cameras: list[str] | None) -> list:
    """Mediapipe on every image (:func:`backend.photos.dataset_faces.dataset_faces`), kept for every measure."""
    from backend.photos.dataset_faces import dataset_faces

    return [rec for root in roots for rec in dataset_faces(root, cameras)]


def model_with_table(path: Path, model):
    """``model`` (a HeadModel) with the landmark table of another ``landmark_table.py`` (e.g. the one before a
    recalibration, from ``git show REV:synthetic/head/landmark_table.py``): same geometry."""
    import runpy

    from synthetic.head import HeadModel
    from synthetic.head.build.landmarks import resolve_table
    from synthetic.head.template import build_template

    table = runpy.run_path(str(path))
    base = model.arrays()
    idx, tri, bary = resolve_table(build_template(), table["CONTOURS"], table["SURFACE"])
    return HeadModel({**base, "landmark_mediapipe": idx.astype(base["landmark_mediapipe"].dtype),
                      "landmark_faces": tri.astype(base["landmark_faces"].dtype),
                      "landmark_bary": bary.astype(base["landmark_bary"].dtype)})


def regions() -> dict[str, list[int]]:
    """Mediapipe indices per face region (mediapipe's own connection sets; irises left out)."""
    from mediapipe.python.solutions import face_mesh_connections as fmc

    def ids(*conns):
        return sorted({i for c in conns for e in c for i in e})

    return {"lips": ids(fmc.FACEMESH_LIPS), "eyes": ids(fmc.FACEMESH_LEFT_EYE, fmc.FACEMESH_RIGHT_EYE),
            "brows": ids(fmc.FACEMESH_LEFT_EYEBROW, fmc.FACEMESH_RIGHT_EYEBROW), "nose": ids(fmc.FACEMESH_NOSE),
            "oval": ids(fmc.FACEMESH_FACE_OVAL)}


def region_table(rows: list[dict]) -> dict[str, float]:
    """Mean NME (%) per region over the detected images."""
    det = [r for r in rows if r["detected"]]
    return {k: float(np.mean([r["nme_by_region"][k] for r in det if k in r["nme_by_region"]])) for k in regions()}


def measure(records: list, model=None):
    """Per image: identity, frame, camera, detected, NME (%) and the two landmark sets for the sheet.

    ``model``: our landmarks projected from this head model (its landmark table) for each frame's shape,
    expression and pose; None = the dataset's ``landmarks.json`` (what the renderer wrote)."""
    from synthetic.dataset.landmarks import project_frame

    rows, sheet, views = [], [], {}
    region_ids = regions()
    for rec in records:
        key = (rec.dataset, rec.identity, rec.frame)
        if key not in views:
            if model is None:
                views[key] = rec.ident.landmarks(rec.frame)
            else:
                verts = model.vertices(rec.shape, rec.expression, rec.pose)
                views[key] = project_frame(model.landmarks(verts), model.landmark_mediapipe, verts, model.faces,
                                           rec.ident.cameras.rig())
        view = views[key]
        mp_index = view.mediapipe
        in_region = {name: np.isin(mp_index, ids) for name, ids in region_ids.items()}
        ours, vis = view.camera(rec.camera)
        io = float(np.linalg.norm(ours[list(mp_index).index(EYE_CORNERS[0])]
                                  - ours[list(mp_index).index(EYE_CORNERS[1])]))
        if rec.face is None:
            rows.append({"dataset": Path(rec.dataset).name, "identity": rec.identity, "frame": rec.frame,
                         "camera": rec.camera, "detected": False, "why": rec.why})
            sheet.append((rec.rgb, ours[vis], None))
            continue
        theirs = rec.face.landmarks[mp_index, :2]
        err_all = 100 * np.linalg.norm(theirs - ours, axis=1) / max(io, 1e-6)
        err = err_all[vis]
        by_region = {name: float(err_all[vis & sel].mean()) for name, sel in in_region.items() if (vis & sel).any()}
        rows.append({"dataset": Path(rec.dataset).name, "identity": rec.identity, "frame": rec.frame,
                     "camera": rec.camera, "detected": True, "nme": float(err.mean()), "n_points": int(vis.sum()),
                     "interocular_px": io, "nme_by_region": by_region})
        sheet.append((rec.rgb, ours[vis], theirs[vis]))
    return rows, sheet


FIT_CAMERAS = ("cam_02", "cam_06", "cam_07")
"""The three "photos" per identity the fit measure uses (frame 0: front and the two 17-degree views)."""


def fit_errors(records: list, model) -> list[dict]:
    """Fit the head model to mediapipe's landmarks on three neutral views per identity (as ``invert`` fits
    photos, :func:`backend.photos.fit.fit_landmarks`) and compare the fitted face with the rendered one:
    RMS distance (mm) over the face and lip vertices of the neutral meshes after a rigid alignment, and after a
    similarity (the face's size trades against the focal length and is not observable from the photos)."""
    from backend.photos.fit import fit_landmarks
    from synthetic.head.build.landmark_dev import similarity

    face_v = np.unique(model.faces[model.face_mask("face") | model.face_mask("lips")])
    out = []
    for root, ident in sorted({(r.dataset, r.identity) for r in records}):
        views = [r for r in records if (r.dataset, r.identity) == (root, ident) and r.frame == 0
                 and r.camera in FIT_CAMERAS and r.face is not None]
        if len(views) < 2:
            continue
        fit = fit_landmarks(model, [v.face.landmarks for v in views], [(v.width, v.height) for v in views])
        truth = model.vertices(views[0].shape)[face_v]
        got = model.vertices(fit.shape)[face_v]
        scale, rot, _ = similarity(got, truth)  # size is not observable from uncalibrated photos
        a, b = got - got.mean(0), truth - truth.mean(0)
        rms = float(np.sqrt(np.mean(np.sum((a @ rot.T - b) ** 2, axis=1))))
        rms_s = float(np.sqrt(np.mean(np.sum((scale * a @ rot.T - b) ** 2, axis=1))))
        out.append({"dataset": Path(root).name, "identity": ident, "views": len(views), "face_rms_mm": 1000 * rms,
                    "face_rms_scaled_mm": 1000 * rms_s, "fit_scale": scale,
                    "landmark_rms_px": float(np.mean(fit.residual_inner_px))})
    return out


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
    ap.add_argument("--data", type=Path, nargs="+", default=None,
                    help="measure these datasets (one or more folders) instead of rendering one")
    ap.add_argument("--quick", action="store_true", help="1 identity, 1 frame, 2 cameras at 256x256")
    ap.add_argument("--landmarks-from-model", action="store_true",
                    help="project our landmarks with this checkout's landmark table instead of reading landmarks.json")
    ap.add_argument("--baseline-table", type=Path, default=None,
                    help="also measure this landmark_table.py (e.g. the one before a recalibration; implies "
                         "--landmarks-from-model): old vs new in one run")
    args = ap.parse_args()
    if args.quick:
        args.identities, args.frames, args.size, args.cameras = 1, 1, 256, 2
    cameras = frontal_cameras(args.cameras)
    render_s = None
    roots = args.data
    if roots is None:
        roots = [OUT_DIR / f"realism_data_{args.size}_{args.samples}spp_seed{args.seed}"]
        render_s = render(roots[0], args, cameras)
    records = detections(roots, cameras if args.data is None else None)
    from synthetic.head import HeadModel

    current = HeadModel.load()
    variants = {"dataset": None}  # the landmarks.json files the renderer wrote
    if args.landmarks_from_model or args.baseline_table:
        from synthetic.dataset import Dataset

        for root in roots:
            if not current.matches(Dataset(root).head_model_fingerprint):
                sys.exit(f"{root}: rendered with another head model geometry; our landmarks cannot be re-projected")
        variants = {"current": current}
        if args.baseline_table:
            variants = {"baseline": model_with_table(args.baseline_table, current), **variants}
    cams = cameras if args.data is None else sorted({r.camera for r in records})
    result, rows, sheet = {}, None, None
    for name, model in variants.items():
        rows, sheet = measure(records, model)
        table = summarise(rows, cams)
        fits = fit_errors(records, model or current)
        by_region = region_table(rows)
        result[name] = {"table": table, "by_region": by_region, "images": rows, "fit": fits}
        print(f"\n## landmarks: {name}\n")
        print(markdown_table(table, ["camera", "images", "detected", "detection_rate", "nme_mean_%", "nme_median_%"]))
        print("NME by region (%): " + ", ".join(f"{k} {v:.2f}" for k, v in by_region.items()))
        if fits:
            print(markdown_table(fits, ["dataset", "identity", "views", "face_rms_mm", "face_rms_scaled_mm",
                                        "fit_scale", "landmark_rms_px"]))
            print(f"fit: mean face RMS {np.mean([f['face_rms_mm'] for f in fits]):.2f} mm rigid, "
                  f"{np.mean([f['face_rms_scaled_mm'] for f in fits]):.2f} mm with scale, {len(fits)} identities")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    name = "realism_quick" if args.quick else "realism"
    contact_sheet(sheet, OUT_DIR / f"{name}_sheet.png")  # the last variant's (the current table)
    record = {"benchmark": name, "machine": machine(), "data": [str(r) for r in roots], "render_seconds": render_s,
              "settings": json.loads(json.dumps(vars(args), default=str)),
              "cameras": cams, "variants": result}
    (OUT_DIR / f"{name}.json").write_text(json.dumps(record, indent=2))
    print(f"wrote {OUT_DIR / f'{name}.json'} and {OUT_DIR / f'{name}_sheet.png'}"
          + (f" (render {render_s:.0f} s)" if render_s else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
