"""What changed between two censuses, and what each change risks. Pure.

Auditors review the inventory in git; a line diff shows *that* a YAML value changed, not what it means. This
module compares two inventories record by record and field by field and grades each change by the rule it
touches: loosening a sharing type or dropping a legal basis exposes data (high), lowering an MLPS level or
clearing the classified flag moves a system's security boundary (high), new cross-department dependencies
open flows (medium), contacts and descriptions are bookkeeping (low).

Grading reads content, not just the field that changed: loosening the sharing of (or opening to the public)
an entry that holds personal information (:func:`govcloud.census.core.personal_data.personal_items`) names
those items; a placement into the Internet access zone or onto a node pool of a lower MLPS level is high; a
tightened or withdrawn entry names the systems that consume it (or says nobody does); a removed system is
checked against its decommission plan (when the plans are given) and the systems that still call it.
Messages say only what the two inventories show.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pydantic

from govcloud.census.core.personal_data import personal_item_names, personal_items
from govcloud.core import model
from govcloud.core.settings import DEFAULT_SETTINGS, Settings


class Risk(enum.IntEnum):
    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @property
    def label(self) -> str:
        return self.name.lower()


class ChangeKind(enum.StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclasses.dataclass(frozen=True, order=True)
class Change:
    """One difference: a record added or removed, or one field of it changed."""

    record: str  # department, system, catalogue, zone, intranet_zone, private_network, host, city, platform
    key: str
    kind: ChangeKind
    field: str
    old: str
    new: str
    risk: Risk
    why: str


_SHARING_OPENNESS = {
    model.SharingType.NOT_SHARED: 0,
    model.SharingType.CONDITIONAL: 1,
    model.SharingType.UNCONDITIONAL: 2,
}


def diff_inventories(
    before: model.Inventory,
    after: model.Inventory,
    *,
    settings: Settings = DEFAULT_SETTINGS,
    decommissions: Mapping[str, str] | None = None,
) -> list[Change]:
    """Every change from ``before`` to ``after``, highest risk first, then by record.

    ``decommissions``: system code → the status of its decommission plan where the plans of ``after`` have one
    (None: the plans are not known, and a removed system's message says so).
    """
    changes: list[Change] = []
    changes += _diff_records("department", before.department_by_code, after.department_by_code, _department_risk)
    uses_before, uses_after = _LazyUses(before), _LazyUses(after)
    changes += _diff_records(
        "system",
        before.system_by_code,
        after.system_by_code,
        _system_risk(before, after, settings, decommissions, uses_after),
    )
    entry_rule = _entry_rule(before, after, settings, uses_before, uses_after)
    changes += _diff_records("catalogue", before.entry_by_code, after.entry_by_code, entry_rule)
    changes += _diff_records("zone", before.zone_by_code, after.zone_by_code, _zone_risk)
    changes += _diff_records(
        "intranet_zone", before.intranet_zone_by_code, after.intranet_zone_by_code, _intranet_zone_risk
    )
    changes += _diff_records(
        "private_network", before.private_network_by_code, after.private_network_by_code, _private_network_risk
    )
    changes += _diff_records("host", {h.name: h for h in before.hosts}, {h.name: h for h in after.hosts}, _host_risk)
    changes += _diff_records(
        "platform", {"platform": before.network.platform}, {"platform": after.network.platform}, _platform_risk
    )
    return sorted(changes, key=lambda c: (-c.risk, c.record, c.key, c.field))


RiskRule = Callable[[str, str, Any, Any], tuple[Risk, str]]
"""(record key, field path or <added>/<removed>, old value, new value) → risk and why."""


def _diff_records(
    record: str,
    before: Mapping[str, pydantic.BaseModel],
    after: Mapping[str, pydantic.BaseModel],
    rule: RiskRule,
) -> Iterator[Change]:
    for key in sorted(before.keys() - after.keys()):
        risk, why = rule(key, "<removed>", before[key], None)
        yield Change(record, key, ChangeKind.REMOVED, "", _name_of(before[key]), "", risk, why)
    for key in sorted(after.keys() - before.keys()):
        risk, why = rule(key, "<added>", None, after[key])
        yield Change(record, key, ChangeKind.ADDED, "", "", _name_of(after[key]), risk, why)
    # unsorted: the caller sorts the changes, and sorting 200,000 unchanged keys costs more than comparing them
    for key, old in before.items():
        new = after.get(key)
        if new is None or old == new:
            continue
        for field, old_value, new_value in _field_changes(old.model_dump(mode="json"), new.model_dump(mode="json")):
            risk, why = rule(key, field, old_value, new_value)
            yield Change(record, key, ChangeKind.CHANGED, field, _text(old_value), _text(new_value), risk, why)


def _field_changes(old: Any, new: Any, prefix: str = "") -> Iterator[tuple[str, Any, Any]]:
    """Leaf-level differences between two JSON-like values; lists compare as a whole (order matters)."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(old.keys() | new.keys()):
            yield from _field_changes(old.get(key), new.get(key), f"{prefix}.{key}" if prefix else key)
    elif old != new:
        yield prefix, old, new


def _department_risk(key: str, field: str, old: Any, new: Any) -> tuple[Risk, str]:
    del key
    if field == "<removed>":
        return Risk.HIGH, "a department left the census: its systems and catalogue entries go with it"
    if field == "<added>":
        return Risk.MEDIUM, "a new department: it gets a dedicated zone and namespaces"
    if field == "admin_group":
        return Risk.HIGH, "who administers the department's namespaces changed"
    if field == "uscc":
        return Risk.MEDIUM, "the legal identity (credit code) of the department changed"
    if field == "freeze_windows":
        return Risk.MEDIUM, "migration waves move with freeze windows"
    return Risk.LOW, "bookkeeping"


@dataclasses.dataclass(frozen=True)
class _Uses:
    """Who uses what in one inventory: entry code → consuming systems, system code → calling systems."""

    consumers: Mapping[str, list[str]]
    callers: Mapping[str, list[str]]

    @classmethod
    def of(cls, inventory: model.Inventory) -> _Uses:
        consumers: dict[str, list[str]] = {}
        callers: dict[str, list[str]] = {}
        for system in sorted(inventory.systems, key=lambda s: s.code):
            for code in dict.fromkeys(system.consumes):
                consumers.setdefault(code, []).append(system.code)
            for code in dict.fromkeys(system.depends_on):
                if code != system.code:
                    callers.setdefault(code, []).append(system.code)
        return cls(consumers, callers)


class _LazyUses:
    """:class:`_Uses` built once per diff and only when a rule asks.

    A province has 20,000 systems: scanning them for every changed entry would make the diff quadratic.
    """

    def __init__(self, inventory: model.Inventory) -> None:
        self._inventory = inventory
        self._uses: _Uses | None = None

    def consumers(self, entry_code: str) -> list[str]:
        return list(self._get().consumers.get(entry_code, ()))

    def callers(self, system_code: str) -> list[str]:
        return list(self._get().callers.get(system_code, ()))

    def _get(self) -> _Uses:
        if self._uses is None:
            self._uses = _Uses.of(self._inventory)
        return self._uses


def pool_level(pool: str | None, settings: Settings = DEFAULT_SETTINGS) -> int:
    """The MLPS level a node pool is built to: dedicated pools 4, the MLPS 3 pool 3, the general pool 2."""
    if pool is not None and pool in settings.cloud.dedicated_pools:
        return 4
    if pool == settings.cloud.mlps3_node_pool:
        return 3
    return 2


def _pool_name(pool: str | None) -> str:
    return pool if pool else "the general pool"


def _removed_system(
    before: model.Inventory, uses: _LazyUses, code: str, decommissions: Mapping[str, str] | None
) -> tuple[Risk, str]:
    callers = uses.callers(code)
    consumers = sorted({s for e in before.entries_of_system.get(code, ()) for s in uses.consumers(e.code) if s != code})
    problems: list[str] = []
    if decommissions is None:
        plan = "its decommission plan was not checked (no plans given)"
    elif code not in decommissions:
        plan = "no decommission plan (整合/下线) covers it"
        problems.append(plan)
    elif decommissions[code] != "done":
        plan = f"its decommission plan is {decommissions[code]}, not done"
        problems.append(plan)
    else:
        plan = "its decommission plan is done"
    if callers:
        problems.append("still called by " + ", ".join(callers))
    if consumers:
        problems.append("its catalogue entries are still consumed by " + ", ".join(consumers))
    if problems:
        return Risk.HIGH, "a system left the census: " + "; ".join(problems)
    if decommissions is None:
        return Risk.HIGH, f"a system left the census: {plan}; nothing calls it or consumes its entries"
    return Risk.MEDIUM, f"a system left the census: {plan}; nothing calls it or consumes its entries"


def _system_risk(
    before: model.Inventory,
    after: model.Inventory,
    settings: Settings = DEFAULT_SETTINGS,
    decommissions: Mapping[str, str] | None = None,
    uses: _LazyUses | None = None,
) -> RiskRule:
    used = uses if uses is not None else _LazyUses(after)

    def rule(key: str, field: str, old: Any, new: Any) -> tuple[Risk, str]:
        if field == "<removed>":
            return _removed_system(before, used, key, decommissions)
        if field == "<added>":
            return Risk.MEDIUM, "a new system to assess"
        if field == "classified":
            if old and not new:
                return Risk.HIGH, "declassified: it may now be planned onto the shared cloud"
            return Risk.HIGH, "now classified: it must leave the shared cloud's plans"
        if field == "mlps_level":
            if old is not None and (new is None or new < old):
                return Risk.HIGH, f"MLPS level lowered from {old} to {new}: weaker controls, may now fit the cloud"
            return Risk.MEDIUM, f"MLPS level raised from {old} to {new}: placement and controls change"
        if field == "depends_on":
            added = sorted(set(new or ()) - set(old or ()))
            own = after.system_by_code[key].department
            crossing = [c for c in added if (d := after.system_by_code.get(c)) is not None and d.department != own]
            if crossing:
                return Risk.MEDIUM, "new calls across departments open network flows: " + ", ".join(crossing)
            return Risk.LOW, "declared calls changed inside the department"
        if field == "consumes":
            return Risk.MEDIUM, "catalogue entries used changed: data flows through the exchange follow them"
        if field.startswith("cloud.public_hostnames"):
            return Risk.HIGH, "what is published to the Internet changed"
        if field in {"cloud", "cloud.zone"}:
            zone_code = (new or {}).get("zone") if field == "cloud" else new
            zone = after.zone_by_code.get(zone_code) if isinstance(zone_code, str) else None
            if zone is not None and zone.kind is model.ZoneKind.INTERNET_ACCESS:
                return (
                    Risk.HIGH,
                    f"placed into the Internet access zone (互联网接入区) {zone.code}: reachable from the Internet",
                )
            if field == "cloud.zone":
                return Risk.MEDIUM, f"cloud zone changed from {old} to {new}: its flows follow"
        if field in {"cloud", "cloud.node_pool"}:
            old_pool = (old or {}).get("node_pool") if field == "cloud" else old
            new_pool = (new or {}).get("node_pool") if field == "cloud" else new
            was, now = pool_level(old_pool, settings), pool_level(new_pool, settings)
            graded = after.system_by_code[key].mlps_level
            if now < was or (graded is not None and now < graded):
                return (
                    Risk.HIGH,
                    f"moved onto a lower MLPS pool: {_pool_name(old_pool)} (level {was}) → {_pool_name(new_pool)} "
                    f"(level {now}); the system is graded {graded if graded is not None else 'ungraded'}",
                )
        if field.startswith("cloud"):
            return Risk.MEDIUM, "cloud placement changed"
        if field.startswith("ports"):
            return Risk.MEDIUM, "service ports changed: firewall rules and NetworkPolicies follow them"
        if field.startswith("disposition_override"):
            return Risk.MEDIUM, "a lead's disposition decision changed"
        if field == "intranet_zone":
            return Risk.HIGH, "a classified system moves to another zone of the 电子政务内网: its intranet flows follow"
        if field in {"special_hardware", "licence_allows_virtualisation", "vendor_support", "cpu_arch", "deployment"}:
            return Risk.MEDIUM, "cloud readiness may change"
        if field in {"last_update", "avg_cpu_percent", "monthly_active_users", "scope", "frequency"}:
            return Risk.LOW, "zombie assessment inputs changed"
        return Risk.LOW, "bookkeeping"

    return rule


def _entry_rule(
    before: model.Inventory,
    after: model.Inventory,
    settings: Settings,
    uses_before: _LazyUses,
    uses_after: _LazyUses,
) -> RiskRule:
    def personal(key: str) -> tuple[str, ...]:
        entry = after.entry_by_code.get(key) or before.entry_by_code.get(key)
        return personal_items(entry, settings) if entry is not None else ()

    def consumers_text(key: str, uses: _LazyUses) -> tuple[list[str], str]:
        consumers = uses.consumers(key)
        return consumers, ("consumed by " + ", ".join(consumers)) if consumers else "no system consumes it"

    def rule(key: str, field: str, old: Any, new: Any) -> tuple[Risk, str]:
        if field == "<removed>":
            consumers, said = consumers_text(key, uses_before)
            return (Risk.MEDIUM if consumers else Risk.LOW), f"a catalogue entry was withdrawn: {said}"
        if field == "<added>":
            items = personal(key)
            new_entry = after.entry_by_code[key]
            if items and (new_entry.open.open or new_entry.sharing.type is model.SharingType.UNCONDITIONAL):
                return Risk.HIGH, (
                    f"a new entry holding personal information ({', '.join(items)}) is "
                    + ("open to the public" if new_entry.open.open else "无条件共享")
                )
            return Risk.LOW, "a new catalogue entry"
        if field == "sharing.type":
            was = _SHARING_OPENNESS.get(model.SharingType(old), 0) if old else 0
            now = _SHARING_OPENNESS.get(model.SharingType(new), 0) if new else 0
            if now > was:
                items = personal(key)
                if items:
                    return Risk.HIGH, (
                        f"sharing loosened from {old} to {new} on an entry holding personal information: "
                        + ", ".join(items)
                    )
                return Risk.HIGH, f"sharing loosened from {old} to {new}: more departments can read it"
            consumers, said = consumers_text(key, uses_after)
            risk = Risk.MEDIUM if consumers else Risk.LOW
            return risk, f"sharing tightened from {old} to {new}: " + (
                f"{said}, who may lose access" if consumers else said
            )
        if field == "sharing.legal_basis":
            return Risk.HIGH, "the legal basis of 不予共享 changed"
        if field == "sharing.conditions":
            return Risk.MEDIUM, "sharing conditions changed"
        if field == "open.open":
            if new:
                items = personal(key)
                if items:
                    return Risk.HIGH, "now open to the public, holding personal information: " + ", ".join(items)
                return Risk.HIGH, "now open to the public"
            return Risk.MEDIUM, "no longer open to the public"
        if field.startswith("data_items"):
            consumers, said = consumers_text(key, uses_after)
            added = personal_item_names_added(old, new, settings)
            changed = after.entry_by_code.get(key)
            exposed = changed is not None and (
                changed.open.open or changed.sharing.type is model.SharingType.UNCONDITIONAL
            )
            if added and exposed:
                return Risk.HIGH, "personal information added to a widely shared entry: " + ", ".join(added)
            return (Risk.MEDIUM if consumers else Risk.LOW), f"data items changed: {said}"
        if field in {"provider", "system"}:
            return Risk.MEDIUM, "the source of the data changed (一数一源)"
        return Risk.LOW, "bookkeeping"

    return rule


def personal_item_names_added(old: Any, new: Any, settings: Settings = DEFAULT_SETTINGS) -> tuple[str, ...]:
    """Personal data items named in ``new`` (a dumped ``data_items`` list) and not in ``old``."""

    def names(value: Any) -> list[str]:
        return [str(i.get("name", "")) for i in value or () if isinstance(i, dict)]

    before = set(names(old))
    return tuple(n for n in personal_item_names(names(new), settings) if n not in before)


def _zone_risk(key: str, field: str, old: Any, new: Any) -> tuple[Risk, str]:
    del key, old, new
    if field in {"<removed>", "<added>"} or field == "ranges":
        return Risk.HIGH, "zone boundaries changed: firewall rules follow them"
    return Risk.LOW, "bookkeeping"


def _intranet_zone_risk(key: str, field: str, old: Any, new: Any) -> tuple[Risk, str]:
    del key, old, new
    if field in {"<removed>", "<added>"} or field == "ranges":
        return (
            Risk.HIGH,
            "the 电子政务内网's zones changed: its routers and its isolation from the extranet follow them",
        )
    return Risk.LOW, "bookkeeping"


def _private_network_risk(key: str, field: str, old: Any, new: Any) -> tuple[Risk, str]:
    del key
    if field == "<removed>":
        return Risk.MEDIUM, "a 业务专网 left the census: check its department plan shows it decommissioned"
    if field == "<added>":
        return Risk.MEDIUM, "a new 业务专网 to consolidate"
    if field == "systems":
        gone = sorted(set(old or ()) - set(new or ()))
        return Risk.LOW, "systems left it: " + (", ".join(gone) if gone else "none (systems added)")
    if field == "ranges":
        return Risk.MEDIUM, "its legacy address plan changed"
    return Risk.LOW, "bookkeeping"


def _host_risk(key: str, field: str, old: Any, new: Any) -> tuple[Risk, str]:
    del key, old, new
    if field in {"<removed>", "<added>"}:
        return Risk.MEDIUM, "a managed host was added or removed"
    if field in {"addresses", "zone", "systems"}:
        return Risk.HIGH, "a host's addresses or zone changed: firewall rules follow them"
    return Risk.MEDIUM, "host configuration changed"


def _platform_risk(key: str, field: str, old: Any, new: Any) -> tuple[Risk, str]:
    del key, old, new
    return Risk.HIGH, f"shared platform service changed ({field}): every department's flows depend on it"


def _name_of(record: pydantic.BaseModel) -> str:
    return str(getattr(record, "name", ""))


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value) or "[]"
    return str(value)
