"""`census import` over the covered departments only: exactly what the whole-census import gives.

A warm load knows every department and which department holds each code from its cache entries' heads, so an
import that changes nothing reads only the covered departments' files; anything else falls back to the merge
over the whole census. Every test runs the same form twice in the same git repository, once through the cache
(the covered path when it applies) and once with the cache off (``GOVCLOUD_NO_CACHE``: always the whole
census), and compares the reports, the errors (file, sheet, row, column, message), the notices and the files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import write_city
from govcloud.census.edges import census_forms as cf
from govcloud.census.edges import inventory_cache
from govcloud.core import example, model
from govcloud.edges import inventory_files
from test_census_forms import read_xlsx_rows, system_row, write_xlsx

TODAY = dt.date(2026, 12, 31)
Rows = dict[str, list[list[Any]]]


@pytest.fixture(autouse=True)
def _private_key_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The MAC key lives under the tests' own XDG_CACHE_HOME, never in the developer's home."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))
    monkeypatch.delenv(inventory_cache.NO_CACHE_ENV, raising=False)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    city = example.generate_city(systems=60, seed=3)
    return write_city(city, tmp_path_factory.mktemp("template") / "inventory")


@pytest.fixture
def repo(template: Path, tmp_path: Path) -> Path:
    """A git repository whose ``inventory/`` is a copy of the template (the cache lives in its working tree)."""
    subprocess.run(["git", "init", "-q", str(tmp_path / "repo")], check=True)
    shutil.copytree(template, tmp_path / "repo" / "inventory")
    return tmp_path / "repo"


def _digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*.yaml"))}


def _outcome(form: Path, root: Path) -> tuple[str, Any]:
    try:
        report = cf.import_forms([form], root, today=TODAY)
    except cf.FormsRejected as exc:
        return "refused", (exc.summary, list(exc.problems), exc.notices)
    return "imported", report


def _compare(
    repo: Path, template: Path, edit: Callable[[model.Inventory, Rows], None], monkeypatch: pytest.MonkeyPatch
) -> tuple[tuple[str, Any], bool]:
    """Import department ``edit`` chose's form through the cache, then with the cache off; both outcomes equal.

    Returns the outcome and whether the cached run built the whole census.
    """
    root = repo / "inventory"
    inventory = inventory_files.load_inventory(root, today=TODAY).inventory  # warm: every entry written
    rows: Rows = {}
    edit(inventory, rows)
    form = repo / "form.xlsx"
    write_xlsx(form, rows)
    loads: list[inventory_files.LoadedInventory] = []
    load = inventory_files.load_inventory

    def spy(*args: Any, **kwargs: Any) -> inventory_files.LoadedInventory:
        loads.append(load(*args, **kwargs))
        return loads[-1]

    monkeypatch.setattr(cf.inventory_files, "load_inventory", spy)
    covered = _outcome(form, root)
    covered_files = _digests(root)
    (loaded,) = loads
    assert loaded.census_index() is not None  # the warm load was deferred: the covered path could run

    shutil.rmtree(root)
    shutil.copytree(template, root)
    monkeypatch.setenv(inventory_cache.NO_CACHE_ENV, "1")
    whole = _outcome(form, root)
    assert loads[-1].census_index() is None  # the cache off: the whole census, as before
    assert covered == whole
    assert covered_files == _digests(root)
    return covered, loaded.built


def _department_form(inventory: model.Inventory, code: str, rows: Rows, directory: Path) -> None:
    form = directory / f"{code}-export.xlsx"
    cf.export_forms(inventory, form, department=code)
    rows.update(read_xlsx_rows(form))


def _busy(inventory: model.Inventory) -> str:
    """A department with systems and entries (the ones the edits below need)."""
    return next(
        d.code
        for d in inventory.departments
        if len(inventory.systems_of_department.get(d.code, ())) >= 2
        and any(e.provider == d.code for e in inventory.catalogue)
    )


def test_an_unchanged_department_form_reads_only_that_department(
    repo: Path, template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen: list[str] = []

    def edit(inventory: model.Inventory, rows: Rows) -> None:
        chosen.append(_busy(inventory))
        _department_form(inventory, chosen[0], rows, repo)

    before = _digests(repo / "inventory")
    (kind, report), built = _compare(repo, template, edit, monkeypatch)
    assert kind == "imported"
    assert not built  # the covered path: no other department's records were built
    assert [(d.code, d.changed) for d in report.departments] == [(chosen[0], False)]
    assert report.files_written == ()
    assert _digests(repo / "inventory") == before


def test_an_unchanged_form_without_the_department_sheet_covers_what_its_rows_name(
    repo: Path, template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def edit(inventory: model.Inventory, rows: Rows) -> None:
        _department_form(inventory, _busy(inventory), rows, repo)
        del rows["部门"]

    (kind, report), built = _compare(repo, template, edit, monkeypatch)
    assert kind == "imported"
    assert not built
    assert len(report.departments) == 1
    assert not report.changed


def test_a_changed_record_falls_back_to_the_whole_census(
    repo: Path, template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def edit(inventory: model.Inventory, rows: Rows) -> None:
        _department_form(inventory, _busy(inventory), rows, repo)
        header = rows["系统"][0]
        rows["系统"][1][header.index("系统名称")] = str(rows["系统"][1][header.index("系统名称")]) + "（升级）"

    (kind, report), built = _compare(repo, template, edit, monkeypatch)
    assert kind == "imported"
    assert built  # a change: the cross-record checks ran over the whole census
    (change,) = report.departments
    assert [c.fields for c in change.systems_changed] == [("name",)]
    assert len(report.files_written) == 1


def test_a_new_system_falls_back_to_the_whole_census(
    repo: Path, template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def edit(inventory: model.Inventory, rows: Rows) -> None:
        code = _busy(inventory)
        _department_form(inventory, code, rows, repo)
        header = rows["系统"][0]
        rows["系统"].append([system_row("NEW-901", inventory.department_by_code[code].name).get(h) for h in header])

    (kind, report), built = _compare(repo, template, edit, monkeypatch)
    assert kind == "imported"
    assert built
    assert report.departments[0].systems_added == ("NEW-901",)


def test_a_row_moving_a_record_from_another_department_falls_back(
    repo: Path, template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def edit(inventory: model.Inventory, rows: Rows) -> None:
        code = _busy(inventory)
        _department_form(inventory, code, rows, repo)
        other = next(s for s in inventory.systems if s.department != code)
        header = rows["系统"][0]
        rows["系统"].append([system_row(other.code, inventory.department_by_code[code].name).get(h) for h in header])

    outcome, built = _compare(repo, template, edit, monkeypatch)
    assert built  # the other department's record is needed: never merged from the covered files alone
    assert outcome[0] in {"imported", "refused"}


def test_an_unchanged_form_in_another_row_order_rewrites_the_file_as_the_whole_import_does(
    repo: Path, template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def edit(inventory: model.Inventory, rows: Rows) -> None:
        _department_form(inventory, _busy(inventory), rows, repo)
        rows["系统"] = [rows["系统"][0], *reversed(rows["系统"][1:])]

    (kind, report), built = _compare(repo, template, edit, monkeypatch)
    assert kind == "imported"
    assert built  # no record changed, but the file would: left to the whole import
    assert not report.changed
    assert len(report.files_written) == 1


def test_a_refused_form_gives_the_same_problems_and_writes_nothing(
    repo: Path, template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _digests(repo / "inventory")

    def edit(inventory: model.Inventory, rows: Rows) -> None:
        _department_form(inventory, _busy(inventory), rows, repo)
        header = rows["系统"][0]
        rows["系统"][1][header.index("等保级别")] = "九级"

    (kind, (summary, problems, _)), _ = _compare(repo, template, edit, monkeypatch)
    assert kind == "refused"
    assert "nothing was imported" in summary
    assert {(p.sheet, p.field) for p in problems} >= {("系统", "等保级别")}
    assert _digests(repo / "inventory") == before


def test_an_unknown_department_is_refused_as_the_whole_import_refuses_it(
    repo: Path, template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def edit(inventory: model.Inventory, rows: Rows) -> None:
        _department_form(inventory, _busy(inventory), rows, repo)
        header = rows["系统"][0]
        rows["系统"][1][header.index("所属部门")] = "不存在的局"

    (kind, (_, problems, _)), built = _compare(repo, template, edit, monkeypatch)
    assert kind == "refused"
    assert any("unknown department" in p.message and p.sheet == "系统" for p in problems)
    assert built


def test_the_index_and_one_department_file_equal_the_whole_census(repo: Path) -> None:
    root = repo / "inventory"
    cold = inventory_files.load_inventory(root, today=TODAY, use_cache=False)
    assert cold.census_index() is None
    assert cold.department_file(cold.department_codes[0]) is None
    inventory = cold.inventory
    inventory_files.load_inventory(root, today=TODAY)  # fills the cache
    warm = inventory_files.load_inventory(root, today=TODAY)
    index = warm.census_index()
    assert index is not None
    assert index.departments == inventory.departments
    assert index.system_department == {s.code: s.department for s in inventory.systems}
    assert index.entry_department == {e.code: e.provider for e in inventory.catalogue}
    code = _busy(inventory)
    expected = next(f for f in inventory_files.department_files(inventory) if f.department.code == code)
    assert warm.department_file(code) == expected
    assert warm.department_file("NO-SUCH") is None
    assert not warm.built  # neither the index nor one department's file built the census
