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
