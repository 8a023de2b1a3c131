"""Developer tool: derive ``synthetic/head/landmark_table.py`` from mediapipe (run by hand, rarely).

``python -m synthetic.head.build.landmark_dev`` runs mediapipe 0.10.21's face mesh once on
matplotlib's ``grace_hopper.jpg`` to get real 3D landmark positions, aligns them to the template
with a similarity transform on eye corners, mouth corners and the nose tip, and writes:

* contour landmarks (lips and eyelids) as a normalised position along the template's own lip
  and lid-margin rings (exact semantics: the inner-lip landmarks sit on the contact line);
* surface landmarks (brows, nose, face oval) as template points (m) that the build projects
  onto the nearest facial skin.

Mediapipe's "left" is the subject's left (+X in our frame). Nothing at run time imports mediapipe;
the generated module is plain data.

This made the table's first version. ``tools/calibrate_landmarks.py`` refits every row to mediapipe on
renders of our own heads (the table in use); :func:`write_table` writes both.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "landmark_table.py"


def _chains(edges) -> list[list[int]]:
    """Split an undirected edge set into ordered open or closed chains of landmark indices."""
    adj: dict[int, list[int]] = {}
    for a, b in edges:
        adj.setdefault(a, []).append(b)
        adj.setdefault(b, []).append(a)
    seen_edges = set()
    chains = []
    starts = [v for v, n in adj.items() if len(n) == 1] + list(adj)
    for s in starts:
        for nb in adj[s]:
            if (min(s, nb), max(s, nb)) in seen_edges:
                continue
            chain = [s]
            prev, cur = s, nb
            seen_edges.add((min(s, nb), max(s, nb)))
            while True:
                chain.append(cur)
                nxt = [n for n in adj[cur] if n != prev and (min(cur, n), max(cur, n)) not in seen_edges]
                if len(adj[cur]) != 2 or not nxt:
                    break
                seen_edges.add((min(cur, nxt[0]), max(cur, nxt[0])))
                prev, cur = cur, nxt[0]
            chains.append(chain)
    return chains


def _grace_hopper_landmarks() -> np.ndarray:
    import matplotlib
    import mediapipe as mp
    from PIL import Image

    path = os.path.join(os.path.dirname(matplotlib.__file__), "mpl-data", "sample_data", "grace_hopper.jpg")
    img = np.array(Image.open(path).convert("RGB"))
    with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1) as fm:
        res = fm.process(img)
    lm = np.array([[p.x, p.y, p.z] for p in res.multi_face_landmarks[0].landmark])
    h, w = img.shape[:2]
    pix = lm * np.array([w, h, w])
    # image (x right, y down, z toward the camera negative) -> model frame (X subject left, Y back, Z up)
    return np.stack([pix[:, 0], pix[:, 2], -pix[:, 1]], axis=1)


def similarity(src: np.ndarray, dst: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Umeyama: scale, rotation, translation with dst ~ s R src + t (points ``[N, 3]``); the rotation is also
    the best rigid one (scale 1, translation between the centroids)."""
    ms, md = src.mean(0), dst.mean(0)
    a, b = src - ms, dst - md
    u, sig, vt = np.linalg.svd(b.T @ a)
    d = np.sign(np.linalg.det(u @ vt))
    rot = u @ np.diag([1, 1, d]) @ vt
    s = (sig * [1, 1, d]).sum() / (a**2).sum()
    return s, rot, md - s * rot @ ms


