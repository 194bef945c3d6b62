"""The flow matrix: who may reach whom, on which port, opened by which stage, and why. Pure.

One computation, two renderings: the Ansible playbooks turn it into nftables rules on the zone routers and
the desired Kubernetes objects turn it into NetworkPolicies. Anything not in the matrix is denied.

Endpoints are concrete (a system, a platform service) or cover many (a department's dedicated zone, the
Internet, the management network). Rules, with the stage that opens them:

- baseline: every department zone reaches the data-sharing exchange and the collaboration gateway; the
  Internet reaches only the Internet access zone's ingress; the management network reaches the *hosts* of
  every zone (servers, routers, cluster nodes: :data:`EndpointKind.HOSTS`) on the management ports and
  nothing else. A host is never a system or a platform service: management reaches no pod and no service
  port, and the matrix says so (``allows(MANAGEMENT, system, 22)`` is false), so the NetworkPolicies render
  nothing for it and the firewall renders it as the zones' ranges.
- network stage of S: S reaches each system it declares in ``depends_on`` on that system's ports; its own
  department reaches it; the ingress reaches it when it publishes public hostnames.
- data stage of S: the exchange reaches S's ``share`` port when S holds a shareable catalogue entry;
  S's ``restricted`` port (不予共享 entries) is reachable from its own department only, never from the
  exchange or another department.
- business stage of S: the gateway reaches S's ports, and so do the departments its plan names as callers.

The 电子政务内网 (intranet) is a second, physically isolated network with its own flows, rendered by its own zone
routers (never as NetworkPolicies: nothing of it runs on the shared cloud):

- baseline: the intranet's management network reaches the hosts of its zones (:data:`EndpointKind.HOSTS`,
  as on the extranet: never a classified system's service) on the management ports.
- network stage of a classified system C (it moves from its 业务专网 onto its intranet zone): C reaches each
  classified system it declares in ``depends_on``; its department's intranet 专用网络区 reaches it. A
  classified system has no data or business stage (the exchange and the gateway are the extranet's).

No flow ever joins the two networks: :func:`crossing_flows` finds any, and the census check refuses the
declarations that would make one (a call between a classified and a non-classified system, a host on both).
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Iterator, Mapping

from govcloud.core import model
from govcloud.planning.core.stages import Progress, ProgressMap, Stage
from govcloud.sharing.core.grants import ExchangeGrant

SHARE_PORT = model.SHARE_PORT
"""Where a system serves its shareable catalogue entries to the exchange (data stage)."""
RESTRICTED_PORT = model.RESTRICTED_PORT
"""Where a system serves its 不予共享 entries, inside its own department only."""


class EndpointKind(enum.StrEnum):
    SYSTEM = "system"
    PLATFORM = "platform"
    ZONE = "zone"
    INTERNET = "internet"
    MANAGEMENT = "management"
    HOSTS = "hosts"
    """The machines of one zone (legacy servers, routers, cluster nodes), reached only by management."""
    DATABASE = "database"
    """A database that stays on its legacy host (``<system code>/<database name>``), at its census address."""


@dataclasses.dataclass(frozen=True, order=True)
class Endpoint:
    """One side of a flow.

    ``name`` is a system code, a platform service (exchange, gateway, ingress), a zone code (for a zone and
    for the hosts of a zone), or ``internet`` / ``management``.
    """

    kind: EndpointKind
    name: str

    @property
    def id(self) -> str:
        return f"{self.kind.value}:{self.name}"

    def __str__(self) -> str:
        return self.id


INTERNET = Endpoint(EndpointKind.INTERNET, "internet")
MANAGEMENT = Endpoint(EndpointKind.MANAGEMENT, "management")
INTRANET_MANAGEMENT = Endpoint(EndpointKind.MANAGEMENT, "intranet-management")
"""The intranet's own management network (it never shares one with the extranet)."""
PLATFORM_SERVICES = ("exchange", "gateway", "ingress")


def system_endpoint(code: str) -> Endpoint:
    return Endpoint(EndpointKind.SYSTEM, code)


def platform_endpoint(name: str) -> Endpoint:
    return Endpoint(EndpointKind.PLATFORM, name)


def zone_endpoint(code: str) -> Endpoint:
    return Endpoint(EndpointKind.ZONE, code)


