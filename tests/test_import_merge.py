"""Properties of the census import's merge (``census.core.import_merge``) over random departments and edits.

The rows are a department's exported form as the import parses it (``census_forms.export_rows``, each cell
through its column's parser), edited at random: rows dropped, names changed. The reading of real workbooks is
``tests/test_census_forms.py``'s; here the rule alone: a department's own export changes nothing, nothing of
another department changes, importing twice is importing once, and every bad row is reported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govcloud.census.core import checks, import_merge
from govcloud.census.edges import census_forms as cf
from govcloud.core import example, model
from govcloud.edges import inventory_files

RELAXED = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SHEETS = {spec.name: spec for spec in cf.SHEETS}
ALL_SHEETS = frozenset(SHEETS)

CITY = example.generate_city(systems=60, seed=7)
INVENTORY = CITY.inventory
RULES = cf.form_rules()
# departments with systems and entries, so that edits have something to change
CODES = sorted({s.department for s in INVENTORY.systems} & {e.provider for e in INVENTORY.catalogue})


def form_rows(inventory: model.Inventory, code: str) -> dict[str, list[import_merge.ParsedRow]]:
    """The department's exported form, parsed as the import parses it."""
    rows: dict[str, list[import_merge.ParsedRow]] = {}
    exported = cf.export_rows(inventory, [inventory.department_by_code[code]])
    for sheet, table in exported.items():
        spec = SHEETS[sheet]
        keys = frozenset(column.key for column in spec.columns)
        rows[sheet] = [
            import_merge.ParsedRow(
                import_merge.RowOrigin("form.xlsx", sheet, number), cf._form_values(spec, cells, keys)
            )
            for number, cells in enumerate(table, start=2)
        ]
    return rows


def merge(
    inventory: model.Inventory, rows: Mapping[str, Sequence[import_merge.ParsedRow]]
) -> tuple[import_merge.Merge, import_merge.Merged]:
    merger = import_merge.Merge(inventory, RULES)
    return merger, merger.run(rows, ALL_SHEETS)


def by_code(records: Sequence[Any]) -> list[Any]:
    """The records in code order (a list: a record imported twice would show)."""
    return sorted(records, key=lambda record: record.code)


def as_inventory(merged: import_merge.Merged) -> model.Inventory:
    parts = merged.parts
    return model.Inventory(
        city=parts.city,
        network=parts.network,
        departments=parts.departments,
        systems=parts.systems,
        catalogue=parts.catalogue,
        hosts=parts.hosts,
        private_networks=parts.private_networks,
    )


@st.composite
def edited_forms(draw: st.DrawFn) -> tuple[str, dict[str, list[import_merge.ParsedRow]]]:
    """A department and its form with some system and entry rows dropped and some names changed."""
    code = draw(st.sampled_from(CODES))
    rows = form_rows(INVENTORY, code)
    for sheet in (cf.SHEET_SYSTEMS, cf.SHEET_CATALOGUE):
        table = rows[sheet]
        dropped = draw(st.sets(st.integers(0, len(table) - 1), max_size=len(table) - 1))
        renamed = draw(st.sets(st.integers(0, len(table) - 1), max_size=3))
        rows[sheet] = [
            import_merge.ParsedRow(row.origin, {**row.values, "name": f"{row.values['name']}（新）"})
            if index in renamed
            else row
            for index, row in enumerate(table)
            if index not in dropped
        ]
    return code, rows


@RELAXED
@given(st.sampled_from(sorted(d.code for d in INVENTORY.departments)))
def test_importing_a_departments_own_export_changes_nothing(code: str) -> None:
    merger, merged = merge(INVENTORY, form_rows(INVENTORY, code))
    assert merger.problems == []
    assert merged.covered == [code]
    assert merged.new_zones == {}
    assert by_code(merged.parts.departments) == by_code(INVENTORY.departments)
    assert by_code(merged.parts.systems) == by_code(INVENTORY.systems)
    assert by_code(merged.parts.catalogue) == by_code(INVENTORY.catalogue)
    assert merged.parts.network == INVENTORY.network
    assert merged.parts.private_networks == INVENTORY.private_networks


@RELAXED
@given(edited_forms())
def test_an_import_changes_nothing_of_another_department(
    form: tuple[str, dict[str, list[import_merge.ParsedRow]]],
) -> None:
    code, rows = form
    merger, merged = merge(INVENTORY, rows)
    assert merger.problems == []
    parts = merged.parts
    assert [d for d in parts.departments if d.code != code] == [d for d in INVENTORY.departments if d.code != code]
    assert [s for s in parts.systems if s.department != code] == [s for s in INVENTORY.systems if s.department != code]
    assert [e for e in parts.catalogue if e.provider != code] == [e for e in INVENTORY.catalogue if e.provider != code]
    # and the department itself holds exactly its rows
    assert [s.code for s in parts.systems if s.department == code] == [
        row.values["code"] for row in rows[cf.SHEET_SYSTEMS]
    ]
    assert {s.code: s.name for s in parts.systems if s.department == code} == {
        row.values["code"]: row.values["name"] for row in rows[cf.SHEET_SYSTEMS]
    }


