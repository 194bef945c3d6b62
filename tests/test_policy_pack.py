"""The Pulumi policy pack (stacks/policy, govcloud.cloud.edges.pulumi_policy_pack) without the Pulumi CLI.

The policies are called the way the analyzer calls them: resources as pulumi-policy ``PolicyResource`` objects
whose props are the analyzer's unknown-checking proxies over engine-shaped values (every number a float). Each
violation the pack exists for is planted in otherwise good objects and must be reported, by the policy of that
name, against the offending resource's URN; the bundled inventory's objects must pass every policy.

One test (marked ANALYZER ROUND TRIP below) starts the real pack with ``python -m pulumi.policy``, as the CLI
would, talks to it over gRPC on loopback and kills it.
"""

from __future__ import annotations

import copy
import os
import select
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy import PolicyCustomTimeouts, PolicyResource, PolicyResourceOptions, StackValidationArgs
from pulumi_policy.proxy import unknown_checking_proxy

from govcloud.cloud.core import desired, policies
from govcloud.cloud.edges import pulumi_policy_pack, pulumi_program
from govcloud.edges import inventory_files
from govcloud.planning.core import stages
from govcloud.planning.edges import plan_progress

ROOT = Path(__file__).resolve().parents[1]
BUNDLED_INVENTORY = ROOT / "inventory"
PACK_DIR = ROOT / "stacks" / "policy"
Manifest = dict[str, Any]
OPTS = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)


# --- resources as the analyzer hands them over ----------------------------------------------------------------


def type_token(manifest: Mapping[str, Any]) -> str:
    api_version, kind = str(manifest["apiVersion"]), str(manifest["kind"])
    group, _, version = api_version.rpartition("/")
    return f"kubernetes:{group or 'core'}/{version}:{kind}"


def urn_of(manifest: Mapping[str, Any]) -> str:
    token = type_token(manifest)
    return f"urn:pulumi:dev::govcloud-departments::{pulumi_program.COMPONENT_TYPE}${token}::" + (
        pulumi_program.resource_name(manifest)
    )


def engine_values(value: Any) -> Any:
    """What the engine sends: every number a float."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, Mapping):
        return {k: engine_values(v) for k, v in value.items()}
    return [engine_values(v) for v in value]


def policy_resource(manifest: Mapping[str, Any]) -> PolicyResource:
    props = unknown_checking_proxy(engine_values(manifest))
    return PolicyResource(
        type_token(manifest), props, urn_of(manifest), pulumi_program.resource_name(manifest), OPTS, None, None, [], {}
    )


def run_pack(
    manifests: list[Manifest],
    *,
    rules: policies.PlacementRules = policies.DEFAULT_RULES,
    config: Mapping[str, Any] | None = None,
    only: str | None = None,
) -> dict[str, list[tuple[str, str | None]]]:
    """Policy name → (message, urn) of every violation the pack's policies report."""
    resources = [policy_resource(m) for m in manifests]
    reported: dict[str, list[tuple[str, str | None]]] = {}
    for policy in pulumi_policy_pack.stack_policies(rules):
        if only is not None and policy.name != only:
            continue
        found = reported.setdefault(policy.name, [])

        def report(message: str, urn: str | None = None, found: list[tuple[str, str | None]] = found) -> None:
            found.append((message, urn))

        policy.validate(StackValidationArgs(resources, config), report)
    return reported


# --- good objects to plant violations in ------------------------------------------------------------------------


def _everything_moved(inventory_dir: Path) -> tuple[Manifest, ...]:
    """The bundled inventory with every system the MLPS rules allow at the business stage."""
    inventory = inventory_files.load_inventory(inventory_dir).inventory
    placed = [s for s in inventory.systems if s.cloud is not None and not s.classified and (s.mlps_level or 0) <= 3]
    progress = {s.code: stages.Progress.at(stages.Stage.BUSINESS, business_callers=("GAJ", "MZJ")) for s in placed}
    state = desired.desired_state(inventory, progress, pulumi_program.load_settings(inventory_dir))
    return state.all()


