"""``build_addon.py``: the zip it writes, and the broken packages it refuses to write."""

from __future__ import annotations

import shutil
import tomllib
import zipfile

import pytest
from _addon_harness import ROOT, build_zip

SOURCE_MANIFEST = tomllib.loads((ROOT / "blender_addon" / "blender_manifest.toml").read_text())


def test_zip_layout_and_manifest(addon_zip):
    version = SOURCE_MANIFEST["version"]
    assert addon_zip.name == f"synthheads-{version}.zip"
    with zipfile.ZipFile(addon_zip) as z:
        names = set(z.namelist())
        manifest = tomllib.loads(z.read("blender_manifest.toml").decode())
        vendored = {n: z.read(f"_vendor/{n}") for n in ("bpy_data.py", "materials.py")}
        with z.open(f"wheels/synthheads_core-{version}-py3-none-any.whl") as f, zipfile.ZipFile(f) as w:
            wheel = set(w.namelist())
            head_model = w.getinfo("synthetic/head/data/head_model.npz").file_size
    assert manifest["id"] == "synthheads" and manifest["version"] == version
    assert manifest["blender_version_min"] == "5.0.0" and manifest["schema_version"] == "1.0.0"
    assert set(manifest["permissions"]) == {"files"}
    assert manifest["wheels"] == [f"./wheels/synthheads_core-{version}-py3-none-any.whl"]
    addon_files = {p.name for p in (ROOT / "blender_addon").glob("*.py")}
    assert addon_files <= names and "blender_manifest.toml" in names
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names | wheel)
    # vendored unchanged
    assert vendored["materials.py"] == (ROOT / "synthetic/blender/materials.py").read_bytes()
    # the core: numpy-only modules and the head model, nothing that needs bpy or scipy
    assert not any(n.startswith("_vendor/ply") for n in names)  # the PLY layout ships in the core wheel
    assert {"synthetic/__init__.py", "synthetic/formats/gem.py", "synthetic/formats/ply.py", "synthetic/head/model.py",
            "synthetic/assets/identity.py"} <= wheel  # fmt: skip
    assert head_model > 1_000_000
    assert not any(n.startswith(("synthetic/blender/", "synthetic/head/build/")) for n in wheel)
    assert "synthetic/head/template.py" not in wheel


def _addon_copy(tmp_path):
    src = tmp_path / "addon"
    shutil.copytree(ROOT / "blender_addon", src, ignore=shutil.ignore_patterns("__pycache__"))
    return src


@pytest.mark.parametrize("old, new, message", [
    ('id = "synthheads"', 'id = "other"', "id is 'other', expected 'synthheads'"),
    ('\nversion = "', '\nversion = "v', "is not MAJOR.MINOR.PATCH"),
    ('blender_version_min = "5.0.0"', 'blender_version_min = "4.1.0"', "extensions need 4.2.0 or newer"),
    ("[permissions]", '[permissions]\nnetwork = "Talks to a server"', "the add-on needs only ['files']"),
    ('tagline = "', 'tagline_typo = "', "missing key(s) tagline"),
    ("[build]", "[build\n", "not valid TOML"),
])  # fmt: skip
def test_broken_manifests_are_refused(tmp_path, old, new, message):
    src = _addon_copy(tmp_path)
    manifest = src / "blender_manifest.toml"
    text = manifest.read_text()
    assert old in text
    manifest.write_text(text.replace(old, new, 1))
    proc = build_zip(tmp_path / "dist", addon_dir=src)
    assert proc.returncode == 1 and message in proc.stderr, proc.stderr
    assert not list((tmp_path / "dist").glob("*.zip")) if (tmp_path / "dist").exists() else True


def test_blender_validation_is_applied(tmp_path):
    """Blender's own validator runs: a tagline over 64 characters passes our checks but not Blender's."""
    src = _addon_copy(tmp_path)
    manifest = src / "blender_manifest.toml"
    text = manifest.read_text()
    start = text.index('tagline = "')
    end = text.index("\n", start)
    manifest.write_text(text[:start] + 'tagline = "' + "x" * 80 + '"' + text[end:])
    proc = build_zip(tmp_path / "dist", addon_dir=src)
    assert proc.returncode == 1 and "tagline" in proc.stderr and "64" in proc.stderr, proc.stderr
    assert not list((tmp_path / "dist").glob("*.zip"))


def test_an_addon_that_needs_scipy_is_refused(tmp_path):
    """The smoke test installs the zip in a fresh Blender with scipy blocked: importing it must fail the build."""
    src = _addon_copy(tmp_path)
    ops = src / "ops_head.py"
    ops.write_text(ops.read_text().replace("import bpy\n", "import bpy\nimport scipy.spatial  # not in Blender\n", 1))
    proc = build_zip(tmp_path / "dist", addon_dir=src)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "failed to install, enable or import" in proc.stderr and "scipy" in proc.stderr, proc.stderr
    assert not list((tmp_path / "dist").glob("*.zip"))
