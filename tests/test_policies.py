"""Each policy rejects the violation it exists for and accepts the compliant object, from the manifests alone."""

from __future__ import annotations

import copy
import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest

from govcloud.cloud.core import desired, policies
from govcloud.core.settings import Settings
from test_desired import sample_city

Manifest = dict[str, Any]


@pytest.fixture(scope="module")
def baseline() -> tuple[Manifest, ...]:
    inv, progress = sample_city()
    return desired.desired_state(inv, progress, Settings()).all()


@pytest.fixture
def stack(baseline: tuple[Manifest, ...]) -> list[Manifest]:
    return copy.deepcopy(list(baseline))


def find(stack: Sequence[Manifest], kind: str, name: str, namespace: str | None = None) -> Manifest:
    return next(
        m
        for m in stack
        if m["kind"] == kind and m["metadata"]["name"] == name and m["metadata"].get("namespace") == namespace
    )


def all_violations(
    stack: Sequence[Mapping[str, Any]], rules: policies.PlacementRules = policies.DEFAULT_RULES
) -> list[policies.Violation]:
    found = [v for m in stack for v in policies.resource_violations(m, rules=rules)]
    return found + policies.stack_violations(stack)


def of(policy: str, stack: Sequence[Mapping[str, Any]], **kwargs: Any) -> list[policies.Violation]:
    return [v for v in all_violations(stack, **kwargs) if v.policy == policy]


def test_the_rendered_sample_city_breaks_no_policy(stack: list[Manifest]) -> None:
    assert all_violations(stack) == []


def test_policy_names_are_unique_and_described() -> None:
    names = [p.name for p in policies.POLICIES]
    assert len(names) == len(set(names))
    assert all(p.description for p in policies.POLICIES)


def test_proxy_mappings_and_sequences_are_read_like_dicts_and_lists(stack: list[Manifest]) -> None:
    def freeze(value: Any) -> Any:
        if isinstance(value, dict):
            return types.MappingProxyType({k: freeze(v) for k, v in value.items()})
        if isinstance(value, list):
            return tuple(freeze(v) for v in value)
        return value

    find(stack, "Deployment", "aaa-001", "d-aaa")["spec"]["template"]["spec"]["containers"][0]["resources"].pop(
        "limits"
    )
    frozen = tuple(freeze(m) for m in stack)
    assert (
        [v.policy for v in all_violations(frozen)] == [v.policy for v in all_violations(stack)] == [policies.RESOURCES]
    )


# --- no path to a 不予共享 entry's service from outside its department -------------------------------------


def test_restricted_rule_open_to_another_department_is_rejected(stack: list[Manifest]) -> None:
    rule = find(stack, "NetworkPolicy", "aaa-001-restricted", "d-aaa")["spec"]["ingress"][0]
    rule["from"].append({"namespaceSelector": {"matchLabels": {desired.DEPARTMENT_LABEL: "BBB"}}})
    found = of(policies.RESTRICTED_DATA, stack)
    assert found
    assert {v.object for v in found} == {"NetworkPolicy/d-aaa/aaa-001-restricted"}
    assert "department BBB" in found[0].message


@pytest.mark.parametrize(
    ("peer", "why"),
    [
        ({"ipBlock": {"cidr": "10.80.1.0/24"}}, "ipBlock"),
        ({"namespaceSelector": {}}, "any"),
        ({"namespaceSelector": {"matchLabels": {desired.ZONE_KIND_LABEL: "dedicated"}}}, "any"),
    ],
    ids=["ip-block", "every-namespace", "every-dedicated-zone"],
)
def test_restricted_rule_with_a_peer_outside_the_department_is_rejected(
    stack: list[Manifest], peer: Manifest, why: str
) -> None:
    find(stack, "NetworkPolicy", "aaa-001-restricted", "d-aaa")["spec"]["ingress"][0]["from"] = [peer]
    found = of(policies.RESTRICTED_DATA, stack)
    assert found
    assert why in found[0].message


