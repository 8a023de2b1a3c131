"""Classical face measurements (Farkas' anthropometry) on head-model vertices, and adult norms to hold them to.

A face reads as a caricature when its proportions sit outside what people have: a mouth as wide as a clown's, a
chin half a person's height. :func:`face_measurements` takes the usual distances (mm) between the head model's
mediapipe landmarks and two geometric points (pupils from the corneas, gnathion from the chin's lower border);
:data:`ADULT_NORMS` holds adult means and standard deviations, per sex, rounded from Farkas (1994, North American
Caucasian young adults) and ANSUR II (interpupillary distance). The head model is judged against these in
``tests/synthetic/head/test_identity_anthropometry.py``.
"""

from __future__ import annotations

import numpy as np

#: measurement -> ((female mean, sd), (male mean, sd)) in mm
ADULT_NORMS: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    "interpupillary": ((61.7, 3.6), (64.0, 3.4)),
    "intercanthal en-en": ((31.8, 2.3), (33.3, 2.7)),
    "biocular ex-ex": ((87.8, 3.2), (91.2, 3.0)),
    "mouth width ch-ch": ((50.0, 3.2), (53.3, 3.3)),
    "nose height n-sn": ((50.6, 3.1), (54.8, 3.3)),
    "upper lip sn-sto": ((19.9, 1.9), (22.3, 2.1)),
    "lower face sto-gn": ((44.3, 3.0), (49.4, 3.7)),
    "face height n-gn": ((112.1, 5.2), (121.3, 6.8)),
    "face width zy-zy": ((129.9, 4.9), (139.1, 5.3)),
}


def mixed_norm(name: str) -> tuple[float, float]:
    """Mean and standard deviation (mm) of a population of equally many women and men."""
    (mf, sf), (mm, sm) = ADULT_NORMS[name]
    mean = 0.5 * (mf + mm)
    return mean, float(np.sqrt(0.5 * (sf**2 + sm**2) + (0.5 * (mm - mf)) ** 2))


GNATHION_NORMAL = np.array([0.0, -np.sin(np.radians(15.0)), -np.cos(np.radians(15.0))])
"""Skin normal at the gnathion: 15 degrees forward of straight down, where the chin's lower border turns up into
its front. (The most downward normal wandered along a level line under the chin from one head to the next.)"""


GONION_BELOW_STOMION = 18.0
"""Height (mm) of the jaw's angle below the stomion, where :func:`face_measurements` takes the bigonial width."""

JAW_TO_CHEEK = (0.70, 0.80)
"""The range of go-go / zy-zy in adults (the lower face narrower than the cheekbones by a fifth to a third; e.g.
106.6 / 133.8 = 0.80 and 96.8 / 130.1 = 0.74 in published soft-tissue norms). No sex-specific norm is kept for
go-go itself: the tables at hand disagree on it."""


def face_measurements(model, vertices: np.ndarray) -> dict[str, float]:
    """The :data:`ADULT_NORMS` measurements (mm) of one head: ``vertices`` ``[V, 3]`` (m) of ``model``
    (a :class:`synthetic.head.model.HeadModel`), neutral expression and pose.

    Landmarks are mediapipe's (nasion 168, subnasale 2, stomion 13/14, eye corners 33/133/263/362, mouth
    corners 61/291); heights are vertical (z) distances, widths straight-line ones. Pupils are the corneas'
    centroids; gnathion is the skin point on the midline below the mouth, within 20 mm behind the chin's front,
    whose normal is nearest :data:`GNATHION_NORMAL` (the chin's lower border); face width is the widest frontal
    skin (in front of the ears) at cheekbone height. Besides the norms' keys, ``jaw width go-go``: the widest skin
    in front of the ear (y < -5 mm) :data:`GONION_BELOW_STOMION` below the stomion (held to :data:`JAW_TO_CHEEK`).
    """
    v = np.asarray(vertices, dtype=np.float64)
    lm = model.landmarks(v) * 1000.0
    row = {int(k): i for i, k in enumerate(model.landmark_mediapipe)}

    def p(index: int) -> np.ndarray:
        return lm[row[index]]

    mm = v * 1000.0
    pupils = [mm[model.part_vertices(f"cornea_{s}")].mean(axis=0) for s in ("left", "right")]
    skin_ids = model.part_vertices("skin")
    skin = mm[skin_ids]
    normals = model.normals(vertices=v)[skin_ids]
    midline = (np.abs(skin[:, 0]) < 2.5) & (skin[:, 2] < p(14)[2] - 15.0) & (skin[:, 1] < -30.0)
    chin = midline & (skin[:, 1] < skin[midline, 1].min() + 20.0)  # the chin, not the throat behind it
    gnathion = skin[chin][np.argmax(normals[chin] @ GNATHION_NORMAL)]

    def frontal_width(z: float) -> float:
        band = (np.abs(skin[:, 2] - z) < 3.0) & (skin[:, 1] < -30.0)
        return float(2.0 * np.abs(skin[band, 0]).max())

    eye_z = 0.5 * (pupils[0][2] + pupils[1][2])
    jaw_angle = (np.abs(skin[:, 2] - (p(14)[2] - GONION_BELOW_STOMION)) < 3.0) & (skin[:, 1] < -5.0)
    return {
        "interpupillary": float(np.linalg.norm(pupils[0] - pupils[1])),
        "intercanthal en-en": float(np.linalg.norm(p(133) - p(362))),
        "biocular ex-ex": float(np.linalg.norm(p(33) - p(263))),
        "mouth width ch-ch": float(np.linalg.norm(p(61) - p(291))),
        "nose height n-sn": float(p(168)[2] - p(2)[2]),
        "upper lip sn-sto": float(p(2)[2] - p(13)[2]),
        "lower face sto-gn": float(p(14)[2] - gnathion[2]),
        "face height n-gn": float(p(168)[2] - gnathion[2]),
        "face width zy-zy": max(frontal_width(eye_z + dz) for dz in (-16.0, -6.0, 4.0)),
        "jaw width go-go": float(2.0 * np.abs(skin[jaw_angle, 0]).max()),
    }
