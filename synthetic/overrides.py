"""``--set KEY=VALUE`` overrides of a dataclass config: the one parser every command line uses.

``KEY`` is a field name, dotted through nested dataclasses (``model.vq``, ``stage2_min_steps``). ``VALUE`` is
converted to the type of the field's current value and refused with one line (:class:`UserInputError`) when it
does not convert:

- ``bool``: ``true/false``, ``yes/no``, ``on/off``, ``1/0`` (any case);
- ``int``: a whole number (``40``, ``1e3``; ``2.7`` is refused, never rounded);
- ``float``: any finite number;
- ``str``: the text as given;
- ``list``: a JSON list (``[0.9, 0.99]``) or a comma list (``cam_00,cam_03``); every item converted to the type of
  the current first item.

Example::

    cfg = apply_overrides(InvertConfig(), ["stage2_min_steps=40", "lr_stage1=1e-4"])
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import fields, is_dataclass
from typing import Any, TypeVar

from .errors import UserInputError

T = TypeVar("T")

_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


def convert(raw: str, current: Any, where: str) -> Any:
    """``raw`` as the type of ``current``; ``UserInputError`` naming ``where`` when it does not convert."""
    text = raw.strip()
    if isinstance(current, bool):
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise UserInputError(f"{where}: {raw!r} is not a yes/no value (true/false, yes/no, on/off, 1/0)")
    if isinstance(current, int):
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if not number.is_integer():
            raise UserInputError(f"{where}: {raw!r} is not a whole number")
        return int(number)
    if isinstance(current, float):
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise UserInputError(f"{where}: {raw!r} is not a finite number")
        return number
    if isinstance(current, list):
        if text.startswith("["):
            try:
                items = json.loads(text)
            except json.JSONDecodeError as exc:
                raise UserInputError(f"{where}: {raw!r} is not a JSON list ({exc.msg})") from None
            if not isinstance(items, list):
                raise UserInputError(f"{where}: {raw!r} is not a list")
        else:
            items = [t.strip() for t in text.split(",") if t.strip()]
        if not current:
            return items
        return [convert(str(item) if not isinstance(item, bool) else str(item).lower(), current[0], where)
                for item in items]  # fmt: skip
    if isinstance(current, str):
        return raw
    raise UserInputError(f"{where}: a {type(current).__name__} setting cannot be set from the command line")


def field_names(config: Any, prefix: str = "") -> list[str]:
    """Every settable dotted key of the dataclass ``config`` (each prefixed with ``prefix``)."""
    names = []
    for f in fields(config):
        value = getattr(config, f.name)
        names += field_names(value, f"{prefix}{f.name}.") if is_dataclass(value) else [f"{prefix}{f.name}"]
    return names


def apply_overrides(config: T, overrides: Iterable[str] | None) -> T:
    """Set each ``KEY=VALUE`` of ``overrides`` on the dataclass ``config`` (in place; returned for chaining)."""
    for item in overrides or []:
        key, sep, raw = item.partition("=")
        node, parts = config, key.strip().split(".")
        for i, part in enumerate(parts):
            known = {f.name for f in fields(node)} if is_dataclass(node) else set()
            if not sep or part not in known:
                prefix = "".join(p + "." for p in parts[:i])
                raise UserInputError(f"--set {item!r}: expected KEY=VALUE with KEY one of "
                                     f"{', '.join(prefix + k for k in sorted(known))}")  # fmt: skip
            if i < len(parts) - 1:
                node = getattr(node, part)
        current = getattr(node, parts[-1])
        if is_dataclass(current):
            raise UserInputError(f"--set {item!r}: {key} is a section; set one of its keys, e.g. "
                                 f"{field_names(current, key + '.')[0]}")  # fmt: skip
        setattr(node, parts[-1], convert(raw, current, f"--set {key}"))
    return config
