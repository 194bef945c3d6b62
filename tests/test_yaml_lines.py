"""census.edges.yaml_lines: the line of every path equals what composing the text gives (yamlio.line_of)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govcloud.census.edges import yaml_lines
from govcloud.edges import yamlio


def every_path(node: yaml.Node | None, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """Every path to a node of the composed tree, and one absent path below each collection."""
    yield path
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from every_path(value, (*path, key.value))
        yield (*path, "absent")
        yield (*path, 0)
    elif isinstance(node, yaml.SequenceNode):
        for i, value in enumerate(node.value):
            yield from every_path(value, (*path, i))
        yield (*path, len(node.value))
        yield (*path, "key")
    else:
        yield (*path, "below")


def assert_same_lines(text: str) -> None:
    lines = yaml_lines.Lines(text)
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    for path in every_path(root):
        assert lines.line(path) == yamlio.line_of(text, path), path


DEPARTMENT = """\
# govcloud inventory: department census. Checked by `govcloud check`; edit and review in git.
department:
  code: CGJ
  name: 临江市城市管理行政执法局
  sharing_office:
    name: 工作组
systems:
- code: CGJ-001
  name: 城市管理
  go_live: &id001 2021-06-24
  last_update: *id001
  databases:
  - KingbaseES V8
  consumes:
  - 10202601/0196512
  - 30100400/0064431
  sizing:
    memory_gib: 8
  config: {}
  ports: [80, 443]
  contacts:
  - name: 朱杰
    phone: '13840438711'
- code: CGJ-002
  notes: |
    first line
      indented
    # not a comment

  function: a long plain
    scalar over two lines
  quoted: "a quoted \\
    scalar"
  single: 'it''s
    two lines'
catalogue:
-   code: X1
    items:
      - name: a
      - name: b
empty:
last: value
"""


def test_a_department_file_every_path() -> None:
    assert_same_lines(DEPARTMENT)


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\n",
        "- a\n- b: 1\n  c: 2\n",
        "a:\n  - x\n  - y\nb: 2\n",
        "a: &x [1, 2]\nb: *x\n",  # an anchored collection: composed instead
        "a: &x\n  b: 1\nc: *x\n",
        "a: [1,\n  2]\nb: 3\n",  # a flow collection over two lines
        "a: 'open\n- b: 1'\nc: 2\n",  # a quoted scalar whose next line looks like an item
        "a:\n  b: 1  # comment\n  c: 2\n",
        "a:\n  b: 'x\ty'\n",  # a tab: composed
        "--- \na: 1\n",
        "%YAML 1.1\n---\na: 1\n",
        "a: 1\n...\n",
        "'quoted key': 1\nb: 2\n",
        "? complex\n: value\n",
        "a: !!str 1\nb: 2\n",
        "a: >-\n  folded\n  text\nb: 1\n",
        "a:\n- 1\n- - 2\n  - 3\n",
        "a: x\n  # a comment under a value\nb: 1\n",
        "",
        "# only a comment\n",
        "a: b\nb: 1\na: 3\n",  # a repeated key: the first one's line, as the composed walk gives
        "  a: 1\n  b: 2\n",
        "a:\n  b:\n  - 1\n  c: 2\n",
        "- x\n",
        "a: -1\nb: -x\n",
        "a:\r\n  b: 1\r\n",
    ],
)
def test_texts_it_reads_or_composes(text: str) -> None:
    assert_same_lines(text)


def test_a_path_into_text_that_is_not_yaml_has_no_line() -> None:
    broken = "a: [1, 2\nb: 3\n"
    assert yaml_lines.Lines(broken).line(("a", 0)) is None
    assert yamlio.line_of(broken, ("a", 0)) is None


_TEXT = st.text(alphabet=st.sampled_from(list("ab xyz:#-'\"&*!|>[]{},?%@`\\é临江市\n")), min_size=0, max_size=30)
_SCALAR = st.one_of(
    _TEXT, st.integers(-5, 10**6), st.booleans(), st.none(), st.dates(min_value=dt.date(2000, 1, 1)), st.floats(0, 9)
)
_KEY = st.one_of(st.sampled_from(["code", "name", "systems", "a-b", "x.y", "1", "on", "null"]), _TEXT)
_DATA = st.recursive(
    _SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_KEY, inner, max_size=4)),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.dictionaries(_KEY, _DATA, min_size=1, max_size=5),
    width=st.sampled_from([20, 120]),
    flow=st.sampled_from([False, None]),
    indent=st.sampled_from([2, 4]),
)
def test_random_documents_as_dumpers_write_them(
    data: dict[str, object], width: int, flow: bool | None, indent: int
) -> None:
    shared = dt.date(2024, 1, 1)
    data = {**data, "first": shared, "second": [shared, {"k": shared}]}  # anchors and aliases
    text = yaml.dump(
        data, Dumper=yaml.SafeDumper, allow_unicode=True, width=width, default_flow_style=flow, indent=indent
    )
    assert_same_lines(text)
    assert_same_lines("# a header\n" + yamlio.dump_fast(data))
