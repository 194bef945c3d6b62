"""The Pulumi programs of ``stacks/platform`` and ``stacks/departments``. Edge (Pulumi, files).

Besides the policy pack, the only module that imports ``pulumi`` and ``pulumi_kubernetes``. It decides
nothing about the cloud: :func:`govcloud.cloud.core.desired.desired_state` computes every Kubernetes object, pure,
from the inventory and the plans, and ``govcloud render`` writes the very same objects as YAML. This module
only *declares* them:

- :class:`KubernetesObjects`, a component resource, declares a list of manifests, each with the typed
  ``pulumi_kubernetes`` class of its (apiVersion, kind) (Gateway API kinds as ``CustomResource``), passing
  the manifest's own fields (``metadata``, ``spec``, ``rules``, ``data`` ...) unchanged, so what Pulumi sends
  to the cluster is the manifest, field for field;
- every object gets a deterministic Pulumi name, ``<kind>/<namespace>/<name>`` (cluster-scoped:
  ``<kind>/<name>``), lower case. ``/`` cannot occur in a Kubernetes name or namespace, so two different
  objects cannot get the same name; a manifest listed twice is refused (:class:`ResourceNameClashError`)
  rather than left to the engine;
- every namespaced object ``depends_on`` the Namespace it lives in when the same stack declares it;
- :func:`run_platform_program` and :func:`run_departments_program` read the stack configuration
  (:class:`StackConfig`, the one place that reads Pulumi config), get their inputs from the application
  layer (:func:`govcloud.app.stacks.stack_inputs`: the workspace, the strict plan read, the day's grants,
  the desired state), declare them through an explicit Kubernetes provider and export outputs. Plan
  files that fail ``govcloud plan --check`` stop the program before anything is declared
  (:class:`ProgramInputError`, naming each file, line and problem).

The departments program reads the platform stack's outputs through a ``StackReference`` and refuses to go on
(:class:`PlatformMismatchError`) unless the platform stack was last deployed from the same platform objects
(``platformDigest``) and has created every platform namespace the department NetworkPolicies point at and
every IngressClass the department Ingresses name and every Gateway their HTTPRoutes attach to. Every
department object ``depends_on`` that verified reference, so nothing is created before the check passes; it
also re-exports the platform's addresses.

Nothing here creates a resource at import time: the stacks' ``__main__.py`` call ``govcloud.app.stacks``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import pulumi
import pulumi_kubernetes as k8s

import govcloud
from govcloud.cloud.core import desired
from govcloud.core import model
from govcloud.core import settings as core_settings
from govcloud.edges import settings_file
from govcloud.errors import GovcloudError, InputError

Manifest = Mapping[str, Any]

CONFIG_NAMESPACE: Final = "govcloud"
"""Pulumi config namespace of every key this module reads (``govcloud:inventoryDir`` ...)."""
PLATFORM_PROJECT: Final = "govcloud-platform"
"""The platform stack's Pulumi project name (``stacks/platform/Pulumi.yaml``)."""
COMPONENT_TYPE: Final = "govcloud:kubernetes:Objects"
OUTPUT_PLATFORM_DIGEST: Final = "platformDigest"
OUTPUT_NAMESPACES: Final = "namespaces"
OUTPUT_INGRESS_CLASSES: Final = "ingressClasses"
OUTPUT_GATEWAYS: Final = "gateways"
"""The platform's Gateways as ``namespace/name``: the parents department HTTPRoutes attach to."""


class PulumiProgramError(GovcloudError, ValueError):
    """A Pulumi program cannot declare what it was asked to."""


class UnknownKindError(PulumiProgramError):
    """A manifest's (apiVersion, kind) has no Pulumi resource class in :data:`KINDS`."""


class ManifestShapeError(PulumiProgramError):
    """A manifest lacks what declaring it needs (a name, a namespace) or has a field its class does not take."""


class ResourceNameClashError(PulumiProgramError):
    """Two manifests would get the same Pulumi resource name (the same object declared twice)."""


class StackConfigError(PulumiProgramError):
    """The stack configuration is wrong (an unknown department, an empty selection)."""


class PlatformMismatchError(PulumiProgramError):
    """The platform stack's outputs do not fit: deployed from other platform objects, or missing what is used."""


