"""The desired Kubernetes objects: namespaces, quotas, RBAC, default deny, workloads per stage, MLPS placement."""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from govcloud.census.core import codes
from govcloud.cloud.core import desired
from govcloud.core import model
from govcloud.core.settings import CloudSettings, Settings
from govcloud.errors import RefusedError
from govcloud.network.core import flows
from govcloud.planning.core.stages import Progress, Stage

Manifest = dict[str, Any]
DNS_1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")

# --- building small inventories with the model constructors (also used by the other test modules) ----------


def department(code: str, *, admin_group: str | None = "auto") -> model.Department:
    body = f"{sum(map(ord, code)):08d}"[-8:]
    return model.Department(
        code=code,
        name=f"{code} 局",
        uscc=codes.make_uscc("1", "1", "330100", body),
        admin_group=f"govcloud-{code.lower()}-admins" if admin_group == "auto" else admin_group,
    )


PINNED = "pinned"
"""``system(image=PINNED)`` (the default): an image pinned by digest, derived from the code."""


def pinned_image(code: str) -> str:
    digest = hashlib.sha256(code.encode()).hexdigest()
    return f"registry.city/{code.split('-', maxsplit=1)[0].lower()}/{code.lower()}:1.0@sha256:{digest}"


def system(
    code: str,
    *,
    ports: Sequence[tuple[str, int]] = (("http", 8080),),
    mlps: int | None = 2,
    zone: str | None = "own",
    depends_on: Sequence[str] = (),
    stateful: bool = False,
    public: Sequence[str] = (),
    writable_root: bool = False,
    node_pool: str | None = None,
    classified: bool = False,
    cpu: float = 2,
    memory_gib: float = 4,
    replicas: int = 1,
    storage_gib: float = 0,
    image: str | None = PINNED,
) -> model.System:
    dept = code.split("-", maxsplit=1)[0]
    cloud = None
    if zone is not None and not classified:
        cloud = model.CloudPlacement(
            zone=f"DZ-{dept}" if zone == "own" else zone,
            image=pinned_image(code) if image == PINNED else image,
            node_pool=node_pool,
            stateful=stateful,
            public_hostnames=tuple(public),
            writable_root=writable_root,
            # without a port nothing can be probed by default: such a system states its probe command
            probe=None if ports else model.Probe(command=("/usr/local/bin/healthcheck",)),
        )
    return model.System(
        code=code,
        name=f"{code} 系统",
        department=dept,
        function="测试用系统",
        scope=model.Scope.CROSS_DEPARTMENT,
        frequency=model.Frequency.DAILY,
        construction_mode=model.ConstructionMode.GOVERNMENT,
        carrying_network=model.CarryingNetwork.INTRANET if classified else model.CarryingNetwork.EXTRANET,
        classified=classified,
        mlps_level=mlps,
        deployment=model.Deployment.VM,
        sizing=model.Sizing(cpu=cpu, memory_gib=memory_gib, replicas=replicas, storage_gib=storage_gib),
        ports=tuple(model.ServicePort(name=n, port=p) for n, p in ports),
        depends_on=tuple(depends_on),
        cloud=cloud,
    )


def entry(code: str, system_code: str, sharing: model.SharingType) -> model.CatalogueEntry:
    legal = "《某法》第十条" if sharing is model.SharingType.NOT_SHARED else None
    conditions = "无条件" if sharing is model.SharingType.UNCONDITIONAL else "仅限相关部门"
    return model.CatalogueEntry(
        code=code,
        name=f"{system_code} 数据 {code}",
        category=model.ResourceCategory.DEPARTMENTAL,
        provider=system_code.split("-", maxsplit=1)[0],
        system=system_code,
        format=model.ResourceFormat.DATABASE,
        data_items=(model.DataItem(name="名称", type=model.DataItemType.C),),
        sharing=model.Sharing(
            type=sharing,
            conditions=None if sharing is model.SharingType.NOT_SHARED else conditions,
            legal_basis=legal,
        ),
        update_cycle=model.UpdateCycle.DAILY,
    )


