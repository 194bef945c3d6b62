"""The world around the rendered NetworkPolicies, for the property tests: pods, addresses, and what each is.

A test builds the actors a cluster meets (the pods of the systems and platform services the render placed,
an unlabelled pod and an impostor pod in every namespace, addresses in every zone, legacy servers, the
Internet, the management network, the cluster's nodes and an unused pod address) and asks, for every ordered
pair and port, whether the rendered policies (evaluated by :mod:`govcloud.cloud.core.netpol_eval`) let the
connection through. The expected answer comes from the flow matrix alone, through :func:`matrix_allows`,
which says what each actor *is* in the matrix's terms. That reading is written here from the census, on
purpose apart from :mod:`govcloud.cloud.core.desired`, so a rendering mistake cannot hide in both.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import itertools
from collections.abc import Iterator, Mapping, Sequence

from govcloud.cloud.core import desired, netpol_eval
from govcloud.core import model
from govcloud.core.settings import Settings
from govcloud.network.core import flows
from govcloud.planning.core.stages import ProgressMap

POD_ADDRESSES = ipaddress.IPv4Network("10.244.0.0/16")
UNUSED_POD_ADDRESS = ipaddress.IPv4Address("10.244.255.254")
"""Inside the cluster's pod range, but no pod has it: it is no endpoint of the matrix."""
INTERNET_ADDRESS = ipaddress.IPv4Address("203.0.113.7")


@dataclasses.dataclass(frozen=True)
class Actor:
    """One thing that opens or receives connections, and what the flow matrix knows it as.

    ``system`` / ``platform``: the matrix endpoint it is (its own labelled pod, or its census address when it
    runs off the cluster). ``zone``: the zone a pod's namespace belongs to (so it is one of the zone's own).
    ``address``: for an address outside the cluster.
    """

    name: str
    endpoint: netpol_eval.Endpoint
    system: str | None = None
    platform: str | None = None
    zone: str | None = None
    address: ipaddress.IPv4Address | None = None

    @property
    def is_pod(self) -> bool:
        return isinstance(self.endpoint, netpol_eval.Pod)


class Census:
    """Where the census puts each endpoint, read independently of the renderer."""

    def __init__(self, inventory: model.Inventory, progress: ProgressMap, settings: Settings) -> None:
        self.inventory = inventory
        self.settings = settings
        self.on_cluster = {
            s.code
            for s in inventory.systems
            if (p := progress.get(s.code)) is not None and p.reached is not None and s.cloud is not None
            if not s.classified
        }
        self.moved = {c for c, p in progress.items() if p.reached is not None}
        self.hosts_of: dict[str, list[ipaddress.IPv4Address]] = {}
        for host in inventory.hosts:
            for code in host.systems:
                self.hosts_of.setdefault(code, []).extend(a.address.ip for a in host.addresses)
        management = inventory.network.management
        self.management = tuple(management.ranges) if management is not None else ()
        self.internal = (
            *(r for z in inventory.network.zones for r in z.ranges),
            *self.management,
            *settings.cloud.cluster_cidrs,
        )

    def zone_ranges(self, code: str) -> tuple[ipaddress.IPv4Network, ...]:
        zone = self.inventory.zone_by_code.get(code)
        return zone.ranges if zone is not None else ()

    def system_is_at(self, code: str, address: ipaddress.IPv4Address) -> bool:
        """Whether ``address`` stands for system ``code``: a legacy server of it, or (off the cluster, with
        no server listed) an address of the zone it sits in, as the zone firewalls read it."""
        hosts = self.hosts_of.get(code)
        if hosts:
            return address in hosts
        if code in self.on_cluster:
            return False
        system = self.inventory.system_by_code[code]
        # before it moves a system runs in its department's network, whatever its planned cloud zone
        own = self.inventory.zone_of_department[system.department].code
        zone = system.cloud.zone if system.cloud is not None and code in self.moved else own
        return any(address in r for r in self.zone_ranges(zone))

    def platform_is_at(self, name: str, address: ipaddress.IPv4Address) -> bool:
        service: model.PlatformService = getattr(self.inventory.network.platform, name)
        return not service.on_cluster and address == service.address

    def is_internet(self, address: ipaddress.IPv4Address) -> bool:
        return not any(address in r for r in self.internal)