@pytest.mark.parametrize(
    "cidr",
    ["10.80.0.0/16", "0.0.0.0/0", "10.80.0.0/23", "10.63.0.0/24"],
    ids=["the-whole-extranet-block", "everything", "own-zone-and-the-next", "the-management-network"],
)
def test_restricted_rule_with_an_ip_block_wider_than_the_own_zone_is_rejected(stack: list[Manifest], cidr: str) -> None:
    find(stack, "NetworkPolicy", "aaa-001-restricted", "d-aaa")["spec"]["ingress"][0]["from"].append(
        {"ipBlock": {"cidr": cidr}}
    )
    found = of(policies.RESTRICTED_DATA, stack)
    assert [v.object for v in found] == ["NetworkPolicy/d-aaa/aaa-001-restricted"]
    assert "ipBlock" in found[0].message


def test_restricted_rule_may_admit_the_own_zone_s_addresses_as_its_namespace_states_them(
    stack: list[Manifest],
) -> None:
    rule = find(stack, "NetworkPolicy", "aaa-001-restricted", "d-aaa")["spec"]["ingress"][0]
    assert {"ipBlock": {"cidr": "10.80.0.0/24"}} in rule["from"]  # the staff of DZ-AAA, as rendered
    rule["from"].append({"ipBlock": {"cidr": "10.80.0.77/32"}})  # one server of the zone: still inside
    assert of(policies.RESTRICTED_DATA, stack) == []
    # the ranges come from the department's Namespace: change them there and the same block is outside
    namespace = find(stack, "Namespace", "d-aaa")
    assert namespace["metadata"]["annotations"][desired.ZONE_RANGES_ANNOTATION] == "10.80.0.0/24"
    namespace["metadata"]["annotations"][desired.ZONE_RANGES_ANNOTATION] = "10.81.0.0/24"
    assert of(policies.RESTRICTED_DATA, stack)
    # and without the annotation no ipBlock can be proven the department's
    del namespace["metadata"]["annotations"][desired.ZONE_RANGES_ANNOTATION]
    assert of(policies.RESTRICTED_DATA, stack)


def test_restricted_rule_ranges_are_not_taken_from_another_department_s_namespace(stack: list[Manifest]) -> None:
    rule = find(stack, "NetworkPolicy", "aaa-001-restricted", "d-aaa")["spec"]["ingress"][0]
    other = find(stack, "Namespace", "d-bbb")["metadata"]["annotations"][desired.ZONE_RANGES_ANNOTATION]
    rule["from"].append({"ipBlock": {"cidr": other}})
    assert of(policies.RESTRICTED_DATA, stack)


def test_restricted_rule_without_sources_admits_everyone_and_is_rejected(stack: list[Manifest]) -> None:
    del find(stack, "NetworkPolicy", "aaa-001-restricted", "d-aaa")["spec"]["ingress"][0]["from"]
    assert "admits every source" in of(policies.RESTRICTED_DATA, stack)[0].message


def test_an_unlabelled_policy_opening_the_restricted_port_is_caught_across_objects(stack: list[Manifest]) -> None:
    extra = copy.deepcopy(find(stack, "NetworkPolicy", "aaa-001-ingress", "d-aaa"))
    extra["metadata"]["name"] = "sneaky"
    extra["spec"]["ingress"] = [
        {
            "from": [{"namespaceSelector": {"matchLabels": {desired.DEPARTMENT_LABEL: "CCC"}}}],
            "ports": [{"protocol": "TCP", "port": 8444}],
        }
    ]
    stack.append(extra)
    assert policies.resource_violations(extra) == []  # alone it looks harmless
    assert [v.object for v in policies.stack_violations(stack)] == ["NetworkPolicy/d-aaa/sneaky"]


def test_another_department_may_reach_the_same_pods_on_a_non_restricted_port(stack: list[Manifest]) -> None:
    extra = copy.deepcopy(find(stack, "NetworkPolicy", "aaa-001-ingress", "d-aaa"))
    extra["metadata"]["name"] = "other-port"
    extra["spec"]["ingress"] = [
        {
            "from": [{"namespaceSelector": {"matchLabels": {desired.DEPARTMENT_LABEL: "CCC"}}}],
            "ports": [{"protocol": "TCP", "port": 8080}],
        }
    ]
    stack.append(extra)
    assert of(policies.RESTRICTED_DATA, stack) == []


