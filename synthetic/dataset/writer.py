"""Writing a dataset: the root manifest once, then identities one by one, ``done.json`` last.

A render job (any shard) does::

    ds = DatasetWriter(root, DatasetSettings(...))        # writes or checks ROOT/dataset.json
    for index in ds.pending(shard_identities(n, "0/4")):  # skips complete identities (--resume)
        w = ds.identity(index)                             # IdentityWriter; refuses a complete one
        w.write_identity({...sampled parameters...})
        w.write_cameras(cameras)                           # cameras.json + transforms.json
        w.write_texture("albedo.png", albedo)
        for f in range(w.n_frames):
            w.write_frame(f, expression, pose, gaze, images={"cam_00": rgba, ...})
            w.write_landmarks(f, view_landmarks)           # when the settings ask for landmarks
        w.finish()                                         # checks every expected file, writes done.json

Several shards may share one root: ``dataset.json`` is identical for all of them (no timestamps) and
a shard whose settings differ is refused. A dataset may grow: settings that differ from the recorded ones only
by a larger ``n_identities`` (identity ``i``'s seed depends on ``(seed_base, i)`` alone, so the identities already
there stay what they are) rewrite ``dataset.json`` with the new count. A recorded head-model fingerprint in its
legacy form (:data:`~synthetic.head.storage.LEGACY_FINGERPRINTS`) counts as the same model and is kept.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .. import camera_convert
from ..errors import UserInputError
from ..head.storage import geometry_fingerprint
from ..rig import RigCamera, RigSettings
from . import layout
from .files import json_roundtrip, read_json, write_json, write_png


class IdentityExistsError(UserInputError, FileExistsError):
    """A complete identity is in the way and overwriting was not asked for."""


def identity_seed(seed_base: int, index: int) -> int:
    """The seed (63-bit, JSON-safe) of identity ``index``: a function of ``(seed_base, index)`` only,
    so any identity can be re-rendered alone on any shard."""
    state = np.random.SeedSequence(int(seed_base), spawn_key=(int(index),)).generate_state(2, np.uint32)
    return (int(state[0]) | (int(state[1]) << 32)) & (2**63 - 1)


@dataclass(frozen=True)
class DatasetSettings:
    """What ``dataset.json`` records about how the dataset was made."""

    n_identities: int
    frames_per_identity: int
    seed_base: int
    head_model_fingerprint: str
    rig: RigSettings = field(default_factory=RigSettings)
    generator: dict = field(default_factory=dict)
    """Generator settings (asset sampler, renderer: samples, lights, ...), JSON-ready."""
    textures: tuple[str, ...] = layout.DEFAULT_TEXTURES
    passes: tuple[str, ...] = ()
    landmarks: bool = False
    """Every frame holds ``landmarks.json`` (per-view 2D landmarks, :mod:`synthetic.dataset.landmarks`)."""
    landmark_fingerprint: str | None = None
    """The head model's landmark-table fingerprint the ``landmarks.json`` files were projected with."""

    def to_json(self) -> dict:
        extra = {"landmarks": True} if self.landmarks else {}  # absent when off: older roots still resume
        if self.landmark_fingerprint:
            extra["landmark_fingerprint"] = str(self.landmark_fingerprint)
        return {
            "n_identities": int(self.n_identities),
            "frames_per_identity": int(self.frames_per_identity),
            "seed_base": int(self.seed_base),
            "head_model_fingerprint": str(self.head_model_fingerprint),
            "rig": self.rig.to_dict(),
            "generator": self.generator,
            "textures": list(self.textures),
            "passes": list(self.passes),
            **extra,
        }


def _same_model(recorded: str | None, current: str | None) -> bool:
    """Whether two head-model fingerprints name the same geometry (either may be in its legacy form)."""
    return geometry_fingerprint(recorded) == geometry_fingerprint(current)


def write_landmarks_file(identity_dir: Path, frame: int, view) -> Path:
    """``identity_dir/frame_XXXX/landmarks.json`` from a :class:`~synthetic.dataset.landmarks.ViewLandmarks`
    (one compact line; written atomically)."""
    body = {"frame": int(frame), **view.to_json()}
    return write_json(Path(identity_dir) / layout.frame_dir(frame) / layout.LANDMARKS_JSON, "landmarks", body,
                      indent=None)