def main() -> int:
    from mediapipe.python.solutions import face_mesh_connections as fmc

    from ..template import build_template

    tpl = build_template()
    gh = _grace_hopper_landmarks()

    def ring_half(patch, role, upper):
        ids, roles, t = tpl.rings[patch]
        ring = ids[roles.index(role)]
        s = np.sin(t)
        sel = (s >= -1e-9) if upper else (s <= 1e-9)
        pts = tpl.vertices[ring[sel]]
        return pts[np.argsort(pts[:, 0])]

    corners_t = {  # template points for the alignment
        33: ring_half("eye_right", "margin", True)[0], 133: ring_half("eye_right", "margin", True)[-1],
        362: ring_half("eye_left", "margin", True)[0], 263: ring_half("eye_left", "margin", True)[-1],
        61: ring_half("mouth", "border", True)[0], 291: ring_half("mouth", "border", True)[-1],
        13: ring_half("mouth", "contact", True)[len(ring_half("mouth", "contact", True)) // 2],
    }
    skin = tpl.vertices[tpl.parts["skin"]]
    tip = skin[np.argmin(skin[:, 1] + 10 * np.abs(skin[:, 0]))]
    corners_t[1] = tip
    keys = sorted(corners_t)
    s, rot, tr = similarity(gh[keys], np.stack([corners_t[k] for k in keys]))
    aligned = (s * (rot @ gh.T)).T + tr
    contours = {
        "lip_outer_upper": [61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291],
        "lip_outer_lower": [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291],
        "lip_inner_upper": [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308],
        "lip_inner_lower": [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308],
        "eye_right_upper": [33, 246, 161, 160, 159, 158, 157, 173, 133],
        "eye_right_lower": [33, 7, 163, 144, 145, 153, 154, 155, 133],
        "eye_left_upper": [362, 398, 384, 385, 386, 387, 388, 466, 263],
        "eye_left_lower": [362, 382, 381, 380, 374, 373, 390, 249, 263],
    }
    # check the hand-written contours against mediapipe's edge sets
    lip_set = {i for e in fmc.FACEMESH_LIPS for i in e}
    assert all(i in lip_set for k, c in contours.items() if k.startswith("lip") for i in c)
    for side, conn in (("left", fmc.FACEMESH_LEFT_EYE), ("right", fmc.FACEMESH_RIGHT_EYE)):
        eye_set = {i for e in conn for i in e}
        assert all(i in eye_set for k, c in contours.items() if k.startswith(f"eye_{side}") for i in c)
    rows_c = {}
    used = set()
    for name, chain in contours.items():
        x = gh[chain, 0]
        lo, hi = x.min(), x.max()
        entries = []
        for i in chain:
            if i in used and name.endswith("lower"):
                continue  # corners are listed once, with the upper contour
            used.add(i)
            entries.append((i, round(float((gh[i, 0] - lo) / (hi - lo)), 4)))
        rows_c[name] = entries
    surface = set()
    for conn in (fmc.FACEMESH_FACE_OVAL, fmc.FACEMESH_NOSE, fmc.FACEMESH_LEFT_EYEBROW, fmc.FACEMESH_RIGHT_EYEBROW):
        surface |= {i for e in conn for i in e}
    surface -= used
    oval = _chains(fmc.FACEMESH_FACE_OVAL)
    assert len(oval) == 1 and len(oval[0]) == 37, "mediapipe's face oval should be one closed chain of 36"
    rows_s = [(i, *np.round(aligned[i], 5).tolist()) for i in sorted(surface)]
    write_table(rows_c, rows_s, "python -m synthetic.head.build.landmark_dev: mediapipe 0.10.21 on matplotlib's "
                "grace_hopper.jpg, similarity-aligned to the template")
    print(f"scale {s:.5f} m per pixel")
    return 0


def write_table(contours: dict[str, list[tuple[int, float]]], surface: list[tuple], source: str,
                out: Path = OUT) -> Path:
    """Write ``out`` (default :data:`OUT`, ``synthetic/head/landmark_table.py``): ``contours`` name ->
    [(mediapipe index, u)], ``surface`` [(mediapipe index, x, y, z)] in metres, ``source`` = how the rows were
    made (one sentence)."""
    import textwrap

    lines = [
        '"""Mediapipe face-mesh landmarks on the SynthHeads template (plain data, generated).',
        "",
        *textwrap.wrap(f"Generated by {source}; do not edit by hand. The build resolves every row to a triangle "
                       "and barycentric weights on the current template.", 100),
        "",
        "CONTOURS: contour name -> [(mediapipe index, u)], u = normalised position along the template's",
        "lip or lid-margin ring from the subject's right end (-X, u = 0) to the left end (+X, u = 1).",
        "SURFACE: (mediapipe index, x, y, z) template points in metres, projected onto facial skin.",
        '"""',
        "",
        "CONTOURS = {",
    ]
    for name, entries in contours.items():
        lines.append(f'    "{name}": [')
        for i in range(0, len(entries), 6):
            lines.append("        " + " ".join(f"{e}," for e in entries[i : i + 6]))
        lines.append("    ],")
    lines.append("}")
    lines.append("")
    lines.append("SURFACE = [")
    for r in surface:
        lines.append(f"    {r},")
    lines.append("]")
    Path(out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    n = sum(len(v) for v in contours.values()) + len(surface)
    print(f"wrote {out} with {n} landmarks")
    return Path(out)


if __name__ == "__main__":
    sys.exit(main())
