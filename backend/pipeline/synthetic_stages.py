"""Main-job stages of the synthetic side: a preview sheet of random heads (:func:`synthetic.preview.preview_sheet`),
a small rendered multi-view dataset (:func:`synthetic.render_job.render_dataset`, Blender Cycles) and its validation
(:func:`synthetic.dataset.checks.validate_dataset`), with contact sheets for the report."""

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
PREVIEW_IDENTITIES = 8


def _preview(folder: Path, progress: Progress) -> dict[str, Any]:
    from synthetic.preview import preview_sheet

    sheet = preview_sheet(folder, identities=PREVIEW_IDENTITIES)
    return {"images": [f"{folder.name}/{sheet.path.name}"], "facts": {"identities": sheet.identities}}


def _dataset(folder: Path, progress: Progress, device: str = "cpu") -> dict[str, Any]:
    from synthetic.dataset import Dataset
    from synthetic.dataset.checks import validate_dataset
    from synthetic.head import HeadModel
    from synthetic.render_job import DatasetRequest, render_dataset

    d = DATASET_DEFAULTS["cuda" if device == "cuda" else "cpu"]
    root = folder / "data"
    rendered = render_dataset(DatasetRequest(out=root, resume=True, **d), progress)
    if rendered.failures:
        raise RuntimeError(f"{len(rendered.failures)} identities failed to render (see {rendered.log})")
    problems, _ = validate_dataset(root, HeadModel.load())
    if problems:
        raise RuntimeError(f"the rendered dataset at {root} did not validate: {problems[0]}")
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
