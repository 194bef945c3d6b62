"""A fast emitter for the first version of a plan file, writing the very bytes ruamel.yaml's round-trip dump writes.

Edge (text generation; uses ruamel.yaml's own scalar analysis and writers). ``plan --write`` of a province
creates about 20,000 plan files; ruamel's representer, serializer, resolver and event-driven emitter cost about
10 ms a file, so the first write took minutes. Later writes must round-trip the files people edited through
ruamel, so a new file has to be exactly what ruamel would write, or the first re-write of a file would
reformat it (and the fingerprints tell nothing when the layout shifts).

How the bytes stay ruamel's:

- The layout is a direct port of the parts of ``ruamel.yaml.emitter.Emitter`` that a plan document reaches
  (block and flow mappings and sequences, plain and quoted scalars, the start comment and one comment before a
  key): the same state (column, indent stack, ``whitespace``, ``indention``, ``no_newline``, flow context) moves
  through the same steps in the same order, with the constants read from a configured ruamel emitter
  (:func:`govcloud.edges.yamlio.roundtrip_yaml`). There are no events: the recursion over the data is the event
  stream.
- Scalars: the style is chosen by ruamel's rules over ruamel's own ``analyze_scalar`` (cached per text), with
  the resolver deciding whether a string would read back as a string. A scalar that fits on its line is
  written directly (the common case, where ruamel's writers only copy it); one that may fold is written by
  ruamel's own ``write_plain`` / ``write_single_quoted`` / ``write_double_quoted`` on a stand-in emitter set to
  the current state, so folding is ruamel's code, not a copy of it.
- Anything outside that subset (``None``, floats, datetimes, empty strings, non-string keys, keys that are not
  simple, line breaks in the header) raises :class:`Unsupported`, and the caller writes that file with ruamel.

``tests/test_plan_emitter.py`` compares the two byte for byte on generated plans and on the example's.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ruamel.yaml.nodes import ScalarNode

from govcloud.edges import yamlio

_STR_TAG = "tag:yaml.org,2002:str"
_BREAK = re.compile("[\n\x85\u2028\u2029]")
_FLOW_KEYS = frozenset({"callers", "owner"})
"""Keys whose values are written on one line ([a, b] or {k: v}); gates and dependents are one line each."""


class Unsupported(Exception):
    """The document holds something the fast emitter does not write; the caller uses ruamel instead."""


def flow_mapping(key: str | None, value: Mapping[str, Any], *, in_list: bool) -> bool:
    """Whether a plan document's mapping is written on one line: the owner, and gates and dependents in lists."""
    return key in _FLOW_KEYS or (in_list and ("gate" in value or "department" in value))


def flow_sequence(key: str | None, value: Sequence[Any]) -> bool:
    """Whether a plan document's list is written on one line: callers, and every empty list."""
    return key in _FLOW_KEYS or not value


@functools.cache
def _stand_in() -> Any:
    """A ruamel emitter configured as the plan files' dumper: its constants, and its writers for folding scalars."""
    handle = yamlio.roundtrip_yaml()
    emitter = handle.emitter
    emitter.stream = io.StringIO()
    return emitter


_PLAIN_WORDS = re.compile(
    r"[0-9A-Za-z\u4e00-\u9fff](?:[0-9A-Za-z\u4e00-\u9fff_./()=;+~<>@%$^&*!|\"'`? -]|(?<! )#|:(?=[^ ]))*"
)
"""Text ruamel's analysis allows in every style: it starts with a letter, digit or ideograph and holds no flow
indicator (``,[]{}``), no ``: `` or `` #``, no break or special character (checked against ``analyze_scalar``
by ``tests/test_plan_emitter.py``); an edge space is excluded apart."""
_ALLOWED_EVERYWHERE = (False, True, True, True, True, False)


def _analysis(text: str) -> tuple[bool, bool, bool, bool, bool, bool]:
    """Ruamel's analysis of a scalar: (multiline, flow plain, block plain, single quoted, double quoted, empty)."""
    if _PLAIN_WORDS.fullmatch(text) and not text.endswith(" "):
        return _ALLOWED_EVERYWHERE
    return _analysed(text)


