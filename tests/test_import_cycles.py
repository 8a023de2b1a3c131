"""No import cycle among the project's packages, found by parsing every ``.py`` file with ``ast``.

The graph has one node per part of a top-level package: each sub-package with everything under it
(``backend.cli``, ``backend.pipeline``, ``synthetic.dataset``, ``synthetic.head`` with ``synthetic.head.build``
...) and each module directly in a top-level package (``backend.devices``, ``synthetic.rig``), and an edge for every
import from one node into another: module level or inside a function, absolute or relative (the same reading of
import statements as ``tests/test_boundaries.py``). Importing a top-level package's ``__init__`` is no edge (Python
runs it before any of its parts). The same holds module by module (:func:`test_no_import_cycle_between_modules`;
a module may import its own enclosing packages). A cycle means two parts of the code each need the other (as the
main job once ran ``backend.cli`` while ``backend.cli`` started the main job), so the test names every cycle with
one import line per edge.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from test_boundaries import imports_of

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("backend", "synthetic", "blender_addon")
SKIP = frozenset({"__pycache__"})


def modules(root: Path) -> dict[str, Path]:
    """``{dotted module name: file}`` of the project packages under ``root`` (a package is its ``__init__``)."""
    out = {}
    for pkg in PACKAGES:
        for path in sorted((root / pkg).rglob("*.py")):
            rel = path.relative_to(root)
            if SKIP & set(rel.parts):
                continue
            parts = list(rel.with_suffix("").parts)
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def node_of(module: str) -> str:
    """The node of ``module``: its top-level package's part (``synthetic.head.build.atlas`` -> ``synthetic.head``)."""
    return ".".join(module.split(".")[:2])


def graph(root: Path, per_module: bool = False) -> dict[tuple[str, str], list[str]]:
    """``{(node, imported node): ["file:line: import ...", ...]}`` over the project packages under ``root``.

    ``per_module``: one node per module instead (a module importing its own enclosing package's ``__init__`` is
    no edge: Python runs that first).
    """
    mods = modules(root)
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for name, path in mods.items():
        rel = path.relative_to(root)
        for imp in imports_of(ast.parse(path.read_bytes(), filename=str(rel)), rel):
            target = imp.name
            while target and target not in mods:  # ``from pkg import name``: the module, else the package
                target = target.rpartition(".")[0]
            if not target:
                continue
            a, b = (name, target) if per_module else (node_of(name), node_of(target))
            if a != b and b not in PACKAGES and not a.startswith(b + "."):
                edges[(a, b)].append(f"{rel.as_posix()}:{imp.line}: {imp.written}")
    return edges


def cycles(edges: dict[tuple[str, str], list[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan), each sorted."""
    succ: dict[str, set[str]] = defaultdict(set)
    for a, b in edges:
        succ[a].add(b)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(succ[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(succ):
        if v not in index:
            visit(v)
    return found


def describe(comp: list[str], edges: dict[tuple[str, str], list[str]]) -> str:
    lines = [" <-> ".join(comp)]
    for (a, b), where in sorted(edges.items()):
        if a in comp and b in comp:
            lines.append(f"  {a} -> {b}: {where[0]}")
    return "\n".join(lines)


def test_no_import_cycle_between_packages():
    edges = graph(REPO)
    found = cycles(edges)
    assert not found, "import cycles:\n" + "\n".join(describe(c, edges) for c in found)
    assert ("backend.pipeline", "backend.cli") not in edges, "the main job calls library functions, not the CLI"


def test_no_import_cycle_between_modules():
    edges = graph(REPO, per_module=True)
    found = cycles(edges)
    assert not found, "import cycles:\n" + "\n".join(describe(c, edges) for c in found)


def _write(root: Path, rel: str, text: str = "") -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_checker_finds_a_cycle_through_a_function_level_import(tmp_path):
    _write(tmp_path, "backend/__init__.py", "from . import photos\n")
    _write(tmp_path, "backend/cli/__init__.py", "from . import main_job\n")
    _write(tmp_path, "backend/cli/main_job.py", "def run():\n    from backend.pipeline.stages import run_stages\n")
    _write(tmp_path, "backend/pipeline/__init__.py")
    _write(tmp_path, "backend/pipeline/stages.py", "from ..cli import main\n")  # resolves to backend.cli
    _write(tmp_path, "backend/pipeline/report.py", "from . import stages\nfrom backend.devices import x\n")
    _write(tmp_path, "backend/devices.py", "import torch\nfrom backend import pipeline\n")  # a second cycle
    _write(tmp_path, "backend/photos/__init__.py", "from .fit import f\n")
    _write(tmp_path, "backend/photos/fit.py", "import backend\nfrom backend.photos.build import a\n")  # both fine
    _write(tmp_path, "backend/photos/build/__init__.py", "from .. import fit\n")  # inside one node: fine
    edges = graph(tmp_path)
    found = cycles(edges)
    assert found == [["backend.cli", "backend.devices", "backend.pipeline"]]
    text = describe(found[0], edges)
    assert "backend.cli -> backend.pipeline: backend/cli/main_job.py:2: backend.pipeline.stages" in text
    assert "backend.pipeline -> backend.cli: backend/pipeline/stages.py:1: ..cli import main" in text
    assert cycles(graph(tmp_path, per_module=True)) == [
        ["backend.photos.build", "backend.photos.fit"],  # inside one package part: only the module graph sees it
        ["backend.cli", "backend.cli.main_job", "backend.pipeline.stages"],
    ]
