"""The programme's security rules as checks on Kubernetes objects. Pure.

They run on every ``govcloud render`` and, through the Pulumi policy pack, on every ``pulumi preview``. A
policy pack sees only resources, never the inventory, so every check here reads the objects alone: the
labels that :mod:`govcloud.cloud.core.desired` puts on them carry the facts (department, zone kind, MLPS level,
system, the 不予共享 restriction, the stated read-only-root exception). Inputs are read as
:class:`~collections.abc.Mapping` / :class:`~collections.abc.Sequence`, so the policy pack's proxy objects
work as well as plain dicts and lists.

:func:`resource_violations` holds the checks that need one object; :func:`stack_violations` those that need
several (a restricted Service, the pods behind it and every NetworkPolicy that selects them; an object and
its Namespace).
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Final

from govcloud.cloud.core import desired, images
from govcloud.core import model
from govcloud.core.settings import CloudSettings
from govcloud.network.core import flows

RESTRICTED_DATA: Final = "restricted-data-stays-in-department"
PUBLIC_INGRESS: Final = "no-public-ingress-outside-internet-zone"
RESOURCES: Final = "container-resources"
NON_ROOT: Final = "container-non-root"
READ_ONLY_ROOT: Final = "container-read-only-root"
PRIVILEGE: Final = "container-no-privilege"
MLPS_PLACEMENT: Final = "mlps-placement"
RBAC_SCOPE: Final = "department-rbac-in-own-namespaces"
DEFAULT_DENY: Final = "namespace-default-deny"
IMAGE_PINNED: Final = "image-pinned-by-digest"
PROBES: Final = "container-probes"


@dataclasses.dataclass(frozen=True)
class PolicyInfo:
    name: str
    description: str


POLICIES: Final[tuple[PolicyInfo, ...]] = (
    PolicyInfo(
        RESTRICTED_DATA,
        "No path to a 不予共享 entry's service from outside its department: every NetworkPolicy rule that admits "
        "the restricted data port names only its own department's namespaces, and addresses only inside its own "
        "专用网络区 (ipBlocks within the ranges its dedicated-zone Namespace states; no open source), its pods are "
        "isolated for ingress, and no Ingress, route or public Service exposes it.",
    ),
    PolicyInfo(
        PUBLIC_INGRESS,
        "No public ingress outside the Internet access zone (互联网接入区): Ingresses not of the collaboration "
        "gateway's class, Gateways and their HTTPRoutes, and LoadBalancer / NodePort / externalIPs Services live "
        "only in namespaces of zone kind internet.",
    ),
    PolicyInfo(RESOURCES, "Every container declares CPU and memory requests and limits."),
    PolicyInfo(NON_ROOT, "Every container runs as non-root (runAsNonRoot, never UID 0)."),
    PolicyInfo(
        READ_ONLY_ROOT,
        "Every container has a read-only root filesystem, unless the workload is labelled "
        f"{desired.WRITABLE_ROOT_LABEL}=true (the inventory's stated exception).",
    ),
    PolicyInfo(
        PRIVILEGE,
        "No container is privileged or may escalate privileges, and every container drops ALL capabilities.",
    ),
    PolicyInfo(
        MLPS_PLACEMENT,
        "MLPS (等保) placement: level-3 workloads select and tolerate the level-3 node pool (or a declared dedicated "
        "pool), level 4 only a declared dedicated pool, level 5 never.",
    ),
    PolicyInfo(
        RBAC_SCOPE,
        "A department's admins get rights in their own namespaces only: no ClusterRoleBinding for a department, "
        "no RoleBinding of a department in another department's namespace, no wildcard rules.",
    ),
    PolicyInfo(
        DEFAULT_DENY,
        "Every department and platform namespace has a default-deny NetworkPolicy for ingress and egress.",
    ),
    PolicyInfo(
        IMAGE_PINNED,
        "Every container image is pinned by digest (name[:tag]@sha256:<64 hex>): no placeholder, no tag without "
        "a digest, no latest; no object marked not deployable (a rehearsal render with placeholders).",
    ),
    PolicyInfo(
        PROBES,
        "Every long-running container declares a readiness and a liveness probe (httpGet, tcpSocket, grpc or exec).",
    ),
)


@dataclasses.dataclass(frozen=True)
class Violation:
    """One broken rule: which policy, which object (``Kind/namespace/name``), what is wrong."""

    policy: str
    object: str
    message: str

    def render(self) -> str:
        return f"{self.object}: {self.policy}: {self.message}"


@dataclasses.dataclass(frozen=True)
class PlacementRules:
    """The node pools the MLPS placement policy accepts; from settings, or from policy-pack config."""

    mlps3_node_pool: str = "mlps3"
    dedicated_pools: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, cloud: CloudSettings) -> PlacementRules:
        return cls(mlps3_node_pool=cloud.mlps3_node_pool, dedicated_pools=frozenset(cloud.dedicated_pools))


DEFAULT_RULES: Final = PlacementRules()
WORKLOAD_KINDS: Final = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"})
COLLABORATION_GATEWAY_REF: Final = (desired.PLATFORM_NAMESPACES["gateway"], desired.COLLABORATION_GATEWAY)
"""(namespace, name) of the collaboration gateway's Gateway, which department HTTPRoutes attach to."""
ONE_SHOT_KINDS: Final = frozenset({"Job", "CronJob", "Pod"})
"""Workloads that run to completion (or bare pods): no readiness or liveness probe required."""
PUBLIC_SERVICE_TYPES: Final = frozenset({"LoadBalancer", "NodePort"})
INTERNET_ZONE_KIND: Final = desired.ZONE_KIND_VALUES[model.ZoneKind.INTERNET_ACCESS]
DEDICATED_ZONE_KIND: Final = desired.ZONE_KIND_VALUES[model.ZoneKind.DEDICATED]