@pytest.fixture(scope="module")
def moved() -> tuple[Manifest, ...]:
    return _everything_moved(BUNDLED_INVENTORY)


@pytest.fixture
def baseline(moved: tuple[Manifest, ...]) -> list[Manifest]:
    """A few departments' objects (with 不予共享 data, a level-3 system, GAJ and MZJ), deep-copied for mutation."""
    restricted = {m["metadata"]["namespace"] for m in moved if _label(m, desired.SHARING_LABEL)}
    level3 = {
        m["metadata"]["namespace"] for m in moved if m["kind"] == "Deployment" and _label(m, desired.MLPS_LABEL) == "3"
    }
    wanted = {sorted(restricted)[0], sorted(level3)[0], "d-gaj", "d-mzj", *desired.PLATFORM_NAMESPACES.values()}
    departments = {_label(m, desired.DEPARTMENT_LABEL) for m in moved if m["metadata"].get("namespace") in wanted}
    chosen = [
        m
        for m in moved
        if m["kind"] == "GatewayClass"
        or m["metadata"].get("namespace", m["metadata"]["name"]) in wanted
        or (_label(m, desired.DEPARTMENT_LABEL) in departments)
    ]
    return copy.deepcopy(chosen)


def _label(manifest: Mapping[str, Any], key: str) -> Any:
    return (manifest["metadata"].get("labels") or {}).get(key)


def _first(manifests: list[Manifest], predicate: Callable[[Manifest], bool]) -> Manifest:
    return next(m for m in manifests if predicate(m))


def _workload(manifests: list[Manifest], level: str | None = None) -> Manifest:
    return _first(
        manifests,
        lambda m: (
            m["kind"] in {"Deployment", "StatefulSet"} and (level is None or _label(m, desired.MLPS_LABEL) == level)
        ),
    )


def _container(workload: Manifest) -> dict[str, Any]:
    container: dict[str, Any] = workload["spec"]["template"]["spec"]["containers"][0]
    return container


# --- one planted violation per rule (named, reusable cases) -------------------------------------------------------

Plant = Callable[[list[Manifest]], Manifest]
"""Breaks one rule in the objects (in place) and returns the object the violation must be reported on."""


def _restricted_rule_opened_to_an_ip_block(objects: list[Manifest]) -> Manifest:
    policy = _first(objects, lambda m: m["kind"] == "NetworkPolicy" and _label(m, desired.SHARING_LABEL))
    policy["spec"]["ingress"][0]["from"].append({"ipBlock": {"cidr": "10.0.0.0/8"}})
    return policy


def _restricted_rule_opened_to_another_department(objects: list[Manifest]) -> Manifest:
    policy = _first(objects, lambda m: m["kind"] == "NetworkPolicy" and _label(m, desired.SHARING_LABEL))
    policy["metadata"]["labels"].pop(desired.SHARING_LABEL)  # only the cross-object check can catch it now
    policy["spec"]["ingress"][0]["from"] = [{"namespaceSelector": {"matchLabels": {desired.DEPARTMENT_LABEL: "ZZZ"}}}]
    return policy


def _route_to_restricted_service(objects: list[Manifest]) -> Manifest:
    service = _first(objects, lambda m: m["kind"] == "Service" and _label(m, desired.SHARING_LABEL))
    route = _first(
        objects, lambda m: m["kind"] == "HTTPRoute" and m["metadata"]["namespace"] == service["metadata"]["namespace"]
    )
    route["spec"]["rules"][0]["backendRefs"][0]["name"] = service["metadata"]["name"]
    return route


def _load_balancer_in_a_dedicated_zone(objects: list[Manifest]) -> Manifest:
    service = _first(objects, lambda m: m["kind"] == "Service" and _label(m, desired.ZONE_KIND_LABEL) == "dedicated")
    service["spec"]["type"] = "LoadBalancer"
    return service