def inventory(
    departments: Iterable[model.Department],
    systems: Iterable[model.System],
    catalogue: Iterable[model.CatalogueEntry] = (),
    hosts: Iterable[model.Host] = (),
) -> model.Inventory:
    departments = tuple(departments)
    zones = [
        model.Zone(
            code="PUB", name="公用网络区", kind=model.ZoneKind.PUBLIC, ranges=(ipaddress.IPv4Network("10.64.0.0/20"),)
        ),
        model.Zone(
            code="INET",
            name="互联网接入区",
            kind=model.ZoneKind.INTERNET_ACCESS,
            ranges=(ipaddress.IPv4Network("10.64.16.0/20"),),
        ),
    ]
    for index, dept in enumerate(departments):
        zones.append(
            model.Zone(
                code=f"DZ-{dept.code}",
                name=f"{dept.name}专用网络区",
                kind=model.ZoneKind.DEDICATED,
                department=dept.code,
                ranges=(ipaddress.IPv4Network(f"10.80.{index}.0/24"),),
            )
        )
    https = (model.ServicePort(name="https", port=443),)
    platform = model.Platform(
        exchange=model.PlatformService(
            name="数据共享交换平台", zone="PUB", address=ipaddress.IPv4Address("10.64.0.10"), ports=https
        ),
        gateway=model.PlatformService(
            name="业务协同网关", zone="PUB", address=ipaddress.IPv4Address("10.64.0.20"), ports=https
        ),
        ingress=model.PlatformService(
            name="互联网接入区入口",
            zone="INET",
            address=ipaddress.IPv4Address("10.64.16.10"),
            ports=(model.ServicePort(name="http", port=80), *https),
        ),
    )
    return model.Inventory(
        city=model.CityFile(name="测试市", division_code="330100", census_date=dt.date(2026, 6, 30)),
        network=model.Network(
            zones=tuple(zones),
            platform=platform,
            management=model.Management(ranges=(ipaddress.IPv4Network("10.63.0.0/24"),)),
        ),
        departments=departments,
        systems=tuple(systems),
        catalogue=tuple(catalogue),
        hosts=tuple(hosts),
    )


def sample_city() -> tuple[model.Inventory, dict[str, Progress]]:
    """Three departments with a system at every stage, a restricted entry, a public system, MLPS 3."""
    inv = inventory(
        [department("AAA"), department("BBB"), department("CCC", admin_group=None)],
        [
            system("AAA-001", ports=(("http", 8080), ("grpc", 9090)), mlps=3, depends_on=("BBB-001",)),
            system("AAA-002", zone="INET", public=("aaa.example.gov.cn",), stateful=True, storage_gib=50),
            system("AAA-003", replicas=3, cpu=0.5, memory_gib=1.5, writable_root=True),
            system("BBB-001", ports=(("https", 8443 - 1),)),
            system("BBB-002", mlps=None),
            system("CCC-001", depends_on=("AAA-001",)),
            system("CCC-002", zone=None),
        ],
        [
            entry("300100/0001", "AAA-001", model.SharingType.UNCONDITIONAL),
            entry("300100/0002", "AAA-001", model.SharingType.NOT_SHARED),
            entry("300100/0003", "BBB-001", model.SharingType.CONDITIONAL),
        ],
    )
    progress = {
        "AAA-001": Progress.at(Stage.BUSINESS, business_callers=("CCC",)),
        "AAA-002": Progress.at(Stage.NETWORK),
        "AAA-003": Progress.at(Stage.DATA),
        "BBB-001": Progress.at(Stage.DATA),
        "CCC-001": Progress.at(Stage.NETWORK),
    }
    return inv, progress


def objects(state: desired.DesiredState, kind: str | None = None, namespace: str | None = None) -> list[Manifest]:
    return [
        m
        for m in state.all()
        if (kind is None or m["kind"] == kind) and (namespace is None or m["metadata"].get("namespace") == namespace)
    ]


