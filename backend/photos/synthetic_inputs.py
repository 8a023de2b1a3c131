"""A synthetic dataset identity as few-shot inversion input: :func:`prepare_synthetic`.

No detection or fitting: cameras come from the identity's ``cameras.json``, expression and pose from each
frame's ``frame.json``, the identity shape and the hair/beard proxy offsets from ``identity.json``. The UV
texture is back-projected ONLY from the chosen input views (not the dataset's ``backprojected.png``, which
saw every camera of the neutral frame), through each view's posed head mesh plus the hair proxy, with the
same function the renderer uses (:func:`synthetic.backproject.backproject_head`). So a few-shot evaluation
never sees a held-out view through the texture.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from synthetic.assets.teeth import mouth_rest_offsets
from synthetic.backproject import View, backproject_head
from synthetic.dataset.reader import Dataset
from synthetic.errors import UserInputError

from .prepared import PreparedPhotos, PreparedView


def prepare_synthetic(root: str | Path, identity: int, views: Sequence[tuple[int, str]], model,
                      texture_size: int = 256) -> PreparedPhotos:
    """Gather views of one dataset identity into a :class:`PreparedPhotos`.

    Args:
        root: dataset root (``dataset.json``).
        identity: identity index (must be complete, i.e. have ``done.json``).
        views: ``(frame, camera name)`` pairs, the inversion's input views, e.g. ``[(0, "cam_05"), (1, "cam_00")]``.
        model: the :class:`synthetic.head.HeadModel` the dataset was rendered with.
        texture_size: R of the back-projected ``[R, R, 3]`` texture.

    Returns:
        :class:`PreparedPhotos` with one :class:`PreparedView` per pair (image ``[H, W, 4]`` float32, K, w2c of
        the camera; expression ``[E]`` and pose ``[J, 3]`` of the frame; landmarks None), ``shape`` ``[S]``,
        ``proxy_offsets_m`` ``[V]`` (m), and the texture + mask from the given views only.

    Raises:
        UserInputError: no views, unknown identity/frame/camera, a dataset that does not match ``model``.
    """
    if not views:
        raise UserInputError(f"{root}: prepare_synthetic needs at least one (frame, camera) view")
    ds = Dataset(root)
    ident = ds.identity(int(identity))
    if not model.matches(ds.head_model_fingerprint):
        raise UserInputError(model.mismatch(ds.head_model_fingerprint, str(ds.root / "dataset.json")))
    id_json = ident.path / "identity.json"
    shape = ident.shape
    if shape is None or shape.shape != (model.n_shape,):
        raise UserInputError(f"{id_json}: expected 'shape' with {model.n_shape} coefficients, "
                             f"found {None if shape is None else shape.shape}")
    offsets = np.asarray(ident.params.get("proxy_offsets_m") or np.zeros(model.n_vertices), dtype=np.float64)
    if offsets.shape != (model.n_vertices,):
        raise UserInputError(f"{id_json}: proxy_offsets_m has {offsets.size} values, the head model "
                             f"{model.n_vertices} vertices")
    cams = ident.cameras
    rest = mouth_rest_offsets(model, ident.params)  # the renderer's mouth: the identity's teeth, inner lip corners
    posed: dict[int, np.ndarray] = {}  # one mesh per frame, shared by that frame's views
    out, meshes, bp_views = [], [], []
    for frame, camera in views:
        frame = int(frame)
        if not 0 <= frame < ident.n_frames:
            raise UserInputError(f"{id_json}: frame {frame} out of range (identity has {ident.n_frames} frames)")
        fr = ident.frame(frame)
        if fr.expression.shape != (model.n_expression,) or fr.pose.shape != (model.n_joints, 3):
            raise UserInputError(f"{ident.path}/frame_{frame:04d}/frame.json: expression {fr.expression.shape} / "
                                 f"pose {fr.pose.shape} do not fit the head model "
                                 f"({model.n_expression}, ({model.n_joints}, 3))")
        c = cams.index(camera)
        image = ident.image(frame, camera)
        if frame not in posed:
            posed[frame] = model.vertices(shape, fr.expression, fr.pose, rest_offsets=rest)
        out.append(PreparedView(name=f"{ident.path.name}/frame_{frame:04d}/{camera}", image=image,
                                K=cams.K[c].copy(), w2c=cams.w2c[c].copy(), expression=fr.expression.copy(),
                                pose=fr.pose.copy(), landmarks=None))
        meshes.append(posed[frame])
        bp_views.append(View(image, cams.K[c], cams.w2c[c]))
    texture, mask, weight = backproject_head(model, meshes, bp_views, offsets, int(texture_size), with_weight=True)
    info = {"source": "synthetic", "root": str(ds.root), "identity": int(identity),
            "views": [[int(f), str(c)] for f, c in views], "texture_coverage": float(mask.mean())}
    return PreparedPhotos(views=out, shape=shape.copy(), proxy_offsets_m=offsets, texture=texture.astype(np.float32),
                          texture_mask=mask, overlays=[], info=info,
                          texture_weight=weight.astype(np.float32))
