"""Build the SynthHeads Blender extension: ``python build_addon.py`` -> ``dist/synthheads-<version>.zip``.

The zip holds:

* the add-on package (``blender_addon/``), with ``blender_manifest.toml`` (the one source of the
  version) completed by a ``wheels`` entry;
* ``_vendor/``: modules the add-on bundles unchanged from the rest of the repository (they import only
  bpy, numpy, the standard library and each other): ``synthetic/blender/{bpy_data,materials}.py`` (the
  renderer's image, mesh, hair and material builders, so the add-on's heads look like the dataset's);
* ``wheels/synthheads_core-<version>-py3-none-any.whl``: the numpy-only ``synthetic`` core (without
  ``synthetic/blender`` and the scipy-only model build; with the file formats of ``synthetic/formats``:
  ``.gem``, 3DGS PLY, GEM coefficient sequences) plus the built head model
  ``synthetic/head/data/head_model.npz``. Blender installs the wheel when the extension is enabled.

Steps, each refusing to go on (exit 1, one line saying what is wrong) when it fails: check the
manifest; check the vendored modules' imports; build the head model when the checkout cache lacks
it (``python -m synthetic.head.build``, needs scipy); stage; run Blender's own extension builder
and validator (``blender_ext.py build``/``validate`` of the installed ``bpy`` module, or ``blender
--command extension ...`` with ``--blender``); check the zip's contents; install and enable the zip
in a fresh Blender user folder with scipy, PIL and torch blocked, import every bundled module, load
the head model and compare its fingerprint with the checkout's. A failed check deletes the zip.
"""

from __future__ import annotations

import argparse
import ast
import base64
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
ADDON_ID = "synthheads"
CORE_DIST = "synthheads_core"
VENDOR = {"bpy_data.py": "synthetic/blender/bpy_data.py", "materials.py": "synthetic/blender/materials.py"}
"""``_vendor/<name>`` in the zip <- repository file, copied unchanged."""
CORE_EXCLUDE = ("synthetic/blender/", "synthetic/head/build/", "synthetic/head/template.py", "synthetic/head/data/")
"""Left out of the core wheel: bpy code (vendored selectively above) and the scipy-only model build."""
HEAD_MODEL_IN_WHEEL = "synthetic/head/data/head_model.npz"
BLOCKED_IN_BLENDER = ("scipy", "PIL", "torch", "torchvision", "gsplat", "matplotlib", "mediapipe", "cv2", "backend")
PERMISSIONS_ALLOWED = {"files"}
REQUIRED_MANIFEST = ("schema_version", "id", "version", "name", "tagline", "maintainer", "type",
                     "blender_version_min", "license")  # fmt: skip
SEMVER = re.compile(r"^\d+\.\d+\.\d+$")
STDLIB = frozenset(sys.stdlib_module_names)
BLENDER_MODULES = frozenset({"bpy", "bpy_extras", "mathutils", "gpu", "gpu_extras", "bmesh", "blf", "bl_math"})


class BuildError(Exception):
    """A check failed; the message says what and where."""


# ----------------------------------------------------------------------------- checks
def read_manifest(addon_dir: Path) -> dict:
    path = addon_dir / "blender_manifest.toml"
    if not path.is_file():
        raise BuildError(f"{path}: missing (every Blender extension needs a blender_manifest.toml)")
    try:
        manifest = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BuildError(f"{path}: not valid TOML ({exc})") from None
    missing = [k for k in REQUIRED_MANIFEST if k not in manifest]
    if missing:
        raise BuildError(f"{path}: missing key(s) {', '.join(missing)}")
    checks = [
        (manifest["id"] == ADDON_ID, f"id is {manifest['id']!r}, expected {ADDON_ID!r}"),
        (manifest["schema_version"] == "1.0.0", f"schema_version {manifest['schema_version']!r}, expected '1.0.0'"),
        (manifest["type"] == "add-on", f"type {manifest['type']!r}, expected 'add-on'"),
        (bool(SEMVER.match(str(manifest["version"]))), f"version {manifest['version']!r} is not MAJOR.MINOR.PATCH"),
        (bool(SEMVER.match(str(manifest["blender_version_min"])))
         and tuple(map(int, str(manifest["blender_version_min"]).split("."))) >= (4, 2, 0),
         f"blender_version_min {manifest['blender_version_min']!r}: extensions need 4.2.0 or newer"),
        ("wheels" not in manifest, "declares 'wheels'; build_addon.py adds the core wheel itself"),
        (set(manifest.get("permissions", {})) <= PERMISSIONS_ALLOWED,
         f"permissions {sorted(manifest.get('permissions', {}))}: the add-on needs only {sorted(PERMISSIONS_ALLOWED)}"),
    ]  # fmt: skip
    for ok, problem in checks:
        if not ok:
            raise BuildError(f"{path}: {problem}")
    return manifest