class ProgramInputError(PulumiProgramError):
    """The census, its settings or the plan files the program reads are invalid: nothing is declared.

    Pulumi shows a program's failure by the exception's message only, so the message carries every problem as
    ``file:line: field: message`` (an :class:`InputError`'s own message is just its summary).
    """

    def __init__(self, error: InputError) -> None:
        self.problems = error.problems
        super().__init__(f"{error.summary}; nothing declared:\n{error.render()}")


# ---------------------------------------------------------------------------------------------------------
# Kinds: (apiVersion, kind) → Pulumi resource class


def _keywords_of(resource: type[pulumi.CustomResource], *, custom: bool) -> Mapping[str, str]:
    if custom:
        return {"metadata": "metadata", "spec": "spec"}
    parameters = inspect.signature(getattr(resource, "_internal_init")).parameters  # noqa: B009 - private to the SDK
    skipped = {"__self__", "self", "resource_name", "opts", "api_version", "kind", "__props__"}
    return {_camel(name): name for name in parameters if name not in skipped}


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@dataclasses.dataclass(frozen=True)
class KindDeclaration:
    """How to declare one kind: its resource class, whether it is namespaced, and whether it is a CRD kind."""

    resource: type[pulumi.CustomResource]
    namespaced: bool
    custom: bool = False
    """A CRD kind, declared as ``apiextensions.CustomResource`` (which takes only ``metadata`` and ``spec``)."""
    keywords: Mapping[str, str] = dataclasses.field(init=False, repr=False, compare=False)
    """Manifest field (camelCase) → constructor keyword (snake_case), besides apiVersion and kind."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "keywords", _keywords_of(self.resource, custom=self.custom))


_GATEWAY_GROUP: Final = "gateway.networking.k8s.io"
_GATEWAY_KINDS: Final = {"GatewayClass": False, "Gateway": True, "HTTPRoute": True, "GRPCRoute": True}
_GATEWAY_VERSIONS: Final = ("v1", "v1beta1")

KINDS: Final[Mapping[tuple[str, str], KindDeclaration]] = {
    ("v1", "Namespace"): KindDeclaration(k8s.core.v1.Namespace, namespaced=False),
    ("v1", "ResourceQuota"): KindDeclaration(k8s.core.v1.ResourceQuota, namespaced=True),
    ("v1", "LimitRange"): KindDeclaration(k8s.core.v1.LimitRange, namespaced=True),
    ("v1", "Service"): KindDeclaration(k8s.core.v1.Service, namespaced=True),
    ("v1", "ServiceAccount"): KindDeclaration(k8s.core.v1.ServiceAccount, namespaced=True),
    ("v1", "ConfigMap"): KindDeclaration(k8s.core.v1.ConfigMap, namespaced=True),
    ("discovery.k8s.io/v1", "EndpointSlice"): KindDeclaration(k8s.discovery.v1.EndpointSlice, namespaced=True),
    ("apps/v1", "Deployment"): KindDeclaration(k8s.apps.v1.Deployment, namespaced=True),
    ("apps/v1", "StatefulSet"): KindDeclaration(k8s.apps.v1.StatefulSet, namespaced=True),
    ("policy/v1", "PodDisruptionBudget"): KindDeclaration(k8s.policy.v1.PodDisruptionBudget, namespaced=True),
    ("networking.k8s.io/v1", "NetworkPolicy"): KindDeclaration(k8s.networking.v1.NetworkPolicy, namespaced=True),
    ("networking.k8s.io/v1", "Ingress"): KindDeclaration(k8s.networking.v1.Ingress, namespaced=True),
    ("networking.k8s.io/v1", "IngressClass"): KindDeclaration(k8s.networking.v1.IngressClass, namespaced=False),
    ("rbac.authorization.k8s.io/v1", "Role"): KindDeclaration(k8s.rbac.v1.Role, namespaced=True),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): KindDeclaration(k8s.rbac.v1.RoleBinding, namespaced=True),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): KindDeclaration(k8s.rbac.v1.ClusterRole, namespaced=False),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): KindDeclaration(
        k8s.rbac.v1.ClusterRoleBinding, namespaced=False
    ),
    ("cert-manager.io/v1", "Certificate"): KindDeclaration(
        k8s.apiextensions.CustomResource, namespaced=True, custom=True
    ),
    **{
        (f"{_GATEWAY_GROUP}/{version}", kind): KindDeclaration(
            k8s.apiextensions.CustomResource, namespaced=namespaced, custom=True
        )
        for version in _GATEWAY_VERSIONS
        for kind, namespaced in _GATEWAY_KINDS.items()
    },
}
"""Every kind the programs can declare. Secrets are deliberately absent: none belongs in rendered manifests."""


def kind_of(manifest: Manifest) -> KindDeclaration:
    """The declaration for a manifest's (apiVersion, kind); :class:`UnknownKindError` names what is supported."""
    key = (str(manifest.get("apiVersion")), str(manifest.get("kind")))
    try:
        return KINDS[key]
    except KeyError:
        supported = ", ".join(sorted({f"{v}/{k}" for v, k in KINDS}))
        raise UnknownKindError(
            f"{_describe(manifest)}: no Pulumi resource class for apiVersion {key[0]!r}, kind {key[1]!r}; "
            f"supported: {supported}"
        ) from None