@functools.lru_cache(maxsize=1 << 16)
def _analysed(text: str) -> tuple[bool, bool, bool, bool, bool, bool]:
    found = _stand_in().analyze_scalar(text)
    return (
        bool(found.multiline),
        bool(found.allow_flow_plain),
        bool(found.allow_block_plain),
        bool(found.allow_single_quoted),
        bool(found.allow_double_quoted),
        bool(found.empty),
    )


@functools.cache
def _resolver() -> Any:
    return yamlio.roundtrip_yaml().resolver


@functools.cache
def _resolved_first_characters() -> frozenset[str] | None:
    """The first characters the resolver has implicit rules for (None: some rule applies to any character)."""
    table = _resolver().versioned_resolver
    return None if table.get(None) else frozenset(key for key in table if key is not None)


def _reads_as_string(text: str) -> bool:
    """Whether ``text`` written plain reads back as a string (not an int, a float, a date, a bool or null)."""
    firsts = _resolved_first_characters()
    if firsts is not None and text[0] not in firsts:
        return True  # no implicit rule starts with this character: what the resolver concludes too
    return _resolves_as_string(text)


@functools.lru_cache(maxsize=1 << 16)
def _resolves_as_string(text: str) -> bool:
    return bool(_resolver().resolve(ScalarNode, text, (True, False)) == _STR_TAG)