@RELAXED
@given(edited_forms())
def test_importing_the_same_rows_twice_is_importing_them_once(
    form: tuple[str, dict[str, list[import_merge.ParsedRow]]],
) -> None:
    _, rows = form
    first_merger, first = merge(INVENTORY, rows)
    assert first_merger.problems == []
    again_merger, again = merge(as_inventory(first), rows)
    assert again_merger.problems == []
    assert again.parts == first.parts


@RELAXED
@given(st.sampled_from(CODES), st.data())
def test_every_bad_row_is_reported_at_its_row_and_column(code: str, data: st.DataObject) -> None:
    rows = form_rows(INVENTORY, code)
    systems = rows[cf.SHEET_SYSTEMS]
    unknown = data.draw(st.sets(st.integers(0, len(systems) - 1), min_size=1))
    bad_code = data.draw(st.sets(st.integers(0, len(systems) - 1).filter(lambda i: i not in unknown), max_size=2))
    edited = []
    for index, row in enumerate(systems):
        values = dict(row.values)
        if index in unknown:
            values["department"] = f"没有这个部门{index}"
        elif index in bad_code:
            values["code"] = "not a code"
        edited.append(import_merge.ParsedRow(row.origin, values))
    rows[cf.SHEET_SYSTEMS] = edited
    merger, _ = merge(INVENTORY, rows)
    reported = {(p.sheet, p.line, p.field) for p in merger.problems}
    expected = {(cf.SHEET_SYSTEMS, systems[i].origin.row, "所属部门") for i in unknown} | {
        (cf.SHEET_SYSTEMS, systems[i].origin.row, "系统编码") for i in bad_code
    }
    assert reported == expected


def test_a_new_department_gets_the_first_free_24_of_the_pool_as_its_zone() -> None:
    pool = import_merge.dedicated_zone_pool(INVENTORY.network)
    used = [net for zone in INVENTORY.network.zones for net in zone.ranges]
    first_free = next(net for net in pool.subnets(new_prefix=24) if not any(net.overlaps(u) for u in used))
    row = import_merge.ParsedRow(
        import_merge.RowOrigin("form.xlsx", cf.SHEET_DEPARTMENTS, 2),
        {"name": "临江市新设局", "uscc": "11330100MB1234567X", "parent": None},
    )
    merger, merged = merge(INVENTORY, {cf.SHEET_DEPARTMENTS: [row], cf.SHEET_SYSTEMS: [], cf.SHEET_CATALOGUE: []})
    assert merger.problems == []
    (zone,) = merged.new_zones.values()
    assert zone.ranges == (first_free,)
    assert zone.department == merged.covered[0] == import_merge.new_department_code("11330100MB1234567X", set())


@pytest.mark.parametrize("code", CODES[:1])
def test_the_form_rows_of_a_department_are_what_its_export_writes(code: str) -> None:
    exported = cf.export_rows(INVENTORY, [INVENTORY.department_by_code[code]])
    assert [row.values["code"] for row in form_rows(INVENTORY, code)[cf.SHEET_SYSTEMS]] == [
        cells[0] for cells in exported[cf.SHEET_SYSTEMS]
    ]


def test_an_import_that_changes_nothing_skips_the_checks_and_one_that_changes_runs_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loaded census passed the checks; the same records pass them again, so only a change runs them."""
    root = tmp_path / "inventory"
    inventory_files.write_inventory(root, INVENTORY)
    code = CODES[0]
    form = tmp_path / "form.xlsx"
    cf.export_forms(INVENTORY, form, code)
    runs: list[int] = []
    check = checks.check_inventory

    def counted(parts: checks.InventoryParts, *, today: dt.date) -> list[checks.Finding]:
        runs.append(len(parts.systems))
        return check(parts, today=today)

    monkeypatch.setattr(checks, "check_inventory", counted)
    today = dt.date(2026, 12, 31)  # as tests/test_census_forms.py: the example city is valid on that day
    report = cf.import_forms([form], root, today=today, dry_run=True)
    assert not report.changed
    assert runs == [len(INVENTORY.systems)]  # the load's own run only (no cache here), none for the import

    workbook = openpyxl.load_workbook(form)
    sheet = workbook[cf.SHEET_SYSTEMS]
    sheet.cell(row=2, column=2, value=f"{sheet.cell(row=2, column=2).value}（改）")
    workbook.save(form)
    runs.clear()
    report = cf.import_forms([form], root, today=today, dry_run=True)
    assert report.changed
    assert len(runs) == 2  # the load's and the import's
