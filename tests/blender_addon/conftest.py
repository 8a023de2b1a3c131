"""Session fixtures: the extension zip is built once (``build_addon.py``) and shared by the Blender tests."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from _addon_harness import build_zip


@pytest.fixture(scope="session")
def addon_zip(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    proc = build_zip(out)
    assert proc.returncode == 0, f"build_addon.py failed:\n{proc.stdout}\n{proc.stderr}"
    zips = sorted(out.glob("synthheads-*.zip"))
    assert len(zips) == 1 and zipfile.is_zipfile(zips[0]), sorted(out.iterdir())
    return zips[0]
