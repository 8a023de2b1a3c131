"""Command lines of the add-on's background jobs, checked before they start (no bpy).

Every command runs as ``<backend python> -m synthetic|backend <command> ... --progress json`` in
the project folder (the one holding ``synthetic/`` and ``backend/``), so it needs the project's
interpreter (the add-on preference). Bad settings raise ``synthetic.errors.UserInputError`` with
one line saying what and where, before any process starts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .jobs import JobSpec, log_name, project_dir_for, python_executable_ok

RIGS = {"all": "all", "front": ",".join(f"cam_{i:02d}" for i in range(14))}
"""Camera sets of the SynShot rig by name (the 14 front cameras are cam_00..cam_13)."""


def _error(message: str):
    from synthetic.errors import UserInputError

    return UserInputError(message)


@dataclass
class Backend:
    """Where the backend lives: its interpreter and the project folder (empty: found from the interpreter)."""

    python: str
    project_dir: str = ""

    def resolve(self) -> tuple[str, str]:
        if not self.python:
            raise _error("backend Python: not set; choose the project's .venv/bin/python in the SynthHeads "
                         "add-on preferences")  # fmt: skip
        if not python_executable_ok(self.python):
            raise _error(f"backend Python: {self.python} is not an executable file (add-on preferences)")
        root = project_dir_for(self.python, self.project_dir)
        if not root or not Path(root, "synthetic", "__init__.py").is_file():
            raise _error(f"project folder: no synthetic/ package found for {self.python!r}; set the project "
                         "folder in the SynthHeads add-on preferences")  # fmt: skip
        return self.python, root


@dataclass
class RenderSettings:
    """Render Dataset (``python -m synthetic render``)."""

    output_dir: str
    identities: int = 2
    frames: int = 4
    width: int = 768
    height: int = 512
    samples: int = 64
    rig: str = "all"
    """'all' (28 cameras), 'front' (14) or 'custom' (``cameras``)."""
    cameras: str = ""
    shard_index: int = 0
    shard_count: int = 1
    resume: bool = True
    hair_quality: str = "render"
    device: str = "auto"
    seed: int = 0
    texture_size: int = 1024

    def args(self) -> list[str]:
        if not self.output_dir:
            raise _error("Render Dataset: choose an output folder")
        if self.rig not in (*RIGS, "custom"):
            raise _error(f"Render Dataset: unknown rig {self.rig!r}; use all, front or custom")
        cameras = self.cameras.strip() if self.rig == "custom" else RIGS[self.rig]
        if not cameras:
            raise _error("Render Dataset: the custom rig needs camera names (cam_00..cam_27, comma separated)")
        if not 0 <= self.shard_index < self.shard_count:
            raise _error(f"Render Dataset: shard {self.shard_index} of {self.shard_count} does not exist")
        out = ["-m", "synthetic", "render", "--identities", str(self.identities), "--frames", str(self.frames),
               "--out", os.path.abspath(self.output_dir), "--shard", f"{self.shard_index}/{self.shard_count}",
               "--resolution", f"{self.width}x{self.height}", "--samples", str(self.samples),
               "--cameras", cameras, "--hair-quality", self.hair_quality, "--device", self.device,
               "--seed", str(self.seed), "--texture-size", str(self.texture_size), "--progress", "json"]  # fmt: skip
        return out + (["--resume"] if self.resume else [])


@dataclass
class TrainPriorSettings:
    data_dir: str
    out_dir: str
    config: str = "tiny"

    def args(self) -> list[str]:
        if not self.data_dir or not self.out_dir:
            raise _error("Train Prior: choose the dataset folder and the run folder")
        return ["-m", "backend", "train-prior", "--data", os.path.abspath(self.data_dir), "--config", self.config,
                "--out", os.path.abspath(self.out_dir), "--progress", "json"]  # fmt: skip


PHOTO_MASK_ITEMS = (
    ("head", "Head", "The head and neck; clothing over the neck is ignored, not fitted"),
    ("head-all", "Head, Every Pixel", "The head and neck, collars and all"),
    ("person", "Whole Person", "The whole person mask, shoulders and clothes included"),
)
"""``invert --photo-mask`` choices as Blender enum items (the backend's ``backend.photos.prepare.PHOTO_MASKS``)."""


@dataclass
class InvertSettings:
    prior_path: str
    """Prior run folder or checkpoint; empty: the backend's shipped prior (models/reference_prior.pt)."""
    out_path: str
    """The avatar file to write."""
    images: list[str] = field(default_factory=list)
    photo_mask: str = "head"
    """``invert --photo-mask``: head (clothing over the neck ignored), head-all, person."""

    def args(self) -> list[str]:
        if not self.out_path:
            raise _error("Invert from Photos: choose the avatar file to write")
        if self.photo_mask not in [key for key, _, _ in PHOTO_MASK_ITEMS]:
            raise _error(f"Invert from Photos: unknown photo mask {self.photo_mask!r}")
        if not self.images:
            raise _error("Invert from Photos: choose at least one photo")
        missing = [p for p in self.images if not os.path.isfile(p)]
        if missing:
            raise _error(f"Invert from Photos: photo not found: {missing[0]}")
        if self.prior_path and not os.path.exists(self.prior_path):
            raise _error(f"Invert from Photos: prior not found: {self.prior_path} (leave it empty for the shipped one)")
        images = [os.path.abspath(p) for p in self.images]
        prior = ["--prior", os.path.abspath(self.prior_path)] if self.prior_path else []
        return ["-m", "backend", "invert", *prior, "--images", *images, "--photo-mask", self.photo_mask,
                "--out", os.path.abspath(self.out_path), "--progress", "json"]  # fmt: skip


@dataclass
class DistillSettings:
    avatar_path: str
    out_path: str
    components: int = 30

    def args(self) -> list[str]:
        if not self.avatar_path or not self.out_path:
            raise _error("Distill GEM: choose the avatar file and the .gem file to write")
        if not self.out_path.lower().endswith(".gem"):
            raise _error(f"Distill GEM: the output {self.out_path!r} should end in .gem")
        return ["-m", "backend", "distill-gem", "--avatar", os.path.abspath(self.avatar_path), "--components",
                str(self.components), "--out", os.path.abspath(self.out_path), "--progress", "json"]  # fmt: skip


TITLES = {"render": "Render Dataset", "train-prior": "Train Prior", "invert": "Invert from Photos",
          "distill-gem": "Distill GEM"}  # fmt: skip


def job_spec(kind: str, backend: Backend, args: list[str], log_dir: str, result_path: str | None = None) -> JobSpec:
    """A :class:`JobSpec` for ``kind`` after checking the interpreter and the project folder."""
    python, root = backend.resolve()
    log_path = os.path.join(log_dir, log_name(kind))
    return JobSpec(kind=kind, argv=[python, *args], cwd=root, log_path=log_path, title=TITLES.get(kind, kind),
                   result_path=result_path)  # fmt: skip
