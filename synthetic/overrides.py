"""Setting dataclass configs: from a mapping (a preset, a JSON file, a checkpoint) with :func:`apply_mapping`, and
from ``--set KEY=VALUE`` strings with :func:`apply_overrides` (the one parser every command line uses);
:func:`resolve_config` chains them: defaults, then a preset or a JSON file, then ``--set``.

``KEY`` is a field name, dotted through nested dataclasses (``model.vq``, ``stage2_min_steps``). ``VALUE`` is
converted to the type of the field's current value and refused with one line (:class:`UserInputError`) when it
does not convert:

- ``bool``: ``true/false``, ``yes/no``, ``on/off``, ``1/0`` (any case);
- ``int``: a whole number (``40``, ``1e3``; ``2.7`` is refused, never rounded);
- ``float``: any finite number;
- ``str``: the text as given;
- ``list``: a JSON list (``[0.9, 0.99]``) or a comma list (``cam_00,cam_03``); every item converted to the type of
  the current first item.

A mapping's values must already have the field's type (an int is accepted for a float); unknown keys are refused,
so a typo never silently configures something else.

Example::

    cfg = apply_overrides(InvertConfig(), ["stage2_min_steps=40", "lr_stage1=1e-4"])
    cfg = resolve_config(InvertConfig(), PRESETS, "eval", ["pivot=0"])
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import fields, is_dataclass
from pathlib import Path
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


def check_value(value: Any, current: Any, where: str) -> Any:
    """``value`` (from JSON or a preset) checked against the type of the field's ``current`` value."""
    if isinstance(current, bool):
        ok = isinstance(value, bool)
    elif isinstance(current, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(current, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif isinstance(current, list):
        ok = isinstance(value, list)
    else:
        ok = isinstance(value, type(current))
    if not ok:
        raise UserInputError(f"{where}: expected {type(current).__name__}, got {value!r}")
    return value


def apply_mapping(config: T, data: Any, where: str = "config") -> T:
    """Set the fields of the dataclass ``config`` (in place; returned) from a possibly partial, possibly nested
    mapping; ``UserInputError`` naming ``where`` on unknown keys or wrong types."""
    if not isinstance(data, Mapping):
        raise UserInputError(f"{where}: expected an object, got {type(data).__name__}")
    known = {f.name for f in fields(config)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise UserInputError(f"{where}: unknown key(s) {unknown}; known: {sorted(known)}")
    for name, value in data.items():
        current = getattr(config, name)
        if is_dataclass(current):
            apply_mapping(current, value, f"{where}.{name}")
        else:
            setattr(config, name, check_value(value, current, f"{where}.{name}"))
    return config


def read_mapping(source: Mapping | str | Path, where: str) -> Mapping:
    """``source`` itself when it is a mapping, else the JSON object in the file ``source``."""
    if isinstance(source, Mapping):
        return source
    path = Path(source)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserInputError(f"{path}: not valid JSON ({exc})") from None
    except OSError as exc:
        raise UserInputError(f"{where}: cannot read {path} ({type(exc).__name__})") from None


def resolve_config(config: T, presets: Mapping[str, Mapping | Path], choice: str | Path | None = None,
                   overrides: Iterable[str] | None = None) -> T:
    """``config`` (the defaults), then the preset ``choice`` (a name in ``presets``: a mapping, or a JSON file) or a
    JSON file at ``choice``, then the ``--set`` ``overrides``."""
    if choice is not None:
        if str(choice) in presets:
            source = presets[str(choice)]
            where = f"preset {choice}" if isinstance(source, Mapping) else str(source)
        elif Path(choice).is_file():
            source = where = str(choice)
        else:
            raise UserInputError(f"--config {choice}: not a preset ({', '.join(presets)}) nor a JSON file")
        apply_mapping(config, read_mapping(source, where), where)
    return apply_overrides(config, overrides)