# ---------------------------------------------------------------------------------------------------------
# Names, identities, digests (pure helpers over manifests)


def identity(manifest: Manifest) -> tuple[str, str, str, str]:
    """(apiVersion, kind, namespace or "", name): what identifies an object in a cluster."""
    metadata = manifest.get("metadata") or {}
    return (
        str(manifest.get("apiVersion")),
        str(manifest.get("kind")),
        str(metadata.get("namespace") or ""),
        str(metadata.get("name") or ""),
    )


def resource_name(manifest: Manifest) -> str:
    """The deterministic Pulumi name of a manifest: ``<kind>/<namespace>/<name>`` or ``<kind>/<name>``."""
    declaration = kind_of(manifest)
    _, kind, namespace, name = identity(manifest)
    if not name:
        raise ManifestShapeError(f"{_describe(manifest)}: metadata.name is required (no generated names)")
    if declaration.namespaced and not namespace:
        raise ManifestShapeError(f"{_describe(manifest)}: a {kind} needs metadata.namespace")
    if not declaration.namespaced and namespace:
        raise ManifestShapeError(f"{_describe(manifest)}: a {kind} is cluster-scoped; remove metadata.namespace")
    parts = (kind, namespace, name) if namespace else (kind, name)
    return "/".join(parts).lower()


def resource_names(manifests: Iterable[Manifest]) -> list[str]:
    """The Pulumi names of ``manifests``, in order; :class:`ResourceNameClashError` if any two coincide.

    The real engine refuses duplicate names but Pulumi's mocks accept them, so this is checked here, for every
    manifest of a stack at once.
    """
    names: list[str] = []
    first: dict[str, Manifest] = {}
    clashes: list[str] = []
    for manifest in manifests:
        name = resource_name(manifest)
        if name in first:
            clashes.append(f"{name!r}: {_describe(first[name])} and {_describe(manifest)}")
        else:
            first[name] = manifest
        names.append(name)
    if clashes:
        raise ResourceNameClashError("the same object is declared more than once: " + "; ".join(clashes))
    return names


def manifests_digest(manifests: Iterable[Manifest]) -> str:
    """A sha256 over the canonical JSON of ``manifests``, independent of their order."""
    canonical = sorted(json.dumps(m, sort_keys=True, ensure_ascii=False, separators=(",", ":")) for m in manifests)
    return hashlib.sha256("\n".join(canonical).encode("utf-8")).hexdigest()


def names_of_kind(manifests: Iterable[Manifest], kind: str) -> list[str]:
    """Names of the objects of ``kind`` among ``manifests``, sorted."""
    return sorted(identity(m)[3] for m in manifests if m.get("kind") == kind)


def referenced_namespaces(manifests: Iterable[Manifest]) -> set[str]:
    """Namespaces the manifests live in or point at.

    That is ``metadata.namespace``, NetworkPolicy namespace selectors on ``kubernetes.io/metadata.name``,
    Gateway API ``parentRefs``/``backendRefs`` namespaces and RBAC subjects' namespaces.
    """
    found: set[str] = set()
    for manifest in manifests:
        namespace = identity(manifest)[2]
        if namespace:
            found.add(namespace)
        _collect_namespace_refs(manifest.get("spec"), found)
        for subject in manifest.get("subjects") or ():
            if isinstance(subject, Mapping) and subject.get("namespace"):
                found.add(str(subject["namespace"]))
    return found