def _public_route_outside_the_internet_zone(objects: list[Manifest]) -> Manifest:
    route = _first(
        objects,
        lambda m: (
            m["kind"] == "HTTPRoute"
            and m["spec"]["parentRefs"][0]["name"] == desired.COLLABORATION_GATEWAY
            and m["metadata"]["namespace"].startswith("d-")
        ),
    )
    route["spec"]["parentRefs"] = [{"namespace": "govcloud-ingress", "name": desired.PUBLIC_GATEWAY}]
    return route


def _placeholder_image(objects: list[Manifest]) -> Manifest:
    workload = _workload(objects)
    _container(workload)["image"] = "registry.egov.internal/aaa/aaa-001:placeholder"
    return workload


def _tag_without_digest(objects: list[Manifest]) -> Manifest:
    workload = _workload(objects)
    _container(workload)["image"] = "registry.egov.internal/aaa/aaa-001:1.2.3"
    return workload


def _rehearsal_mark(objects: list[Manifest]) -> Manifest:
    namespace = _first(objects, lambda m: m["kind"] == "Namespace")
    namespace["metadata"].setdefault("annotations", {})[desired.NOT_DEPLOYABLE_ANNOTATION] = "rehearsal"
    return namespace


def _no_readiness_probe(objects: list[Manifest]) -> Manifest:
    workload = _workload(objects)
    del _container(workload)["readinessProbe"]
    return workload


def _no_limits(objects: list[Manifest]) -> Manifest:
    workload = _workload(objects)
    del _container(workload)["resources"]["limits"]
    return workload


def _runs_as_root(objects: list[Manifest]) -> Manifest:
    workload = _workload(objects)
    _container(workload)["securityContext"]["runAsNonRoot"] = False
    return workload


def _writable_root(objects: list[Manifest]) -> Manifest:
    workload = _first(
        objects, lambda m: m["kind"] in {"Deployment", "StatefulSet"} and not _label(m, desired.WRITABLE_ROOT_LABEL)
    )
    _container(workload)["securityContext"]["readOnlyRootFilesystem"] = False
    return workload


def _privileged(objects: list[Manifest]) -> Manifest:
    workload = _workload(objects)
    _container(workload)["securityContext"]["privileged"] = True
    return workload


def _level3_off_its_pool(objects: list[Manifest]) -> Manifest:
    workload = _workload(objects, level="3")
    del workload["spec"]["template"]["spec"]["nodeSelector"]
    return workload


def _cluster_wide_department_binding(objects: list[Manifest]) -> Manifest:
    binding = _first(objects, lambda m: m["kind"] == "RoleBinding")
    cluster_binding = copy.deepcopy(binding)
    cluster_binding["kind"] = "ClusterRoleBinding"
    del cluster_binding["metadata"]["namespace"]
    cluster_binding["roleRef"]["kind"] = "ClusterRole"
    objects.append(cluster_binding)
    return cluster_binding


def _binding_in_another_department(objects: list[Manifest]) -> Manifest:
    bindings = [m for m in objects if m["kind"] == "RoleBinding"]
    first = bindings[0]
    other = next(b for b in bindings if _label(b, desired.DEPARTMENT_LABEL) != _label(first, desired.DEPARTMENT_LABEL))
    first["metadata"]["namespace"] = other["metadata"]["namespace"]
    return first


def _no_default_deny(objects: list[Manifest]) -> Manifest:
    deny = _first(objects, lambda m: m["kind"] == "NetworkPolicy" and m["metadata"]["name"] == "default-deny")
    objects.remove(deny)
    return _first(
        objects, lambda m: m["kind"] == "Namespace" and m["metadata"]["name"] == deny["metadata"]["namespace"]
    )