def named(state: desired.DesiredState, kind: str, name: str, namespace: str | None = None) -> Manifest:
    found = [m for m in objects(state, kind, namespace) if m["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{namespace}/{name}: {len(found)} found"
    return found[0]


@pytest.fixture(scope="module")
def state() -> desired.DesiredState:
    inv, progress = sample_city()
    return desired.desired_state(inv, progress, Settings())


# --- namespaces ---------------------------------------------------------------------------------------------


def test_each_department_gets_its_namespace_with_department_zone_and_kind_labels(state: desired.DesiredState) -> None:
    for code in ("AAA", "BBB", "CCC"):
        labels = named(state, "Namespace", f"d-{code.lower()}")["metadata"]["labels"]
        assert labels[desired.DEPARTMENT_LABEL] == code
        assert labels[desired.ZONE_LABEL] == f"DZ-{code}"
        assert labels[desired.ZONE_KIND_LABEL] == "dedicated"


def test_internet_namespace_only_for_departments_with_systems_placed_there(state: desired.DesiredState) -> None:
    names = {m["metadata"]["name"] for m in objects(state, "Namespace")}
    assert "d-aaa-inet" in names
    assert not {"d-bbb-inet", "d-ccc-inet"} & names
    labels = named(state, "Namespace", "d-aaa-inet")["metadata"]["labels"]
    assert labels[desired.ZONE_KIND_LABEL] == "internet"
    assert labels[desired.ZONE_LABEL] == "INET"
    assert labels[desired.DEPARTMENT_LABEL] == "AAA"


def test_every_namespace_enforces_audits_and_warns_pod_security_restricted(state: desired.DesiredState) -> None:
    namespaces = objects(state, "Namespace")
    assert len(namespaces) == 3 + 1 + 3  # departments, AAA's internet namespace, the platform's three
    for namespace in namespaces:
        labels = namespace["metadata"]["labels"]
        assert DNS_1123_LABEL.match(namespace["metadata"]["name"])
        for mode in ("enforce", "audit", "warn"):
            assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"


def test_namespace_carries_the_highest_mlps_level_of_the_systems_running_in_it(state: desired.DesiredState) -> None:
    assert named(state, "Namespace", "d-aaa")["metadata"]["labels"][desired.MLPS_LABEL] == "3"
    assert named(state, "Namespace", "d-bbb")["metadata"]["labels"][desired.MLPS_LABEL] == "2"  # BBB-002 not moved


def test_platform_namespaces_for_exchange_gateway_and_ingress(state: desired.DesiredState) -> None:
    for name, namespace in desired.PLATFORM_NAMESPACES.items():
        labels = named(state, "Namespace", namespace)["metadata"]["labels"]
        assert labels[desired.PLATFORM_LABEL] == name
        assert desired.DEPARTMENT_LABEL not in labels
    assert named(state, "Namespace", "govcloud-ingress")["metadata"]["labels"][desired.ZONE_KIND_LABEL] == "internet"
    assert named(state, "Namespace", "govcloud-exchange")["metadata"]["labels"][desired.ZONE_KIND_LABEL] == "public"
    classes = {m["metadata"]["name"]: m["spec"]["controllerName"] for m in objects(state, "GatewayClass")}
    assert set(classes) == {desired.PUBLIC_INGRESS_CLASS, desired.GATEWAY_INGRESS_CLASS}
    # two controllers: the public one never programs the collaboration gateway, and the reverse
    assert len(set(classes.values())) == 2
    assert not objects(state, "IngressClass")


# --- quota, limits, RBAC, default deny ---------------------------------------------------------------------


def test_quota_is_the_sum_of_running_systems_sizing_plus_one_surge_pod_each(state: desired.DesiredState) -> None:
    # d-aaa runs AAA-001 (2 CPU, 4 GiB, 1 replica) and AAA-003 (0.5 CPU, 1.5 GiB, 3 replicas)
    hard = named(state, "ResourceQuota", "quota", "d-aaa")["spec"]["hard"]
    assert hard["requests.cpu"] == "6"  # 2 x (1+1) + 0.5 x (3+1)
    assert hard["limits.cpu"] == "12"  # limits are twice the request
    assert hard["requests.memory"] == "14Gi"  # 4 x 2 + 1.5 x 4
    assert hard["limits.memory"] == "14Gi"
    assert hard["pods"] == "6"
    assert hard["services.loadbalancers"] == "0"
    assert hard["services.nodeports"] == "0"


def test_quota_counts_stateful_storage(state: desired.DesiredState) -> None:
    hard = named(state, "ResourceQuota", "quota", "d-aaa-inet")["spec"]["hard"]
    assert hard["requests.storage"] == "50Gi"
    assert hard["persistentvolumeclaims"] == "1"


def test_quota_of_a_namespace_without_running_systems_is_zero(state: desired.DesiredState) -> None:
    hard = named(state, "ResourceQuota", "quota", "d-ccc")["spec"]["hard"]
    assert hard["pods"] == "2"  # CCC-001 is at the network stage
    inv, _ = sample_city()
    empty = desired.desired_state(inv, {}, Settings())
    assert named(empty, "ResourceQuota", "quota", "d-ccc")["spec"]["hard"]["pods"] == "0"


def test_limit_range_defaults_and_allows_the_largest_container(state: desired.DesiredState) -> None:
    limit = named(state, "LimitRange", "limits", "d-aaa")["spec"]["limits"][0]
    assert limit["type"] == "Container"
    assert limit["default"] == {"cpu": "500m", "memory": "512Mi"}
    assert limit["max"] == {"cpu": "4", "memory": "4Gi"}


def test_admins_get_a_role_in_each_own_namespace_and_nothing_cluster_wide(state: desired.DesiredState) -> None:
    assert not objects(state, "ClusterRoleBinding")
    assert not objects(state, "ClusterRole")
    bindings = objects(state, "RoleBinding")
    by_namespace = {b["metadata"]["namespace"]: b for b in bindings}
    assert set(by_namespace) == {"d-aaa", "d-aaa-inet", "d-bbb"}  # CCC declares no admin group
    for namespace, binding in by_namespace.items():
        code = namespace.split("-")[1].upper()
        assert binding["subjects"] == [
            {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": f"govcloud-{code.lower()}-admins"}
        ]
        assert binding["roleRef"] == {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "Role",
            "name": "department-admin",
        }
        named(state, "Role", "department-admin", namespace)


def test_admin_role_cannot_write_network_policies_or_workload_definitions(state: desired.DesiredState) -> None:
    role = named(state, "Role", "department-admin", "d-aaa")
    writes = {"create", "update", "patch", "delete"}
    written = {r for rule in role["rules"] if writes & set(rule["verbs"]) for r in rule["resources"]}
    assert written == {"pods", "configmaps", "secrets", "deployments/scale", "statefulsets/scale"}
    assert all("*" not in rule["verbs"] and "*" not in rule["resources"] for rule in role["rules"])


def test_every_namespace_has_a_default_deny_for_ingress_and_egress_with_dns_only(state: desired.DesiredState) -> None:
    for namespace in objects(state, "Namespace"):
        deny = named(state, "NetworkPolicy", "default-deny", namespace["metadata"]["name"])["spec"]
        assert deny["podSelector"] == {}
        assert deny["policyTypes"] == ["Ingress", "Egress"]
        assert "ingress" not in deny
        (dns,) = deny["egress"]
        assert dns["to"] == [
            {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
            }
        ]
        assert {(p["protocol"], p["port"]) for p in dns["ports"]} == {("UDP", 53), ("TCP", 53)}


# --- workloads by stage --------------------------------------------------------------------------------------


def test_systems_without_progress_or_placement_get_no_objects(state: desired.DesiredState) -> None:
    systems = {m["metadata"]["labels"].get(desired.SYSTEM_LABEL) for m in state.all()}
    assert "BBB-002" not in systems  # no progress
    assert "CCC-002" not in systems  # no cloud placement


def test_network_stage_runs_the_workload_with_its_own_ports_only(state: desired.DesiredState) -> None:
    deployment = named(state, "Deployment", "ccc-001", "d-ccc")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert [p["containerPort"] for p in container["ports"]] == [8080]
    service = named(state, "Service", "ccc-001", "d-ccc")
    assert [p["port"] for p in service["spec"]["ports"]] == [8080]
    assert service["spec"]["type"] == "ClusterIP"
    assert not [m for m in objects(state, "Ingress") if m["metadata"]["name"].startswith("ccc-001")]


def test_workload_is_sized_and_hardened_for_pod_security_restricted(state: desired.DesiredState) -> None:
    deployment = named(state, "Deployment", "aaa-003", "d-aaa")
    assert deployment["spec"]["replicas"] == 3
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["resources"] == {
        "requests": {"cpu": "500m", "memory": "1536Mi"},
        "limits": {"cpu": "1", "memory": "1536Mi"},
    }
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    security = container["securityContext"]
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert security["runAsNonRoot"] is True
    assert deployment["spec"]["selector"]["matchLabels"] == {desired.SYSTEM_LABEL: "AAA-003"}
    assert deployment["spec"]["template"]["metadata"]["labels"][desired.SYSTEM_LABEL] == "AAA-003"


def test_read_only_root_unless_the_inventory_states_the_exception(state: desired.DesiredState) -> None:
    writable = named(state, "Deployment", "aaa-003", "d-aaa")
    assert writable["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is False
    assert writable["spec"]["template"]["metadata"]["labels"][desired.WRITABLE_ROOT_LABEL] == "true"
    strict = named(state, "Deployment", "aaa-001", "d-aaa")
    assert strict["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True
    assert desired.WRITABLE_ROOT_LABEL not in strict["spec"]["template"]["metadata"]["labels"]


def test_image_from_the_placement_or_a_placeholder_derived_from_the_code() -> None:
    inv = inventory(
        [department("AAA")], [system("AAA-001", image="registry.city/aaa/app:1.2"), system("AAA-002", image=None)]
    )
    progress = {"AAA-001": Progress.at(Stage.NETWORK), "AAA-002": Progress.at(Stage.NETWORK)}
    state = desired.desired_state(inv, progress, Settings())
    given = named(state, "Deployment", "aaa-001")["spec"]["template"]["spec"]["containers"][0]["image"]
    derived = named(state, "Deployment", "aaa-002")
    assert given == "registry.city/aaa/app:1.2"
    assert (
        derived["spec"]["template"]["spec"]["containers"][0]["image"]
        == "registry.egov.internal/aaa/aaa-002:placeholder"
    )
    assert derived["metadata"]["annotations"][desired.IMAGE_PLACEHOLDER_ANNOTATION] == "true"


def test_stateful_system_runs_as_statefulset_with_its_storage(state: desired.DesiredState) -> None:
    stateful = named(state, "StatefulSet", "aaa-002", "d-aaa-inet")
    (claim,) = stateful["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "50Gi"
    assert stateful["spec"]["serviceName"] == "aaa-002"


def test_public_hostnames_are_published_on_the_internet_gateway_with_tls(state: desired.DesiredState) -> None:
    public = named(state, "HTTPRoute", "aaa-002-public", "d-aaa-inet")
    assert public["spec"]["hostnames"] == ["aaa.example.gov.cn"]
    [parent] = public["spec"]["parentRefs"]
    assert (parent["namespace"], parent["name"], parent["sectionName"]) == (
        "govcloud-ingress",
        desired.PUBLIC_GATEWAY,
        "aaa.example.gov.cn",
    )
    assert public["spec"]["rules"][0]["backendRefs"] == [
        {"group": "", "kind": "Service", "name": "aaa-002", "port": 8080}
    ]
    gateway = named(state, "Gateway", desired.PUBLIC_GATEWAY, "govcloud-ingress")
    assert gateway["spec"]["gatewayClassName"] == desired.PUBLIC_INGRESS_CLASS
    listeners = {listener["name"]: listener for listener in gateway["spec"]["listeners"]}
    https = listeners["aaa.example.gov.cn"]
    assert (https["protocol"], https["port"], https["hostname"]) == ("HTTPS", 443, "aaa.example.gov.cn")
    secret = https["tls"]["certificateRefs"][0]["name"]
    certificate = named(state, "Certificate", secret, "govcloud-ingress")
    assert certificate["spec"]["dnsNames"] == ["aaa.example.gov.cn"]
    assert certificate["spec"]["issuerRef"]["name"] == CloudSettings().public_tls_issuer
    # plain HTTP only takes routes from the platform namespace itself: the redirect to HTTPS
    assert listeners["http"]["allowedRoutes"]["namespaces"] == {"from": "Same"}
    redirect = named(state, "HTTPRoute", f"{desired.PUBLIC_GATEWAY}-https-redirect", "govcloud-ingress")
    assert redirect["spec"]["rules"][0]["filters"][0]["requestRedirect"]["scheme"] == "https"
    ingress_policy = named(state, "NetworkPolicy", "aaa-002-ingress", "d-aaa-inet")
    sources = [peer for rule in ingress_policy["spec"]["ingress"] for peer in rule["from"]]
    assert {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "govcloud-ingress"}},
        "podSelector": {"matchLabels": {desired.PLATFORM_LABEL: "ingress"}},
    } in sources


def test_data_stage_adds_the_share_port_and_a_separate_restricted_service(state: desired.DesiredState) -> None:
    service = named(state, "Service", "aaa-001", "d-aaa")
    assert [p["name"] for p in service["spec"]["ports"]] == ["http", "grpc", "share"]
    restricted = named(state, "Service", "aaa-001-restricted", "d-aaa")
    assert restricted["metadata"]["labels"][desired.SHARING_LABEL] == "restricted"
    assert [(p["name"], p["port"]) for p in restricted["spec"]["ports"]] == [("restricted", 8444)]
    # BBB-001 holds only a conditional entry: share port, no restricted Service
    assert [p["name"] for p in named(state, "Service", "bbb-001", "d-bbb")["spec"]["ports"]] == ["https", "share"]
    assert not [m for m in objects(state, "Service", "d-bbb") if m["metadata"]["name"].endswith("-restricted")]


def test_the_exchange_reaches_the_share_port_and_only_the_own_department_the_restricted_one(
    state: desired.DesiredState,
) -> None:
    ingress = named(state, "NetworkPolicy", "aaa-001-ingress", "d-aaa")["spec"]["ingress"]
    exchange = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "govcloud-exchange"}},
        "podSelector": {"matchLabels": {desired.PLATFORM_LABEL: "exchange"}},
    }
    assert any(exchange in rule["from"] and rule["ports"] == [{"protocol": "TCP", "port": 8443}] for rule in ingress)
    assert all(p["port"] != 8444 for rule in ingress for p in rule["ports"])
    restricted = named(state, "NetworkPolicy", "aaa-001-restricted", "d-aaa")
    assert restricted["metadata"]["labels"][desired.SHARING_LABEL] == "restricted"
    # its own department: the staff and servers in its 专用网络区 (the zone's range), and its namespaces
    assert restricted["spec"]["ingress"] == [
        {
            "from": [
                {"ipBlock": {"cidr": "10.80.0.0/24"}},
                {"namespaceSelector": {"matchLabels": {desired.ZONE_LABEL: "DZ-AAA", desired.DEPARTMENT_LABEL: "AAA"}}},
            ],
            "ports": [{"protocol": "TCP", "port": 8444}],
        }
    ]


def test_business_stage_routes_on_the_gateway_and_admits_the_declared_callers(state: desired.DesiredState) -> None:
    route = named(state, "HTTPRoute", "aaa-001-gateway", "d-aaa")
    second = named(state, "HTTPRoute", "aaa-001-gateway-grpc", "d-aaa")
    assert route["spec"]["hostnames"] == ["aaa-001.gateway.egov.internal"]
    assert second["spec"]["hostnames"] == ["grpc-aaa-001.gateway.egov.internal"]
    assert second["spec"]["rules"][0]["backendRefs"][0]["port"] == 9090
    for attached in (route, second):
        [parent] = attached["spec"]["parentRefs"]
        assert (parent["namespace"], parent["name"]) == ("govcloud-gateway", desired.COLLABORATION_GATEWAY)
    gateway = named(state, "Gateway", desired.COLLABORATION_GATEWAY, "govcloud-gateway")
    assert gateway["spec"]["gatewayClassName"] == desired.GATEWAY_INGRESS_CLASS
    [listener] = gateway["spec"]["listeners"]
    assert (listener["protocol"], listener["hostname"]) == ("HTTPS", "*.gateway.egov.internal")
    wildcard = named(state, "Certificate", listener["tls"]["certificateRefs"][0]["name"], "govcloud-gateway")
    assert wildcard["spec"]["dnsNames"] == ["*.gateway.egov.internal"]
    peers = [
        p for rule in named(state, "NetworkPolicy", "aaa-001-ingress", "d-aaa")["spec"]["ingress"] for p in rule["from"]
    ]
    assert {
        "namespaceSelector": {"matchLabels": {desired.ZONE_LABEL: "DZ-CCC", desired.DEPARTMENT_LABEL: "CCC"}}
    } in peers
    assert {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "govcloud-gateway"}},
        "podSelector": {"matchLabels": {desired.PLATFORM_LABEL: "gateway"}},
    } in peers


