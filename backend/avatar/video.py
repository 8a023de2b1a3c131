"""Frame sequences to files: numbered PNGs and one video (mp4v MP4 through OpenCV, else an animated GIF)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from synthetic.atomic import write_atomic
from synthetic.dataset.files import write_png


@dataclass
class RenderedFrames:
    """A rendered frame sequence on disk (``render --avatar`` / ``render --gem``)."""

    folder: Path
    """Where the frames are."""
    frames: list[Path]
    """``frame_0000.png`` ... in order."""
    video: Path
    """``video.mp4`` (or ``video.gif`` where OpenCV cannot write MP4)."""
    fps: float
    """The video's frame rate."""
    ply: Path | None = None
    """A 3DGS PLY of one frame, when asked for (GEM renders)."""


def save_frames(folder: str | Path, frames: list[np.ndarray], prefix: str = "frame") -> list[Path]:
    """Write ``[H, W, 3]`` uint8 frames as ``<prefix>_0000.png`` ... (each atomically)."""
    folder = Path(folder)
    return [write_png(folder / f"{prefix}_{i:04d}.png", f) for i, f in enumerate(frames)]


def save_video(path: str | Path, frames: list[np.ndarray], fps: float = 12.0) -> Path:
    """Write ``[H, W, 3]`` uint8 frames as a video; ``.mp4`` uses OpenCV's mp4v codec (checked to work with
    opencv-python-headless), falling back to a ``.gif`` beside it when OpenCV cannot open a writer."""
    path = Path(path)
    if path.suffix.lower() == ".mp4":
        try:
            import cv2
        except ImportError:
            cv2 = None
        if cv2 is not None:
            h, w = frames[0].shape[:2]

            def write(tmp: Path) -> None:
                writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), float(fps), (w, h))
                if not writer.isOpened():
                    raise OSError(f"{path}: OpenCV could not open an mp4v writer")
                for f in frames:
                    writer.write(np.ascontiguousarray(f[..., ::-1]))
                writer.release()

            try:
                return write_atomic(path, write)
            except OSError:
                pass
        path = path.with_suffix(".gif")
    images = [Image.fromarray(f) for f in frames]
    return write_atomic(path, lambda p: images[0].save(p, save_all=True, append_images=images[1:],
                                                       duration=int(1000 / fps), loop=0))
