"""The Pulumi programs of stacks/ under Pulumi's mock runtime (no CLI, no engine, no cluster here).

Mocks are set in a fixture, fresh per test, and every test runs its program under ``@pulumi.runtime.test``
(the negative tests through a decorated inner program, so that ``pytest.raises`` can see the failure).

One source of truth, checked: the objects each program declares (the inputs the mock monitor receives) equal,
field for field, the objects ``govcloud render`` writes and ``desired_state`` returns for the same small
inventory and plans. Numbers come back from the SDK as floats, so both sides are compared with every number
as a float.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.mocks import MockMonitor, MockResourceArgs
from typer.testing import CliRunner

from govcloud.app import stacks as app_stacks
from govcloud.cli import app
from govcloud.cloud.core import desired
from govcloud.cloud.edges import pulumi_program
from govcloud.core import example
from govcloud.edges import inventory_files
from govcloud.planning.core import stages
from govcloud.planning.edges import plan_progress

Manifest = Mapping[str, Any]
PROJECT = "govcloud"
STACK = "dev"
PROVIDER_TYPE = "pulumi:providers:kubernetes"
PLATFORM_STACK = f"organization/govcloud-platform/{STACK}"
SECRET_SIG = "4dabf18193072939515e22adb298388d"  # Pulumi's wire marker of a secret value
SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270"


# --- the inventory: a small example city with a few systems at each stage ----------------------------------


@dataclasses.dataclass(frozen=True)
class City:
    inventory: Path
    plans: Path
    state: desired.DesiredState
    rendered: dict[str, list[dict[str, Any]]]
    """Rendered file name → the objects in it, as `govcloud render` wrote them."""

    def config(self, **changes: Any) -> pulumi_program.StackConfig:
        base = pulumi_program.StackConfig(
            inventory_dir=self.inventory, plans_dir=self.plans, kubeconfig_path="/etc/govcloud/kubeconfig-test.yaml"
        )
        return dataclasses.replace(base, **changes)


def _write_plans(plans: Path, inventory: Any) -> int:
    placed = [s for s in inventory.systems if s.cloud is not None and not s.classified and (s.mlps_level or 0) <= 3]
    order = (stages.Stage.NETWORK, stages.Stage.DATA, stages.Stage.BUSINESS)
    plans.mkdir()
    chosen = placed[:18]
    for index, system in enumerate(chosen):
        reached = order[index % 3]
        statuses = []
        for stage in order:
            status = "done" if stage.order < reached.order else "in_progress" if stage is reached else "pending"
            entry: dict[str, Any] = {"stage": stage.value, "status": status}
            if stage is stages.Stage.BUSINESS:
                entry["callers"] = ["GAJ", "MZJ"]
            statuses.append(entry)
        (plans / f"{system.code}.yaml").write_text(
            yaml.safe_dump({"system": system.code, "stages": statuses}, allow_unicode=True), encoding="utf-8"
        )
    return len(chosen)


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> City:
    root = tmp_path_factory.mktemp("city")
    generated = example.generate_city(systems=80).inventory
    inventory_files.write_inventory(root / "inventory", generated)
    _write_plans(root / "plans", generated)
    loaded = inventory_files.load_inventory(root / "inventory")
    progress = plan_progress.load_progress(root / "plans", inventory=loaded.inventory)
    state = desired.desired_state(loaded.inventory, progress, pulumi_program.load_settings(root / "inventory"))
    result = CliRunner().invoke(
        app,
        ["render", "--inventory", str(root / "inventory"), "--plans", str(root / "plans"), "--out", str(root / "out")],
    )
    assert result.exit_code == 0, result.output
    rendered = {
        path.name: [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc is not None]
        for path in sorted((root / "out").glob("*.yaml"))
    }
    return City(root / "inventory", root / "plans", state, rendered)


# --- the mock runtime, fresh per test ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Registration:
    type: str
    name: str
    parent: str
    dependencies: tuple[str, ...]
    urn: str


class RecordingMocks(pulumi.runtime.Mocks):
    """Echoes inputs as state; a StackReference gets ``stack_outputs`` as the referenced stack's outputs."""

    def __init__(self) -> None:
        self.created: list[MockResourceArgs] = []
        self.stack_outputs: dict[str, Any] = {}

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.created.append(args)
        if args.typ == "pulumi:pulumi:StackReference":
            return args.name, {**args.inputs, "outputs": self.stack_outputs}
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}


class RecordingMonitor(MockMonitor):
    """The SDK's mock monitor, also recording each registration's parent and dependencies (URNs)."""

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        self.registrations.append(
            Registration(request.type, request.name, request.parent, tuple(request.dependencies), response.urn)
        )
        return response


