"""Consistency checks of a whole dataset, collecting every problem instead of stopping at the first.

:func:`validate_dataset` is what ``python -m synthetic validate ROOT`` runs. Each :class:`Problem`
names a file and says what is wrong. Checks per identity: all expected files present; JSON headers
(format, version) and fields; cameras (orthonormal rotation with det +1, positive focal length,
principal point inside the image, ``transforms.json`` agreeing with ``cameras.json``); every PNG
8-bit RGBA of the cameras' size; masks neither empty nor covering the whole image; and the head
model's landmarks, evaluated with the identity's shape and the frame's expression and pose, landing
inside the mask (alpha > 0.5 within 2 pixels) for >= 90 % of the landmarks that face the camera.
Datasets with per-view landmarks (``"landmarks": true`` in ``dataset.json``): every frame's
``landmarks.json`` parses, covers the identity's cameras, agrees with the head model's projection
(within :data:`LANDMARK_FILE_TOL_PX`, visibility flags included) and its visible landmarks are the
ones the mask check uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import camera_convert
from ..errors import UserInputError
from ..rig import project_points
from . import layout
from .files import png_info, read_json, read_png, require
from .landmarks import ViewLandmarks, parse_landmarks, project_frame
from .reader import Cameras, image_to_float, parse_cameras

MASK_MIN_FRACTION = 0.002
"""A mask covering less of the image than this counts as empty (the head is not in frame)."""
MASK_MAX_FRACTION = 0.95
"""A mask covering more than this has no background (alpha not written)."""
LANDMARK_RADIUS_PX = 2
LANDMARK_MIN_INSIDE = 0.9
LANDMARK_FILE_TOL_PX = 0.05
"""``landmarks.json`` positions may differ from the head model's projection by this much (rounding)."""
LANDMARK_FLAG_MISMATCH = 0.01
"""Share of visibility flags that may differ from a recomputation (points on an occlusion boundary)."""


@dataclass(frozen=True)
class Problem:
    path: str
    what: str

    def __str__(self) -> str:
        return f"{self.path}: {self.what}"


class _Collector:
    def __init__(self):
        self.problems: list[Problem] = []

    def add(self, path, what: str) -> None:
        self.problems.append(Problem(str(path), what))

    def guard(self, fn, *args):
        """Run ``fn``; a UserInputError becomes a problem (its message already names the file)."""
        try:
            return fn(*args)
        except UserInputError as exc:
            path, _, what = str(exc).partition(": ")
            self.add(path, what or str(exc))
            return None

    def passes(self, fn, *args) -> bool:
        """Like :meth:`guard` for a check that returns nothing: True when it raised no UserInputError."""
        before = len(self.problems)
        self.guard(fn, *args)
        return len(self.problems) == before


def check_cameras(cams: Cameras, path: Path, out: _Collector) -> None:
    """Rotation orthonormal with det +1, bottom row (0, 0, 0, 1), focal > 0, principal point in the image."""
    if cams.width < 1 or cams.height < 1:
        out.add(path, f"image size {cams.width}x{cams.height} is not positive")
    for name, K, w2c in zip(cams.names, cams.K, cams.w2c):
        r = w2c[:3, :3]
        if np.abs(r @ r.T - np.eye(3)).max() > 1e-5 or np.linalg.det(r) < 0:
            out.add(path, f"{name}: w2c rotation is not orthonormal with det +1")
        if np.abs(w2c[3] - [0, 0, 0, 1]).max() > 1e-9:
            out.add(path, f"{name}: w2c bottom row is {w2c[3].tolist()}, expected [0, 0, 0, 1]")
        if not (K[0, 0] > 0 and K[1, 1] > 0):
            out.add(path, f"{name}: focal length must be positive (fx={K[0, 0]}, fy={K[1, 1]})")
        if not (0 <= K[0, 2] <= cams.width and 0 <= K[1, 2] <= cams.height) or np.abs(K[2] - [0, 0, 1]).max() > 1e-9:
            out.add(path, f"{name}: K is not a pinhole matrix with the principal point inside the image")