VIOLATIONS: dict[str, tuple[str, Plant]] = {
    "restricted-port-open-to-an-ip-block": (policies.RESTRICTED_DATA, _restricted_rule_opened_to_an_ip_block),
    "restricted-pods-reachable-from-another-department": (
        policies.RESTRICTED_DATA,
        _restricted_rule_opened_to_another_department,
    ),
    "route-to-a-restricted-service": (policies.RESTRICTED_DATA, _route_to_restricted_service),
    "load-balancer-in-a-dedicated-zone": (policies.PUBLIC_INGRESS, _load_balancer_in_a_dedicated_zone),
    "public-route-outside-the-internet-zone": (policies.PUBLIC_INGRESS, _public_route_outside_the_internet_zone),
    "placeholder-image": (policies.IMAGE_PINNED, _placeholder_image),
    "image-tag-without-digest": (policies.IMAGE_PINNED, _tag_without_digest),
    "object-of-a-rehearsal-render": (policies.IMAGE_PINNED, _rehearsal_mark),
    "container-without-readiness-probe": (policies.PROBES, _no_readiness_probe),
    "container-without-limits": (policies.RESOURCES, _no_limits),
    "container-as-root": (policies.NON_ROOT, _runs_as_root),
    "container-with-writable-root": (policies.READ_ONLY_ROOT, _writable_root),
    "privileged-container": (policies.PRIVILEGE, _privileged),
    "level-3-off-its-node-pool": (policies.MLPS_PLACEMENT, _level3_off_its_pool),
    "cluster-wide-department-binding": (policies.RBAC_SCOPE, _cluster_wide_department_binding),
    "binding-in-another-departments-namespace": (policies.RBAC_SCOPE, _binding_in_another_department),
    "namespace-without-default-deny": (policies.DEFAULT_DENY, _no_default_deny),
}


# --- the tests ---------------------------------------------------------------------------------------------------


def test_the_pack_has_one_policy_per_core_rule_and_a_planted_case_for_each() -> None:
    pack = pulumi_policy_pack.stack_policies()
    assert [p.name for p in pack] == [info.name for info in policies.POLICIES]
    assert [p.description for p in pack] == [info.description for info in policies.POLICIES]
    assert {policy for policy, _ in VIOLATIONS.values()} == {info.name for info in policies.POLICIES}


def test_the_baseline_passes_every_policy(baseline: list[Manifest]) -> None:
    assert {m["kind"] for m in baseline} >= {"Deployment", "Service", "HTTPRoute", "NetworkPolicy", "RoleBinding"}
    reported = run_pack(baseline)
    assert {name: found for name, found in reported.items() if found} == {}


@pytest.mark.parametrize("case", list(VIOLATIONS), ids=list(VIOLATIONS))
def test_each_policy_rejects_the_violation_it_exists_for(baseline: list[Manifest], case: str) -> None:
    policy, plant = VIOLATIONS[case]
    offender = plant(baseline)
    reported = run_pack(baseline, only=policy)[policy]
    assert reported, f"{policy} let {case} through"
    assert urn_of(offender) in {urn for _, urn in reported}, reported
    assert all(
        message.startswith(desired.qualified_name(offender)) for message, urn in reported if urn == urn_of(offender)
    )


def test_the_bundled_inventory_passes_every_policy(moved: tuple[Manifest, ...]) -> None:
    """The bundled inventory, with its plans and with every allowed system moved all the way: no violation."""
    inventory = inventory_files.load_inventory(BUNDLED_INVENTORY).inventory
    as_planned = desired.desired_state(
        inventory,
        plan_progress.load_progress(ROOT / "migrations_plan", inventory=inventory),
        pulumi_program.load_settings(BUNDLED_INVENTORY),
    ).all()
    for manifests in (list(as_planned), list(moved)):
        reported = run_pack(manifests)
        assert {name: found[:3] for name, found in reported.items() if found} == {}
    assert len(moved) > 1000


def test_placement_defaults_come_from_settings_and_pack_config_overrides_them(baseline: list[Manifest]) -> None:
    workload = _workload(baseline, level="3")
    spec = workload["spec"]["template"]["spec"]
    spec["nodeSelector"] = {desired.NODE_POOL_LABEL: "secure4"}
    spec["tolerations"][0]["value"] = "secure4"
    assert run_pack(baseline, only=policies.MLPS_PLACEMENT)[policies.MLPS_PLACEMENT]
    declared = policies.PlacementRules(dedicated_pools=frozenset({"secure4"}))
    assert run_pack(baseline, rules=declared, only=policies.MLPS_PLACEMENT)[policies.MLPS_PLACEMENT] == []
    config = {pulumi_policy_pack.CONFIG_DEDICATED_POOLS: ["secure4"]}
    assert run_pack(baseline, config=config, only=policies.MLPS_PLACEMENT)[policies.MLPS_PLACEMENT] == []


