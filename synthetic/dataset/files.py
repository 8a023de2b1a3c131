"""Reading and writing the dataset's JSON and PNG files, and reading photos, with errors that name the file.

All writes are atomic (:mod:`synthetic.atomic`). PNGs go through pillow, imported lazily so that
importing the dataset package needs numpy only. Image arrays are row 0 = top.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..atomic import write_atomic, write_json_atomic
from ..errors import UserInputError
from . import layout


def _jsonable(value):
    """numpy arrays and scalars -> lists and Python numbers, recursively."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def json_roundtrip(value):
    """``value`` as it reads back from a JSON file (tuples -> lists, arrays -> lists)."""
    return json.loads(json.dumps(_jsonable(value)))


def write_json(path: str | Path, content: str, body: dict, indent: int | None = 2) -> Path:
    """Write ``body`` stamped with the format header (:func:`layout.stamp`) atomically
    (``indent=None``: one compact line, for the large ``transforms.json``)."""
    return write_json_atomic(path, layout.stamp(content, _jsonable(body)), indent=indent)


def read_json(path: str | Path, content: str | None = None) -> dict:
    """Read a dataset JSON file and check its header; ``UserInputError`` naming the file otherwise."""
    path = Path(path)
    if not path.is_file():
        raise UserInputError(f"{path}: file is missing")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserInputError(f"{path}: corrupt JSON ({exc})") from None
    except OSError as exc:
        raise UserInputError(f"{path}: cannot read ({exc})") from None
    if not isinstance(data, dict):
        raise UserInputError(f"{path}: expected a JSON object, found {type(data).__name__}")
    if data.get("format") != layout.FORMAT:
        raise UserInputError(f"{path}: format is {data.get('format')!r}, expected {layout.FORMAT!r}")
    if data.get("version") != layout.VERSION:
        raise UserInputError(f"{path}: format version {data.get('version')!r}, this reader reads version "
                             f"{layout.VERSION}")
    if content is not None and data.get("content") != content:
        raise UserInputError(f"{path}: holds {data.get('content')!r}, expected {content!r}")
    return data


def require(data: dict, path: str | Path, *keys: str) -> None:
    """``UserInputError`` naming ``path`` and the first of ``keys`` missing from ``data``."""
    for k in keys:
        if k not in data:
            raise UserInputError(f"{path}: missing field {k!r}")


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Float in [0, 1] (or uint8 passed through) -> uint8, rounding to nearest."""
    a = np.asarray(image)
    if a.dtype == np.uint8:
        return a
    return (np.clip(a.astype(np.float64), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def write_png(path: str | Path, image: np.ndarray) -> Path:
    """Write an 8-bit PNG atomically: ``[H, W]`` grey, ``[H, W, 3]`` RGB or ``[H, W, 4]`` RGBA.

    Float input is taken as already display-encoded (sRGB) values in [0, 1]; no colour conversion.
    """
    from PIL import Image

    a = to_uint8(image)
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)):
        raise ValueError(f"write_png: expected [H, W], [H, W, 3] or [H, W, 4], got {a.shape}")
    img = Image.fromarray(np.ascontiguousarray(a))  # uint8 [H, W] / [H, W, 3] / [H, W, 4] -> L / RGB / RGBA
    return write_atomic(path, lambda p: img.save(p, format="PNG"))


def read_png(path: str | Path) -> np.ndarray:
    """uint8 array of a PNG as stored (``[H, W]``, ``[H, W, 3]`` or ``[H, W, 4]``); ``UserInputError`` if unreadable."""
    from PIL import Image

    path = Path(path)
    if not path.is_file():
        raise UserInputError(f"{path}: image is missing")
    try:
        with Image.open(path) as img:
            img.load()
            if img.mode not in ("L", "RGB", "RGBA"):
                raise UserInputError(f"{path}: PNG mode {img.mode}, expected 8-bit L, RGB or RGBA")
            return np.asarray(img)
    except UserInputError:
        raise
    except Exception as exc:  # pillow raises many types for broken files
        raise UserInputError(f"{path}: cannot read image ({type(exc).__name__}: {exc})") from None


def read_photo(path: str | Path) -> np.ndarray:
    """``[H, W, 3]`` uint8 sRGB of any image file pillow reads (JPEG, PNG, ...), EXIF orientation applied (a phone
    photo comes upright); ``UserInputError`` naming the file. The one photo reader of ``fit-photos``, ``invert``
    and ``drive-gem``."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    p = Path(path)
    if not p.is_file():
        raise UserInputError(f"{p}: photo not found")
    try:
        with Image.open(p) as im:
            return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise UserInputError(f"{p}: not a readable image ({type(exc).__name__})") from None


def png_info(path: str | Path) -> tuple[str, int, int, int]:
    """``(mode, width, height, bit_depth)`` from a PNG header without decoding the pixels."""
    from PIL import Image

    path = Path(path)
    try:
        with Image.open(path) as img:
            if img.format != "PNG":
                raise UserInputError(f"{path}: not a PNG file ({img.format})")
            bits = 16 if img.mode.startswith("I;16") or img.mode == "I" else (1 if img.mode == "1" else 8)
            return img.mode, img.width, img.height, bits
    except UserInputError:
        raise
    except Exception as exc:
        raise UserInputError(f"{path}: cannot read image ({type(exc).__name__}: {exc})") from None
