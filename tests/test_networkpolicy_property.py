"""Property: the rendered NetworkPolicies allow a flow between two pods if and only if the flow matrix does.

Random small cities (departments, systems placed in their own zone or the Internet access zone, dependencies,
catalogue entries of every sharing type) at random stages are rendered; a pure evaluator of Kubernetes
NetworkPolicy semantics (:mod:`govcloud.cloud.core.netpol_eval`) then decides, for every ordered pair of pods
(systems' and the platform's) and every port any flow uses, whether a connection passes, and that must be
exactly :meth:`FlowMatrix.allows`. A 不予共享 (restricted) port must never be reachable from another
department.
"""

from __future__ import annotations

import ipaddress
import itertools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govcloud.cloud.core import desired, netpol_eval
from govcloud.core import model
from govcloud.core.settings import Settings
from govcloud.network.core import flows
from govcloud.planning.core.stages import Progress, Stage
from test_desired import department, entry, inventory, system

PORTS = (("http", 8080), ("grpc", 9090), ("api", 8000))
SHARING = tuple(model.SharingType)
STAGES = (None, Stage.NETWORK, Stage.DATA, Stage.BUSINESS)


@st.composite
def cities(draw: st.DrawFn) -> tuple[model.Inventory, dict[str, Progress]]:
    codes = draw(st.lists(st.sampled_from(["AAA", "BBB", "CCC"]), min_size=1, max_size=3, unique=True))
    system_codes: list[str] = []
    for code in sorted(codes):
        count = draw(st.integers(min_value=1, max_value=3))
        system_codes += [f"{code}-{i:03d}" for i in range(1, count + 1)]
    systems = []
    catalogue = []
    for index, code in enumerate(system_codes):
        ports = draw(st.lists(st.sampled_from(PORTS), min_size=0, max_size=2, unique=True))
        zone = draw(st.sampled_from(["own", "own", "INET", None]))
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
        for k, sharing in enumerate(draw(st.lists(st.sampled_from(SHARING), max_size=2))):
            catalogue.append(entry(f"3001{index:02d}/{k + 1:04d}", code, sharing))
    progress: dict[str, Progress] = {}
    for code in system_codes:
        stage = draw(st.sampled_from(STAGES))
        if stage is not None:
            callers = draw(st.lists(st.sampled_from(codes), max_size=2, unique=True))
            progress[code] = Progress(stage, business_callers=tuple(callers))
    return inventory([department(c) for c in sorted(codes)], systems, catalogue), progress


def pods_of(state: desired.DesiredState) -> list[tuple[netpol_eval.Pod, flows.Endpoint]]:
    pods: list[tuple[netpol_eval.Pod, flows.Endpoint]] = []
    addresses = (ipaddress.IPv4Address("10.244.0.10") + i for i in itertools.count())
    for manifest in state.all():
        if manifest["kind"] in ("Deployment", "StatefulSet"):
            template = manifest["spec"]["template"]
            labels = template["metadata"]["labels"]
            ports = {p["name"]: p["containerPort"] for p in template["spec"]["containers"][0].get("ports", ())}
            pod = netpol_eval.Pod(
                manifest["metadata"]["namespace"], manifest["metadata"]["name"], labels, next(addresses), ports
            )
            pods.append((pod, flows.system_endpoint(labels[desired.SYSTEM_LABEL])))
    for name in flows.PLATFORM_SERVICES:
        pod = netpol_eval.Pod(desired.PLATFORM_NAMESPACES[name], name, {desired.PLATFORM_LABEL: name}, next(addresses))
        pods.append((pod, flows.platform_endpoint(name)))
    return pods


def cluster_of(state: desired.DesiredState) -> netpol_eval.Cluster:
    namespaces = {m["metadata"]["name"]: m["metadata"]["labels"] for m in state.all() if m["kind"] == "Namespace"}
    return netpol_eval.Cluster(namespaces, [m for m in state.all() if m["kind"] == "NetworkPolicy"])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cities())
def test_policies_allow_a_flow_between_two_pods_iff_the_flow_matrix_does(
    city: tuple[model.Inventory, dict[str, Progress]],
) -> None:
    inv, progress = city
    state = desired.desired_state(inv, progress, Settings())
    matrix = flows.compute_flow_matrix(inv, progress)
    cluster = cluster_of(state)
    ports = {(f.port, f.protocol.value) for f in matrix.flows} | {(12345, "TCP"), (53, "UDP")}
    pods = pods_of(state)
    for (source, from_), (target, to) in itertools.permutations(pods, 2):
        for port, protocol in sorted(ports):
            expected = matrix.allows(from_, to, port, model.Protocol(protocol))
            actual = cluster.allows(source, target, port, protocol)
            assert actual == expected, f"{from_} -> {to}:{port}/{protocol}: policies {actual}, matrix {expected}"


@settings(max_examples=60, deadline=None)
@given(cities())
def test_a_restricted_port_is_never_reachable_from_another_department(
    city: tuple[model.Inventory, dict[str, Progress]],
) -> None:
    inv, progress = city
    state = desired.desired_state(inv, progress, Settings())
    cluster = cluster_of(state)
    pods = pods_of(state)
    restricted = flows.RESTRICTED_PORT.port
    for target, _ in pods:
        if restricted not in target.named_ports.values():
            continue
        owner = target.labels[desired.DEPARTMENT_LABEL]
        for source, _ in pods:
            if source.labels.get(desired.DEPARTMENT_LABEL) != owner:
                assert not cluster.allows(source, target, restricted), f"{source.name} reaches {target.name}"
        outside = netpol_eval.Pod("elsewhere", "x", {}, ipaddress.IPv4Address("203.0.113.7"))
        assert not cluster.allows(outside, target, restricted)


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