class _Writer:
    """The emitter state of ``ruamel.yaml.emitter.Emitter`` and the steps of its handlers, for plain data."""

    def __init__(self) -> None:
        stand_in = _stand_in()
        self.best_width: int = stand_in.best_width
        self.best_sequence_indent: int = stand_in.best_sequence_indent
        self.best_map_indent: int = stand_in.best_map_indent
        self.sequence_dash_offset: int = stand_in.sequence_dash_offset
        self.compact_seq_seq: bool = stand_in.compact_seq_seq
        self.compact_seq_map: bool = stand_in.compact_seq_map
        if stand_in.top_level_colon_align is not None or stand_in.prefixed_colon != ":":  # pragma: no cover
            raise Unsupported("colon alignment")
        self.out: list[str] = []
        self.column = 0
        self.whitespace = True
        self.indention = True
        self.no_newline: bool | None = None
        self.indent: int | None = None
        self.indents: list[tuple[int | None, bool | None]] = []
        self.flow: list[str] = []
        self.sequence_context = False
        self.mapping_context = False
        self.simple_key_context = False
        self.seen: dict[int, Any] = {}

    # -- primitives (Emitter.write_indicator, write_indent, write_line_break, increase_indent)

    def write_indicator(
        self, indicator: str, need_whitespace: bool, *, whitespace: bool = False, indention: bool = False
    ) -> None:
        data = indicator if self.whitespace or not need_whitespace else " " + indicator
        self.whitespace = whitespace
        self.indention = self.indention and indention
        self.column += len(data)
        self.out.append(data)

    def write_indent(self) -> None:
        indent = self.indent or 0
        if not self.indention or self.column > indent or (self.column == indent and not self.whitespace):
            if self.no_newline:
                self.no_newline = False
            else:
                self.write_line_break()
        if self.column < indent:
            self.whitespace = True
            self.out.append(" " * (indent - self.column))
            self.column = indent

    def write_line_break(self) -> None:
        self.whitespace = True
        self.indention = True
        self.column = 0
        self.out.append("\n")

    def increase_indent(self, *, flow: bool = False, sequence: bool | None = None, indentless: bool = False) -> None:
        self.indents.append((self.indent, sequence))
        if self.indent is None:
            if flow:
                raise Unsupported("a scalar or flow collection at the top")
            self.indent = 0
        elif not indentless:
            last_seq = len(self.indents) >= 2 and bool(self.indents[-2][1])
            self.indent += self.best_sequence_indent if last_seq else self.best_map_indent

    def pop_indent(self) -> None:
        self.indent = self.indents.pop()[0]

    def seq_seq(self) -> bool:
        return len(self.indents) >= 2 and bool(self.indents[-2][1]) and bool(self.indents[-1][1])

    def seq_flow_align(self) -> int:
        if len(self.indents) < 2 or not self.indents[-1][1]:
            return 0
        base = self.indents[-1][0] if self.indents[-1][0] is not None else 0
        return base + self.best_sequence_indent - self.column - 1

    def note_identity(self, value: Any) -> None:
        """Refuse a scalar object met twice: ruamel anchors it (``&id001``, then ``*id001``).

        ruamel's representer aliases any object it meets again except str, bytes, bool, int, float, None and
        the empty tuple; in a plan document that is a date shared by two fields, which is left to ruamel.
        """
        if value is None or isinstance(value, bytes | str | bool | int | float):
            return
        if id(value) in self.seen:
            raise Unsupported("an object written twice, which ruamel writes as an anchor and an alias")
        self.seen[id(value)] = value  # kept, so its id cannot be reused within the document

    # -- nodes (Emitter.expect_node and the handlers it reaches)

    def node(
        self,
        value: Any,
        key: str | None,
        *,
        sequence: bool = False,
        mapping: bool = False,
        simple_key: bool = False,
        in_list: bool = False,
    ) -> None:
        self.sequence_context = sequence
        self.mapping_context = mapping
        self.simple_key_context = simple_key
        if type(value) is str:  # most nodes: no ABC isinstance tests for them
            self.scalar(value)
        elif isinstance(value, Mapping):
            if self.flow or flow_mapping(key, value, in_list=in_list) or not value:
                self.flow_map(value)
            else:
                self.block_map(value)
        elif isinstance(value, list | tuple):
            if self.flow or flow_sequence(key, value):
                self.flow_seq(value, key)
            else:
                self.block_seq(value, key)
        else:
            self.scalar(value)

    def scalar(self, value: Any) -> None:
        if type(value) is not str:
            self.note_identity(value)
        text, plain_reads_back = _scalar_text(value)
        style = self.choose_style(text, plain_reads_back)
        self.increase_indent(flow=True)
        if self.sequence_context and not self.flow:
            self.write_indent()
        self.write_scalar(style, text, split=not self.simple_key_context)
        self.pop_indent()

    def choose_style(self, text: str, plain_reads_back: bool) -> str:
        multiline, flow_plain, block_plain, single_ok, double_ok, empty = _analysis(text)
        plain_allowed = (self.flow and flow_plain) or (not self.flow and block_plain)
        if plain_reads_back and plain_allowed and not (self.simple_key_context and (empty or multiline)):
            return ""
        if double_ok and ("'" in text or "\n" in text):
            return '"'
        if single_ok and not (self.simple_key_context and multiline):
            return "'"
        return '"'

    def write_scalar(self, style: str, text: str, *, split: bool) -> None:
        if style == "" and self.column + 1 + len(text) < self.best_width and not _has_break(text):
            # what write_plain does when nothing can fold: one space after an indicator, then the text
            if not self.whitespace:
                self.out.append(" ")
                self.column += 1
            self.out.append(text)
            self.column += len(text)
            self.whitespace = False
            self.indention = False
            return
        if style == "'" and not _has_break(text):
            quoted = text.replace("'", "''")
            if self.column + 3 + len(quoted) < self.best_width:
                self.write_indicator("'" + quoted, True)
                self.write_indicator("'", False)
                return
        self.write_with_ruamel(style, text, split=split)

    def write_with_ruamel(self, style: str, text: str, *, split: bool) -> None:
        """A scalar that may fold: ruamel's own writer on the stand-in emitter, set to this state and read back."""
        out, self.column, self.whitespace, self.indention, self.no_newline = _written_by_ruamel(
            style, text, split, self.column, self.indent, self.whitespace, self.indention, self.no_newline
        )
        self.out.append(out)

    def key(self, key: Any) -> None:
        if _plain_key(key) and self.column + 1 + len(key) < self.best_width:
            # what node(key, mapping=True, simple_key=True) does for a key written plain that cannot fold
            self.sequence_context = False
            self.mapping_context = True
            self.simple_key_context = True
            if not self.whitespace:
                self.out.append(" ")
                self.column += 1
            self.out.append(key)
            self.column += len(key)
            self.whitespace = False
            self.indention = False
            return
        if not isinstance(key, str) or not key:
            raise Unsupported("a key that is not a non-empty string")
        multiline = _analysis(key)[0]
        if multiline or len(key) >= 128:
            raise Unsupported("a key that is not simple")
        self.node(key, None, mapping=True, simple_key=True)

    def flow_seq(self, value: Sequence[Any], key: str | None) -> None:
        ind = self.seq_flow_align()
        self.write_indicator(" " * ind + "[", True, whitespace=True)
        self.increase_indent(flow=True, sequence=True)
        self.flow.append("[")
        if self.seq_seq():
            self.indention = True
            self.no_newline = False
        if not value:
            self.pop_indent()
            self.flow.pop()
            self.write_indicator("]", False)
            if not self.flow:
                self.write_line_break()
            return
        for index, item in enumerate(value):
            if index:
                self.write_indicator(",", False)
            if self.column > self.best_width:
                self.write_indent()
            self.node(item, key, sequence=True, in_list=True)
        self.pop_indent()
        self.flow.pop()
        self.write_indicator("]", False)
        self.no_newline = False

    def flow_map(self, value: Mapping[str, Any]) -> None:
        ind = self.seq_flow_align()
        single = len(value) == 1 and bool(self.flow) and self.flow[-1] == "["
        opener = "" if single else "{"
        self.write_indicator(" " * ind + opener, True, whitespace=True)
        self.flow.append(opener)
        self.increase_indent(flow=True, sequence=False)
        if not value:
            self.pop_indent()
            self.flow.pop()
            self.write_indicator("}", False)
            if not self.flow:
                self.write_line_break()
            return
        for index, (key, item) in enumerate(value.items()):
            if index:
                self.write_indicator(",", False)
            if self.column > self.best_width:
                self.write_indent()
            self.key(key)
            self.write_indicator(":", False)
            self.node(item, key, mapping=True)
        self.pop_indent()
        popped = self.flow.pop()
        if popped:
            self.write_indicator("}", False)
        self.no_newline = False

    def block_seq(self, value: Sequence[Any], key: str | None) -> None:
        if self.mapping_context:
            indentless = not self.indention
        else:
            indentless = False
            if not self.compact_seq_seq and self.column != 0:
                self.write_line_break()
        self.increase_indent(flow=False, sequence=True, indentless=indentless)
        if self.seq_seq():
            self.indention = True
            self.no_newline = False
        for item in value:
            no_newline = self.no_newline if self.column == 0 else False
            self.write_indent()
            self.write_indicator(" " * self.sequence_dash_offset + "-", True, indention=True)
            if no_newline or self.sequence_dash_offset + 2 > self.best_sequence_indent:
                self.no_newline = True
            self.node(item, key, sequence=True, in_list=True)
        self.pop_indent()
        self.no_newline = False

    def block_map(self, value: Mapping[str, Any], comments: Mapping[str, str] | None = None) -> None:
        if not self.mapping_context and not (self.compact_seq_map or self.column == 0):
            self.write_line_break()
        self.increase_indent(flow=False, sequence=False)
        for key, item in value.items():
            if comments and key in comments:
                # Emitter.write_pre_comment: a line break if needed, then the comment (the column stays)
                if self.column != 0:
                    self.write_line_break()
                self.out.append(" " * (self.indent or 0) + f"# {comments[key]}\n")
            self.write_indent()
            self.key(key)
            self.write_indicator(":", False)
            self.node(item, key, mapping=True)
        self.pop_indent()