def source_is(matrix: flows.FlowMatrix, census: Census, endpoint: flows.Endpoint, actor: Actor) -> bool:
    """Whether ``actor`` is (or is one of) the flow source ``endpoint``."""
    kind = endpoint.kind
    if actor.address is not None:
        ip = actor.address
        if kind is flows.EndpointKind.ZONE:
            return any(ip in r for r in census.zone_ranges(endpoint.name))
        if kind is flows.EndpointKind.SYSTEM:
            return census.system_is_at(endpoint.name, ip)
        if kind is flows.EndpointKind.PLATFORM:
            return census.platform_is_at(endpoint.name, ip)
        if kind is flows.EndpointKind.INTERNET:
            return census.is_internet(ip)
        if kind is flows.EndpointKind.MANAGEMENT:
            return any(ip in r for r in census.management)
        return False
    if actor.system is not None:
        return matrix.covers(endpoint, flows.system_endpoint(actor.system))
    if actor.platform is not None:
        return matrix.covers(endpoint, flows.platform_endpoint(actor.platform))
    # an anonymous or impostor pod: one of its namespace's zone, nothing more
    return kind is flows.EndpointKind.ZONE and endpoint.name == actor.zone


def destination_is(matrix: flows.FlowMatrix, census: Census, endpoint: flows.Endpoint, actor: Actor) -> bool:
    """Whether ``actor`` is (or is one of) the flow destination ``endpoint``."""
    kind = endpoint.kind
    if actor.address is not None:
        ip = actor.address
        if kind is flows.EndpointKind.SYSTEM:
            return census.system_is_at(endpoint.name, ip)
        if kind is flows.EndpointKind.PLATFORM:
            return census.platform_is_at(endpoint.name, ip)
        if kind in (flows.EndpointKind.ZONE, flows.EndpointKind.HOSTS):
            return any(ip in r for r in census.zone_ranges(endpoint.name))
        if kind is flows.EndpointKind.INTERNET:
            return census.is_internet(ip)
        return False
    if actor.system is not None:
        return matrix.covers(endpoint, flows.system_endpoint(actor.system))
    if actor.platform is not None:
        return matrix.covers(endpoint, flows.platform_endpoint(actor.platform))
    return kind is flows.EndpointKind.ZONE and endpoint.name == actor.zone


def matrix_allows(
    matrix: flows.FlowMatrix,
    census: Census,
    source: Actor,
    destination: Actor,
    port: int,
    protocol: str,
    *,
    candidates: Sequence[flows.Flow] | None = None,
) -> bool:
    """The flow matrix's answer for two actors (the expected verdict); ``candidates`` narrows the flows read."""
    return any(
        f.port == port
        and f.protocol.value == protocol
        and source_is(matrix, census, f.source, source)
        and destination_is(matrix, census, f.destination, destination)
        for f in (matrix.flows if candidates is None else candidates)
    )


def cluster_of(state: desired.DesiredState) -> netpol_eval.Cluster:
    namespaces = {m["metadata"]["name"]: m["metadata"]["labels"] for m in state.all() if m["kind"] == "Namespace"}
    return netpol_eval.Cluster(namespaces, [m for m in state.all() if m["kind"] == "NetworkPolicy"])


