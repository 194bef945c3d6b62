"""Property: the rendered NetworkPolicies allow a connection if and only if the flow matrix does, in the whole world.

Random small cities (departments; systems on the cluster in their own zone, the Internet access zone or the
public zone, or still off it, some on legacy servers the census lists; dependencies across departments;
catalogue entries of every sharing type; the exchange and the gateway on or off the cluster; cluster nodes)
at random stages are rendered. The world the policies meet is then built (:mod:`netpol_world`): the pods of
the systems and platform services, an unlabelled pod and an impostor pod (another department's system's
labels) in every namespace, an address in every zone, every host's address, the platform's addresses, the
Internet, the management network, the nodes and an unused pod address. For every ordered pair and every
port in play, the evaluator of Kubernetes semantics (:mod:`govcloud.cloud.core.netpol_eval`) must say what
the flow matrix says: nothing the matrix declares is blocked, nothing else passes. A 不予共享 (restricted)
port must never be reachable from another department, on or off the cluster.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import netpol_world
from govcloud.cloud.core import desired, netpol_eval, policies
from govcloud.core import model
from govcloud.core.settings import Settings
from govcloud.network.core import flows
from govcloud.planning.core.stages import Progress, Stage
from test_desired import department, entry, inventory, system

PORTS = (("http", 8080), ("grpc", 9090), ("api", 8000))
SHARING = tuple(model.SharingType)
STAGES = (None, Stage.NETWORK, Stage.DATA, Stage.BUSINESS)
NODES = (
    model.Host(
        name="k8s-node-01",
        role=model.HostRole.K8S_NODE,
        zone="PUB",
        addresses=(model.HostAddress(zone="PUB", address=ipaddress.IPv4Interface("10.64.2.11/20")),),
        node_pool="general",
    ),
    model.Host(
        name="k8s-cp-01",
        role=model.HostRole.K8S_CONTROL,
        zone="PUB",
        addresses=(model.HostAddress(zone="PUB", address=ipaddress.IPv4Interface("10.64.1.11/20")),),
    ),
)


def _off_cluster(inv: model.Inventory, names: list[str]) -> model.Inventory:
    platform = inv.network.platform
    moved = {name: getattr(platform, name).model_copy(update={"on_cluster": False}) for name in names}
    network = inv.network.model_copy(update={"platform": platform.model_copy(update=moved)})
    return inv.model_copy(update={"network": network})


@st.composite
def cities(draw: st.DrawFn) -> tuple[model.Inventory, dict[str, Progress]]:
    codes = sorted(draw(st.lists(st.sampled_from(["AAA", "BBB", "CCC"]), min_size=1, max_size=3, unique=True)))
    system_codes: list[str] = []
    for code in codes:
        count = draw(st.integers(min_value=1, max_value=3))
        system_codes += [f"{code}-{i:03d}" for i in range(1, count + 1)]
    systems = []
    catalogue = []
    hosts = list(NODES)
    for index, code in enumerate(system_codes):
        ports = draw(st.lists(st.sampled_from(PORTS), min_size=0, max_size=2, unique=True))
        zone = draw(st.sampled_from(["own", "own", "INET", "PUB", None]))
        others = [c for c in system_codes if c != code]
        depends = draw(st.lists(st.sampled_from(others), max_size=2, unique=True)) if others else []
        systems.append(
            system(
                code,
                ports=ports,
                zone=zone,
                mlps=draw(st.sampled_from([None, 1, 2, 3])),
                depends_on=depends,
                public=("x.example.gov.cn",) if zone == "INET" and ports and draw(st.booleans()) else (),
            )
        )
        if draw(st.booleans()):  # a legacy server still runs it (before, or during a parallel run)
            department_index = codes.index(code.split("-")[0])
            hosts.append(
                model.Host(
                    name=f"srv-{code.lower()}",
                    role=model.HostRole.SERVICE,
                    zone=f"DZ-{code.split('-')[0]}",
                    addresses=(
                        model.HostAddress(
                            zone=f"DZ-{code.split('-')[0]}",
                            address=ipaddress.IPv4Interface(f"10.80.{department_index}.{50 + index}/24"),
                        ),
                    ),
                    systems=(code,),
                )
            )
        for k, sharing in enumerate(draw(st.lists(st.sampled_from(SHARING), max_size=2))):
            catalogue.append(entry(f"3001{index:02d}/{k + 1:04d}", code, sharing))
    progress: dict[str, Progress] = {}
    for code in system_codes:
        stage = draw(st.sampled_from(STAGES))
        if stage is not None:
            callers = draw(st.lists(st.sampled_from(codes), max_size=2, unique=True))
            progress[code] = Progress.at(stage, business_callers=tuple(callers))
    city = inventory([department(c) for c in codes], systems, catalogue, hosts)
    off = draw(st.lists(st.sampled_from(["exchange", "gateway"]), max_size=2, unique=True))
    return (_off_cluster(city, off) if off else city), progress


def _world(
    city: tuple[model.Inventory, dict[str, Progress]],
) -> tuple[desired.DesiredState, flows.FlowMatrix, netpol_world.Census, list[netpol_world.Actor]]:
    inv, progress = city
    configured = Settings()
    state = desired.desired_state(inv, progress, configured)
    census = netpol_world.Census(inv, progress, configured)
    return state, flows.compute_flow_matrix(inv, progress), census, netpol_world.actors(state, census)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cities())
def test_policies_allow_a_connection_in_the_whole_world_iff_the_flow_matrix_does(
    city: tuple[model.Inventory, dict[str, Progress]],
) -> None:
    state, matrix, census, world = _world(city)
    placed = {a.system for a in world if a.system is not None}
    assert placed == census.on_cluster  # the render places exactly the systems the census puts there
    ports = netpol_world.probe_ports(matrix, city[0])
    wrong = list(netpol_world.mismatches(state, matrix, census, world, ports))
    assert not wrong, "\n".join(wrong[:20])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cities())
def test_a_restricted_port_is_never_reachable_from_another_department(
    city: tuple[model.Inventory, dict[str, Progress]],
) -> None:
    state, _, census, world = _world(city)
    # the programme's own checks accept what is rendered (the restricted rule's ipBlocks are the own zone's)
    manifests = state.all()
    assert [v for m in manifests for v in policies.resource_violations(m)] + policies.stack_violations(manifests) == []
    cluster = netpol_world.cluster_of(state)
    restricted = flows.RESTRICTED_PORT.port
    for target in world:
        if target.system is None or not isinstance(target.endpoint, netpol_eval.Pod):
            continue
        if (restricted, "TCP") not in target.endpoint.named_ports.values():
            continue
        owner = census.inventory.system_by_code[target.system].department
        own_ranges = census.zone_ranges(f"DZ-{owner}")
        for source in world:
            if source is target:
                continue
            if isinstance(source.endpoint, netpol_eval.Pod):
                own = census.inventory.department_by_code.get(owner) is not None and (
                    source.endpoint.namespace == desired.department_namespace(owner)
                )
            else:
                own = any(source.endpoint.ip in r for r in own_ranges)
            if not own:
                assert not cluster.allows(source.endpoint, target.endpoint, restricted), f"{source.name} reaches it"


# --- the evaluator itself, on hand-made cases ----------------------------------------------------------------


def _policy(namespace: str, selector: dict[str, Any], types: list[str], **rules: Any) -> dict[str, Any]:
    return {
        "kind": "NetworkPolicy",
        "metadata": {"name": "p", "namespace": namespace},
        "spec": {"podSelector": selector, "policyTypes": types, **rules},
    }


A = netpol_eval.Pod("a", "web", {"app": "web"}, ipaddress.IPv4Address("10.244.0.1"), {"http": 8080})
B = netpol_eval.Pod("b", "db", {"app": "db"}, ipaddress.IPv4Address("10.244.0.2"), {"sql": 5432})


def test_evaluator_without_policies_allows_everything() -> None:
    assert netpol_eval.Cluster({"a": {}, "b": {}}, []).allows(A, B, 5432)


def test_evaluator_isolates_a_selected_pod_and_adds_up_policies() -> None:
    deny = _policy("b", {}, ["Ingress"])
    allow = _policy(
        "b",
        {"matchLabels": {"app": "db"}},
        ["Ingress"],
        ingress=[{"from": [{"namespaceSelector": {"matchLabels": {"team": "x"}}}], "ports": [{"port": "sql"}]}],
    )
    assert not netpol_eval.Cluster({"a": {"team": "x"}, "b": {}}, [deny]).allows(A, B, 5432)
    cluster = netpol_eval.Cluster({"a": {"team": "x"}, "b": {}}, [deny, allow])
    assert cluster.allows(A, B, 5432)
    assert not cluster.allows(A, B, 5433)
    assert not netpol_eval.Cluster({"a": {"team": "y"}, "b": {}}, [deny, allow]).allows(A, B, 5432)


def test_evaluator_needs_both_the_source_egress_and_the_destination_ingress() -> None:
    egress_deny = _policy("a", {}, ["Egress"])
    assert not netpol_eval.Cluster({"a": {}, "b": {}}, [egress_deny]).allows(A, B, 5432)
    egress_allow = _policy(
        "a",
        {},
        ["Egress"],
        egress=[{"to": [{"podSelector": {"matchLabels": {"app": "db"}}}], "ports": [{"port": 5432}]}],
    )
    # a podSelector alone means the policy's own namespace: db lives in b, so it does not match
    assert not netpol_eval.Cluster({"a": {}, "b": {}}, [egress_allow]).allows(A, B, 5432)
    egress_allow["spec"]["egress"][0]["to"][0]["namespaceSelector"] = {
        "matchLabels": {"kubernetes.io/metadata.name": "b"}
    }
    assert netpol_eval.Cluster({"a": {}, "b": {}}, [egress_allow]).allows(A, B, 5432)


def test_evaluator_ip_blocks_match_addresses_outside_their_exceptions() -> None:
    policy = _policy(
        "b", {}, ["Ingress"], ingress=[{"from": [{"ipBlock": {"cidr": "10.244.0.0/16", "except": ["10.244.0.0/24"]}}]}]
    )
    cluster = netpol_eval.Cluster({"a": {}, "b": {}}, [policy])
    assert not cluster.allows(A, B, 5432)
    assert cluster.allows(netpol_eval.Pod("a", "x", {}, ipaddress.IPv4Address("10.244.9.9")), B, 5432)


def test_evaluator_port_ranges_and_protocols() -> None:
    policy = _policy("b", {}, ["Ingress"], ingress=[{"ports": [{"protocol": "UDP", "port": 5000, "endPort": 6000}]}])
    cluster = netpol_eval.Cluster({"a": {}, "b": {}}, [policy])
    assert cluster.allows(A, B, 5432, "UDP")
    assert not cluster.allows(A, B, 5432, "TCP")
    assert not cluster.allows(A, B, 6001, "UDP")
