"""YAML files: fast reading, line lookup on error, round-trip editing and atomic writes. Edge (I/O).

Reading uses PyYAML's C loader, the fastest safe parser there is, because a province-sized inventory is
hundreds of megabytes. Line numbers are only needed when something is wrong, so they are recovered lazily
by composing the file's node tree (also in C) and walking it along the failing field's path.

PyYAML silently keeps the last value of a repeated mapping key, so a pasted-twice field would hide a value
from review. The reading loader's mapping constructor notices repeated keys as it builds each mapping (a
dictionary membership test per key, about 1%) and takes plain string keys and values straight from their
nodes instead of through the generic per-node constructor, so reading stays faster than stock
``CSafeLoader`` (measured 0.71x on 200 province department files). Where the repeated keys are is worked
out afterwards, only for a file that has one. Likewise a value that a constructor cannot build (a 13th
month, ``!!int abc``) is located by a second, diagnosing parse, only when it happens.

Files people edit and that govcloud rewrites (plans, imported census files) go through ruamel.yaml's
round-trip mode so comments and key order survive. Every write goes to a temporary file in the same
directory that is then renamed over the target, so a failed or interrupted run never leaves a half-written
file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import enum
import functools
import io
import ipaddress
import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pydantic
import ruamel.yaml
import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

try:  # the C extension is present in every PyYAML wheel; the fallback keeps source installs working
    _FastLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment,unused-ignore]
    _FastDumper: type[yaml.SafeDumper] = yaml.CSafeDumper  # type: ignore[assignment,unused-ignore]
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _FastLoader = yaml.SafeLoader
    _FastDumper = yaml.SafeDumper


_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")  # what YAML counts as a line break
_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
# What PyYAML's constructors raise (instead of a YAMLError) on a value they cannot build.
_CONSTRUCTOR_FAILURES = (ValueError, TypeError, AttributeError, LookupError, ArithmeticError)


class YamlSyntaxError(ValueError):
    """A file that is not YAML; carries the 1-based line of the problem."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


@dataclasses.dataclass(frozen=True)
class DuplicateKey:
    """A mapping key written twice; YAML loaders keep only the last value."""

    path: tuple[object, ...]
    """keys (as constructed: usually text) and list indexes down to the repeated key, the key itself last"""
    line: int
    """1-based line of the repeated (later) occurrence"""
    first_line: int


class _ReadingLoader(_FastLoader):  # type: ignore[valid-type,misc]
    """The C loader with a mapping constructor that notices repeated keys (and is faster than the stock one)."""

    repeated_keys = False

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._implicit_tags: dict[str, str] = {}

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: tuple[bool, bool]) -> str:
        """The tag of a node, as PyYAML resolves it; a plain scalar's is remembered by its text.

        The C parser asks this for every scalar, keys included (half of a province's parse went here): a plain
        scalar's tag depends only on its text (no path resolvers are registered), so each text is resolved once.
        """
        if kind is ScalarNode and implicit[0]:
            tag = self._implicit_tags.get(value)
            if tag is None:
                tag = self._implicit_tags[value] = super().resolve(kind, value, implicit)
            return tag
        resolved: str = super().resolve(kind, value, implicit)
        return resolved

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, MappingNode):
            raise ConstructorError(
                None, None, f"expected a mapping node, but found {getattr(node, 'id', 'node')}", node.start_mark
            )
        mapping: dict[Any, Any] = {}
        construct = self.construct_object
        for key_node, value_node in node.value:
            if key_node.tag == _STR_TAG and type(key_node) is ScalarNode:
                key = key_node.value
            elif key_node.tag == _MERGE_TAG:
                return self._construct_merging(node, deep)
            else:
                key = construct(key_node, deep=deep)
                _require_hashable(node, key_node, key)
            if key in mapping:
                self.repeated_keys = True
            if value_node.tag == _STR_TAG and type(value_node) is ScalarNode:
                mapping[key] = value_node.value
            else:
                mapping[key] = construct(value_node, deep=deep)
        return mapping

    def _construct_merging(self, node: MappingNode, deep: bool) -> dict[Any, Any]:
        """A mapping with ``<<`` merge keys: merged keys may be overridden, the mapping's own may not repeat."""
        own = [self.construct_object(k, deep=True) for k, _ in node.value if k.tag != _MERGE_TAG]
        for key_node, key in zip((k for k, _ in node.value if k.tag != _MERGE_TAG), own, strict=True):
            _require_hashable(node, key_node, key)
        if len(set(own)) != len(own):
            self.repeated_keys = True
        return SafeConstructor.construct_mapping(self, node, deep)