def test_declared_dependency_opens_egress_at_the_caller_and_ingress_at_the_callee(state: desired.DesiredState) -> None:
    egress = named(state, "NetworkPolicy", "aaa-001-egress", "d-aaa")["spec"]
    assert egress["policyTypes"] == ["Egress"]
    assert egress["egress"] == [
        {
            "to": [
                {
                    "namespaceSelector": {
                        "matchLabels": {"kubernetes.io/metadata.name": "d-bbb", desired.DEPARTMENT_LABEL: "BBB"}
                    },
                    "podSelector": {"matchLabels": {desired.SYSTEM_LABEL: "BBB-001"}},
                }
            ],
            "ports": [{"protocol": "TCP", "port": 8442}],
        }
    ]
    callee = named(state, "NetworkPolicy", "bbb-001-ingress", "d-bbb")["spec"]["ingress"]
    assert any(
        {
            "namespaceSelector": {
                "matchLabels": {"kubernetes.io/metadata.name": "d-aaa", desired.DEPARTMENT_LABEL: "AAA"}
            },
            "podSelector": {"matchLabels": {desired.SYSTEM_LABEL: "AAA-001"}},
        }
        in rule["from"]
        for rule in callee
    )


def test_zone_egress_lets_a_department_reach_the_exchange_gateway_and_its_own_systems(
    state: desired.DesiredState,
) -> None:
    egress = named(state, "NetworkPolicy", "zone-outbound", "d-ccc")["spec"]["egress"]
    targets = {
        (
            peer.get("podSelector", {}).get("matchLabels", {}).get(desired.PLATFORM_LABEL)
            or peer.get("podSelector", {}).get("matchLabels", {}).get(desired.SYSTEM_LABEL),
            port["port"],
        )
        for rule in egress
        for peer in rule["to"]
        for port in rule["ports"]
    }
    assert {("exchange", 443), ("gateway", 443), ("CCC-001", 8080)} <= targets
    assert ("AAA-001", 8080) in targets  # CCC is a declared business caller of AAA-001


