"""Re-projecting a dataset's per-view landmarks with the head model's current landmark table.

The landmark table is refitted to mediapipe from time to time (``tools/calibrate_landmarks.py``) without
touching the geometry, so a dataset's images stay valid while its ``landmarks.json`` files (the table's points,
posed and projected) go stale: ``validate`` then skips the landmark check and a render that would grow the
dataset refuses to mix tables. :func:`reproject_landmarks` redoes every complete identity's files from what the
dataset records (shape, each frame's expression and pose, the cameras) and stamps the table's fingerprint into
``dataset.json``. No image is touched; identities still being rendered are left to their render.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import UserInputError
from . import layout
from .files import write_json
from .landmarks import project_frame
from .reader import Dataset
from .writer import write_landmarks_file


def reproject_landmarks(root: str | Path, model, progress=None) -> tuple[int, int]:
    """Rewrite ``landmarks.json`` of every frame of every complete identity under ``root`` with ``model``'s table.

    Args:
        root: dataset root. model: the :class:`~synthetic.head.model.HeadModel` the dataset was rendered with
            (same geometry; its landmark table may be newer). progress: a ``Progress`` (optional).

    Returns:
        (identities, frames) rewritten.

    Raises:
        UserInputError: not a dataset, rendered without landmarks, of another head model, or an identity without
            its shape.
    """
    ds = Dataset(root)
    if not ds.has_landmarks:
        raise UserInputError(f"{ds.root}: rendered without per-view landmarks (dataset.json has no 'landmarks')")
    if not model.matches(ds.head_model_fingerprint):
        raise UserInputError(model.mismatch(ds.head_model_fingerprint, str(ds.root)))
    identities = ds.identities
    items = progress.track(identities, stage="landmarks") if progress is not None else identities
    n_frames = 0
    for index in items:
        ident = ds.identity(index)
        if ident.shape is None:
            raise UserInputError(f"{ident.path}: identity.json holds no shape; cannot pose its landmarks")
        cameras = ident.cameras.rig()
        for f in range(ident.n_frames):
            frame = ident.frame(f)
            verts = model.vertices(ident.shape, frame.expression, frame.pose)
            view = project_frame(model.landmarks(verts), model.landmark_mediapipe, verts, model.faces, cameras)
            write_landmarks_file(ident.path, f, view)
            n_frames += 1
    body = layout.unstamp(ds.manifest)  # read once by Dataset; nothing else writes it meanwhile
    body["landmark_fingerprint"] = model.landmark_fingerprint()
    write_json(ds.root / layout.DATASET_JSON, "dataset", body)
    return len(identities), n_frames