def check_transforms(data: dict, cams: Cameras, n_frames: int, path: Path, out: _Collector) -> None:
    """``transforms.json`` holds one entry per frame x camera that agrees with ``cameras.json``."""
    frames = data.get("frames")
    if data.get("camera_model") != "OPENCV" or not isinstance(frames, list):
        out.add(path, "expected camera_model OPENCV and a frames list")
        return
    if len(frames) != n_frames * len(cams):
        out.add(path, f"{len(frames)} entries, expected {n_frames} frames x {len(cams)} cameras")
    c2w = camera_convert.opencv_w2c_to_opengl_c2w(cams.w2c)
    for entry in frames:
        try:
            i = cams.names.index(Path(entry["file_path"]).stem)
            ok = (np.abs(np.asarray(entry["transform_matrix"], float) - c2w[i]).max() < 1e-6
                  and abs(entry["fl_x"] - cams.K[i, 0, 0]) < 1e-6 and abs(entry["cx"] - cams.K[i, 0, 2]) < 1e-6
                  and (entry["w"], entry["h"]) == (cams.width, cams.height))
        except (KeyError, TypeError, ValueError):
            out.add(path, f"malformed entry {str(entry)[:80]}")
            return
        if not ok:
            out.add(path, f"entry {entry['file_path']} disagrees with cameras.json")
            return


def _facing_landmarks(lm: np.ndarray, lm_normals: np.ndarray, K, w2c, w: int, h: int):
    """(pixel positions ``[L, 2]``, ``[L]`` bool: facing the camera and inside the image) without a landmarks file."""
    xy, z = project_points(lm, K, w2c)
    centre = -w2c[:3, :3].T @ w2c[:3, 3]
    facing = np.einsum("nc,nc->n", lm_normals, centre - lm) > 0
    return xy, facing & (z > 0) & (xy[:, 0] >= 0) & (xy[:, 0] < w) & (xy[:, 1] >= 0) & (xy[:, 1] < h)


def _landmark_check(alpha: np.ndarray, xy: np.ndarray, use: np.ndarray) -> tuple[int, int]:
    """(landmarks in ``use``, how many of them fall on alpha > 0.5 within 2 px); ``xy`` ``[L, 2]`` px."""
    h, w = alpha.shape
    if not np.any(use):
        return 0, 0
    fg = alpha > 0.5
    r = LANDMARK_RADIUS_PX
    padded = np.pad(fg, r)
    near = np.zeros_like(fg)
    for dy in range(-r, r + 1):  # dilate the mask by r pixels (square window)
        for dx in range(-r, r + 1):
            near |= padded[r + dy: r + dy + h, r + dx: r + dx + w]
    px = np.floor(xy[use]).astype(np.int64)
    return int(use.sum()), int(near[px[:, 1], px[:, 0]].sum())