def test_a_dependency_still_on_legacy_servers_is_reached_at_its_hosts() -> None:
    host = model.Host(
        name="legacy-bbb",
        role=model.HostRole.SERVICE,
        zone="DZ-BBB",
        addresses=(model.HostAddress(zone="DZ-BBB", address=ipaddress.IPv4Interface("10.80.1.5/24")),),
        systems=("BBB-001",),
    )
    inv = inventory(
        [department("AAA"), department("BBB")],
        [system("AAA-001", depends_on=("BBB-001",)), system("BBB-001")],
        hosts=[host],
    )
    state = desired.desired_state(inv, {"AAA-001": Progress.at(Stage.NETWORK)}, Settings())
    egress = named(state, "NetworkPolicy", "aaa-001-egress", "d-aaa")["spec"]["egress"]
    assert egress == [{"to": [{"ipBlock": {"cidr": "10.80.1.5/32"}}], "ports": [{"protocol": "TCP", "port": 8080}]}]


def test_the_internet_reaches_only_the_ingress_controller_never_the_cluster_or_the_extranet(
    state: desired.DesiredState,
) -> None:
    blocks = [
        (m["metadata"]["namespace"], peer["ipBlock"])
        for m in objects(state, "NetworkPolicy")
        for rule in m["spec"].get("ingress", ())
        for peer in rule["from"]
        if "ipBlock" in peer and ipaddress.IPv4Network(peer["ipBlock"]["cidr"]).prefixlen == 0
    ]
    assert [namespace for namespace, _ in blocks] == ["govcloud-ingress"]
    block = blocks[0][1]
    assert block["cidr"] == "0.0.0.0/0"
    assert {"10.244.0.0/16", "10.96.0.0/12", "10.64.0.0/19", "10.63.0.0/24"} <= set(block["except"])