@dataclasses.dataclass
class Session:
    mocks: RecordingMocks
    monitor: RecordingMonitor

    def kubernetes_objects(self) -> list[MockResourceArgs]:
        return [args for args in self.mocks.created if args.typ.startswith("kubernetes:")]

    def exported(self) -> dict[str, Any]:
        root = pulumi_settings.get_root_resource()
        assert root is not None
        return dict(root.outputs)  # type: ignore[attr-defined]


def _fresh_session() -> Session:
    pulumi_settings.ROOT.set(None)  # a new root Stack, so exports of earlier tests do not linger
    pulumi.runtime.set_all_config({}, [])
    mocks = RecordingMocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=STACK, preview=False, monitor=monitor)
    return Session(mocks, monitor)


@pytest.fixture
def session() -> Iterator[Session]:
    yield _fresh_session()
    pulumi.runtime.set_all_config({}, [])


@pytest.fixture(scope="module")
def platform_outputs(city: City) -> dict[str, Any]:
    """What the platform program exports, resolved: the departments stacks read these through the reference."""
    _fresh_session()
    captured: dict[str, Any] = {}

    @pulumi.runtime.test
    def run() -> pulumi.Output[None]:
        result = app_stacks.run_platform_program(city.config())
        return pulumi.Output.all(**result.outputs).apply(captured.update)

    run()
    return captured


def settled(result: pulumi_program.ProgramResult) -> pulumi.Output[list[Any]]:
    """Resolves once every object the program declared is registered (the checks run after that)."""
    return pulumi.Output.all(*(r.urn for c in result.components.values() for r in c.resources.values()))


# --- comparison helpers -------------------------------------------------------------------------------------


