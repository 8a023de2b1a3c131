"""Every command line refuses a file where a folder is expected and the reverse: exit 2, one line naming the
option and the path, and nothing written or lost (``synthetic.cli_support.PathArg``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from backend.cli import COMMANDS as BACKEND_COMMANDS
from backend.cli import main as backend_main
from synthetic.cli import COMMANDS as SYNTHETIC_COMMANDS
from synthetic.cli import main as synthetic_main

REPO = Path(__file__).resolve().parents[1]

CASES = [
    ("synthetic", "render --identities 1 --out {file}"),
    ("synthetic", "render --identities 1 --out {file}/sub"),
    ("synthetic", "validate {file}"),
    ("synthetic", "validate {dir} --head-model {dir}"),
    ("synthetic", "landmarks {file}"),
    ("synthetic", "preview --out {file}"),
    ("synthetic", "preview --out {dir}/sheet --head-model {dir}"),
    ("backend", "main --out {file}"),
    ("backend", "train-prior --data {file} --out {dir}/run"),
    ("backend", "train-prior --data {dir} --out {file}"),
    ("backend", "eval-prior --prior {dir} --data {file}"),
    ("backend", "eval-prior --prior {dir} --data {dir} --out {file}"),
    ("backend", "export-prior --prior {dir} --out {dir}"),
    ("backend", "export-prior --prior {dir} --out {file}/x.pt"),
    ("backend", "train-sampler --data {file} --out {dir}/s.pt"),
    ("backend", "train-sampler --data {dir} --out {dir}"),
    ("backend", "sample-prior --out {file}"),
    ("backend", "sample-prior --out {file}/sub"),
    ("backend", "fit-photos --images {dir} --out {dir}/fit"),
    ("backend", "fit-photos --images {file} --out {file}"),
    ("backend", "invert --prior {dir} --images {file} {dir} --out {dir}/x.avatar.pt"),
    ("backend", "invert --prior {dir} --data {file} --identity 0 --out {dir}/x.avatar.pt"),
    ("backend", "invert --prior {dir} --images {file} --out {dir}"),
    ("backend", "invert --prior {dir} --images {file} --out {file}/x.avatar.pt"),
    ("backend", "render --avatar {dir} --orbit --out {dir}/frames"),
    ("backend", "render --avatar {file} --orbit --out {file}"),
    ("backend", "render --gem {dir} --sweep --out {dir}/frames"),
    ("backend", "render --gem {file} --coefficients {dir} --out {dir}/frames"),
    ("backend", "render --gem {file} --sweep --out {dir}/frames --ply {dir}"),
    ("backend", "distill-gem --avatar mesh --out {dir}"),
    ("backend", "distill-gem --avatar mesh --out {dir}/x.gem --trajectory {file}"),
    ("backend", "drive-gem --gem {dir} --regressor {dir}/r.npz"),
    ("backend", "drive-gem --gem {file} --regressor {dir}"),
    ("backend", "drive-gem --gem {file} --regressor {dir}/r.npz --images {dir} --out {dir}/drive"),
    ("backend", "drive-gem --gem {file} --regressor {dir}/r.npz --images {file} --out {file}"),
    ("backend", "eval-inversion --prior {dir} --data {file}"),
    ("backend", "eval-inversion --prior {dir} --data {dir} --out {file}"),
]
NO_PATHS = {("backend", "info")}
"""Commands that take no path."""


def _tree(root: Path) -> dict[str, bytes | None]:
    return {p.relative_to(root).as_posix(): (p.read_bytes() if p.is_file() else None) for p in root.rglob("*")}


@pytest.fixture
def paths(tmp_path):
    (tmp_path / "a_file.gem").write_bytes(b"not a folder")
    (tmp_path / "a_dir").mkdir()
    (tmp_path / "a_dir" / "keep.txt").write_text("not a file")
    return {"file": str(tmp_path / "a_file.gem"), "dir": str(tmp_path / "a_dir")}


def test_every_command_has_a_case():
    covered = {(prog, argv.split()[0]) for prog, argv in CASES}
    every = {("synthetic", m.NAME) for m in SYNTHETIC_COMMANDS} | {("backend", m.NAME) for m in BACKEND_COMMANDS}
    assert every - NO_PATHS == covered


@pytest.mark.parametrize(("prog", "argv"), CASES, ids=[f"{p}:{a}" for p, a in CASES])
def test_wrong_kind_of_path_is_one_line_and_exit_2(prog, argv, paths, tmp_path, capsys):
    before = _tree(tmp_path)
    args = argv.format(**paths).split() + ["--progress", "none"]
    rc = (synthetic_main if prog == "synthetic" else backend_main)(args)
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1, err
    assert err[0].startswith(f"python -m {prog} {args[0]}: error: --") or "error: root" in err[0]
    assert "expected a" in err[0] or "is a file" in err[0], err[0]
    assert _tree(tmp_path) == before


def test_render_out_is_a_file_in_a_real_process(paths):
    proc = subprocess.run([sys.executable, "-m", "synthetic", "render", "--identities", "1", "--out", paths["file"]],
                          cwd=REPO, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 2
    expected = f"python -m synthetic render: error: --out {paths['file']}: is a file, expected a folder"
    assert proc.stderr.strip() == expected
    assert Path(paths["file"]).read_bytes() == b"not a folder"
