"""Names, paths and version stamps of the SynthHeads dataset format (one place for every file name).

On-disk layout (``ROOT`` = dataset root; identity and frame numbers are zero-padded)::

    ROOT/
      dataset.json                      format, version, generator settings, head-model fingerprint,
                                        rig settings, counts, seed base, texture and pass names
      id_00000/
        identity.json                   seed, every sampled parameter (shape, assets, ...), n_frames
        cameras.json                    width, height, [{name, group, K, w2c}] (OpenCV, m, pixels)
        transforms.json                 nerfstudio layout (OpenGL c2w), one entry per frame x camera
        textures/albedo.png             RGB, row 0 = top = v 1 (UV (0, 0) is the bottom-left texel)
        textures/backprojected.png      RGB, back-projected renders (:mod:`synthetic.backproject`)
        textures/backprojected_mask.png L, 255 where a view saw the texel
        frame_0000/
          frame.json                    frame index, expression, pose, gaze
          landmarks.json                per camera: the head model's landmarks in pixels and a
                                        visibility flag; the iBUG-68 subset's rows (when
                                        dataset.json has "landmarks": true)
          cam_00.png ... cam_27.png     RGBA 8-bit sRGB, alpha = foreground mask
          cam_00_depth.exr ...          optional linear passes (names from :func:`pass_file`)
        ...
        done.json                       written last: the identity is complete

Every JSON carries ``format`` (:data:`FORMAT`), ``version`` (:data:`VERSION`), ``content`` (which
file it is) and ``synthetic_version`` (the producing package).
"""

from __future__ import annotations

from pathlib import Path

FORMAT = "synthheads-dataset"
VERSION = 1

DATASET_JSON = "dataset.json"
IDENTITY_JSON = "identity.json"
CAMERAS_JSON = "cameras.json"
TRANSFORMS_JSON = "transforms.json"
FRAME_JSON = "frame.json"
DONE_JSON = "done.json"
LANDMARKS_JSON = "landmarks.json"
TEXTURE_DIR = "textures"

DEFAULT_TEXTURES = ("albedo.png", "backprojected.png", "backprojected_mask.png")
"""Texture files every identity has unless ``dataset.json`` lists others."""
PASSES = ("depth", "normal", "seg")
"""Optional linear EXR passes: depth (m along the optical axis), normal (world, unit), seg (region index)."""


def identity_dir(index: int) -> str:
    """Folder name of identity ``index``: ``id_00000``."""
    return f"id_{int(index):05d}"


def parse_identity_dir(name: str) -> int | None:
    """Index from an identity folder name, or None when ``name`` is not one."""
    if len(name) == 8 and name.startswith("id_") and name[3:].isdigit():
        return int(name[3:])
    return None


def frame_dir(frame: int) -> str:
    """Folder name of frame ``frame`` inside an identity: ``frame_0000``."""
    return f"frame_{int(frame):04d}"


def image_file(camera: str) -> str:
    """RGBA image of ``camera`` inside a frame folder: ``cam_00.png``."""
    return f"{camera}.png"


def pass_file(camera: str, kind: str) -> str:
    """Linear pass ``kind`` (one of :data:`PASSES`) of ``camera``: ``cam_00_depth.exr``."""
    if kind not in PASSES:
        raise ValueError(f"unknown pass {kind!r}; passes are {PASSES}")
    return f"{camera}_{kind}.exr"


def texture_file(name: str) -> str:
    """Path of a texture relative to the identity folder: ``textures/albedo.png``."""
    return f"{TEXTURE_DIR}/{name}"


def expected_identity_files(n_frames: int, cameras: list[str] | tuple[str, ...],
                            textures: tuple[str, ...] = DEFAULT_TEXTURES, passes: tuple[str, ...] = (),
                            landmarks: bool = False) -> list[str]:
    """Every file a complete identity holds besides ``done.json``, relative to its folder (posix paths).

    ``landmarks``: the frames hold ``landmarks.json`` (datasets whose ``dataset.json`` says so).

    ``--resume`` and ``validate`` both use this list; ``done.json`` is written only once all exist.
    """
    files = [IDENTITY_JSON, CAMERAS_JSON, TRANSFORMS_JSON] + [texture_file(t) for t in textures]
    for f in range(n_frames):
        d = frame_dir(f)
        files.append(f"{d}/{FRAME_JSON}")
        if landmarks:
            files.append(f"{d}/{LANDMARKS_JSON}")
        for cam in cameras:
            files.append(f"{d}/{image_file(cam)}")
            files.extend(f"{d}/{pass_file(cam, k)}" for k in passes)
    return files


def stamp(content: str, body: dict) -> dict:
    """``body`` with the format header first: format, version, content, synthetic_version."""
    from .. import __version__

    return {"format": FORMAT, "version": VERSION, "content": content, "synthetic_version": __version__, **body}


def unstamp(data: dict) -> dict:
    """``data`` without the format header that :func:`stamp` puts first (what two writers compare)."""
    return {k: v for k, v in data.items() if k not in ("format", "version", "content", "synthetic_version")}


def is_complete(identity_path: str | Path) -> bool:
    """True when the identity folder has its ``done.json`` (the last file written)."""
    return (Path(identity_path) / DONE_JSON).is_file()
