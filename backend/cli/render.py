"""``python -m backend render``: turn an avatar file into PNG frames and a video.

``--avatar AVATAR --orbit [N]``: N cameras on a circle around the neutral head (azimuth 0..360 degrees,
slightly above eye level). ``--avatar AVATAR --expressions SEQ``: drive it with a sequence, SEQ being a
``.npy`` ``[T, E]`` of expression coefficients or a dataset identity folder (each frame's expression and
joint pose), seen from the front. Writes ``OUT/frame_0000.png ...`` and ``OUT/video.mp4`` (mp4v; an animated
GIF where OpenCV cannot write MP4). Each source (``--avatar``, ``--gem``: :mod:`backend.cli.render_gem`) has its
own function.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

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
        from .render_gem import run_gem

        return run_gem(args, progress)
    raise UserInputError("give --avatar AVATAR (with --orbit [N] or --expressions SEQ) or --gem GEM "
                         "(with --coefficients SEQ or --sweep)")


def add_gem_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the ``--gem`` branch (see :mod:`backend.cli.render_gem`)."""
    parser.add_argument("--gem", type=IN_FILE, default=None, help=".gem file (python -m backend distill-gem)")
    parser.add_argument("--coefficients", type=IN_FILE, default=None, metavar="SEQ",
                        help="GEM coefficient sequence: .npy [T, k], .npz or .json (synthetic.formats.coefficients)")
    parser.add_argument("--sweep", type=int, nargs="?", const=1, default=None, metavar="J",
                        help="GEM: sweep position component J (1-based) from -3 to +3 sigma")
    parser.add_argument("--ply", type=OUT_FILE, default=None, help="GEM: also export --ply-frame as a 3DGS PLY")
    parser.add_argument("--ply-frame", type=int, default=0, help="GEM: frame index exported by --ply")


def read_sequence(path: Path, n_expression: int, n_joints: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Expressions ``[T, E]`` and poses ``[T, J, 3]`` (or None) from a ``.npy`` file or a dataset identity folder."""
    if path.is_dir():
        from synthetic.dataset.layout import parse_identity_dir
        from synthetic.dataset.reader import Identity

        index = parse_identity_dir(path.name)
        if index is None or not (path / "identity.json").is_file():
            raise UserInputError(f"{path}: not a dataset identity folder (id_XXXXX with identity.json)")
        ident = Identity(path, index)
        frames = [ident.frame(i) for i in range(ident.n_frames)]
        e = np.stack([f.expression for f in frames])
        pose = np.stack([f.pose for f in frames])
    elif path.is_file():
        try:
            e = np.load(path, allow_pickle=False)
        except Exception as exc:  # not .npy, truncated, pickled object array
            raise UserInputError(f"{path}: not a readable .npy array ({type(exc).__name__})") from None
        pose = None
    else:
        raise UserInputError(f"{path}: no such file or folder")
    if e.ndim != 2 or e.shape[1] != n_expression or len(e) == 0:
        raise UserInputError(f"{path}: expressions must be [T, {n_expression}], got {list(e.shape)}")
    if pose is not None and pose.shape[1:] != (n_joints, 3):
        raise UserInputError(f"{path}: poses must be [T, {n_joints}, 3], got {list(pose.shape)}")
    return e.astype(np.float32), None if pose is None else pose.astype(np.float32)


def run_avatar(args: argparse.Namespace, progress) -> int:
    """The ``--avatar`` branch: orbit or expression sequence."""
    import torch

    from backend.avatar import load_avatar
    from backend.avatar.video import save_frames, save_video
    from backend.devices import resolve_device
    from backend.splat import Cameras

    if (args.orbit is None) == (args.expressions is None):
        raise UserInputError("give exactly one of --orbit [N] and --expressions SEQ")
    if args.orbit is not None and args.orbit < 1:
        raise UserInputError(f"--orbit needs at least 1 view, got {args.orbit}")
    avatar = load_avatar(args.avatar, resolve_device(args.device))
    if args.resample:
        avatar = avatar.resampled(args.resample)
    dev = avatar.device
    with torch.no_grad():
        centre = avatar.canonical(torch.zeros(1, avatar.n_expression, device=dev))["means"][0].mean(0).cpu().numpy()
    if args.orbit is not None:
        az = np.radians(np.arange(args.orbit) * 360.0 / args.orbit)
        eyes = centre + args.distance * np.stack([np.sin(az), -np.cos(az), 0.15 * np.ones_like(az)], -1)
        expressions = np.zeros((args.orbit, avatar.n_expression), np.float32)
        poses = None
    else:
        expressions, poses = read_sequence(args.expressions, avatar.n_expression, len(avatar.joint_names))
        eyes = np.repeat((centre + args.distance * np.array([0.0, -1.0, 0.1]))[None], len(expressions), 0)
    cams = Cameras.look_at(eyes, centre, args.fov, args.width, args.height).to(dev)
    frames = []
    for i in progress.track(range(len(expressions)), stage="render"):
        e = torch.as_tensor(expressions[i : i + 1], device=dev)
        pose = None if poses is None else torch.as_tensor(poses[i : i + 1], device=dev)
        with torch.no_grad():
            img = avatar.render(e, pose, cams.K[i : i + 1][None], cams.w2c[i : i + 1][None], args.width, args.height)
        frames.append((img[0, 0].clamp(0, 1).permute(1, 2, 0).cpu().numpy() * 255 + 0.5).astype(np.uint8))
    pngs = save_frames(args.out, frames)
    video = save_video(args.out / "video.mp4", frames, args.fps or 12.0)
    progress.message(f"render: {len(pngs)} frames in {args.out}, video {video}")
    progress.done(out=str(args.out), frames=len(pngs), video=str(video))
    return 0
