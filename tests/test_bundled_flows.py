"""The bundled city: every declared flow into the cluster is admitted by the rendered NetworkPolicies.

The bundled inventory and the bundled plans' progress are rendered; every flow of the matrix whose
destination runs on the cluster is enumerated with every source that stands for it (the staff address of a
zone and the pods of its namespaces, a system's pods or legacy servers, an off-cluster system's addresses,
the Internet, platform pods) and proven to pass, on its port; so is every flow from a pod on the cluster to a
destination off it (egress). Then the sealed 不予共享 ports: nothing from another department reaches them.
Finally the world is checked both ways: no connection to a pod passes that the matrix does not declare.
"""

from __future__ import annotations

import ipaddress
from functools import cache
from pathlib import Path

import pytest

import netpol_world
from govcloud.cloud.core import desired, netpol_eval
from govcloud.core import model
from govcloud.core.settings import Settings
from govcloud.edges import inventory_files
from govcloud.network.core import firewall, flows
from govcloud.planning.core.stages import Progress
from govcloud.planning.edges import plan_progress

REPO = Path(__file__).resolve().parents[1]


@cache
def bundled() -> tuple[model.Inventory, dict[str, Progress]]:
    inventory = inventory_files.load_inventory(REPO / "inventory").inventory
    return inventory, plan_progress.load_progress(REPO / "migrations_plan", inventory=inventory)


CALLER, OFF_CLUSTER_CALLEE = "SCJ-009", "ZGH-007"
"""A census fact of the bundled city: SCJ-009 (placed on the cluster) declares that it calls ZGH-007."""


@cache
def world(
    moved: tuple[str, ...] = (),
) -> tuple[
    desired.DesiredState, flows.FlowMatrix, netpol_world.Census, tuple[netpol_world.Actor, ...], netpol_eval.Cluster
]:
    """The bundled city at the bundled plans' progress, with the systems ``moved`` at least at their network stage."""
    inventory, progress = bundled()
    for code in moved:
        progress = firewall.with_network_stage(progress, code)
    configured = Settings()
    state = desired.desired_state(inventory, progress, configured)
    census = netpol_world.Census(inventory, progress, configured)
    actors = tuple(netpol_world.actors(state, census))
    return state, flows.compute_flow_matrix(inventory, progress), census, actors, netpol_world.cluster_of(state)


def _runs_on_cluster(endpoint: flows.Endpoint, census: netpol_world.Census) -> bool:
    if endpoint.kind is flows.EndpointKind.SYSTEM:
        return endpoint.name in census.on_cluster
    if endpoint.kind is flows.EndpointKind.PLATFORM:
        service: model.PlatformService = getattr(census.inventory.network.platform, endpoint.name)
        return service.on_cluster
    return False


def test_every_declared_flow_into_the_cluster_is_admitted_from_every_source_that_stands_for_it() -> None:
    _, matrix, census, actors, cluster = world()
    checked: set[tuple[str, str, str, int]] = set()
    for flow in matrix.flows:
        if not _runs_on_cluster(flow.destination, census):
            continue
        targets = [a for a in actors if a.is_pod and netpol_world.destination_is(matrix, census, flow.destination, a)]
        assert targets, f"{flow.destination} runs on the cluster but no pod of it was rendered"
        sources = [a for a in actors if netpol_world.source_is(matrix, census, flow.source, a)]
        assert sources, f"nothing in the world stands for {flow.source}"
        for source in sources:
            for target in targets:
                assert cluster.allows(source.endpoint, target.endpoint, flow.port, flow.protocol.value), (
                    f"{flow.source} ({source.name}) -> {flow.destination}:{flow.port}/{flow.protocol.value} is "
                    f"declared ({flow.reason}) but the policies block it"
                )
                checked.add((str(flow.source), source.name, target.name, flow.port))
    # the bundled city has systems and platform services on the cluster, reached from zones, pods and the Internet
    assert len(checked) > 500
    kinds = {source.split(":", 1)[0] for source, _, _, _ in checked}
    assert {"zone", "platform", "internet"} <= kinds


