"""Deployable workloads: pinned images, probes, configuration, Secret references, databases, TLS entries.

What ``pulumi up`` declares must be able to run: these tests pin the rules that make a rendered object
schedulable and startable on a cluster with the README's prerequisites, on small hand-made cities and on
the bundled inventory, and check the forbidden case of each rule too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pulumi
import pydantic
import pytest
import yaml
from pulumi.runtime.mocks import MockResourceArgs
from pulumi_policy import PolicyCustomTimeouts, PolicyResource, PolicyResourceOptions, StackValidationArgs
from pulumi_policy.proxy import unknown_checking_proxy
from typer.testing import CliRunner

from govcloud.assessment.core import assess
from govcloud.census.core import checks
from govcloud.cli import app
from govcloud.cloud.core import desired, images, netpol_eval, policies
from govcloud.cloud.edges import k8s_schema, pulumi_policy_pack, pulumi_program
from govcloud.core import example, model
from govcloud.core.settings import CloudSettings, Settings
from govcloud.edges import inventory_files
from govcloud.network.core import firewall, flows
from govcloud.planning.core import plans, waves
from govcloud.planning.core.stages import Progress, Stage
from test_desired import department, inventory, named, objects, pinned_image, system

ROOT = Path(__file__).resolve().parents[1]
BUNDLED_INVENTORY = ROOT / "inventory"
Manifest = dict[str, Any]
DIGEST = "sha256:" + "0123456789abcdef" * 4


# --- the image rule -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reference",
    [
        f"registry.egov.internal/cgj/cgj-001:1.2.3@{DIGEST}",
        f"registry.egov.internal:5000/cgj/cgj-001@{DIGEST}",
        f"postgres@{DIGEST}",
        f"library/postgres:16.2-alpine@{DIGEST}",
    ],
)
def test_an_image_pinned_by_digest_is_accepted(reference: str) -> None:
    assert images.image_problem(reference) is None


@pytest.mark.parametrize(
    ("reference", "why"),
    [
        (None, "no image given"),
        ("  ", "no image given"),
        ("registry.egov.internal/cgj/cgj-001:placeholder", "placeholder"),
        (f"registry.egov.internal/cgj/cgj-001:placeholder@{DIGEST}", "placeholder"),
        ("registry.egov.internal/cgj/cgj-001:1.2.3", "has no digest"),
        ("registry.egov.internal:5000/cgj/cgj-001", "has no digest"),
        (f"registry.egov.internal/cgj/cgj-001:latest@{DIGEST}", "latest"),
        ("registry.egov.internal/cgj/cgj-001@sha256:abc", "sha256:<64 lowercase hex"),
        (f"registry.egov.internal/cgj/cgj-001@md5:{'a' * 64}", "sha256:<64 lowercase hex"),
        (f"registry.egov.internal/CGJ/App@{DIGEST}", "not a valid image name"),
    ],
)
def test_placeholders_tags_without_digest_and_latest_are_refused(reference: str | None, why: str) -> None:
    problem = images.image_problem(reference)
    assert problem is not None
    assert why in problem


def test_the_policy_refuses_a_placeholder_unless_the_render_is_a_rehearsal() -> None:
    inv = inventory([department("AAA")], [system("AAA-001", image=None), system("AAA-002", image="aaa/app:1.0")])
    progress = {"AAA-001": Progress.at(Stage.NETWORK), "AAA-002": Progress.at(Stage.NETWORK)}
    state = desired.desired_state(inv, progress, Settings())
    placeholder = named(state, "Deployment", "aaa-001", "d-aaa")
    tag_only = named(state, "Deployment", "aaa-002", "d-aaa")
    assert {v.policy for v in policies.resource_violations(placeholder)} == {policies.IMAGE_PINNED}
    assert policies.resource_violations(placeholder, allow_placeholders=True) == []
    # a rehearsal tolerates the derived placeholder only: a mutable tag stays refused
    assert {v.policy for v in policies.resource_violations(tag_only, allow_placeholders=True)} == {
        policies.IMAGE_PINNED
    }


def test_a_rehearsal_marks_every_object_and_the_mark_is_refused_outside_a_rehearsal() -> None:
    inv = inventory([department("AAA")], [system("AAA-001", image=None)])
    state = desired.desired_state(inv, {"AAA-001": Progress.at(Stage.NETWORK)}, Settings())
    marked = desired.mark_not_deployable(state, "rehearsal")
    assert all(m["metadata"]["annotations"][desired.NOT_DEPLOYABLE_ANNOTATION] == "rehearsal" for m in marked.all())
    assert all(desired.NOT_DEPLOYABLE_ANNOTATION not in (m["metadata"].get("annotations") or {}) for m in state.all())
    namespace = named(marked, "Namespace", "d-aaa")
    assert [v.policy for v in policies.resource_violations(namespace)] == [policies.IMAGE_PINNED]
    assert policies.resource_violations(namespace, allow_placeholders=True) == []


# --- probes ---------------------------------------------------------------------------------------------------


def _container(state: desired.DesiredState, name: str, namespace: str = "d-aaa") -> Manifest:
    workload = next(
        m
        for m in state.all()
        if m["kind"] in ("Deployment", "StatefulSet")
        and m["metadata"]["name"] == name
        and m["metadata"]["namespace"] == namespace
    )
    container: Manifest = workload["spec"]["template"]["spec"]["containers"][0]
    return container


def _with_cloud(s: model.System, **changes: Any) -> model.System:
    assert s.cloud is not None
    return s.model_copy(update={"cloud": s.cloud.model_copy(update=changes)})


def test_probes_default_to_http_for_http_named_ports_and_tcp_otherwise() -> None:
    inv = inventory(
        [department("AAA")],
        [
            system("AAA-001", ports=(("https", 8443 - 1),)),
            system("AAA-002", ports=(("grpc", 9090), ("http", 8080))),
            _with_cloud(system("AAA-003"), probe=model.Probe(path="/healthz", port=8080)),
            _with_cloud(system("AAA-004"), probe=model.Probe(command=("/bin/check", "--ready"))),
        ],
    )
    progress = {code: Progress.at(Stage.NETWORK) for code in ("AAA-001", "AAA-002", "AAA-003", "AAA-004")}
    state = desired.desired_state(inv, progress, Settings())
    first = _container(state, "aaa-001")
    assert first["readinessProbe"]["httpGet"] == {"path": "/", "port": 8442, "scheme": "HTTPS"}
    assert first["livenessProbe"]["httpGet"] == first["readinessProbe"]["httpGet"]
    assert _container(state, "aaa-002")["readinessProbe"]["tcpSocket"] == {"port": 9090}
    assert _container(state, "aaa-003")["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert _container(state, "aaa-004")["livenessProbe"]["exec"] == {"command": ["/bin/check", "--ready"]}
    assert all(not policies.resource_violations(m) for m in state.all())


def test_a_workload_without_probe_or_port_is_refused_by_the_probe_policy() -> None:
    bare = _with_cloud(system("AAA-001", ports=()), probe=None)
    state = desired.desired_state(
        inventory([department("AAA")], [bare]), {"AAA-001": Progress.at(Stage.NETWORK)}, Settings()
    )
    container = _container(state, "aaa-001")
    assert "readinessProbe" not in container
    found = {v.message for v in policies.resource_violations(named(state, "Deployment", "aaa-001", "d-aaa"))}
    assert found == {"container app declares no readinessProbe", "container app declares no livenessProbe"}


def test_a_probe_states_a_path_or_a_command_not_both() -> None:
    with pytest.raises(pydantic.ValidationError, match="not both"):
        model.Probe(path="/healthz", command=("true",))


# --- configuration, Secrets by reference, pull secrets -------------------------------------------------------


def test_the_config_map_holds_census_facts_and_the_stated_settings() -> None:
    caller = _with_cloud(system("AAA-001", depends_on=("BBB-001",)), config={"TZ": "Asia/Shanghai"})
    inv = inventory([department("AAA"), department("BBB")], [caller, system("BBB-001")])
    progress = {"AAA-001": Progress.at(Stage.NETWORK), "BBB-001": Progress.at(Stage.NETWORK)}
    state = desired.desired_state(inv, progress, Settings())
    config = named(state, "ConfigMap", "aaa-001-config", "d-aaa")["data"]
    assert config["TZ"] == "Asia/Shanghai"
    assert config["GOVCLOUD_SYSTEM"] == "AAA-001"
    assert config["GOVCLOUD_ZONE"] == "DZ-AAA"
    assert config["GOVCLOUD_EXCHANGE"] == "10.64.0.10:443"
    assert config["GOVCLOUD_CALLS_BBB_001"] == "bbb-001.d-bbb.svc:8080"
    assert {"configMapRef": {"name": "aaa-001-config"}} in _container(state, "aaa-001")["envFrom"]


def test_secrets_are_referenced_by_name_and_no_secret_data_is_rendered() -> None:
    with_secret = _with_cloud(system("AAA-001"), secrets=("aaa-001-db-credentials",))
    inv = inventory([department("AAA")], [with_secret])
    state = desired.desired_state(inv, {"AAA-001": Progress.at(Stage.DATA)}, Settings())
    assert {"secretRef": {"name": "aaa-001-db-credentials"}} in _container(state, "aaa-001")["envFrom"]
    assert_no_secret_data(state.all())


def assert_no_secret_data(manifests: Any) -> None:
    """No Secret object, no inline env value, no private key or password-like key anywhere."""
    suspicious = ("password", "passwd", "secret", "token", "private")
    for manifest in manifests:
        assert manifest["kind"] != "Secret", desired.qualified_name(manifest)
        for path, value in _walk(manifest):
            if path and path[-1] == "env":
                assert all("value" not in item for item in value), desired.qualified_name(manifest)
            if manifest["kind"] == "ConfigMap" and len(path) == 2 and path[0] == "data":
                assert not any(word in str(path[1]).lower() for word in suspicious), (manifest, path)
            if isinstance(value, str):
                assert "PRIVATE KEY" not in value


def _walk(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    yield path, value
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _walk(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, (*path, index))


def test_pull_secrets_come_from_the_department_else_the_cloud_setting() -> None:
    own = department("AAA").model_copy(update={"image_pull_secret": "aaa-registry"})
    inv = inventory([own, department("BBB")], [system("AAA-001"), system("BBB-001")])
    progress = {"AAA-001": Progress.at(Stage.NETWORK), "BBB-001": Progress.at(Stage.NETWORK)}

    def pull(state: desired.DesiredState, name: str, namespace: str) -> Any:
        return named(state, "Deployment", name, namespace)["spec"]["template"]["spec"].get("imagePullSecrets")

    plain = desired.desired_state(inv, progress, Settings())
    assert pull(plain, "aaa-001", "d-aaa") == [{"name": "aaa-registry"}]
    assert pull(plain, "bbb-001", "d-bbb") is None
    shared = desired.desired_state(inv, progress, Settings(cloud=CloudSettings(image_pull_secret="city-registry")))
    assert pull(shared, "aaa-001", "d-aaa") == [{"name": "aaa-registry"}]
    assert pull(shared, "bbb-001", "d-bbb") == [{"name": "city-registry"}]


# --- databases ------------------------------------------------------------------------------------------------

MOVED = model.DatabasePlacement(
    name="PostgreSQL 12",
    engine="PostgreSQL 12",
    decision=model.DatabaseDecision.MOVED,
    port=5432,
    storage_gib=200,
    image=f"registry.city/platform/postgresql:12.18@{DIGEST}",
)
STAYS = model.DatabasePlacement(
    name="Oracle 11g",
    engine="Oracle 11g",
    decision=model.DatabaseDecision.STAYS,
    port=1521,
    address=ipaddress.IPv4Address("10.80.0.201"),
)


def _database_city(mlps: int | None = 3) -> tuple[model.Inventory, dict[str, Progress]]:
    base = system("AAA-001", mlps=mlps).model_copy(update={"databases": ("PostgreSQL 12", "Oracle 11g")})
    inv = inventory([department("AAA")], [_with_cloud(base, databases=(MOVED, STAYS)), system("AAA-002")])
    return inv, {"AAA-001": Progress.at(Stage.NETWORK), "AAA-002": Progress.at(Stage.NETWORK)}


def test_a_moved_database_is_a_statefulset_with_a_sized_volume_of_its_level_s_storage_class() -> None:
    inv, progress = _database_city()
    state = desired.desired_state(inv, progress, Settings())
    database = named(state, "StatefulSet", "aaa-001-db-1", "d-aaa")
    [claim] = database["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "200Gi"
    assert claim["spec"]["storageClassName"] == "encrypted-mlps3"
    pod = database["spec"]["template"]["spec"]
    assert pod["containers"][0]["image"] == MOVED.image
    assert pod["containers"][0]["readinessProbe"]["tcpSocket"] == {"port": 5432}
    assert pod["nodeSelector"] == {desired.NODE_POOL_LABEL: "mlps3"}  # where its system runs
    assert (
        desired.SYSTEM_LABEL not in database["spec"]["template"]["metadata"]["labels"]
    )  # the app's selector misses it
    assert named(state, "Service", "aaa-001-db-1", "d-aaa")["spec"]["clusterIP"] == "None"
    quota = named(state, "ResourceQuota", "quota", "d-aaa")["spec"]["hard"]
    assert quota["requests.storage"] == "200Gi"
    assert quota["persistentvolumeclaims"] == "1"
    assert [v for m in state.all() for v in policies.resource_violations(m)] + policies.stack_violations(
        state.all()
    ) == []
    ungraded = desired.desired_state(*_database_city(mlps=None), Settings())
    claim = named(ungraded, "StatefulSet", "aaa-001-db-1", "d-aaa")["spec"]["volumeClaimTemplates"][0]
    assert claim["spec"]["storageClassName"] == CloudSettings().default_storage_class


def test_only_its_own_system_reaches_a_moved_database() -> None:
    inv, progress = _database_city()
    state = desired.desired_state(inv, progress, Settings())
    namespaces = {m["metadata"]["name"]: m["metadata"]["labels"] for m in objects(state, "Namespace")}
    cluster = netpol_eval.Cluster(namespaces, objects(state, "NetworkPolicy"))

    def pod(name: str, kind: str) -> netpol_eval.Pod:
        labels = named(state, kind, name, "d-aaa")["spec"]["template"]["metadata"]["labels"]
        return netpol_eval.Pod("d-aaa", name, labels, None)

    database, own, neighbour = (
        pod("aaa-001-db-1", "StatefulSet"),
        pod("aaa-001", "Deployment"),
        pod("aaa-002", "Deployment"),
    )
    assert cluster.allows(own, database, 5432)
    assert not cluster.allows(neighbour, database, 5432)
    assert not cluster.allows(own, database, 22)


def test_a_database_that_stays_is_a_service_at_its_legacy_address_with_a_declared_flow() -> None:
    inv, progress = _database_city()
    state = desired.desired_state(inv, progress, Settings())
    service = named(state, "Service", "aaa-001-db-2", "d-aaa")
    assert "selector" not in service["spec"]
    endpoints = named(state, "EndpointSlice", "aaa-001-db-2", "d-aaa")
    assert endpoints["metadata"]["labels"][desired.SERVICE_NAME_LABEL] == "aaa-001-db-2"
    assert endpoints["endpoints"][0]["addresses"] == ["10.80.0.201"]
    assert [(p["name"], p["port"]) for p in endpoints["ports"]] == [
        (p["name"], p["port"]) for p in service["spec"]["ports"]
    ]
    matrix = flows.compute_flow_matrix(inv, progress)
    target = flows.database_endpoint("AAA-001", "Oracle 11g")
    assert matrix.allows(flows.system_endpoint("AAA-001"), target, 1521)
    assert not matrix.allows(flows.system_endpoint("AAA-002"), target, 1521)
    assert firewall.Resolver(inv, locations=matrix.locations).addresses(target).networks == (
        ipaddress.IPv4Network("10.80.0.201/32"),
    )
    egress = named(state, "NetworkPolicy", "aaa-001-egress", "d-aaa")["spec"]["egress"]
    assert {"to": [{"ipBlock": {"cidr": "10.80.0.201/32"}}], "ports": [{"protocol": "TCP", "port": 1521}]} in egress
    # nothing opens it for the neighbour
    neighbour = [p for p in objects(state, "NetworkPolicy", "d-aaa") if p["metadata"]["name"] == "aaa-002-egress"]
    assert all("10.80.0.201/32" not in str(p) for p in neighbour)


def test_a_database_decision_states_what_its_kind_needs() -> None:
    with pytest.raises(pydantic.ValidationError, match="storage_gib and image"):
        model.DatabasePlacement(name="DM8", engine="DM8", decision=model.DatabaseDecision.MOVED, port=5236)
    with pytest.raises(pydantic.ValidationError, match="legacy host address"):
        model.DatabasePlacement(name="DM8", engine="DM8", decision=model.DatabaseDecision.STAYS, port=5236)


def test_census_checks_find_every_inconsistent_database_decision_at_once() -> None:
    outside = STAYS.model_copy(update={"address": ipaddress.IPv4Address("192.168.9.9")})
    unknown = MOVED.model_copy(update={"name": "MySQL 5.7"})
    broken = _with_cloud(
        system("AAA-001").model_copy(update={"databases": ("PostgreSQL 12", "Oracle 11g", "DM8")}),
        databases=(MOVED, outside, unknown, MOVED),
        config={"GOVCLOUD_ZONE": "x", "TZ": "Asia/Shanghai"},
        secrets=("a", "a"),
    )
    inv = inventory([department("AAA")], [broken])
    parts = checks.InventoryParts(
        city=inv.city,
        network=inv.network,
        departments=inv.departments,
        systems=inv.systems,
        catalogue=(),
        hosts=(),
    )
    found = {(f.field, f.message.split(":")[0]) for f in checks.check_workloads(parts, today=dt.date(2026, 7, 1))}
    assert found == {
        (("cloud", "databases"), "database 'DM8' (in databases) has no decision"),
        (("cloud", "databases", 1, "address"), "192.168.9.9 is in no known zone of the 电子政务外网 (network.yaml)"),
        (("cloud", "databases", 2, "name"), "'MySQL 5.7' is not in the system's databases list"),
        (("cloud", "databases", 0, "name"), "database 'PostgreSQL 12' has more than one decision"),
        (("cloud", "databases", 3, "name"), "database 'PostgreSQL 12' has more than one decision"),
        (("cloud", "config", "GOVCLOUD_ZONE"), "keys starting with GOVCLOUD_ are filled in from the census"),
        (("cloud", "secrets", 1), "duplicate Secret 'a'"),
    }
    good = _with_cloud(
        system("AAA-001").model_copy(update={"databases": ("PostgreSQL 12", "Oracle 11g")}), databases=(MOVED, STAYS)
    )
    fixed = dataclasses.replace(parts, systems=(good,))
    assert list(checks.check_workloads(fixed, today=dt.date(2026, 7, 1))) == []


# --- render --allow-placeholders ------------------------------------------------------------------------------


def test_render_refuses_placeholders_and_a_rehearsal_marks_every_object_and_file(tmp_path: Path) -> None:
    generated = example.generate_city(systems=60).inventory
    placed = next(s for s in generated.systems if s.cloud is not None and not s.classified and (s.mlps_level or 0) <= 2)
    systems = tuple(_with_cloud(s, image=None) if s.code == placed.code else s for s in generated.systems)
    inventory_files.write_inventory(tmp_path / "inventory", generated.model_copy(update={"systems": systems}))
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / f"{placed.code}.yaml").write_text(
        f"system: {placed.code}\nstages:\n- stage: network\n  status: in_progress\n"
        "- stage: data\n  status: pending\n- stage: business\n  status: pending\n",
        encoding="utf-8",
    )
    command = ["render", "--inventory", str(tmp_path / "inventory"), "--plans", str(plans)]
    refused = CliRunner().invoke(app, [*command, "--out", str(tmp_path / "out")])
    assert refused.exit_code == 1
    assert "image-pinned-by-digest" in refused.output
    assert "placeholder" in refused.output
    assert not (tmp_path / "out").exists()
    rehearsal = CliRunner().invoke(app, [*command, "--out", str(tmp_path / "rehearsal"), "--allow-placeholders"])
    assert rehearsal.exit_code == 0, rehearsal.output
    assert "NOT DEPLOYABLE" in rehearsal.output
    for path in sorted((tmp_path / "rehearsal").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert text.splitlines()[1].startswith("# NOT DEPLOYABLE")
        for manifest in yaml.safe_load_all(text):
            if manifest is not None:
                assert desired.NOT_DEPLOYABLE_ANNOTATION in manifest["metadata"]["annotations"], path
    assert "placeholder" in (tmp_path / "rehearsal" / f"department-{placed.department.lower()}.yaml").read_text()


# --- the bundled inventory would schedule and start ----------------------------------------------------------


@pytest.fixture(scope="module")
def everything_moved() -> tuple[Settings, tuple[Manifest, ...]]:
    """The bundled inventory with every system the MLPS rules allow at the business stage."""
    loaded = inventory_files.load_inventory(BUNDLED_INVENTORY).inventory
    settings = pulumi_program.load_settings(BUNDLED_INVENTORY)
    placed = [s for s in loaded.systems if s.cloud is not None and not s.classified and (s.mlps_level or 0) <= 3]
    progress = {s.code: Progress.at(Stage.BUSINESS, business_callers=("GAJ", "MZJ")) for s in placed}
    return settings, desired.desired_state(loaded, progress, settings).all()


def _pods(manifests: tuple[Manifest, ...]) -> Iterator[tuple[Manifest, Manifest]]:
    for manifest in manifests:
        template = policies.pod_template(manifest)
        if template is not None:
            yield manifest, dict(template.spec)


def test_every_bundled_container_is_pinned_probed_and_its_config_exists(
    everything_moved: tuple[Settings, tuple[Manifest, ...]],
) -> None:
    _, manifests = everything_moved
    config_maps = {(m["metadata"]["namespace"], m["metadata"]["name"]) for m in manifests if m["kind"] == "ConfigMap"}
    workloads = list(_pods(manifests))
    assert len(workloads) > 200
    for manifest, spec in workloads:
        namespace = manifest["metadata"]["namespace"]
        for container in spec["containers"]:
            assert images.image_problem(container["image"]) is None, desired.qualified_name(manifest)
            assert {"readinessProbe", "livenessProbe"} <= set(container), desired.qualified_name(manifest)
            for source in container.get("envFrom", ()):
                if "configMapRef" in source:
                    assert (namespace, source["configMapRef"]["name"]) in config_maps
        if namespace.startswith("d-"):  # every bundled department names its registry Secret
            assert spec.get("imagePullSecrets"), desired.qualified_name(manifest)
    assert_no_secret_data(manifests)


def test_every_bundled_database_has_a_sized_volume_or_an_external_endpoint(
    everything_moved: tuple[Settings, tuple[Manifest, ...]],
) -> None:
    settings, manifests = everything_moved
    loaded = inventory_files.load_inventory(BUNDLED_INVENTORY).inventory
    by_key = {(m["kind"], m["metadata"].get("namespace"), m["metadata"]["name"]): m for m in manifests}
    storage_classes = {*settings.cloud.storage_classes.values(), settings.cloud.default_storage_class}
    decided = {"moved": 0, "stays": 0}
    for s in loaded.systems:
        if s.cloud is None or s.classified or (s.mlps_level or 0) > 3:
            continue
        assert sorted(d.name for d in s.cloud.databases) == sorted(s.databases), s.code
        namespace = desired.system_namespace(s, loaded)
        for index, database in enumerate(s.cloud.databases):
            name = desired.database_name(s, index)
            decided[database.decision.value] += 1
            if database.decision is model.DatabaseDecision.MOVED:
                [claim] = by_key[("StatefulSet", namespace, name)]["spec"]["volumeClaimTemplates"]
                assert claim["spec"]["resources"]["requests"]["storage"].endswith("Gi")
                assert claim["spec"]["storageClassName"] in storage_classes
            else:
                service = by_key[("Service", namespace, name)]
                assert "selector" not in service["spec"]
                endpoints = by_key[("EndpointSlice", namespace, name)]
                assert endpoints["endpoints"][0]["addresses"] == [str(database.address)]
    assert decided["moved"] > 10
    assert decided["stays"] > 10


def test_bundled_quotas_and_limits_admit_every_pod_they_govern(
    everything_moved: tuple[Settings, tuple[Manifest, ...]],
) -> None:
    _, manifests = everything_moved
    needed: dict[str, list[int]] = {}

    def milli(cpu: str) -> int:
        return int(cpu[:-1]) if cpu.endswith("m") else int(float(cpu) * 1000)

    for manifest, spec in _pods(manifests):
        replicas = int(manifest["spec"].get("replicas", 1))
        total = needed.setdefault(manifest["metadata"]["namespace"], [0, 0, 0])
        for container in spec["containers"]:
            total[0] += milli(container["resources"]["requests"]["cpu"]) * replicas
        total[1] += replicas
        for claim in manifest["spec"].get("volumeClaimTemplates", ()):
            total[2] += int(claim["spec"]["resources"]["requests"]["storage"].removesuffix("Gi")) * replicas
    quotas = {m["metadata"]["namespace"]: m["spec"]["hard"] for m in manifests if m["kind"] == "ResourceQuota"}
    for namespace, (cpu, pods, storage) in needed.items():
        if namespace not in quotas:
            continue  # platform namespaces have no quota
        hard = quotas[namespace]
        assert milli(hard["requests.cpu"]) >= cpu, namespace
        assert int(hard["pods"]) >= pods, namespace
        hard_storage = hard["requests.storage"]
        assert (0 if hard_storage == "0" else int(hard_storage.removesuffix("Gi"))) >= storage, namespace


def test_every_bundled_entry_has_tls_and_the_two_classes_are_distinct(
    everything_moved: tuple[Settings, tuple[Manifest, ...]],
) -> None:
    _, manifests = everything_moved
    classes = {m["metadata"]["name"]: m["spec"]["controllerName"] for m in manifests if m["kind"] == "GatewayClass"}
    assert set(classes) == {desired.PUBLIC_INGRESS_CLASS, desired.GATEWAY_INGRESS_CLASS}
    assert len(set(classes.values())) == 2
    certificates = {
        (m["metadata"]["namespace"], m["spec"]["secretName"]): m["spec"]["dnsNames"]
        for m in manifests
        if m["kind"] == "Certificate"
    }
    listeners: dict[tuple[str, str, str], Manifest] = {}
    for gateway in (m for m in manifests if m["kind"] == "Gateway"):
        namespace = gateway["metadata"]["namespace"]
        for listener in gateway["spec"]["listeners"]:
            listeners[(namespace, gateway["metadata"]["name"], listener["name"])] = listener
            if listener["protocol"] == "HTTP":
                assert listener["allowedRoutes"]["namespaces"] == {"from": "Same"}  # the redirect only
                continue
            assert listener["protocol"] == "HTTPS"
            secret = listener["tls"]["certificateRefs"][0]["name"]
            assert certificates[(namespace, secret)] == [listener["hostname"]]
    routes = [m for m in manifests if m["kind"] == "HTTPRoute" and m["metadata"]["namespace"].startswith("d-")]
    assert any(r["metadata"]["name"].endswith("-public") for r in routes)
    assert any("-gateway" in r["metadata"]["name"] for r in routes)
    for route in routes:
        for parent in route["spec"]["parentRefs"]:
            listener = listeners[(parent["namespace"], parent["name"], parent["sectionName"])]
            assert listener["protocol"] == "HTTPS", route["metadata"]["name"]
            for host in route["spec"]["hostnames"]:
                wanted = listener["hostname"]
                assert host == wanted or (wanted.startswith("*.") and host.endswith(wanted[1:]))


# --- the policy pack under Pulumi's mock runtime -------------------------------------------------------------


class _Mocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.created: list[MockResourceArgs] = []

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.created.append(args)
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}


@pytest.fixture
def mocks() -> _Mocks:
    fresh = _Mocks()
    pulumi.runtime.set_mocks(fresh, project="govcloud-departments", stack="dev", preview=False)
    return fresh


_OPTS = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)


def _pack_violations(created: list[MockResourceArgs]) -> dict[str, list[tuple[str, str | None]]]:
    """Run the pack's policies over what the program declared, as the engine hands resources over."""
    resources = []
    for args in created:
        if not args.typ.startswith("kubernetes:"):
            continue
        props = {"apiVersion": args.inputs.get("apiVersion"), "kind": args.inputs.get("kind"), **args.inputs}
        resources.append(
            PolicyResource(
                args.typ, unknown_checking_proxy(props), f"urn:{args.name}", args.name, _OPTS, None, None, [], {}
            )
        )
    reported: dict[str, list[tuple[str, str | None]]] = {}
    for policy in pulumi_policy_pack.stack_policies():
        found = reported.setdefault(policy.name, [])

        def report(message: str, urn: str | None = None, found: list[tuple[str, str | None]] = found) -> None:
            found.append((message, urn))

        policy.validate(StackValidationArgs(resources, None), report)
    return reported