@functools.lru_cache(maxsize=1 << 14)
def _written_by_ruamel(
    style: str,
    text: str,
    split: bool,
    column: int,
    indent: int | None,
    whitespace: bool,
    indention: bool,
    no_newline: bool | None,
) -> tuple[str, int, bool, bool, bool | None]:
    """What ruamel's writer of ``style`` writes from this state, and the state after it.

    A function of its arguments (the writers read no other state), so cached: generic step texts recur in
    every plan at the same place.
    """
    emitter = _stand_in()
    stream = io.StringIO()
    emitter.stream = stream
    emitter.root_context = False
    emitter.column = column
    emitter.indent = indent
    emitter.whitespace = whitespace
    emitter.indention = indention
    emitter.no_newline = no_newline
    if style == '"':
        emitter.write_double_quoted(text, split)
    elif style == "'":
        emitter.write_single_quoted(text, split)
    else:
        emitter.write_plain(text, split)
    return stream.getvalue(), emitter.column, emitter.whitespace, emitter.indention, emitter.no_newline


@functools.lru_cache(maxsize=1 << 10)
def _plain_key(key: Any) -> bool:
    """Whether a key is written plain as a simple key in block and flow context alike (the plan's own keys)."""
    if type(key) is not str or not key or len(key) >= 128 or _has_break(key):
        return False
    multiline, flow_plain, block_plain, _, _, empty = _analysis(key)
    return flow_plain and block_plain and not multiline and not empty and _reads_as_string(key)