# --- helpers over Mapping / Sequence ------------------------------------------------------------------------


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _seq(value: Any) -> Sequence[Any]:
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return value
    return ()


def _labels(manifest: Mapping[str, Any]) -> Mapping[str, Any]:
    return _map(_map(manifest.get("metadata")).get("labels"))


def _namespace(manifest: Mapping[str, Any]) -> str:
    return str(_map(manifest.get("metadata")).get("namespace") or "")


def _name(manifest: Mapping[str, Any]) -> str:
    return str(_map(manifest.get("metadata")).get("name") or "")


def selector_matches(selector: Any, labels: Mapping[str, Any]) -> bool:
    """Kubernetes label-selector semantics (``matchLabels`` and ``matchExpressions``); ``{}`` matches all."""
    selector = _map(selector)
    for key, value in _map(selector.get("matchLabels")).items():
        if labels.get(key) != value:
            return False
    for raw in _seq(selector.get("matchExpressions")):
        expression = _map(raw)
        name = str(expression.get("key"))
        operator = expression.get("operator")
        values = [str(v) for v in _seq(expression.get("values"))]
        present = name in labels
        if operator == "In" and not (present and labels[name] in values):
            return False
        if operator == "NotIn" and present and labels[name] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


@dataclasses.dataclass(frozen=True)
class PodTemplate:
    """The pod a workload object runs: its labels (object labels overlaid by the template's) and its spec."""

    labels: Mapping[str, Any]
    spec: Mapping[str, Any]


def pod_template(manifest: Mapping[str, Any]) -> PodTemplate | None:
    """The pod template of a workload object (Pod, Deployment, StatefulSet, Job, CronJob, ...), or None."""
    kind = manifest.get("kind")
    if kind not in WORKLOAD_KINDS:
        return None
    object_labels = _labels(manifest)
    if kind == "Pod":
        return PodTemplate(object_labels, _map(manifest.get("spec")))
    spec = _map(manifest.get("spec"))
    if kind == "CronJob":
        spec = _map(_map(spec.get("jobTemplate")).get("spec"))
    template = _map(spec.get("template"))
    labels = {**object_labels, **_map(_map(template.get("metadata")).get("labels"))}
    return PodTemplate(labels, _map(template.get("spec")))


