"""Real photos of one person -> :class:`PreparedPhotos` for few-shot inversion: :func:`prepare_photos`.

Per photo: read (EXIF orientation applied), detect the one face and its 478 landmarks
(:func:`backend.photos.landmarks.detect_face`), segment the person (:mod:`.segmentation`), crop to the
dataset rig's framing (:mod:`.crop`); then fit the head model to all photos' landmarks at once (:mod:`.fit`:
shared shape, per-photo expression, camera and focal), back-project the crops onto the UV texture through
each fitted mesh (:func:`synthetic.backproject.backproject_head`, visibility-aware and blended), and draw a
fit overlay per photo (:mod:`.overlay`). The hair proxy (``proxy_offsets_m``) is measured from the person masks at
the head's silhouette (:mod:`.hair_proxy`), as the synthetic data's is given by the hair asset.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from synthetic.backproject import View, backproject_head
from synthetic.dataset.files import read_photo
from synthetic.errors import UserInputError

from .crop import DEFAULT_SIZE, crop_image, face_crop
from .fit import FitOptions, LandmarkEvaluator, fit_landmarks
from .hair_proxy import hair_proxy_offsets
from .head_alpha import head_alpha, visible_regions
from .landmarks import detect_face
from .neck_trust import neck_trust, visible_parts
from .overlay import fit_overlay
from .prepared import PreparedPhotos, PreparedView
from .segmentation import foreground_alpha


def _named_inputs(paths_or_images) -> list[tuple[str, str, np.ndarray]]:
    """``(view name, source for error messages, rgb)`` per input; names are unique."""
    out = []
    for i, item in enumerate(paths_or_images):
        if isinstance(item, str | Path):
            out.append((Path(item).stem, str(item), read_photo(item)))
        else:
            out.append((f"image_{i}", f"image {i}", np.asarray(item)))
    names = [n for n, _, _ in out]
    for i, n in enumerate(names):  # keep names unique (two photos called front.jpg in different folders)
        if names.count(n) > 1:
            out[i] = (f"{n}_{i}",) + out[i][1:]
    return out


PHOTO_MASKS = {"head": {"head_only": True, "trust_neck": True}, "head-all": {"head_only": True, "trust_neck": False},
               "person": {"head_only": False, "trust_neck": False}}
"""``prepare_photos`` keyword settings by the name a user picks (``invert --photo-mask``)."""


def trusted_alpha(view: PreparedView) -> np.ndarray:
    """``[H, W, 4]``: the view's image with its alpha times its trust (what back-projection may sample)."""
    if view.trust is None:
        return view.image
    out = view.image.copy()
    out[..., 3] *= view.trust
    return out