@pulumi.runtime.test
def test_the_policy_pack_rejects_a_placeholder_image_declared_by_the_program(mocks: _Mocks) -> Any:
    inv = inventory(
        [department("AAA")], [system("AAA-001", image=None), system("AAA-002", image=pinned_image("AAA-002"))]
    )
    progress = {"AAA-001": Progress.at(Stage.NETWORK), "AAA-002": Progress.at(Stage.NETWORK)}
    manifests = desired.desired_state(inv, progress, Settings()).departments["AAA"]
    component = pulumi_program.KubernetesObjects("department-aaa", pulumi_program.KubernetesObjectsArgs(manifests))

    placeholder = next(m for m in manifests if m["kind"] == "Deployment" and m["metadata"]["name"] == "aaa-001")

    def check(_: Any) -> None:
        assert len([a for a in mocks.created if a.typ.startswith("kubernetes:")]) == len(manifests)
        reported = _pack_violations(mocks.created)
        assert {urn for _, urn in reported[policies.IMAGE_PINNED]} == {
            f"urn:{pulumi_program.resource_name(placeholder)}"
        }
        assert all("placeholder" in message for message, _ in reported[policies.IMAGE_PINNED])
        others = {name: found for name, found in reported.items() if found and name != policies.IMAGE_PINNED}
        assert others == {}

    return pulumi.Output.all(*(r.urn for r in component.resources.values())).apply(check)