def test_named_port_and_port_ranges_count_as_the_restricted_port(stack: list[Manifest]) -> None:
    policy = find(stack, "NetworkPolicy", "aaa-001-ingress", "d-aaa")
    policy["spec"]["ingress"].append(
        {"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"protocol": "TCP", "port": 8400, "endPort": 8500}]}
    )
    assert of(policies.RESTRICTED_DATA, stack)
    policy["spec"]["ingress"][-1]["ports"] = [{"protocol": "TCP", "port": "restricted"}]
    assert of(policies.RESTRICTED_DATA, stack)


def test_restricted_pods_without_ingress_isolation_are_rejected(stack: list[Manifest]) -> None:
    stack[:] = [m for m in stack if not (m["kind"] == "NetworkPolicy" and m["metadata"].get("namespace") == "d-aaa")]
    found = [v for v in of(policies.RESTRICTED_DATA, stack) if "isolates" in v.message]
    assert [v.object for v in found] == ["Deployment/d-aaa/aaa-001"]


def test_a_route_to_the_restricted_service_is_rejected(stack: list[Manifest]) -> None:
    route = find(stack, "HTTPRoute", "aaa-001-gateway", "d-aaa")
    route["spec"]["rules"][0]["backendRefs"] = [{"name": "aaa-001-restricted", "port": 8444}]
    found = of(policies.RESTRICTED_DATA, stack)
    assert {v.object for v in found} == {"HTTPRoute/d-aaa/aaa-001-gateway"}


def test_an_ingress_routing_to_the_restricted_service_is_rejected(stack: list[Manifest]) -> None:
    ingress = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "aaa-001-old", "namespace": "d-aaa", "labels": {desired.ZONE_KIND_LABEL: "dedicated"}},
        "spec": {
            "ingressClassName": desired.GATEWAY_INGRESS_CLASS,
            "rules": [
                {
                    "host": "aaa-001.gateway.egov.internal",
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "aaa-001-restricted", "port": {"number": 8444}}},
                            }
                        ]
                    },
                }
            ],
        },
    }
    found = of(policies.RESTRICTED_DATA, [*stack, ingress])
    assert {v.object for v in found} == {"Ingress/d-aaa/aaa-001-old"}
    assert len(found) == 2  # the port (one object) and the Service (across objects)


def test_a_service_exposing_the_restricted_port_must_say_so_and_stay_inside(stack: list[Manifest]) -> None:
    service = find(stack, "Service", "aaa-001", "d-aaa")
    service["spec"]["ports"].append({"name": "restricted", "port": 8444, "targetPort": 8444, "protocol": "TCP"})
    assert "without" in of(policies.RESTRICTED_DATA, stack)[0].message
    restricted = find(stack, "Service", "aaa-001-restricted", "d-aaa")
    restricted["spec"]["type"] = "NodePort"
    assert any("outside the cluster" in v.message for v in of(policies.RESTRICTED_DATA, stack))


# --- no public ingress outside the Internet access zone ----------------------------------------------------


def _attach_to_public_gateway(route: Manifest, gateway: str = desired.PUBLIC_GATEWAY) -> None:
    route["spec"]["parentRefs"] = [
        {"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": "govcloud-ingress", "name": gateway}
    ]


def test_a_route_in_a_dedicated_zone_on_the_public_gateway_is_rejected(stack: list[Manifest]) -> None:
    route = find(stack, "HTTPRoute", "aaa-001-gateway", "d-aaa")
    assert of(policies.PUBLIC_INGRESS, stack) == []  # the collaboration gateway is not public
    _attach_to_public_gateway(route)
    found = of(policies.PUBLIC_INGRESS, stack)
    assert [v.object for v in found] == ["HTTPRoute/d-aaa/aaa-001-gateway"]


def test_a_route_to_a_gateway_outside_the_stack_counts_as_public_unless_it_is_the_collaboration_one(
    stack: list[Manifest],
) -> None:
    # the departments stack does not hold the platform's Gateways: the collaboration gateway is known by name
    departments_only = [m for m in stack if m["kind"] != "Gateway"]
    assert of(policies.PUBLIC_INGRESS, departments_only) == []
    _attach_to_public_gateway(find(departments_only, "HTTPRoute", "aaa-001-gateway", "d-aaa"), "elsewhere")
    assert [v.object for v in of(policies.PUBLIC_INGRESS, departments_only)] == ["HTTPRoute/d-aaa/aaa-001-gateway"]