class DatasetWriter:
    """Writes (or, when it exists with the same settings, adopts) the dataset at ``root``."""

    def __init__(self, root: str | Path, settings: DatasetSettings):
        self.root = Path(root)
        self.settings = settings
        for p in settings.passes:
            layout.pass_file("cam", p)  # raises on an unknown pass
        path = self.root / layout.DATASET_JSON
        body = settings.to_json()
        if path.exists():
            old = read_json(path, "dataset")
            old_body = layout.unstamp(old)
            new_body = json_roundtrip(body)
            diff = sorted(k for k in set(old_body) | set(new_body) if old_body.get(k) != new_body.get(k))
            if "head_model_fingerprint" in diff and _same_model(old_body.get("head_model_fingerprint"),
                                                                new_body.get("head_model_fingerprint")):
                # the recorded (legacy) form of the same model stays
                self.settings = replace(self.settings, head_model_fingerprint=old_body["head_model_fingerprint"])
                diff.remove("head_model_fingerprint")
            grows = diff == ["n_identities"] and int(new_body["n_identities"]) > int(old_body["n_identities"])
            if grows:
                write_json(path, "dataset", self.settings.to_json())
            elif diff:
                raise UserInputError(f"{path}: exists with different settings ({', '.join(diff)}); "
                                     "use a new dataset root or the same settings (only --identities may grow)")
        else:
            write_json(path, "dataset", body)

    def identity_path(self, index: int) -> Path:
        return self.root / layout.identity_dir(index)

    def is_complete(self, index: int) -> bool:
        return layout.is_complete(self.identity_path(index))

    def pending(self, indices) -> list[int]:
        """The indices among ``indices`` that are not complete yet (what ``--resume`` renders)."""
        return [int(i) for i in indices if not self.is_complete(i)]

    def identity(self, index: int, overwrite: bool = False, n_frames: int | None = None) -> IdentityWriter:
        """Writer for identity ``index``. A complete identity raises :class:`IdentityExistsError` unless
        ``overwrite``, which deletes it (``done.json`` first). An incomplete one is written over."""
        if not 0 <= index < self.settings.n_identities:
            raise UserInputError(f"identity index {index} outside 0..{self.settings.n_identities - 1}")
        path = self.identity_path(index)
        if layout.is_complete(path):
            if not overwrite:
                raise IdentityExistsError(f"{path}: identity is complete; pass overwrite to render it again")
            (path / layout.DONE_JSON).unlink()
            shutil.rmtree(path)
        frames = self.settings.frames_per_identity if n_frames is None else int(n_frames)
        return IdentityWriter(path, index, identity_seed(self.settings.seed_base, index), frames,
                              self.settings.textures, self.settings.passes, self.settings.landmarks)


