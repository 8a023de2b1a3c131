"""Reading a dataset: ``Dataset(root)`` -> complete identities -> cameras, frames, images, textures.

Every problem is a :class:`~synthetic.errors.UserInputError` that names the file (missing, corrupt,
wrong format version, wrong shape). Arrays: cameras OpenCV (``K`` ``[C, 3, 3]`` pixels, ``w2c``
``[C, 4, 4]`` m), images float32 ``[H, W, 4]`` in [0, 1] (sRGB-encoded colour, alpha = foreground),
row 0 = top. ``python -m synthetic validate ROOT`` checks a whole dataset; this module reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from ..errors import UserInputError
from ..rig import RigCamera, RigSettings
from . import layout
from .files import read_json, read_png, require
from .landmarks import ViewLandmarks, parse_landmarks


@dataclass(frozen=True)
class Cameras:
    """The cameras of one identity. ``K`` ``[C, 3, 3]`` pixels; ``w2c`` ``[C, 4, 4]`` OpenCV world-to-camera."""

    names: tuple[str, ...]
    groups: tuple[str, ...]
    K: np.ndarray = field(repr=False)
    w2c: np.ndarray = field(repr=False)
    width: int
    height: int

    def __len__(self) -> int:
        return len(self.names)

    def rig(self) -> list[RigCamera]:
        """The cameras as :class:`~synthetic.rig.RigCamera` objects (what projection code takes)."""
        return [RigCamera(n, g, self.K[i], self.w2c[i], self.width, self.height)
                for i, (n, g) in enumerate(zip(self.names, self.groups, strict=True))]

    def index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise UserInputError(f"unknown camera {name!r}; cameras are {', '.join(self.names)}") from None


def parse_cameras(data: dict, path: str | Path) -> Cameras:
    """Build :class:`Cameras` from the content of a ``cameras.json``; ``UserInputError`` naming ``path``."""
    require(data, path, "width", "height", "cameras")
    try:
        width, height = int(data["width"]), int(data["height"])
        cams = data["cameras"]
        names = tuple(str(c["name"]) for c in cams)
        groups = tuple(str(c.get("group", "")) for c in cams)
        K = np.array([c["K"] for c in cams], dtype=np.float64).reshape(len(cams), 3, 3)
        w2c = np.array([c["w2c"] for c in cams], dtype=np.float64).reshape(len(cams), 4, 4)
    except (KeyError, TypeError, ValueError) as exc:
        raise UserInputError(f"{path}: malformed camera list ({type(exc).__name__}: {exc})") from None
    if not cams:
        raise UserInputError(f"{path}: no cameras")
    if len(set(names)) != len(names):
        raise UserInputError(f"{path}: camera names are not unique")
    if not (np.all(np.isfinite(K)) and np.all(np.isfinite(w2c))):
        raise UserInputError(f"{path}: non-finite camera values")
    return Cameras(names, groups, K, w2c, width, height)


@dataclass(frozen=True)
class Frame:
    """One frame: ``expression`` ``[E]``, ``pose`` ``[J, 3]`` axis-angle (rad), ``gaze`` or None, raw ``data``."""

    index: int
    expression: np.ndarray
    pose: np.ndarray
    gaze: np.ndarray | None
    data: dict = field(repr=False)


def image_to_float(a: np.ndarray, path: str | Path, width: int | None = None, height: int | None = None) -> np.ndarray:
    """uint8 RGBA ``[H, W, 4]`` -> float32 in [0, 1]; ``UserInputError`` on another layout or size."""
    if a.ndim != 3 or a.shape[2] != 4:
        raise UserInputError(f"{path}: expected an RGBA image, found shape {a.shape}")
    if width is not None and a.shape[:2] != (height, width):
        raise UserInputError(f"{path}: image is {a.shape[1]}x{a.shape[0]}, cameras.json says {width}x{height}")
    return a.astype(np.float32) / 255.0


class Identity:
    """One complete identity folder (read lazily)."""

    def __init__(self, path: str | Path, index: int, textures: tuple[str, ...] = layout.DEFAULT_TEXTURES,
                 passes: tuple[str, ...] = (), landmarks: bool = False):
        self.path, self.index = Path(path), int(index)
        self.textures, self.passes, self.has_landmarks = tuple(textures), tuple(passes), bool(landmarks)

    @cached_property
    def params(self) -> dict:
        """Everything ``identity.json`` holds (seed, n_frames, shape, asset choices, ...)."""
        path = self.path / layout.IDENTITY_JSON
        data = read_json(path, "identity")
        require(data, path, "seed", "n_frames")
        return data

    @property
    def seed(self) -> int:
        return int(self.params["seed"])

    @property
    def n_frames(self) -> int:
        return int(self.params["n_frames"])

    @property
    def shape(self) -> np.ndarray | None:
        """Head-model identity coefficients ``[S]`` (m), when ``identity.json`` stores ``shape``."""
        return None if self.params.get("shape") is None else np.asarray(self.params["shape"], dtype=np.float64)

    @cached_property
    def cameras(self) -> Cameras:
        path = self.path / layout.CAMERAS_JSON
        return parse_cameras(read_json(path, "cameras"), path)

    def frame(self, frame: int) -> Frame:
        path = self.path / layout.frame_dir(frame) / layout.FRAME_JSON
        data = read_json(path, "frame")
        require(data, path, "expression", "pose")
        try:
            expression = np.asarray(data["expression"], dtype=np.float64).reshape(-1)
            pose = np.asarray(data["pose"], dtype=np.float64).reshape(-1, 3)
            gaze = None if data.get("gaze") is None else np.asarray(data["gaze"], dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise UserInputError(f"{path}: malformed expression/pose ({exc})") from None
        return Frame(int(data.get("frame", frame)), expression, pose, gaze, data)

    def landmarks(self, frame: int) -> ViewLandmarks:
        """Per-view 2D landmarks of ``frame``: ``xy`` ``[C, L, 2]`` px, ``visible`` ``[C, L]``, cameras in
        ``cameras.names`` order (see :mod:`synthetic.dataset.landmarks`)."""
        path = self.path / layout.frame_dir(frame) / layout.LANDMARKS_JSON
        if not self.has_landmarks and not path.is_file():
            raise UserInputError(f"{self.path}: this dataset has no per-view landmarks (rendered before they "
                                 "were written); render it again to get them")
        return parse_landmarks(read_json(path, "landmarks"), path, self.cameras.names)

    def image_path(self, frame: int, camera: str | int) -> Path:
        name = self.cameras.names[camera] if isinstance(camera, int | np.integer) else camera
        return self.path / layout.frame_dir(frame) / layout.image_file(name)

    def image(self, frame: int, camera: str | int) -> np.ndarray:
        """float32 ``[H, W, 4]`` RGBA in [0, 1] of one camera (``name`` or index)."""
        path = self.image_path(frame, camera)
        return image_to_float(read_png(path), path, self.cameras.width, self.cameras.height)

    def images(self, frame: int) -> np.ndarray:
        """float32 ``[C, H, W, 4]``, cameras in ``cameras.names`` order."""
        return np.stack([self.image(frame, name) for name in self.cameras.names])

    def pass_path(self, frame: int, camera: str, kind: str) -> Path:
        """Path of an EXR pass (``kind`` in :data:`layout.PASSES`); decoding EXR is left to the caller."""
        return self.path / layout.frame_dir(frame) / layout.pass_file(camera, kind)

    def texture(self, name: str) -> np.ndarray:
        """float32 texture in [0, 1]: ``[R, R, 3]`` (RGB) or ``[R, R]`` (mask); row 0 = top = v 1."""
        return read_png(self.path / layout.texture_file(name)).astype(np.float32) / 255.0


class Dataset:
    """A dataset root. ``identities`` lists the complete identities (those with ``done.json``)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        if not self.root.is_dir():
            raise UserInputError(f"{self.root}: dataset folder not found")
        path = self.root / layout.DATASET_JSON
        self.manifest = read_json(path, "dataset")
        require(self.manifest, path, "n_identities", "frames_per_identity", "seed_base", "head_model_fingerprint",
                "rig")
        self.textures = tuple(self.manifest.get("textures", layout.DEFAULT_TEXTURES))
        self.passes = tuple(self.manifest.get("passes", ()))
        self.has_landmarks = bool(self.manifest.get("landmarks", False))

    @property
    def n_identities(self) -> int:
        """Identities the dataset is meant to have (complete or not)."""
        return int(self.manifest["n_identities"])

    @property
    def head_model_fingerprint(self) -> str:
        return str(self.manifest["head_model_fingerprint"])

    @property
    def rig(self) -> RigSettings:
        return RigSettings.from_dict(self.manifest["rig"])

    def identity_folders(self) -> dict[int, Path]:
        """Every ``id_XXXXX`` folder present, complete or not, by index."""
        found = {}
        for p in self.root.iterdir():
            i = layout.parse_identity_dir(p.name)
            if i is not None and p.is_dir():
                found[i] = p
        return dict(sorted(found.items()))

    @property
    def identities(self) -> list[int]:
        """Indices of the complete identities, ascending."""
        return [i for i, p in self.identity_folders().items() if layout.is_complete(p)]

    @property
    def incomplete(self) -> list[int]:
        """Indices of identity folders without ``done.json`` (interrupted or in progress)."""
        return [i for i, p in self.identity_folders().items() if not layout.is_complete(p)]

    def identity(self, index: int) -> Identity:
        path = self.root / layout.identity_dir(index)
        if not layout.is_complete(path):
            state = "incomplete (no done.json)" if path.is_dir() else "missing"
            raise UserInputError(f"{path}: identity {index} is {state}")
        return Identity(path, index, self.textures, self.passes, self.has_landmarks)

    def __len__(self) -> int:
        return len(self.identities)

    def __iter__(self):
        return (self.identity(i) for i in self.identities)
