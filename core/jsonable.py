"""Frozen configuration dataclasses that round-trip through a checkpoint's JSON metadata.

A leaf (imports nothing of ours). :class:`JsonDataclass` gives a dataclass ``to_json`` (``asdict``:
nested dataclasses become dicts, tuples stay sequences) and ``from_json`` (JSON lists back to tuples,
a field whose ``default_factory`` is itself a :class:`JsonDataclass` read by that class, keys the class
does not know ignored so a newer file's extra settings do not stop an older reader). Used by every
architecture and training config a checkpoint stores (docs/models.md).
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any, Self


class JsonDataclass:
    """Mixin for ``@dataclass(frozen=True)`` classes whose fields are JSON values, tuples or nested configs."""

    def to_json(self) -> dict:
        return asdict(self)  # type: ignore[call-overload]  # the mixin is only put on dataclasses

    @classmethod
    def from_json(cls, data: dict) -> Self:
        values: dict[str, Any] = {}
        for spec in fields(cls):  # type: ignore[arg-type]
            if spec.name not in data:
                continue
            value = data[spec.name]
            nested = spec.default_factory
            if isinstance(nested, type) and issubclass(nested, JsonDataclass):
                values[spec.name] = nested.from_json(value)
            else:
                values[spec.name] = tuple(value) if isinstance(value, list) else value
        return cls(**values)