def test_a_department_s_staff_reach_its_migrated_system() -> None:
    """The case the independent check found blocked: 10.80.37.100 in DZ-DSJ to d-dsj/dsj-004:8080."""
    inventory, _ = bundled()
    _, matrix, _, actors, cluster = world()
    staff = netpol_eval.Address(ipaddress.IPv4Address("10.80.37.100"))
    pod = next(a for a in actors if a.system == "DSJ-004")
    assert isinstance(pod.endpoint, netpol_eval.Pod)
    assert pod.endpoint.namespace == "d-dsj"
    assert matrix.allows(flows.zone_endpoint("DZ-DSJ"), flows.system_endpoint("DSJ-004"), 8080)
    assert cluster.allows(staff, pod.endpoint, 8080)
    # and another department's staff do not
    other = next(z for z in inventory.network.zones if z.department not in (None, "DSJ"))
    stranger = netpol_eval.Address(other.ranges[0].network_address + 100)
    assert not cluster.allows(stranger, pod.endpoint, 8080)


def test_every_declared_flow_from_the_cluster_to_a_system_off_it_has_its_egress() -> None:
    """The bundled plans put no caller of an off-cluster system on the cluster yet, so SCJ-009 moves too."""
    _, matrix, census, actors, cluster = world((CALLER,))
    assert CALLER in census.on_cluster
    assert OFF_CLUSTER_CALLEE not in census.on_cluster
    outbound = [
        f
        for f in matrix.flows
        if f.source.kind is flows.EndpointKind.SYSTEM
        and f.source.name in census.on_cluster
        and f.destination.kind is flows.EndpointKind.SYSTEM
        and f.destination.name not in census.on_cluster
    ]
    assert any(f.source.name == CALLER and f.destination.name == OFF_CLUSTER_CALLEE for f in outbound)
    for flow in outbound:
        pod = next(a for a in actors if a.system == flow.source.name)
        places = [a for a in actors if a.address is not None and census.system_is_at(flow.destination.name, a.address)]
        assert places, f"no address stands for {flow.destination}"
        for place in places:
            assert cluster.allows(pod.endpoint, place.endpoint, flow.port, flow.protocol.value), (
                f"{flow.source} -> {flow.destination} ({place.name}):{flow.port} is declared but has no egress"
            )
        # the egress names the callee's addresses only, not the Internet
        internet = next(a for a in actors if a.name == "internet")
        assert not cluster.allows(pod.endpoint, internet.endpoint, flow.port, flow.protocol.value)


def test_the_sealed_restricted_ports_admit_nothing_from_another_department() -> None:
    _, _, census, actors, cluster = world()
    restricted = flows.RESTRICTED_PORT.port
    sealed = [
        a
        for a in actors
        if a.system is not None
        and isinstance(a.endpoint, netpol_eval.Pod)
        and (restricted, "TCP") in a.endpoint.named_ports.values()
    ]
    assert sealed, "the bundled plans put a system holding 不予共享 entries at its data stage"
    for target in sealed:
        assert isinstance(target.endpoint, netpol_eval.Pod)
        owner = census.inventory.system_by_code[target.system or ""].department
        own_zone = census.inventory.zone_of_department[owner]
        admitted = []
        for source in actors:
            if source is target:
                continue
            if not cluster.allows(source.endpoint, target.endpoint, restricted):
                continue
            admitted.append(source.name)
            if isinstance(source.endpoint, netpol_eval.Pod):
                assert source.endpoint.namespace == desired.department_namespace(owner), source.name
            else:
                assert any(source.endpoint.ip in r for r in own_zone.ranges), source.name
        # its own department does get in (the staff of its zone), so the seal is not a blanket deny
        assert f"staff@{own_zone.code}" in admitted


@pytest.mark.parametrize("moved", [(), (CALLER,)], ids=["bundled-progress", "with-an-off-cluster-callee"])
def test_nothing_reaches_a_pod_of_the_bundled_city_that_the_matrix_does_not_declare(moved: tuple[str, ...]) -> None:
    state, matrix, census, actors, _ = world(moved)
    pods = {a.name for a in actors if a.system is not None or a.platform is not None}
    off_cluster_callees = {
        a.name
        for a in actors
        if a.address is not None
        and any(
            f.destination.kind is flows.EndpointKind.SYSTEM
            and f.destination.name not in census.on_cluster
            and census.system_is_at(f.destination.name, a.address)
            for f in matrix.flows
        )
    }
    if moved:  # the second world probes the addresses of the off-cluster system SCJ-009 calls
        callee = {
            a.name for a in actors if a.address is not None and census.system_is_at(OFF_CLUSTER_CALLEE, a.address)
        }
        assert callee
        assert callee <= off_cluster_callees
    ports = netpol_world.probe_ports(matrix, census.inventory)
    wrong = list(netpol_world.mismatches(state, matrix, census, actors, ports, destinations=pods | off_cluster_callees))
    assert not wrong, "\n".join(wrong[:20])