# --- platform services and the data stage's steps -------------------------------------------------------------


def test_a_platform_service_with_an_image_runs_as_a_probed_workload_its_policies_admit() -> None:
    inv, progress = _database_city()
    platform = inv.network.platform
    exchange = platform.exchange.model_copy(update={"image": f"registry.city/platform/exchange:3.2@{DIGEST}"})
    network = inv.network.model_copy(update={"platform": platform.model_copy(update={"exchange": exchange})})
    with_image = inv.model_copy(update={"network": network})
    state = desired.desired_state(with_image, progress, Settings())
    workload = named(state, "Deployment", "exchange", "govcloud-exchange")
    pod_labels = workload["spec"]["template"]["metadata"]["labels"]
    assert pod_labels[desired.PLATFORM_LABEL] == "exchange"  # what the platform's NetworkPolicies select
    assert workload["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["scheme"] == "HTTPS"
    assert named(state, "Service", "exchange", "govcloud-exchange")["spec"]["selector"] == {
        desired.PLATFORM_LABEL: "exchange"
    }
    assert [v for m in state.all() for v in policies.resource_violations(m)] == []
    without = desired.desired_state(inv, progress, Settings())
    assert not [m for m in objects(without, "Deployment") if m["metadata"]["namespace"] == "govcloud-exchange"]


def test_an_exchange_and_gateway_off_the_cluster_are_services_at_their_census_addresses() -> None:
    inv, progress = _database_city()
    platform = inv.network.platform
    off = {name: getattr(platform, name).model_copy(update={"on_cluster": False}) for name in flows.PLATFORM_SERVICES}
    network = inv.network.model_copy(update={"platform": platform.model_copy(update=off)})
    state = desired.desired_state(inv.model_copy(update={"network": network}), progress, Settings())
    schemas = k8s_schema.shared_schemas("1.30", True)
    for name in desired.OFF_CLUSTER_SERVICE_NAMES:
        namespace = desired.PLATFORM_NAMESPACES[name]
        census: model.PlatformService = off[name]
        service = named(state, "Service", name, namespace)
        assert "selector" not in service["spec"]  # no pods of its own: the EndpointSlice says where it is
        assert [(p["name"], p["port"]) for p in service["spec"]["ports"]] == [(p.name, p.port) for p in census.ports]
        endpoints = named(state, "EndpointSlice", name, namespace)
        assert endpoints["metadata"]["labels"]["kubernetes.io/service-name"] == name
        assert endpoints["endpoints"] == [{"addresses": [str(census.address)], "conditions": {"ready": True}}]
        assert [(p["name"], p["port"]) for p in endpoints["ports"]] == [(p.name, p.port) for p in census.ports]
        assert not objects(state, "Deployment", namespace)
        assert named(state, "NetworkPolicy", "default-deny", namespace)
        assert schemas.validate(service) == []
        assert schemas.validate(endpoints) == []
    # the public ingress off the cluster is an address the firewall admits, nothing the cluster names
    assert not objects(state, None, desired.PLATFORM_NAMESPACES["ingress"])
    assert [v for m in state.all() for v in policies.resource_violations(m)] == []
    assert list(policies.stack_violations(state.all())) == []
    on = desired.desired_state(inv, progress, Settings())
    assert not objects(on, "EndpointSlice", desired.PLATFORM_NAMESPACES["exchange"])


def test_the_data_stage_steps_follow_each_database_decision() -> None:
    inv, _ = _database_city()
    settings = Settings()
    assessment = assess.assess_inventory(inv, settings, today=dt.date(2026, 7, 1))
    wave_plan = waves.plan_waves(inv, assessment, settings.waves)
    [plan] = [p for p in plans.build_plans(inv, assessment, wave_plan, settings) if p.system == "AAA-001"]
    data = next(stage for stage in plan.stages if stage.stage is Stage.DATA)
    moved, stays = (step for step in data.steps if "PostgreSQL" in step.do or "Oracle" in step.do)
    assert "200 GiB" in moved.do
    assert "encrypted-mlps3" in moved.do
    assert moved.objects == ("StatefulSet/d-aaa/aaa-001-db-1", "Service/d-aaa/aaa-001-db-1")
    assert "stays on its legacy host 10.80.0.201:1521" in stays.do
    assert stays.objects == ("Service/d-aaa/aaa-001-db-2", "EndpointSlice/d-aaa/aaa-001-db-2")


def test_gateway_proxies_reach_their_own_controller_only() -> None:
    inv, progress = _database_city()
    state = desired.desired_state(inv, progress, Settings())
    cloud = CloudSettings()
    namespaces = {m["metadata"]["name"]: m["metadata"]["labels"] for m in objects(state, "Namespace")}
    namespaces.update({cloud.public_gateway_control_namespace: {}, cloud.collaboration_gateway_control_namespace: {}})
    cluster = netpol_eval.Cluster(namespaces, objects(state, "NetworkPolicy"))

    def pod(namespace: str, labels: Mapping[str, str]) -> netpol_eval.Pod:
        return netpol_eval.Pod(namespace, "p", labels, None)

    public_proxy = pod("govcloud-ingress", {desired.PLATFORM_LABEL: "ingress"})
    collaboration_proxy = pod("govcloud-gateway", {desired.PLATFORM_LABEL: "gateway"})
    public_control = pod(cloud.public_gateway_control_namespace, {})
    collaboration_control = pod(cloud.collaboration_gateway_control_namespace, {})
    port = cloud.gateway_control_port
    assert cluster.egress_allows(public_proxy, public_control, port)
    assert cluster.egress_allows(collaboration_proxy, collaboration_control, port)
    assert not cluster.egress_allows(public_proxy, collaboration_control, port)
    assert not cluster.egress_allows(collaboration_proxy, public_control, port)
    assert not cluster.egress_allows(public_proxy, public_control, 22)
