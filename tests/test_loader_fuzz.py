"""Fuzzing the inventory loader: whatever is in the files, it returns or reports, and never crashes.

Every example writes into a copy of a tiny valid inventory (three departments cut out of the example city)
and loads it. The property: ``load_inventory`` either returns, or raises :class:`InputError` whose every
problem names a path (a file of the inventory, or the inventory itself) and, when it gives a line, a line
that exists in that file.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import write_city
from govcloud.core import example, model
from govcloud.edges import inventory_files
from govcloud.errors import InputError

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TODAY = dt.date(2026, 11, 1)
KEEP = ("FGW", "GAJ", "ZWJ")
YAML_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def _tiny(city: example.ExampleCity) -> example.ExampleCity:
    """Three departments of ``city`` with everything that refers outside them cut away."""
    inv = city.inventory
    systems = [s for s in inv.systems if s.department in KEEP]
    entries = [e for e in inv.catalogue if e.provider in KEEP]
    system_codes = {s.code for s in systems}
    entry_codes = {e.code for e in entries}
    zones = [z for z in inv.network.zones if z.department is None or z.department in KEEP]
    intranet = inv.network.intranet
    if intranet is not None:
        intranet = intranet.model_copy(
            update={"zones": tuple(z for z in intranet.zones if z.department is None or z.department in KEEP)}
        )
    zone_codes = {z.code for z in zones} | {z.code for z in (intranet.zones if intranet is not None else ())}
    hosts = [
        h.model_copy(update={"addresses": tuple(a for a in h.addresses if a.zone in zone_codes)}) for h in inv.hosts
    ]
    tiny = model.Inventory(
        city=inv.city,
        network=inv.network.model_copy(update={"zones": tuple(zones), "intranet": intranet}),
        departments=tuple(d for d in inv.departments if d.code in KEEP),
        systems=tuple(
            s.model_copy(
                update={
                    "depends_on": tuple(c for c in s.depends_on if c in system_codes),
                    "consumes": tuple(c for c in s.consumes if c in entry_codes),
                }
            )
            for s in systems
        ),
        catalogue=tuple(
            e.model_copy(update={"related": tuple(c for c in e.related if c in entry_codes)}) for e in entries
        ),
        hosts=tuple(hosts),
        private_networks=tuple(
            p.model_copy(update={"systems": tuple(c for c in p.systems if c in system_codes)})
            for p in inv.private_networks
            if p.department in KEEP
        ),
    )
    return example.ExampleCity(inventory=tiny, planted={})


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, small_city: example.ExampleCity) -> Path:
    root = write_city(_tiny(small_city), tmp_path_factory.mktemp("tiny") / "inventory")
    inventory_files.load_inventory(root, today=TODAY)  # valid to start with
    return root


@pytest.fixture(scope="module")
def department_text(base: Path) -> str:
    return (base / "departments" / "FGW.yaml").read_text(encoding="utf-8")


def _copy(base: Path) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(shutil.copytree(base, Path(tmp) / "inventory"))


def _load_reports_or_returns(root: Path) -> None:
    """The property every example must hold."""
    try:
        inventory_files.load_inventory(root, today=TODAY)
    except InputError as exc:
        problems = exc.problems
    else:
        return
    assert problems, "an InputError carries at least one problem"
    for problem in problems:
        path = Path(problem.path)
        assert path == root or root in path.parents, problem
        if problem.line is not None:
            assert path.is_file(), problem
            lines = len(YAML_LINE_BREAK.findall(path.read_text(encoding="utf-8"))) + 1
            assert problem.line in range(1, lines + 1), problem


def _check_text(base: Path, text: str | bytes, rel: str = "departments/FGW.yaml") -> None:
    for root in _copy(base):
        target = root / rel
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text, encoding="utf-8")
        _load_reports_or_returns(root)


# ---------------------------------------------------------------------------------------------------------
# Strategies

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.dates(),
    st.sampled_from(["FGW", "FGW-001", "无条件共享", "有条件共享", "不予共享", "部门内部", "x86", "DZ-FGW", "PUB"]),
)
_keys = st.one_of(
    st.sampled_from(["department", "systems", "catalogue", "code", "name", "uscc", "scope", "sharing", "type", "zone"]),
    st.text(min_size=1, max_size=10),
)
_documents = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_keys, inner, max_size=5)),
    max_leaves=25,
)


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


# ---------------------------------------------------------------------------------------------------------
# Random documents and random text


@FUZZ
@given(document=_documents, rel=st.sampled_from(["departments/FGW.yaml", "city.yaml", "network.yaml", "hosts.yaml"]))
def test_random_yaml_documents(base: Path, document: Any, rel: str) -> None:
    _check_text(base, _dump(document), rel)


@FUZZ
@given(text=st.text(alphabet=st.sampled_from(list("abc: -[]{}&*!|>'\"#%@`\t\n?,0129.～中文\ufeff\x00")), max_size=80))
def test_random_text(base: Path, text: str) -> None:
    _check_text(base, text)


@FUZZ
@given(data=st.binary(max_size=60))
def test_random_bytes(base: Path, data: bytes) -> None:
    _check_text(base, data)


# ---------------------------------------------------------------------------------------------------------
# Mutations of a valid department file


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _paths(value, (*prefix, index))


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


@FUZZ
@given(st.data())
def test_mutated_fields(base: Path, department_text: str, data: st.DataObject) -> None:
    document = yaml.safe_load(department_text)
    for _ in range(data.draw(st.integers(min_value=1, max_value=3), label="mutations")):
        paths = [p for p in _paths(document) if p]
        path = data.draw(st.sampled_from(paths), label="path")
        parent, last = _at(document, path[:-1]), path[-1]
        action = data.draw(st.sampled_from(["delete", "replace", "insert", "wrap"]), label="action")
        if action == "delete":
            del parent[last]
        elif action == "replace":
            parent[last] = data.draw(_documents, label="value")
        elif action == "insert" and isinstance(parent, dict):
            parent[data.draw(_keys, label="key")] = data.draw(_scalars, label="value")
        else:
            parent[last] = [parent[last]]
    _check_text(base, _dump(document))


@FUZZ
@given(st.data())
def test_mutated_text(base: Path, department_text: str, data: st.DataObject) -> None:
    lines = department_text.splitlines(keepends=True)
    action = data.draw(st.sampled_from(["truncate", "garbage", "drop-line", "repeat-line", "indent"]), label="action")
    at = data.draw(st.integers(min_value=0, max_value=len(lines) - 1), label="line")
    if action == "truncate":
        text = department_text[: data.draw(st.integers(min_value=0, max_value=len(department_text)), label="cut")]
    elif action == "garbage":
        lines.insert(at, data.draw(st.text(max_size=30), label="garbage") + "\n")
        text = "".join(lines)
    elif action == "drop-line":
        text = "".join(lines[:at] + lines[at + 1 :])
    elif action == "repeat-line":  # a repeated key, or a repeated list item
        text = "".join(lines[: at + 1] + lines[at:])
    else:
        text = "".join([*lines[:at], " " + lines[at], *lines[at + 1 :]])
    _check_text(base, text)


def test_a_repeated_key_is_always_reported(base: Path, department_text: str) -> None:
    """The mutation the fuzzer finds most often, pinned: a line written twice inside one record."""
    lines = department_text.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("  function:"))
    for root in _copy(base):
        (root / "departments/FGW.yaml").write_text("".join(lines[: at + 1] + lines[at:]), encoding="utf-8")
        with pytest.raises(InputError) as raised:
            inventory_files.load_inventory(root, today=TODAY)
        assert [(p.line, p.field) for p in raised.value.problems] == [(at + 2, "systems.0.function")]
