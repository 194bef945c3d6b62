"""Tests of the edge that validates manifests against the schemas shipped by kubernetes-validate."""

from __future__ import annotations

import copy
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest

from govcloud.cloud.edges.k8s_schema import (
    GATEWAY_API_SCHEMAS,
    KubernetesSchemas,
    SchemaVersionError,
    latest_version,
    shared_schemas,
    supported_versions,
)

Manifest = dict[str, Any]


def _meta(name: str, namespace: str | None = "dept-civil") -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": {"app.kubernetes.io/part-of": "govcloud"}}
    if namespace is not None:
        meta["namespace"] = namespace
    return meta


def valid_manifests() -> dict[str, Manifest]:
    """One valid object of each kind the programme provisions."""
    labels = {"app": "permits"}
    return {
        "Namespace": {"apiVersion": "v1", "kind": "Namespace", "metadata": _meta("dept-civil", None)},
        "Deployment": {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": _meta("permits"),
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "containers": [
                            {
                                "name": "permits",
                                "image": "registry.city.example/permits:1.4.2",
                                "ports": [{"containerPort": 8080, "name": "http"}],
                                "resources": {
                                    "requests": {"cpu": "100m", "memory": "128Mi"},
                                    "limits": {"cpu": "500m", "memory": "256Mi"},
                                },
                                "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}},
                                "securityContext": {"runAsNonRoot": True, "allowPrivilegeEscalation": False},
                            }
                        ]
                    },
                },
            },
        },
        "Service": {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": _meta("permits"),
            "spec": {"selector": labels, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]},
        },
        "NetworkPolicy": {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": _meta("default-deny"),
            "spec": {
                "podSelector": {},
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [
                    {
                        "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress"}}}],
                        "ports": [{"protocol": "TCP", "port": 8080}],
                    }
                ],
                "egress": [{"to": [{"ipBlock": {"cidr": "10.20.0.0/16"}}]}],
            },
        },
        "ResourceQuota": {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": _meta("quota"),
            "spec": {"hard": {"requests.cpu": "4", "requests.memory": "8Gi", "pods": "20"}},
        },
        "LimitRange": {
            "apiVersion": "v1",
            "kind": "LimitRange",
            "metadata": _meta("limits"),
            "spec": {
                "limits": [
                    {
                        "type": "Container",
                        "default": {"cpu": "500m", "memory": "256Mi"},
                        "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
                    }
                ]
            },
        },
        "Role": {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": _meta("deployer"),
            "rules": [{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list", "patch"]}],
        },
        "RoleBinding": {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": _meta("deployer"),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "deployer"},
            "subjects": [{"kind": "Group", "name": "dept-civil-ops", "apiGroup": "rbac.authorization.k8s.io"}],
        },
        "Ingress": {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": _meta("permits"),
            "spec": {
                "ingressClassName": "nginx",
                "tls": [{"hosts": ["permits.city.example"], "secretName": "permits-tls"}],
                "rules": [
                    {
                        "host": "permits.city.example",
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": "permits", "port": {"number": 80}}},
                                }
                            ]
                        },
                    }
                ],
            },
        },
    }


def gateway_manifests() -> dict[str, Manifest]:
    return {
        "Gateway": {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "Gateway",
            "metadata": _meta("public"),
            "spec": {
                "gatewayClassName": "envoy",
                "listeners": [
                    {
                        "name": "https",
                        "port": 443,
                        "protocol": "HTTPS",
                        "hostname": "*.city.example",
                        "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": "wildcard"}]},
                        "allowedRoutes": {"namespaces": {"from": "Selector", "selector": {"matchLabels": {"a": "b"}}}},
                    }
                ],
            },
        },
        "HTTPRoute": {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "HTTPRoute",
            "metadata": _meta("permits"),
            "spec": {
                "parentRefs": [{"name": "public", "namespace": "gateway", "sectionName": "https"}],
                "hostnames": ["permits.city.example"],
                "rules": [
                    {
                        "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                        "backendRefs": [{"name": "permits", "port": 80, "weight": 1}],
                    }
                ],
            },
        },
    }


@pytest.fixture(scope="module")
def strict_130() -> KubernetesSchemas:
    return KubernetesSchemas("1.30", strict=True)


@pytest.fixture(scope="module")
def loose_130() -> KubernetesSchemas:
    return KubernetesSchemas("1.30", strict=False)


# --- versions -----------------------------------------------------------------------------------------


def test_supported_versions_are_the_shipped_ones() -> None:
    versions = supported_versions()
    assert "1.30" in versions
    assert versions == sorted(versions, key=lambda v: tuple(int(p) for p in v.split(".")))
    assert latest_version() == versions[-1]
    assert kubernetes_validate.latest_version().startswith(latest_version() + ".")


@pytest.mark.parametrize("spelling", ["1.30", "v1.30", "1.30.7"])
def test_version_spellings(spelling: str) -> None:
    schemas = KubernetesSchemas(spelling)
    assert schemas.version == "1.30"
    assert schemas.schema_dir == "v1.30.0-local-strict"