class _DiagnosingLoader(_ReadingLoader):
    """Used only after a constructor failed: turns the failure into an error that carries the node's line."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except _CONSTRUCTOR_FAILURES as exc:
            what = node.tag.rsplit(":", 1)[-1]
            raise ConstructorError(None, None, f"cannot read {node.value!r} as {what}: {exc}", node.start_mark) from exc


def read_fast(text: str) -> Any:
    """Parse YAML text into plain Python data (dicts, lists, scalars, dates); a repeated key is a syntax error."""
    data, duplicates = read_document(text)
    if duplicates:
        first = duplicates[0]
        raise YamlSyntaxError(
            f"YAML: duplicate key {first.path[-1]!r} (first at line {first.first_line}): only one value would be kept",
            first.line,
        )
    return data


def read_document(text: str) -> tuple[Any, tuple[DuplicateKey, ...]]:
    """Parse YAML text into plain data, and say which mapping keys are repeated (the data keeps the last value)."""
    try:
        data, repeated = _load(text, _ReadingLoader)
    except _CONSTRUCTOR_FAILURES as exc:
        try:
            _load(text, _DiagnosingLoader)
        except yaml.YAMLError as located:
            raise _syntax_error(located, text) from exc
        except _CONSTRUCTOR_FAILURES:  # pragma: no cover - the diagnosing parse always locates it
            pass
        raise YamlSyntaxError(f"YAML: cannot read a value: {exc}", None) from exc
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, text) from exc
    return data, (duplicate_keys(text) if repeated else ())


def duplicate_keys(text: str) -> tuple[DuplicateKey, ...]:
    """Every repeated mapping key in ``text`` (which must parse), in document order."""
    root = yaml.compose(text, Loader=_FastLoader)  # not the cached tree: constructing keys may rewrite merges
    if root is None:
        return ()
    constructor = _ReadingLoader("")
    found: list[DuplicateKey] = []
    visited: set[int] = set()
    pending: list[tuple[yaml.Node, tuple[object, ...]]] = [(root, ())]
    while pending:
        node, path = pending.pop()
        if id(node) in visited:  # an alias: already walked
            continue
        visited.add(id(node))
        if isinstance(node, MappingNode):
            first_line: dict[Any, int] = {}
            for key_node, value_node in node.value:
                if key_node.tag == _MERGE_TAG:
                    continue
                key = key_node.value if key_node.tag == _STR_TAG else constructor.construct_object(key_node, True)
                line = key_node.start_mark.line + 1
                if key in first_line:
                    found.append(DuplicateKey((*path, key), line, first_line[key]))
                else:
                    first_line[key] = line
                pending.append((value_node, (*path, key)))
        elif isinstance(node, SequenceNode):
            pending.extend((child, (*path, i)) for i, child in enumerate(node.value))
    return tuple(sorted(found, key=lambda d: d.line))


def line_of(text: str, path: Sequence[str | int]) -> int | None:
    """1-based line of the node at ``path`` (keys and list indexes) in ``text``; the nearest parent if absent."""
    try:
        node = _compose(text)
    except yaml.YAMLError:
        return None
    return line_in_tree(node, path)


def line_in_tree(node: yaml.Node | None, path: Sequence[str | int]) -> int:
    """:func:`line_of` over a tree composed already (``None``: an empty document, line 1)."""
    if node is None:
        return 1
    line: int = node.start_mark.line + 1
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


@functools.lru_cache(maxsize=16)
def _compose(text: str) -> yaml.Node | None:
    """The node tree of ``text``; cached because one broken file is often asked about many times in a row."""
    return yaml.compose(text, Loader=_FastLoader)


def _load(text: str, loader_class: type[_ReadingLoader]) -> tuple[Any, bool]:
    loader = loader_class(text)
    try:
        return loader.get_single_data(), loader.repeated_keys
    finally:
        loader.dispose()


def _require_hashable(node: yaml.Node, key_node: yaml.Node, key: Any) -> None:
    try:
        hash(key)
    except TypeError as exc:
        raise ConstructorError(
            "while constructing a mapping", node.start_mark, "found unhashable key", key_node.start_mark
        ) from exc


def _syntax_error(exc: yaml.YAMLError, text: str) -> YamlSyntaxError:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        # at the end of a file without a final newline the parser's mark is one line past the text
        line = min(mark.line + 1, len(_LINE_BREAK.findall(text)) + 1) if mark is not None else None
        message = " ".join(part for part in (exc.context, exc.problem) if part)
        return YamlSyntaxError(f"YAML syntax: {message}", line)
    return YamlSyntaxError(f"YAML syntax: {exc}", None)


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


def file_mode_for(path: Path) -> int:
    """The permission bits a rewritten ``path`` should keep: its own, or what a plain ``open`` would give.

    A temporary file from :func:`tempfile.mkstemp` is private (0600); renamed over a plan file or a report it
    would lock out every other user of a shared checkout.
    """
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename, so readers never see half a file."""

    def write_text(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)

    replace_atomically(path, write_text)


def replace_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Replace ``path`` with what ``write`` puts into a temporary file beside it (the one atomic writer).

    The temporary file gets the mode ``path`` should keep (:func:`file_mode_for`) and is renamed over it; on
    any error it is removed and ``path`` is left as it was. Text files use :func:`write_atomic`; the census
    forms pass openpyxl's ``workbook.save``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = file_mode_for(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, mode)
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
