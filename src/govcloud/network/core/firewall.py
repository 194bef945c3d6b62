"""The zone routers' firewalls, rendered from the flow matrix. Pure: no I/O.

The flow matrix (:mod:`govcloud.network.core.flows`) says who may reach whom; this module says where those
endpoints are on the wire and how one zone router enforces it with nftables:

* **address resolution**: a system is the addresses of the hosts that run it (``Host.systems``), or its
  zone's ranges when no host declares it (the zone the flow matrix locates it in: its planned cloud zone
  once its plan has reached a stage, its department's zone before); a platform service is its address; a
  zone, and the hosts of a zone (what management reaches), are its ranges; the management network is its
  ranges; the Internet is every IPv4 address outside the extranet (all zone ranges and the management
  ranges).
* **per router**: a router keeps the flows whose source or destination lies in a zone it terminates.
* **grouping**: flows with the same endpoints, protocol and reason become one rule with a port set;
  rules that differ only by their sources (or destinations) share one named set, so the ruleset stays
  small (the baseline "every department reaches the exchange" is one rule, not one per department).
* **management kept apart**: management flows live in their own chain, checked first; after it, the
  management ports are dropped for everyone else, so a business flow can never open them (such flows are
  reported in ``refused`` and not rendered).
* **stages**: every flow a stage opens belongs to exactly one system (the system that declares the call,
  else the system it reaches) and is rendered in that system's own chain, in its own file, so opening one
  system's network stage adds one file and changes nothing else.

* **two networks**: a router is on the 电子政务外网 or on the 电子政务内网 (its zones say which; the census
  check refuses one on both). It renders only flows with both ends on its own network, takes its
  management network from that network, and reports any other flow in ``refused``: physical isolation holds
  in the ruleset even if a bad matrix reached it.

Everything is sorted, so the rendered files are byte-stable and a second run changes nothing.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from govcloud.core import model
from govcloud.network.core.flows import (
    INTRANET_MANAGEMENT,
    Endpoint,
    EndpointKind,
    Flow,
    FlowMatrix,
    Location,
    staying_database,
)
from govcloud.planning.core.stages import Progress, ProgressMap, Stage

TABLE = "govcloud"
"""The nftables table (family ``inet``) every govcloud rule lives in."""
EXTRANET_SET = "extranet"
"""Set of every extranet address (zones and management); the Internet is what is not in it."""
MANAGEMENT_SET = "management"
COMMENT_MAX_BYTES = 127
"""nftables refuses comments of 128 bytes and more."""

_IDENT_RE = re.compile(r"[^a-z0-9]+")


# ---------------------------------------------------------------------------------------------------------
# Address resolution


@dataclasses.dataclass(frozen=True)
class AddressSet:
    """The addresses an endpoint stands for: ``networks``, or (``outside``) every address not in them."""

    networks: tuple[ipaddress.IPv4Network, ...]
    outside: bool = False

    def contains(self, address: ipaddress.IPv4Address | str) -> bool:
        ip = ipaddress.IPv4Address(address)
        inside = any(ip in net for net in self.networks)
        return not inside if self.outside else inside

    @property
    def elements(self) -> tuple[str, ...]:
        """Set elements for nftables: plain addresses for /32, CIDR otherwise."""
        return tuple(str(n.network_address) if n.prefixlen == 32 else str(n) for n in self.networks)

    @property
    def empty(self) -> bool:
        return not self.networks and not self.outside


def collapse(networks: Iterable[ipaddress.IPv4Network]) -> tuple[ipaddress.IPv4Network, ...]:
    """Merge overlapping and adjacent networks; sorted."""
    return tuple(sorted(ipaddress.collapse_addresses(networks)))


class Resolver:
    """Where each endpoint of the flow matrix is on the wire (addresses, zones) for one inventory.

    ``locations`` (a flow matrix's) say which zone a system sits in at its progress: its planned cloud zone
    only once it has moved. Without them a system with a cloud placement is taken to sit there already.
    """

    def __init__(self, inventory: model.Inventory, *, locations: Mapping[Endpoint, Location] | None = None) -> None:
        self.inventory = inventory
        self.locations = locations
        hosts_of_system: dict[str, list[ipaddress.IPv4Network]] = {}
        zones_of_system: dict[str, set[str]] = {}
        for host in inventory.hosts:
            for code in host.systems:
                for address in host.addresses:
                    hosts_of_system.setdefault(code, []).append(ipaddress.IPv4Network(address.address.ip))
                    zones_of_system.setdefault(code, set()).add(address.zone)
        self._system_hosts = {code: collapse(nets) for code, nets in hosts_of_system.items()}
        self._system_zones = {code: frozenset(zones) for code, zones in zones_of_system.items()}
        management = inventory.network.management
        self.management = collapse(management.ranges) if management is not None else ()
        self.extranet = collapse([*(n for z in inventory.network.zones for n in z.ranges), *self.management])
        intranet = inventory.network.intranet
        self.intranet_management = (
            collapse(intranet.management.ranges) if intranet is not None and intranet.management is not None else ()
        )
        self.intranet = collapse([*(n for z in inventory.intranet_zones for n in z.ranges), *self.intranet_management])
        """Every intranet address (zones and its management): physically apart from :attr:`extranet`."""

    @functools.cached_property
    def named_groups(self) -> dict[frozenset[Endpoint], str]:
        """Zone groups that get a readable set name; built once (every system chain's registry reads it).

        One router serves one network, so both networks' groups carry the same names.
        """
        groups: dict[frozenset[Endpoint], str] = {}
        for zones in (self.inventory.network.zones, self.inventory.intranet_zones):
            if not zones:
                continue
            groups[frozenset(Endpoint(EndpointKind.ZONE, z.code) for z in zones)] = "all_zones"
            groups[frozenset(Endpoint(EndpointKind.HOSTS, z.code) for z in zones)] = "all_zones"
            dedicated = frozenset(
                Endpoint(EndpointKind.ZONE, z.code) for z in zones if z.kind is model.ZoneKind.DEDICATED
            )
            if dedicated:
                groups[dedicated] = "dedicated_zones"
        return groups

    def management_of(self, network: model.GovNetwork | None) -> tuple[ipaddress.IPv4Network, ...]:
        """The management ranges of ``network`` (the extranet's when unknown)."""
        return self.intranet_management if network is model.GovNetwork.INTRANET else self.management

    def addresses(self, endpoint: Endpoint) -> AddressSet:
        """The addresses ``endpoint`` stands for (empty when it is unknown)."""
        kind = endpoint.kind
        if kind is EndpointKind.SYSTEM:
            hosts = self._system_hosts.get(endpoint.name)
            if hosts:
                return AddressSet(hosts)
            zone = self._zone_of_system(endpoint.name)
            return AddressSet(collapse(zone.ranges) if zone is not None else ())
        if kind is EndpointKind.PLATFORM:
            service = self._platform(endpoint.name)
            return AddressSet((ipaddress.IPv4Network(service.address),) if service is not None else ())
        if kind in (EndpointKind.ZONE, EndpointKind.HOSTS):
            # On the wire a zone's hosts are the zone's ranges: the router cannot tell a host from a service.
            zone = self.inventory.any_zone(endpoint.name)
            return AddressSet(collapse(zone.ranges) if zone is not None else ())
        if kind is EndpointKind.MANAGEMENT:
            return AddressSet(self.intranet_management if endpoint == INTRANET_MANAGEMENT else self.management)
        if kind is EndpointKind.DATABASE:
            database = staying_database(endpoint, self.inventory)
            address = database.address if database is not None else None
            return AddressSet((ipaddress.IPv4Network(address),) if address is not None else ())
        return AddressSet(self.extranet, outside=True)

    def zones(self, endpoint: Endpoint) -> frozenset[str]:
        """Zones the endpoint sits in; empty for the Internet and the management network (not zones)."""
        kind = endpoint.kind
        if kind is EndpointKind.SYSTEM:
            declared = self._system_zones.get(endpoint.name)
            if declared:
                return declared
            zone = self._zone_of_system(endpoint.name)
            return frozenset({zone.code}) if zone is not None else frozenset()
        if kind is EndpointKind.PLATFORM:
            service = self._platform(endpoint.name)
            return frozenset({service.zone}) if service is not None else frozenset()
        if kind in (EndpointKind.ZONE, EndpointKind.HOSTS):
            return frozenset({endpoint.name})
        if kind is EndpointKind.DATABASE and self.locations is not None:
            location = self.locations.get(endpoint)
            return frozenset({location.zone}) if location is not None else frozenset()
        return frozenset()

    def _zone_of_system(self, code: str) -> model.Zone | None:
        if self.locations is not None:
            location = self.locations.get(Endpoint(EndpointKind.SYSTEM, code))
            if location is not None:
                # either network's zone: a classified system's location is its intranet zone
                return self.inventory.any_zone(location.zone)
        system = self.inventory.system_by_code.get(code)
        if system is None:
            return None
        if system.classified:
            return self.inventory.intranet_zone_of_system(system)
        if system.cloud is not None:
            return self.inventory.zone_by_code.get(system.cloud.zone)
        return self.inventory.zone_of_department.get(system.department)

    def _platform(self, name: str) -> model.PlatformService | None:
        service = getattr(self.inventory.network.platform, name, None)
        return service if isinstance(service, model.PlatformService) else None


def management_ports(
    inventory: model.Inventory, network: model.GovNetwork | None = None
) -> frozenset[tuple[model.Protocol, int]]:
    """The management ports of ``network`` (default: the extranet's)."""
    management = inventory.network.management
    if network is model.GovNetwork.INTRANET:
        intranet = inventory.network.intranet
        management = intranet.management if intranet is not None else None
    if management is None:
        return frozenset()
    return frozenset((p.protocol, p.port) for p in management.ports)


def flow_reaches(
    matrix: FlowMatrix,
    resolver: Resolver,
    *,
    source: ipaddress.IPv4Address | str,
    destination: ipaddress.IPv4Address | str,
    port: int,
    protocol: model.Protocol = model.Protocol.TCP,
) -> bool:
    """Whether the firewall lets ``source`` open a connection to ``destination:port`` (addresses, not endpoints).

    The reference the rendered rulesets are tested against: some flow of the matrix covers both addresses
    on that port, and a management port is opened only by a management flow.
    """
    inventory = resolver.inventory
    reserved = (protocol, port) in management_ports(inventory) | management_ports(inventory, model.GovNetwork.INTRANET)
    for flow in matrix.flows:
        if flow.port != port or flow.protocol is not protocol:
            continue
        if reserved and flow.source.kind is not EndpointKind.MANAGEMENT:
            continue
        if resolver.addresses(flow.source).contains(source) and resolver.addresses(flow.destination).contains(
            destination
        ):
            return True
    return False


# ---------------------------------------------------------------------------------------------------------
# The firewall model


@dataclasses.dataclass(frozen=True)
class NamedSet:
    """An nftables named set of IPv4 addresses (``flags interval``)."""

    name: str
    elements: tuple[str, ...]
    comment: str


@dataclasses.dataclass(frozen=True)
class Rule:
    """One accept rule: sources to destinations on a protocol's ports, commented with the flow's reason."""

    sources: tuple[str, ...]
    """Endpoint ids (``zone:DZ-MZJ``, ``system:MZJ-001``, ...)."""
    destinations: tuple[str, ...]
    protocol: str
    """``tcp`` or ``udp``."""
    ports: tuple[int, ...]
    comment: str
    stage: str | None
    statement: str
    """The rendered nftables rule."""

    def to_vars(self) -> dict[str, Any]:
        return {
            "sources": list(self.sources),
            "destinations": list(self.destinations),
            "protocol": self.protocol,
            "ports": list(self.ports),
            "comment": self.comment,
            "stage": self.stage,
            "statement": self.statement,
        }


@dataclasses.dataclass(frozen=True)
class RouterInterface:
    """A zone the router terminates: its interface (if named), its address there, the zone's set."""

    zone: str
    kind: str
    interface: str | None
    address: str
    set_name: str


@dataclasses.dataclass(frozen=True)
class SystemChain:
    """The flows one system's stages opened, on one router: its own sets, chain and file."""

    system: str
    chain: str
    file: str
    sets: tuple[NamedSet, ...]
    rules: tuple[Rule, ...]

    def to_vars(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "table": TABLE,
            "chain": self.chain,
            "file": self.file,
            "sets": [_set_vars(s) for s in self.sets],
            "rules": [r.to_vars() for r in self.rules],
        }


@dataclasses.dataclass(frozen=True)
class RouterFirewall:
    """Everything one zone router's nftables files hold (see the ``zone_router`` role's templates)."""

    router: str
    table: str
    interfaces: tuple[RouterInterface, ...]
    sets: tuple[NamedSet, ...]
    antispoof: tuple[str, ...]
    """Statements dropping packets whose source is not in the zone of the interface they came in on."""
    management: tuple[str, ...]
    """Statements of the management chain: management flows, then the drop of management ports."""
    input: tuple[str, ...]
    """Statements of the router's own input chain (policy drop) when a management network exists."""
    baseline: tuple[Rule, ...]
    systems: tuple[SystemChain, ...]
    refused: tuple[str, ...]
    """Flows the matrix holds but the firewall does not render, and why."""

    def to_vars(self) -> dict[str, Any]:
        """Plain data for Ansible host variables (JSON-serialisable)."""
        return {
            "router": self.router,
            "table": self.table,
            "interfaces": [dataclasses.asdict(i) for i in self.interfaces],
            "sets": [_set_vars(s) for s in self.sets],
            "antispoof": list(self.antispoof),
            "management": list(self.management),
            "input": list(self.input),
            "baseline": [r.to_vars() for r in self.baseline],
            "systems": [c.to_vars() for c in self.systems],
            "refused": list(self.refused),
        }


def _set_vars(named: NamedSet) -> dict[str, Any]:
    return {"name": named.name, "elements": list(named.elements), "comment": named.comment}


# ---------------------------------------------------------------------------------------------------------
# Building


def identifier(text: str) -> str:
    """An nftables identifier from a code: lower case, runs of other characters become ``_``."""
    return _IDENT_RE.sub("_", text.lower()).strip("_")


def endpoint_set_name(endpoint: Endpoint) -> str:
    if endpoint.kind is EndpointKind.MANAGEMENT:
        return MANAGEMENT_SET
    if endpoint.kind is EndpointKind.HOSTS:
        # the same addresses as the zone, so the same set
        return f"{EndpointKind.ZONE.value}_{identifier(endpoint.name)}"
    return f"{endpoint.kind.value}_{identifier(endpoint.name)}"


def system_chain_name(code: str) -> str:
    return f"system_{identifier(code)}"


def system_file_name(code: str) -> str:
    return f"{code.lower()}.nft"


def comment_text(text: str) -> str:
    """A string nftables accepts as a comment: no quotes or backslashes, one line, under 128 bytes."""
    cleaned = " ".join(text.replace('"', "'").replace("\\", "/").split())
    data = cleaned.encode("utf-8")
    if len(data) <= COMMENT_MAX_BYTES:
        return cleaned
    cut = data[: COMMENT_MAX_BYTES - 3].decode("utf-8", errors="ignore")
    return cut + "..."


def owner_of(flow: Flow) -> str | None:
    """The system whose stage opened ``flow``: the caller if a system calls, else the system called."""
    if flow.stage is None:
        return None
    if flow.source.kind is EndpointKind.SYSTEM:
        return flow.source.name
    if flow.destination.kind is EndpointKind.SYSTEM:
        return flow.destination.name
    return None


def with_network_stage(progress: ProgressMap, code: str) -> dict[str, Progress]:
    """``progress`` with system ``code`` at least at the network stage (what its network stage opens)."""
    updated = dict(progress)
    current = updated.get(code)
    if current is None or current.reached is None:
        updated[code] = Progress.at(Stage.NETWORK, business_callers=current.business_callers if current else ())
    return updated


class _SetRegistry:
    """Named sets of one nftables file; an endpoint group gets one set however many rules use it."""

    def __init__(self, resolver: Resolver, prefix: str) -> None:
        self.resolver = resolver
        self.prefix = prefix
        self.named_groups = resolver.named_groups
        self.sets: dict[str, NamedSet] = {}

    def declare(self, name: str, elements: tuple[str, ...], comment: str) -> str:
        full = self.prefix + name
        self.sets.setdefault(full, NamedSet(full, elements, comment_text(comment)))
        return full

    def match(self, group: tuple[Endpoint, ...], direction: str) -> str | None:
        """``ip saddr @set`` (``direction`` saddr/daddr) for a group of endpoints; None if it has no address."""
        if len(group) == 1 and group[0].kind is EndpointKind.INTERNET:
            name = self.declare(EXTRANET_SET, AddressSet(self.resolver.extranet).elements, "the extranet")
            return f"ip {direction} != @{name}"
        resolved = collapse(n for ep in group for n in self.resolver.addresses(ep).networks)
        if not resolved:
            return None
        elements = AddressSet(resolved).elements
        # a zone's hosts share the zone's set, so they describe it the same way (the ruleset stays byte-stable)
        ids = sorted(
            Endpoint(EndpointKind.ZONE, ep.name).id if ep.kind is EndpointKind.HOSTS else ep.id for ep in group
        )
        if len(group) == 1:
            name = endpoint_set_name(group[0])
        else:
            name = self.named_groups.get(frozenset(group)) or (
                "group_" + hashlib.sha256(" ".join(ids).encode()).hexdigest()[:10]
            )
        set_name = self.declare(name, elements, ", ".join(ids))
        return f"ip {direction} @{set_name}"

    def declarations(self) -> tuple[NamedSet, ...]:
        return tuple(self.sets[name] for name in sorted(self.sets))


_Key = tuple[tuple[Endpoint, ...], tuple[Endpoint, ...], model.Protocol, tuple[int, ...], str, str | None]


def _group(flows: Sequence[Flow]) -> list[_Key]:
    """Merge ports, then sources, then destinations of flows that share everything else."""
    by_pair: dict[tuple[Endpoint, Endpoint, model.Protocol, str, str | None], set[int]] = {}
    for f in flows:
        stage = f.stage.value if f.stage is not None else None
        by_pair.setdefault((f.source, f.destination, f.protocol, f.reason, stage), set()).add(f.port)
    by_destination: dict[tuple[Any, ...], set[Endpoint]] = {}
    for (src, dst, proto, reason, stage), ports in by_pair.items():
        alone = src if src.kind is EndpointKind.INTERNET else None
        by_destination.setdefault((dst, proto, tuple(sorted(ports)), reason, stage, alone), set()).add(src)
    by_sources: dict[tuple[Any, ...], set[Endpoint]] = {}
    for (dst, proto, ports, reason, stage, _alone), sources in by_destination.items():
        group = tuple(sorted(sources))
        alone = dst if dst.kind is EndpointKind.INTERNET else None
        by_sources.setdefault((group, proto, ports, reason, stage, alone), set()).add(dst)
    keys: list[_Key] = [
        (group, tuple(sorted(dsts)), proto, ports, reason, stage)
        for (group, proto, ports, reason, stage, _alone), dsts in by_sources.items()
    ]
    return sorted(keys, key=lambda k: (k[4], k[5] or "", [e.id for e in k[0]], [e.id for e in k[1]], k[2].value, k[3]))


def _rules(flows: Sequence[Flow], registry: _SetRegistry, refused: list[str]) -> tuple[Rule, ...]:
    rules: list[Rule] = []
    for sources, destinations, protocol, ports, reason, stage in _group(flows):
        src = registry.match(sources, "saddr")
        dst = registry.match(destinations, "daddr")
        if src is None or dst is None:
            empty = ", ".join(e.id for e in (sources if src is None else destinations))
            refused.append(f"{reason}: {empty} has no address")
            continue
        proto = protocol.value.lower()
        port_text = str(ports[0]) if len(ports) == 1 else "{ " + ", ".join(map(str, ports)) + " }"
        comment = comment_text(reason)
        statement = f'{src} {dst} {proto} dport {port_text} accept comment "{comment}"'
        rules.append(
            Rule(
                sources=tuple(e.id for e in sources),
                destinations=tuple(e.id for e in destinations),
                protocol=proto,
                ports=ports,
                comment=comment,
                stage=stage,
                statement=statement,
            )
        )
    return tuple(rules)


def build_firewalls(
    inventory: model.Inventory,
    matrix: FlowMatrix,
    *,
    antispoof: bool = True,
    management_ping: bool = True,
) -> dict[str, RouterFirewall]:
    """The firewall of every zone router of the inventory, by router name."""
    resolver = Resolver(inventory, locations=matrix.locations)
    return {
        host.name: build_firewall(
            inventory, matrix, host, resolver=resolver, antispoof=antispoof, management_ping=management_ping
        )
        for host in sorted(inventory.hosts, key=lambda h: h.name)
        if host.role is model.HostRole.ZONE_ROUTER
    }


def build_firewall(
    inventory: model.Inventory,
    matrix: FlowMatrix,
    router: model.Host,
    *,
    resolver: Resolver | None = None,
    antispoof: bool = True,
    management_ping: bool = True,
    systems: Iterable[str] | None = None,
) -> RouterFirewall:
    """One router's firewall. ``systems`` limits the system chains built (default: every system with flows)."""
    resolver = resolver or Resolver(inventory, locations=matrix.locations)
    served = frozenset(a.zone for a in router.addresses)
    network = inventory.network_of_host(router)
    reserved = management_ports(inventory, network)
    refused: list[str] = []

    relevant: list[Flow] = []
    for flow in matrix.flows:
        zones = resolver.zones(flow.source) | resolver.zones(flow.destination)
        if zones and not (zones & served):
            continue
        ends = {matrix.network_of(flow.source), matrix.network_of(flow.destination)} - {None}
        if network is not None and ends - {network}:
            # Defence in depth: the census check refuses what would make such a flow; never render one.
            refused.append(
                f"{flow.reason}: {flow.source} to {flow.destination} crosses between the 电子政务内网 and the "
                f"电子政务外网; router {router.name} is on the {network.value} only"
            )
            continue
        if (flow.protocol, flow.port) in reserved and flow.source.kind is not EndpointKind.MANAGEMENT:
            refused.append(
                f"{flow.reason}: {flow.source} to {flow.destination} on {flow.protocol.value.lower()}/{flow.port} "
                "uses a management port; only the management network may"
            )
            continue
        relevant.append(flow)

    main = _SetRegistry(resolver, "")
    interfaces: list[RouterInterface] = []
    for address in sorted(router.addresses, key=lambda a: (a.zone, str(a.address))):
        zone = inventory.any_zone(address.zone)  # an intranet router terminates intranet zones
        if zone is None:
            continue
        endpoint = Endpoint(EndpointKind.ZONE, zone.code)
        match = main.match((endpoint,), "saddr")
        assert match is not None  # a zone has at least one range
        interfaces.append(
            RouterInterface(
                zone=zone.code,
                kind=zone.kind.value,
                interface=address.interface,
                address=str(address.address),
                set_name=endpoint_set_name(endpoint),
            )
        )
    spoof = tuple(
        f'iifname "{i.interface}" ip saddr != @{i.set_name} drop comment '
        f'"{comment_text(f"only {i.zone} addresses come in on {i.interface}")}"'
        for i in interfaces
        if antispoof and i.interface
    )

    management_flows = [f for f in relevant if f.stage is None and f.source.kind is EndpointKind.MANAGEMENT]
    baseline_flows = [f for f in relevant if f.stage is None and f.source.kind is not EndpointKind.MANAGEMENT]
    management_rules = _rules(management_flows, main, refused)
    management: list[str] = [r.statement for r in management_rules]
    input_rules: list[str] = []
    own_management = resolver.management_of(network)
    if own_management:
        mgmt = main.declare(MANAGEMENT_SET, AddressSet(own_management).elements, "the management network")
        if management_ping:
            management.append(
                f'ip saddr @{mgmt} icmp type echo-request accept comment "the management network may ping hosts"'
            )
        input_rules.append('iif "lo" accept')
        for proto in (model.Protocol.TCP, model.Protocol.UDP):
            ports = sorted(port for p, port in reserved if p is proto)
            if not ports:
                continue
            text = str(ports[0]) if len(ports) == 1 else "{ " + ", ".join(map(str, ports)) + " }"
            name = proto.value.lower()
            management.append(f'{name} dport {text} drop comment "management ports: only from the management network"')
            input_rules.append(f'ip saddr @{mgmt} {name} dport {text} accept comment "management of the router itself"')
        if management_ping:
            input_rules.append(f'ip saddr @{mgmt} icmp type echo-request accept comment "the management network"')
    baseline = _rules(baseline_flows, main, refused)

    by_owner: dict[str, list[Flow]] = {}
    for flow in relevant:
        owner = owner_of(flow)
        if owner is not None:
            by_owner.setdefault(owner, []).append(flow)
    wanted = None if systems is None else set(systems)
    chains: list[SystemChain] = []
    for code in sorted(by_owner):
        if wanted is not None and code not in wanted:
            continue
        chain = system_chain_name(code)
        registry = _SetRegistry(resolver, chain + "__")
        rules = _rules(by_owner[code], registry, refused)
        if rules:
            chains.append(SystemChain(code, chain, system_file_name(code), registry.declarations(), rules))

    return RouterFirewall(
        router=router.name,
        table=TABLE,
        interfaces=tuple(interfaces),
        sets=main.declarations(),
        antispoof=spoof,
        management=tuple(management),
        input=tuple(input_rules),
        baseline=baseline,
        systems=tuple(chains),
        refused=tuple(sorted(set(refused))),
    )


def stage_chains(
    inventory: model.Inventory,
    matrix: FlowMatrix,
    code: str,
    *,
    resolver: Resolver | None = None,
) -> dict[str, SystemChain]:
    """Router name → the chain of system ``code`` on it (routers where it opens nothing are absent).

    ``matrix`` must be computed with the system at least at its network stage (:func:`with_network_stage`).
    """
    resolver = resolver or Resolver(inventory, locations=matrix.locations)
    chains: dict[str, SystemChain] = {}
    for host in sorted(inventory.hosts, key=lambda h: h.name):
        if host.role is not model.HostRole.ZONE_ROUTER:
            continue
        firewall = build_firewall(inventory, matrix, host, resolver=resolver, systems=(code,))
        for chain in firewall.systems:
            chains[host.name] = chain
    return chains


def routers_by_name(inventory: model.Inventory) -> Mapping[str, model.Host]:
    return {h.name: h for h in inventory.hosts if h.role is model.HostRole.ZONE_ROUTER}