def _has_break(text: str) -> bool:
    return _BREAK.search(text) is not None


def _scalar_text(value: Any) -> tuple[str, bool]:
    """A scalar as ruamel's round-trip representer writes it, and whether it may be plain (it reads back as such)."""
    if type(value) is str and value:
        return value, _reads_as_string(value)
    if isinstance(value, bool):
        return ("true" if value else "false"), True
    if isinstance(value, int):
        return str(value), True
    if isinstance(value, dt.datetime):
        raise Unsupported("a datetime")
    if isinstance(value, dt.date):
        return value.isoformat(), True
    raise Unsupported(f"a {type(value).__name__} value")


def emit_plan(
    document: Mapping[str, Any],
    *,
    header: str,
    generated_key: str,
    generated_comment: str,
    prints: Sequence[tuple[str, str]],
) -> str:
    """A new plan file's text, byte for byte what :func:`govcloud.edges.yamlio.dump_roundtrip` writes.

    ``header`` is the start comment; after the document comes ``generated_key`` holding ``prints`` (in order)
    after a ``generated_comment`` line, as ``plan_files`` builds the same file with ruamel.

    Raises :class:`Unsupported` for content outside the subset this emitter writes.
    """
    if generated_key in document:
        raise Unsupported("the generated key in the document")
    body = {**document, generated_key: dict(prints)}
    return emit(body, header=header, comment_before=(generated_key, generated_comment))


def emit(
    document: Mapping[str, Any], *, header: str | None = None, comment_before: tuple[str, str] | None = None
) -> str:
    """``document`` as :func:`govcloud.edges.yamlio.dump_roundtrip` writes its round-trip structure.

    Flow style as :func:`flow_mapping` and :func:`flow_sequence` say (``plan_files._to_roundtrip``'s rules),
    ``header`` as the start comment, ``comment_before`` (key, text) as a comment line before that top-level key.

    Raises :class:`Unsupported` for content outside the subset this emitter writes.
    """
    writer = _Writer()
    if header is not None:
        lines = header.split("\n")
        if any(not line or line.startswith("#") or _has_break(line) or "\r" in line for line in lines):
            raise Unsupported("a header line ruamel would write differently")
        writer.out.extend(f"# {line}\n" for line in lines)
    if not document:
        raise Unsupported("an empty document")
    writer.block_map(document, comments=dict([comment_before]) if comment_before else None)
    writer.write_indent()  # Emitter.expect_document_end
    return "".join(writer.out)
