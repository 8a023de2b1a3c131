"""How far the inversion may trust each pixel of a photo: clothing over the neck is not the head.

:mod:`.head_alpha` cuts a photo's person mask down to the head and neck. A collar, a scarf or a lapel drawn over
the neck stays inside that silhouette; fitted, it painted the avatar's neck white or black and left streaks under
the back of the head. Cutting those pixels out of the mask would be wrong too: the loss would then ask for
background where the avatar's neck is. Instead they get a third state, *untrusted*: trust 0 means the photo
says nothing about that pixel; the inversion's loss compares with the untuned prior's render there
(``backend.invert.targets.Targets.loss_targets``), so the neck keeps what the prior puts there.

Which pixels: only those whose visible surface of the fitted head is the neck (or, outside the head, whose
nearest head pixel is neck or that lie below the rest of the head in their column), and of those the ones whose
colour is not the face's skin: chromaticity more than ``chroma_sigma`` robust deviations from the face's median,
saturation under ``min_saturation`` of the face's, or luminance outside ``[dark, bright]`` times the face's median.
From there the clothing reaches up to ``grow_px`` further into connected non-skin pixels of its colour (a collar's
rim beside the jaw).
The face's colour is measured on the visible ``face`` region of the same photo.

Shapes: ``[H, W]`` masks and region maps (:func:`.head_alpha.visible_regions`), ``[H, W, 3]`` RGB in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class NeckTrustOptions:
    """Settings of :func:`neck_trust`."""

    chroma_sigma: float = 3.5
    """A neck pixel is skin while its (r, g) chromaticity is within this many robust deviations of the face's."""
    chroma_floor: float = 0.012
    """Smallest robust deviation of a chromaticity channel (a face lit evenly has almost none)."""
    min_saturation: float = 0.5
    """A pixel is not skin below this fraction of the face's median saturation (distance of its chromaticity from
    grey): a white or grey collar, whatever its brightness."""
    dark: float = 0.3
    """Below this fraction of the face's median luminance a pixel is not skin (a dark collar; shadow is above)."""
    bright: float = 1.6
    """Above this multiple of the face's median luminance (plus 0.08) a pixel is not skin (a white collar)."""
    min_face_px: int = 200
    """Fewer visible face pixels than this: no measurement, everything trusted."""
    min_blob: float = 0.0015
    """Untrusted areas smaller than this fraction of the image (after a 3x3 opening) are noise: trusted."""
    grow_px: int = 12
    """Clothing found over the neck reaches this many pixels further through connected pixels that are not skin
    and within ``grow_colour`` of its median colour: a collar's rim beside the jaw, higher than the neck's own
    pixels (and, where the hair proxy widened the head's silhouette over it, inside the head), which the fit would
    otherwise paint onto the jaw as a dark or white speck. Hair of the collar's colour within this distance of it
    goes too (the prior fills it with its own hair)."""
    grow_colour: float = 0.15
    """Largest RGB distance (in [0, 1] units) from the clothing's median colour of a pixel it grows into."""
    edge_px: float = 1.5
    """Gaussian sigma of the trust's edge (pixels)."""


@dataclass(frozen=True)
class VisibleParts:
    """``[H, W]`` bool masks of a fitted head's visible surface in one photo: ``face`` (the face region), ``neck``
    (the neck region or, outside the head, nearer to the neck than to the rest or below the rest of the head in
    its column: a collar beside the jaw)."""

    face: np.ndarray
    neck: np.ndarray


def visible_parts(model, regions: np.ndarray) -> VisibleParts:
    """The face and neck parts of a region map ``regions`` ``[H, W]`` (:func:`.head_alpha.visible_regions`)."""
    from scipy.ndimage import distance_transform_edt

    head = regions >= 0
    face = regions == model.region_index("face")
    neck_in = regions == model.region_index("neck")
    rest = head & ~neck_in
    neck = neck_in.copy()
    if neck_in.any() and rest.any():  # outside the head: the nearer part, or below the rest of the head's column
        neck |= ~head & (distance_transform_edt(~neck_in) < distance_transform_edt(~rest))
        rows = np.arange(regions.shape[0])[:, None]
        lowest = np.where(rest.any(axis=0), (rows * rest).max(axis=0), regions.shape[0])  # [W] the rest's bottom
        neck |= ~head & (rows > lowest[None, :])
    return VisibleParts(face, neck)


def skin_like(rgb: np.ndarray, face: np.ndarray, opt: NeckTrustOptions | None = None) -> np.ndarray | None:
    """``[H, W]`` bool: pixels whose colour matches the skin measured on ``face`` (``[H, W]`` bool), or None when
    ``face`` has fewer than ``min_face_px`` pixels. Robust statistics (median, 1.4826 MAD): eyes, brows, glasses
    and hair over the forehead are a minority of the face region."""
    opt = opt or NeckTrustOptions()
    if int(face.sum()) < opt.min_face_px:
        return None
    rgb = np.asarray(rgb, np.float64)[..., :3]
    total = rgb.sum(axis=-1) + 1e-6
    chroma = rgb[..., :2] / total[..., None]  # (r, g) chromaticity [H, W, 2]
    luma = rgb @ np.array([0.299, 0.587, 0.114])
    c_face, y_face = chroma[face], luma[face]
    med = np.median(c_face, axis=0)
    spread = np.maximum(1.4826 * np.median(np.abs(c_face - med), axis=0), opt.chroma_floor)
    y_med = float(np.median(y_face))
    saturation = np.linalg.norm(chroma - 1.0 / 3.0, axis=-1)
    chroma_ok = (np.abs(chroma - med) / spread).max(axis=-1) <= opt.chroma_sigma
    saturated = saturation >= opt.min_saturation * float(np.median(saturation[face]))
    luma_ok = (luma >= opt.dark * y_med) & (luma <= opt.bright * y_med + 0.08)
    return chroma_ok & saturated & luma_ok


def neck_trust(rgba: np.ndarray, parts: VisibleParts, opt: NeckTrustOptions | None = None) -> np.ndarray:
    """``[H, W]`` float32 trust in [0, 1] of a photo crop ``rgba`` ``[H, W, 4]`` (straight alpha): 0 on clothing
    over or beside the neck (see the module docstring), 1 elsewhere, soft over ``edge_px``."""
    from scipy.ndimage import binary_dilation, binary_opening, gaussian_filter, label

    opt = opt or NeckTrustOptions()
    rgba = np.asarray(rgba, np.float32)
    h, w = rgba.shape[:2]
    skin = skin_like(rgba[..., :3], parts.face & (rgba[..., 3] > 0.5), opt)
    if skin is None:
        return np.ones((h, w), np.float32)
    present = rgba[..., 3] > 0.05
    cloth = parts.neck & present & ~skin
    cloth = binary_opening(cloth, np.ones((3, 3), bool))
    blobs, n = label(cloth)
    if n:
        sizes = np.bincount(blobs.ravel(), minlength=n + 1)
        cloth = (sizes >= opt.min_blob * h * w)[blobs] & (blobs > 0)
    if cloth.any() and opt.grow_px > 0:  # the same cloth beside the head, connected to it
        colour = np.median(rgba[..., :3][cloth], axis=0)
        alike = np.linalg.norm(rgba[..., :3] - colour, axis=-1) <= opt.grow_colour
        cloth = binary_dilation(cloth, iterations=opt.grow_px, mask=cloth | (present & ~skin & alike))
    trust = 1.0 - gaussian_filter(cloth.astype(np.float32), opt.edge_px)
    return np.clip(np.where(cloth, 0.0, trust), 0.0, 1.0).astype(np.float32)
