"""YAML files: fast reading, line lookup on error, round-trip editing and atomic writes. Edge (I/O).

Reading uses PyYAML's C loader, the fastest safe parser there is, because a province-sized inventory is
hundreds of megabytes. Line numbers are only needed when something is wrong, so they are recovered lazily
by composing the file's node tree (also in C) and walking it along the failing field's path. Files people
edit and that govcloud rewrites (plans, imported census files) go through ruamel.yaml's round-trip mode so
comments and key order survive. Every write goes to a temporary file in the same directory that is then
renamed over the target, so a failed or interrupted run never leaves a half-written file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import io
import ipaddress
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pydantic
import ruamel.yaml
import yaml

try:  # the C extension is present in every PyYAML wheel; the fallback keeps source installs working
    _FastLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment,unused-ignore]
    _FastDumper: type[yaml.SafeDumper] = yaml.CSafeDumper  # type: ignore[assignment,unused-ignore]
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _FastLoader = yaml.SafeLoader
    _FastDumper = yaml.SafeDumper


class YamlSyntaxError(ValueError):
    """A file that is not YAML; carries the 1-based line of the problem."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


def read_fast(text: str) -> Any:
    """Parse YAML text into plain Python data (dicts, lists, scalars, dates)."""
    try:
        return yaml.load(text, Loader=_FastLoader)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        message = " ".join(part for part in (exc.context, exc.problem) if part)
        raise YamlSyntaxError(f"YAML syntax: {message}", line) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"YAML syntax: {exc}", None) from exc


def line_of(text: str, path: Sequence[str | int]) -> int | None:
    """1-based line of the node at ``path`` (keys and list indexes) in ``text``; the nearest parent if absent."""
    try:
        node = yaml.compose(text, Loader=_FastLoader)
    except yaml.YAMLError:
        return None
    if node is None:
        return 1
    line = node.start_mark.line + 1
    for step in path:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == step:
                    # a key that should not be there points at the key itself
                    child = value_node
                    line = key_node.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
            child = node.value[step]
            line = child.start_mark.line + 1
        if child is None:
            return line
        node = child
    return line


def to_plain(value: Any) -> Any:
    """Turn model dumps into YAML-friendly data: enums to their values, addresses to text, tuples to lists."""
    if isinstance(value, pydantic.BaseModel):
        return to_plain(value.model_dump(mode="python", exclude_defaults=True))
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv4Address | ipaddress.IPv4Interface):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def dump_fast(data: Any) -> str:
    """Serialise plain data as block-style YAML with Chinese text kept readable; fast (C emitter)."""
    return yaml.dump(data, Dumper=_FastDumper, allow_unicode=True, sort_keys=False, width=120, indent=2)


def roundtrip_yaml() -> ruamel.yaml.YAML:
    """A ruamel.yaml instance that keeps comments and order, for files people edit."""
    handle = ruamel.yaml.YAML(typ="rt")
    handle.allow_unicode = True
    handle.width = 120
    handle.indent(mapping=2, sequence=4, offset=2)
    handle.preserve_quotes = True
    return handle


def load_roundtrip(text: str) -> Any:
    return roundtrip_yaml().load(text)


def dump_roundtrip(data: Any) -> str:
    stream = io.StringIO()
    roundtrip_yaml().dump(data, stream)
    return stream.getvalue()


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def staged_writes() -> Iterator[dict[Path, str | None]]:
    """Collect writes (text) and deletions (None) and apply them only if the block finishes without error.

    Each file is still replaced atomically; a crash between two renames can leave some files new and some
    old, but never a file half-written, and an error raised while computing writes nothing at all.
    """
    pending: dict[Path, str | None] = {}
    yield pending
    for path, text in pending.items():
        if text is None:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        else:
            write_atomic(path, text)
