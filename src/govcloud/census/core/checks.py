"""Rules that span records: references, uniqueness, sharing rules, codes, dates, addresses. Pure.

Each rule yields :class:`Finding` objects that name a record (its kind, its code and which occurrence of
that code) and a field path inside it; the file loader turns them into ``file:line: field: message`` using
the place it read each record from. Rules never stop at the first problem: every finding is reported.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
import itertools
import re
from collections import Counter
from collections.abc import Container, Iterable, Iterator
from typing import Any, TypeVar

from govcloud.census.core import codes
from govcloud.core import model

_RESOURCE_CODE = re.compile(model.RESOURCE_CODE_PATTERN)

RESERVED_PORTS = (model.SHARE_PORT, model.RESTRICTED_PORT)
_NEVER_CLASSIFIED = frozenset({model.CarryingNetwork.EXTRANET, model.CarryingNetwork.INTERNET})
"""Networks a classified system may never be on: physical isolation from the extranet and the Internet."""
ISOLATION_WHY = "the 电子政务内网 is physically isolated from the 电子政务外网"

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
    private_networks: tuple[model.PrivateNetwork, ...] = ()


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
        check_intranet,
        check_isolation,
        check_private_networks,
        check_workloads,
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


def _zone_departments(zones: Iterable[model.Zone], departments: Container[str], *, where: str) -> Iterator[Finding]:
    """One network's zone and department rules: each 专用网络区 names a known department, one per department.

    No other zone names a department. ``where`` names the network in the one-per-department message.
    """
    seen: Counter[str] = Counter()
    for zone in zones:
        if zone.kind is model.ZoneKind.DEDICATED:
            if zone.department is None:
                yield Finding("zone", zone.code, ("department",), "a 专用网络区 must name its department")
            elif zone.department not in departments:
                yield Finding("zone", zone.code, ("department",), f"unknown department {zone.department!r}")
            else:
                seen[zone.department] += 1
                if seen[zone.department] > 1:
                    yield Finding(
                        "zone",
                        zone.code,
                        ("department",),
                        f"department {zone.department} already has a 专用网络区{where}; one per department",
                    )
        elif zone.department is not None:
            yield Finding(
                "zone", zone.code, ("department",), f"only a 专用网络区 belongs to a department, not a {zone.kind}"
            )


def check_zones(parts: InventoryParts, *, today: dt.date) -> Iterator[Finding]:
    del today
    yield from _zone_departments(parts.network.zones, _known_departments(parts), where="")
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
    intranet_codes = {z.code for z in parts.network.intranet.zones} if parts.network.intranet is not None else set()
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
                if s.cloud.zone not in intranet_codes:  # an intranet zone is reported by check_isolation
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
        if s.classified and s.carrying_network in _NEVER_CLASSIFIED:
            yield Finding(
                "system",
                key,
                ("carrying_network",),
                f"a classified (涉密) system runs on the 电子政务内网 (or, until its network stage, its 业务专网), "
                f"never on the {s.carrying_network}",
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
    intranet = parts.network.intranet
    zones = {z.code: z for z in (*parts.network.zones, *(intranet.zones if intranet is not None else ()))}
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
            # a host with addresses on both networks is also reported by check_isolation, naming both zones
            yield Finding("host", host.name, ("addresses",), "only a zone_router may have addresses in several zones")


def check_intranet(parts: InventoryParts, *, today: dt.date) -> Iterator[Finding]:
    """The intranet's own zones: one 公用网络区, one 专用网络区 per department, no 互联网接入区, codes unique."""
    del today
    intranet = parts.network.intranet
    classified = [s for s in parts.systems if s.classified]
    if intranet is None:
        for s in classified:
            yield Finding(
                "system",
                s.code,
                ("classified",),
                f"classified (涉密) system {s.code} needs the 电子政务内网, but network.yaml declares no intranet",
            )
        return
    departments = _known_departments(parts)
    extranet_codes = {z.code for z in parts.network.zones}
    yield from _duplicates("zone", "code", (z.code for z in intranet.zones))
    for zone in intranet.zones:
        if zone.code in extranet_codes:
            yield Finding(
                "zone",
                zone.code,
                ("code",),
                f"intranet zone {zone.code} has the code of an extranet zone: zone codes are unique across networks",
                occurrence=1,
            )
        if zone.kind is model.ZoneKind.INTERNET_ACCESS:
            yield Finding(
                "zone",
                zone.code,
                ("kind",),
                "the 电子政务内网 is physically isolated from the Internet: it has no 互联网接入区",
            )
    yield from _zone_departments(
        [z for z in intranet.zones if z.kind is not model.ZoneKind.INTERNET_ACCESS],
        departments,
        where=" on the intranet",
    )
    public = sum(1 for z in intranet.zones if z.kind is model.ZoneKind.PUBLIC)
    if public != 1:
        yield Finding(
            "network", "network", ("intranet", "zones"), f"the intranet needs exactly one 公用网络区, found {public}"
        )
    ranged = sorted(
        ((net, z.code, i) for z in intranet.zones for i, net in enumerate(z.ranges)),
        key=lambda item: (int(item[0].network_address), -item[0].prefixlen),
    )
    for (net_a, code_a, _), (net_b, code_b, index_b) in itertools.pairwise(ranged):
        if net_a.overlaps(net_b):
            yield Finding("zone", code_b, ("ranges", index_b), f"{net_b} overlaps {net_a} of zone {code_a}")
    for s in classified:
        if s.intranet_zone is not None:
            continue  # checked with the placement in check_isolation
        if not any(z.department == s.department for z in intranet.zones):
            yield Finding(
                "system",
                s.code,
                ("classified",),
                f"classified (涉密) system {s.code}: department {s.department} has no 专用网络区 on the 电子政务内网 "
                "(declare it under intranet.zones in network.yaml, or set intranet_zone)",
            )