def check_identity(path: Path, index: int, manifest: dict, out: _Collector, head_model=None,
                   max_frames: int | None = None) -> None:
    """Every check of one complete identity folder; problems go to ``out``."""
    params = out.guard(read_json, path / layout.IDENTITY_JSON, "identity")
    cam_path = path / layout.CAMERAS_JSON
    cam_data = out.guard(read_json, cam_path, "cameras")
    cams = out.guard(parse_cameras, cam_data, cam_path) if cam_data is not None else None
    if params is not None and not out.passes(require, params, path / layout.IDENTITY_JSON, "seed", "n_frames"):
        params = None
    n_frames = manifest.get("frames_per_identity", 0)
    if params is not None:
        n_frames = params["n_frames"]
    if not isinstance(n_frames, int) or n_frames < 0:
        out.add(path / layout.IDENTITY_JSON, f"n_frames must be a non-negative integer, found {n_frames!r}")
        n_frames = 0
    if cams is not None:
        check_cameras(cams, cam_path, out)
        tr = out.guard(read_json, path / layout.TRANSFORMS_JSON, "transforms")
        if tr is not None:
            check_transforms(tr, cams, n_frames, path / layout.TRANSFORMS_JSON, out)
        names = cams.names
    else:
        names = tuple(f"cam_{i:02d}" for i in range(28))
    textures = tuple(manifest.get("textures", layout.DEFAULT_TEXTURES))
    passes = tuple(manifest.get("passes", ()))
    with_landmarks = bool(manifest.get("landmarks", False))
    for rel in layout.expected_identity_files(n_frames, names, textures, passes, with_landmarks):
        if not (path / rel).is_file():
            out.add(path / rel, "missing")
    for t in textures:
        if (path / layout.texture_file(t)).is_file():
            out.guard(png_info, path / layout.texture_file(t))
    shape = None
    if head_model is not None and params is not None:
        shape = params.get("shape")
        if shape is None or np.asarray(shape).shape != (head_model.n_shape,):
            out.add(path / layout.IDENTITY_JSON, f"'shape' must hold {head_model.n_shape} head-model coefficients")
            shape = None
    for f in range(n_frames if max_frames is None else min(n_frames, max_frames)):
        fdir = path / layout.frame_dir(f)
        frame = out.guard(read_json, fdir / layout.FRAME_JSON, "frame")
        landmarks = None
        if frame is not None and shape is not None:
            landmarks = _frame_landmarks(head_model, shape, frame, fdir / layout.FRAME_JSON, out)
        if cams is None:
            continue
        view = None
        lpath = fdir / layout.LANDMARKS_JSON
        if with_landmarks and lpath.is_file():
            data = out.guard(read_json, lpath, "landmarks")
            view = out.guard(parse_landmarks, data, lpath, cams.names) if data is not None else None
            if view is not None and landmarks is not None:
                _compare_landmark_file(view, head_model, landmarks[2], cams, lpath, out)
        for ci, name in enumerate(cams.names):
            ipath = fdir / layout.image_file(name)
            if not ipath.is_file():
                continue  # reported as missing above
            info = out.guard(png_info, ipath)
            if info is None:
                continue
            mode, w, h, bits = info
            if mode != "RGBA" or bits != 8:
                out.add(ipath, f"PNG is {mode} ({bits}-bit), expected 8-bit RGBA")
                continue
            if (w, h) != (cams.width, cams.height):
                out.add(ipath, f"image is {w}x{h}, cameras.json says {cams.width}x{cams.height}")
                continue
            arr = out.guard(read_png, ipath)
            if arr is None:
                continue
            alpha = image_to_float(arr, ipath)[..., 3]
            frac = float(np.mean(alpha > 0.5))
            if frac < MASK_MIN_FRACTION:
                out.add(ipath, f"mask is empty (alpha > 0.5 on {100 * frac:.2f} % of the image): head not in frame")
                continue
            if frac > MASK_MAX_FRACTION:
                out.add(ipath, f"mask covers {100 * frac:.1f} % of the image: no background in alpha")
            if view is not None:
                n, inside = _landmark_check(alpha, view.xy[ci], view.visible[ci])
            elif landmarks is not None:
                xy, use = _facing_landmarks(landmarks[0], landmarks[1], cams.K[ci], cams.w2c[ci], w, h)
                n, inside = _landmark_check(alpha, xy, use)
            if view is not None or landmarks is not None:
                if n and inside < LANDMARK_MIN_INSIDE * n:
                    out.add(ipath, f"only {inside} of {n} visible head-model landmarks fall inside the mask "
                                   f"(need {LANDMARK_MIN_INSIDE:.0%}): cameras, parameters and image disagree")


