"""Photo preparation for few-shot inversion: calibrated, segmented views plus the head-model fit.

:func:`prepare_synthetic` turns a dataset identity into inversion input; real photos go through
:func:`prepare_photos` (detection, segmentation, crop, fit, texture back-projection). :func:`detect_face`
(mediapipe's bundled face detection + 478-point face mesh) is shared with GEM's image regressor.
"""

from .landmarks import DetectedFace, detect_face
from .prepare import prepare_photos
from .prepared import PreparedPhotos, PreparedView
from .segmentation import foreground_alpha
from .synthetic_inputs import prepare_synthetic

__all__ = ["DetectedFace", "PreparedPhotos", "PreparedView", "detect_face", "foreground_alpha", "prepare_photos",
           "prepare_synthetic"]