def check_isolation(parts: InventoryParts, *, today: dt.date) -> Iterator[Finding]:
    """Physical isolation: nothing spans the intranet and the extranet, and every finding names both sides."""
    del today
    intranet = parts.network.intranet
    extranet_zones = {z.code: z for z in parts.network.zones}
    intranet_zones = {z.code: z for z in intranet.zones} if intranet is not None else {}
    network_of: dict[str, model.GovNetwork] = dict.fromkeys(extranet_zones, model.GovNetwork.EXTRANET)
    network_of.update(dict.fromkeys(intranet_zones, model.GovNetwork.INTRANET))

    # Address plans: no intranet range (zones, management) shares an address with an extranet range.
    outside: list[tuple[Any, str, str, tuple[str | int, ...], str]] = []
    inside: list[tuple[Any, str, str, tuple[str | int, ...], str]] = []
    for zone in parts.network.zones:
        for i, net in enumerate(zone.ranges):
            outside.append((net, "zone", zone.code, ("ranges", i), f"extranet zone {zone.code}"))
    if parts.network.management is not None:
        for i, net in enumerate(parts.network.management.ranges):
            outside.append((net, "network", "network", ("management", "ranges", i), "the extranet's management"))
    if intranet is not None:
        for zone in intranet.zones:
            for i, net in enumerate(zone.ranges):
                inside.append((net, "zone", zone.code, ("ranges", i), f"intranet zone {zone.code}"))
        if intranet.management is not None:
            for i, net in enumerate(intranet.management.ranges):
                inside.append(
                    (net, "network", "network", ("intranet", "management", "ranges", i), "the intranet's management")
                )
    for (net_in, kind, key, field, label_in), (net_out, _, _, _, label_out) in _overlapping(
        [(item[0], item) for item in inside], [(item[0], item) for item in outside]
    ):
        yield Finding(
            kind,
            key,
            field,
            f"{net_in} of {label_in} overlaps {net_out} of {label_out}: {ISOLATION_WHY} and shares no address",
        )

    systems = {s.code: s for s in parts.systems}

    def side(system: model.System) -> str:
        return "电子政务内网" if system.classified else "电子政务外网"

    for s in parts.systems:
        # Declared calls: a classified system calls only classified systems, and is called only by them.
        for i, dep in enumerate(s.depends_on):
            target = systems.get(dep)
            if target is None or target.classified == s.classified:
                continue
            yield Finding(
                "system",
                s.code,
                ("depends_on", i),
                f"{'classified ' if s.classified else ''}system {s.code} ({side(s)}) calls "
                f"{'classified ' if target.classified else ''}system {target.code} ({side(target)}): {ISOLATION_WHY}, "
                "no call crosses",
            )
        if s.classified:
            for i, consumed in enumerate(s.consumes):
                yield Finding(
                    "system",
                    s.code,
                    ("consumes", i),
                    f"classified system {s.code} (电子政务内网) consumes catalogue entry {consumed} through the "
                    f"extranet's exchange: {ISOLATION_WHY}",
                )
        # Placements: the cloud is on the extranet; intranet_zone only for classified systems, on the intranet.
        if s.cloud is not None and s.cloud.zone in intranet_zones:
            yield Finding(
                "system",
                s.code,
                ("cloud", "zone"),
                f"system {s.code} is placed on the shared cloud in {s.cloud.zone}, a zone of the 电子政务内网: "
                "the shared cloud is on the 电子政务外网",
            )
        if s.intranet_zone is not None:
            if not s.classified:
                yield Finding(
                    "system",
                    s.code,
                    ("intranet_zone",),
                    f"system {s.code} is not classified (涉密): only classified systems move onto the 电子政务内网",
                )
            elif s.intranet_zone in extranet_zones:
                yield Finding(
                    "system",
                    s.code,
                    ("intranet_zone",),
                    f"classified system {s.code} names {s.intranet_zone}, a zone of the 电子政务外网: {ISOLATION_WHY}",
                )
            elif s.intranet_zone not in intranet_zones:
                yield Finding("system", s.code, ("intranet_zone",), f"unknown intranet zone {s.intranet_zone!r}")
            else:
                zone = intranet_zones[s.intranet_zone]
                if zone.kind is model.ZoneKind.DEDICATED and zone.department != s.department:
                    yield Finding(
                        "system",
                        s.code,
                        ("intranet_zone",),
                        f"zone {zone.code} is department {zone.department}'s intranet 专用网络区, not {s.department}'s",
                    )

    # Hosts and routers: on one network only; they run only the systems of their network.
    for host in parts.hosts:
        places = [("zone", host.zone), *((f"addresses.{i}", a.zone) for i, a in enumerate(host.addresses))]
        by_network: dict[model.GovNetwork, str] = {}
        for _, zone_code in places:
            network = network_of.get(zone_code)
            if network is not None:
                by_network.setdefault(network, zone_code)
        if len(by_network) > 1:
            ext, intra = by_network[model.GovNetwork.EXTRANET], by_network[model.GovNetwork.INTRANET]
            home = network_of.get(host.zone)
            crossing = [i for i, a in enumerate(host.addresses) if network_of.get(a.zone) not in (None, home)]
            where: tuple[str | int, ...] = ("addresses", crossing[0], "zone") if crossing else ("zone",)
            yield Finding(
                "host",
                host.name,
                where,
                f"{host.role.value} {host.name} spans the intranet and the extranet: it is in intranet zone {intra} "
                f"and extranet zone {ext}; {ISOLATION_WHY} (one device per network, no shared interface)",
            )
            continue
        network = next(iter(by_network), None)
        if network is None:
            continue
        for i, code in enumerate(host.systems):
            system = systems.get(code)
            if system is None:
                continue
            if system.classified and network is model.GovNetwork.EXTRANET:
                yield Finding(
                    "host",
                    host.name,
                    ("systems", i),
                    f"classified system {code} runs on {host.name}, a host of the 电子政务外网: {ISOLATION_WHY}",
                )
            elif not system.classified and network is model.GovNetwork.INTRANET:
                yield Finding(
                    "host",
                    host.name,
                    ("systems", i),
                    f"system {code} (not classified, 电子政务外网) runs on {host.name}, a host of the 电子政务内网: "
                    f"{ISOLATION_WHY}",
                )
    # Platform services are the extranet's: none sits in an intranet zone.
    for attr in ("exchange", "gateway", "ingress"):
        service: model.PlatformService = getattr(parts.network.platform, attr)
        if service.zone in intranet_zones:
            yield Finding(
                "network",
                "network",
                ("platform", attr, "zone"),
                f"the {attr} of the 电子政务外网 sits in {service.zone}, a zone of the 电子政务内网: {ISOLATION_WHY}",
            )