# --- MLPS placement --------------------------------------------------------------------------------------------


def _pod(state: desired.DesiredState, name: str) -> Manifest:
    workload = [
        m for m in objects(state) if m["kind"] in ("Deployment", "StatefulSet") and m["metadata"]["name"] == name
    ]
    return workload[0]["spec"]["template"]["spec"]


def test_level_3_runs_on_the_mlps3_pool_by_node_selector_and_toleration(state: desired.DesiredState) -> None:
    pod = _pod(state, "aaa-001")
    assert pod["nodeSelector"] == {desired.NODE_POOL_LABEL: "mlps3"}
    assert pod["tolerations"] == [
        {"key": desired.NODE_POOL_LABEL, "operator": "Equal", "value": "mlps3", "effect": "NoSchedule"}
    ]
    assert "nodeSelector" not in _pod(state, "aaa-003")
    assert "tolerations" not in _pod(state, "aaa-003")


def test_level_3_pool_name_comes_from_settings() -> None:
    inv = inventory([department("AAA")], [system("AAA-001", mlps=3)])
    settings = Settings(cloud=CloudSettings(mlps3_node_pool="dengbao3"))
    state = desired.desired_state(inv, {"AAA-001": Progress.at(Stage.NETWORK)}, settings)
    assert _pod(state, "aaa-001")["nodeSelector"] == {desired.NODE_POOL_LABEL: "dengbao3"}