def test_unsupported_versions_are_refused() -> None:
    newest = tuple(int(p) for p in latest_version().split("."))
    with pytest.raises(SchemaVersionError):
        KubernetesSchemas(f"{newest[0]}.{newest[1] + 1}")
    with pytest.raises(SchemaVersionError):
        KubernetesSchemas("1.2")
    with pytest.raises(SchemaVersionError):
        KubernetesSchemas("latest")


def test_non_strict_reads_the_plain_directory(loose_130: KubernetesSchemas) -> None:
    assert loose_130.schema_dir == "v1.30.0-local"


# --- valid objects ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(valid_manifests()))
@pytest.mark.parametrize("version", ["1.30", "latest"])
def test_valid_objects_pass(kind: str, version: str) -> None:
    schemas = shared_schemas(latest_version() if version == "latest" else version, True)
    manifest = valid_manifests()[kind]
    assert schemas.validate(manifest) == []
    check = schemas.check(manifest)
    assert check.ok
    assert check.coverage == "kubernetes"
    assert check.kind == kind


def test_one_validator_per_kind_is_built_and_reused() -> None:
    schemas = KubernetesSchemas("1.30")
    manifests = valid_manifests()
    for manifest in list(manifests.values()) * 3:
        assert schemas.validate(manifest) == []
    assert len(schemas.cached_kinds()) == len(manifests)
    first = schemas.validator("apps/v1", "Deployment")
    assert first is schemas.validator("apps/v1", "Deployment")
    registry = schemas.registry()
    assert registry is schemas.registry()


def test_mappings_and_tuples_are_accepted(strict_130: KubernetesSchemas) -> None:
    from types import MappingProxyType

    role = valid_manifests()["Role"]
    role["rules"] = (MappingProxyType(role["rules"][0]),)
    assert strict_130.validate(MappingProxyType(role)) == []


# --- invalid objects ----------------------------------------------------------------------------------


def test_unknown_field_fails_strict_and_passes_loose(
    strict_130: KubernetesSchemas, loose_130: KubernetesSchemas
) -> None:
    deployment = valid_manifests()["Deployment"]
    deployment["spec"]["template"]["spec"]["containers"][0]["imagePullPolice"] = "Always"  # typo
    problems = strict_130.validate(deployment)
    assert problems == [
        "spec.template.spec.containers[0]: Additional properties are not allowed ('imagePullPolice' was unexpected)"
    ]
    assert loose_130.validate(deployment) == []


def test_unknown_top_level_field_fails_strict(strict_130: KubernetesSchemas) -> None:
    namespace = valid_manifests()["Namespace"]
    namespace["spac"] = {}
    assert strict_130.validate(namespace) == ["(root): Additional properties are not allowed ('spac' was unexpected)"]


def test_wrong_type_fails(strict_130: KubernetesSchemas, loose_130: KubernetesSchemas) -> None:
    deployment = valid_manifests()["Deployment"]
    deployment["spec"]["replicas"] = "two"
    expected = ["spec.replicas: 'two' is not of type 'integer', 'null'"]
    assert strict_130.validate(deployment) == expected
    assert loose_130.validate(deployment) == expected


def test_every_problem_is_reported_in_path_order(strict_130: KubernetesSchemas) -> None:
    service = valid_manifests()["Service"]
    service["spec"]["ports"][0]["port"] = "eighty"
    service["metadata"]["labels"] = ["not", "a", "map"]
    problems = strict_130.validate(service)
    assert len(problems) == 2
    assert problems[0].startswith("metadata.labels: ")
    assert problems[1].startswith("spec.ports[0].port: ")


