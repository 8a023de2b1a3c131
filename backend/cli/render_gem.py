"""The ``--gem`` branch of ``python -m backend render``: a GEM driven by coefficients, as PNG frames + video.

``--gem G --coefficients SEQ`` renders each row of SEQ; ``--gem G --sweep [J]`` sweeps position component J from
-3 sigma to +3 sigma and back. SEQ is a ``.npy`` ``[T, k]`` or a JSON file holding a list of rows or
``{"position": [[...]], "rotation": ...}``. A row of ``k`` values is read as: all coefficients in modality order
(position, rotation, scale, opacity) when ``k`` is their total, else the first ``k`` position coefficients
(the others 0). ``--ply P`` also writes frame ``--ply-frame`` as a standard 3D Gaussian Splatting PLY.
Frames are seen from the front (``--distance``, ``--fov``, ``--width``, ``--height`` as for ``--avatar``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from synthetic.errors import UserInputError
from synthetic.gem_format import MODALITIES


def read_coefficients(path: Path, counts: dict[str, int]) -> np.ndarray:
    """Flat coefficients ``[T, sum k_m]`` (modality order) from a ``.npy`` or JSON file (module docstring)."""
    total = sum(counts.values())
    if not path.is_file():
        raise UserInputError(f"{path}: no such coefficient file")
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise UserInputError(f"{path}: not valid JSON ({exc})") from None
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(MODALITIES))
            if unknown:
                raise UserInputError(f"{path}: unknown modalities {unknown}; use {list(MODALITIES)}")
            rows = {m: np.atleast_2d(np.asarray(data[m], dtype=np.float64)) for m in data}
            t = max(len(r) for r in rows.values()) if rows else 0
            flat = np.zeros((t, total))
            offset = 0
            for m in MODALITIES:
                if m in rows:
                    r = rows[m]
                    if r.shape[1] > counts[m] or len(r) not in (1, t):
                        raise UserInputError(f"{path}: {m} coefficients have shape {list(r.shape)}; the GEM has "
                                             f"{counts[m]} {m} components and the sequence {t} frames")  # fmt: skip
                    flat[:, offset : offset + r.shape[1]] = r
                offset += counts[m]
            return _finite(flat, path)
        try:
            arr = np.asarray(data, dtype=np.float64)
        except (TypeError, ValueError):
            raise UserInputError(f"{path}: expected a list of coefficient rows") from None
    else:
        try:
            arr = np.load(path, allow_pickle=False)
        except Exception as exc:  # not .npy, truncated, pickled object array
            raise UserInputError(f"{path}: not a readable .npy array ({type(exc).__name__})") from None
    arr = np.atleast_2d(np.asarray(arr, dtype=np.float64))
    if arr.ndim != 2 or len(arr) == 0:
        raise UserInputError(f"{path}: coefficients must be [T, k], got shape {list(arr.shape)}")
    if arr.shape[1] == total:
        return _finite(arr, path)
    if arr.shape[1] > counts["position"]:
        raise UserInputError(f"{path}: rows have {arr.shape[1]} values; give {total} (all modalities) or at most "
                             f"{counts['position']} (position components)")  # fmt: skip
    flat = np.zeros((len(arr), total))
    flat[:, : arr.shape[1]] = arr
    return _finite(flat, path)


def _finite(a: np.ndarray, path: Path) -> np.ndarray:
    if not np.all(np.isfinite(a)):
        raise UserInputError(f"{path}: coefficients must be finite numbers")
    return a


def front_cameras(means, n: int, distance: float, fov: float, width: int, height: int):
    """``n`` identical cameras looking at the centre of ``means`` ``[N, 3]`` from the front (-Y)."""
    from backend.splat import Cameras

    centre = means.mean(0)
    eye = centre + distance * np.array([0.0, -1.0, 0.1])
    return Cameras.look_at(np.repeat(eye[None], n, 0), centre, fov, width, height)


def run_gem(args: argparse.Namespace, progress) -> int:
    """Render a GEM (see the module docstring)."""
    import torch

    from backend.avatar.video import save_frames, save_video
    from backend.gem.decode import TorchGem
    from backend.gem.sheet import sweep_coefficients
    from backend.io import write_ply
    from backend.splat import rasterize
    from synthetic.gem_format import read_gem

    if (args.coefficients is None) == (args.sweep is None):
        raise UserInputError("with --gem give exactly one of --coefficients SEQ and --sweep [J]")
    gem = TorchGem.from_model(read_gem(args.gem))
    if args.coefficients is not None:
        flat = torch.as_tensor(read_coefficients(args.coefficients, gem.counts), dtype=torch.float32)
    else:
        if not 1 <= args.sweep <= gem.counts["position"]:
            raise UserInputError(f"--sweep {args.sweep}: {args.gem} has {gem.counts['position']} position components")
        up = sweep_coefficients(gem, args.sweep - 1, 13)
        flat = torch.cat([up, up.flip(0)[1:]])
    if not 0 <= args.ply_frame < len(flat):
        raise UserInputError(f"--ply-frame {args.ply_frame}: the sequence has {len(flat)} frames")
    with torch.no_grad():
        neutral = gem.decode(gem.zero_coefficients(1))["means"][0].numpy().astype(np.float64)
    cam = front_cameras(neutral, 1, args.distance, args.fov, args.width, args.height)
    frames = []
    bg = torch.ones(3)
    for i in progress.track(range(len(flat)), stage="render"):
        with torch.no_grad():
            g = gem.gaussian_set(gem.decode(flat[i : i + 1]))
            if args.ply is not None and i == args.ply_frame:
                write_ply(args.ply, g)
            img = rasterize(g, cam, background=bg).rgb[0]
        frames.append((img.clamp(0, 1).numpy() * 255 + 0.5).astype(np.uint8))
    pngs = save_frames(args.out, frames)
    video = save_video(args.out / "video.mp4", frames, args.fps)
    progress.message(f"render: {len(pngs)} GEM frames in {args.out}, video {video}"
                     + (f", PLY {args.ply}" if args.ply else ""))  # fmt: skip
    progress.done(out=str(args.out), frames=len(pngs), video=str(video), ply=str(args.ply) if args.ply else None)
    return 0