def test_level_4_is_refused_without_a_declared_dedicated_pool() -> None:
    inv = inventory([department("AAA")], [system("AAA-004", mlps=4, node_pool="secure4")])
    with pytest.raises(RefusedError, match=r"AAA-004: MLPS level 4 needs a dedicated resource pool"):
        desired.desired_state(inv, {"AAA-004": Progress.at(Stage.NETWORK)}, Settings())


def test_level_4_runs_on_the_declared_dedicated_pool_it_names() -> None:
    inv = inventory([department("AAA")], [system("AAA-004", mlps=4, node_pool="secure4")])
    settings = Settings(cloud=CloudSettings(dedicated_pools=("secure4",)))
    state = desired.desired_state(inv, {"AAA-004": Progress.at(Stage.NETWORK)}, settings)
    assert _pod(state, "aaa-004")["nodeSelector"] == {desired.NODE_POOL_LABEL: "secure4"}
    other = inventory([department("AAA")], [system("AAA-004", mlps=4, node_pool="general")])
    with pytest.raises(RefusedError, match=r"AAA-004: MLPS level 4 must run on a declared dedicated pool"):
        desired.desired_state(other, {"AAA-004": Progress.at(Stage.NETWORK)}, settings)


def test_every_refused_system_is_named_at_once() -> None:
    inv = inventory(
        [department("AAA"), department("BBB")],
        [
            system("AAA-005", mlps=5),
            system("AAA-004", mlps=4),
            system("BBB-009", classified=True, mlps=None),
            system("BBB-001", mlps=3),
        ],
    )
    progress = {code: Progress.at(Stage.NETWORK) for code in ("AAA-005", "AAA-004", "BBB-009", "BBB-001")}
    with pytest.raises(desired.PlacementRefused) as caught:
        desired.desired_state(inv, progress, Settings())
    # BBB-009 is classified without a cloud placement: its network stage is on the intranet, nothing to refuse
    assert [r.system for r in caught.value.refusals] == ["AAA-004", "AAA-005"]
    message = str(caught.value)
    assert "AAA-005: MLPS level 5 never goes to a shared cloud" in message
    assert isinstance(caught.value, RefusedError)


def test_a_classified_system_with_a_cloud_placement_is_refused_once_it_progresses() -> None:
    placed = system("BBB-009", mlps=None).model_copy(update={"classified": True})
    inv = inventory([department("BBB")], [placed])
    with pytest.raises(desired.PlacementRefused) as caught:
        desired.desired_state(inv, {"BBB-009": Progress.at(Stage.NETWORK)}, Settings())
    assert "BBB-009: classified (涉密) systems never go to the shared cloud" in str(caught.value)


