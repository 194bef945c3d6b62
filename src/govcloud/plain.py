"""Typed values as plain JSON-ready data. Pure.

Dataclasses become dicts of their fields, pydantic models their JSON dump, enums their value, dates ISO
text, mappings dicts with string keys and tuples lists: what :func:`json.dumps` takes. One converter for
every document the application layer builds (:mod:`govcloud.app.documents`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Mapping
from typing import Any

import pydantic


def plain(value: Any) -> Any:
    """``value`` as dicts, lists, strings, numbers, booleans and None, recursively."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