def check_private_networks(parts: InventoryParts, *, today: dt.date) -> Iterator[Finding]:
    """业务专网: known department, codes unique, each listed system of that department, listed once."""
    del today
    intranet = parts.network.intranet
    zones = (*parts.network.zones, *(intranet.zones if intranet is not None else ()))
    ranged = [(net, (p.code, i, net)) for p in parts.private_networks for i, net in enumerate(p.ranges)]
    for (code, index, net), zone in _overlapping(ranged, [(r, z) for z in zones for r in z.ranges]):
        yield Finding(
            "private_network",
            code,
            ("ranges", index),
            f"{net} overlaps zone {zone.code}: a 业务专网 keeps its own addresses until it is retired",
        )
    departments = _known_departments(parts)
    systems = {s.code: s for s in parts.systems}
    known = _known_systems(parts)
    yield from _duplicates("private_network", "code", (p.code for p in parts.private_networks))
    listed: dict[str, str] = {}
    for private in parts.private_networks:
        key = private.code
        if private.department not in departments:
            yield Finding("private_network", key, ("department",), f"unknown department {private.department!r}")
        for i, code in enumerate(private.systems):
            system = systems.get(code)
            if system is None:
                if code not in known:
                    yield Finding("private_network", key, ("systems", i), f"unknown system {code!r}")
                continue
            if system.department != private.department:
                yield Finding(
                    "private_network",
                    key,
                    ("systems", i),
                    f"system {code} belongs to {system.department}, not to {private.department} (whose 业务专网 it is)",
                )
            if system.carrying_network is not model.CarryingNetwork.PRIVATE:
                yield Finding(
                    "private_network",
                    key,
                    ("systems", i),
                    f"system {code} is carried on the {system.carrying_network}, not on a 业务专网",
                )
            other = listed.setdefault(code, key)
            if other != key:
                yield Finding(
                    "private_network", key, ("systems", i), f"system {code} is already listed on 业务专网 {other}"
                )


