"""Enforce the import boundaries of ARCHITECTURE.md by parsing every ``.py`` file with ``ast``.

- ``blender_addon/`` imports only the standard library, stock-Blender modules, numpy, its own
  modules (relative, or absolutely by its package name) and the numpy-only ``synthetic`` core.
- ``synthetic/`` outside ``synthetic/blender/`` imports no Blender module, no torch, no gsplat,
  and nothing that would pull them in (``synthetic.blender``, ``backend``, ``blender_addon``).
- ``backend/`` imports no Blender module, nor ``synthetic.blender`` or ``blender_addon``.
- ``synthetic/formats/`` imports only numpy, the standard library and the synthetic core (the add-on reads
  every shared file format through it).

Every import counts: module level or inside functions, ``import``/``from ... import``, relative
imports (resolved against the file's package) and ``importlib.import_module("...")`` /
``__import__("...")`` with a literal name. Folders that do not exist yet are skipped.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

STDLIB = frozenset(sys.stdlib_module_names)
BLENDER_MODULES = frozenset({"bpy", "bpy_extras", "mathutils", "gpu", "gpu_extras", "bmesh", "blf", "bl_math"})
"""Modules that ship with every Blender; only the add-on and ``synthetic/blender/`` may import them."""
TORCH_MODULES = frozenset({"torch", "torchvision", "gsplat"})
SKIP_DIRS = frozenset({"__pycache__", ".venv", "node_modules"})


@dataclass(frozen=True)
class Import:
    """One imported module: absolute dotted ``name`` (``None`` when a relative import leaves the tree)."""

    line: int
    name: str | None
    written: str


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    module: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: imports {self.module!r} ({self.reason})"


def _package_of(rel: Path) -> list[str]:
    """Dotted package parts of a file at ``rel`` (relative to the scanned root)."""
    parts = list(rel.with_suffix("").parts)
    return parts[:-1]  # a module's package is its folder; ``__init__`` is in its own folder too


def imports_of(tree: ast.AST, rel: Path) -> Iterator[Import]:
    """Every module ``tree`` (the file at ``rel``) imports, wherever the import statement sits."""
    package = _package_of(rel)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(node.lineno, alias.name, alias.name)
        elif isinstance(node, ast.ImportFrom):
            written = "." * node.level + (node.module or "")
            if node.level - 1 > len(package):  # climbs above the scanned root
                yield Import(node.lineno, None, written)
                continue
            base = package[: len(package) - (node.level - 1)] if node.level else []
            base = base + (node.module.split(".") if node.module else [])
            for alias in node.names:  # ``from pkg import sub`` may import the submodule pkg.sub
                parts = base if alias.name == "*" else [*base, alias.name]
                yield Import(node.lineno, ".".join(parts), f"{written} import {alias.name}")
        elif isinstance(node, ast.Call) and node.args and _is_import_call(node.func):
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                yield Import(node.lineno, arg.value, arg.value)


def _is_import_call(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in ("__import__", "import_module")
    return isinstance(func, ast.Attribute) and func.attr == "import_module"


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


# ----------------------------------------------------------------------------- rules
Check = Callable[[str], "str | None"]  # absolute module name -> reason it is not allowed, or None


def _addon_check(own_names: frozenset[str]) -> Check:
    def check(name: str) -> str | None:
        root = name.split(".")[0]
        if root in STDLIB or root in BLENDER_MODULES or root == "numpy" or root in own_names:
            return None
        if root == "synthetic" and not _under(name, "synthetic.blender"):
            return None  # the numpy-only core is bundled into the extension zip
        return "blender_addon/ may import only the standard library, Blender, numpy, itself and the synthetic core"

    return check


def _forbid(roots: frozenset[str], prefixes: tuple[str, ...], why: str) -> Check:
    def check(name: str) -> str | None:
        if name.split(".")[0] in roots or any(_under(name, p) for p in prefixes):
            return why
        return None

    return check


def _only_numpy(name: str) -> str | None:
    root = name.split(".")[0]
    if root in STDLIB or root == "numpy" or (root == "synthetic" and not _under(name, "synthetic.blender")):
        return None
    return "synthetic/formats/ is shared with the add-on: numpy, stdlib and the synthetic core only"


def addon_package_names(root: Path) -> frozenset[str]:
    """Names under which the add-on may import itself: its folder name and the manifest ``id``."""
    names = {"blender_addon", "synthheads"}
    manifest = root / "blender_addon" / "blender_manifest.toml"
    if manifest.is_file():
        try:
            names.add(str(tomllib.loads(manifest.read_text(encoding="utf-8")).get("id", "synthheads")))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            pass  # the add-on build checks the manifest itself
    return frozenset(names)


def rules(root: Path) -> list[tuple[str, tuple[str, ...], Check]]:
    """(path to check, sub-paths to skip, check) for the tree at ``root``."""
    no_blender = "synthetic/ core is numpy-only: no Blender, torch or gsplat, nor modules that import them"
    return [
        ("blender_addon", (), _addon_check(addon_package_names(root))),
        ("synthetic", ("synthetic/blender",),
         _forbid(BLENDER_MODULES | TORCH_MODULES, ("synthetic.blender", "backend", "blender_addon"), no_blender)),
        ("backend", (),
         _forbid(BLENDER_MODULES, ("synthetic.blender", "blender_addon"), "backend/ never imports Blender modules")),
        ("synthetic/formats", (), _only_numpy),
    ]  # fmt: skip


def _python_files(target: Path, root: Path, skip: tuple[str, ...]) -> Iterator[Path]:
    if target.is_file():
        yield target
        return
    if not target.is_dir():
        return
    for path in sorted(target.rglob("*.py")):
        rel = path.relative_to(root)
        if any(part in SKIP_DIRS or part.startswith(".") for part in rel.parts[:-1]):
            continue
        if any(rel.as_posix() == s or rel.as_posix().startswith(s + "/") for s in skip):
            continue
        if path.is_file():
            yield path


def check_tree(root: Path) -> list[Violation]:
    """All boundary violations in the repository tree at ``root`` (missing folders are fine)."""
    found = []
    for target, skip, check in rules(root):
        for path in _python_files(root / target, root, skip):
            rel = path.relative_to(root)
            try:
                tree = ast.parse(path.read_bytes(), filename=str(rel))
            except (SyntaxError, ValueError) as exc:
                found.append(Violation(rel.as_posix(), getattr(exc, "lineno", 0) or 0, "?", f"cannot parse: {exc}"))
                continue
            for imp in imports_of(tree, rel):
                reason = "relative import leaves the repository" if imp.name is None else check(imp.name)
                if reason:
                    found.append(Violation(rel.as_posix(), imp.line, imp.written, reason))
    return found


# ----------------------------------------------------------------------------- tests
def test_repository_respects_boundaries():
    violations = check_tree(REPO)
    assert not violations, "import boundary violations:\n" + "\n".join(map(str, violations))


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_checker_reports_violations(tmp_path):
    _write(tmp_path, "blender_addon/__init__.py", (
        "import json, bpy, numpy as np\n"             # 1 fine
        "from . import ops\n"                          # 2 fine (relative, inside the add-on)
        "from synthetic.head import model\n"           # 3 fine (bundled core)
        "from synthheads import props\n"               # 4 fine (own package name)
        "def run():\n"
        "    import torch\n"                           # 6 violation, inside a function
        "    from .. import backend\n"                 # 7 violation, climbs out of the add-on
        "    from ... import anything\n"               # 8 violation, leaves the repository
        "import scipy.ndimage\n"                       # 9 violation, third party
        "from synthetic.blender import scene\n"        # 10 violation, bpy side of synthetic
    ))  # fmt: skip
    _write(tmp_path, "blender_addon/ops.py", "import importlib\nimportlib.import_module('requests')\n")
    _write(tmp_path, "synthetic/core.py", (
        "import numpy\n"
        "class A:\n"
        "    def f(self):\n"
        "        import bpy.types\n"                   # 4 violation
        "from .blender import scene\n"                 # 5 violation (resolves to synthetic.blender)
        "x = __import__('gsplat')\n"                   # 6 violation
    ))  # fmt: skip
    _write(tmp_path, "synthetic/blender/scene.py", "import bpy\nimport mathutils\n")  # allowed there
    _write(tmp_path, "synthetic/formats/ply.py", "import numpy\nimport PIL\n")  # 2: shared with the add-on
    _write(tmp_path, "backend/render.py", "import torch\nfrom synthetic import errors\nfrom bpy import types\n")
    _write(tmp_path, "backend/broken.py", "def f(:\n")

    got = {(v.path, v.line, v.module) for v in check_tree(tmp_path)}
    assert got == {
        ("blender_addon/__init__.py", 6, "torch"),
        ("blender_addon/__init__.py", 7, ".. import backend"),
        ("blender_addon/__init__.py", 8, "..."),
        ("blender_addon/__init__.py", 9, "scipy.ndimage"),
        ("blender_addon/__init__.py", 10, "synthetic.blender import scene"),
        ("blender_addon/ops.py", 2, "requests"),
        ("synthetic/core.py", 4, "bpy.types"),
        ("synthetic/core.py", 5, ".blender import scene"),
        ("synthetic/core.py", 6, "gsplat"),
        ("synthetic/formats/ply.py", 2, "PIL"),
        ("backend/render.py", 3, "bpy import types"),
        ("backend/broken.py", 1, "?"),
    }
    message = "\n".join(str(v) for v in check_tree(tmp_path))
    assert "synthetic/core.py:4: imports 'bpy.types'" in message


def test_checker_accepts_missing_and_empty_folders(tmp_path):
    assert check_tree(tmp_path) == []
    (tmp_path / "blender_addon").mkdir()
    _write(tmp_path, "synthetic/__init__.py", "")
    assert check_tree(tmp_path) == []


def test_addon_package_name_comes_from_manifest(tmp_path):
    _write(tmp_path, "blender_addon/blender_manifest.toml", 'schema_version = "1.0.0"\nid = "heads_x"\n')
    _write(tmp_path, "blender_addon/ui.py", "from heads_x import props\nfrom other_addon import props\n")
    assert [(v.line, v.module) for v in check_tree(tmp_path)] == [(2, "other_addon import props")]