def test_relabelling_does_not_hide_a_public_gateway_from_its_namespace(stack: list[Manifest]) -> None:
    gateway = copy.deepcopy(find(stack, "Gateway", desired.PUBLIC_GATEWAY, "govcloud-ingress"))
    gateway["metadata"]["namespace"] = "d-aaa"
    assert gateway["metadata"]["labels"][desired.ZONE_KIND_LABEL] == "internet"
    found = of(policies.PUBLIC_INGRESS, [*stack, gateway])
    assert len(found) == 1
    assert "namespace d-aaa" in found[0].message


def test_a_public_gateway_labelled_outside_the_internet_zone_is_rejected(stack: list[Manifest]) -> None:
    gateway = find(stack, "Gateway", desired.PUBLIC_GATEWAY, "govcloud-ingress")
    gateway["metadata"]["labels"][desired.ZONE_KIND_LABEL] = "public"
    assert [v.object for v in of(policies.PUBLIC_INGRESS, stack)] == ["Gateway/govcloud-ingress/internet"]


def test_the_public_route_in_the_internet_access_zone_is_accepted(stack: list[Manifest]) -> None:
    public = find(stack, "HTTPRoute", "aaa-002-public", "d-aaa-inet")
    assert public["spec"]["parentRefs"][0]["namespace"] == "govcloud-ingress"
    assert of(policies.PUBLIC_INGRESS, stack) == []


@pytest.mark.parametrize("service_type", ["LoadBalancer", "NodePort"])
def test_load_balancer_or_node_port_services_only_in_the_internet_access_zone(
    stack: list[Manifest], service_type: str
) -> None:
    find(stack, "Service", "aaa-002", "d-aaa-inet")["spec"]["type"] = service_type
    assert of(policies.PUBLIC_INGRESS, stack) == []
    find(stack, "Service", "aaa-001", "d-aaa")["spec"]["type"] = service_type
    assert {v.object for v in of(policies.PUBLIC_INGRESS, stack)} == {"Service/d-aaa/aaa-001"}


def test_gateway_api_public_gateway_and_its_routes_only_in_the_internet_access_zone(stack: list[Manifest]) -> None:
    def gateway(namespace: str, zone_kind: str) -> Manifest:
        return {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "Gateway",
            "metadata": {"name": "public", "namespace": namespace, "labels": {desired.ZONE_KIND_LABEL: zone_kind}},
            "spec": {
                "gatewayClassName": "internet",
                "listeners": [{"name": "https", "port": 443, "protocol": "HTTPS"}],
            },
        }

    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "aaa-001", "namespace": "d-aaa", "labels": {}},
        "spec": {
            "parentRefs": [{"name": "public", "namespace": "govcloud-ingress"}],
            "rules": [{"backendRefs": [{"name": "aaa-001", "port": 8080}]}],
        },
    }
    accepted = [*stack, gateway("govcloud-ingress", "internet")]
    assert of(policies.PUBLIC_INGRESS, accepted) == []
    rejected = [*stack, gateway("d-bbb", "dedicated"), route]
    assert {v.object for v in of(policies.PUBLIC_INGRESS, rejected)} == {
        "Gateway/d-bbb/public",
        "HTTPRoute/d-aaa/aaa-001",
    }


# --- containers ---------------------------------------------------------------------------------------------


def _container(stack: list[Manifest], name: str = "aaa-001") -> Manifest:
    workload = next(m for m in stack if m["kind"] in ("Deployment", "StatefulSet") and m["metadata"]["name"] == name)
    container: Manifest = workload["spec"]["template"]["spec"]["containers"][0]
    return container


def _pod_spec(stack: list[Manifest], name: str = "aaa-001") -> Manifest:
    workload = next(m for m in stack if m["kind"] in ("Deployment", "StatefulSet") and m["metadata"]["name"] == name)
    spec: Manifest = workload["spec"]["template"]["spec"]
    return spec


Mutation = Callable[[list[Manifest]], None]


