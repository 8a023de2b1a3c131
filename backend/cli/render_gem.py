"""The ``--gem`` branch of ``python -m backend render``: a GEM driven by coefficients, as PNG frames + video.

``--gem G --coefficients SEQ`` renders each row of SEQ; ``--gem G --sweep [J]`` sweeps position component J from
-3 sigma to +3 sigma and back. SEQ is a coefficient sequence (``.npy``, ``.npz`` or ``.json``; the format and its
reader are :mod:`synthetic.formats.coefficients`, shared with the Blender add-on); the video plays at ``--fps``,
else the sequence's ``fps``, else 12. ``--ply P`` also writes frame ``--ply-frame`` as a standard 3D Gaussian
Splatting PLY.
Frames are seen from the front (``--distance``, ``--fov``, ``--width``, ``--height`` as for ``--avatar``).
"""

from __future__ import annotations

import argparse

import numpy as np

from synthetic.errors import UserInputError

DEFAULT_FPS = 12.0
"""Video frame rate when neither ``--fps`` nor the sequence gives one."""


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
    from synthetic.formats.coefficients import read_sequence
    from synthetic.formats.gem import read_gem

    if (args.coefficients is None) == (args.sweep is None):
        raise UserInputError("with --gem give exactly one of --coefficients SEQ and --sweep [J]")
    model = read_gem(args.gem)
    gem = TorchGem.from_model(model)
    fps = args.fps
    if args.coefficients is not None:
        seq = read_sequence(args.coefficients, model.component_counts, model.shared_coefficients)
        flat = torch.as_tensor(seq.flat(), dtype=torch.float32)
        fps = fps or seq.fps
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
    video = save_video(args.out / "video.mp4", frames, fps or DEFAULT_FPS)
    progress.message(f"render: {len(pngs)} GEM frames in {args.out}, video {video}"
                     + (f", PLY {args.ply}" if args.ply else ""))  # fmt: skip
    progress.done(out=str(args.out), frames=len(pngs), video=str(video), ply=str(args.ply) if args.ply else None)
    return 0
