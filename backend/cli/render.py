"""``python -m backend render``: turn an avatar file into PNG frames and a video.

``--avatar AVATAR --orbit [N]``: N cameras on a circle around the neutral head (azimuth 0..360 degrees,
slightly above eye level). ``--avatar AVATAR --expressions SEQ``: drive it with a sequence, SEQ being a
``.npy`` ``[T, E]`` of expression coefficients or a dataset identity folder (each frame's expression and
joint pose), seen from the front. Writes ``OUT/frame_0000.png ...`` and ``OUT/video.mp4`` (mp4v; an animated
GIF where OpenCV cannot write MP4). ``--gem GEM --coefficients SEQ`` or ``--gem GEM --sweep [J]`` does the same for
a ``.gem`` file. A shell over :func:`backend.avatar.frames.render_avatar` and :func:`backend.gem.frames.render_gem`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from synthetic.cli_support import IN_FILE, OUT_DIR, OUT_FILE
from synthetic.errors import UserInputError

NAME = "render"
HELP = "render an avatar file as an orbit or driven by an expression sequence (PNG frames + video)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--avatar", type=IN_FILE, default=None, help="avatar file (python -m backend invert)")
    parser.add_argument("--orbit", type=int, nargs="?", const=36, default=None, metavar="N",
                        help="render N views on a circle around the head (default 36)")
    parser.add_argument("--expressions", type=Path, default=None, metavar="SEQ",
                        help=".npy [T, E] expression coefficients, or a dataset identity folder")
    parser.add_argument("--out", type=OUT_DIR, required=True, help="output folder")
    parser.add_argument("--width", type=int, default=192, help="image width (px)")
    parser.add_argument("--height", type=int, default=128, help="image height (px)")
    parser.add_argument("--distance", type=float, default=1.0, help="camera distance from the head centre (m)")
    parser.add_argument("--fov", type=float, default=30.0, help="horizontal field of view (degrees)")
    parser.add_argument("--fps", type=float, default=None,
                        help="video frame rate (default: a GEM coefficient sequence's own fps, else 12)")
    parser.add_argument("--resample", type=int, default=None, metavar="S",
                        help="rebuild the Gaussian grids at S x S UV texels (more or fewer Gaussians)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    add_gem_arguments(parser)


def run(args: argparse.Namespace, progress) -> int:
    if args.avatar is not None and args.gem is not None:
        raise UserInputError("give --avatar or --gem, not both")
    if args.avatar is not None:
        return run_avatar(args, progress)
    if args.gem is not None:
        return run_gem(args, progress)
    raise UserInputError("give --avatar AVATAR (with --orbit [N] or --expressions SEQ) or --gem GEM "
                         "(with --coefficients SEQ or --sweep)")


def add_gem_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the ``--gem`` branch (see :mod:`backend.gem.frames`)."""
    parser.add_argument("--gem", type=IN_FILE, default=None, help=".gem file (python -m backend distill-gem)")
    parser.add_argument("--coefficients", type=IN_FILE, default=None, metavar="SEQ",
                        help="GEM coefficient sequence: .npy [T, k], .npz or .json (synthetic.formats.coefficients)")
    parser.add_argument("--sweep", type=int, nargs="?", const=1, default=None, metavar="J",
                        help="GEM: sweep position component J (1-based) from -3 to +3 sigma")
    parser.add_argument("--ply", type=OUT_FILE, default=None, help="GEM: also export --ply-frame as a 3DGS PLY")
    parser.add_argument("--ply-frame", type=int, default=0, help="GEM: frame index exported by --ply")


def run_avatar(args: argparse.Namespace, progress) -> int:
    """The ``--avatar`` branch: orbit or expression sequence (:func:`backend.avatar.frames.render_avatar`)."""
    from backend.avatar.frames import render_avatar

    res = render_avatar(args.avatar, args.out, args.orbit, args.expressions, args.width, args.height, args.distance,
                        args.fov, args.fps or 12.0, args.resample, args.device, progress)  # fmt: skip
    progress.message(f"render: {len(res.frames)} frames in {res.folder}, video {res.video}")
    progress.done(out=str(res.folder), frames=len(res.frames), video=str(res.video))
    return 0


def run_gem(args: argparse.Namespace, progress) -> int:
    """The ``--gem`` branch: coefficient sequence or sweep (:func:`backend.gem.frames.render_gem`)."""
    from backend.gem.frames import render_gem

    res = render_gem(args.gem, args.out, args.coefficients, args.sweep, args.ply, args.ply_frame, args.width,
                     args.height, args.distance, args.fov, args.fps, progress)  # fmt: skip
    progress.message(f"render: {len(res.frames)} GEM frames in {res.folder}, video {res.video}"
                     + (f", PLY {res.ply}" if res.ply else ""))  # fmt: skip
    progress.done(out=str(res.folder), frames=len(res.frames), video=str(res.video),
                  ply=str(res.ply) if res.ply else None)
    return 0
