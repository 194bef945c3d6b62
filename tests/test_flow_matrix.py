"""The flow matrix's decisions that both renderings follow: management reaches hosts, never a system."""

from __future__ import annotations

import ipaddress

from govcloud.cloud.core import desired, netpol_eval
from govcloud.core.settings import Settings
from govcloud.network.core import firewall, flows
from test_desired import sample_city

SSH = 22


def test_management_reaches_the_hosts_of_every_zone_and_no_system_or_platform_service() -> None:
    inv, progress = sample_city()
    matrix = flows.compute_flow_matrix(inv, progress)
    for zone in inv.network.zones:
        assert matrix.allows(flows.MANAGEMENT, flows.hosts_endpoint(zone.code), SSH)
        assert not matrix.allows(flows.zone_endpoint(zone.code), flows.hosts_endpoint(zone.code), SSH)
    for system in inv.systems:
        assert not matrix.allows(flows.MANAGEMENT, flows.system_endpoint(system.code), SSH), system.code
    for name in flows.PLATFORM_SERVICES:
        assert not matrix.allows(flows.MANAGEMENT, flows.platform_endpoint(name), SSH)
    # every management flow ends at hosts, and only management starts one to hosts
    for flow in matrix.flows:
        assert (flow.source == flows.MANAGEMENT) == (flow.destination.kind is flows.EndpointKind.HOSTS)


def test_the_firewall_still_lets_only_management_reach_zone_addresses_on_the_management_port() -> None:
    inv, progress = sample_city()
    matrix = flows.compute_flow_matrix(inv, progress)
    resolver = firewall.Resolver(inv)
    management = "10.63.0.5"
    for zone in inv.network.zones:
        inside = str(zone.ranges[0].network_address + 7)
        assert firewall.flow_reaches(matrix, resolver, source=management, destination=inside, port=SSH)
        other = next(z for z in inv.network.zones if z.code != zone.code)
        staff = str(other.ranges[0].network_address + 100)
        assert not firewall.flow_reaches(matrix, resolver, source=staff, destination=inside, port=SSH)


def test_no_network_policy_opens_anything_to_the_management_network() -> None:
    inv, progress = sample_city()
    state = desired.desired_state(inv, progress, Settings())
    policies = [m for m in state.all() if m["kind"] == "NetworkPolicy"]
    namespaces = {m["metadata"]["name"]: m["metadata"]["labels"] for m in state.all() if m["kind"] == "Namespace"}
    cluster = netpol_eval.Cluster(namespaces, policies)
    management = netpol_eval.Address(ipaddress.IPv4Address("10.63.0.5"))
    pods = [
        netpol_eval.Pod(
            m["metadata"]["namespace"],
            m["metadata"]["name"],
            m["spec"]["template"]["metadata"]["labels"],
            ipaddress.IPv4Address("10.244.9.1"),
        )
        for m in state.all()
        if m["kind"] in ("Deployment", "StatefulSet")
    ]
    assert pods
    ports = {p["port"] for m in policies for r in m["spec"].get("ingress", ()) for p in r.get("ports", ())}
    for pod in pods:
        for port in sorted(ports | {SSH}):
            assert not cluster.allows(management, pod, port), (pod.name, port)
            assert not cluster.allows(pod, management, port), (pod.name, port)