def prepare_photos(paths_or_images: Sequence, model, size: tuple[int, int] = DEFAULT_SIZE, texture_size: int = 256,
                   progress=None, fit_options: FitOptions | None = None, hair_proxy: bool = True,
                   head_only: bool = True, trust_neck: bool = True) -> PreparedPhotos:
    """Detect, segment, crop, fit and back-project photos of one person.

    Args:
        paths_or_images: image files, or ``[H, W, 3]`` uint8 RGB arrays (named ``image_<i>``), of one person.
        model: :class:`synthetic.head.HeadModel`.
        size: crop ``(width, height)`` pixels (default the dataset's 3:2 look, 384x256).
        texture_size: R of the ``[R, R, 3]`` back-projected texture.
        hair_proxy: measure a hair proxy from the person masks (:mod:`.hair_proxy`); False: zero offsets.
        head_only: keep each person mask only near the fitted head and its hair proxy (:mod:`.head_alpha`: no
            shoulders or clothes, as in the prior's data); False: the whole person.
        trust_neck: mark clothing over the neck as untrusted (``PreparedView.trust`` 0, :mod:`.neck_trust`): the
            inversion neither fits it nor back-projects it into the texture. False: every pixel trusted.
        progress: a :class:`synthetic.progress.Progress` (or None).
        fit_options: :class:`FitOptions` of the landmark fit.

    Returns:
        :class:`PreparedPhotos`: one view per photo (RGBA crop, K and w2c of the fit, expression, zero pose,
        the 478 detected landmarks ``[478, 2]`` in crop pixels), the shared shape, the hair proxy offsets, the
        texture and its coverage mask, one overlay per photo, and ``info`` (residuals in pixels, focal
        lengths, crop boxes, timings).

    Raises:
        UserInputError: no photos; an unreadable file; a photo with no face, several faces or a too small face.
    """
    inputs = _named_inputs(paths_or_images)
    if not inputs:
        raise UserInputError("prepare_photos: no photos given")
    t0 = time.perf_counter()
    total = len(inputs)
    crops, landmarks, boxes = [], [], []
    for i, (_, source, rgb) in enumerate(inputs):
        face = detect_face(rgb, source)
        crop = face_crop(face.landmarks, model, size)
        alpha = foreground_alpha(rgb, source)
        rgba = np.concatenate([rgb[..., :3], (alpha * 255.0 + 0.5).astype(np.uint8)[..., None]], axis=2)
        crops.append(crop_image(rgba, crop).astype(np.float32) / 255.0)
        landmarks.append(crop.points(face.landmarks)[:, :2])
        boxes.append([round(b, 2) for b in crop.box])
        if progress is not None:
            progress.update("detect", i + 1, total)
    t_detect = time.perf_counter() - t0
    evaluator = LandmarkEvaluator(model)
    fit = fit_landmarks(model, landmarks, [tuple(size)] * total, fit_options, evaluator)
    if progress is not None:
        progress.update("fit", 1, 1)
    t_fit = time.perf_counter() - t0 - t_detect
    pose = np.zeros((model.n_joints, 3))
    meshes = [model.vertices(fit.shape, fit.expression[i], pose) for i in range(total)]
    views = [PreparedView(name=name, image=crops[i], K=fit.K[i], w2c=fit.w2c[i], expression=fit.expression[i],
                          pose=pose.copy(), landmarks=landmarks[i]) for i, (name, _, _) in enumerate(inputs)]
    proxy, proxy_facts = np.zeros(model.n_vertices), {"measured_vertices": 0}
    if hair_proxy:
        proxy, proxy_facts = hair_proxy_offsets(model, meshes, [v.K for v in views], [v.w2c for v in views],
                                                [v.image[..., 3] for v in views])
    person_cover = [float(v.image[..., 3].mean()) for v in views]
    for mesh, v in zip(meshes, views):
        if head_only or trust_neck:
            regions = visible_regions(model, mesh, proxy, v.K, v.w2c, v.image.shape[1], v.image.shape[0])
        if head_only:
            v.image[..., 3] = head_alpha(v.image[..., 3], regions >= 0)
        if trust_neck:
            v.trust = neck_trust(v.image, visible_parts(model, regions))
    texture, mask, weight = backproject_head(model, meshes, [View(trusted_alpha(v), v.K, v.w2c) for v in views],
                                             proxy, int(texture_size), with_weight=True)
    if progress is not None:
        progress.update("texture", 1, 1)
    ids = model.landmark_mediapipe
    overlays = [fit_overlay(v.image, meshes[i], model.faces, v.K, v.w2c, v.landmarks[ids], fit.projected[i],
                            trust=v.trust if v.trust is not None else np.ones(v.image.shape[:2], np.float32))
                for i, v in enumerate(views)]
    info = {
        "source": "photos",
        "names": [v.name for v in views],
        "residual_px": [round(float(r), 3) for r in fit.residual_px],
        "residual_inner_px": [round(float(r), 3) for r in fit.residual_inner_px],
        "focal_px": [round(float(k[0, 0]), 2) for k in fit.K],
        "crop_boxes": boxes,
        "texture_coverage": float(mask.mean()),
        "hair_proxy": proxy_facts,
        "alpha_cover": {"person": [round(c, 4) for c in person_cover],
                        "kept": [round(float(v.image[..., 3].mean()), 4) for v in views],
                        "untrusted": [round(float((v.image[..., 3] * (1 - v.trust)).mean()), 4)
                                      if v.trust is not None else 0.0 for v in views]},
        "seconds": {"detect": round(t_detect, 2), "fit": round(t_fit, 2),
                    "total": round(time.perf_counter() - t0, 2)},
    }
    return PreparedPhotos(views=views, shape=fit.shape, proxy_offsets_m=proxy,
                          texture=texture.astype(np.float32), texture_mask=mask, overlays=overlays, info=info,
                          texture_weight=weight.astype(np.float32))