def actors(state: desired.DesiredState, census: Census) -> list[Actor]:
    """Every pod the render places, an unlabelled and an impostor pod per namespace, and the addresses."""
    pod_ips = (POD_ADDRESSES.network_address + 10 + i for i in itertools.count())
    found: list[Actor] = []
    namespaces = {m["metadata"]["name"]: m["metadata"]["labels"] for m in state.all() if m["kind"] == "Namespace"}
    system_labels: dict[str, Mapping[str, str]] = {}
    for manifest in state.all():
        if manifest["kind"] not in ("Deployment", "StatefulSet"):
            continue
        template = manifest["spec"]["template"]
        labels = template["metadata"]["labels"]
        if desired.PLATFORM_LABEL in labels:
            continue  # a platform service govcloud runs itself: its pods are the platform actors below
        if desired.DATABASE_LABEL in labels:
            # a moved database is reached by its own system only, outside the flow matrix (test_workloads.py)
            continue
        ports = {
            p["name"]: (p["containerPort"], p.get("protocol", "TCP"))
            for p in template["spec"]["containers"][0].get("ports", ())
        }
        namespace = manifest["metadata"]["namespace"]
        code = labels[desired.SYSTEM_LABEL]
        system_labels[code] = labels
        pod = netpol_eval.Pod(namespace, manifest["metadata"]["name"], labels, next(pod_ips), ports)
        found.append(Actor(f"pod:{code}", pod, system=code))
    for name in flows.PLATFORM_SERVICES:
        namespace = desired.PLATFORM_NAMESPACES[name]
        service: model.PlatformService = getattr(census.inventory.network.platform, name)
        # off the cluster its namespace holds only its Service name: no pod of it runs there
        if namespace in namespaces and service.on_cluster:
            pod = netpol_eval.Pod(namespace, name, {desired.PLATFORM_LABEL: name}, next(pod_ips))
            found.append(Actor(f"pod:{name}", pod, platform=name))
    for namespace, labels in sorted(namespaces.items()):
        zone = labels.get(desired.ZONE_LABEL)
        department = labels.get(desired.DEPARTMENT_LABEL)
        anonymous = netpol_eval.Pod(namespace, "anonymous", {}, next(pod_ips))
        found.append(Actor(f"anonymous@{namespace}", anonymous, zone=zone))
        # another department's system's labels on a pod here: it must count for nothing more than this namespace
        foreign = next(
            (c for c, lab in sorted(system_labels.items()) if lab[desired.DEPARTMENT_LABEL] != department), None
        )
        if foreign is not None:
            impostor = netpol_eval.Pod(namespace, "impostor", dict(system_labels[foreign]), next(pod_ips))
            found.append(Actor(f"impostor({foreign})@{namespace}", impostor, zone=zone))
    for ip, label in addresses(census):
        found.append(Actor(label, netpol_eval.Address(ip, label), address=ip))
    return found


def addresses(census: Census) -> Iterator[tuple[ipaddress.IPv4Address, str]]:
    """An address in every zone, every host's, the platform's, the Internet, management, an unused pod IP."""
    seen: set[ipaddress.IPv4Address] = set()

    def once(ip: ipaddress.IPv4Address, label: str) -> Iterator[tuple[ipaddress.IPv4Address, str]]:
        if ip not in seen:
            seen.add(ip)
            yield ip, label

    inventory = census.inventory
    for zone in inventory.network.zones:
        for network in zone.ranges:
            yield from once(network.network_address + 100, f"staff@{zone.code}")
    for host in inventory.hosts:
        for address in host.addresses:
            yield from once(address.address.ip, f"host:{host.name}")
    for name in flows.PLATFORM_SERVICES:
        service: model.PlatformService = getattr(inventory.network.platform, name)
        yield from once(service.address, f"address:{name}")
    for network in census.management:
        yield from once(network.network_address + 5, "management")
    yield from once(INTERNET_ADDRESS, "internet")
    yield from once(UNUSED_POD_ADDRESS, "unused-pod-address")


def probe_ports(matrix: flows.FlowMatrix, inventory: model.Inventory) -> list[tuple[int, str]]:
    """Every port a flow uses, the management ports, DNS and one port nothing opens."""
    ports = {(f.port, f.protocol.value) for f in matrix.flows} | {(12345, "TCP"), (53, "UDP")}
    management = inventory.network.management
    if management is not None:
        ports |= {(p.port, p.protocol.value) for p in management.ports}
    return sorted(ports)


def mismatches(
    state: desired.DesiredState,
    matrix: flows.FlowMatrix,
    census: Census,
    world: Sequence[Actor],
    ports: Sequence[tuple[int, str]],
    *,
    destinations: set[str] | None = None,
) -> Iterator[str]:
    """Every (source, destination, port) where the policies and the matrix disagree, as readable lines.

    ``destinations`` limits the actors checked as destinations (by name); every actor is a source.
    """
    cluster = cluster_of(state)
    by_port: dict[tuple[int, str], list[flows.Flow]] = {}
    for flow in matrix.flows:
        by_port.setdefault((flow.port, flow.protocol.value), []).append(flow)
    for source, destination in itertools.permutations(world, 2):
        if not (source.is_pod or destination.is_pod):
            continue  # between two addresses outside the cluster no NetworkPolicy applies
        if destinations is not None and destination.name not in destinations:
            continue
        for port, protocol in ports:
            candidates = by_port.get((port, protocol), ())
            expected = matrix_allows(matrix, census, source, destination, port, protocol, candidates=candidates)
            actual = cluster.allows(source.endpoint, destination.endpoint, port, protocol)
            if actual != expected:
                yield f"{source.name} -> {destination.name}:{port}/{protocol}: policies {actual}, matrix {expected}"