CONTAINER_CASES: dict[str, tuple[str, Mutation]] = {
    "no-limits": (policies.RESOURCES, lambda s: _container(s)["resources"].pop("limits")),
    "no-memory-request": (policies.RESOURCES, lambda s: _container(s)["resources"]["requests"].pop("memory")),
    "run-as-root-allowed": (
        policies.NON_ROOT,
        lambda s: (
            _container(s)["securityContext"].pop("runAsNonRoot"),
            _pod_spec(s)["securityContext"].pop("runAsNonRoot"),
        ),
    ),
    "uid-0": (policies.NON_ROOT, lambda s: _container(s)["securityContext"].update(runAsUser=0)),
    "writable-root": (
        policies.READ_ONLY_ROOT,
        lambda s: _container(s)["securityContext"].update(readOnlyRootFilesystem=False),
    ),
    "privilege-escalation": (
        policies.PRIVILEGE,
        lambda s: _container(s)["securityContext"].update(allowPrivilegeEscalation=True),
    ),
    "privileged": (policies.PRIVILEGE, lambda s: _container(s)["securityContext"].update(privileged=True)),
    "capabilities-kept": (policies.PRIVILEGE, lambda s: _container(s)["securityContext"].pop("capabilities")),
    "init-container-unhardened": (
        policies.RESOURCES,
        lambda s: _pod_spec(s).update(initContainers=[{"name": "init", "image": "busybox"}]),
    ),
}


@pytest.mark.parametrize(("policy", "mutate"), list(CONTAINER_CASES.values()), ids=list(CONTAINER_CASES))
def test_container_rules_reject_their_violation(stack: list[Manifest], policy: str, mutate: Mutation) -> None:
    assert of(policy, stack) == []
    mutate(stack)
    found = of(policy, stack)
    assert found
    assert found[0].object == "Deployment/d-aaa/aaa-001"


def test_writable_root_is_accepted_with_the_stated_exception(stack: list[Manifest]) -> None:
    assert _container(stack, "aaa-003")["securityContext"]["readOnlyRootFilesystem"] is False
    assert of(policies.READ_ONLY_ROOT, stack) == []
    workload = next(m for m in stack if m["metadata"]["name"] == "aaa-003" and m["kind"] == "Deployment")
    del workload["metadata"]["labels"][desired.WRITABLE_ROOT_LABEL]
    del workload["spec"]["template"]["metadata"]["labels"][desired.WRITABLE_ROOT_LABEL]
    assert [v.object for v in of(policies.READ_ONLY_ROOT, stack)] == ["Deployment/d-aaa/aaa-003"]


def test_a_bare_pod_and_a_cronjob_are_checked_too() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "d-aaa"},
        "spec": {"containers": [{"name": "c", "image": "x"}]},
    }
    cron = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "c", "namespace": "d-aaa"},
        "spec": {
            "schedule": "* * * * *",
            "jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x"}]}}}},
        },
    }
    for manifest in (pod, cron):
        found = {v.policy for v in policies.resource_violations(manifest)}
        # a bare pod and a CronJob run to completion: no probes required, but the image must be pinned
        assert found == {
            policies.RESOURCES,
            policies.NON_ROOT,
            policies.READ_ONLY_ROOT,
            policies.PRIVILEGE,
            policies.IMAGE_PINNED,
        }


# --- MLPS placement -------------------------------------------------------------------------------------------


def _labels(stack: list[Manifest], name: str = "aaa-001") -> dict[str, str]:
    workload = next(m for m in stack if m["kind"] in ("Deployment", "StatefulSet") and m["metadata"]["name"] == name)
    labels: dict[str, str] = workload["spec"]["template"]["metadata"]["labels"]
    return labels


def test_level_3_off_its_node_pool_is_rejected(stack: list[Manifest]) -> None:
    assert of(policies.MLPS_PLACEMENT, stack) == []
    del _pod_spec(stack)["nodeSelector"]
    assert "must select" in of(policies.MLPS_PLACEMENT, stack)[0].message


def test_level_3_without_the_toleration_is_rejected(stack: list[Manifest]) -> None:
    del _pod_spec(stack)["tolerations"]
    assert "does not tolerate" in of(policies.MLPS_PLACEMENT, stack)[0].message


