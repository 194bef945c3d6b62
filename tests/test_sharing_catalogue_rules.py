"""What ``govcloud check`` requires of the catalogue under the 条例 (Art. 11, 13, 15): each at its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from govcloud.cli import app
from govcloud.core import example, model
from govcloud.core.settings import Settings, SharingSettings
from govcloud.edges import inventory_files
from govcloud.sharing.core import consistency

CGJ = Path("departments") / "CGJ.yaml"
CONDITIONAL = "10502704/0000145"  # CGJ's 有条件共享 entry (published)
PUBLISHED = "20102700/0000141"  # CGJ's first entry, 无条件共享, published 2025-02-22


def _check(inventory: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["check", "--inventory", str(inventory)])
    return result.exit_code, result.output


def _line_of(path: Path, text: str, after: str = "") -> int:
    content = path.read_text(encoding="utf-8")
    start = content.index(after) if after else 0
    return content[: content.index(text, start)].count("\n") + 1


def _edit(path: Path, old: str, new: str, after: str = "") -> None:
    content = path.read_text(encoding="utf-8")
    start = content.index(after) if after else 0
    at = content.index(old, start)
    path.write_text(content[:at] + new + content[at + len(old) :], encoding="utf-8")


def test_the_bundled_city_meets_the_catalogue_rules(inventory_copy: Path) -> None:
    code, output = _check(inventory_copy)
    assert code == 0, output


def test_each_missing_field_is_an_error_at_its_line(inventory_copy: Path) -> None:
    path = inventory_copy / CGJ
    _edit(path, "  sharing_office:\n    name: 临江市城市管理行政执法局政务数据共享工作组\n    head: 郭静\n", "")
    _edit(path, "  assessment:\n    date: 2025-02-14\n    approver: 郭静\n", "", after=f"code: {PUBLISHED}")
    _edit(path, "    scope: ", "    # scope: ", after=f"code: {CONDITIONAL}")
    published_line = _line_of(path, "  publish_date: 2025-02-22", after=f"code: {PUBLISHED}")
    sharing_line = _line_of(path, "  sharing:", after=f"code: {CONDITIONAL}")
    code, output = _check(inventory_copy)
    assert code == 1
    shown = str(path)
    assert f"{shown}:2: department.sharing_office: no 政务数据共享工作机构" in output
    assert f"{shown}:{published_line}: catalogue.0.publish_date: published on 2025-02-22 without a 保密" in output
    assert f"{shown}:{sharing_line}: catalogue.4.sharing.scope: a 有条件共享 entry states its 共享范围" in output
    assert "3 problem(s)" in output


def test_an_assessment_after_publication_and_important_data_shared_unconditionally(inventory_copy: Path) -> None:
    path = inventory_copy / CGJ
    _edit(path, "    date: 2025-02-14", "    date: 2025-03-01", after=f"code: {PUBLISHED}")
    _edit(path, "  grade: 一般", "  grade: 重要", after=f"code: {PUBLISHED}")
    code, output = _check(inventory_copy)
    assert code == 1
    assert "catalogue.0.assessment.date: assessed on 2025-03-01, after its publication on 2025-02-22" in output
    assert "catalogue.0.grade: 重要数据 cannot be 无条件共享" in output


def test_an_unknown_grade_is_a_load_error_naming_the_field(inventory_copy: Path) -> None:
    path = inventory_copy / CGJ
    _edit(path, "  grade: 一般", "  grade: 机密", after=f"code: {PUBLISHED}")
    line = _line_of(path, "  grade: 机密")
    code, output = _check(inventory_copy)
    assert code == 1
    assert f"{path}:{line}: catalogue.0.grade" in output


@pytest.mark.parametrize("seed", [1, 5, 11])
def test_generated_cities_meet_the_rules_and_grade_personal_restricted_data_important(seed: int) -> None:
    city = example.generate_city(systems=80, seed=seed).inventory
    assert consistency.catalogue_rule_findings(city) == []
    assert all(d.sharing_office is not None for d in city.departments)
    graded = {e.grade for e in city.catalogue}
    assert graded == {model.DataGrade.GENERAL, model.DataGrade.IMPORTANT}
    for entry in city.catalogue:
        if entry.publish_date is not None:
            assert entry.assessment is not None
            assert entry.assessment.date <= entry.publish_date


def test_the_settings_turn_rules_off_and_set_the_default_grade(small_city: example.ExampleCity) -> None:
    bare = small_city.inventory
    stripped = model.Inventory(
        city=bare.city,
        network=bare.network,
        departments=tuple(d.model_copy(update={"sharing_office": None}) for d in bare.departments),
        systems=bare.systems,
        catalogue=tuple(
            e.model_copy(
                update={
                    "assessment": None,
                    "grade": None,
                    "sharing": e.sharing.model_copy(update={"scope": None, "purpose": None}),
                }
            )
            for e in bare.catalogue
        ),
        hosts=bare.hosts,
        private_networks=bare.private_networks,
    )
    rules = {f.field for f in consistency.catalogue_rule_findings(stripped)}
    assert rules == {("sharing_office",), ("publish_date",), ("sharing", "scope"), ("sharing", "purpose")}
    off = Settings(
        sharing=SharingSettings(
            require_sharing_office=False,
            require_assessment_before_publishing=False,
            require_conditional_scope_and_purpose=False,
        )
    )
    assert consistency.catalogue_rule_findings(stripped, off) == []
    strict = Settings(sharing=SharingSettings(default_grade="重要"))
    graded = consistency.catalogue_rule_findings(stripped, strict)
    ungraded_unconditional = [e for e in stripped.catalogue if e.sharing.type is model.SharingType.UNCONDITIONAL]
    assert sum(1 for f in graded if f.field == ("grade",)) >= len(ungraded_unconditional)
    assert consistency.effective_grade(stripped.catalogue[0], strict) is model.DataGrade.IMPORTANT


def test_written_and_read_back_the_new_fields_survive(tmp_path: Path, small_city: example.ExampleCity) -> None:
    inventory_files.write_inventory(tmp_path / "inventory", small_city.inventory)
    loaded = inventory_files.load_inventory(tmp_path / "inventory").inventory
    assert loaded.department_by_code == small_city.inventory.department_by_code
    assert loaded.entry_by_code == small_city.inventory.entry_by_code