def hosts_endpoint(code: str) -> Endpoint:
    """The hosts of zone ``code``: what management traffic reaches (never a system's service or a pod)."""
    return Endpoint(EndpointKind.HOSTS, code)


@dataclasses.dataclass(frozen=True, order=True)
class Flow:
    """One allowed flow: ``source`` may open connections to ``destination`` on ``port``."""

    source: Endpoint
    destination: Endpoint
    port: int
    protocol: model.Protocol
    port_name: str
    stage: Stage | None
    """The stage that opens the flow; None for the baseline that exists before any system moves."""
    reason: str


@dataclasses.dataclass(frozen=True)
class Location:
    """Where a concrete endpoint sits: its zone and (for systems) its department."""

    zone: str
    department: str | None
    network: model.GovNetwork = model.GovNetwork.EXTRANET


@dataclasses.dataclass(frozen=True)
class FlowMatrix:
    """Every allowed flow, and where each concrete endpoint sits (to resolve zone-wide sources)."""

    flows: tuple[Flow, ...]
    locations: Mapping[Endpoint, Location]
    zone_networks: Mapping[str, model.GovNetwork] = dataclasses.field(default_factory=dict)
    """Zone code → its network (both networks' zones)."""
    grants: tuple[ExchangeGrant, ...] = ()
    """The active sharing grants the exchange authorises (consumer system, resource), sorted."""

    def exchange_authorises(self, consumer: str, resource: str) -> bool:
        """Whether the exchange hands resource ``resource`` to system ``consumer`` (an active grant covers it)."""
        return any(g.consumer == consumer and g.resource == resource for g in self.grants)

    def network_of(self, endpoint: Endpoint) -> model.GovNetwork | None:
        """The network an endpoint is on (the Internet counts with the extranet: the intranet never sees it)."""
        kind = endpoint.kind
        if kind in (EndpointKind.ZONE, EndpointKind.HOSTS):
            return self.zone_networks.get(endpoint.name)
        if kind is EndpointKind.MANAGEMENT:
            return model.GovNetwork.INTRANET if endpoint == INTRANET_MANAGEMENT else model.GovNetwork.EXTRANET
        if kind is EndpointKind.INTERNET:
            return model.GovNetwork.EXTRANET
        location = self.locations.get(endpoint)
        return location.network if location is not None else None

    def on_network(self, network: model.GovNetwork) -> tuple[Flow, ...]:
        """The flows of one network (both ends on it)."""
        return tuple(
            f for f in self.flows if self.network_of(f.source) is network and self.network_of(f.destination) is network
        )

    def covers(self, endpoint: Endpoint, concrete: Endpoint) -> bool:
        """Whether ``endpoint`` (possibly zone-wide) includes the concrete ``concrete`` endpoint."""
        if endpoint == concrete:
            return True
        if endpoint.kind is EndpointKind.ZONE:
            location = self.locations.get(concrete)
            return location is not None and location.zone == endpoint.name
        return False

    def allows(
        self, source: Endpoint, destination: Endpoint, port: int, protocol: model.Protocol = model.Protocol.TCP
    ) -> bool:
        """Whether ``source`` may reach ``destination`` on ``port`` (sources may be concrete or zone-wide)."""
        return any(
            flow.port == port
            and flow.protocol is protocol
            and self.covers(flow.source, source)
            and self.covers(flow.destination, destination)
            for flow in self.flows
        )

    def involving(self, endpoint: Endpoint) -> tuple[Flow, ...]:
        """Flows that start or end at ``endpoint`` (a system's own declared flows and those to it)."""
        return tuple(f for f in self.flows if endpoint in (f.source, f.destination))

    def opened_by(self, code: str) -> tuple[Flow, ...]:
        """Flows that system ``code``'s stages open: it is their destination, or it declared them."""
        me = system_endpoint(code)
        return tuple(f for f in self.flows if f.stage is not None and me in (f.source, f.destination))

    def baseline(self) -> tuple[Flow, ...]:
        return tuple(f for f in self.flows if f.stage is None)

    def to(self, destination: Endpoint) -> tuple[Flow, ...]:
        return tuple(f for f in self.flows if f.destination == destination)


