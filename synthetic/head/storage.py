"""Where the built head model lives and how it is read and written (numpy only, no pickle).

The model is one ``.npz`` of plain arrays (no object arrays, read with ``allow_pickle=False``).
Lookup order of :func:`locate_model_file`:

1. an explicit path, or the ``SYNTHHEADS_HEAD_MODEL`` environment variable;
2. a packaged file ``synthetic/head/data/head_model.npz`` (the add-on packer puts the built file
   there, so Blender never needs scipy);
3. the checkout cache ``<CACHE_ROOT>/head_model/head_model_v<GENERATOR_VERSION>_<SOURCE>.npz``.

When none exists, :meth:`synthetic.head.model.HeadModel.load` builds the model
(:func:`synthetic.head.build.build_and_cache`, which needs scipy, about 5 s) and writes it atomically into the
cache. The cache key is the generator version plus a hash of the build's source files, so an edited build never
serves a stale cache; bump :data:`GENERATOR_VERSION` for changes that matter to datasets (the model fingerprint
changes anyway).
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import numpy as np

from ..atomic import write_atomic

GENERATOR_VERSION = "12"  # generator 7 (2026-12-06) kept "6"
FORMAT_VERSION = 1
ENV_VAR = "SYNTHHEADS_HEAD_MODEL"
PACKAGED_DIR = Path(__file__).resolve().parent / "data"


PACKAGED_NAME = "head_model.npz"
_BUILD_SOURCES = ("template.py", "landmark_table.py", "regions.py", "build/*.py")


def source_hash() -> str:
    """Short sha256 of the build's source files (empty when they are not shipped, e.g. in the add-on)."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    files = sorted(f for pattern in _BUILD_SOURCES for f in root.glob(pattern))
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:12] if files else ""


def model_file_name() -> str:
    return f"head_model_v{GENERATOR_VERSION}_{source_hash()}.npz"


def cache_path() -> Path:
    from ..cache_env import CACHE_ROOT

    return Path(CACHE_ROOT) / "head_model" / model_file_name()


def locate_model_file(path: str | os.PathLike | None = None) -> Path | None:
    """The first existing model file of the lookup order above, or None."""
    if path is not None:
        return Path(path)
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    for candidate in (PACKAGED_DIR / PACKAGED_NAME, cache_path()):
        if candidate.is_file():
            return candidate
    return None


def save_arrays(path: str | os.PathLike, arrays: dict[str, np.ndarray]) -> Path:
    """Write ``arrays`` as a compressed ``.npz`` atomically (strings as unicode arrays)."""
    clean = {k: np.asarray(v) for k, v in arrays.items()}
    for k, v in clean.items():
        if v.dtype == object:
            raise TypeError(f"head model array {k!r} has dtype object; only plain arrays are stored")

    def write(tmp: Path) -> None:
        buf = io.BytesIO()
        np.savez_compressed(buf, **clean)
        tmp.write_bytes(buf.getvalue())

    return write_atomic(path, write)