def _compare_landmark_file(view: ViewLandmarks, model, verts: np.ndarray, cams: Cameras, path: Path,
                           out: _Collector) -> None:
    """Report a ``landmarks.json`` that disagrees with the head model's projection of the frame."""
    if not np.array_equal(view.mediapipe, model.landmark_mediapipe):
        out.add(path, "landmark list differs from the head model's (mediapipe indices)")
        return
    ref = project_frame(model.landmarks(verts), model.landmark_mediapipe, verts, model.faces, cams.rig())
    err = float(np.abs(view.xy - ref.xy).max())
    if err > LANDMARK_FILE_TOL_PX:
        out.add(path, f"landmarks are up to {err:.2f} px from the head model's projection "
                      f"(tolerance {LANDMARK_FILE_TOL_PX} px): cameras, parameters and landmarks disagree")
    flips = float(np.mean(view.visible != ref.visible))
    if flips > LANDMARK_FLAG_MISMATCH:
        out.add(path, f"{100 * flips:.1f} % of the visibility flags differ from the head model's")


def _frame_landmarks(model, shape, frame: dict, path: Path, out: _Collector):
    """Landmark points ``[L, 3]`` (m), unit normals of their faces ``[L, 3]`` and the posed vertices
    ``[V, 3]`` for one frame, or None."""
    try:
        expression = np.asarray(frame["expression"], dtype=np.float64)
        pose = np.asarray(frame["pose"], dtype=np.float64)
        verts = model.vertices(np.asarray(shape, dtype=np.float64), expression, pose)
    except (KeyError, TypeError, ValueError) as exc:
        out.add(path, f"expression/pose do not fit the head model ({exc})")
        return None
    tri = verts[model.faces[model.landmark_faces]]  # [L, 3, 3]
    normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-20)
    return model.landmarks(verts), normals, verts


def validate_dataset(root: str | Path, head_model=None, partial: bool = False, max_frames: int | None = None,
                     progress=None) -> tuple[list[Problem], int]:
    """Check the dataset at ``root``. Returns (problems, number of identities checked).

    ``head_model``: a :class:`synthetic.head.model.HeadModel` for the landmark check (None skips it;
    its fingerprint must match ``dataset.json``). ``partial``: do not report identities that are
    missing or unfinished (a dataset still being rendered). ``max_frames``: check at most this many
    frames per identity.
    """
    out = _Collector()
    root = Path(root)
    if not root.is_dir():
        out.add(root, "dataset folder not found")
        return out.problems, 0
    manifest = out.guard(read_json, root / layout.DATASET_JSON, "dataset")
    if manifest is None:
        return out.problems, 0
    if not out.passes(require, manifest, root / layout.DATASET_JSON, "n_identities", "frames_per_identity",
                      "head_model_fingerprint"):
        return out.problems, 0
    if head_model is not None and not head_model.matches(manifest["head_model_fingerprint"]):
        out.add(root / layout.DATASET_JSON, "head_model_fingerprint differs from the loaded head model; "
                "landmark check skipped (pass the model the dataset was made with)")
        head_model = None
    elif (head_model is not None and manifest.get("landmark_fingerprint")
          and manifest["landmark_fingerprint"] != head_model.landmark_fingerprint()):
        out.add(root / layout.DATASET_JSON, "landmark_fingerprint differs from the loaded head model's landmark "
                "table (recalibrated since); landmark check skipped (`python -m synthetic landmarks ROOT` "
                "re-projects them)")
        head_model = None
    folders = {}
    for p in sorted(root.iterdir()):
        i = layout.parse_identity_dir(p.name)
        if i is not None and p.is_dir():
            folders[i] = p
    n = int(manifest["n_identities"])
    for i in sorted(set(range(n)) - set(folders)):
        if not partial:
            out.add(root / layout.identity_dir(i), "identity folder is missing")
    for i in sorted(set(folders) - set(range(n))):
        out.add(folders[i], f"identity index outside 0..{n - 1} of dataset.json")
    complete = [i for i, p in folders.items() if layout.is_complete(p)]
    for i, p in folders.items():
        if i not in complete and not partial:
            out.add(p / layout.DONE_JSON, "missing: identity is incomplete")
    items = progress.track(complete, stage="validate") if progress is not None else complete
    for i in items:
        out.guard(read_json, folders[i] / layout.DONE_JSON, "done")
        check_identity(folders[i], i, manifest, out, head_model, max_frames)
    return out.problems, len(complete)