def location_of_system(system: model.System, inventory: model.Inventory, *, moved: bool = True) -> Location:
    """A system sits in its cloud placement's zone once it has moved, and before that in its department's zone.

    ``moved``: its plan has reached a stage (what puts it on the cloud); the census's ``cloud`` is only where
    it is going, so a system that has not started still runs in its department's network. A classified system
    sits in its intranet zone (its ``intranet_zone``, else its department's intranet 专用网络区), never in an
    extranet zone.
    """
    if system.classified:
        intranet_zone = inventory.intranet_zone_of_system(system)
        return Location(
            intranet_zone.code if intranet_zone is not None else "", system.department, model.GovNetwork.INTRANET
        )
    if system.cloud is not None and moved:
        return Location(system.cloud.zone, system.department)
    zone = inventory.zone_of_department.get(system.department)
    return Location(zone.code if zone is not None else "", system.department)


def data_ports(system: model.System, inventory: model.Inventory) -> tuple[model.ServicePort, ...]:
    """The data-stage ports a system serves: ``share`` for shareable entries, ``restricted`` for 不予共享."""
    entries = inventory.entries_of_system.get(system.code, ())
    ports: list[model.ServicePort] = []
    if any(e.sharing.type is not model.SharingType.NOT_SHARED for e in entries):
        ports.append(SHARE_PORT)
    if any(e.sharing.type is model.SharingType.NOT_SHARED for e in entries):
        ports.append(RESTRICTED_PORT)
    return tuple(ports)


def compute_flow_matrix(
    inventory: model.Inventory, progress: ProgressMap, *, grants: Iterable[ExchangeGrant] = ()
) -> FlowMatrix:
    """Every allowed flow of the inventory given how far each system has got. Deterministic order.

    ``grants``: the active sharing grants on the day the matrix is for (the caller evaluates expiry and
    suspension, :func:`govcloud.sharing.core.grants.active_grants`); each opens its consumer's path to the
    exchange for that resource.
    """
    active = tuple(sorted(grants))
    flows: list[Flow] = list(_baseline_flows(inventory))
    flows.extend(_intranet_baseline_flows(inventory))
    for system in inventory.systems:
        system_progress = progress.get(system.code)
        if system_progress is None or system_progress.reached is None:
            continue
        if system.classified:
            flows.extend(_intranet_system_flows(system, inventory))
        else:
            flows.extend(_system_flows(system, system_progress, inventory))
            flows.extend(_staying_database_flows(system))
    locations: dict[Endpoint, Location] = {
        system_endpoint(s.code): location_of_system(s, inventory, moved=_has_moved(progress, s.code))
        for s in inventory.systems
    }
    platform = inventory.network.platform
    for name in PLATFORM_SERVICES:
        service: model.PlatformService = getattr(platform, name)
        locations[platform_endpoint(name)] = Location(service.zone, None)
    locations.update(_staying_database_locations(inventory))
    flows.extend(_grant_flows(inventory, active, locations))
    # Sort on a plain tuple key: the dataclass's generated ordering compares enums field by field and cost
    # seconds on a province.
    unique = set(flows)
    ordered = sorted(unique, key=_flow_key)
    return FlowMatrix(
        flows=tuple(ordered), locations=locations, zone_networks=dict(inventory.network_of_zone), grants=active
    )


def crossing_flows(matrix: FlowMatrix) -> tuple[Flow, ...]:
    """Flows whose ends are on different networks (or on none known): physical isolation says there are none."""
    return tuple(
        f
        for f in matrix.flows
        if matrix.network_of(f.source) is None or matrix.network_of(f.source) is not matrix.network_of(f.destination)
    )


def _has_moved(progress: ProgressMap, code: str) -> bool:
    reached = progress.get(code)
    return reached is not None and reached.reached is not None


def _flow_key(flow: Flow) -> tuple[str, str, str, str, int, str, str]:
    return (
        flow.source.kind.value,
        flow.source.name,
        flow.destination.kind.value,
        flow.destination.name,
        flow.port,
        flow.protocol.value,
        flow.reason,
    )