def test_missing_required_field_fails(strict_130: KubernetesSchemas) -> None:
    binding = valid_manifests()["RoleBinding"]
    del binding["roleRef"]["name"]
    assert strict_130.validate(binding) == ["roleRef: 'name' is a required property"]


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [
        ("apps/v1", "Deploymnet"),
        ("extensions/v1beta1", "Ingress"),  # removed in 1.22
        ("apps/v1", "DeploymentSpec"),  # a schema file exists, but it is not a kind
        ("example.com/v1", "Widget"),
    ],
)
def test_unknown_kind_fails(strict_130: KubernetesSchemas, api_version: str, kind: str) -> None:
    check = strict_130.check({"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}})
    assert check.coverage == "none"
    assert len(check.problems) == 1
    assert check.problems[0].startswith(f"(root): unknown kind/apiVersion {kind} {api_version} for Kubernetes 1.30")
    assert not strict_130.knows(api_version, kind)


def test_unknown_api_version_names_the_known_ones(strict_130: KubernetesSchemas) -> None:
    (problem,) = strict_130.validate({"apiVersion": "extensions/v1beta1", "kind": "Ingress"})
    assert problem.endswith("(known apiVersions of Ingress: networking.k8s.io/v1)")


def test_api_version_with_foreign_domain_is_unknown(strict_130: KubernetesSchemas) -> None:
    # rbac.example.com/v1 maps to the same file name as rbac.authorization.k8s.io/v1
    role = valid_manifests()["Role"]
    role["apiVersion"] = "rbac.example.com/v1"
    assert strict_130.validate(role)[0].startswith("(root): unknown kind/apiVersion Role rbac.example.com/v1")


@pytest.mark.parametrize("manifest", [{}, {"kind": "Namespace"}, {"apiVersion": "v1", "kind": 3}, []])
def test_missing_api_version_or_kind(strict_130: KubernetesSchemas, manifest: Any) -> None:
    assert strict_130.validate(manifest) == ["(root): apiVersion and kind must be non-empty strings"]


def test_kind_removed_in_a_later_version_is_unknown_there() -> None:
    # PodSecurityPolicy (policy/v1beta1) left in 1.25, FlowSchema v1beta2 in 1.29.
    old, new = KubernetesSchemas("1.28"), KubernetesSchemas("1.30")
    flow = {"apiVersion": "flowcontrol.apiserver.k8s.io/v1beta2", "kind": "FlowSchema", "metadata": {"name": "f"}}
    assert old.knows("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema")
    assert new.validate(flow)[0].startswith("(root): unknown kind/apiVersion FlowSchema")


# --- Gateway API (bundled partial schema) -------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(gateway_manifests()))
def test_gateway_api_kinds_pass_with_partial_coverage(strict_130: KubernetesSchemas, kind: str) -> None:
    check = strict_130.check(gateway_manifests()[kind])
    assert check.problems == ()
    assert check.coverage == "crd-partial"
    assert ("gateway.networking.k8s.io/v1", kind) in GATEWAY_API_SCHEMAS


def test_gateway_api_problems(strict_130: KubernetesSchemas, loose_130: KubernetesSchemas) -> None:
    route = gateway_manifests()["HTTPRoute"]
    route["spec"]["rules"][0]["backendRefs"][0]["port"] = 0
    route["spec"]["rules"][0]["matches"][0]["path"]["type"] = "Prefix"
    route["metadata"]["lables"] = {}
    assert strict_130.validate(route) == [
        "metadata: Additional properties are not allowed ('lables' was unexpected)",
        "spec.rules[0].backendRefs[0].port: 0 is less than the minimum of 1",
        "spec.rules[0].matches[0].path.type: 'Prefix' is not one of ['Exact', 'PathPrefix', 'RegularExpression']",
    ]
    assert len(loose_130.validate(route)) == 2

    gateway = gateway_manifests()["Gateway"]
    del gateway["spec"]["listeners"][0]["protocol"]
    assert strict_130.validate(gateway) == ["spec.listeners[0]: 'protocol' is a required property"]


# --- same verdict as kubernetes_validate.validate ------------------------------------------------------


def _broken_variants() -> list[tuple[str, Manifest]]:
    good = valid_manifests()
    variants: list[tuple[str, Manifest]] = [(f"valid {k}", m) for k, m in good.items()]

    def variant(name: str, kind: str, change: Any) -> None:
        manifest = copy.deepcopy(good[kind])
        change(manifest)
        variants.append((name, manifest))

    variant("extra field", "Deployment", lambda m: m["spec"].update(replica=3))
    variant("wrong type", "Deployment", lambda m: m["spec"].update(replicas="3"))
    variant("int-or-string as list", "Service", lambda m: m["spec"]["ports"][0].update(targetPort=[8080]))
    variant("extra metadata field", "Namespace", lambda m: m["metadata"].update(label={"a": "b"}))
    variant("quantity as bool", "ResourceQuota", lambda m: m["spec"]["hard"].update(pods=True))
    variant("missing roleRef kind", "RoleBinding", lambda m: m["roleRef"].pop("kind"))
    variant("verbs as string", "Role", lambda m: m["rules"][0].update(verbs="get"))
    variant(
        "port number as string",
        "Ingress",
        lambda m: m["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"].update(number="80"),
    )
    variant("policyTypes as string", "NetworkPolicy", lambda m: m["spec"].update(policyTypes="Ingress"))
    variant("unknown limit field", "LimitRange", lambda m: m["spec"]["limits"][0].update(maximum={"cpu": "1"}))
    return variants


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "loose"])
@pytest.mark.parametrize("version", ["1.30", "latest"])
def test_same_verdict_as_kubernetes_validate(strict: bool, version: str) -> None:
    resolved = latest_version() if version == "latest" else version
    schemas = shared_schemas(resolved, strict)
    disagreements = []
    failures = 0
    for name, manifest in _broken_variants():
        try:
            kubernetes_validate.validate(copy.deepcopy(manifest), resolved, strict=strict)
            theirs = True
        except kubernetes_validate.ValidationError:
            theirs = False
        ours = schemas.validate(manifest) == []
        failures += not ours
        if ours != theirs:
            disagreements.append((name, ours, theirs))
    assert disagreements == []
    assert failures >= (9 if strict else 7)  # the sample really exercises both verdicts


def test_unknown_kind_is_unknown_to_kubernetes_validate_too(strict_130: KubernetesSchemas) -> None:
    manifest = {"apiVersion": "apps/v1", "kind": "Deploymnet", "metadata": {"name": "x"}}
    with pytest.raises(kubernetes_validate.SchemaNotFoundError):
        kubernetes_validate.validate(manifest, "1.30", strict=True)
    assert strict_130.validate(manifest) != []
