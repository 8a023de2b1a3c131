"""Developer measure: how far the template's skin is from a real average face (run by hand when re-sculpting).

``python -m synthetic.head.build.canonical_gap --obj canonical_face_model.obj`` reads mediapipe's canonical
face model (``mediapipe/modules/face_geometry/data/canonical_face_model.obj`` in mediapipe's source repository,
Apache 2.0; not in the wheel, so the file is given by hand and nothing is downloaded): 468 vertices in
centimetres, one per face-mesh landmark index, y up, z toward the viewer, an average of real faces (88.9 mm
between the outer eye corners). It is placed on the template by a rigid fit (no scale) of the landmark table's
eye corners, nasion, nose, mouth, chin and forehead points, and each of its vertices gets the signed distance of
:func:`synthetic.head.build.shape.head_sdf` there, in mm: positive where the real face is fuller than ours
(its skin outside our skin), negative where ours bulges past it. Printed by face region and as a map over the
subject's right half; ``--json`` keeps every vertex's value.

Generator 8 scored RMS 4.5 mm: the lateral face 10.8 mm and the cheeks 4.2 mm inside the average face; generator 9
3.2 mm; generator 10 (the lower face filled, the lips wrapped round the teeth) 2.6 mm.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from .landmark_dev import similarity

N_CANONICAL = 468
"""Vertices of mediapipe's canonical face model: face-mesh landmarks 0..467, in index order."""

ANCHORS = (33, 133, 263, 362, 168, 6, 1, 2, 61, 291, 0, 17, 152, 10)
"""Mediapipe indices the rigid fit uses: eye corners, nasion, nose bridge and tip, subnasale, mouth corners, lips'
middles, chin and the forehead's top (all in the landmark table)."""

REGIONS = {
    "lateral face (|x| > 45 mm, 0-90 mm below the ear canals)": lambda x, h: (x > 45) & (h < 0) & (h > -90),
    "cheeks (|x| 12-45 mm, 0-30 mm below)": lambda x, h: (x > 12) & (x <= 45) & (h < 0) & (h > -30),
    "nose (|x| < 12 mm, 15 mm above to 40 below)": lambda x, h: (x < 12) & (h < 15) & (h > -40),
    "mouth and chin (|x| < 35 mm, > 40 mm below)": lambda x, h: (x < 35) & (h <= -40),
    "eyes and brows (0-45 mm above)": lambda x, h: (h >= 0) & (h < 45),
    "forehead (> 45 mm above)": lambda x, h: h >= 45,
}
"""Face regions by the aligned canonical vertex's distance from the midline ``x`` and height ``h`` (mm; the
template's z, 0 at the ear canals)."""


def canonical_in_template_frame(vertices_cm: np.ndarray) -> np.ndarray:
    """Canonical model vertices ``[468, 3]`` (cm, y up, z toward the viewer) -> metres in the template's frame
    (X the subject's left, face along -Y, Z up); not yet aligned."""
    v = np.asarray(vertices_cm, dtype=np.float64)
    if v.shape != (N_CANONICAL, 3):
        from ...errors import UserInputError

        raise UserInputError(f"canonical face model: {len(v)} vertices, expected {N_CANONICAL} (one per face-mesh "
                             "landmark; is this mediapipe's canonical_face_model.obj?)")
    return np.stack([v[:, 0], -v[:, 2], v[:, 1]], axis=1) / 100.0


def aligned_canonical(canonical_m: np.ndarray, model) -> np.ndarray:
    """The canonical face ``[468, 3]`` (m, template frame) moved rigidly onto ``model``'s neutral template by the
    :data:`ANCHORS` of its landmark table."""
    table = [int(i) for i in model.landmark_mediapipe]
    ours = model.landmarks(model.template)
    source, target = canonical_m[list(ANCHORS)], ours[[table.index(i) for i in ANCHORS]]
    _, rot, _ = similarity(source, target)  # its rotation is also the best rigid one; no scale
    return (canonical_m - source.mean(0)) @ rot.T + target.mean(0)


def gap_mm(points_m: np.ndarray, sdf=None) -> np.ndarray:
    """Signed distance (mm) of ``points_m`` ``[N, 3]`` to the template skin (``sdf``, default the sculpt's
    :func:`~synthetic.head.build.shape.head_sdf`): positive outside our skin."""
    if sdf is None:
        from .shape import head_sdf as sdf
    return 1000.0 * sdf(np.asarray(points_m, dtype=np.float64))


def region_summary(points_m: np.ndarray, gap: np.ndarray) -> dict[str, dict[str, float]]:
    """Per :data:`REGIONS` name: mean signed gap, mean absolute gap (mm) and vertex count; plus ``all``."""
    x, h = np.abs(points_m[:, 0]) * 1000.0, points_m[:, 2] * 1000.0
    out = {"all": {"mean": float(gap.mean()), "mean_abs": float(np.abs(gap).mean()),
                   "rms": float(np.sqrt((gap ** 2).mean())), "n": int(len(gap))}}
    for name, select in REGIONS.items():
        sel = select(x, h)
        out[name] = {"mean": float(gap[sel].mean()), "mean_abs": float(np.abs(gap[sel]).mean()), "n": int(sel.sum())}
    return out


def gap_map(points_m: np.ndarray, gap: np.ndarray, cell_mm: float = 10.0) -> str:
    """Text map of the mean gap (mm) per ``cell_mm`` cell over the subject's right half (x <= 0), rows by height."""
    x, h = points_m[:, 0] * 1000.0, points_m[:, 2] * 1000.0
    xs = np.arange(-80.0, 0.0, cell_mm)
    lines = ["height \\ x " + " ".join(f"{c:6.0f}" for c in xs)]
    for top in np.arange(80.0, -120.0, -cell_mm):
        cells = []
        for c in xs:
            sel = (x >= c) & (x < c + cell_mm) & (h <= top) & (h > top - cell_mm)
            cells.append(f"{gap[sel].mean():6.1f}" if sel.any() else "     .")
        lines.append(f"{top:10.0f} " + " ".join(cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from ...errors import UserInputError
    from ..model import HeadModel
    from ..obj_io import read_obj_vertices

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--obj", type=Path, required=True, help="mediapipe's canonical_face_model.obj")
    ap.add_argument("--json", type=Path, default=None, help="write every vertex's gap (mm) and the summary here")
    args = ap.parse_args(argv)
    try:
        if args.json is not None and args.json.is_dir():
            raise UserInputError(f"--json {args.json}: a folder; give a file name")
        canonical = canonical_in_template_frame(read_obj_vertices(args.obj))
    except UserInputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    model = HeadModel.load()
    points = aligned_canonical(canonical, model)
    gap = gap_mm(points)
    summary = region_summary(points, gap)
    print(f"template {model.fingerprint()[:8]}: canonical face's signed distance to our skin (mm, + = real fuller)")
    for name, row in summary.items():
        print(f"  {name:55s} mean {row['mean']:+5.1f}  |mean| {row['mean_abs']:4.1f}  ({row['n']} vertices)")
    print(f"  RMS {summary['all']['rms']:.2f} mm\n")
    print(gap_map(points, gap))
    if args.json is not None:
        args.json.write_text(json.dumps({"fingerprint": model.fingerprint(), "summary": summary,
                                         "gap_mm": [round(float(g), 2) for g in gap]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
