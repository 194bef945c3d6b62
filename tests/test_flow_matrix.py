"""The flow matrix's decisions that both renderings follow: management reaches hosts, never a system."""

from __future__ import annotations

import ipaddress

from govcloud.cloud.core import desired, netpol_eval
from govcloud.core.settings import Settings
from govcloud.network.core import firewall, flows
from govcloud.planning.core.stages import Progress, Stage
from test_desired import department, inventory, sample_city, system

SSH = 22


def test_management_reaches_the_hosts_of_every_zone_and_no_system_or_platform_service() -> None:
    inv, progress = sample_city()
    matrix = flows.compute_flow_matrix(inv, progress)
    for zone in inv.network.zones:
        assert matrix.allows(flows.MANAGEMENT, flows.hosts_endpoint(zone.code), SSH)
        assert not matrix.allows(flows.zone_endpoint(zone.code), flows.hosts_endpoint(zone.code), SSH)
    for each in inv.systems:
        assert not matrix.allows(flows.MANAGEMENT, flows.system_endpoint(each.code), SSH), each.code
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


def test_a_system_that_has_not_moved_runs_in_its_department_s_zone_whatever_its_planned_cloud_zone() -> None:
    inv = inventory(
        [department("AAA"), department("BBB")],
        [system("AAA-001", depends_on=("BBB-001",)), system("BBB-001", zone="INET", ports=(("api", 8000),))],
    )
    before = {"AAA-001": Progress.at(Stage.NETWORK)}
    matrix = flows.compute_flow_matrix(inv, before)
    callee = flows.system_endpoint("BBB-001")
    assert matrix.locations[callee].zone == "DZ-BBB"
    dz_bbb = inv.zone_by_code["DZ-BBB"].ranges
    # both renderings put it there: the zone firewalls ...
    assert firewall.Resolver(inv, locations=matrix.locations).addresses(callee).networks == dz_bbb
    # ... and the caller's egress on the cluster
    state = desired.desired_state(inv, before, Settings())
    egress = next(m for m in state.all() if m["metadata"]["name"] == "aaa-001-egress")
    assert egress["spec"]["egress"] == [
        {"to": [{"ipBlock": {"cidr": "10.80.1.0/24"}}], "ports": [{"protocol": "TCP", "port": 8000}]}
    ]
    # once it has moved it is its pods in the Internet access zone's namespace
    after = {**before, "BBB-001": Progress.at(Stage.NETWORK)}
    moved = flows.compute_flow_matrix(inv, after)
    assert moved.locations[callee].zone == "INET"
    state = desired.desired_state(inv, after, Settings())
    egress = next(m for m in state.all() if m["metadata"]["name"] == "aaa-001-egress")
    (peer,) = egress["spec"]["egress"][0]["to"]
    assert peer["podSelector"] == {"matchLabels": {desired.SYSTEM_LABEL: "BBB-001"}}
    assert peer["namespaceSelector"]["matchLabels"][desired.NAMESPACE_NAME_LABEL] == "d-bbb-inet"


def test_a_platform_service_off_the_cluster_is_reached_and_admitted_at_its_census_address() -> None:
    inv, progress = sample_city()
    platform = inv.network.platform
    exchange = platform.exchange.model_copy(update={"on_cluster": False})
    network = inv.network.model_copy(update={"platform": platform.model_copy(update={"exchange": exchange})})
    inv = inv.model_copy(update={"network": network})
    state = desired.desired_state(inv, progress, Settings())
    names = {(m["kind"], m["metadata"].get("namespace"), m["metadata"]["name"]) for m in state.all()}
    # nothing of it runs on the cluster: its namespace holds only its in-cluster name (a selector-less Service
    # at its census address) and the default deny
    there = desired.PLATFORM_NAMESPACES["exchange"]
    assert {(kind, name) for kind, namespace, name in names if namespace == there} == {
        ("Service", "exchange"),
        ("EndpointSlice", "exchange"),
        ("NetworkPolicy", "default-deny"),
    }
    address = {"ipBlock": {"cidr": "10.64.0.10/32"}}
    # it collects the share port of a system at its data stage from its address ...
    ingress = next(m for m in state.all() if m["metadata"]["name"] == "aaa-001-ingress")
    share = [r for r in ingress["spec"]["ingress"] if r["ports"] == [{"protocol": "TCP", "port": 8443}]]
    assert [r["from"] for r in share] == [[address]]
    # ... and every department reaches it there, on its port only
    outbound = next(
        m for m in state.all() if m["metadata"]["name"] == "zone-outbound" and m["metadata"]["namespace"] == "d-bbb"
    )
    assert any(
        address in rule["to"] and rule["ports"] == [{"protocol": "TCP", "port": 443}]
        for rule in outbound["spec"]["egress"]
    )
    # the gateway still runs on the cluster and is still reached by its pods
    assert ("Namespace", None, desired.PLATFORM_NAMESPACES["gateway"]) in names