# ---------------------------------------------------------------------------------------------------------

_L = TypeVar("_L")
_R = TypeVar("_R")


# --- workloads: configuration keys, secrets, database decisions ------------------------------------------

CONFIG_RESERVED_PREFIX = "GOVCLOUD_"
"""ConfigMap keys govcloud derives from the census (``cloud.config`` may not set them)."""


def check_workloads(parts: InventoryParts, *, today: dt.date) -> Iterator[Finding]:
    """A cloud-bound system's workload facts agree with its census.

    Every database the census lists has exactly one decision (moved or stays) and every decision names a
    listed database; a database that stays sits at an address inside a known extranet zone, off the cluster
    platform's own addresses; ``cloud.config`` keys do not take the ``GOVCLOUD_`` ones the census fills in;
    a Secret is named once. A placement's image is checked by the network stage's entry gate, not here, so
    a census can be loaded (and rehearsed) before the images are built.
    """
    zone_of = model.ZoneOfAddress(parts.network.zones)
    for s in parts.systems:
        cloud = s.cloud
        if cloud is None or s.classified:
            continue
        key = s.code
        listed = set(s.databases)
        decided: Counter[str] = Counter(d.name for d in cloud.databases)
        for name in s.databases:
            if decided[name] == 0:
                yield Finding(
                    "system",
                    key,
                    ("cloud", "databases"),
                    f"database {name!r} (in databases) has no decision: "
                    f"add {{name: {name}, decision: moved|stays, ...}}",
                )
        for i, database in enumerate(cloud.databases):
            where = ("cloud", "databases", i)
            if database.name not in listed:
                yield Finding(
                    "system", key, (*where, "name"), f"{database.name!r} is not in the system's databases list"
                )
            elif decided[database.name] > 1:
                yield Finding("system", key, (*where, "name"), f"database {database.name!r} has more than one decision")
            if database.address is not None and zone_of(database.address) is None:
                yield Finding(
                    "system",
                    key,
                    (*where, "address"),
                    f"{database.address} is in no known zone of the 电子政务外网 (network.yaml): the flow to it "
                    "could not be opened",
                )
        for name in sorted(cloud.config):
            if name.startswith(CONFIG_RESERVED_PREFIX):
                yield Finding(
                    "system",
                    key,
                    ("cloud", "config", name),
                    f"keys starting with {CONFIG_RESERVED_PREFIX} are filled in from the census",
                )
        seen: set[str] = set()
        for i, secret in enumerate(cloud.secrets):
            if secret in seen:
                yield Finding("system", key, ("cloud", "secrets", i), f"duplicate Secret {secret!r}")
            seen.add(secret)


def _overlapping(
    left: Iterable[tuple[ipaddress.IPv4Network, _L]], right: Iterable[tuple[ipaddress.IPv4Network, _R]]
) -> Iterator[tuple[_L, _R]]:
    """Every (left, right) pair whose networks share an address, by one sweep over the sorted ranges.

    A province has thousands of ranges on each side: comparing every pair would cost seconds on every load.
    """
    events: list[tuple[int, int, int, Any]] = [
        (int(net.network_address), int(net.broadcast_address), 0, item) for net, item in left
    ]
    events += [(int(net.network_address), int(net.broadcast_address), 1, item) for net, item in right]
    events.sort(key=lambda e: (e[0], -e[1], e[2]))
    active: tuple[list[tuple[int, Any]], list[tuple[int, Any]]] = ([], [])
    for start, end, side, item in events:
        for open_ in active:
            open_[:] = [a for a in open_ if a[0] >= start]
        for _, other in active[1 - side]:
            yield (item, other) if side == 0 else (other, item)
        active[side].append((end, item))


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
    elif not _cites_sharing_ban_basis(sharing.legal_basis or ""):
        yield Finding(
            "catalogue",
            e.code,
            ("sharing", "legal_basis"),
            "不予共享 must cite a 法律 (《…法》), 行政法规 (《…条例》) or 国务院决定 (政务数据共享条例 Art. 14), "
            f"got {sharing.legal_basis!r}",
        )


_SHARING_BAN_BASIS = re.compile(r"《[^》]*(法|条例)》|国务院[^，。；]*决定")
"""Art. 14 of the 政务数据共享条例: only a law, an administrative regulation or a State Council decision may
forbid sharing; a basis is accepted when it cites one by title (《…法》, 《…条例》) or names a 国务院 decision."""


def _cites_sharing_ban_basis(basis: str) -> bool:
    return _SHARING_BAN_BASIS.search(basis) is not None


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