def test_only_kubernetes_objects_are_checked_and_floats_become_ints() -> None:
    assert pulumi_policy_pack.api_version_of("kubernetes:core/v1:Namespace") == ("v1", "Namespace")
    assert pulumi_policy_pack.api_version_of("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute") == (
        "gateway.networking.k8s.io/v1",
        "HTTPRoute",
    )
    assert pulumi_policy_pack.api_version_of("pulumi:providers:kubernetes") is None
    assert pulumi_policy_pack.api_version_of(pulumi_program.COMPONENT_TYPE) is None
    assert pulumi_policy_pack.api_version_of("kubernetes:yaml:ConfigFile") is None
    props = unknown_checking_proxy({"spec": {"replicas": 2.0, "ratio": 0.5, "ports": [{"port": 8444.0}]}})
    manifest = pulumi_policy_pack.manifest_of("kubernetes:apps/v1:Deployment", props)
    assert manifest == {
        "spec": {"replicas": 2, "ratio": 0.5, "ports": [{"port": 8444}]},
        "apiVersion": "apps/v1",
        "kind": "Deployment",
    }
    assert type(manifest["spec"]["replicas"]) is int


# --- ANALYZER ROUND TRIP: the real pack process over gRPC on loopback (starts and kills a subprocess) ---------------


@pytest.fixture
def analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    """``python -m pulumi.policy`` on stacks/policy, as the CLI starts it; its first stdout line is its port."""
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", str(PACK_DIR)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "GOVCLOUD_INVENTORY": str(BUNDLED_INVENTORY)},
    )
    channel: grpc.Channel | None = None
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 60)
        line = process.stdout.readline() if ready else ""
        if not line.strip().isdigit():
            process.kill()
            _, stderr = process.communicate(timeout=10)
            pytest.fail(f"the policy pack did not start (stdout {line!r}): {stderr[-2000:]}")
        channel = grpc.insecure_channel(f"127.0.0.1:{int(line)}")
        grpc.channel_ready_future(channel).result(timeout=20)
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        if channel is not None:
            channel.close()
        process.kill()
        process.wait(timeout=10)


def _analyzer_resource(manifest: Manifest) -> analyzer_pb2.AnalyzerResource:
    properties = struct_pb2.Struct()
    properties.update(manifest)
    return analyzer_pb2.AnalyzerResource(
        type=type_token(manifest),
        properties=properties,
        urn=urn_of(manifest),
        name=pulumi_program.resource_name(manifest),
    )


def test_analyzer_round_trip_reports_a_mandatory_violation_for_a_bad_resource_only(
    analyzer: analyzer_pb2_grpc.AnalyzerStub, moved: tuple[Manifest, ...]
) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == pulumi_policy_pack.PACK_NAME
    assert [p.name for p in info.policies] == [i.name for i in policies.POLICIES]
    assert {p.enforcementLevel for p in info.policies} == {analyzer_pb2.MANDATORY}

    good = copy.deepcopy(next(m for m in moved if m["kind"] == "Deployment"))
    response = analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=[_analyzer_resource(good)]))
    assert list(response.diagnostics) == []

    bad = copy.deepcopy(good)
    _container(bad)["securityContext"]["runAsNonRoot"] = False
    response = analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=[_analyzer_resource(bad)]))
    found = [(d.policyName, d.urn, d.enforcementLevel) for d in response.diagnostics]
    assert found == [(policies.NON_ROOT, urn_of(bad), analyzer_pb2.MANDATORY)]
    assert "runAsNonRoot" in response.diagnostics[0].message