def _baseline_flows(inventory: model.Inventory) -> Iterator[Flow]:
    platform = inventory.network.platform
    for zone in inventory.zones_of_kind(model.ZoneKind.DEDICATED):
        for name, service, why in (
            ("exchange", platform.exchange, "every department reaches the data-sharing exchange"),
            ("gateway", platform.gateway, "every department reaches the business collaboration gateway"),
        ):
            yield from _flows(zone_endpoint(zone.code), platform_endpoint(name), service.ports, None, why)
    yield from _flows(
        INTERNET,
        platform_endpoint("ingress"),
        platform.ingress.ports,
        None,
        "the Internet reaches only the Internet access zone's ingress",
    )
    management = inventory.network.management
    if management is not None:
        for zone in inventory.network.zones:
            yield from _flows(
                MANAGEMENT,
                hosts_endpoint(zone.code),
                management.ports,
                None,
                "management traffic comes only from the management network",
            )


def _grant_flows(
    inventory: model.Inventory, grants: Iterable[ExchangeGrant], locations: Mapping[Endpoint, Location]
) -> Iterator[Flow]:
    """A granted consumer's network path to the exchange, where the baseline does not give it one already.

    Every 专用网络区 reaches the exchange anyway (baseline: every department uses the platform's exchange,
    Art. 31), so for a consumer sitting there the grant is the exchange's own authorisation only (the matrix's
    ``grants``, rendered as the exchange's authorisation list). A consumer elsewhere (a system placed in the
    Internet access zone, say) reaches the exchange only through a grant: one flow per consumer, citing its
    requests, gone when they expire or are suspended.
    """
    systems = inventory.system_by_code
    exchange = inventory.network.platform.exchange
    dedicated = {z.code for z in inventory.zones_of_kind(model.ZoneKind.DEDICATED)}
    by_consumer: dict[str, list[ExchangeGrant]] = {}
    for grant in grants:
        by_consumer.setdefault(grant.consumer, []).append(grant)
    for code, held in by_consumer.items():
        consumer = systems.get(code)
        if consumer is None or consumer.classified:
            continue  # the exchange is the extranet's: a classified system never reaches it
        location = locations.get(system_endpoint(code))
        if location is None or location.zone in dedicated:
            continue  # its zone reaches the exchange already; the authorisation list decides
        listed = ", ".join(f"{g.request} ({g.resource} until {g.expires.isoformat()})" for g in held[:3])
        more = f" and {len(held) - 3} more" if len(held) > 3 else ""
        yield from _flows(
            system_endpoint(code),
            platform_endpoint("exchange"),
            exchange.ports,
            Stage.DATA,
            f"{code} holds {len(held)} active sharing grant{'s' if len(held) > 1 else ''}: {listed}{more}",
        )


def _intranet_baseline_flows(inventory: model.Inventory) -> Iterator[Flow]:
    intranet = inventory.network.intranet
    if intranet is None or intranet.management is None:
        return
    for zone in intranet.zones:
        yield from _flows(
            INTRANET_MANAGEMENT,
            hosts_endpoint(zone.code),
            intranet.management.ports,
            None,
            "intranet management traffic comes only from the intranet's management network",
        )


def _intranet_system_flows(system: model.System, inventory: model.Inventory) -> Iterator[Flow]:
    """The network stage of a classified system: on the intranet, its declared calls and its department."""
    me = system_endpoint(system.code)
    if inventory.intranet_zone_of_system(system) is None:
        return  # nowhere on the intranet to open anything (the census check reports it)
    systems = inventory.system_by_code
    for dependency in system.depends_on:
        target = systems.get(dependency)
        if target is None or not target.classified or inventory.intranet_zone_of_system(target) is None:
            continue  # a call to the extranet never gets a flow (physical isolation; the check refuses it)
        yield from _flows(
            me,
            system_endpoint(target.code),
            target.ports,
            Stage.NETWORK,
            f"{system.code} declares that it calls {target.code} on the intranet",
        )
    own_zone = inventory.intranet_zone_of_department.get(system.department)
    if own_zone is not None:
        yield from _flows(
            zone_endpoint(own_zone.code),
            me,
            system.ports,
            Stage.NETWORK,
            f"department {system.department} uses its classified system on the intranet",
        )


