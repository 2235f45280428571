"""Helpers every topic's frozen ``Config`` dataclass uses: JSON round trip and presets."""

from __future__ import annotations

import dataclasses
import json
import typing
from typing import Any, TypeVar

from dl_core.errors import ConfigError

C = TypeVar("C")


def to_dict(cfg: Any) -> dict[str, Any]:
    """Return the config as a plain JSON-serialisable dict (tuples become lists)."""
    return json.loads(json.dumps(dataclasses.asdict(cfg)))


def to_json(cfg: Any) -> str:
    """Canonical JSON of a config: sorted keys, no spaces; used in job keys."""
    return json.dumps(to_dict(cfg), sort_keys=True, separators=(",", ":"))


def from_dict(cls: type[C], data: dict[str, Any]) -> C:
    """Build ``cls`` from a dict, ignoring unknown keys and restoring tuples.

    Raises:
        ConfigError: a value cannot be converted to the field's type.
    """
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        if field.name not in data:
            continue
        kwargs[field.name] = _coerce(hints.get(field.name, Any), data[field.name], field.name)
    return cls(**kwargs)


def _coerce(tp: Any, value: Any, name: str) -> Any:
    origin = typing.get_origin(tp)
    try:
        if tp in (int, float, str, bool):
            if tp is bool and isinstance(value, str):
                return value.lower() in ("1", "true", "yes", "on")
            return tp(value)
        if origin is tuple and isinstance(value, (list, tuple)):
            args = typing.get_args(tp)
            if len(args) == 2 and args[1] is Ellipsis:
                return tuple(_coerce(args[0], v, name) for v in value)
            return tuple(value)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"Setting '{name}' has an invalid value: {value!r}.") from err
    return value