def normalise(value: Any) -> Any:
    """Every number as a float (the SDK returns floats), containers as plain dicts and lists."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, Mapping):
        return {str(k): normalise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalise(v) for v in value]
    raise TypeError(f"unexpected value {value!r}")


def by_identity(objects: list[Manifest]) -> dict[tuple[str, str, str, str], Any]:
    indexed: dict[tuple[str, str, str, str], Any] = {}
    for manifest in objects:
        key = pulumi_program.identity(manifest)
        assert key not in indexed, f"{key} twice"
        indexed[key] = normalise(manifest)
    return indexed


def assert_same_objects(declared: list[Manifest], expected: list[Manifest]) -> None:
    got, want = by_identity(declared), by_identity(expected)
    assert sorted(set(want) - set(got)) == [], "objects missing from the Pulumi program"
    assert sorted(set(got) - set(want)) == [], "objects the Pulumi program declares but render does not write"
    different = [key for key in want if got[key] != want[key]]
    assert different == [], (
        f"{len(different)} objects differ, e.g. {different[:1]}: {got[different[0]] if different else ''}"
    )


def rendered_departments(city: City, codes: list[str] | None = None) -> list[dict[str, Any]]:
    names = (
        [f"department-{c.lower()}.yaml" for c in codes] if codes else [n for n in city.rendered if n != "platform.yaml"]
    )
    return [m for name in names for m in city.rendered[name]]


# --- the platform stack ---------------------------------------------------------------------------------------


@pulumi.runtime.test
def test_platform_program_declares_exactly_the_rendered_platform_objects(city: City, session: Session) -> Any:
    result = app_stacks.run_platform_program(city.config())

    def check(_: Any) -> None:
        declared = [args.inputs for args in session.kubernetes_objects()]
        assert_same_objects(declared, city.rendered["platform.yaml"])
        assert_same_objects(declared, list(city.state.platform))

    return settled(result).apply(check)


@pulumi.runtime.test
def test_platform_outputs_name_the_shared_services_and_fingerprint_the_objects(city: City, session: Session) -> Any:
    result = app_stacks.run_platform_program(city.config())
    exported = session.exported()
    assert set(exported) == set(result.outputs)
    inventory = inventory_files.load_inventory(city.inventory).inventory
    platform = inventory.network.platform

    def check(values: dict[str, Any]) -> None:
        assert values["namespaces"] == sorted(desired.PLATFORM_NAMESPACES.values())
        assert values["ingressClasses"] == []  # routes are Gateway API now
        assert values["gateways"] == [
            f"govcloud-gateway/{desired.COLLABORATION_GATEWAY}",
            f"govcloud-ingress/{desired.PUBLIC_GATEWAY}",
        ]
        assert values["exchangeAddress"] == str(platform.exchange.address)
        assert values["gatewayAddress"] == str(platform.gateway.address)
        assert values["ingressAddress"] == str(platform.ingress.address)
        assert values["platformServices"]["gateway"]["namespace"] == "govcloud-gateway"
        assert values["platformServices"]["ingress"]["ingressClass"] == desired.PUBLIC_INGRESS_CLASS
        assert values["objectCount"] == len(city.state.platform)
        assert sum(values["objectCounts"].values()) == len(city.state.platform)
        assert values["platformDigest"] == pulumi_program.manifests_digest(city.state.platform)

    return pulumi.Output.all(**exported).apply(check)


# --- the departments stack --------------------------------------------------------------------------------


@pulumi.runtime.test
def test_departments_program_declares_exactly_the_rendered_department_objects(
    city: City, session: Session, platform_outputs: dict[str, Any]
) -> Any:
    session.mocks.stack_outputs = platform_outputs
    result = app_stacks.run_departments_program(city.config())

    def check(_: Any) -> None:
        declared = [args.inputs for args in session.kubernetes_objects()]
        names = [args.name for args in session.kubernetes_objects()]
        assert len(names) == len(set(names)), "the engine would refuse duplicate names; mocks do not"
        assert_same_objects(declared, rendered_departments(city))
        expected = [m for code in sorted(city.state.departments) for m in city.state.departments[code]]
        assert_same_objects(declared, expected)
        assert len(declared) == len(result.manifests) > 300

    return settled(result).apply(check)


@pulumi.runtime.test
def test_resource_names_are_unique_deterministic_and_children_use_the_explicit_provider(
    city: City, session: Session, platform_outputs: dict[str, Any]
) -> Any:
    session.mocks.stack_outputs = platform_outputs
    selected = ("CZJ", "GAJ", "JYJ", "MZJ")
    result = app_stacks.run_departments_program(city.config(departments=selected))

    def check(_: Any) -> None:
        objects = session.kubernetes_objects()
        names = [args.name for args in objects]
        assert len(names) == len(set(names)), "the engine would refuse duplicate names; mocks do not"
        assert sorted(names) == sorted(pulumi_program.resource_name(m) for m in result.manifests)
        assert "namespace/d-gaj" in names
        assert "networkpolicy/d-gaj/default-deny" in names
        providers = [r for r in session.monitor.registrations if r.type == PROVIDER_TYPE]
        assert len(providers) == 1
        assert {args.provider.split("::")[-2] for args in objects} == {"kubernetes"}
        components = {r.urn: r.name for r in session.monitor.registrations if r.type == pulumi_program.COMPONENT_TYPE}
        assert set(components.values()) == {f"department-{code.lower()}" for code in selected}
        children = [r for r in session.monitor.registrations if r.type.startswith("kubernetes:")]
        assert all(r.parent in components for r in children), "every object is a child of its component"

    return settled(result).apply(check)


@pulumi.runtime.test
def test_namespaced_objects_depend_on_their_namespace_and_on_the_verified_platform(
    city: City, session: Session, platform_outputs: dict[str, Any]
) -> Any:
    session.mocks.stack_outputs = platform_outputs
    result = app_stacks.run_departments_program(city.config(departments=("GAJ", "MZJ")))

    def check(_: Any) -> None:
        registrations = session.monitor.registrations
        namespace_urns = {r.name.split("/", 1)[1]: r.urn for r in registrations if r.name.startswith("namespace/")}
        # A StackReference is read, not registered: its URN shows up only among the dependencies.
        reference = [
            f"urn:pulumi:{STACK}::{PROJECT}::pulumi:pulumi:Stack$pulumi:pulumi:StackReference::{PLATFORM_STACK}"
        ]
        order = [r.name for r in registrations]
        checked = 0
        for registration in registrations:
            if not registration.type.startswith("kubernetes:"):
                continue
            assert reference[0] in registration.dependencies, f"{registration.name} does not wait for the check"
            if registration.name.startswith("namespace/"):
                continue
            namespace = registration.name.split("/")[1]
            assert namespace_urns[namespace] in registration.dependencies, registration.name
            assert order.index(f"namespace/{namespace}") < order.index(registration.name)
            checked += 1
        assert checked == len(result.manifests) - len(namespace_urns) > 0

    return settled(result).apply(check)


@pulumi.runtime.test
def test_departments_stack_reads_the_platform_through_a_stack_reference(
    city: City, session: Session, platform_outputs: dict[str, Any]
) -> Any:
    session.mocks.stack_outputs = platform_outputs
    result = app_stacks.run_departments_program(city.config(departments=("GAJ",)))
    exported = session.exported()

    def check(values: dict[str, Any]) -> None:
        references = [a for a in session.mocks.created if a.typ == "pulumi:pulumi:StackReference"]
        assert [a.name for a in references] == [PLATFORM_STACK]
        assert values["gatewayAddress"] == platform_outputs["gatewayAddress"]
        assert values["exchangeAddress"] == platform_outputs["exchangeAddress"]
        assert values["platformDigest"] == platform_outputs["platformDigest"]
        assert values["platformStack"] == PLATFORM_STACK
        assert set(values["platformNamespacesUsed"]) <= set(platform_outputs["namespaces"])
        assert "govcloud-exchange" in values["platformNamespacesUsed"]
        assert values["departments"] == ["GAJ"]
        assert values["namespaces"]["GAJ"] == sorted(
            pulumi_program.names_of_kind(city.state.departments["GAJ"], "Namespace")
        )
        assert values["objectCount"] == len(result.manifests) == len(city.state.departments["GAJ"])
        hosts = pulumi_program.hostnames_by_route_class(city.state.departments["GAJ"])
        assert values["publicHostnames"] == hosts[desired.PUBLIC_INGRESS_CLASS]
        assert values["publicHostnames"]  # GAJ publishes a system on the Internet gateway

    return pulumi.Output.all(settled(result), pulumi.Output.all(**exported)).apply(lambda v: check(v[1]))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"platformDigest": "0" * 64}, "run `pulumi up` on the platform stack first"),
        ({"namespaces": ["govcloud-gateway"]}, "has not created the namespace"),
        ({"gateways": [f"govcloud-gateway/{desired.COLLABORATION_GATEWAY}"]}, "has not created the Gateway"),
    ],
    ids=["stale-digest", "missing-namespace", "missing-gateway"],
)
def test_departments_stack_refuses_a_platform_that_does_not_fit(
    city: City, session: Session, platform_outputs: dict[str, Any], change: dict[str, Any], message: str
) -> None:
    session.mocks.stack_outputs = {**platform_outputs, **change}

    @pulumi.runtime.test
    def program() -> Any:
        return app_stacks.run_departments_program(city.config(departments=("GAJ",))).outputs["platformDigest"]

    with pytest.raises(ValueError, match=message) as raised:
        program()
    _settle_failed_program()
    chain: list[BaseException] = []
    error: BaseException | None = raised.value
    while error is not None:
        chain.append(error)
        error = error.__cause__
    assert any(isinstance(e, pulumi_program.PlatformMismatchError) for e in chain), chain
    assert session.kubernetes_objects() == [], "nothing is declared before the platform check passes"


def _settle_failed_program() -> None:
    """Let the registrations still running when the program failed finish, and mark their errors as seen.

    A failed program leaves one failed future per output of every resource that waited for the platform check
    (as it would in a real run). asyncio logs each one when it is garbage-collected, and on CPython 3.11 that
    can happen inside a later ``ast.parse`` (pytest's assertion rewriting) and break it with
    "AST constructor recursion depth mismatch". So settle them now.
    """
    rpcs = list(pulumi_settings.SETTINGS.rpc_manager.rpcs)
    asyncio.get_event_loop().run_until_complete(asyncio.gather(*rpcs, return_exceptions=True))
    pulumi_settings.SETTINGS.rpc_manager.clear()
    for candidate in gc.get_objects():
        if isinstance(candidate, asyncio.Future) and candidate.done() and not candidate.cancelled():
            candidate.exception()


@pulumi.runtime.test
def test_config_is_read_from_pulumi_config_with_the_kubeconfig_as_a_secret(city: City, session: Session) -> Any:
    pulumi.runtime.set_all_config(
        {
            "govcloud:inventoryDir": str(city.inventory),
            "govcloud:plansDir": str(city.plans),
            "govcloud:departments": '["MZJ", "GAJ"]',
            "govcloud:platformStack": "organization/govcloud-platform/prod",
            "govcloud:kubeContext": "govcloud-prod",
            "govcloud:kubeconfig": "apiVersion: v1\nkind: Config\n",
        },
        ["govcloud:kubeconfig"],
    )
    config = pulumi_program.StackConfig.from_pulumi()
    assert config.inventory_dir == city.inventory
    assert config.departments == ("MZJ", "GAJ")
    assert config.platform_stack_name() == "organization/govcloud-platform/prod"
    assert config.kubeconfig is not None
    provider = pulumi_program.kubernetes_provider(config)

    def check(values: list[Any]) -> None:
        is_secret, _ = values
        assert is_secret
        created = [a for a in session.mocks.created if a.typ == PROVIDER_TYPE]
        assert created[0].inputs["context"] == "govcloud-prod"
        kubeconfig = created[0].inputs["kubeconfig"]  # a secret reaches the provider as a secret
        assert kubeconfig[SECRET_SIG] == SECRET_SIG_VALUE
        assert kubeconfig["value"].startswith("apiVersion: v1")

    return pulumi.Output.all(pulumi.Output.from_input(config.kubeconfig.is_secret()), provider.urn).apply(check)


@pulumi.runtime.test
def test_config_errors_name_the_problem(city: City, session: Session) -> None:
    with pytest.raises(pulumi_program.StackConfigError, match="not department codes: gaj"):
        pulumi_program.department_selection('["gaj"]')
    with pytest.raises(pulumi_program.StackConfigError, match="not a valid list"):
        pulumi_program.department_selection("[GAJ")
    assert pulumi_program.department_selection("all") is None
    assert pulumi_program.department_selection(None) is None
    assert pulumi_program.department_selection("GAJ, MZJ") == ("GAJ", "MZJ")
    pulumi.runtime.set_all_config({"govcloud:departments": "all"}, [])
    config = pulumi_program.StackConfig.from_pulumi()
    assert config.departments is None
    assert config.inventory_dir == Path("../../inventory")
    assert config.kubeconfig is None
    with pytest.raises(pulumi_program.StackConfigError, match="unknown department"):
        pulumi_program.select_departments(city.state, ["ZZZ"])


# --- declaring single manifests ----------------------------------------------------------------------------


def _namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


@pulumi.runtime.test
def test_the_same_object_twice_is_refused_before_the_engine_sees_it(session: Session) -> None:
    with pytest.raises(pulumi_program.ResourceNameClashError, match="namespace/d-gaj"):
        pulumi_program.resource_names([_namespace("d-gaj"), _namespace("d-gaj")])
    # names cannot collide across namespaces: "/" is not allowed in Kubernetes names
    a = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "c", "namespace": "a-b"}}
    b = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "b-c", "namespace": "a"}}
    assert pulumi_program.resource_names([a, b]) == ["service/a-b/c", "service/a/b-c"]


@pulumi.runtime.test
def test_unknown_kinds_and_undeclarable_fields_are_clear_errors(session: Session) -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "a"}}
    with pytest.raises(
        pulumi_program.UnknownKindError, match=r"Secret a/s \(v1\): no Pulumi resource class.*supported: "
    ):
        pulumi_program.resource_name(secret)
    with_status = {**_namespace("a"), "status": {"phase": "Active"}}
    with pytest.raises(pulumi_program.ManifestShapeError, match="status cannot be declared"):
        pulumi_program.declare(with_status, "namespace/a")
    unnamespaced = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}}
    with pytest.raises(pulumi_program.ManifestShapeError, match=r"needs metadata\.namespace"):
        pulumi_program.resource_name(unnamespaced)


@pulumi.runtime.test
def test_gateway_api_and_rbac_objects_are_declared_field_for_field(session: Session) -> Any:
    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "permits", "namespace": "d-gaj"},
        "spec": {
            "parentRefs": [{"name": "collaboration", "namespace": "govcloud-gateway"}],
            "hostnames": ["permits.gateway.egov.internal"],
            "rules": [{"backendRefs": [{"name": "permits", "port": 8080}]}],
        },
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "admins", "namespace": "d-gaj"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "department-admin"},
        "subjects": [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "gaj-admins"}],
    }
    manifests = [_namespace("d-gaj"), route, binding]
    component = pulumi_program.KubernetesObjects("test", pulumi_program.KubernetesObjectsArgs(manifests))
    assert pulumi_program.referenced_namespaces(manifests) == {"d-gaj", "govcloud-gateway"}

    def check(values: list[Any]) -> None:
        namespaces, count, _ = values
        assert namespaces == ["d-gaj"]
        assert count == 3
        declared = {a.name: a for a in session.kubernetes_objects()}
        assert declared["httproute/d-gaj/permits"].typ == "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
        assert_same_objects([a.inputs for a in declared.values()], manifests)

    urns = pulumi.Output.all(*(r.urn for r in component.resources.values()))
    return pulumi.Output.all(component.namespaces, component.object_count, urns).apply(check)


@pulumi.runtime.test
def test_every_registered_kind_takes_metadata(session: Session) -> None:
    for (api_version, kind), declaration in pulumi_program.KINDS.items():
        assert "metadata" in declaration.keywords, f"{api_version} {kind}"
    assert pulumi_program.KINDS[("rbac.authorization.k8s.io/v1", "RoleBinding")].keywords["roleRef"] == "role_ref"