def _system_flows(system: model.System, progress: Progress, inventory: model.Inventory) -> Iterator[Flow]:
    me = system_endpoint(system.code)
    own_zone = inventory.zone_of_department.get(system.department)
    systems = inventory.system_by_code
    # network stage: declared calls out, own department in, publication through the ingress
    for dependency in system.depends_on:
        target = systems.get(dependency)
        if target is None or target.classified:
            continue
        yield from _flows(
            me,
            system_endpoint(target.code),
            target.ports,
            Stage.NETWORK,
            f"{system.code} declares that it calls {target.code}",
        )
    if own_zone is not None:
        yield from _flows(
            zone_endpoint(own_zone.code),
            me,
            system.ports,
            Stage.NETWORK,
            f"department {system.department} uses its own system",
        )
    if system.cloud is not None and system.cloud.public_hostnames:
        yield from _flows(
            platform_endpoint("ingress"),
            me,
            system.ports,
            Stage.NETWORK,
            "published to the public as " + ", ".join(system.cloud.public_hostnames),
        )
    if not progress.has_reached(Stage.DATA):
        return
    entries = inventory.entries_of_system.get(system.code, ())
    for port in data_ports(system, inventory):
        if port == SHARE_PORT:
            shareable = sum(1 for e in entries if e.sharing.type is not model.SharingType.NOT_SHARED)
            yield from _flows(
                platform_endpoint("exchange"),
                me,
                (port,),
                Stage.DATA,
                f"the exchange collects {shareable} shareable catalogue entr{'y' if shareable == 1 else 'ies'}",
            )
        elif own_zone is not None:
            yield from _flows(
                zone_endpoint(own_zone.code),
                me,
                (port,),
                Stage.DATA,
                "不予共享 entries stay inside their department",
            )
    if not progress.has_reached(Stage.BUSINESS):
        return
    yield from _flows(
        platform_endpoint("gateway"),
        me,
        system.ports,
        Stage.BUSINESS,
        "routes on the business collaboration gateway",
    )
    for caller in progress.business_callers:
        zone = inventory.zone_of_department.get(caller)
        if zone is None or caller == system.department:
            continue
        yield from _flows(
            zone_endpoint(zone.code),
            me,
            system.ports,
            Stage.BUSINESS,
            f"the plan declares calls from department {caller}",
        )


# --- databases that stay on their legacy hosts ------------------------------------------------------------


def database_endpoint(system: str, database: str) -> Endpoint:
    """A database that stays on its legacy host, named by its system and its census name."""
    return Endpoint(EndpointKind.DATABASE, f"{system}/{database}")


def staying_database(endpoint: Endpoint, inventory: model.Inventory) -> model.DatabasePlacement | None:
    """The census decision a :data:`EndpointKind.DATABASE` endpoint stands for (None when unknown)."""
    code, _, name = endpoint.name.partition("/")
    system = inventory.system_by_code.get(code)
    if system is None or system.cloud is None:
        return None
    return next(
        (d for d in system.cloud.databases if d.name == name and d.decision is model.DatabaseDecision.STAYS), None
    )


def _staying_database_flows(system: model.System) -> Iterator[Flow]:
    """Network stage of S: S reaches each of its databases that stays on its legacy host, on its port."""
    if system.cloud is None:
        return
    for database in system.cloud.databases:
        if database.decision is model.DatabaseDecision.STAYS:
            yield Flow(
                system_endpoint(system.code),
                database_endpoint(system.code, database.name),
                database.port,
                model.Protocol.TCP,
                "db",
                Stage.NETWORK,
                f"{system.code} keeps its database {database.name} ({database.engine}) on its legacy host",
            )


def _staying_database_locations(inventory: model.Inventory) -> Iterator[tuple[Endpoint, Location]]:
    """Where each staying database sits: the extranet zone whose ranges hold its address."""
    zone_of = model.ZoneOfAddress(inventory.network.zones)
    for system in inventory.systems:
        if system.cloud is None or system.classified:
            continue
        for database in system.cloud.databases:
            if database.decision is not model.DatabaseDecision.STAYS or database.address is None:
                continue
            zone = zone_of(database.address)
            if zone is not None:
                yield database_endpoint(system.code, database.name), Location(zone.code, system.department)


def _flows(
    source: Endpoint, destination: Endpoint, ports: Iterable[model.ServicePort], stage: Stage | None, reason: str
) -> Iterator[Flow]:
    for port in ports:
        yield Flow(source, destination, port.port, port.protocol, port.name, stage, reason)
