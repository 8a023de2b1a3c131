"""Test helpers (pytest side): build the extension zip, run a scenario script in a fresh headless Blender.

Two Blenders run every scenario (see :data:`BLENDERS`): the ``bpy`` 5.0.1 module of the project's
Python 3.11 ``.venv`` (the oldest Blender the manifest claims) and ``bpy`` 5.3.0 in ``.venv-blender``
(Python 3.13, native Gaussian splats; made by ``tools/bootstrap.sh``). Each scenario runs in its own subprocess (so add-on registration never leaks into pytest) with a
fresh ``BLENDER_USER_RESOURCES`` folder, no checkout on ``sys.path`` and no ``SYNTHHEADS_*``
variables: it sees only what the zip installs. A failing scenario fails the test with its output.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def _blender53_python() -> Path:
    env = os.environ.get("SYNTHHEADS_BLENDER_PYTHON")
    return Path(env) if env else ROOT / ".venv-blender" / "bin" / "python"


BLENDERS = {"5.0": Path(sys.executable), "5.3": _blender53_python()}
"""Blender version -> the Python interpreter whose ``bpy`` module is that Blender."""


CACHE_VARS = ("XDG_CACHE_HOME", "MPLCONFIGDIR", "TORCH_EXTENSIONS_DIR", "MESA_SHADER_CACHE_DIR")
"""Left unset, as in an artist's Blender: the bundled core's ``cache_env`` would set them if not kept from it."""


def clean_env(user_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "SYNTHHEADS_")) and k not in CACHE_VARS}  # fmt: skip
    env["BLENDER_USER_RESOURCES"] = str(user_dir)
    env.setdefault("OMP_NUM_THREADS", "2")
    return env


def build_zip(out_dir: Path, *extra: str, addon_dir: Path | None = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, str(ROOT / "build_addon.py"), "--out", str(out_dir), *extra]
    if addon_dir is not None:
        cmd += ["--addon-dir", str(addon_dir)]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)


def run_scenario(name: str, workdir: Path, timeout: float = 600, blender: str = "5.0", **args) -> dict:
    """Run ``scenario_<name>.py`` in headless Blender ``blender`` (a key of :data:`BLENDERS`) with ``args``
    (JSON); returns its report.json, after checking that it ran in that Blender."""
    workdir.mkdir(parents=True, exist_ok=True)
    args = {"out": str(workdir), **args}
    cmd = [str(BLENDERS[blender]), "-I", str(HERE / f"scenario_{name}.py"), json.dumps(args)]
    proc = subprocess.run(cmd, cwd=workdir, env=clean_env(workdir / "user"), capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip
    report = workdir / "report.json"
    if proc.returncode != 0 or not report.is_file():
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-40:])
        raise AssertionError(f"scenario {name} failed in Blender {blender} (exit {proc.returncode}):\n{tail}")
    out = json.loads(report.read_text())
    ran = out.get("blender_version", "")
    assert ran.startswith(blender + "."), f"scenario {name} ran in Blender {ran!r}, expected {blender}"
    return out


def addon_source_module(name: str) -> types.ModuleType:
    """Import ``blender_addon/<name>.py`` from the checkout without running the package ``__init__``
    (which registers with bpy): the numpy-only modules then run in plain pytest."""
    pkg_name = "_synthheads_src"
    if pkg_name not in sys.modules:
        pkg = types.ModuleType(pkg_name)
        pkg.__path__ = [str(ROOT / "blender_addon")]
        sys.modules[pkg_name] = pkg
    full = f"{pkg_name}.{name}"
    if full in sys.modules:
        return sys.modules[full]
    spec = importlib.util.spec_from_file_location(full, ROOT / "blender_addon" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[full] = module
    spec.loader.exec_module(module)
    return module
