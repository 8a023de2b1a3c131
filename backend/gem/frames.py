"""Rendering a ``.gem`` file as a frame sequence driven by coefficients: ``python -m backend render --gem`` is a thin
shell over :func:`render_gem`, and the main job calls it directly.

``coefficients`` renders each row of a coefficient sequence (:mod:`synthetic.formats.coefficients`, shared with the
Blender add-on); ``sweep=J`` sweeps position component J from -3 sigma to +3 sigma and back (25 frames, frame 6 is
the GEM's mean). ``ply`` also writes frame ``ply_frame`` as a standard 3D Gaussian Splatting PLY. Frames are seen
from the front.

Example::

    sweep = render_gem("me.gem", "out/sweep_1", sweep=1, ply="out/mean.ply", ply_frame=6)
    sweep.frames[:13:2], sweep.ply
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from synthetic.errors import UserInputError

from ..avatar.video import RenderedFrames

DEFAULT_FPS = 12.0
"""Video frame rate when neither the caller nor the sequence gives one."""
SWEEP_STEPS = 13
"""Frames of a sweep from -3 sigma to +3 sigma (then back, without repeating the ends: 25 in all)."""


def front_cameras(means, n: int, distance: float, fov: float, width: int, height: int):
    """``n`` identical cameras looking at the centre of ``means`` ``[N, 3]`` (m) from the front (-Y), ``distance``
    metres away, horizontal field of view ``fov`` degrees."""
    from backend.splat import Cameras

    centre = means.mean(0)
    eye = centre + distance * np.array([0.0, -1.0, 0.1])
    return Cameras.look_at(np.repeat(eye[None], n, 0), centre, fov, width, height)


def render_gem(gem: str | Path, out: str | Path, coefficients: str | Path | None = None, sweep: int | None = None,
               ply: str | Path | None = None, ply_frame: int = 0, width: int = 192, height: int = 128,
               distance: float = 1.0, fov: float = 30.0, fps: float | None = None, progress=None) -> RenderedFrames:
    """Render the GEM file ``gem`` into ``out/frame_0000.png ...`` and ``out/video.mp4`` (see the module docstring).

    ``fps``: the video's frame rate; default the sequence's ``fps``, else :data:`DEFAULT_FPS`.
    """
    import torch

    from backend.gem.decode import TorchGem
    from backend.gem.sheet import sweep_coefficients
    from backend.io import write_ply
    from backend.splat import rasterize
    from synthetic.formats.coefficients import read_sequence
    from synthetic.formats.gem import read_gem
    from synthetic.progress import Progress

    from ..avatar.video import save_frames, save_video

    if (coefficients is None) == (sweep is None):
        raise UserInputError("with --gem give exactly one of --coefficients SEQ and --sweep [J]")
    out = Path(out)
    model = read_gem(gem)
    tgem = TorchGem.from_model(model)
    if coefficients is not None:
        seq = read_sequence(coefficients, model.component_counts, model.shared_coefficients)
        flat = torch.as_tensor(seq.flat(), dtype=torch.float32)
        fps = fps or seq.fps
    else:
        if not 1 <= sweep <= tgem.counts["position"]:
            raise UserInputError(f"--sweep {sweep}: {gem} has {tgem.counts['position']} position components")
        up = sweep_coefficients(tgem, sweep - 1, SWEEP_STEPS)
        flat = torch.cat([up, up.flip(0)[1:]])
    if not 0 <= ply_frame < len(flat):
        raise UserInputError(f"--ply-frame {ply_frame}: the sequence has {len(flat)} frames")
    with torch.no_grad():
        neutral = tgem.decode(tgem.zero_coefficients(1))["means"][0].numpy().astype(np.float64)
    cam = front_cameras(neutral, 1, distance, fov, width, height)
    frames = []
    bg = torch.ones(3)
    for i in (progress or Progress("none")).track(range(len(flat)), stage="render"):
        with torch.no_grad():
            g = tgem.gaussian_set(tgem.decode(flat[i : i + 1]))
            if ply is not None and i == ply_frame:
                ply = write_ply(ply, g)
            img = rasterize(g, cam, background=bg).rgb[0]
        frames.append((img.clamp(0, 1).numpy() * 255 + 0.5).astype(np.uint8))
    fps = fps or DEFAULT_FPS
    pngs = save_frames(out, frames)
    return RenderedFrames(out, pngs, save_video(out / "video.mp4", frames, fps), fps,
                          None if ply is None else Path(ply))
