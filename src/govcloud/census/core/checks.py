"""Rules that span records: references, uniqueness, sharing rules, codes, dates, addresses. Pure.

Each rule yields :class:`Finding` objects that name a record (its kind, its code and which occurrence of
that code) and a field path inside it; the file loader turns them into ``file:line: field: message`` using
the place it read each record from. Rules never stop at the first problem: every finding is reported.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import re
from collections import Counter
from collections.abc import Container, Iterable, Iterator

from govcloud.census.core import codes
from govcloud.core import model

_RESOURCE_CODE = re.compile(model.RESOURCE_CODE_PATTERN)

RESERVED_PORTS = (model.SHARE_PORT, model.RESTRICTED_PORT)
RESERVED_PORTS_WHY = "the data stage serves shareable entries on share/8443 and 不予共享 entries on restricted/8444"


@dataclasses.dataclass(frozen=True)
class Finding:
    """A problem in one record: ``kind`` and ``key`` name the record, ``field`` a path inside it."""

    kind: str
    key: str
    field: tuple[str | int, ...]
    message: str
    occurrence: int = 0


@dataclasses.dataclass(frozen=True)
class Unreadable:
    """Records the loader found but could not read (their own errors are reported where they are).

    References to them are not reported as unknown, so one typo does not bury its own error under a
    cascade of "unknown system" errors from every file that names the record. A file that is not YAML at
    all hides which systems and entries it holds: ``whole_files`` then lets every reference to a system or
    catalogue entry pass until that file is fixed.
    """

    departments: frozenset[str] = frozenset()
    systems: frozenset[str] = frozenset()
    catalogue: frozenset[str] = frozenset()
    whole_files: bool = False


@dataclasses.dataclass(frozen=True)
class InventoryParts:
    """Everything the loader read, before it is trusted: duplicates are still here."""

    city: model.CityFile
    network: model.Network
    departments: tuple[model.Department, ...]
    systems: tuple[model.System, ...]
    catalogue: tuple[model.CatalogueEntry, ...]
    hosts: tuple[model.Host, ...]
    unreadable: Unreadable = Unreadable()


def check_inventory(parts: InventoryParts, *, today: dt.date) -> list[Finding]:
    """Every cross-record problem of the inventory, in a stable order."""
    findings: list[Finding] = []
    for rule in (
        check_uniqueness,
        check_departments,
        check_zones,
        check_platform,
        check_systems,
        check_catalogue,
        check_hosts,
    ):
        findings.extend(rule(parts, today=today))
    return findings


def check_uniqueness(parts: InventoryParts, *, today: dt.date) -> Iterator[Finding]:
    """Codes are unique across all files; the second and later occurrences are reported."""
    del today
    yield from _duplicates("department", "code", (d.code for d in parts.departments))
    yield from _duplicates_by(
        "department", "uscc", ((d.code, d.uscc) for d in parts.departments), "unified social credit code"
    )
    # Census forms name departments, not codes: two departments with one name cannot be told apart.
    yield from _duplicates_by("department", "name", ((d.code, d.name) for d in parts.departments), "department name")
    yield from _duplicates("system", "code", (s.code for s in parts.systems))
    yield from _duplicates("catalogue", "code", (e.code for e in parts.catalogue))
    yield from _duplicates("zone", "code", (z.code for z in parts.network.zones))
    yield from _duplicates("host", "name", (h.name for h in parts.hosts))


def check_departments(parts: InventoryParts, *, today: dt.date) -> Iterator[Finding]:
    codes_known = _known_departments(parts)
    dedicated = Counter(z.department for z in parts.network.zones if z.kind is model.ZoneKind.DEDICATED)
    for dept in parts.departments:
        for problem in codes.uscc_problems(dept.uscc):
            yield Finding("department", dept.code, ("uscc",), f"unified social credit code {dept.uscc!r}: {problem}")
        if dept.parent is not None:
            if dept.parent not in codes_known:
                yield Finding("department", dept.code, ("parent",), f"unknown department {dept.parent!r}")
            elif dept.parent == dept.code:
                yield Finding("department", dept.code, ("parent",), "a department cannot be its own parent")
        if dedicated[dept.code] == 0:
            yield Finding(
                "department",
                dept.code,
                ("code",),
                f"department {dept.code} has no 专用网络区 (dedicated zone) in network.yaml",
            )
        for i, window in enumerate(dept.freeze_windows):
            if window.end < window.start:
                yield Finding(
                    "department", dept.code, ("freeze_windows", i, "end"), "freeze window ends before it starts"
                )
    yield from _parent_cycles(parts.departments)
    del today


def check_zones(parts: InventoryParts, *, today: dt.date) -> Iterator[Finding]:
    del today
    departments = _known_departments(parts)
    dedicated_seen: Counter[str] = Counter()
    for zone in parts.network.zones:
        if zone.kind is model.ZoneKind.DEDICATED:
            if zone.department is None:
                yield Finding("zone", zone.code, ("department",), "a 专用网络区 must name its department")
            elif zone.department not in departments:
                yield Finding("zone", zone.code, ("department",), f"unknown department {zone.department!r}")
            else:
                dedicated_seen[zone.department] += 1
                if dedicated_seen[zone.department] > 1:
                    yield Finding(
                        "zone",
                        zone.code,
                        ("department",),
                        f"department {zone.department} already has a 专用网络区; one per department",
                    )
        elif zone.department is not None:
            yield Finding(
                "zone", zone.code, ("department",), f"only a 专用网络区 belongs to a department, not a {zone.kind}"
            )
    for kind in (model.ZoneKind.PUBLIC, model.ZoneKind.INTERNET_ACCESS):
        count = sum(1 for z in parts.network.zones if z.kind is kind)
        if count != 1:
            yield Finding("network", "network", ("zones",), f"the extranet needs exactly one {kind}, found {count}")
    # Zone ranges must not overlap: a firewall rule keyed on a source range must identify one zone.
    ranged = sorted(
        ((net, z.code, i) for z in parts.network.zones for i, net in enumerate(z.ranges)),
        key=lambda item: (int(item[0].network_address), -item[0].prefixlen),
    )
    for (net_a, code_a, _), (net_b, code_b, index_b) in itertools.pairwise(ranged):
        if net_a.overlaps(net_b):
            yield Finding("zone", code_b, ("ranges", index_b), f"{net_b} overlaps {net_a} of zone {code_a}")


def check_platform(parts: InventoryParts, *, today: dt.date) -> Iterator[Finding]:
    del today
    zones = {z.code: z for z in parts.network.zones}
    platform = parts.network.platform
    expected = {
        "exchange": model.ZoneKind.PUBLIC,
        "gateway": model.ZoneKind.PUBLIC,
        "ingress": model.ZoneKind.INTERNET_ACCESS,
    }
    for attr, kind in expected.items():
        service: model.PlatformService = getattr(platform, attr)
        zone = zones.get(service.zone)
        if zone is None:
            yield Finding("network", "network", ("platform", attr, "zone"), f"unknown zone {service.zone!r}")
            continue
        if zone.kind is not kind:
            yield Finding(
                "network", "network", ("platform", attr, "zone"), f"the {attr} belongs in the {kind}, not {zone.kind}"
            )
        if not any(service.address in net for net in zone.ranges):
            yield Finding(
                "network",
                "network",
                ("platform", attr, "address"),
                f"{service.address} is outside zone {zone.code}'s ranges",
            )


def check_systems(parts: InventoryParts, *, today: dt.date) -> Iterator[Finding]:
    departments = _known_departments(parts)
    systems = _known_systems(parts)
    entries = _known_entries(parts)
    zones = {z.code: z for z in parts.network.zones}
    reserved_names = {port.name for port in RESERVED_PORTS}
    reserved_ports = {port.port for port in RESERVED_PORTS}
    management = parts.network.management
    management_ports = {p.port for p in management.ports} if management is not None else set()
    for s in parts.systems:
        key = s.code
        if s.department not in departments:
            yield Finding("system", key, ("department",), f"unknown department {s.department!r}")
        for i, dep in enumerate(s.depends_on):
            if dep not in systems:
                yield Finding("system", key, ("depends_on", i), f"unknown system {dep!r}")
            elif dep == s.code:
                yield Finding("system", key, ("depends_on", i), "a system cannot depend on itself")
        for i, consumed in enumerate(s.consumes):
            if consumed not in entries:
                yield Finding("system", key, ("consumes", i), f"unknown catalogue entry {consumed!r}")
        if s.cloud is not None:
            if s.classified:
                yield Finding(
                    "system",
                    key,
                    ("cloud",),
                    "a classified (涉密) system must not carry any cloud placement: it never moves to the shared cloud",
                )
            zone = zones.get(s.cloud.zone)
            if zone is None:
                yield Finding("system", key, ("cloud", "zone"), f"unknown zone {s.cloud.zone!r}")
            elif zone.kind is model.ZoneKind.DEDICATED and zone.department != s.department:
                yield Finding(
                    "system",
                    key,
                    ("cloud", "zone"),
                    f"zone {zone.code} is department {zone.department}'s 专用网络区, not {s.department}'s",
                )
            elif s.cloud.public_hostnames and zone.kind is not model.ZoneKind.INTERNET_ACCESS:
                yield Finding(
                    "system",
                    key,
                    ("cloud", "public_hostnames"),
                    f"public hostnames are published only from the 互联网接入区, but the system sits in {zone.code}",
                )
        if s.classified and s.carrying_network is not model.CarryingNetwork.INTRANET:
            yield Finding(
                "system",
                key,
                ("carrying_network",),
                f"a classified (涉密) system runs on the 电子政务内网, not the {s.carrying_network}",
            )
        override = s.disposition_override
        if override is not None:
            if override.disposition is model.Disposition.MERGE:
                if override.merge_into is None:
                    yield Finding(
                        "system", key, ("disposition_override", "merge_into"), "整合 needs the system to merge into"
                    )
                elif override.merge_into not in systems:
                    yield Finding(
                        "system", key, ("disposition_override", "merge_into"), f"unknown system {override.merge_into!r}"
                    )
                elif override.merge_into == s.code:
                    yield Finding(
                        "system", key, ("disposition_override", "merge_into"), "a system cannot merge into itself"
                    )
            elif override.merge_into is not None:
                yield Finding(
                    "system",
                    key,
                    ("disposition_override", "merge_into"),
                    f"merge_into only applies to 整合, not {override.disposition}",
                )
            if override.decided_on > today:
                yield Finding(
                    "system", key, ("disposition_override", "decided_on"), f"{override.decided_on} is in the future"
                )
        for field in ("approval_date", "go_live", "last_update"):
            value: dt.date | None = getattr(s, field)
            if value is not None and value > today:
                yield Finding("system", key, (field,), f"{value} is in the future (today is {today})")
        if s.go_live is not None and s.last_update is not None and s.last_update < s.go_live:
            yield Finding("system", key, ("last_update",), f"last update {s.last_update} is before go-live {s.go_live}")
        if s.approval_date is not None and s.go_live is not None and s.go_live < s.approval_date:
            yield Finding("system", key, ("go_live",), f"go-live {s.go_live} is before approval {s.approval_date}")
        for i, port in enumerate(s.ports):
            if port.name in reserved_names or port.port in reserved_ports:
                yield Finding(
                    "system",
                    key,
                    ("ports", i, "port" if port.port in reserved_ports else "name"),
                    f"port {port.name}/{port.port} is reserved: {RESERVED_PORTS_WHY}",
                )
            elif port.port in management_ports:
                yield Finding(
                    "system",
                    key,
                    ("ports", i, "port"),
                    f"port {port.port} is a management port: business traffic is kept apart from management",
                )
        yield from _duplicates_within("system", key, "ports", [p.name for p in s.ports], "port name")
        yield from _duplicates_within("system", key, "ports", [str(p.port) for p in s.ports], "port")


def check_catalogue(parts: InventoryParts, *, today: dt.date) -> Iterator[Finding]:
    departments = _known_departments(parts)
    system_department = {s.code: s.department for s in parts.systems}
    systems = _known_systems(parts)
    entries = _known_entries(parts)
    for e in parts.catalogue:
        key = e.code
        if not _RESOURCE_CODE.match(e.code):
            yield Finding(
                "catalogue",
                key,
                ("code",),
                f"resource code {e.code!r} must be classification digits (at least 6: 类1+项2+目3, then 细目), '/', "
                "sequence digits",
            )
        elif e.code[0] != e.category.digit:
            yield Finding(
                "catalogue",
                key,
                ("code",),
                f"resource code {e.code!r} starts with {e.code[0]}, "
                f"but a {e.category} code starts with {e.category.digit}",
            )
        if e.provider not in departments:
            yield Finding("catalogue", key, ("provider",), f"unknown department {e.provider!r}")
        if e.system is not None:
            owner = system_department.get(e.system)
            if owner is None:
                if e.system not in systems:
                    yield Finding("catalogue", key, ("system",), f"unknown system {e.system!r}")
            elif owner != e.provider:
                yield Finding(
                    "catalogue",
                    key,
                    ("system",),
                    f"system {e.system} belongs to {owner}, but the provider is {e.provider} "
                    "(一数一源: the provider holds it)",
                )
        for i, related in enumerate(e.related):
            if related not in entries:
                yield Finding("catalogue", key, ("related", i), f"unknown catalogue entry {related!r}")
        yield from _sharing_findings(e)
        if e.open.open and e.sharing.type is model.SharingType.NOT_SHARED:
            yield Finding(
                "catalogue",
                key,
                ("open", "open"),
                "a 不予共享 resource cannot be open to the public while it is not shared",
            )
        if e.publish_date is not None and e.publish_date > today:
            yield Finding("catalogue", key, ("publish_date",), f"{e.publish_date} is in the future (today is {today})")
        yield from _duplicates_within("catalogue", key, "data_items", [d.name for d in e.data_items], "data item")


def check_hosts(parts: InventoryParts, *, today: dt.date) -> Iterator[Finding]:
    del today
    zones = {z.code: z for z in parts.network.zones}
    systems = _known_systems(parts)
    seen_addresses: dict[str, str] = {}
    for host in parts.hosts:
        if host.zone not in zones:
            yield Finding("host", host.name, ("zone",), f"unknown zone {host.zone!r}")
        for i, code in enumerate(host.systems):
            if code not in systems:
                yield Finding("host", host.name, ("systems", i), f"unknown system {code!r}")
        for i, addr in enumerate(host.addresses):
            zone = zones.get(addr.zone)
            if zone is None:
                yield Finding("host", host.name, ("addresses", i, "zone"), f"unknown zone {addr.zone!r}")
            elif not any(addr.address.ip in net for net in zone.ranges):
                yield Finding(
                    "host",
                    host.name,
                    ("addresses", i, "address"),
                    f"{addr.address} is outside zone {zone.code}'s ranges",
                )
            other = seen_addresses.setdefault(str(addr.address.ip), host.name)
            if other != host.name:
                yield Finding(
                    "host", host.name, ("addresses", i, "address"), f"{addr.address.ip} is already used by {other}"
                )
        if host.role is not model.HostRole.ZONE_ROUTER and len({a.zone for a in host.addresses}) > 1:
            yield Finding("host", host.name, ("addresses",), "only a zone_router may have addresses in several zones")


# ---------------------------------------------------------------------------------------------------------


class _Anything:
    """Knows every code: stands in for the records of a file that could not be read."""

    def __contains__(self, code: object) -> bool:
        return True


def _known_departments(parts: InventoryParts) -> set[str]:
    return {d.code for d in parts.departments} | parts.unreadable.departments


def _known_systems(parts: InventoryParts) -> Container[str]:
    if parts.unreadable.whole_files:
        return _Anything()
    return {s.code for s in parts.systems} | parts.unreadable.systems


def _known_entries(parts: InventoryParts) -> Container[str]:
    if parts.unreadable.whole_files:
        return _Anything()
    return {e.code for e in parts.catalogue} | parts.unreadable.catalogue


def _sharing_findings(e: model.CatalogueEntry) -> Iterator[Finding]:
    sharing = e.sharing
    conditions = (sharing.conditions or "").strip()
    if sharing.type is model.SharingType.UNCONDITIONAL:
        if conditions != "无条件":
            yield Finding(
                "catalogue",
                e.code,
                ("sharing", "conditions"),
                f"无条件共享's condition must read 无条件, got {conditions!r}",
            )
    elif sharing.type is model.SharingType.CONDITIONAL:
        if not conditions or conditions == "无条件":
            yield Finding("catalogue", e.code, ("sharing", "conditions"), "有条件共享 must state its conditions")
    elif not (sharing.legal_basis or "").strip():
        yield Finding(
            "catalogue",
            e.code,
            ("sharing", "legal_basis"),
            "不予共享 must cite its basis in law, administrative regulation or central policy",
        )


def _duplicates(kind: str, field: str, keys: Iterable[str]) -> Iterator[Finding]:
    seen: Counter[str] = Counter()
    for key in keys:
        seen[key] += 1
        if seen[key] > 1:
            yield Finding(kind, key, (field,), f"duplicate {kind} {field} {key!r}", occurrence=seen[key] - 1)


def _duplicates_by(kind: str, field: str, pairs: Iterable[tuple[str, str]], label: str) -> Iterator[Finding]:
    first: dict[str, str] = {}
    for key, value in pairs:
        owner = first.setdefault(value, key)
        if owner != key:
            yield Finding(kind, key, (field,), f"duplicate {label} {value!r}: already used by {owner}")


def _duplicates_within(kind: str, key: str, field: str, values: list[str], label: str) -> Iterator[Finding]:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            yield Finding(kind, key, (field, i), f"duplicate {label} {value!r}")
        seen.add(value)


def _parent_cycles(departments: tuple[model.Department, ...]) -> Iterator[Finding]:
    parent = {d.code: d.parent for d in departments}
    reported: set[str] = set()
    for start in parent:
        path: list[str] = []
        node: str | None = start
        while node is not None and node in parent and node not in path:
            path.append(node)
            node = parent[node]
        if node is not None and node in path and node != start and node not in reported:
            continue
        if node == start and len(path) > 1 and start not in reported:
            reported.update(path)
            yield Finding("department", start, ("parent",), "departments form a cycle: " + " → ".join([*path, start]))