class IdentityWriter:
    """Writes the files of one identity folder (see :mod:`synthetic.dataset.layout`)."""

    def __init__(self, path: Path, index: int, seed: int, n_frames: int, textures, passes, landmarks: bool = False):
        self.path, self.index, self.seed, self.n_frames = Path(path), int(index), int(seed), int(n_frames)
        self.textures, self.passes, self.landmarks = tuple(textures), tuple(passes), bool(landmarks)
        self.cameras: list[str] | None = None
        self.size: tuple[int, int] | None = None

    def write_identity(self, params: dict) -> Path:
        """``identity.json``: the seed, ``n_frames`` and every sampled parameter (arrays become lists)."""
        body = {"index": self.index, "seed": self.seed, "n_frames": self.n_frames, **params}
        return write_json(self.path / layout.IDENTITY_JSON, "identity", body)

    def write_cameras(self, cameras: list[RigCamera]) -> None:
        """``cameras.json`` (OpenCV K, w2c) and ``transforms.json`` (nerfstudio, OpenGL c2w)."""
        if not cameras:
            raise ValueError("write_cameras: no cameras")
        w, h = cameras[0].width, cameras[0].height
        if any((c.width, c.height) != (w, h) for c in cameras):
            raise ValueError("write_cameras: every camera of an identity must have the same image size")
        self.cameras, self.size = [c.name for c in cameras], (w, h)
        write_json(self.path / layout.CAMERAS_JSON, "cameras",
                   {"width": w, "height": h, "cameras": [c.to_json() for c in cameras]})
        frames = []
        for f in range(self.n_frames):
            for c in cameras:
                frames.append({
                    "file_path": f"{layout.frame_dir(f)}/{layout.image_file(c.name)}",
                    "transform_matrix": camera_convert.opencv_w2c_to_opengl_c2w(c.w2c).tolist(),
                    "fl_x": float(c.K[0, 0]), "fl_y": float(c.K[1, 1]),
                    "cx": float(c.K[0, 2]), "cy": float(c.K[1, 2]), "w": w, "h": h,
                    "camera": c.name, "frame": f,
                })  # fmt: skip
        body = {"camera_model": "OPENCV", "k1": 0.0, "k2": 0.0, "p1": 0.0, "p2": 0.0, "frames": frames}
        write_json(self.path / layout.TRANSFORMS_JSON, "transforms", body, indent=None)

    def write_texture(self, name: str, image: np.ndarray) -> Path:
        """``textures/<name>``: ``[R, R, 3]`` RGB or ``[R, R]`` mask (bool -> 0/255); row 0 = top = v 1."""
        a = np.asarray(image)
        if a.dtype == bool:
            a = a.astype(np.uint8) * 255
        return write_png(self.path / layout.texture_file(name), a)

    def write_frame(self, frame: int, expression, pose, gaze=None, images: dict | None = None, **extra) -> Path:
        """``frame_XXXX/frame.json`` (expression ``[E]``, pose ``[J, 3]`` rad, gaze) and any ``images``."""
        if not 0 <= frame < self.n_frames:
            raise ValueError(f"frame {frame} outside 0..{self.n_frames - 1}")
        body = {"frame": int(frame), "expression": np.asarray(expression, dtype=np.float64),
                "pose": np.asarray(pose, dtype=np.float64), "gaze": None if gaze is None else np.asarray(gaze), **extra}
        out = write_json(self.path / layout.frame_dir(frame) / layout.FRAME_JSON, "frame", body)
        for cam, image in (images or {}).items():
            self.write_image(frame, cam, image)
        return out

    def write_landmarks(self, frame: int, view) -> Path:
        """``frame_XXXX/landmarks.json`` from a :class:`~synthetic.dataset.landmarks.ViewLandmarks` that
        covers exactly the identity's cameras."""
        if not 0 <= frame < self.n_frames:
            raise ValueError(f"frame {frame} outside 0..{self.n_frames - 1}")
        if self.cameras is not None and tuple(view.cameras) != tuple(self.cameras):
            raise ValueError(f"write_landmarks: cameras {view.cameras} differ from cameras.json {self.cameras}")
        return write_landmarks_file(self.path, frame, view)

    def image_path(self, frame: int, camera: str) -> Path:
        return self.path / layout.frame_dir(frame) / layout.image_file(camera)

    def pass_path(self, frame: int, camera: str, kind: str) -> Path:
        """Where the renderer must put an EXR pass (it writes it itself, to a temp name then renames)."""
        return self.path / layout.frame_dir(frame) / layout.pass_file(camera, kind)

    def write_image(self, frame: int, camera: str, rgba: np.ndarray) -> Path:
        """One RGBA image ``[H, W, 4]`` (float in [0, 1] sRGB-encoded, or uint8); alpha = foreground."""
        a = np.asarray(rgba)
        if a.ndim != 3 or a.shape[2] != 4:
            raise ValueError(f"write_image: expected [H, W, 4] RGBA, got {a.shape}")
        if self.size is not None and a.shape[:2] != (self.size[1], self.size[0]):
            raise ValueError(f"write_image: {camera} is {a.shape[1]}x{a.shape[0]}, cameras say "
                             f"{self.size[0]}x{self.size[1]}")
        return write_png(self.image_path(frame, camera), a)

    def expected_files(self) -> list[str]:
        if self.cameras is None:
            data = read_json(self.path / layout.CAMERAS_JSON, "cameras")
            self.cameras = [c["name"] for c in data["cameras"]]
        return layout.expected_identity_files(self.n_frames, self.cameras, self.textures, self.passes,
                                              self.landmarks)

    def missing(self) -> list[str]:
        """Expected files not written yet (relative posix paths)."""
        return [f for f in self.expected_files() if not (self.path / f).is_file()]

    def finish(self, **extra) -> Path:
        """Write ``done.json`` once every expected file exists; ``UserInputError`` listing the missing ones."""
        missing = self.missing()
        if missing:
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            raise UserInputError(f"{self.path}: cannot finish, missing {', '.join(missing[:5])}{more}")
        body = {"index": self.index, "seed": self.seed, "n_frames": self.n_frames, "n_cameras": len(self.cameras),
                "finished_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **extra}
        return write_json(self.path / layout.DONE_JSON, "done", body)
