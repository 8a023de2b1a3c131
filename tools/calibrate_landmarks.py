"""Calibrate the landmark table (``synthetic/head/landmark_table.py``) against mediapipe on rendered heads.

The table's first version placed mediapipe's face-mesh points on the template from one photo (matplotlib's
Grace Hopper, similarity-aligned: ``python -m synthetic.head.build.landmark_dev``). Where a point's meaning is
a contour (lips, lid margins) that was exact; brows, nose and face oval came out 4-8 mm off. This tool fits
every row to what mediapipe 0.10.21 reports on renders of our own heads (the models the realism benchmark and
the photo fit use, :func:`backend.photos.dataset_faces.dataset_faces`):

* each landmark is a point on the template's surface (triangle + barycentrics), posed with the identity,
  expression and pose of each image and projected into its camera;
* surface rows (brows, nose, face oval) choose among points on a barycentric grid over every face and lip
  triangle; contour rows choose a position ``u`` along their own lip or lid-margin ring (semantics kept);
* the score of a candidate is its mean distance to mediapipe's point over all images with a face, in percent
  of mediapipe's outer-eye-corner distance (33-263), each image's error clipped at 20 %;
* mirror pairs are chosen jointly, so the table stays symmetric like the template: mediapipe's own pairs from its
  points on the straight-ahead neutral views (``tracker_mirror_pairs``), then pairs found from a first
  unconstrained pass, then from the table before the fit; points on the midline are scored together with their own
  mirror image.

Calibrate on identities the realism benchmark does not measure (its seed base is 0; use another ``--seed`` for
the calibration renders), at the benchmark's size, e.g.::

    python -m synthetic render --out /data/landmark_calib --identities 6 --frames 2 --resolution 512x512 \\
        --samples 16 --seed 1200 --cameras cam_02,cam_06,cam_07,cam_11,cam_01

with render-quality hair (the default): mediapipe does not see preview brows and guesses where they are, and the
brow rows would follow the guess (the tool refuses preview-hair data unless told otherwise). At 384 px it misses
sparse render-quality brows too and guesses them low (a table fitted there scored 3.80 % on the held-out 512 px
renders, one fitted at 512 px 3.52 %).
    python tools/calibrate_landmarks.py --data /data/landmark_calib --write

``--write`` rewrites the table (the head model rebuilds on next load; its geometry fingerprint does not change).
Without it the tool only reports the before/after scores. A JSON record goes to ``--json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EYE_CORNER_PAIRS = {33: 263, 263: 33, 133: 362, 362: 133}
"""Mediapipe's outer and inner eye corners, left-right: 3-4 of its points lie within 2 px of each corner, too close
for :func:`landmark_fit.tracker_mirror_pairs` to tell apart."""
BROW_PAIRS = {65: 295, 295: 65, 66: 296, 296: 66}
"""Two of mediapipe's lower-brow points, left-right: 65 and 66 lie ~3 px apart, and on generator 4's renders the
vote paired 66 with 295 (the fitted brows came out 3 mm asymmetric)."""

SYMMETRIC_CAMERA = "cam_02"
"""The rig's straight-ahead camera (yaw 0): its neutral frames give mediapipe's own left-right pairs."""


PREVIEW_HAIR = ("mediapipe cannot see preview brows at calibration sizes, so the brow rows would follow its guess "
                "instead of the hair (a table fitted on them sat 10 % of the eye distance below render-quality brows)")


def hair_quality(root: Path) -> str | None:
    """The hair quality a dataset was rendered with (its manifest's generator settings), None if not recorded;
    :class:`synthetic.errors.UserInputError` when ``root`` is not a dataset."""
    from synthetic.dataset import Dataset

    generator = Dataset(root).manifest.get("generator")
    return generator.get("quality") if isinstance(generator, dict) else None


def collect(roots: list[Path], cameras: list[str] | None, model):
    """Per detected image: mediapipe's ``[478, 2]`` points, its eye-corner distance (px), the posed vertices
    ``[V, 3]``, ``K``, ``w2c``. Returns the list, how many images had no face, and mediapipe's points on the
    neutral frames of :data:`SYMMETRIC_CAMERA` (for :func:`landmark_fit.tracker_mirror_pairs`)."""
    from backend.photos.dataset_faces import EYE_CORNERS, dataset_faces

    images, missed, posed, frontal = [], 0, {}, []
    for root in roots:
        for rec in dataset_faces(root, cameras):
            if rec.face is None:
                missed += 1
                continue
            key = (str(root), rec.identity, rec.frame)
            if key not in posed:
                posed[key] = model.vertices(rec.shape, rec.expression, rec.pose)
            lm = rec.face.landmarks[:, :2]
            io = float(np.linalg.norm(lm[EYE_CORNERS[0]] - lm[EYE_CORNERS[1]]))
            images.append((lm, io, posed[key], rec.K, rec.w2c))
            if rec.camera == SYMMETRIC_CAMERA and rec.frame == 0:
                frontal.append(lm)
    return images, missed, frontal


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, nargs="+", required=True, help="rendered dataset folder(s) to fit to")
    ap.add_argument("--cameras", default=None, help="comma-separated camera names (default: every camera)")
    ap.add_argument("--grid", type=int, default=4, help="barycentric grid steps per triangle edge (default 4)")
    ap.add_argument("--json", type=Path, default=ROOT / "bench" / "out" / "landmark_calibration.json")
    ap.add_argument("--free-corners", default="", help="mediapipe indices (comma-separated) that leave their contour "
                    "and are fitted as surface points, e.g. the eye corners 33,133,362,263")
    ap.add_argument("--write", nargs="?", const="table", default=None, metavar="PATH",
                    help="rewrite synthetic/head/landmark_table.py (or write the table to PATH, to measure it first)")
    ap.add_argument("--allow-preview-hair", action="store_true",
                    help="accept datasets rendered with --hair-quality preview (see PREVIEW_HAIR)")
    args = ap.parse_args()

    from synthetic.errors import UserInputError
    from synthetic.head import HeadModel, landmark_table
    from synthetic.head.build import landmark_dev, landmark_fit
    from synthetic.head.template import build_template

    try:
        preview = [str(root) for root in args.data if hair_quality(root) == "preview"]
    except UserInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if preview and not args.allow_preview_hair:
        print(f"error: {', '.join(preview)} rendered with preview hair: {PREVIEW_HAIR} "
              "(re-render with render-quality hair, or pass --allow-preview-hair)", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    model = HeadModel.load()
    tpl = build_template()
    if tpl.vertices.shape != model.template.shape or not np.array_equal(tpl.faces, model.faces):
        print("error: the cached head model is not this checkout's template (rebuild it first)", file=sys.stderr)
        return 2
    try:
        cams = args.cameras.split(",") if args.cameras else None
        images, missed, frontal = collect(args.data, cams, model)
    except UserInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if len(images) < 4:
        print(f"error: only {len(images)} images with a face in {', '.join(map(str, args.data))}", file=sys.stderr)
        return 2
    print(f"{len(images)} images with a face ({missed} without) in {time.perf_counter() - t0:.0f} s")

    free = {int(i) for i in args.free_corners.split(",")} if args.free_corners else set()
    tracker = landmark_fit.tracker_mirror_pairs(frontal) if len(frontal) >= 3 else {}
    mirror = landmark_fit.with_named_pairs(tracker, {**EYE_CORNER_PAIRS, **BROW_PAIRS})
    print(f"mediapipe's own mirror pairs from {len(frontal)} straight-ahead neutral views: {len(mirror)} of 478 points")
    cal = landmark_fit.calibrate_table(images, tpl, landmark_table.CONTOURS, landmark_table.SURFACE, args.grid, free,
                                       mirror)
    print(f"mean clipped error over {len(cal.mediapipe)} landmarks: {cal.before.mean():.2f} % -> "
          f"{cal.after.mean():.2f} % ({len(cal.pairs)} mirror pairs/midline points chosen jointly); median move "
          f"{1000 * np.median(cal.moved):.1f} mm, max {1000 * cal.moved.max():.1f} mm "
          f"({time.perf_counter() - t0:.0f} s)")
    groups = sorted(set(cal.group), key=cal.group.index)
    for g in groups:
        sel = np.array([x == g for x in cal.group])
        print(f"  {g:16s} {sel.sum():3d} points  {cal.before[sel].mean():5.2f} % -> {cal.after[sel].mean():5.2f} %  "
              f"moved {1000 * cal.moved[sel].mean():4.1f} mm")
    record = {"data": [str(p) for p in args.data], "images": len(images), "missed": missed, "grid": args.grid,
              "free": sorted(free), "clip_percent": landmark_fit.CLIP, "mean_before_%": float(cal.before.mean()),
              "mean_after_%": float(cal.after.mean()),
              "landmarks": [{"mediapipe": int(m), "group": g, "before_%": float(b), "after_%": float(a),
                             "moved_mm": float(1000 * d)}
                            for m, g, b, a, d in zip(cal.mediapipe, cal.group, cal.before, cal.after, cal.moved,
                                                     strict=True)]}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(record, indent=1))
    print(f"wrote {args.json}")
    if args.write:
        from synthetic.dataset import Dataset

        what = []
        for root in args.data:
            ds = Dataset(root)
            what.append(f"{root.name} ({len(ds.identities)} identities of seed {ds.manifest['seed_base']}, "
                        f"{ds.rig.width}x{ds.rig.height})")
        source = (f"tools/calibrate_landmarks.py: fitted to mediapipe 0.10.21 on {len(images)} renders of "
                  f"{', '.join(what)}" + (f", eye corners {sorted(free)} as surface points" if free else ""))
        landmark_dev.write_table(cal.contours, cal.surface, source,
                                 landmark_dev.OUT if args.write == "table" else Path(args.write))
    return 0


if __name__ == "__main__":
    sys.exit(main())