def test_a_classified_system_in_its_intranet_stage_gets_no_kubernetes_object() -> None:
    inv = inventory([department("BBB")], [system("BBB-009", classified=True, mlps=None), system("BBB-001")])
    state = desired.desired_state(
        inv, {"BBB-009": Progress.at(Stage.NETWORK), "BBB-001": Progress.at(Stage.NETWORK)}, Settings()
    )
    names = [str(m["metadata"].get("name", "")) + str(m["metadata"].get("namespace", "")) for m in state.all()]
    assert any("bbb-001" in name for name in names)  # the extranet system is provisioned ...
    assert not any("bbb-009" in name for name in names)  # ... the classified one is not


def test_a_level_5_system_with_no_progress_is_not_provisioned_and_not_refused() -> None:
    inv = inventory([department("AAA")], [system("AAA-005", mlps=5), system("AAA-001")])
    state = desired.desired_state(inv, {"AAA-001": Progress.at(Stage.NETWORK)}, Settings())
    assert "aaa-005" not in {m["metadata"]["name"] for m in objects(state, "Deployment")}


def test_a_level_above_the_clouds_rating_is_refused() -> None:
    inv = inventory([department("AAA")], [system("AAA-003", mlps=3)])
    settings = Settings(cloud=CloudSettings(mlps_level=2))
    with pytest.raises(RefusedError, match=r"AAA-003: MLPS level 3 is above the cloud's own rating"):
        desired.desired_state(inv, {"AAA-003": Progress.at(Stage.NETWORK)}, settings)


# --- order and identity -----------------------------------------------------------------------------------------


def test_desired_state_is_deterministic_and_ordered_platform_first() -> None:
    inv, progress = sample_city()
    first = desired.desired_state(inv, progress, Settings())
    second = desired.desired_state(inv, dict(reversed(progress.items())), Settings())
    assert first == second
    assert first.all()[: len(first.platform)] == first.platform
    assert list(first.departments) == sorted(first.departments)
    for objects_of_department in first.departments.values():
        assert objects_of_department[0]["kind"] == "Namespace"


def test_object_names_are_unique_per_kind_and_namespace(state: desired.DesiredState) -> None:
    keys = [desired.qualified_name(m) for m in state.all()]
    assert len(keys) == len(set(keys))


def test_department_objects_are_labelled_with_their_department(state: desired.DesiredState) -> None:
    for code, objects_of_department in state.departments.items():
        for manifest in objects_of_department:
            assert manifest["metadata"]["labels"][desired.DEPARTMENT_LABEL] == code


def test_network_policies_come_from_the_flow_matrix_reasons(state: desired.DesiredState) -> None:
    why = named(state, "NetworkPolicy", "aaa-001-egress", "d-aaa")["metadata"]["annotations"][desired.WHY_ANNOTATION]
    assert why == "system:AAA-001 -> system:BBB-001:8442/TCP: AAA-001 declares that it calls BBB-001"
    assert flows.RESTRICTED_PORT.port == 8444


def test_a_system_port_that_takes_a_data_stage_port_is_refused() -> None:
    inv = inventory(
        [department("AAA")], [system("AAA-001", ports=(("alt", 8444),)), system("AAA-002", ports=(("share", 9000),))]
    )
    progress = {"AAA-001": Progress.at(Stage.NETWORK), "AAA-002": Progress.at(Stage.NETWORK)}
    with pytest.raises(desired.PlacementRefused) as caught:
        desired.desired_state(inv, progress, Settings())
    assert [r.system for r in caught.value.refusals] == ["AAA-001", "AAA-002"]
    assert "clashes with the data-stage ports" in str(caught.value)


def test_the_cloud_host_role_labels_nodes_with_the_keys_the_workloads_select() -> None:
    """One node-pool key everywhere: the role's prefix, the rendered selectors and tolerations, the README."""
    root = Path(__file__).resolve().parents[1]
    defaults = yaml.safe_load((root / "playbooks/roles/cloud_host/defaults/main.yml").read_text(encoding="utf-8"))
    assert defaults["cloud_host_label_prefix"] + "/" == desired.PREFIX
    # a DNS subdomain the programme owns, never Kubernetes' own reserved kubernetes.io / k8s.io
    prefix = desired.PREFIX.rstrip("/")
    assert "." in prefix
    assert not prefix.endswith(("kubernetes.io", "k8s.io"))
    assert all(DNS_1123_LABEL.match(part) for part in prefix.split("."))
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert f"`{desired.NODE_POOL_LABEL}`" in readme
    assert "govcloud/node-pool" not in readme
    inv = inventory([department("AAA")], [system("AAA-001", mlps=3)])
    pod = _pod(desired.desired_state(inv, {"AAA-001": Progress.at(Stage.NETWORK)}, Settings()), "aaa-001")
    assert pod["nodeSelector"] == {desired.NODE_POOL_LABEL: "mlps3"}
    assert pod["tolerations"][0]["key"] == desired.NODE_POOL_LABEL
