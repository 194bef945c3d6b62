"""The line of any node of a YAML text, for many paths at once, without composing the text. Edge (text).

``check`` on a province gives tens of thousands of findings a ``file:line``, most of them in the department
files it has just loaded; composing each file's node tree again to walk it (PyYAML, about 30 ms a file)
cost a cold ``check`` a minute. :class:`Lines` reads a text's block structure once, line by line, into a
small tree of line numbers, and answers every path from it. It understands the block YAML govcloud writes and
people usually edit (block mappings with plain keys, block sequences, plain, quoted and block scalars, and
one-line flow collections); anything else in the text (anchors, tags, complex keys, multi-line flow, tabs,
other line breaks, directives) and it composes the text with PyYAML instead, so the answer is always the one
:func:`govcloud.edges.yamlio.line_of` gives: the line of the node at the path, or of its nearest parent,
where a mapping key points at the key's line and a sequence item at the item's first line. It is asked
about texts that were just parsed: a piece no path goes into is not read, so a text that is not YAML there
still answers for its other pieces (a path into a broken piece has no line, as with ``line_of``).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

import yaml

from govcloud.edges import yamlio


class _Unsupported(Exception):
    """The text uses YAML this reader does not follow: compose it instead."""


# A node: (line, children), children a dict of key → (key line, node) for a mapping, a list of nodes for a
# sequence, None for a scalar or a one-line flow collection (every path below it is on its line).
_Node = tuple[int, "dict[str, tuple[int, _Node]] | list[_Node] | None"]

_KEY = re.compile(r"([A-Za-z0-9_][A-Za-z0-9_.\-/]*):(?:( +)(.*))?\Z")
_SINGLE = re.compile(r"'(?:[^']|'')*'\Z")
_DOUBLE = re.compile(r'"(?:[^"\\]|\\.)*"\Z', re.DOTALL)
_ANCHORED = re.compile(r"&([^ \[\]{},]+) +(.+)\Z")
_ALIAS = re.compile(r"\*[^ \[\]{},]+\Z")
_BLOCK_HEADER = re.compile(r"[|>][+-]?\Z")
_FLOW = re.compile(r"[\[{][^'\"#\[\]{}]*(?:[\[{][^'\"#\[\]{}]*[\]}][^'\"#\[\]{}]*)*[\]}]\Z")
_PLAIN_FIRST_FORBIDDEN = frozenset("-?:,[]{}#&*!|>'\"%@`")
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# a quoted scalar left open at the end of its line: its next lines may start in the first column
_OPEN_QUOTE = re.compile(r"""(?:^|[:\-] +)(?:'(?:[^'\n]|'')*|"(?:[^"\\\n]|\\.)*\\?)$""", re.MULTILINE)
_FOREIGN = re.compile("[\t\r\x85\u2028\u2029\ufeff]")


class Lines:
    """The lines of one YAML text's nodes by path: read once, then asked for as many paths as needed.

    A text whose top level is a block mapping is cut at its lines that start in the first column (top-level
    keys, and the items of top-level sequences written at the keys' indentation, as govcloud writes them):
    only the pieces a path goes into are read. Anything else, and the whole text is read, or composed.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._lines = text.split("\n")
        self._pieces: dict[int, _Node] = {}
        self._top: dict[str, tuple[int, list[int]]] | None = None
        """Top-level key → (its line index, the line indexes of its items written in the first column)."""
        self._starts: list[int] = []
        """The line index of every piece (a top-level key or item), in order, and the number of lines last."""
        self._whole: Lines._Whole | None = None
        if _FOREIGN.search(text) or _OPEN_QUOTE.search(text):
            self._whole = Lines._Whole(text)
            return
        self._top = self._cut()
        if self._top is None:
            self._whole = Lines._Whole(text)

    def _cut(self) -> dict[str, tuple[int, list[int]]] | None:
        lines = self._lines
        starts = [i for i, line in enumerate(lines) if line and line[0] not in " #"]
        if not starts:
            return None
        first = starts[0]
        if any(line.strip(" ") and not line.lstrip(" ").startswith("#") for line in lines[:first]):
            return None  # the document starts indented: read it whole
        top: dict[str, tuple[int, list[int]]] = {}
        items: list[int] | None = None
        for i in starts:
            line = lines[i].rstrip(" ")
            if line == "-" or line.startswith("- "):
                if items is None:
                    return None
                items.append(i)
                continue
            match = _KEY.match(line)
            if match is None:
                return None
            items = None if match.group(3) else []  # items after a key with a value: not a block sequence
            if match.group(1) not in top:
                top[match.group(1)] = (i, items if items is not None else [])
        self._starts = [*starts, len(lines)]
        return top

    def _piece(self, start: int) -> _Node:
        """The tree of the piece starting at line index ``start``, its lines counted from the text's first."""
        node = self._pieces.get(start)
        if node is None:
            following = self._starts[bisect.bisect_right(self._starts, start)]
            node = _Reader("\n".join(self._lines[start:following]), offset=start).read()
            self._pieces[start] = node
        return node

    def line(self, path: Sequence[str | int]) -> int | None:
        """1-based line of the node at ``path`` (keys and list indexes); the nearest parent's if absent."""
        if self._whole is None:
            try:
                return self._cut_line(path)
            except _Unsupported:
                self._whole = Lines._Whole(self._text)
        return self._whole.line(path)

    def _cut_line(self, path: Sequence[str | int]) -> int:
        assert self._top is not None
        line = self._starts[0] + 1
        if not path:
            return line
        found = self._top.get(path[0]) if isinstance(path[0], str) else None
        if found is None:
            return line
        key_index, items = found
        if len(path) == 1:
            return key_index + 1
        if not items:
            return _walk(self._piece(key_index), path, key_index + 1)
        step = path[1]
        if not (isinstance(step, int) and 0 <= step < len(items)):
            return key_index + 1
        item = items[step]
        children = self._piece(item)[1]
        if not isinstance(children, list) or len(children) != 1:
            raise _Unsupported
        return _walk(children[0], path[2:], item + 1)

    class _Whole:
        """A text read whole: by :class:`_Reader`, or composed by PyYAML when it uses more of YAML."""

        def __init__(self, text: str) -> None:
            self._root: _Node | None = None
            self._composed: yaml.Node | None = None
            self._broken = False
            try:
                self._root = _Reader(text).read()
            except _Unsupported:
                try:
                    self._composed = yaml.compose(text, Loader=_LOADER)
                except yaml.YAMLError:
                    self._broken = True

        def line(self, path: Sequence[str | int]) -> int | None:
            if self._root is None:
                return None if self._broken else yamlio.line_in_tree(self._composed, path)
            return _walk(self._root, path, self._root[0])


def _walk(node: _Node, path: Sequence[str | int], line: int) -> int:
    """The line of the node at ``path`` below ``node`` (whose line, or its key's, is ``line``)."""
    for step in path:
        children = node[1]
        if isinstance(children, dict):
            found = children.get(step) if isinstance(step, str) else None
            if found is None:
                return line
            line, node = found
        elif isinstance(children, list) and isinstance(step, int) and 0 <= step < len(children):
            node = children[step]
            line = node[0]
        else:
            return line
    return line


class _Reader:
    """One pass over a text's lines, building the tree of :data:`_Node`."""

    def __init__(self, text: str, offset: int = 0) -> None:
        if _FOREIGN.search(text):
            raise _Unsupported
        self.offset = offset
        """Added to every line index: the first line's index in the whole text."""
        self.lines = text.split("\n")
        stripped = [line.lstrip(" ") for line in self.lines]
        self.indents = [len(line) - len(rest) for line, rest in zip(self.lines, stripped, strict=True)]
        self.contents: list[str | None] = [rest.rstrip(" ") if rest and rest[0] != "#" else None for rest in stripped]
        """Each raw line's text without its indentation, None when it is blank or a comment."""
        self.i = 0  # the next raw line to read
        self.anchors: dict[str, int] = {}
        """The line of every anchored scalar read so far, by anchor name."""

    def read(self) -> _Node:
        start = self._next_content()
        if start is None:
            raise _Unsupported  # an empty document: let PyYAML say what it is
        indent, content = start
        if content.startswith(("---", "...", "%")) or indent != 0:
            raise _Unsupported
        node = self._block(indent, content)
        if self._next_content() is not None:
            raise _Unsupported  # something after the root's block: not a text this reader follows
        return node

    def _next_content(self) -> tuple[int, str] | None:
        """(indent, content) of the next line that is not blank nor a comment, without consuming it."""
        contents = self.contents
        i = self.i
        end = len(contents)
        while i < end:
            content = contents[i]
            if content is not None:
                self.i = i
                return self.indents[i], content
            i += 1
        self.i = i
        return None

    def _block(self, indent: int, content: str) -> _Node:
        """The block node starting at the current line, at ``indent``."""
        if content == "-" or content.startswith("- "):
            return self._sequence(indent)
        if _KEY.match(content):
            return self._mapping(indent, content, self.i)
        raise _Unsupported

    def _sequence(self, indent: int) -> _Node:
        items: list[_Node] = []
        first = self.i + 1 + self.offset
        while (found := self._next_content()) is not None:
            at, content = found
            if at < indent:
                break
            if at > indent or not (content == "-" or content.startswith("- ")):
                if at == indent and _KEY.match(content):
                    break  # the next key of the mapping this sequence is a value of (``key:\n- item``)
                raise _Unsupported
            rest = content[1:].lstrip(" ")
            if not rest or rest == "-" or rest.startswith("- "):
                raise _Unsupported  # an empty item, or a sequence in a sequence
            line = self.i + 1 + self.offset
            if _KEY.match(rest):
                items.append(self._mapping(indent + len(content) - len(rest), rest, self.i))
            else:
                aliased = self._value(rest, indent)
                items.append((line if aliased is None else aliased, None))
        return first, items

    def _mapping(self, indent: int, first: str, first_index: int) -> _Node:
        """The mapping at ``indent`` whose first key is ``first`` (on raw line ``first_index``, maybe after "- ")."""
        children: dict[str, tuple[int, _Node]] = {}
        content: str | None = first
        contents = self.contents
        indents = self.indents
        end = len(contents)
        while content is not None:
            match = _KEY.match(content)
            if match is None:
                raise _Unsupported
            key, value = match.group(1, 3)
            i = self.i
            key_line = i + 1 + self.offset
            if value:
                self._value(value, indent)
                child: _Node = (key_line, None)
            else:
                self.i = i + 1
                nested = self._next_content()
                if nested is not None and (
                    nested[0] > indent or (nested[0] == indent and (nested[1] == "-" or nested[1].startswith("- ")))
                ):
                    child = self._block(nested[0], nested[1])
                else:
                    child = (key_line, None)  # an empty value: nothing below it
            if key not in children:
                children[key] = (key_line, child)
            i = self.i
            while i < end and contents[i] is None:
                i += 1
            self.i = i
            if i == end or indents[i] < indent:
                content = None
            elif indents[i] > indent:
                raise _Unsupported
            else:
                content = contents[i]
        return first_index + 1 + self.offset, children

    def _value(self, value: str, indent: int) -> int | None:
        """Consume a scalar or one-line flow value starting on the current line; its block is above ``indent``.

        An alias of a scalar is the scalar's node: its line is returned (None: the node is on this line).
        """
        first = value[0]
        if first == "&":
            anchor = _ANCHORED.match(value)
            if anchor is None or anchor.group(2)[0] in "&*[{":
                raise _Unsupported  # an anchored collection, or an anchor on an alias
            self.anchors[anchor.group(1)] = self.i + 1 + self.offset
            return self._value(anchor.group(2), indent)
        if first == "*":
            line = self.anchors.get(value[1:]) if _ALIAS.match(value) else None
            if line is None:
                raise _Unsupported  # an alias of a collection, or of a node outside what is read
            self.i += 1
            return line
        if first in "'\"":
            self._quoted(value)
            return None
        if first in "[{":
            if not _FLOW.match(value):
                raise _Unsupported
            self.i += 1
            return None
        if first in "|>":
            if not _BLOCK_HEADER.match(value):
                raise _Unsupported
            self.i += 1
            self._skip_block(indent)
            return None
        if first in _PLAIN_FIRST_FORBIDDEN and not (first == "-" and value[1:2].isdigit()):
            raise _Unsupported
        if ": " in value or " #" in value or value[-1] == ":":
            raise _Unsupported
        i = self.i + 1
        contents = self.contents
        indents = self.indents
        end = len(contents)
        # the continuation lines of a plain scalar: indented deeper than ``indent``
        while i < end and indents[i] > indent:
            content = contents[i]
            if content is None:
                if self.lines[i].strip(" "):
                    raise _Unsupported  # a comment inside or after a plain scalar's lines
            else:
                _check_plain(content)
            i += 1
        self.i = i
        return None

    def _quoted(self, value: str) -> None:
        pattern = _SINGLE if value[0] == "'" else _DOUBLE
        if pattern.match(value):
            self.i += 1
            return
        # a quoted scalar over several lines: the closing quote must end a later line
        text = value
        lines = self.lines
        while True:
            self.i += 1
            if self.i >= len(lines):
                raise _Unsupported
            text += "\n" + lines[self.i].rstrip(" ")
            if pattern.match(text):
                self.i += 1
                return
            if not _open_quote(text, value[0]):
                raise _Unsupported  # closed before the end of a line: something follows it

    def _skip_block(self, indent: int) -> None:
        """Past a block scalar's lines: blank, or indented deeper than ``indent``."""
        lines = self.lines
        i = self.i
        while i < len(lines) and (self.indents[i] > indent or not lines[i].strip(" ")):
            i += 1
        self.i = i


def _check_plain(text: str) -> None:
    if text[0] in _PLAIN_FIRST_FORBIDDEN or ": " in text or " #" in text or text.endswith(":"):
        raise _Unsupported


def _open_quote(text: str, quote: str) -> bool:
    """Whether the quoted scalar that opens ``text`` is still open at its end."""
    i = 1
    while i < len(text):
        char = text[i]
        if quote == '"' and char == "\\":
            i += 2
            continue
        if char == quote:
            if quote == "'" and text[i + 1 : i + 2] == "'":
                i += 2
                continue
            return False
        i += 1
    return True