def _containers(spec: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for key in ("initContainers", "containers"):
        for container in _seq(spec.get(key)):
            yield _map(container)


def _is_public_ingress(manifest: Mapping[str, Any]) -> bool:
    spec = _map(manifest.get("spec"))
    ingress_class = spec.get("ingressClassName") or _map(_map(manifest.get("metadata")).get("annotations")).get(
        "kubernetes.io/ingress.class"
    )
    return ingress_class != desired.GATEWAY_INGRESS_CLASS


def _is_public_gateway(manifest: Mapping[str, Any]) -> bool:
    return _map(manifest.get("spec")).get("gatewayClassName") != desired.GATEWAY_INGRESS_CLASS


def _is_public_service(manifest: Mapping[str, Any]) -> bool:
    spec = _map(manifest.get("spec"))
    return spec.get("type") in PUBLIC_SERVICE_TYPES or bool(_seq(spec.get("externalIPs")))


def _is_gateway_api(manifest: Mapping[str, Any], kind: str) -> bool:
    return manifest.get("kind") == kind and str(manifest.get("apiVersion", "")).startswith("gateway.networking.k8s.io/")


# --- one object ---------------------------------------------------------------------------------------------


def resource_violations(
    manifest: Mapping[str, Any], *, rules: PlacementRules = DEFAULT_RULES, allow_placeholders: bool = False
) -> list[Violation]:
    """Every rule one object breaks on its own (see :data:`POLICIES`).

    ``allow_placeholders`` (``govcloud render --allow-placeholders``, rehearsal only) tolerates placeholder
    images and the not-deployable mark; the policy pack never passes it, so such objects never reach a cluster.
    """
    found: list[Violation] = []
    name = desired.qualified_name(manifest)

    def add(policy: str, message: str) -> None:
        found.append(Violation(policy, name, message))

    annotations = _map(_map(manifest.get("metadata")).get("annotations"))
    if not allow_placeholders and desired.NOT_DEPLOYABLE_ANNOTATION in annotations:
        add(IMAGE_PINNED, f"marked not deployable: {annotations[desired.NOT_DEPLOYABLE_ANNOTATION]}")
    template = pod_template(manifest)
    if template is not None:
        _check_containers(template, add)
        _check_images(template, add, allow_placeholders=allow_placeholders)
        if manifest.get("kind") not in ONE_SHOT_KINDS:
            _check_probes(template, add)
        _check_placement(template, rules, add)
    kind = manifest.get("kind")
    labels = _labels(manifest)
    zone_kind = labels.get(desired.ZONE_KIND_LABEL)
    if kind == "Namespace":
        level = _level(labels)
        if level is not None and level >= 5:
            add(MLPS_PLACEMENT, "a namespace for MLPS level-5 systems: level 5 never goes to a shared cloud")
    elif kind == "Service":
        _check_service(manifest, labels, add)
    elif kind == "NetworkPolicy" and labels.get(desired.SHARING_LABEL) == desired.SHARING_RESTRICTED:
        department = labels.get(desired.DEPARTMENT_LABEL)
        # Alone, the policy cannot tell the department's own addresses: its ipBlocks are checked with the
        # department's Namespaces, in stack_violations.
        for message in _restricted_rule_problems(manifest, str(department or ""), ports=None, own_ranges=None):
            add(RESTRICTED_DATA, message)
    elif kind == "Ingress":
        if _is_public_ingress(manifest) and zone_kind != INTERNET_ZONE_KIND:
            add(PUBLIC_INGRESS, _public_message("an Ingress of a public class", zone_kind))
        for service, port in _ingress_backends(manifest):
            if port in (flows.RESTRICTED_PORT.port, flows.RESTRICTED_PORT.name):
                add(RESTRICTED_DATA, f"routes to the restricted data port of Service {service}")
    elif _is_gateway_api(manifest, "Gateway"):
        if _is_public_gateway(manifest) and zone_kind != INTERNET_ZONE_KIND:
            add(PUBLIC_INGRESS, _public_message("a Gateway of a public class", zone_kind))
    elif kind == "ClusterRoleBinding" and desired.DEPARTMENT_LABEL in labels:
        add(RBAC_SCOPE, "a department's rights are bound per namespace (RoleBinding), never cluster-wide")
    elif kind in ("Role", "ClusterRole") and desired.DEPARTMENT_LABEL in labels:
        for index, raw in enumerate(_seq(manifest.get("rules"))):
            rule = _map(raw)
            for field in ("verbs", "resources", "apiGroups"):
                if "*" in [str(v) for v in _seq(rule.get(field))]:
                    add(RBAC_SCOPE, f"rules[{index}].{field}: a wildcard grants more than the department's admins need")
    return found


def _public_message(what: str, zone_kind: Any) -> str:
    where = f"zone kind {zone_kind}" if zone_kind else f"no {desired.ZONE_KIND_LABEL} label"
    return f"{what} is public, and public entries live only in the Internet access zone ({where})"


def _check_containers(template: PodTemplate, add: Callable[[str, str], None]) -> None:
    pod_security = _map(template.spec.get("securityContext"))
    writable_ok = str(template.labels.get(desired.WRITABLE_ROOT_LABEL, "")).lower() == "true"
    for container in _containers(template.spec):
        who = f"container {container.get('name', '?')}"
        resources = _map(container.get("resources"))
        for part in ("requests", "limits"):
            values = _map(resources.get(part))
            missing = [r for r in ("cpu", "memory") if r not in values]
            if missing:
                add(RESOURCES, f"{who} declares no {part} for {' and '.join(missing)}")
        security = _map(container.get("securityContext"))
        non_root = security.get("runAsNonRoot", pod_security.get("runAsNonRoot"))
        user = security.get("runAsUser", pod_security.get("runAsUser"))
        if non_root is not True:
            add(NON_ROOT, f"{who} does not set runAsNonRoot: true")
        if user == 0:
            add(NON_ROOT, f"{who} runs as UID 0 (root)")
        if security.get("readOnlyRootFilesystem") is not True and not writable_ok:
            add(
                READ_ONLY_ROOT,
                f"{who} has a writable root filesystem without the stated exception "
                f"({desired.WRITABLE_ROOT_LABEL}=true)",
            )
        if security.get("privileged") is True:
            add(PRIVILEGE, f"{who} is privileged")
        if security.get("allowPrivilegeEscalation") is not False:
            add(PRIVILEGE, f"{who} does not set allowPrivilegeEscalation: false")
        dropped = [str(c) for c in _seq(_map(security.get("capabilities")).get("drop"))]
        if "ALL" not in dropped:
            add(PRIVILEGE, f"{who} does not drop ALL capabilities")


def _check_images(template: PodTemplate, add: Callable[[str, str], None], *, allow_placeholders: bool) -> None:
    for container in _containers(template.spec):
        image = container.get("image")
        reference = image if isinstance(image, str) else None
        if allow_placeholders and reference is not None and images.is_placeholder(reference):
            continue
        problem = images.image_problem(reference)
        if problem is not None:
            add(IMAGE_PINNED, f"container {container.get('name', '?')}: {problem}")


_PROBE_HANDLERS: Final = ("httpGet", "tcpSocket", "grpc", "exec")


def _check_probes(template: PodTemplate, add: Callable[[str, str], None]) -> None:
    for raw in _seq(template.spec.get("containers")):
        container = _map(raw)
        for probe in ("readinessProbe", "livenessProbe"):
            handler = _map(container.get(probe))
            if not any(key in handler for key in _PROBE_HANDLERS):
                add(PROBES, f"container {container.get('name', '?')} declares no {probe}")


def _level(labels: Mapping[str, Any]) -> int | None:
    raw = labels.get(desired.MLPS_LABEL)
    if raw is None:
        return None
    try:
        return int(str(raw))
    except ValueError:
        return 5  # an unreadable grade is treated as the strictest: refused


def _check_placement(template: PodTemplate, rules: PlacementRules, add: Callable[[str, str], None]) -> None:
    level = _level(template.labels)
    if level is None or level <= 2:
        return
    if level >= 5:
        add(MLPS_PLACEMENT, f"MLPS level {level}: never on a shared cloud")
        return
    allowed = set(rules.dedicated_pools) if level == 4 else {rules.mlps3_node_pool, *rules.dedicated_pools}
    if level == 4 and not allowed:
        add(MLPS_PLACEMENT, "MLPS level 4 needs a dedicated resource pool, and none is declared")
        return
    pool = _map(template.spec.get("nodeSelector")).get(desired.NODE_POOL_LABEL)
    if pool not in allowed:
        add(
            MLPS_PLACEMENT,
            f"MLPS level {level} must select {desired.NODE_POOL_LABEL} in {sorted(allowed)}, selects {pool!r}",
        )
        return
    tolerated = any(
        _map(t).get("key") == desired.NODE_POOL_LABEL
        and (_map(t).get("operator") == "Exists" or _map(t).get("value") == pool)
        and _map(t).get("effect") in (None, "", "NoSchedule")
        for t in _seq(template.spec.get("tolerations"))
    )
    if not tolerated:
        add(MLPS_PLACEMENT, f"MLPS level {level} selects pool {pool!r} but does not tolerate its taint")


def _check_service(manifest: Mapping[str, Any], labels: Mapping[str, Any], add: Callable[[str, str], None]) -> None:
    spec = _map(manifest.get("spec"))
    zone_kind = labels.get(desired.ZONE_KIND_LABEL)
    public = _is_public_service(manifest)
    if public and zone_kind != INTERNET_ZONE_KIND:
        add(PUBLIC_INGRESS, _public_message(f"a Service of type {spec.get('type')}", zone_kind))
    exposes_restricted = any(
        _map(p).get("name") == flows.RESTRICTED_PORT.name
        or flows.RESTRICTED_PORT.port in (_map(p).get("port"), _map(p).get("targetPort"))
        or _map(p).get("targetPort") == flows.RESTRICTED_PORT.name
        for p in _seq(spec.get("ports"))
    )
    restricted = labels.get(desired.SHARING_LABEL) == desired.SHARING_RESTRICTED
    if exposes_restricted and not restricted:
        add(RESTRICTED_DATA, f"exposes the restricted data port without {desired.SHARING_LABEL}=restricted")
    if (restricted or exposes_restricted) and (public or spec.get("type") == "ExternalName"):
        add(RESTRICTED_DATA, "the restricted data port is exposed outside the cluster")
    if restricted and not labels.get(desired.DEPARTMENT_LABEL):
        add(RESTRICTED_DATA, f"a restricted Service names no department ({desired.DEPARTMENT_LABEL})")


def _whole_number(value: Any) -> int | None:
    """An int, or a float with no fraction (Pulumi hands every number over as a float); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _port_matches(rule_port: Mapping[str, Any], number: int, name: str | None) -> bool:
    raw = rule_port.get("port")
    if raw is None:
        return True
    if isinstance(raw, str):
        return raw in {name, str(number)}
    port, end = _whole_number(raw), _whole_number(rule_port.get("endPort"))
    return port == number or (port is not None and end is not None and port <= number <= end)


def _rule_covers(rule: Mapping[str, Any], ports: Iterable[tuple[int, str | None]] | None) -> bool:
    """Whether an ingress rule admits any of ``ports`` (None: the policy is about restricted ports only)."""
    rule_ports = _seq(rule.get("ports"))
    if not rule_ports or ports is None:
        return True
    wanted = list(ports)
    return any(_port_matches(_map(rp), number, name) for rp in rule_ports for number, name in wanted)


def _ip_block_inside(block: Mapping[str, Any], ranges: Sequence[ipaddress.IPv4Network]) -> bool:
    """Whether every address an ipBlock admits lies in ``ranges`` (host bits are ignored, as Kubernetes does)."""
    try:
        network = ipaddress.ip_network(str(block.get("cidr")), strict=False)
    except ValueError:
        return False
    return isinstance(network, ipaddress.IPv4Network) and any(network.subnet_of(r) for r in ranges)


def zone_ranges(namespace: Mapping[str, Any]) -> tuple[ipaddress.IPv4Network, ...]:
    """The ranges a Namespace's zone-ranges annotation states (unreadable entries are left out)."""
    raw = str(_map(_map(namespace.get("metadata")).get("annotations")).get(desired.ZONE_RANGES_ANNOTATION) or "")
    found: list[ipaddress.IPv4Network] = []
    for text in raw.split(","):
        try:
            network = ipaddress.ip_network(text.strip(), strict=False)
        except ValueError:
            continue
        if isinstance(network, ipaddress.IPv4Network):
            found.append(network)
    return tuple(found)


def _restricted_rule_problems(
    policy: Mapping[str, Any],
    department: str,
    ports: Iterable[tuple[int, str | None]] | None,
    *,
    own_ranges: Sequence[ipaddress.IPv4Network] | None,
) -> Iterator[str]:
    """Why an ingress rule of ``policy`` could admit traffic from outside ``department`` to ``ports``.

    ``own_ranges`` are the department's own 专用网络区 ranges; None when unknown here, and then ipBlocks are
    left to the caller that knows them.
    """
    spec = _map(policy.get("spec"))
    if not department:
        yield "a policy for restricted data names no department"
        return
    wanted = None if ports is None else list(ports)
    for index, raw_rule in enumerate(_seq(spec.get("ingress"))):
        rule = _map(raw_rule)
        if not _rule_covers(rule, wanted):
            continue
        peers = _seq(rule.get("from"))
        if not peers:
            yield f"ingress[{index}] admits every source to the restricted data port"
            continue
        for peer_index, raw_peer in enumerate(peers):
            peer = _map(raw_peer)
            where = f"ingress[{index}].from[{peer_index}]"
            if "ipBlock" in peer:
                if own_ranges is not None and not _ip_block_inside(_map(peer.get("ipBlock")), own_ranges):
                    yield f"{where}: an ipBlock reaches the restricted data port from outside the department"
            elif "namespaceSelector" in peer:
                selected = _map(_map(peer.get("namespaceSelector")).get("matchLabels")).get(desired.DEPARTMENT_LABEL)
                if selected != department:
                    yield (
                        f"{where}: namespaces of department {selected or 'any'} reach department {department}'s "
                        "restricted data port"
                    )


# --- several objects ---------------------------------------------------------------------------------------------


def stack_violations(
    manifests: Iterable[Mapping[str, Any]],
) -> list[Violation]:
    """Every rule that only several objects together can break (see :data:`POLICIES`)."""
    objects = [m for m in manifests if isinstance(m, Mapping)]
    namespaces: dict[str, Mapping[str, Any]] = {}
    own_ranges: dict[str, list[ipaddress.IPv4Network]] = {}
    workloads: dict[str, list[tuple[Mapping[str, Any], PodTemplate]]] = {}
    policies: dict[str, list[Mapping[str, Any]]] = {}
    for manifest in objects:
        kind = manifest.get("kind")
        if kind == "Namespace":
            labels = _labels(manifest)
            namespaces[_name(manifest)] = {**labels, desired.NAMESPACE_NAME_LABEL: _name(manifest)}
            owner = labels.get(desired.DEPARTMENT_LABEL)
            if owner and labels.get(desired.ZONE_KIND_LABEL) == DEDICATED_ZONE_KIND:
                own_ranges.setdefault(str(owner), []).extend(zone_ranges(manifest))
        elif kind == "NetworkPolicy":
            policies.setdefault(_namespace(manifest), []).append(manifest)
        else:
            template = pod_template(manifest)
            if template is not None:
                workloads.setdefault(_namespace(manifest), []).append((manifest, template))
    found: list[Violation] = []
    found.extend(_restricted_paths(objects, namespaces, own_ranges, workloads, policies))
    found.extend(_public_entries(objects, namespaces))
    found.extend(_rbac_namespaces(objects, namespaces))
    found.extend(_default_deny(namespaces, policies))
    return found


def _ingress_backends(manifest: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    spec = _map(manifest.get("spec"))
    backends = [_map(spec.get("defaultBackend"))]
    for rule in _seq(spec.get("rules")):
        for path in _seq(_map(_map(rule).get("http")).get("paths")):
            backends.append(_map(_map(path).get("backend")))
    for backend in backends:
        service = _map(backend.get("service"))
        if service:
            port = _map(service.get("port"))
            yield str(service.get("name")), port.get("number", port.get("name"))


def _route_backends(manifest: Mapping[str, Any]) -> Iterator[str]:
    for rule in _seq(_map(manifest.get("spec")).get("rules")):
        for raw in _seq(_map(rule).get("backendRefs")):
            ref = _map(raw)
            if ref.get("kind", "Service") == "Service":
                yield str(ref.get("name"))


def _restricted_paths(
    objects: Sequence[Mapping[str, Any]],
    namespaces: Mapping[str, Mapping[str, Any]],
    own_ranges: Mapping[str, Sequence[ipaddress.IPv4Network]],
    workloads: Mapping[str, list[tuple[Mapping[str, Any], PodTemplate]]],
    policies: Mapping[str, list[Mapping[str, Any]]],
) -> Iterator[Violation]:
    restricted_services: dict[tuple[str, str], Mapping[str, Any]] = {}
    for manifest in objects:
        if manifest.get("kind") == "Service" and _labels(manifest).get(desired.SHARING_LABEL) == (
            desired.SHARING_RESTRICTED
        ):
            restricted_services[(_namespace(manifest), _name(manifest))] = manifest
    for (namespace, _), service in sorted(restricted_services.items(), key=lambda item: item[0]):
        department = str(
            _labels(service).get(desired.DEPARTMENT_LABEL)
            or namespaces.get(namespace, {}).get(desired.DEPARTMENT_LABEL)
            or ""
        )
        spec = _map(service.get("spec"))
        selector = _map(spec.get("selector"))
        ports: list[tuple[int, str | None]] = []
        for raw in _seq(spec.get("ports")):
            port = _map(raw)
            target = port.get("targetPort", port.get("port"))
            target_number, service_number = _whole_number(target), _whole_number(port.get("port"))
            if target_number is not None:
                ports.append((target_number, port.get("name")))
            elif service_number is not None:
                ports.append((service_number, str(target)))
        if not selector:
            continue
        for workload, template in workloads.get(namespace, ()):
            if not all(template.labels.get(k) == v for k, v in selector.items()):
                continue
            owner = desired.qualified_name(workload)
            selecting = [p for p in policies.get(namespace, ()) if _selects_for_ingress(p, template.labels)]
            if not selecting:
                yield Violation(
                    RESTRICTED_DATA,
                    owner,
                    f"serves restricted data ({desired.qualified_name(service)}) but no NetworkPolicy isolates "
                    "its pods for ingress",
                )
            for policy in selecting:
                for message in _restricted_rule_problems(
                    policy, department, ports, own_ranges=own_ranges.get(department, ())
                ):
                    yield Violation(
                        RESTRICTED_DATA,
                        desired.qualified_name(policy),
                        f"{message} (pods of {owner}, {desired.qualified_name(service)})",
                    )
    for manifest in objects:
        kind = manifest.get("kind")
        namespace = _namespace(manifest)
        if kind == "Ingress":
            targets = [service for service, _ in _ingress_backends(manifest)]
        elif _is_gateway_api(manifest, "HTTPRoute"):
            targets = list(_route_backends(manifest))
        else:
            continue
        for target in targets:
            if (namespace, target) in restricted_services:
                yield Violation(
                    RESTRICTED_DATA,
                    desired.qualified_name(manifest),
                    f"routes to the restricted Service {target}",
                )


def _selects_for_ingress(policy: Mapping[str, Any], pod_labels: Mapping[str, Any]) -> bool:
    spec = _map(policy.get("spec"))
    types = [str(t) for t in _seq(spec.get("policyTypes"))] or ["Ingress"]
    return "Ingress" in types and selector_matches(spec.get("podSelector"), pod_labels)


def _public_entries(
    objects: Sequence[Mapping[str, Any]], namespaces: Mapping[str, Mapping[str, Any]]
) -> Iterator[Violation]:
    public_gateways: set[tuple[str, str]] = set()
    known_gateways: set[tuple[str, str]] = set()
    for manifest in objects:
        if _is_gateway_api(manifest, "Gateway"):
            key = (_namespace(manifest), _name(manifest))
            known_gateways.add(key)
            if _is_public_gateway(manifest):
                public_gateways.add(key)
    for manifest in objects:
        kind = manifest.get("kind")
        namespace = _namespace(manifest)
        if kind == "Ingress":
            public = _is_public_ingress(manifest)
            what = "a public Ingress"
        elif kind == "Service":
            public = _is_public_service(manifest)
            what = "a LoadBalancer/NodePort Service"
        elif _is_gateway_api(manifest, "Gateway"):
            public = _is_public_gateway(manifest)
            what = "a public Gateway"
        elif _is_gateway_api(manifest, "HTTPRoute"):
            parents = [
                (str(_map(ref).get("namespace") or namespace), str(_map(ref).get("name")))
                for ref in _seq(_map(manifest.get("spec")).get("parentRefs"))
            ]
            # A parent that is not in the stack may be public: count it as public, except the collaboration
            # gateway (the platform stack holds it; there, a public-class Gateway of that name is refused).
            public = any(
                p in public_gateways or (p not in known_gateways and p != COLLABORATION_GATEWAY_REF) for p in parents
            )
            what = "an HTTPRoute on a public Gateway"
        else:
            continue
        if not public or namespace not in namespaces:
            continue
        zone_kind = namespaces[namespace].get(desired.ZONE_KIND_LABEL)
        if zone_kind != INTERNET_ZONE_KIND:
            yield Violation(
                PUBLIC_INGRESS,
                desired.qualified_name(manifest),
                f"{what} in namespace {namespace}, whose zone kind is {zone_kind or 'unlabelled'}: public entries "
                "live only in the Internet access zone",
            )


def _rbac_namespaces(
    objects: Sequence[Mapping[str, Any]], namespaces: Mapping[str, Mapping[str, Any]]
) -> Iterator[Violation]:
    for manifest in objects:
        if manifest.get("kind") != "RoleBinding":
            continue
        department = _labels(manifest).get(desired.DEPARTMENT_LABEL)
        namespace = _namespace(manifest)
        if department is None or namespace not in namespaces:
            continue
        owner = namespaces[namespace].get(desired.DEPARTMENT_LABEL)
        if owner != department:
            yield Violation(
                RBAC_SCOPE,
                desired.qualified_name(manifest),
                f"binds department {department}'s admins in namespace {namespace} of {owner or 'no department'}",
            )


def _default_deny(
    namespaces: Mapping[str, Mapping[str, Any]], policies: Mapping[str, list[Mapping[str, Any]]]
) -> Iterator[Violation]:
    for name, labels in sorted(namespaces.items()):
        if desired.DEPARTMENT_LABEL not in labels and desired.PLATFORM_LABEL not in labels:
            continue
        isolated: set[str] = set()
        opened: set[str] = set()
        for policy in policies.get(name, ()):
            spec = _map(policy.get("spec"))
            if _map(spec.get("podSelector")):
                continue
            declared = [str(t) for t in _seq(spec.get("policyTypes"))] or ["Ingress"]
            for direction, peers_key in (("Ingress", "from"), ("Egress", "to")):
                if direction not in declared:
                    continue
                isolated.add(direction)
                # Narrow rules (DNS, a zone's declared flows) keep the default deny; an open rule undoes it.
                rules = _seq(spec.get(direction.lower()))
                if any(not _seq(_map(rule).get(peers_key)) or not _seq(_map(rule).get("ports")) for rule in rules):
                    opened.add(direction)
        types = isolated - opened
        missing = {"Ingress", "Egress"} - types
        if missing:
            yield Violation(
                DEFAULT_DENY,
                f"Namespace/{name}",
                f"no default-deny NetworkPolicy for {' and '.join(sorted(missing))} (empty podSelector, no ingress "
                "rules)",
            )