def _collect_namespace_refs(value: Any, found: set[str]) -> None:
    if isinstance(value, Mapping):
        selector = value.get("namespaceSelector")
        if isinstance(selector, Mapping):
            labels = selector.get("matchLabels")
            if isinstance(labels, Mapping) and desired.NAMESPACE_NAME_LABEL in labels:
                found.add(str(labels[desired.NAMESPACE_NAME_LABEL]))
        for key in ("parentRefs", "backendRefs"):
            for ref in value.get(key) or ():
                if isinstance(ref, Mapping) and ref.get("namespace"):
                    found.add(str(ref["namespace"]))
        for item in value.values():
            _collect_namespace_refs(item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            _collect_namespace_refs(item, found)


def hostnames_by_ingress_class(manifests: Iterable[Manifest]) -> dict[str, list[str]]:
    """Ingress class → the hostnames its Ingress rules publish (HTTPRoute/Gateway hostnames under ``gateway-api``)."""
    hosts: dict[str, set[str]] = {}
    for manifest in manifests:
        spec = manifest.get("spec") or {}
        kind = manifest.get("kind")
        if kind == "Ingress":
            found = hosts.setdefault(str(spec.get("ingressClassName") or ""), set())
            found.update(str(rule["host"]) for rule in spec.get("rules") or () if rule.get("host"))
        elif kind in {"HTTPRoute", "GRPCRoute"}:
            hosts.setdefault("gateway-api", set()).update(str(h) for h in spec.get("hostnames") or ())
    return {cls: sorted(found) for cls, found in sorted(hosts.items())}


_ROUTE_CLASS_OF_NAMESPACE: Final = {
    desired.PLATFORM_NAMESPACES["ingress"]: desired.PUBLIC_INGRESS_CLASS,
    desired.PLATFORM_NAMESPACES["gateway"]: desired.GATEWAY_INGRESS_CLASS,
}


def hostnames_by_route_class(manifests: Iterable[Manifest]) -> dict[str, list[str]]:
    """Class (``govcloud-internet``, ``govcloud-collaboration``) → the hostnames routed through it.

    Ingresses count under their IngressClass; HTTPRoutes under the class of the platform Gateway they attach
    to (the public Gateways live in ``govcloud-ingress``, the collaboration gateway in ``govcloud-gateway``).
    """
    hosts: dict[str, set[str]] = {
        cls: set(found) for cls, found in hostnames_by_ingress_class(manifests).items() if cls != "gateway-api"
    }
    for manifest in manifests:
        if manifest.get("kind") != "HTTPRoute":
            continue
        spec = manifest.get("spec") or {}
        for parent in spec.get("parentRefs") or ():
            cls = _ROUTE_CLASS_OF_NAMESPACE.get(str(parent.get("namespace") or ""))
            if cls is not None:
                hosts.setdefault(cls, set()).update(str(h) for h in spec.get("hostnames") or ())
    return {cls: sorted(found) for cls, found in sorted(hosts.items())}


def ingress_classes_used(manifests: Iterable[Manifest]) -> set[str]:
    """The IngressClasses the Ingresses among ``manifests`` name."""
    return {
        str(m["spec"]["ingressClassName"])
        for m in manifests
        if m.get("kind") == "Ingress" and (m.get("spec") or {}).get("ingressClassName")
    }


def gateways_used(manifests: Iterable[Manifest]) -> set[str]:
    """The Gateways (``namespace/name``) the HTTPRoutes among ``manifests`` attach to."""
    found: set[str] = set()
    for manifest in manifests:
        if manifest.get("kind") not in {"HTTPRoute", "GRPCRoute"}:
            continue
        own = str((manifest.get("metadata") or {}).get("namespace") or "")
        for parent in (manifest.get("spec") or {}).get("parentRefs") or ():
            if parent.get("kind", "Gateway") == "Gateway":
                found.add(f"{parent.get('namespace') or own}/{parent['name']}")
    return found


def service_hostnames(manifests: Iterable[Manifest], *, cluster_domain: str = "cluster.local") -> list[str]:
    """In-cluster DNS names of the Services among ``manifests``, sorted."""
    return sorted(
        f"{name}.{namespace}.svc.{cluster_domain}"
        for _, kind, namespace, name in map(identity, manifests)
        if kind == "Service"
    )


def counts_by_kind(manifests: Iterable[Manifest]) -> dict[str, int]:
    return dict(sorted(Counter(str(m.get("kind")) for m in manifests).items()))


def _describe(manifest: Manifest) -> str:
    api_version, kind, namespace, name = identity(manifest)
    where = f"{namespace}/{name}" if namespace else name
    return f"{kind} {where or '<unnamed>'} ({api_version})"


# ---------------------------------------------------------------------------------------------------------
# The component


@dataclasses.dataclass(frozen=True)
class KubernetesObjectsArgs:
    """What a :class:`KubernetesObjects` declares.

    ``wait_for``: resources (or outputs resolving to resources) every object depends on besides its namespace,
    e.g. the verified platform stack reference.
    """

    manifests: Sequence[Manifest]
    wait_for: Sequence[pulumi.Input[pulumi.Resource]] = ()


class KubernetesObjects(pulumi.ComponentResource):
    """Declares manifests as typed Kubernetes resources, children of this component, Namespaces first."""

    namespaces: pulumi.Output[list[str]]
    """Names of the Namespaces declared here, read from the resources (so: once they exist)."""
    ingress_classes: pulumi.Output[list[str]]
    """Names of the IngressClasses declared here, read from the resources."""
    gateways: pulumi.Output[list[str]]
    """The Gateways declared here as ``namespace/name``, read from the resources."""
    object_count: pulumi.Output[int]
    counts_by_kind: pulumi.Output[dict[str, int]]
    resources: Mapping[str, pulumi.CustomResource]
    """Pulumi name → declared resource."""

    def __init__(self, name: str, args: KubernetesObjectsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(COMPONENT_TYPE, name, None, opts)
        names = resource_names(args.manifests)
        # Namespaces first, then everything else in the order given, so the depends_on targets exist.
        ordered = sorted(zip(names, args.manifests, strict=True), key=lambda pair: pair[1].get("kind") != "Namespace")
        namespace_resources: dict[str, pulumi.CustomResource] = {}
        resources: dict[str, pulumi.CustomResource] = {}
        for pulumi_name, manifest in ordered:
            namespace = identity(manifest)[2]
            depends_on: list[pulumi.Input[pulumi.Resource]] = list(args.wait_for)
            if namespace in namespace_resources:
                depends_on.append(namespace_resources[namespace])
            resource = declare(manifest, pulumi_name, pulumi.ResourceOptions(parent=self, depends_on=depends_on))
            resources[pulumi_name] = resource
            if manifest.get("kind") == "Namespace":
                namespace_resources[identity(manifest)[3]] = resource
        self.resources = resources
        self.namespaces = _created_names(namespace_resources.values())
        self.ingress_classes = _created_names(
            resources[n] for n, m in zip(names, args.manifests, strict=True) if m.get("kind") == "IngressClass"
        )
        gateway_names = [
            resources[n].metadata.apply(lambda meta: f"{meta['namespace']}/{meta['name']}")  # type: ignore[attr-defined]
            for n, m in zip(names, args.manifests, strict=True)
            if m.get("kind") == "Gateway"
        ]
        self.gateways = pulumi.Output.all(*gateway_names).apply(lambda found: sorted(str(g) for g in found))
        self.object_count = pulumi.Output.from_input(len(args.manifests))
        self.counts_by_kind = pulumi.Output.from_input(counts_by_kind(args.manifests))
        self.register_outputs(
            {
                "namespaces": self.namespaces,
                "ingressClasses": self.ingress_classes,
                "gateways": self.gateways,
                "objectCount": self.object_count,
                "countsByKind": self.counts_by_kind,
            }
        )


def _created_names(resources: Iterable[pulumi.CustomResource]) -> pulumi.Output[list[str]]:
    """The ``metadata.name`` the cluster reports for each resource, sorted."""
    names = [resource.metadata.apply(lambda meta: meta.name) for resource in resources]  # type: ignore[attr-defined]
    return pulumi.Output.all(*names).apply(lambda found: sorted(str(n) for n in found))


def declare(manifest: Manifest, name: str, opts: pulumi.ResourceOptions | None = None) -> pulumi.CustomResource:
    """Declare one manifest as the Pulumi resource of its kind, with exactly the manifest's fields."""
    declaration = kind_of(manifest)
    keywords = declaration.keywords
    fields = {key: value for key, value in manifest.items() if key not in {"apiVersion", "kind"}}
    unknown = sorted(set(fields) - set(keywords))
    if unknown:
        raise ManifestShapeError(
            f"{_describe(manifest)}: field(s) {', '.join(unknown)} cannot be declared "
            f"(a {manifest['kind']} takes {', '.join(sorted(keywords))})"
        )
    arguments = {keywords[key]: value for key, value in fields.items()}
    if declaration.custom:
        return k8s.apiextensions.CustomResource(
            name, api_version=str(manifest["apiVersion"]), kind=str(manifest["kind"]), opts=opts, **arguments
        )
    return declaration.resource(name, opts=opts, **arguments)


# ---------------------------------------------------------------------------------------------------------
# Configuration: the one place that reads Pulumi config


@dataclasses.dataclass(frozen=True)
class StackConfig:
    """Everything a stack reads from its Pulumi config (namespace ``govcloud``); every key is optional.

    Relative paths are taken from the Pulumi project directory, where the program runs.

    - ``govcloud:inventoryDir``: the inventory directory (``../../inventory``);
    - ``govcloud:plansDir``: the plan files (``../../migrations_plan``; absent: no system has started);
    - ``govcloud:departments``: departments stack: ``all`` (the default) or a list of department codes;
    - ``govcloud:platformStack``: departments stack: the platform stack to reference
      (``<organization>/govcloud-platform/<this stack's name>``);
    - ``govcloud:kubeconfigPath``: a kubeconfig file (``$KUBECONFIG``, then ``~/.kube/config``);
    - ``govcloud:kubeContext``: a context in it (its current context);
    - ``govcloud:kubeconfig``: SECRET, a whole kubeconfig's contents (``pulumi config set --secret``); wins
      over ``kubeconfigPath``. Read with ``get_secret``, so it stays encrypted in state and logs.
    """

    inventory_dir: Path = Path("../../inventory")
    plans_dir: Path = Path("../../migrations_plan")
    departments: tuple[str, ...] | None = None
    """None: every department."""
    platform_stack: str | None = None
    kubeconfig_path: str | None = None
    kube_context: str | None = None
    kubeconfig: pulumi.Output[str] | None = dataclasses.field(default=None, repr=False)
    """A kubeconfig's contents, kept secret by Pulumi (never read with ``config.get``)."""

    @classmethod
    def from_pulumi(cls, config: pulumi.Config | None = None) -> StackConfig:
        config = config or pulumi.Config(CONFIG_NAMESPACE)
        return cls(
            inventory_dir=Path(config.get("inventoryDir") or cls.inventory_dir),
            plans_dir=Path(config.get("plansDir") or cls.plans_dir),
            departments=department_selection(config.get("departments")),
            platform_stack=config.get("platformStack"),
            kubeconfig_path=config.get("kubeconfigPath"),
            kube_context=config.get("kubeContext"),
            kubeconfig=config.get_secret("kubeconfig"),
        )

    def platform_stack_name(self) -> str:
        if self.platform_stack:
            return self.platform_stack
        organization = pulumi.get_organization() or "organization"
        return f"{organization}/{PLATFORM_PROJECT}/{pulumi.get_stack()}"


_DEPARTMENT_CODE = re.compile(r"^[A-Z][A-Z0-9]{1,15}$")


def department_selection(raw: str | None) -> tuple[str, ...] | None:
    """``govcloud:departments`` as department codes; None for ``all`` (or unset).

    The value is ``all``, a list (``[GAJ, MZJ]`` in the stack file, stored by Pulumi as JSON) or a
    comma-separated string (``GAJ,MZJ``).
    """
    if raw is None or raw.strip() in {"", "all"}:
        return None
    value: Any
    if raw.lstrip().startswith("["):
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise StackConfigError(f"govcloud:departments is not a valid list: {exc}") from exc
    else:
        value = [part.strip() for part in raw.split(",") if part.strip()]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise StackConfigError('govcloud:departments must be "all" or a non-empty list of department codes')
    bad = [v for v in value if not _DEPARTMENT_CODE.match(v)]
    if bad:
        raise StackConfigError(f"govcloud:departments: not department codes: {', '.join(bad)}")
    return tuple(dict.fromkeys(value))


def kubernetes_provider(config: StackConfig, name: str = "kubernetes") -> k8s.Provider:
    """The explicit Kubernetes provider every object uses (the default provider is disabled in the stacks)."""
    kubeconfig: pulumi.Input[str] | None = config.kubeconfig or config.kubeconfig_path
    return k8s.Provider(name, kubeconfig=kubeconfig, context=config.kube_context)


# ---------------------------------------------------------------------------------------------------------
# The programs


@dataclasses.dataclass(frozen=True)
class ProgramResult:
    """What a program declared and exported (the same outputs ``pulumi stack output`` shows)."""

    components: Mapping[str, KubernetesObjects]
    manifests: tuple[Manifest, ...]
    outputs: Mapping[str, Any]


@dataclasses.dataclass(frozen=True)
class StackInputs:
    """What a stack declares from: the inventory, its settings and the desired state the app computed."""

    inventory: model.Inventory
    settings: core_settings.Settings
    state: desired.DesiredState


StackInputsLoader = Callable[["StackConfig"], StackInputs]
"""Reads a stack's inputs (``govcloud.app.stacks.stack_inputs``: the workspace, the strict plan read, grants)."""


def load_settings(root: Path) -> core_settings.Settings:
    """``<inventory>/settings.yaml`` (defaults when absent), validated with every problem and its line."""
    return settings_file.load_settings(root)


def platform_services(inventory: model.Inventory, settings: core_settings.Settings) -> dict[str, dict[str, Any]]:
    """The shared platform services (exchange, gateway, ingress): name, zone, address, ports, namespace.

    The gateway and the ingress also name the IngressClass a department's Ingress uses to reach them.
    """
    platform = inventory.network.platform
    services: dict[str, dict[str, Any]] = {}
    for role in ("exchange", "gateway", "ingress"):
        service: model.PlatformService = getattr(platform, role)
        services[role] = {
            "name": service.name,
            "zone": service.zone,
            "address": str(service.address),
            "ports": {port.name: port.port for port in service.ports},
            # a service running off the cluster has no namespace there: it is reached at its address
            "namespace": desired.PLATFORM_NAMESPACES[role] if service.on_cluster else None,
            "onCluster": service.on_cluster,
        }
    services["gateway"]["ingressClass"] = desired.GATEWAY_INGRESS_CLASS
    services["gateway"]["domain"] = settings.cloud.gateway_domain
    services["ingress"]["ingressClass"] = desired.PUBLIC_INGRESS_CLASS
    return services


def run_platform_program(inputs_of: StackInputsLoader, config: StackConfig | None = None) -> ProgramResult:
    """``stacks/platform``: declare the shared platform's objects and export what department stacks need.

    ``inputs_of`` reads the inputs (the application layer's :func:`govcloud.app.stacks.stack_inputs`); this
    module only declares them.
    """
    config = config or StackConfig.from_pulumi()
    inputs = inputs_of(config)
    inventory, settings, state = inputs.inventory, inputs.settings, inputs.state
    manifests = tuple(state.platform)
    provider = kubernetes_provider(config)
    component = KubernetesObjects(
        "platform", KubernetesObjectsArgs(manifests), pulumi.ResourceOptions(providers=[provider])
    )
    services = platform_services(inventory, settings)
    outputs: dict[str, Any] = {
        OUTPUT_NAMESPACES: component.namespaces,
        OUTPUT_INGRESS_CLASSES: component.ingress_classes,
        OUTPUT_GATEWAYS: component.gateways,
        "platformServices": services,
        "exchangeAddress": services["exchange"]["address"],
        "gatewayAddress": services["gateway"]["address"],
        "ingressAddress": services["ingress"]["address"],
        "gatewayDomain": settings.cloud.gateway_domain,
        "objectCount": component.object_count,
        "objectCounts": component.counts_by_kind,
        OUTPUT_PLATFORM_DIGEST: manifests_digest(manifests),
        "govcloudVersion": govcloud.__version__,
    }
    _export(outputs)
    return ProgramResult({"platform": component}, manifests, outputs)


def run_departments_program(inputs_of: StackInputsLoader, config: StackConfig | None = None) -> ProgramResult:
    """``stacks/departments``: declare the selected departments' objects, after checking the platform stack."""
    config = config or StackConfig.from_pulumi()
    state = inputs_of(config).state
    selected = select_departments(state, config.departments)
    manifests = tuple(m for code in selected for m in state.departments[code])
    resource_names(manifests)  # unique across the whole stack, not only per department

    platform_manifests = tuple(state.platform)
    requirement = PlatformRequirement(
        digest=manifests_digest(platform_manifests),
        namespaces=tuple(
            sorted(referenced_namespaces(manifests) & set(names_of_kind(platform_manifests, "Namespace")))
        ),
        ingress_classes=tuple(sorted(ingress_classes_used(manifests))),
        gateways=tuple(sorted(gateways_used(manifests))),
    )
    platform_stack = config.platform_stack_name()
    reference = pulumi.StackReference(platform_stack)
    verified = verify_platform_reference(reference, platform_stack, requirement)

    provider = kubernetes_provider(config)
    components: dict[str, KubernetesObjects] = {}
    for code in selected:
        components[code] = KubernetesObjects(
            f"department-{code.lower()}",
            KubernetesObjectsArgs(state.departments[code], wait_for=[verified]),
            pulumi.ResourceOptions(providers=[provider]),
        )
    hostnames = hostnames_by_route_class(manifests)
    outputs: dict[str, Any] = {
        "departments": list(selected),
        OUTPUT_NAMESPACES: {code: component.namespaces for code, component in components.items()},
        "publicHostnames": hostnames.get(desired.PUBLIC_INGRESS_CLASS, []),
        "gatewayHostnames": hostnames.get(desired.GATEWAY_INGRESS_CLASS, []),
        "serviceHostnames": service_hostnames(manifests),
        "objectCount": len(manifests),
        "objectCounts": counts_by_kind(manifests),
        "platformStack": platform_stack,
        OUTPUT_PLATFORM_DIGEST: verified.apply(lambda _: requirement.digest),
        "platformNamespacesUsed": list(requirement.namespaces),
        "exchangeAddress": reference.require_output("exchangeAddress"),
        "gatewayAddress": reference.require_output("gatewayAddress"),
        "ingressAddress": reference.require_output("ingressAddress"),
        "govcloudVersion": govcloud.__version__,
    }
    _export(outputs)
    return ProgramResult(components, manifests, outputs)


def select_departments(state: desired.DesiredState, wanted: Sequence[str] | None) -> tuple[str, ...]:
    """The department codes to declare, in a stable order; unknown codes are an error naming the known ones."""
    known = sorted(state.departments)
    if wanted is None:
        return tuple(known)
    unknown = [code for code in wanted if code not in state.departments]
    if unknown:
        raise StackConfigError(
            f"govcloud:departments names unknown department(s) {', '.join(unknown)}; known: {', '.join(known)}"
        )
    return tuple(wanted)


@dataclasses.dataclass(frozen=True)
class PlatformRequirement:
    """What a departments stack needs from the platform stack's outputs."""

    digest: str
    """``platformDigest`` of the platform objects this inventory gives."""
    namespaces: tuple[str, ...]
    """Platform namespaces the department objects refer to (NetworkPolicy peers)."""
    ingress_classes: tuple[str, ...]
    """IngressClasses the department Ingresses name."""
    gateways: tuple[str, ...] = ()
    """Gateways (``namespace/name``) the department HTTPRoutes attach to."""


def platform_problems(outputs: Mapping[str, Any], requirement: PlatformRequirement) -> list[str]:
    """What is wrong with the platform stack's outputs for a departments stack; empty when it fits. Pure."""
    problems: list[str] = []
    digest = outputs.get(OUTPUT_PLATFORM_DIGEST)
    if digest is None:
        problems.append(f"it exports no {OUTPUT_PLATFORM_DIGEST}: has `pulumi up` run on it?")
    elif digest != requirement.digest:
        problems.append(
            f"it was deployed from other platform objects ({OUTPUT_PLATFORM_DIGEST} {str(digest)[:12]}, "
            f"this inventory gives {requirement.digest[:12]}): run `pulumi up` on the platform stack first"
        )
    for key, wanted, what in (
        (OUTPUT_NAMESPACES, requirement.namespaces, "namespace"),
        (OUTPUT_INGRESS_CLASSES, requirement.ingress_classes, "IngressClass"),
        (OUTPUT_GATEWAYS, requirement.gateways, "Gateway"),
    ):
        exported = outputs.get(key)
        have = {str(v) for v in exported} if isinstance(exported, list | tuple) else set()
        missing = [name for name in wanted if name not in have]
        if missing:
            problems.append(f"it has not created the {what}(es) the departments use: {', '.join(missing)}")
    return problems


def verify_platform_reference(
    reference: pulumi.StackReference, name: str, requirement: PlatformRequirement
) -> pulumi.Output[pulumi.StackReference]:
    """The reference itself, once its outputs pass :func:`platform_problems`; fails the program otherwise."""
    keys = (OUTPUT_PLATFORM_DIGEST, OUTPUT_NAMESPACES, OUTPUT_INGRESS_CLASSES, OUTPUT_GATEWAYS)

    def check(values: list[Any]) -> pulumi.StackReference:
        problems = platform_problems(dict(zip(keys, values, strict=True)), requirement)
        if problems:
            raise PlatformMismatchError(f"platform stack {name}: " + "; ".join(problems))
        return reference

    return pulumi.Output.all(*(reference.get_output(key) for key in keys)).apply(check)


def _export(outputs: Mapping[str, Any]) -> None:
    for key, value in outputs.items():
        pulumi.export(key, value)
