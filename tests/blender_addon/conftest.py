"""Session fixtures: the extension zip is built once (``build_addon.py``) and shared by the Blender tests;
``blender`` runs each Blender test module once per Blender in ``BLENDERS`` (5.0 and 5.3)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from _addon_gem_fixture import head_gem
from _addon_harness import BLENDERS, build_zip


@pytest.fixture(scope="session")
def addon_zip(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    proc = build_zip(out)
    assert proc.returncode == 0, f"build_addon.py failed:\n{proc.stdout}\n{proc.stderr}"
    zips = sorted(out.glob("synthheads-*.zip"))
    assert len(zips) == 1 and zipfile.is_zipfile(zips[0]), sorted(out.iterdir())
    return zips[0]


@pytest.fixture(scope="session", params=sorted(BLENDERS), ids=lambda v: f"blender{v}")
def blender(request) -> str:
    """The Blender version a scenario runs in (``run_scenario(..., blender=blender)``)."""
    python = BLENDERS[request.param]
    if not python.is_file():
        pytest.skip(f"Blender {request.param}: no interpreter at {python} (tools/bootstrap.sh makes .venv-blender "
                    "with Python 3.13 and bpy 5.3.0)")
    return request.param


@pytest.fixture(scope="session")
def gem():
    """The 2,000-Gaussian test GEM of the Blender GEM scenarios."""
    return head_gem(n=2000)