def read_arrays(path: str | os.PathLike) -> dict[str, np.ndarray]:
    with np.load(Path(path), allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    version = int(arrays.get("format_version", np.array(-1)))
    if version != FORMAT_VERSION:
        raise ValueError(f"{path}: head model format_version {version}, expected {FORMAT_VERSION}")
    return arrays


class ModelNotBuilt(FileNotFoundError):
    """No head model file is packaged or cached (and none was named): build one (``python -m synthetic.head.build``;
    :meth:`synthetic.head.model.HeadModel.load` does it by itself)."""


def load_arrays(path: str | os.PathLike | None = None) -> dict[str, np.ndarray]:
    """Read the model arrays of :func:`locate_model_file`; :class:`ModelNotBuilt` when there is none."""
    found = locate_model_file(path)
    if found is not None:
        if not found.is_file():
            raise FileNotFoundError(f"head model file not found: {found}")
        return read_arrays(found)
    raise ModelNotBuilt(f"no head model packaged ({PACKAGED_DIR / PACKAGED_NAME}) or cached ({cache_path()})")


LEGACY_FINGERPRINTS = {
    "225dd560838dfe58646b637b620c0349bdb011ca6fa57f130f72b7194aaf05d3":
        "47aeac2205b332f3b2904c64cb067ea3c9ed35113070bb842c7a6510f15f623b",
    "4cc5a19330d0d607545e5eac9f116ee4f9b0763a72d0f711bf24ab328b9a8f35":
        "14220a7b4e79ae1063c6d694e33f7a4bc3ab875e10088137963363e51eaba83e",
    "99072f5ac83b9db3e9a67e73078651650df9af635201cf889721a883aa3a9bd3":
        "0efe42b0c382308d589715354b34311d4617678640932a841c9b421668a6ad22",
}
"""Fingerprints written before the landmark table left the fingerprint (every array hashed), or by a build whose
BLAS was not yet fixed (generator 8 built on two threads, 2026-12-06: the same template, identity-basis values one
float32 ulp off; generator 12 built with numpy's AVX-512 loops, 2026-12-07: the fourth shipped prior was trained on
it) -> the geometry fingerprint of the same model. Datasets, priors and avatars made then stay
valid."""


def geometry_fingerprint(fingerprint: str | None) -> str | None:
    """The geometry fingerprint a recorded one stands for (its :data:`LEGACY_FINGERPRINTS` mapping, else itself)."""
    return LEGACY_FINGERPRINTS.get(fingerprint, fingerprint)


SUPERSEDED_TEMPLATES = {
    "47aeac2205b332f3b2904c64cb067ea3c9ed35113070bb842c7a6510f15f623b":
        "the first template (2026-11-20 to 2026-12-05): wider nose, flat cheeks, square jaw, lips without a bow",
    "fc30466a2101c64fc4dc39e46c89a6d1c1df14c3a08a5ad3191495bbbf68647e":
        "the re-sculpted template (generator 2, 2026-12-05): eye openings 23 mm wide with the inner corners 44 mm "
        "apart (the lid margins were pulled radially onto the lid sphere)",
    "c3dd711bac20171413d45b7c2086ba2c8de8be487f1bda689bd1974b172dbcf4":
        "generator 3 (2026-12-05): identities up to twice as varied as people (mouth width sd 8.4 mm, lower face "
        "7.7) and drawn regardless of sex and age; the chin 3.5 mm short",
    "31de4c3e75fd1c2c74e6eea8abe878c12b1c876d77d8b7ee82ab8d5977091f80":
        "generator 4 (2026-12-05): the closed lips met 9 mm behind their fronts, in the slit carved for the mouth, "
        "so the upper lip's red turned away into a dark slot",
    "e9e582ad095c2f19a5ec8f26c38fa9ad97e0b4716ab0a3165b30dfbf20072e10":
        "generator 5 (2026-12-05): the skin between nose and upper lip sloped back into a gutter 3-4 mm behind both "
        "(a dark wedge under the nose), the chin stood 11 mm behind the subnasale, the neck (120 mm) was as wide as "
        "the jaw and the upper incisors stood 23 mm behind the upper lip's front",
    "847f4a0c45cfedee3f68d37e788b79a9fd95a606bead3f783c5bce1e6b622408":
        "generator 6 (2026-12-06): a smile lifted the lips' middle half as far as their corners (4.1 of 8.1 mm), "
        "so the mouth rose without curving; the gum band hid all but 5.8 mm of the upper incisors, whose crowns "
        "narrowed to a third of their width at the biting edge (pebbles with dark gaps between)",
    "d9512d3a576417efc5b9debf4fe1f1b740d73c5b175729d8e1fec4f8dd41fb82":
        "generator 7 (2026-12-06; built as 8febf6a1... on the machine that made it): a box under the cheekbones, "
        "the jaw's angle 124 mm wide (go-go / zy-zy 0.87) with the neck blended into it over 32 mm, and a nose "
        "whose wings (al-al 36 mm) and a 28 mm wide upper-lip bulge made a bar across its base",
    "14220a7b4e79ae1063c6d694e33f7a4bc3ab875e10088137963363e51eaba83e":
        "generator 8 (2026-12-06): gaunt; beside the real average face (mediapipe's canonical face model) the "
        "cheeks sat 4 mm and the lateral face 11 mm inside the skin (RMS 4.5 mm over its 468 points), the face "
        "narrowing below the cheekbones to 111 mm at the mouth, and the nose's side walls stood near vertical",
    "7495502d4b9ca4d1a86b8d1d85dded93061d3c69a5234ae21d7e1c3c98fa7be9":
        "generator 9 (2026-12-06): a narrow V-shaped lower face that fell back 25-40 mm from the midline below the "
        "mouth (8-11 mm behind the canonical face there), so the mouth stood out as a muzzle in three-quarter "
        "views, and lips that ran straight out to their corners instead of wrapping round the teeth",
    "d1bb12ab27fe8e24e6d62751e3675249e2c41dd2edaeb15fc1bdb4a4d880a7ee":
        "generator 10 (2026-12-06): the mouth's corners 4 mm in front of the real average face's (the lips' front "
        "fell back 11.5 mm to their corners, the canonical face's 17 mm), the muzzle's blend bulging beside them: "
        "the lips stood out as a bill in three-quarter views",
    "4a925d661b75d1f452efd50a8f385ea24e8c0f713c6495a1dda79f3c15e5c5df":
        "generator 11 (2026-12-06): each closed lip ran in one straight bevel from its first ring to the contact line "
        "(the upper 3.6 mm back over 2.9 mm down), so the lips met in a wide V that read as a dark groove, as if "
        "parted, from the front",
}
"""Geometry fingerprints of earlier templates -> what changed. A *prior* trained on one of them still loads: its
networks work in UV space and take their per-Gaussian template positions, skinning and correctives from the
current mesh when they are built (same regions, UV layout, rig and basis names; the surface moved by a few mm).
Datasets and avatars stay tied to their exact geometry (their images and fitted meshes are of the old surface)."""

LANDMARK_KEYS = ("landmark_mediapipe", "landmark_faces", "landmark_bary")
"""The arrays of the landmark table: what :func:`landmark_fingerprint` covers and :func:`fingerprint_arrays`
leaves out (recalibrating the table changes no geometry, so priors and avatars stay valid)."""


def fingerprint_arrays(arrays: dict[str, np.ndarray], keys=None) -> str:
    """sha256 over the arrays' names, dtypes, shapes and bytes, in sorted name order.

    ``keys``: only these arrays; None = every array but the landmark table (:data:`LANDMARK_KEYS`): the head
    model's geometry, rig, UVs and regions, what priors, avatars and fitted shapes depend on."""
    h = hashlib.sha256()
    for key in sorted(arrays if keys is None else keys):
        if keys is None and key in LANDMARK_KEYS:
            continue
        a = np.ascontiguousarray(arrays[key])
        h.update(key.encode())
        h.update(str(a.dtype.str).encode())
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def landmark_fingerprint(arrays: dict[str, np.ndarray]) -> str:
    """sha256 of the landmark table's arrays alone (:data:`LANDMARK_KEYS`): what a dataset's
    ``landmarks.json`` depends on besides the geometry."""
    return fingerprint_arrays(arrays, LANDMARK_KEYS)
