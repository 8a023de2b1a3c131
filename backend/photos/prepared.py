"""What photo preparation hands to inversion: calibrated, segmented views of one person plus the head-model fit.

The same structure comes from real photos (:func:`backend.photos.prepare_photos`: detection, landmarks,
segmentation, head-model fit, texture back-projection) and from a synthetic dataset identity (its own
cameras and parameters, no detection), so inversion has one input type.

Conventions (ARCHITECTURE.md): metres; world = the head model's frame (Z up, a neutral head looks along
-Y); cameras OpenCV (``K`` 3x3 in pixels of ``image``, pixel centres at +0.5; ``w2c`` 4x4). Images are
``[H, W, 4]`` float32 in [0, 1], row 0 = top, straight alpha = foreground mask. Textures follow
:mod:`synthetic.backproject`: ``[R, R, 3]`` arrays with row 0 = top (texel ``(row, col)`` at
``u = (col + 0.5) / R``, ``v = 1 - (row + 0.5) / R``), the layout of a dataset's ``backprojected.png``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class PreparedView:
    """One calibrated view of the person.

    Attributes:
        name: where it came from (photo file stem, or ``id_00012/frame_0000/cam_05``).
        image: ``[H, W, 4]`` float32 RGBA, straight alpha (the foreground segmentation).
        K: ``[3, 3]`` intrinsics in pixels of ``image``.
        w2c: ``[4, 4]`` world-to-camera (OpenCV). The fitted rigid head pose lives here.
        expression: ``[E]`` head-model expression coefficients of this view.
        pose: ``[J, 3]`` axis-angle joint rotations (rad, joints of ``HeadModel.joint_names``).
        landmarks: ``[L, 2]`` detected 2D landmarks in pixels of ``image`` (mediapipe order), or None.
        trust: ``[H, W]`` float32 in [0, 1], how far the inversion's loss trusts each pixel (0: the photo says
            nothing there, e.g. a collar over the neck, :mod:`backend.photos.neck_trust`); None: 1 everywhere.
    """

    name: str
    image: np.ndarray
    K: np.ndarray
    w2c: np.ndarray
    expression: np.ndarray
    pose: np.ndarray
    landmarks: np.ndarray | None = None
    trust: np.ndarray | None = None


@dataclass
class PreparedPhotos:
    """Every view of one person, the shared identity shape and the back-projected UV texture.

    Attributes:
        views: the calibrated views (1 or more).
        shape: ``[S]`` identity coefficients shared by all views.
        proxy_offsets_m: ``[V]`` hair/beard proxy offsets along vertex normals (m); zeros for photos
            (no hair proxy is known) unless a dataset gives them.
        texture: ``[R, R, 3]`` float32 back-projected texture (row 0 = top), push-pull filled.
        texture_mask: ``[R, R]`` bool, texels a view actually saw.
        overlays: fit pictures (``[h, w, 3]`` uint8), one per view, for reports; may be empty.
        info: free-form numbers for reports (fit residuals in pixels, timings).
        texture_weight: ``[R, R]`` float in [0, 1], how squarely the best view saw each texel (the back-projection's
            largest view weight ``cos ** 3 * alpha``, :func:`synthetic.backproject.backproject`); None = the mask.
    """

    views: list[PreparedView]
    shape: np.ndarray
    proxy_offsets_m: np.ndarray
    texture: np.ndarray
    texture_mask: np.ndarray
    overlays: list[np.ndarray] = field(default_factory=list)
    info: dict = field(default_factory=dict)
    texture_weight: np.ndarray | None = None
