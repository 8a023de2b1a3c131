"""Main-job stage: build the Blender add-on zip with ``build_addon.py`` (a script at the repository root, run as its
own process: it also installs the zip into a fresh Blender as a smoke test)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from synthetic.progress import Progress

from .stages import Stage

REPO = Path(__file__).resolve().parents[2]


def addon_stage() -> Stage:
    """``python build_addon.py`` -> ``dist/synthheads-<version>.zip``."""

    def run(folder: Path, progress: Progress) -> dict[str, Any]:
        proc = subprocess.run([sys.executable, str(REPO / "build_addon.py")], cwd=REPO, capture_output=True,
                              text=True)  # fmt: skip
        (folder / "build.log").write_text(proc.stdout + proc.stderr)
        if proc.returncode != 0:
            raise RuntimeError(f"build_addon.py failed with exit code {proc.returncode} (see {folder}/build.log)")
        zips = sorted((REPO / "dist").glob("synthheads-*.zip"), key=lambda p: p.stat().st_mtime)
        return {"facts": {"zip": str(zips[-1]), "size (MB)": round(zips[-1].stat().st_size / 1e6, 2),
                          "install": "Blender 4.2+: Edit > Preferences > Get Extensions > Install from Disk"}}

    return Stage("09_addon", "Blender add-on zip", run)