def check_vendored_imports(root: Path) -> None:
    """Vendored files may import only stdlib, Blender modules, numpy and each other (relatively)."""
    for name, rel in VENDOR.items():
        path = root / rel
        if not path.is_file():
            raise BuildError(f"{rel}: missing (vendored into the add-on as _vendor/{name})")
        tree = ast.parse(path.read_bytes(), filename=rel)
        for node in ast.walk(tree):
            mods = []
            if isinstance(node, ast.Import):
                mods = [(a.name, 0) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                mods = [(node.module or "", node.level)]
            for mod, level in mods:
                top = mod.split(".")[0]
                if level == 1 and f"{top}.py" in VENDOR:
                    continue
                if level == 0 and (top in STDLIB or top in BLENDER_MODULES or top == "numpy" or top == "__future__"):
                    continue
                raise BuildError(f"{rel}:{node.lineno}: imports {'.' * level}{mod!r}; a vendored module may import "
                                 f"only stdlib, bpy, numpy and the other vendored files {sorted(VENDOR)}")  # fmt: skip


def head_model_file(python: str) -> Path:
    """The checkout's built head model (built now when the cache lacks it)."""
    sys.path.insert(0, str(ROOT))
    try:
        from synthetic.head import storage
    finally:
        sys.path.pop(0)
    path = storage.cache_path()
    if not path.is_file():
        print(f"building the head model into {path} (python -m synthetic.head.build, needs scipy)", flush=True)
        proc = subprocess.run([python, "-m", "synthetic.head.build"], cwd=ROOT, capture_output=True, text=True)
        if proc.returncode != 0 or not path.is_file():
            raise BuildError(f"head model build failed (exit {proc.returncode}): {proc.stderr.strip()[-800:]}")
    storage.read_arrays(path)  # a readable model of the current format
    return path


# ----------------------------------------------------------------------------- staging
def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def core_files(root: Path) -> list[tuple[str, Path]]:
    """(archive name, file) of the numpy-only core: synthetic/**/*.py minus :data:`CORE_EXCLUDE`."""
    out = []
    for path in sorted((root / "synthetic").rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if "__pycache__" in rel or any(rel.startswith(x) or rel == x for x in CORE_EXCLUDE):
            continue
        out.append((rel, path))
    return out


def write_core_wheel(root: Path, out_dir: Path, version: str, head_model: Path) -> Path:
    """A pure-Python wheel of the core and the head model (deterministic timestamps)."""
    info = f"{CORE_DIST}-{version}.dist-info"
    wheel = out_dir / f"{CORE_DIST}-{version}-py3-none-any.whl"
    entries = [(name, path.read_bytes()) for name, path in core_files(root)]
    entries.append((HEAD_MODEL_IN_WHEEL, head_model.read_bytes()))
    entries.append((f"{info}/METADATA", (f"Metadata-Version: 2.1\nName: {CORE_DIST}\nVersion: {version}\n"
                                         "Summary: SynthHeads numpy-only core and head model for the Blender add-on\n"
                                         "Requires-Dist: numpy\n").encode()))  # fmt: skip
    entries.append((f"{info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: synthheads build_addon.py\n"
                                     b"Root-Is-Purelib: true\nTag: py3-none-any\n"))  # fmt: skip
    entries.append((f"{info}/top_level.txt", b"synthetic\n"))
    record = "".join(f"{n},{_record_hash(d)},{len(d)}\n" for n, d in entries) + f"{info}/RECORD,,\n"
    entries.append((f"{info}/RECORD", record.encode()))
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            zi = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_STORED if name.endswith(".npz") else zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            z.writestr(zi, data)
    return wheel


def stage(root: Path, addon_dir: Path, stage_dir: Path, version: str, head_model: Path) -> Path:
    """Copy the add-on, the vendored modules and the core wheel into ``stage_dir``."""
    for path in sorted(addon_dir.rglob("*")):
        rel = path.relative_to(addon_dir)
        if path.is_dir() or "__pycache__" in rel.parts or rel.parts[0].startswith(".") or path.suffix == ".pyc":
            continue
        if rel.parts[0] == "_vendor":
            raise BuildError(f"{path}: _vendor/ is generated by the build; remove it from the source folder")
        (stage_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, stage_dir / rel)
    vendor = stage_dir / "_vendor"
    vendor.mkdir()
    listing = "".join(f"{n} <- {r}\n" for n, r in VENDOR.items())
    (vendor / "__init__.py").write_text(f'"""Modules bundled unchanged by build_addon.py:\n{listing}"""\n')
    for name, rel in VENDOR.items():
        shutil.copy2(root / rel, vendor / name)
    (stage_dir / "wheels").mkdir()
    wheel = write_core_wheel(root, stage_dir / "wheels", version, head_model)
    manifest = stage_dir / "blender_manifest.toml"
    text = manifest.read_text(encoding="utf-8")
    line = f'wheels = ["./wheels/{wheel.name}"]\n\n'
    first_table = re.search(r"^\[", text, flags=re.M)
    text = text[: first_table.start()] + line + text[first_table.start():] if first_table else text + "\n" + line
    manifest.write_text(text, encoding="utf-8")
    if tomllib.loads(text).get("wheels") != [f"./wheels/{wheel.name}"]:
        raise BuildError(f"{manifest}: could not add the wheels entry")
    return wheel


# ----------------------------------------------------------------------------- Blender tools
class Blender:
    """Blender's extension tools: the ``bpy`` module's bundled ``blender_ext.py`` (run with this Python)
    or a ``blender`` executable (``--command extension``)."""

    def __init__(self, blender: str | None):
        self.blender = blender
        self.ext_script = None
        if blender is None:
            spec = importlib.util.find_spec("bpy")
            if spec is None or spec.origin is None:
                raise BuildError("Blender's extension tools not found: install the pinned bpy module "
                                 "(requirements.txt) or pass --blender /path/to/blender")  # fmt: skip
            found = sorted(Path(spec.origin).parent.glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
            if not found:
                raise BuildError(f"no bl_pkg/cli/blender_ext.py under {Path(spec.origin).parent}")
            self.ext_script = found[-1]

    def extension(self, *args: str) -> subprocess.CompletedProcess:
        if self.ext_script is not None:
            tags = self.ext_script.parents[3] / "modules" / "_bpy_internal" / "extensions" / "tags.py"
            cmd = [sys.executable, str(self.ext_script), *args]
            if args[0] in ("build", "validate"):
                cmd.append(f"--valid-tags={tags}")
        else:
            cmd = [self.blender, "--factory-startup", "--command", "extension", *args]
        return subprocess.run(cmd, capture_output=True, text=True)

    def run_script(self, script: Path, args: list[str], env: dict, cwd: str) -> subprocess.CompletedProcess:
        if self.ext_script is not None:
            cmd = [sys.executable, "-I", str(script), *args]
        else:
            cmd = [self.blender, "--background", "--factory-startup", "--python-exit-code", "1", "--python",
                   str(script), "--", *args]  # fmt: skip
        return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


SMOKE_SCRIPT = r'''
import importlib, json, os, pkgutil, sys
BLOCKED = set(json.loads(sys.argv[-1]))
class _Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is not part of a stock Blender")
        return None
sys.meta_path.insert(0, _Block())
import bpy
zip_path, report_path = sys.argv[-3], sys.argv[-2]
bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default", enable_on_install=True)
name = "bl_ext.user_default.synthheads"
if name not in bpy.context.preferences.addons:
    raise SystemExit(f"the extension did not enable (installed into {bpy.utils.user_resource('EXTENSIONS')})")
ext_root = bpy.utils.user_resource("EXTENSIONS")
import synthetic
if not os.path.abspath(synthetic.__file__).startswith(os.path.abspath(ext_root)):
    raise SystemExit(f"synthetic was imported from {synthetic.__file__}, not from the installed wheel")
modules = []
for pkg in (synthetic, sys.modules[name]):
    for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
        if info.name.endswith(".__main__"):
            continue  # running a command line is not importing
        importlib.import_module(info.name)
        modules.append(info.name)
from synthetic.head import HeadModel, storage
model_file = str(storage.locate_model_file())
model = HeadModel.load()
ops = sorted(o for o in dir(bpy.ops.scene) if o.startswith("synthheads_"))
json.dump({"modules": modules, "model_file": model_file, "fingerprint": model.fingerprint(), "operators": ops,
           "ext_root": ext_root}, open(report_path, "w"))
'''


def smoke_test(tools: Blender, zip_path: Path, expected_fingerprint: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="synthheads_smoke_") as tmp:
        script, report = Path(tmp) / "smoke.py", Path(tmp) / "report.json"
        script.write_text(SMOKE_SCRIPT, encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "SYNTHHEADS_"))}
        env["BLENDER_USER_RESOURCES"] = str(Path(tmp) / "user")
        proc = tools.run_script(script, [str(zip_path.resolve()), str(report), json.dumps(BLOCKED_IN_BLENDER)],
                                env, cwd=tmp)  # fmt: skip
        if proc.returncode != 0 or not report.is_file():
            tail = (proc.stdout + proc.stderr).strip().splitlines()[-15:]
            raise BuildError("the packaged add-on failed to install, enable or import in a fresh Blender "
                             f"(exit {proc.returncode}):\n  " + "\n  ".join(tail))  # fmt: skip
        result = json.loads(report.read_text())
    if result["fingerprint"] != expected_fingerprint:
        raise BuildError(f"the packaged head model ({result['model_file']}) differs from the checkout's")
    if not result["model_file"].startswith(result["ext_root"]):
        raise BuildError(f"the installed add-on reads the head model from {result['model_file']}, not its wheel")
    return result


def check_zip(zip_path: Path, version: str) -> None:
    with zipfile.ZipFile(zip_path) as z:
        names = set(z.namelist())
        wheel_name = f"wheels/{CORE_DIST}-{version}-py3-none-any.whl"
        required = {"blender_manifest.toml", "__init__.py", wheel_name, *(f"_vendor/{n}" for n in VENDOR)}
        missing = sorted(required - names)
        if missing:
            raise BuildError(f"{zip_path}: missing {', '.join(missing)}")
        junk = sorted(n for n in names if "__pycache__" in n or n.endswith(".pyc") or "/." in "/" + n)
        if junk:
            raise BuildError(f"{zip_path}: holds files that must not ship: {junk[:5]}")
        with z.open(wheel_name) as f, zipfile.ZipFile(f) as w:
            wnames = set(w.namelist())
    if HEAD_MODEL_IN_WHEEL not in wnames:
        raise BuildError(f"{zip_path}: the core wheel lacks the head model {HEAD_MODEL_IN_WHEEL}")
    leaked = sorted(n for n in wnames if any(n.startswith(x) for x in CORE_EXCLUDE) and n != HEAD_MODEL_IN_WHEEL)
    if leaked:
        raise BuildError(f"{zip_path}: the core wheel holds modules that need scipy or bpy: {leaked[:5]}")


# ----------------------------------------------------------------------------- main
def build(out_dir: Path, addon_dir: Path, blender: str | None = None, smoke: bool = True) -> Path:
    manifest = read_manifest(addon_dir)
    version = str(manifest["version"])
    check_vendored_imports(ROOT)
    tools = Blender(blender)
    head_model = head_model_file(sys.executable)
    out_dir.mkdir(parents=True, exist_ok=True)
    zip_path = out_dir / f"{ADDON_ID}-{version}.zip"
    zip_path.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="synthheads_stage_") as tmp:
        stage_dir = Path(tmp) / ADDON_ID
        stage_dir.mkdir()
        stage(ROOT, addon_dir, stage_dir, version, head_model)
        proc = tools.extension("build", "--source-dir", str(stage_dir), "--output-filepath", str(zip_path))
        if proc.returncode != 0 or not zip_path.is_file():
            raise BuildError(f"Blender's extension build failed:\n{(proc.stdout + proc.stderr).strip()}")
    try:
        proc = tools.extension("validate", str(zip_path))
        if proc.returncode != 0:
            raise BuildError(f"Blender's extension validate refused {zip_path}:\n{(proc.stdout + proc.stderr).strip()}")
        check_zip(zip_path, version)
        if smoke:
            sys.path.insert(0, str(ROOT))
            from synthetic.head import storage

            sys.path.pop(0)
            result = smoke_test(tools, zip_path, storage.fingerprint_arrays(storage.read_arrays(head_model)))
            print(f"smoke test: installed, enabled, imported {len(result['modules'])} modules, "
                  f"{len(result['operators'])} operators, head model fingerprint matches", flush=True)  # fmt: skip
    except BaseException:
        zip_path.unlink(missing_ok=True)
        raise
    return zip_path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python build_addon.py", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="output folder (default: dist/)")
    parser.add_argument("--addon-dir", type=Path, default=ROOT / "blender_addon", help="add-on source folder")
    parser.add_argument("--blender", default=None, help="a Blender executable (default: the bpy module's tools)")
    parser.add_argument("--no-smoke-test", action="store_true", help="skip installing the zip in a fresh Blender")
    args = parser.parse_args(argv)
    try:
        path = build(args.out, args.addon_dir.resolve(), args.blender, smoke=not args.no_smoke_test)
    except BuildError as exc:
        print(f"build_addon.py: error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
