"""Rendering an avatar file as a frame sequence (orbit or expression sequence): ``python -m backend render --avatar``
is a thin shell over :func:`render_avatar`, and the main job calls it directly.

Example::

    orbit = render_avatar("me.avatar.pt", "out/orbit", orbit=36)
    talk = render_avatar("me.avatar.pt", "out/talk", expressions="talk.npy")
    orbit.frames[0], talk.video
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from synthetic.errors import UserInputError
from synthetic.progress import Progress

from .video import RenderedFrames


def read_expression_sequence(path: str | Path, n_expression: int,
                             n_joints: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Expressions ``[T, E]`` and poses ``[T, J, 3]`` (or None) from a ``.npy`` file or a dataset identity folder."""
    path = Path(path)
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


def view_eyes(centre: np.ndarray, azimuth_deg, distance: float, lift: float = 0.1) -> np.ndarray:
    """Camera positions ``[N, 3]`` (m) around ``centre`` ``[3]`` at ``distance``: azimuth 0 = in front of the face
    (-Y), positive turns towards the head's left (+X); ``lift`` raises the camera by that fraction of ``distance``."""
    az = np.radians(np.atleast_1d(np.asarray(azimuth_deg, dtype=np.float64)))
    return centre + distance * np.stack([np.sin(az), -np.cos(az), lift * np.ones_like(az)], -1)


def render_avatar(avatar: str | Path, out: str | Path, orbit: int | None = None,
                  expressions: str | Path | None = None, width: int = 192, height: int = 128, distance: float = 1.0,
                  fov: float = 30.0, fps: float = 12.0, resample: int | None = None, device: str = "auto",
                  progress=None) -> RenderedFrames:
    """Render the avatar file ``avatar`` into ``out/frame_0000.png ...`` and ``out/video.mp4``.

    Args:
        orbit: N cameras on a circle around the neutral head (azimuth 0..360 degrees, slightly above eye level).
        expressions: instead, a ``.npy`` ``[T, E]`` of expression coefficients or a dataset identity folder (each
            frame's expression and joint pose), seen from the front.
        width, height: image size (px).
        distance: camera distance from the head centre (m).
        fov: horizontal field of view (degrees).
        resample: rebuild the Gaussian grids at ``resample`` x ``resample`` UV texels.
    """
    import torch

    from backend.avatar import load_avatar
    from backend.devices import resolve_device
    from backend.splat import Cameras

    from .video import save_frames, save_video

    if (orbit is None) == (expressions is None):
        raise UserInputError("give exactly one of --orbit [N] and --expressions SEQ")
    if orbit is not None and orbit < 1:
        raise UserInputError(f"--orbit needs at least 1 view, got {orbit}")
    out = Path(out)
    model = load_avatar(avatar, resolve_device(device))
    if resample:
        model = model.resampled(resample)
    dev = model.device
    with torch.no_grad():
        centre = model.canonical(torch.zeros(1, model.n_expression, device=dev))["means"][0].mean(0).cpu().numpy()
    if orbit is not None:
        eyes = view_eyes(centre, np.arange(orbit) * 360.0 / orbit, distance, lift=0.15)
        coeffs = np.zeros((orbit, model.n_expression), np.float32)
        poses = None
    else:
        coeffs, poses = read_expression_sequence(expressions, model.n_expression, len(model.joint_names))
        eyes = view_eyes(centre, np.zeros(len(coeffs)), distance, lift=0.1)
    cams = Cameras.look_at(eyes, centre, fov, width, height).to(dev)
    frames = []
    for i in (progress or Progress("none")).track(range(len(coeffs)), stage="render"):
        e = torch.as_tensor(coeffs[i : i + 1], device=dev)
        pose = None if poses is None else torch.as_tensor(poses[i : i + 1], device=dev)
        with torch.no_grad():
            img = model.render(e, pose, cams.K[i : i + 1][None], cams.w2c[i : i + 1][None], width, height)
        frames.append((img[0, 0].clamp(0, 1).permute(1, 2, 0).cpu().numpy() * 255 + 0.5).astype(np.uint8))
    pngs = save_frames(out, frames)
    return RenderedFrames(out, pngs, save_video(out / "video.mp4", frames, fps), fps)