def test_level_3_pool_name_comes_from_the_rules(stack: list[Manifest]) -> None:
    rules = policies.PlacementRules(mlps3_node_pool="dengbao3")
    assert of(policies.MLPS_PLACEMENT, stack, rules=rules)
    _pod_spec(stack)["nodeSelector"] = {desired.NODE_POOL_LABEL: "dengbao3"}
    _pod_spec(stack)["tolerations"][0]["value"] = "dengbao3"
    assert of(policies.MLPS_PLACEMENT, stack, rules=rules) == []


def test_level_4_only_on_a_declared_dedicated_pool(stack: list[Manifest]) -> None:
    _labels(stack)[desired.MLPS_LABEL] = "4"
    assert "none is declared" in of(policies.MLPS_PLACEMENT, stack)[0].message
    rules = policies.PlacementRules.from_settings(Settings().cloud.model_copy(update={"dedicated_pools": ("secure4",)}))
    assert of(policies.MLPS_PLACEMENT, stack, rules=rules)  # still on the shared level-3 pool
    _pod_spec(stack)["nodeSelector"] = {desired.NODE_POOL_LABEL: "secure4"}
    _pod_spec(stack)["tolerations"] = [{"key": desired.NODE_POOL_LABEL, "operator": "Exists", "effect": "NoSchedule"}]
    assert of(policies.MLPS_PLACEMENT, stack, rules=rules) == []


def test_level_5_is_never_accepted(stack: list[Manifest]) -> None:
    _labels(stack)[desired.MLPS_LABEL] = "5"
    assert "never" in of(policies.MLPS_PLACEMENT, stack)[0].message
    namespace = find(stack, "Namespace", "d-bbb")
    namespace["metadata"]["labels"][desired.MLPS_LABEL] = "5"
    assert "Namespace/d-bbb" in {v.object for v in of(policies.MLPS_PLACEMENT, stack)}


# --- RBAC and default deny ------------------------------------------------------------------------------------


def test_a_cluster_wide_binding_for_a_department_is_rejected(stack: list[Manifest]) -> None:
    binding = copy.deepcopy(find(stack, "RoleBinding", "department-admin", "d-aaa"))
    binding["kind"] = "ClusterRoleBinding"
    del binding["metadata"]["namespace"]
    binding["roleRef"]["kind"] = "ClusterRole"
    stack.append(binding)
    assert [v.object for v in of(policies.RBAC_SCOPE, stack)] == ["ClusterRoleBinding/department-admin"]


def test_a_binding_in_another_departments_namespace_is_rejected(stack: list[Manifest]) -> None:
    binding = copy.deepcopy(find(stack, "RoleBinding", "department-admin", "d-aaa"))
    binding["metadata"]["namespace"] = "d-bbb"
    binding["metadata"]["name"] = "aaa-admins"
    stack.append(binding)
    found = of(policies.RBAC_SCOPE, stack)
    assert [v.object for v in found] == ["RoleBinding/d-bbb/aaa-admins"]


def test_a_wildcard_role_is_rejected(stack: list[Manifest]) -> None:
    find(stack, "Role", "department-admin", "d-aaa")["rules"].append(
        {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}
    )
    assert len(of(policies.RBAC_SCOPE, stack)) == 3


def test_a_namespace_without_default_deny_is_rejected(stack: list[Manifest]) -> None:
    stack.remove(find(stack, "NetworkPolicy", "default-deny", "d-ccc"))
    assert [v.object for v in of(policies.DEFAULT_DENY, stack)] == ["Namespace/d-ccc"]


def test_a_default_deny_that_opens_all_egress_is_not_a_default_deny(stack: list[Manifest]) -> None:
    find(stack, "NetworkPolicy", "default-deny", "d-ccc")["spec"]["egress"].append({})
    found = of(policies.DEFAULT_DENY, stack)
    assert [v.object for v in found] == ["Namespace/d-ccc"]
    assert "Egress" in found[0].message


def test_every_violation_names_a_known_policy(stack: list[Manifest]) -> None:
    for mutate in (m for _, m in CONTAINER_CASES.values()):
        mutate(stack)
    known = {p.name for p in policies.POLICIES}
    assert {v.policy for v in all_violations(stack)} <= known
