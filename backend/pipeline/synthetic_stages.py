"""Main-job stages of the synthetic side: a preview sheet of random heads, a small rendered
multi-view dataset (Blender Cycles) and its validation, with contact sheets for the report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synthetic.dataset.files import write_png
from synthetic.progress import Progress

from .images import contact_sheet
from .stages import Stage

DATASET_DEFAULTS = {
    "cpu": {"identities": 6, "frames": 3, "resolution": "192x128", "samples": 16, "texture_size": 512},
    "cuda": {"identities": 24, "frames": 5, "resolution": "384x256", "samples": 32, "texture_size": 1024},
}
"""Small enough for the 2-core CPU machine (a few minutes); a CUDA machine could afford far more."""


def _preview(folder: Path, progress: Progress) -> dict[str, Any]:
    from synthetic.cli import main as synthetic_main

    rc = synthetic_main(["preview", "--identities", "8", "--out", str(folder), "--progress", "none"])
    if rc != 0:
        raise RuntimeError(f"python -m synthetic preview failed with exit code {rc}")
    pngs = sorted(p.name for p in folder.glob("*.png"))
    return {"images": [f"{folder.name}/{p}" for p in pngs], "facts": {"identities": 8}}


def _dataset(folder: Path, progress: Progress, device: str = "cpu") -> dict[str, Any]:
    from synthetic.cli import main as synthetic_main
    from synthetic.dataset import Dataset

    d = DATASET_DEFAULTS["cuda" if device == "cuda" else "cpu"]
    root = folder / "data"
    args = ["render", "--identities", str(d["identities"]), "--frames", str(d["frames"]), "--out", str(root),
            "--resolution", d["resolution"], "--samples", str(d["samples"]), "--texture-size", str(d["texture_size"]),
            "--resume"]  # fmt: skip
    rc = synthetic_main(args)
    if rc != 0:
        raise RuntimeError(f"python -m synthetic render failed with exit code {rc} (see {root}/logs)")
    rc = synthetic_main(["validate", str(root), "--progress", "none"])
    if rc != 0:
        raise RuntimeError(f"the rendered dataset at {root} did not validate")
    ds = Dataset(root)
    images = []
    for i in ds.identities:
        ident = ds.identity(i)
        views = [ident.image(0, name) for name in ident.cameras.names]
        write_png(folder / f"views_id{i}.png", contact_sheet(views, columns=7))
        images.append(f"{folder.name}/views_id{i}.png")
        write_png(folder / f"texture_id{i}.png", ident.texture("backprojected.png"))
        images.append(f"{folder.name}/texture_id{i}.png")
    return {
        "facts": {**d, "cameras": 28, "root": str(root), "validated": "yes"},
        "images": images,
    }


def synthetic_stages(device: str = "cpu") -> list[Stage]:
    """Preview and dataset stages; on ``cuda`` the dataset is larger and Cycles renders on the GPU."""
    return [
        Stage("02_synthetic_preview", "Synthetic heads: random identities (head model + assets)", _preview),
        Stage("03_synthetic_dataset", "Synthetic multi-view dataset rendered with Blender Cycles",
              lambda folder, progress: _dataset(folder, progress, device),
              resumable=True),
    ]
