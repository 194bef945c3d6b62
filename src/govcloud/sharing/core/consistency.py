"""Catalogue consistency findings for data sharing: what the 条例 asks that the census does not enforce. Pure.

Findings, not load errors: an inventory with them still loads, and the sharing report lists them per
department so each 政务数据共享工作机构 can correct its catalogue (Art. 17: within 10 working days).

- personal information (``census.core.personal_data.personal_items``) in a 无条件共享 or open entry;
- 一数一源: the same resource name provided by more than one department (one provider per resource);
- a system that ``consumes`` another department's 有条件共享 entry without an active grant (Art. 21-22).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable

from govcloud.census.core import checks
from govcloud.census.core.personal_data import personal_items
from govcloud.core import model
from govcloud.core.settings import DEFAULT_SETTINGS, Settings
from govcloud.sharing.core import grants


@dataclasses.dataclass(frozen=True, order=True)
class CatalogueFinding:
    department: str
    subject: str
    """A resource code, or ``system → resource`` for a consumption."""
    rule: str
    message: str


def catalogue_findings(
    inventory: model.Inventory,
    active: Iterable[grants.ExchangeGrant],
    settings: Settings = DEFAULT_SETTINGS,
) -> tuple[CatalogueFinding, ...]:
    """Every consistency finding of the catalogue, sorted by department."""
    found: list[CatalogueFinding] = []
    for entry in inventory.catalogue:
        personal = personal_items(entry, settings)
        if not personal:
            continue
        items = "、".join(personal)
        if entry.sharing.type is model.SharingType.UNCONDITIONAL:
            found.append(
                CatalogueFinding(
                    entry.provider,
                    entry.code,
                    "personal-unconditional",
                    f"无条件共享 with personal information ({items})",
                )
            )
        if entry.open.open:
            found.append(
                CatalogueFinding(
                    entry.provider,
                    entry.code,
                    "personal-open",
                    f"open to the public with personal information ({items})",
                )
            )
    providers: dict[str, dict[str, str]] = defaultdict(dict)
    for entry in inventory.catalogue:
        providers[entry.name].setdefault(entry.provider, entry.code)
    for name, by_department in providers.items():
        if len(by_department) < 2:
            continue
        codes = ", ".join(f"{d} {c}" for d, c in sorted(by_department.items()))
        for department, code in by_department.items():
            found.append(CatalogueFinding(department, code, "one-source", f"一数一源: {name} is provided by {codes}"))
    system_department = {s.code: s.department for s in inventory.systems}
    for system, resource in grants.ungranted_consumption(inventory, active):
        found.append(
            CatalogueFinding(
                system_department[system],
                f"{system} → {resource}",
                "consumes-without-grant",
                f"{system} consumes the 有条件共享 resource {resource} without an active grant",
            )
        )
    return tuple(sorted(found))


# --- the catalogue fields the 条例 requires (govcloud check) --------------------------------------------------


def effective_grade(entry: model.CatalogueEntry, settings: Settings = DEFAULT_SETTINGS) -> model.DataGrade:
    """The entry's 数据分类分级, or the settings' default when it records none."""
    return entry.grade or model.DataGrade(settings.sharing.default_grade)


def catalogue_rule_findings(inventory: model.Inventory, settings: Settings = DEFAULT_SETTINGS) -> list[checks.Finding]:
    """What ``govcloud check`` requires of departments and entries under Art. 11, 13 and 15, as census findings.

    Findings name a record and a field, so the check shows them at their file and line; they are not load
    errors (every other command still runs on a catalogue that lacks them).
    """
    rules = settings.sharing
    found: list[checks.Finding] = []
    if rules.require_sharing_office:
        for department in inventory.departments:
            if department.sharing_office is None:
                found.append(
                    checks.Finding(
                        "department",
                        department.code,
                        ("sharing_office",),
                        "no 政务数据共享工作机构: sharing_office: {name: ..., head: ...} (条例 Art. 11)",
                    )
                )
    open_grades = {model.DataGrade(g) for g in rules.open_grades}
    for entry in inventory.catalogue:
        if rules.require_assessment_before_publishing and entry.publish_date is not None:
            if entry.assessment is None:
                found.append(
                    checks.Finding(
                        "catalogue",
                        entry.code,
                        ("publish_date",),
                        f"published on {entry.publish_date.isoformat()} without a 保密 and 个人信息 assessment "
                        "approved by the department head: assessment: {date: ..., approver: ...} (条例 Art. 13)",
                    )
                )
            elif entry.assessment.date > entry.publish_date:
                found.append(
                    checks.Finding(
                        "catalogue",
                        entry.code,
                        ("assessment", "date"),
                        f"assessed on {entry.assessment.date.isoformat()}, after its publication on "
                        f"{entry.publish_date.isoformat()}: the assessment comes first (条例 Art. 13)",
                    )
                )
        if rules.require_conditional_scope_and_purpose and entry.sharing.type is model.SharingType.CONDITIONAL:
            for field, term in (("scope", "共享范围"), ("purpose", "使用用途")):
                if not (getattr(entry.sharing, field) or "").strip():
                    found.append(
                        checks.Finding(
                            "catalogue",
                            entry.code,
                            ("sharing", field),
                            f"a 有条件共享 entry states its {term} (sharing.{field}) (条例 Art. 15)",
                        )
                    )
        grade = effective_grade(entry, settings)
        if grade not in open_grades:
            if entry.sharing.type is model.SharingType.UNCONDITIONAL:
                found.append(
                    checks.Finding(
                        "catalogue",
                        entry.code,
                        ("grade",),
                        f"{grade.value}数据 cannot be 无条件共享 (sharing.open_grades: {', '.join(rules.open_grades)})",
                    )
                )
            if entry.open.open:
                found.append(
                    checks.Finding(
                        "catalogue",
                        entry.code,
                        ("grade",),
                        f"{grade.value}数据 cannot be open to the public (sharing.open_grades: "
                        f"{', '.join(rules.open_grades)})",
                    )
                )
    return found
