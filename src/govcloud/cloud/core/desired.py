"""The desired Kubernetes objects of the shared cloud, computed from the inventory and the plans. Pure.

One function, :func:`desired_state`, turns the census (:class:`~govcloud.core.model.Inventory`), how far each
system has got (:data:`~govcloud.planning.core.stages.ProgressMap`) and the settings into plain JSON-compatible
Kubernetes objects. ``govcloud render`` writes them as YAML and the Pulumi programs declare exactly them, so
what reaches a cluster is computed once, here.

Namespaces
    ``d-<code>`` holds a department's systems placed in its own 专用网络区; a system placed in another zone
    (the 互联网接入区, or the 公用网络区) lives in ``d-<code>-<zone code>`` (e.g. ``d-cgj-inet``), created only
    when the department has a system placed there. The shared platform has ``govcloud-exchange``,
    ``govcloud-gateway`` and ``govcloud-ingress``. A namespace holds one zone, so a zone of the flow matrix is
    exactly the set of namespaces labelled with it.

Labels (the facts the policies read, since a policy pack sees only objects)
    Every key govcloud sets is prefixed ``govcloud.gov.cn/`` (:data:`PREFIX`): Kubernetes asks automation that
    labels objects to prefix its keys with a DNS subdomain it owns, as its own ``app.kubernetes.io/`` keys do,
    so no other tool's keys can collide with these. ``govcloud.gov.cn/department`` (code), ``/zone`` (zone
    code), ``/zone-kind`` (``dedicated``, ``internet``, ``public``), ``/mlps-level`` (``"1"``..``"4"``; on a
    namespace the highest of the systems running in it; absent when ungraded), ``/system`` (system code: pods,
    workloads, Services, NetworkPolicies and Ingresses of the system), ``/platform`` (``exchange``,
    ``gateway``, ``ingress``: platform namespaces; the platform's own pods must carry it too), ``/sharing:
    restricted`` (the Service and NetworkPolicy of the 不予共享 data port), ``/writable-root: "true"`` (the
    stated exception :attr:`~govcloud.core.model.CloudPlacement.writable_root`), ``/stage`` (the stage the
    system has reached). A Namespace with a zone carries the zone's ranges in the annotation
    ``/zone-ranges``. Nodes of a dedicated pool carry ``govcloud.gov.cn/node-pool=<pool>`` and the taint
    ``govcloud.gov.cn/node-pool=<pool>:NoSchedule`` (the ``cloud_host`` role sets both, from the same
    prefix); placed pods select and tolerate exactly that.

Routes
    ``networking.k8s.io/v1`` Ingress, not Gateway API: it is in every cluster without installing CRDs, every
    controller implements it, and the official schemas validate it fully (Gateway API kinds only against a
    partial bundled schema). Two IngressClasses tell the entries apart: ``govcloud-internet`` (the 互联网接入区
    ingress, public: TLS, the system's public hostnames) and ``govcloud-collaboration`` (the 业务协同网关,
    reachable from the departments only: ``<system>.<settings.cloud.gateway_domain>``). An Ingress lives in
    its backend's namespace (Ingress cannot cross namespaces), so public ones are in ``d-<code>-inet``.
    The controllers' pods must carry ``govcloud.gov.cn/platform: ingress`` / ``gateway`` in their namespaces.

NetworkPolicies
    Rendered from :func:`~govcloud.network.core.flows.compute_flow_matrix`, never recomputed: per destination pod
    (a system, a platform service) one ingress policy with a rule per source; per source system one egress
    policy; per namespace one ``zone-outbound`` policy for the flows whose source is the namespace's zone
    (namespace-wide names never end in ``-ingress``/``-egress``/``-restricted``, so no system's can clash). With
    the namespace-wide ``default-deny`` (ingress and egress, DNS to kube-system only) every pod is isolated in
    both directions, so traffic passes exactly when the matrix allows it. Each endpoint of the matrix becomes
    the peers that stand for it, on and off the cluster:

    - a system on the cluster: its pods (namespace and ``/system`` selectors), plus the addresses of legacy
      servers the census still lists for it; off the cluster: where the firewall puts it
      (:class:`~govcloud.network.core.firewall.Resolver`: its hosts' addresses, else its zone's ranges);
    - a platform service: its pods, or its census address when it runs off the cluster (``on_cluster: false``);
    - a zone: ipBlocks of its ranges (its staff and not-yet-moved servers) and its namespaces' selector;
    - the Internet: every address outside the extranet and the cluster's own ranges (the ingress only);
    - the management network: nothing. It reaches hosts (``flows.EndpointKind.HOSTS``), never a pod.

    ipBlocks never cover the cluster's pod and service ranges (``cloud.cluster_cidrs`` are cut out), so an
    address block can never stand in for a pod. Off-cluster sources keep their addresses only when the
    cluster's network routes the extranet to pods without SNAT (routed pod networks, or Services with
    ``externalTrafficPolicy: Local``); that is a requirement on the cluster, stated in the README.
"""

from __future__ import annotations

import copy
import dataclasses
import ipaddress
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Final

from govcloud import collector
from govcloud.core import model
from govcloud.core.settings import Settings
from govcloud.errors import RefusedError
from govcloud.network.core import firewall, flows
from govcloud.planning.core.stages import Progress, ProgressMap, Stage
from govcloud.sharing.core.grants import ExchangeGrant

Manifest = dict[str, Any]
"""A plain JSON-compatible Kubernetes object (dicts, lists, strings, numbers, booleans)."""

# --- label and annotation keys (the Pulumi programs and the policy pack read these) ---------------------

PREFIX: Final = "govcloud.gov.cn/"
DEPARTMENT_LABEL: Final = PREFIX + "department"
ZONE_LABEL: Final = PREFIX + "zone"
ZONE_KIND_LABEL: Final = PREFIX + "zone-kind"
MLPS_LABEL: Final = PREFIX + "mlps-level"
SYSTEM_LABEL: Final = PREFIX + "system"
PLATFORM_LABEL: Final = PREFIX + "platform"
SHARING_LABEL: Final = PREFIX + "sharing"
SHARING_RESTRICTED: Final = "restricted"
WRITABLE_ROOT_LABEL: Final = PREFIX + "writable-root"
STAGE_LABEL: Final = PREFIX + "stage"
NODE_POOL_LABEL: Final = PREFIX + "node-pool"
"""Node label and taint key of a dedicated node pool (``govcloud.gov.cn/node-pool=<pool>:NoSchedule``)."""
NAMESPACE_NAME_LABEL: Final = "kubernetes.io/metadata.name"
"""Set by Kubernetes itself on every namespace (immutable), so a selector on it names one namespace."""
WHY_ANNOTATION: Final = PREFIX + "why"
"""On NetworkPolicies: the flows they open and the reason the flow matrix gives for each."""
NAME_ANNOTATION: Final = PREFIX + "name"
"""The Chinese name of the department, zone or system an object belongs to."""
IMAGE_PLACEHOLDER_ANNOTATION: Final = PREFIX + "image-placeholder"
NOT_DEPLOYABLE_ANNOTATION: Final = PREFIX + "not-deployable"
"""On every object of a rehearsal render (``govcloud render --allow-placeholders``): why it must not be applied."""
DATABASE_LABEL: Final = PREFIX + "database"
"""On a moved database's StatefulSet, pods and Service: the database's object name (``cgj-001-db-1``)."""
DATABASE_OF_LABEL: Final = PREFIX + "database-of"
"""On a moved database's objects: the system it belongs to (not ``/system``, so the system's selectors miss it)."""
SERVICE_NAME_LABEL: Final = "kubernetes.io/service-name"
"""Ties an EndpointSlice to its Service (the label Kubernetes' own controllers read)."""
ZONE_RANGES_ANNOTATION: Final = PREFIX + "zone-ranges"
"""On Namespaces: the address ranges of the namespace's zone (comma-separated CIDRs), as the census states them."""

MANAGED_BY: Final = {"app.kubernetes.io/managed-by": "govcloud", "app.kubernetes.io/part-of": "govcloud"}

ZONE_KIND_VALUES: Final[Mapping[model.ZoneKind, str]] = {
    model.ZoneKind.DEDICATED: "dedicated",
    model.ZoneKind.INTERNET_ACCESS: "internet",
    model.ZoneKind.PUBLIC: "public",
}

PLATFORM_NAMESPACES: Final[Mapping[str, str]] = {
    "exchange": "govcloud-exchange",
    "gateway": "govcloud-gateway",
    "ingress": "govcloud-ingress",
}
PUBLIC_INGRESS_CLASS: Final = "govcloud-internet"
"""IngressClass of the Internet access zone's ingress: the only public entry."""
GATEWAY_INGRESS_CLASS: Final = "govcloud-collaboration"
"""IngressClass of the business collaboration gateway: reachable from the departments, never public."""
INGRESS_CONTROLLER: Final = "k8s.io/ingress-nginx"
"""Historical: the IngressClasses' controller before the routes moved to Gateway API (ingress-nginx is archived)."""
GATEWAY_API: Final = "gateway.networking.k8s.io"
GATEWAY_API_VERSION: Final = GATEWAY_API + "/v1"
PUBLIC_GATEWAY: Final = "internet"
"""The Internet access zone's Gateway (in ``govcloud-ingress``; ``internet-2``... past 63 public hostnames)."""
COLLABORATION_GATEWAY: Final = "collaboration"
"""The business collaboration gateway's Gateway (in ``govcloud-gateway``): one wildcard HTTPS listener."""
MAX_PUBLIC_LISTENERS: Final = 63
"""Gateway API allows 64 listeners per Gateway; one of the public Gateway's is the HTTP redirect."""
CERT_MANAGER_VERSION: Final = "cert-manager.io/v1"
OFF_CLUSTER_SERVICE_NAMES: Final = ("exchange", "gateway")
"""Platform services that keep an in-cluster Service at their census address when they run off the cluster (the
systems call them by name); the public ingress off the cluster is only an address the firewall admits."""

PSA_LABELS: Final[Mapping[str, str]] = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/audit-version": "latest",
    "pod-security.kubernetes.io/warn": "restricted",
    "pod-security.kubernetes.io/warn-version": "latest",
}

DNS_NAMESPACE: Final = "kube-system"
DNS_POD_LABELS: Final[Mapping[str, str]] = {"k8s-app": "kube-dns"}
"""Cluster DNS (CoreDNS keeps the historical ``k8s-app: kube-dns`` label)."""

ADMIN_ROLE: Final = "department-admin"
CONTAINER_NAME: Final = "app"
RUN_AS_USER: Final = 10001
TMP_SIZE: Final = "1Gi"
CPU_LIMIT_FACTOR: Final = 2
"""CPU limit = request x this (bursts allowed); the memory limit equals the request (no overcommit)."""
DEFAULT_REQUEST: Final[Mapping[str, str]] = {"cpu": "100m", "memory": "128Mi"}
DEFAULT_LIMIT: Final[Mapping[str, str]] = {"cpu": "500m", "memory": "512Mi"}
_DEFAULT_LIMIT_MILLI_MI: Final = (500, 512)


# --- the result --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DesiredState:
    """Every object the cluster should hold: the shared platform's, then each department's."""

    platform: tuple[Manifest, ...]
    departments: Mapping[str, tuple[Manifest, ...]]
    """Department code → its objects (namespaces, RBAC, quotas, policies, its systems' objects)."""

    def all(self) -> tuple[Manifest, ...]:
        """Platform objects first, then each department's, departments sorted by code."""
        result = list(self.platform)
        for code in sorted(self.departments):
            result.extend(self.departments[code])
        return tuple(result)


@dataclasses.dataclass(frozen=True, order=True)
class Refusal:
    """One system that must not be placed on the shared cloud, and why."""

    system: str
    reason: str

    def render(self) -> str:
        return f"{self.system}: {self.reason}"


class PlacementRefused(RefusedError):
    """Systems the plans would place on the shared cloud against its rules (MLPS, reserved ports); lists all."""

    def __init__(self, refusals: Iterable[Refusal]) -> None:
        self.refusals: tuple[Refusal, ...] = tuple(sorted(refusals))
        lines = "\n".join(f"  {r.render()}" for r in self.refusals)
        super().__init__(f"{len(self.refusals)} system(s) refused on the shared cloud:\n{lines}")


# --- names ---------------------------------------------------------------------------------------------------


def object_name(code: str) -> str:
    """A system code as a DNS-1123 label (``CGJ-001`` → ``cgj-001``)."""
    return code.lower()


def department_namespace(department: str) -> str:
    """The namespace of a department's 专用网络区 (``d-cgj``)."""
    return f"d-{department.lower()}"


def system_namespace(system: model.System, inventory: model.Inventory) -> str:
    """Where a system's objects live: its department's namespace, or ``d-<dept>-<zone>`` outside that zone."""
    own = inventory.zone_of_department.get(system.department)
    zone = system.cloud.zone if system.cloud is not None else (own.code if own is not None else "")
    if (own is not None and zone == own.code) or not zone:
        return department_namespace(system.department)
    zone_part = zone.lower().strip("-").replace("--", "-")
    return f"{department_namespace(system.department)}-{zone_part}"


def qualified_name(manifest: Mapping[str, Any]) -> str:
    """``Kind/namespace/name`` (``Kind/name`` for cluster-scoped objects): how problems name an object."""
    metadata = manifest.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    kind = str(manifest.get("kind", "?"))
    name = str(metadata.get("name", "?"))
    namespace = metadata.get("namespace")
    return f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"


# --- placement -----------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Placement:
    """The node pool a workload is pinned to (node selector and toleration), or none (general nodes)."""

    pool: str | None


def place_system(system: model.System, settings: Settings) -> Placement | Refusal:
    """Where a system may run on the shared cloud, or why it may not (the MLPS rules of DOMAIN.md §5)."""
    cloud = settings.cloud
    level = system.mlps_level
    requested = system.cloud.node_pool if system.cloud is not None else None
    dedicated = set(cloud.dedicated_pools)
    if system.classified:
        return Refusal(system.code, "classified (涉密) systems never go to the shared cloud")
    if level is not None and level >= 5:
        return Refusal(system.code, "MLPS level 5 never goes to a shared cloud")
    if level == 4:
        if not dedicated:
            return Refusal(system.code, "MLPS level 4 needs a dedicated resource pool, and none is declared")
        if requested not in dedicated:
            return Refusal(
                system.code,
                f"MLPS level 4 must run on a declared dedicated pool ({', '.join(sorted(dedicated))}); "
                f"cloud.node_pool is {requested!r}",
            )
        return Placement(requested)
    if level is not None and level > cloud.mlps_level:
        return Refusal(system.code, f"MLPS level {level} is above the cloud's own rating (level {cloud.mlps_level})")
    if level == 3:
        if requested is None or requested == cloud.mlps3_node_pool:
            return Placement(cloud.mlps3_node_pool)
        if requested in dedicated:
            return Placement(requested)
        return Refusal(
            system.code,
            f"MLPS level 3 runs on the level-3 pool {cloud.mlps3_node_pool!r} or a declared dedicated pool; "
            f"cloud.node_pool is {requested!r}",
        )
    return Placement(requested)


def refusals(inventory: model.Inventory, progress: ProgressMap, settings: Settings) -> tuple[Refusal, ...]:
    """Every system the plans would provision that the rules refuse, sorted by system code.

    The MLPS rules (:func:`place_system`), and the data-stage ports: a system's own port must not take the
    number or name of ``share`` / ``restricted``, or the 不予共享 port could not be told apart from it.

    A system is provisioned once its progress has reached a stage and it has a cloud placement. A classified
    system without one is not provisioned and not refused: its network stage moves it onto the 电子政务内网
    (the intranet's routers do that, no Kubernetes object); with a cloud placement it is refused.
    """
    found: list[Refusal] = []
    for system in inventory.systems:
        reached = progress.get(system.code)
        if reached is None or reached.reached is None:
            continue
        if system.cloud is None:
            continue
        verdict = place_system(system, settings)
        if isinstance(verdict, Refusal):
            found.append(verdict)
        reserved = [
            p
            for p in system.ports
            for data in (flows.SHARE_PORT, flows.RESTRICTED_PORT)
            if p.port == data.port or p.name == data.name
        ]
        if reserved:
            found.append(
                Refusal(
                    system.code,
                    f"port {reserved[0].name}/{reserved[0].port} clashes with the data-stage ports "
                    f"({flows.SHARE_PORT.name}/{flows.SHARE_PORT.port}, "
                    f"{flows.RESTRICTED_PORT.name}/{flows.RESTRICTED_PORT.port}): renumber or rename it",
                )
            )
    return tuple(sorted(found))


# --- the computation -------------------------------------------------------------------------------------------


def desired_state(
    inventory: model.Inventory,
    progress: ProgressMap,
    settings: Settings,
    *,
    grants: Sequence[ExchangeGrant] | None = None,
) -> DesiredState:
    """Every object of the shared cloud for ``inventory`` at ``progress``; deterministic order.

    ``grants``: the active sharing grants of the day rendered (None: sharing requests are not rendered, no
    authorisation list); they open their consumers' paths in the flow matrix and fill the exchange's
    authorisation ConfigMap (:data:`EXCHANGE_AUTHORISATIONS`).

    Raises :class:`PlacementRefused` (a :class:`~govcloud.errors.RefusedError`) naming every system the MLPS
    rules refuse, all at once, before anything is built.
    """
    refused = refusals(inventory, progress, settings)
    if refused:
        raise PlacementRefused(refused)
    # Millions of small acyclic dicts: the cyclic collector's rescans of them (and of the inventory) took
    # more time than building them on a province, so it is paused while building (nothing here makes cycles).
    with collector.paused():
        builder = _Builder(inventory, progress, settings, grants=grants)
        return DesiredState(platform=tuple(builder.platform()), departments=builder.departments())


@dataclasses.dataclass(frozen=True)
class _Namespace:
    name: str
    department: str | None
    zone: model.Zone | None
    platform: str | None = None


class _Builder:
    """Holds the indexes one computation needs (flows by source and destination, placements, hosts)."""

    def __init__(
        self,
        inventory: model.Inventory,
        progress: ProgressMap,
        settings: Settings,
        *,
        grants: Sequence[ExchangeGrant] | None = None,
    ) -> None:
        self.inventory = inventory
        self.progress = progress
        self.settings = settings
        self.grants = grants
        self.matrix = flows.compute_flow_matrix(inventory, progress, grants=grants or ())
        self.by_destination: dict[flows.Endpoint, list[flows.Flow]] = defaultdict(list)
        self.by_source: dict[flows.Endpoint, list[flows.Flow]] = defaultdict(list)
        for flow in self.matrix.flows:
            self.by_destination[flow.destination].append(flow)
            self.by_source[flow.source].append(flow)
        self.on_cluster: dict[str, tuple[model.System, Progress, Placement]] = {}
        for system in inventory.systems:
            reached = progress.get(system.code)
            if reached is None or reached.reached is None or system.cloud is None or system.classified:
                continue
            placement = place_system(system, settings)
            assert isinstance(placement, Placement)  # refusals were raised before
            self.on_cluster[system.code] = (system, reached, placement)
        # Off the cluster, an endpoint is where the firewall says it is: one address resolution for both
        # renderings (a system is its hosts' addresses, else its zone's ranges; a platform service its address).
        self.resolver = firewall.Resolver(inventory, locations=self.matrix.locations)
        self.host_networks: dict[str, list[ipaddress.IPv4Network]] = defaultdict(list)
        for host in inventory.hosts:
            for code in host.systems:
                for address in host.addresses:
                    self.host_networks[code].append(ipaddress.IPv4Network(address.address.ip))
        self.namespace_of: dict[str, str] = {
            code: system_namespace(system, inventory) for code, (system, _, _) in self.on_cluster.items()
        }
        self.cluster_cidrs = firewall.collapse(settings.cloud.cluster_cidrs)
        internal = [r for z in inventory.network.zones for r in z.ranges]
        if inventory.network.management is not None:
            internal.extend(inventory.network.management.ranges)
        internal.extend(settings.cloud.cluster_cidrs)
        self.internet_except = [str(n) for n in ipaddress.collapse_addresses(internal)]
        self._peer_cache: dict[flows.Endpoint, list[tuple[str, Manifest]]] = {}
        public = sorted(
            {
                host
                for system, _, _ in self.on_cluster.values()
                if system.cloud is not None and system.ports
                for host in system.cloud.public_hostnames
            }
        )
        self.public_gateway_of: dict[str, str] = {
            host: public_gateway_name(i // MAX_PUBLIC_LISTENERS) for i, host in enumerate(public)
        }

    # -- platform ------------------------------------------------------------------------------------------

    def platform(self) -> Iterator[Manifest]:
        cloud = self.settings.cloud
        yield _gateway_class(
            PUBLIC_INGRESS_CLASS,
            cloud.public_gateway_controller,
            "the Internet access zone's ingress (互联网接入区): public",
        )
        yield _gateway_class(
            GATEWAY_INGRESS_CLASS,
            cloud.collaboration_gateway_controller,
            "the business collaboration gateway (业务协同网关): not public",
        )
        platform = self.inventory.network.platform
        for name in flows.PLATFORM_SERVICES:
            service: model.PlatformService = getattr(platform, name)
            zone = self.inventory.zone_by_code.get(service.zone)
            namespace = _Namespace(PLATFORM_NAMESPACES[name], None, zone, platform=name)
            if not service.on_cluster:
                if name in OFF_CLUSTER_SERVICE_NAMES:
                    yield from self._off_cluster_platform_service(name, service, namespace)
                continue  # it runs elsewhere: the departments' policies reach it at its address
            yield self._namespace(namespace, mlps=None, annotations={NAME_ANNOTATION: service.name})
            yield self._default_deny(namespace)
            yield from self._zone_outbound(namespace)
            endpoint = flows.platform_endpoint(name)
            selector = {PLATFORM_LABEL: name}
            labels = {**MANAGED_BY, PLATFORM_LABEL: name}
            ingress = self._ingress_policy(f"{name}-ingress", namespace.name, selector, labels, endpoint)
            if ingress is not None:
                yield ingress
            egress = self._egress_policy(f"{name}-egress", namespace.name, selector, labels, endpoint)
            if egress is not None:
                yield egress
            if service.image is not None:
                yield from self._platform_workload(name, service, namespace)
            if name == "ingress":
                yield self._control_plane_egress(namespace, self.settings.cloud.public_gateway_control_namespace)
                yield from self._public_gateways(namespace)
            elif name == "gateway":
                yield self._control_plane_egress(namespace, self.settings.cloud.collaboration_gateway_control_namespace)
                yield from self._collaboration_gateway(namespace)
            if name == "exchange" and self.grants is not None:
                yield exchange_authorisations(namespace.name, self.matrix.grants)

    def _off_cluster_platform_service(
        self, name: str, service: model.PlatformService, namespace: _Namespace
    ) -> Iterator[Manifest]:
        """An exchange or gateway off the cluster keeps its in-cluster name (``exchange.govcloud-exchange``).

        A selector-less Service whose EndpointSlice is its census address. Its namespace runs no pods; the
        departments' egress policies admit the address itself (a Service's traffic is policed after DNAT).
        """
        yield self._namespace(namespace, mlps=None, annotations={NAME_ANNOTATION: service.name})
        yield self._default_deny(namespace)
        labels = {**MANAGED_BY, PLATFORM_LABEL: name}
        yield _external_service(name, namespace.name, labels, service.ports)
        yield _endpoint_slice(name, namespace.name, labels, service.address, service.ports)

    def _control_plane_egress(self, namespace: _Namespace, control: str) -> Manifest:
        """The gateway proxies fetch their configuration from their own controller, and from nothing else."""
        return _network_policy(
            "control-plane",
            namespace.name,
            self._namespace_labels(namespace),
            {PLATFORM_LABEL: namespace.platform or ""},
            "Egress",
            [
                {
                    "to": [{"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: control}}}],
                    "ports": [{"protocol": "TCP", "port": self.settings.cloud.gateway_control_port}],
                }
            ],
            f"the {namespace.platform} proxies read their configuration from their controller in {control}",
        )

    def _platform_workload(
        self, name: str, service: model.PlatformService, namespace: _Namespace
    ) -> Iterator[Manifest]:
        """A platform service govcloud runs itself (its census gives an image): Deployment and Service."""
        assert service.image is not None
        labels = {**MANAGED_BY, PLATFORM_LABEL: name, "app.kubernetes.io/name": name}
        if namespace.zone is not None:
            labels[ZONE_LABEL] = namespace.zone.code
            labels[ZONE_KIND_LABEL] = ZONE_KIND_VALUES[namespace.zone.kind]
        first = service.ports[0]
        named_http = first.name in HTTP_PORT_NAMES and first.protocol is model.Protocol.TCP
        scheme = "HTTPS" if first.name == "https" else "HTTP"
        probe: Manifest = (
            {"httpGet": {"path": "/", "port": first.port, "scheme": scheme}, "initialDelaySeconds": 10}
            if named_http
            else {"tcpSocket": {"port": first.port}, "initialDelaySeconds": 10}
        )
        container: Manifest = {
            "name": CONTAINER_NAME,
            "image": service.image,
            "ports": [{"name": p.name, "containerPort": p.port, "protocol": p.protocol.value} for p in service.ports],
            "resources": {"requests": dict(DEFAULT_LIMIT), "limits": dict(DEFAULT_LIMIT)},
            "readinessProbe": {**probe, "periodSeconds": 10, "failureThreshold": 3},
            "livenessProbe": {**copy.deepcopy(probe), "periodSeconds": 20, "failureThreshold": 6},
            "securityContext": restricted_container_security(read_only_root=True),
            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
        }
        pod_spec = restricted_pod_spec(container)
        place_pod(pod_spec, pull_secret=self.settings.cloud.image_pull_secret, pool=None)
        annotations = {NAME_ANNOTATION: service.name}
        yield {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": _metadata(name, namespace.name, labels, annotations),
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {PLATFORM_LABEL: name}},
                "template": {"metadata": {"labels": dict(labels), "annotations": dict(annotations)}, "spec": pod_spec},
            },
        }
        yield _service(name, namespace.name, labels, {PLATFORM_LABEL: name}, service.ports)

    def _gateway_labels(self, namespace: _Namespace) -> dict[str, str]:
        labels = {**MANAGED_BY, PLATFORM_LABEL: namespace.platform or ""}
        if namespace.zone is not None:
            labels[ZONE_LABEL] = namespace.zone.code
            labels[ZONE_KIND_LABEL] = ZONE_KIND_VALUES[namespace.zone.kind]
        return labels

    def _public_gateways(self, namespace: _Namespace) -> Iterator[Manifest]:
        """The Internet access zone's Gateways: an HTTPS listener per public hostname, TLS, HTTP redirected."""
        labels = self._gateway_labels(namespace)
        cloud = self.settings.cloud
        hostnames = sorted(self.public_gateway_of)
        chunks = [hostnames[i : i + MAX_PUBLIC_LISTENERS] for i in range(0, len(hostnames), MAX_PUBLIC_LISTENERS)]
        for index, chunk in enumerate(chunks or [[]]):
            gateway = public_gateway_name(index)
            listeners: list[Manifest] = [
                {
                    "name": "http",
                    "port": 80,
                    "protocol": "HTTP",
                    "allowedRoutes": {"namespaces": {"from": "Same"}},
                }
            ]
            for host in chunk:
                secret = cloud.tls_secret or tls_secret_name(host)
                if cloud.tls_secret is None:
                    yield _certificate(secret, namespace.name, labels, [host], cloud.public_tls_issuer)
                listeners.append(
                    _https_listener(
                        host, host, secret, {ZONE_KIND_LABEL: ZONE_KIND_VALUES[model.ZoneKind.INTERNET_ACCESS]}
                    )
                )
            yield _gateway(gateway, namespace.name, labels, PUBLIC_INGRESS_CLASS, listeners)
            yield _redirect_route(f"{gateway}-https-redirect", namespace.name, labels, gateway)

    def _collaboration_gateway(self, namespace: _Namespace) -> Iterator[Manifest]:
        """The collaboration gateway: one wildcard HTTPS listener ``*.<gateway_domain>`` for every department."""
        labels = self._gateway_labels(namespace)
        cloud = self.settings.cloud
        wildcard = f"*.{cloud.gateway_domain}"
        secret = cloud.tls_secret or tls_secret_name(cloud.gateway_domain)
        if cloud.tls_secret is None:
            yield _certificate(secret, namespace.name, labels, [wildcard], cloud.collaboration_tls_issuer)
        listener = _https_listener("https", wildcard, secret, {MANAGED_BY_KEY: MANAGED_BY[MANAGED_BY_KEY]})
        # Only department namespaces attach routes here (the platform's own never publish through it).
        listener["allowedRoutes"]["namespaces"]["selector"] = {
            "matchExpressions": [{"key": DEPARTMENT_LABEL, "operator": "Exists"}]
        }
        yield _gateway(COLLABORATION_GATEWAY, namespace.name, labels, GATEWAY_INGRESS_CLASS, [listener])

    # -- departments ---------------------------------------------------------------------------------------

    def departments(self) -> dict[str, tuple[Manifest, ...]]:
        result: dict[str, tuple[Manifest, ...]] = {}
        for department in sorted(self.inventory.departments, key=lambda d: d.code):
            result[department.code] = tuple(self._department(department))
        return result

    def _department(self, department: model.Department) -> Iterator[Manifest]:
        inventory = self.inventory
        own_zone = inventory.zone_of_department.get(department.code)
        systems = sorted(inventory.systems_of_department.get(department.code, ()), key=lambda s: s.code)
        spaces: dict[str, _Namespace] = {
            department_namespace(department.code): _Namespace(
                department_namespace(department.code), department.code, own_zone
            )
        }
        for system in systems:
            if system.cloud is None or system.classified:
                continue
            name = system_namespace(system, inventory)
            if name not in spaces:
                spaces[name] = _Namespace(name, department.code, inventory.zone_by_code.get(system.cloud.zone))
        running: dict[str, list[tuple[model.System, Progress, Placement]]] = {name: [] for name in spaces}
        for system in systems:
            if system.code in self.on_cluster:
                running[self.namespace_of[system.code]].append(self.on_cluster[system.code])
        for name in sorted(spaces):
            namespace = spaces[name]
            members = running[name]
            levels = [s.mlps_level for s, _, _ in members if s.mlps_level is not None]
            annotations = {NAME_ANNOTATION: department.name}
            yield self._namespace(namespace, mlps=max(levels) if levels else None, annotations=annotations)
            yield _resource_quota(namespace, [s for s, _, _ in members])
            yield _limit_range(namespace, [s for s, _, _ in members])
            yield _admin_role(namespace)
            if department.admin_group:
                yield _admin_binding(namespace, department.admin_group)
            yield self._default_deny(namespace)
            yield from self._zone_outbound(namespace)
            for system, reached, placement in members:
                yield from self._system(system, reached, placement, namespace)

    # -- one system ----------------------------------------------------------------------------------------

    def _system(
        self, system: model.System, reached: Progress, placement: Placement, namespace: _Namespace
    ) -> Iterator[Manifest]:
        assert system.cloud is not None
        assert reached.reached is not None
        name = object_name(system.code)
        labels = self._system_labels(system, reached.reached, namespace)
        data_ports = flows.data_ports(system, self.inventory) if reached.has_reached(Stage.DATA) else ()
        share = [p for p in data_ports if p.name == flows.SHARE_PORT.name]
        restricted = [p for p in data_ports if p.name == flows.RESTRICTED_PORT.name]
        yield self._workload(system, placement, namespace, labels, (*system.ports, *share, *restricted))
        yield self._config_map(system, namespace, labels)
        yield from self._databases(system, placement, namespace, labels)
        selector = {SYSTEM_LABEL: system.code}
        service_ports = (*system.ports, *share)
        if service_ports:
            yield _service(name, namespace.name, labels, selector, service_ports)
        if restricted:
            restricted_labels = {**labels, SHARING_LABEL: SHARING_RESTRICTED}
            yield _service(f"{name}-restricted", namespace.name, restricted_labels, selector, restricted)
        endpoint = flows.system_endpoint(system.code)
        restricted_numbers = {p.port for p in restricted}
        ingress = self._ingress_policy(
            f"{name}-ingress", namespace.name, selector, labels, endpoint, skip_ports=restricted_numbers
        )
        if ingress is not None:
            yield ingress
        if restricted:
            restricted_policy = self._ingress_policy(
                f"{name}-restricted",
                namespace.name,
                selector,
                {**labels, SHARING_LABEL: SHARING_RESTRICTED},
                endpoint,
                only_ports=restricted_numbers,
            )
            if restricted_policy is not None:
                yield restricted_policy
        egress = self._egress_policy(f"{name}-egress", namespace.name, selector, labels, endpoint)
        if egress is not None:
            yield egress
        if system.cloud.public_hostnames and system.ports:
            parents = [
                {
                    "group": GATEWAY_API,
                    "kind": "Gateway",
                    "namespace": PLATFORM_NAMESPACES["ingress"],
                    "name": self.public_gateway_of[host],
                    "sectionName": host,
                }
                for host in sorted(set(system.cloud.public_hostnames))
            ]
            yield _http_route(
                f"{name}-public",
                namespace.name,
                labels,
                parents,
                sorted(set(system.cloud.public_hostnames)),
                name,
                system.ports[0].port,
            )
        if reached.has_reached(Stage.BUSINESS) and system.ports:
            domain = self.settings.cloud.gateway_domain
            parent = {
                "group": GATEWAY_API,
                "kind": "Gateway",
                "namespace": PLATFORM_NAMESPACES["gateway"],
                "name": COLLABORATION_GATEWAY,
                "sectionName": "https",
            }
            for i, port in enumerate(system.ports):
                host = f"{name}.{domain}" if i == 0 else f"{port.name}-{name}.{domain}"
                route = f"{name}-gateway" if i == 0 else f"{name}-gateway-{port.name}"
                yield _http_route(route, namespace.name, labels, [dict(parent)], [host], name, port.port)

    def _system_labels(self, system: model.System, stage: Stage, namespace: _Namespace) -> dict[str, str]:
        labels = {
            "app.kubernetes.io/name": object_name(system.code),
            **MANAGED_BY,
            DEPARTMENT_LABEL: system.department,
            SYSTEM_LABEL: system.code,
            STAGE_LABEL: stage.value,
        }
        if namespace.zone is not None:
            labels[ZONE_LABEL] = namespace.zone.code
            labels[ZONE_KIND_LABEL] = ZONE_KIND_VALUES[namespace.zone.kind]
        if system.mlps_level is not None:
            labels[MLPS_LABEL] = str(system.mlps_level)
        if system.cloud is not None and system.cloud.writable_root:
            labels[WRITABLE_ROOT_LABEL] = "true"
        return labels

    def _workload(
        self,
        system: model.System,
        placement: Placement,
        namespace: _Namespace,
        labels: Mapping[str, str],
        ports: Sequence[model.ServicePort],
    ) -> Manifest:
        cloud = system.cloud
        assert cloud is not None
        name = object_name(system.code)
        annotations = {NAME_ANNOTATION: system.name}
        image = cloud.image
        if image is None:
            image = f"{self.settings.cloud.image_registry}/{system.department.lower()}/{name}:placeholder"
            annotations[IMAGE_PLACEHOLDER_ANNOTATION] = "true"
        sizing = system.sizing
        cpu_request = _millicores(sizing.cpu)
        memory = _mebibytes(sizing.memory_gib)
        container: Manifest = {
            "name": CONTAINER_NAME,
            "image": image,
            "resources": {
                "requests": {"cpu": _cpu_text(cpu_request), "memory": _memory_text(memory)},
                "limits": {"cpu": _cpu_text(cpu_request * CPU_LIMIT_FACTOR), "memory": _memory_text(memory)},
            },
            "securityContext": restricted_container_security(read_only_root=not cloud.writable_root),
            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
        }
        if ports:
            container["ports"] = [
                {"name": p.name, "containerPort": p.port, "protocol": p.protocol.value} for p in ports
            ]
        probe = workload_probe(system)
        if probe is not None:
            container["readinessProbe"] = {**probe, "periodSeconds": 10, "failureThreshold": 3}
            container["livenessProbe"] = {**copy.deepcopy(probe), "periodSeconds": 20, "failureThreshold": 6}
        container["envFrom"] = [
            {"configMapRef": {"name": config_map_name(system)}},
            *({"secretRef": {"name": secret}} for secret in cloud.secrets),
        ]
        pod_spec = restricted_pod_spec(container)
        place_pod(pod_spec, pull_secret=self._pull_secret(system.department), pool=placement.pool)
        template = {"metadata": {"labels": dict(labels), "annotations": dict(annotations)}, "spec": pod_spec}
        spec: Manifest = {
            "replicas": sizing.replicas,
            "selector": {"matchLabels": {SYSTEM_LABEL: system.code}},
            "template": template,
        }
        kind = "StatefulSet" if cloud.stateful else "Deployment"
        if cloud.stateful:
            spec["serviceName"] = name
            if sizing.storage_gib > 0:
                container["volumeMounts"].append({"name": "data", "mountPath": "/data"})
                spec["volumeClaimTemplates"] = [
                    {
                        "metadata": {"name": "data"},
                        "spec": {
                            "accessModes": ["ReadWriteOnce"],
                            "resources": {"requests": {"storage": _memory_text(_mebibytes(sizing.storage_gib))}},
                        },
                    }
                ]
        return {
            "apiVersion": "apps/v1",
            "kind": kind,
            "metadata": _metadata(name, namespace.name, labels, annotations),
            "spec": spec,
        }

    def _pull_secret(self, department: str) -> str | None:
        """The Secret a department's pods pull images with: its own, else the cloud's default, else none."""
        found = self.inventory.department_by_code.get(department)
        own = found.image_pull_secret if found is not None else None
        return own or self.settings.cloud.image_pull_secret

    def _config_map(self, system: model.System, namespace: _Namespace, labels: Mapping[str, str]) -> Manifest:
        """The system's non-secret configuration: facts from the census, then its own ``cloud.config``.

        The ``GOVCLOUD_*`` keys come from the census and win over ``cloud.config`` (a census check refuses
        them there), so a workload always reads where it is and where its databases and dependencies are.
        """
        assert system.cloud is not None
        data: dict[str, str] = dict(sorted(system.cloud.config.items()))
        data.update(config_facts(system, self.inventory, self.namespace_of))
        return {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": _metadata(config_map_name(system), namespace.name, labels, {}),
            "data": data,
        }

    def _databases(
        self, system: model.System, placement: Placement, namespace: _Namespace, labels: Mapping[str, str]
    ) -> Iterator[Manifest]:
        """Each database's objects: moved, a StatefulSet with its volume; staying, a Service at its address."""
        assert system.cloud is not None
        for index, database in enumerate(system.cloud.databases):
            name = database_name(system, index)
            port = model.ServicePort(name="db", port=database.port)
            if database.decision is model.DatabaseDecision.STAYS:
                assert database.address is not None
                yield _external_service(name, namespace.name, labels, (port,))
                yield _endpoint_slice(name, namespace.name, labels, database.address, (port,))
                continue
            db_labels = {k: v for k, v in labels.items() if k not in (SYSTEM_LABEL, "app.kubernetes.io/name")}
            db_labels.update({"app.kubernetes.io/name": name, DATABASE_LABEL: name, DATABASE_OF_LABEL: system.code})
            yield self._database_statefulset(system, database, name, placement, namespace, db_labels, port)
            headless = _service(name, namespace.name, db_labels, {DATABASE_LABEL: name}, (port,))
            headless["spec"]["clusterIP"] = "None"
            yield headless
            rule = {"ports": [{"protocol": "TCP", "port": database.port}]}
            yield _network_policy(
                f"{name}-ingress",
                namespace.name,
                db_labels,
                {DATABASE_LABEL: name},
                "Ingress",
                [{"from": [{"podSelector": {"matchLabels": {SYSTEM_LABEL: system.code}}}], **copy.deepcopy(rule)}],
                f"{system.code} uses its database {database.name} ({database.engine})",
            )
            yield _network_policy(
                f"{name}-client",
                namespace.name,
                labels,
                {SYSTEM_LABEL: system.code},
                "Egress",
                [{"to": [{"podSelector": {"matchLabels": {DATABASE_LABEL: name}}}], **rule}],
                f"{system.code} uses its database {database.name} ({database.engine})",
            )

    def _database_statefulset(
        self,
        system: model.System,
        database: model.DatabasePlacement,
        name: str,
        placement: Placement,
        namespace: _Namespace,
        labels: Mapping[str, str],
        port: model.ServicePort,
    ) -> Manifest:
        assert database.image is not None
        assert database.storage_gib is not None
        cpu, cpu_limit, memory = _pod_resources(system)
        probe: Manifest = {"tcpSocket": {"port": port.port}, "initialDelaySeconds": 15}
        container: Manifest = {
            "name": "database",
            "image": database.image,
            "ports": [{"name": port.name, "containerPort": port.port, "protocol": "TCP"}],
            "resources": {
                "requests": {"cpu": _cpu_text(cpu), "memory": _memory_text(memory)},
                "limits": {"cpu": _cpu_text(cpu_limit), "memory": _memory_text(memory)},
            },
            "readinessProbe": {**probe, "periodSeconds": 10, "failureThreshold": 3},
            "livenessProbe": {**copy.deepcopy(probe), "periodSeconds": 20, "failureThreshold": 6},
            "securityContext": restricted_container_security(read_only_root=True),
            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}, {"name": "data", "mountPath": "/data"}],
        }
        pod_spec = restricted_pod_spec(container)
        place_pod(pod_spec, pull_secret=self._pull_secret(system.department), pool=placement.pool)
        annotations = {NAME_ANNOTATION: f"{system.name}: {database.name} ({database.engine})"}
        return {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": _metadata(name, namespace.name, labels, annotations),
            "spec": {
                "replicas": 1,
                "serviceName": name,
                "selector": {"matchLabels": {DATABASE_LABEL: name}},
                "template": {
                    "metadata": {"labels": dict(labels), "annotations": dict(annotations)},
                    "spec": pod_spec,
                },
                "volumeClaimTemplates": [
                    {
                        "metadata": {"name": "data"},
                        "spec": {
                            "accessModes": ["ReadWriteOnce"],
                            "storageClassName": storage_class(system, self.settings),
                            "resources": {"requests": {"storage": _memory_text(_mebibytes(database.storage_gib))}},
                        },
                    }
                ],
            },
        }

    # -- namespaces and NetworkPolicies --------------------------------------------------------------------

    def _namespace(self, namespace: _Namespace, *, mlps: int | None, annotations: Mapping[str, str]) -> Manifest:
        labels: dict[str, str] = {**MANAGED_BY}
        if namespace.department is not None:
            labels[DEPARTMENT_LABEL] = namespace.department
        if namespace.platform is not None:
            labels[PLATFORM_LABEL] = namespace.platform
        if namespace.zone is not None:
            labels[ZONE_LABEL] = namespace.zone.code
            labels[ZONE_KIND_LABEL] = ZONE_KIND_VALUES[namespace.zone.kind]
        if mlps is not None:
            labels[MLPS_LABEL] = str(mlps)
        labels.update(PSA_LABELS)
        if namespace.zone is not None:
            # What the policies need to tell a department's own addresses from others' (policies read objects).
            annotations = {**annotations, ZONE_RANGES_ANNOTATION: ",".join(str(r) for r in namespace.zone.ranges)}
        return {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": _metadata(namespace.name, None, labels, annotations),
        }

    def _default_deny(self, namespace: _Namespace) -> Manifest:
        # Deny everything in both directions; the only egress left is DNS to the cluster's resolver in
        # kube-system: every Service is called by name, and without DNS no declared flow would work. It is
        # limited to the kube-dns pods on port 53, so it opens no path to another department.
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": _metadata("default-deny", namespace.name, self._namespace_labels(namespace), {}),
            "spec": {
                "podSelector": {},
                "policyTypes": ["Ingress", "Egress"],
                "egress": [
                    {
                        "to": [
                            {
                                "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: DNS_NAMESPACE}},
                                "podSelector": {"matchLabels": dict(DNS_POD_LABELS)},
                            }
                        ],
                        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                    }
                ],
            },
        }

    def _zone_outbound(self, namespace: _Namespace) -> Iterator[Manifest]:
        if namespace.zone is None:
            return
        source = flows.zone_endpoint(namespace.zone.code)
        rules = self._rules(self.by_source.get(source, ()), direction="egress")
        if rules:
            yield _network_policy(
                "zone-outbound",
                namespace.name,
                self._namespace_labels(namespace),
                {},
                "Egress",
                rules,
                _why(self.by_source.get(source, ())),
            )

    def _namespace_labels(self, namespace: _Namespace) -> dict[str, str]:
        labels: dict[str, str] = {**MANAGED_BY}
        if namespace.department is not None:
            labels[DEPARTMENT_LABEL] = namespace.department
        if namespace.platform is not None:
            labels[PLATFORM_LABEL] = namespace.platform
        return labels

    def _ingress_policy(
        self,
        name: str,
        namespace: str,
        selector: Mapping[str, str],
        labels: Mapping[str, str],
        endpoint: flows.Endpoint,
        *,
        skip_ports: set[int] | frozenset[int] = frozenset(),
        only_ports: set[int] | None = None,
    ) -> Manifest | None:
        chosen = [
            f
            for f in self.by_destination.get(endpoint, ())
            if f.port not in skip_ports and (only_ports is None or f.port in only_ports)
        ]
        rules = self._rules(chosen, direction="ingress")
        if not rules:
            return None
        return _network_policy(name, namespace, labels, selector, "Ingress", rules, _why(chosen))

    def _egress_policy(
        self,
        name: str,
        namespace: str,
        selector: Mapping[str, str],
        labels: Mapping[str, str],
        endpoint: flows.Endpoint,
    ) -> Manifest | None:
        chosen = self.by_source.get(endpoint, ())
        rules = self._rules(chosen, direction="egress")
        if not rules:
            return None
        return _network_policy(name, namespace, labels, selector, "Egress", rules, _why(chosen))

    def _rules(self, chosen: Iterable[flows.Flow], *, direction: str) -> list[Manifest]:
        """One rule per set of ports, listing every peer that uses exactly those ports; deterministic order."""
        ports_of: dict[flows.Endpoint, set[tuple[str, int]]] = defaultdict(set)
        for flow in chosen:
            other = flow.source if direction == "ingress" else flow.destination
            ports_of[other].add((flow.protocol.value, flow.port))
        grouped: dict[tuple[tuple[str, int], ...], dict[str, Manifest]] = defaultdict(dict)
        for peer_endpoint in sorted(ports_of):
            peers = grouped[tuple(sorted(ports_of[peer_endpoint]))]
            for key, peer in self._peers(peer_endpoint):
                # Two endpoints can stand for the same addresses (a zone, and a system known only by its zone).
                peers.setdefault(key, peer)
        key = "from" if direction == "ingress" else "to"
        return [
            {
                key: [_copy_peer(peer) for peer in peers.values()],
                "ports": [{"protocol": protocol, "port": port} for protocol, port in ports],
            }
            for ports, peers in sorted(grouped.items())
            if peers
        ]

    def _peers(self, endpoint: flows.Endpoint) -> list[tuple[str, Manifest]]:
        """The NetworkPolicy peers that stand for one endpoint of the flow matrix, each with its dedup key.

        None when the endpoint is not addressable. A peer list is shared by every rule that names the
        endpoint, so callers copy before changing it.
        """
        cached = self._peer_cache.get(endpoint)
        if cached is None:
            cached = self._peer_cache[endpoint] = [(_peer_key(p), p) for p in self._compute_peers(endpoint)]
        return cached

    def _compute_peers(self, endpoint: flows.Endpoint) -> Iterator[Manifest]:
        kind = endpoint.kind
        if kind is flows.EndpointKind.SYSTEM:
            placed = self.on_cluster.get(endpoint.name)
            if placed is None:
                # Not on the cluster (yet): where its legacy servers are, or its zone when none is listed.
                yield from self._ip_blocks(self.resolver.addresses(endpoint).networks)
                return
            yield {
                "namespaceSelector": {
                    "matchLabels": {
                        NAMESPACE_NAME_LABEL: self.namespace_of[endpoint.name],
                        DEPARTMENT_LABEL: placed[0].department,
                    }
                },
                "podSelector": {"matchLabels": {SYSTEM_LABEL: endpoint.name}},
            }
            # Legacy servers still listed for it (a parallel run before the cut-over) speak for it too.
            yield from self._ip_blocks(firewall.collapse(self.host_networks.get(endpoint.name, ())))
            return
        if kind is flows.EndpointKind.PLATFORM:
            service: model.PlatformService = getattr(self.inventory.network.platform, endpoint.name)
            if not service.on_cluster:
                yield from self._ip_blocks((ipaddress.IPv4Network(service.address),))
                return
            yield {
                "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: PLATFORM_NAMESPACES[endpoint.name]}},
                "podSelector": {"matchLabels": {PLATFORM_LABEL: endpoint.name}},
            }
            return
        if kind is flows.EndpointKind.ZONE:
            # A zone is its address ranges (staff, legacy servers: what the firewall lets through), and its
            # namespaces where it runs on the cluster (pods keep their own addresses, outside the ranges).
            zone = self.inventory.zone_by_code.get(endpoint.name)
            if zone is None:
                return
            yield from self._ip_blocks(firewall.collapse(zone.ranges))
            match = {ZONE_LABEL: endpoint.name}
            if zone.department is not None:
                match[DEPARTMENT_LABEL] = zone.department
            yield {"namespaceSelector": {"matchLabels": match}}
            return
        if kind is flows.EndpointKind.INTERNET:
            yield {"ipBlock": {"cidr": "0.0.0.0/0", "except": list(self.internet_except)}}
            return
        if kind is flows.EndpointKind.DATABASE:
            # A database that stays on its legacy host: its census address, off the cluster.
            yield from self._ip_blocks(self.resolver.addresses(endpoint).networks)
            return
        # The management network reaches hosts (SSH on nodes and servers), never pods: flows.HOSTS endpoints,
        # which no pod is, so nothing opens in the cluster for it.
        return

    def _ip_blocks(self, networks: Iterable[ipaddress.IPv4Network]) -> Iterator[Manifest]:
        """The ipBlock peers of off-cluster addresses; the cluster's own ranges are cut out, as they are pods'."""
        for network in networks:
            if any(network.subnet_of(cidr) for cidr in self.cluster_cidrs):
                continue  # pod or service addresses: never an off-cluster endpoint
            inside = [str(c) for c in self.cluster_cidrs if c.subnet_of(network)]
            block: Manifest = {"cidr": str(network)}
            if inside:
                block["except"] = inside
            yield {"ipBlock": block}


# --- the restricted pod every workload runs in (systems, moved databases, platform services) ---------------------


def restricted_container_security(*, read_only_root: bool) -> Manifest:
    """A container's securityContext under Pod Security ``restricted``: non-root, no privilege, no capabilities."""
    return {
        "runAsNonRoot": True,
        "readOnlyRootFilesystem": read_only_root,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def restricted_pod_spec(container: Manifest) -> Manifest:
    """The pod around one container: no service account token, a fixed non-root user, a bounded /tmp."""
    return {
        "automountServiceAccountToken": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": RUN_AS_USER,
            "runAsGroup": RUN_AS_USER,
            "fsGroup": RUN_AS_USER,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container],
        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": TMP_SIZE}}],
    }


def place_pod(pod_spec: Manifest, *, pull_secret: str | None, pool: str | None) -> None:
    """Add the image pull secret and, for a dedicated node pool, its selector and toleration to ``pod_spec``."""
    if pull_secret is not None:
        pod_spec["imagePullSecrets"] = [{"name": pull_secret}]
    if pool is not None:
        pod_spec["nodeSelector"] = {NODE_POOL_LABEL: pool}
        pod_spec["tolerations"] = [{"key": NODE_POOL_LABEL, "operator": "Equal", "value": pool, "effect": "NoSchedule"}]


# --- workloads: probes, configuration, databases, rehearsal marks ------------------------------------------------

HTTP_PORT_NAMES: Final = frozenset({"http", "https", "web", "http-alt", "http-api", "api", "rest"})
"""Service port names that say HTTP: the default probe of such a port is an httpGet, of any other a tcpSocket."""


def workload_probe(system: model.System) -> Manifest | None:
    """The probe handler of a system's container, from ``cloud.probe`` or, by default, its first port.

    None when the census gives neither a probe nor a port (the policy pack then refuses the workload).
    """
    stated = system.cloud.probe if system.cloud is not None else None
    first = system.ports[0] if system.ports else None
    delay = stated.initial_delay_seconds if stated is not None else 10
    if stated is not None and stated.command:
        return {"exec": {"command": list(stated.command)}, "initialDelaySeconds": delay}
    port_number = stated.port if stated is not None and stated.port is not None else (first.port if first else None)
    if port_number is None:
        return None
    named = next((p for p in system.ports if p.port == port_number), None)
    if stated is not None and stated.path is not None:
        scheme = "HTTPS" if named is not None and named.name == "https" else "HTTP"
        return {"httpGet": {"path": stated.path, "port": port_number, "scheme": scheme}, "initialDelaySeconds": delay}
    if named is not None and named.name in HTTP_PORT_NAMES and named.protocol is model.Protocol.TCP:
        scheme = "HTTPS" if named.name == "https" else "HTTP"
        return {"httpGet": {"path": "/", "port": port_number, "scheme": scheme}, "initialDelaySeconds": delay}
    return {"tcpSocket": {"port": port_number}, "initialDelaySeconds": delay}


def config_map_name(system: model.System) -> str:
    return f"{object_name(system.code)}-config"


def database_name(system: model.System, index: int) -> str:
    """The object name of the ``index``-th database decision of a system (``cgj-001-db-1``)."""
    return f"{object_name(system.code)}-db-{index + 1}"


def moved_databases(system: model.System) -> tuple[model.DatabasePlacement, ...]:
    if system.cloud is None:
        return ()
    return tuple(d for d in system.cloud.databases if d.decision is model.DatabaseDecision.MOVED)


def storage_class(system: model.System, settings: Settings) -> str:
    """The StorageClass of a system's database volumes: per MLPS level from settings, else the default."""
    level = system.mlps_level
    classes = settings.cloud.storage_classes
    if level is not None and level in classes:
        return classes[level]
    return settings.cloud.default_storage_class


CONFIG_PREFIX: Final = "GOVCLOUD_"
"""Keys of a system's ConfigMap that come from the census; ``cloud.config`` may not use them."""


def config_facts(system: model.System, inventory: model.Inventory, namespace_of: Mapping[str, str]) -> dict[str, str]:
    """The ``GOVCLOUD_*`` variables of a system: who and where it is, its databases, the systems it calls."""
    assert system.cloud is not None
    exchange = inventory.network.platform.exchange
    facts = {
        "GOVCLOUD_SYSTEM": system.code,
        "GOVCLOUD_DEPARTMENT": system.department,
        "GOVCLOUD_ZONE": system.cloud.zone,
        "GOVCLOUD_MLPS_LEVEL": str(system.mlps_level) if system.mlps_level is not None else "",
        "GOVCLOUD_EXCHANGE": f"{exchange.address}:{exchange.ports[0].port}",
    }
    own_namespace = namespace_of.get(system.code, system_namespace(system, inventory))
    for index, database in enumerate(system.cloud.databases):
        key = f"GOVCLOUD_DB_{index + 1}"
        facts[f"{key}_NAME"] = database.name
        facts[f"{key}_ENGINE"] = database.engine
        facts[f"{key}_HOST"] = f"{database_name(system, index)}.{own_namespace}.svc"
        facts[f"{key}_PORT"] = str(database.port)
    for code in system.depends_on:
        target = inventory.system_by_code.get(code)
        if target is None or not target.ports:
            continue
        where = namespace_of.get(code)
        variable = CONFIG_PREFIX + "CALLS_" + code.replace("-", "_")
        facts[variable] = (
            f"{object_name(code)}.{where}.svc:{target.ports[0].port}" if where is not None else f"{code} (off-cluster)"
        )
    return facts


def mark_not_deployable(state: DesiredState, reason: str) -> DesiredState:
    """A copy of ``state`` where every object carries :data:`NOT_DEPLOYABLE_ANNOTATION` (rehearsal renders).

    The policy pack refuses any object with the mark, so a rehearsal render applied by mistake goes nowhere.
    """

    def marked(manifest: Manifest) -> Manifest:
        fresh = dict(manifest)
        metadata = dict(fresh.get("metadata") or {})
        metadata["annotations"] = {**(metadata.get("annotations") or {}), NOT_DEPLOYABLE_ANNOTATION: reason}
        fresh["metadata"] = metadata
        return fresh

    return DesiredState(
        platform=tuple(marked(m) for m in state.platform),
        departments={code: tuple(marked(m) for m in items) for code, items in state.departments.items()},
    )


def _external_service(
    name: str, namespace: str, labels: Mapping[str, str], ports: Sequence[model.ServicePort]
) -> Manifest:
    """A Service without selector: its endpoints are an EndpointSlice naming an address off the cluster."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(name, namespace, labels, {}),
        "spec": {
            "type": "ClusterIP",
            "ports": [
                {"name": port.name, "port": port.port, "targetPort": port.port, "protocol": port.protocol.value}
                for port in ports
            ],
        },
    }


def _endpoint_slice(
    name: str, namespace: str, labels: Mapping[str, str], address: Any, ports: Sequence[model.ServicePort]
) -> Manifest:
    slice_labels = {**labels, SERVICE_NAME_LABEL: name, "endpointslice.kubernetes.io/managed-by": "govcloud.gov.cn"}
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": _metadata(name, namespace, slice_labels, {}),
        "addressType": "IPv4",
        "endpoints": [{"addresses": [str(address)], "conditions": {"ready": True}}],
        "ports": [{"name": port.name, "port": port.port, "protocol": port.protocol.value} for port in ports],
    }


# --- the exchange's authorisation list (data sharing grants) --------------------------------------------------

EXCHANGE_AUTHORISATIONS: Final = "exchange-authorisations"
"""ConfigMap in the exchange's namespace: which consumer system may fetch which resource, on what terms, until when."""


def exchange_authorisations(namespace: str, grants: Sequence[ExchangeGrant]) -> Manifest:
    """The exchange's authorisation list: one key per grant, ``<consumer>.<resource code>`` (``/`` as ``_``).

    Each value is one line of ``key=value`` pairs (resource, consumer, request, type, conditions, expires), so
    the exchange (and a reviewer) reads it without a parser; an expired or suspended grant is not rendered.
    """
    data: dict[str, str] = {}
    for grant in grants:
        key = f"{grant.consumer}.{grant.resource.replace('/', '_')}"
        data[key] = "\n".join(
            (
                f"consumer={grant.consumer}",
                f"resource={grant.resource}",
                f"request={grant.request}",
                f"type={grant.sharing_type.value}",
                f"conditions={grant.conditions}",
                f"expires={grant.expires.isoformat()}",
            )
        )
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _metadata(
            EXCHANGE_AUTHORISATIONS,
            namespace,
            {**MANAGED_BY, PLATFORM_LABEL: "exchange"},
            {WHY_ANNOTATION: "active data-sharing grants (条例 Art. 21-22): the exchange serves only these"},
        ),
        "data": data,
    }


# --- object builders ---------------------------------------------------------------------------------------------


def _metadata(name: str, namespace: str | None, labels: Mapping[str, str], annotations: Mapping[str, str]) -> Manifest:
    metadata: Manifest = {"name": name}
    if namespace is not None:
        metadata["namespace"] = namespace
    metadata["labels"] = dict(labels)
    if annotations:
        metadata["annotations"] = dict(annotations)
    return metadata


MANAGED_BY_KEY: Final = "app.kubernetes.io/managed-by"


def public_gateway_name(index: int) -> str:
    """The ``index``-th public Gateway: ``internet``, then ``internet-2``, ..."""
    return PUBLIC_GATEWAY if index == 0 else f"{PUBLIC_GATEWAY}-{index + 1}"


def tls_secret_name(host: str) -> str:
    """The Secret cert-manager writes a hostname's certificate to (``www-example-gov-cn-tls``)."""
    slug = host.lower().replace("*.", "wildcard-").replace(".", "-")
    return f"{slug[:59].strip('-')}-tls"


def _gateway_class(name: str, controller: str, description: str) -> Manifest:
    return {
        "apiVersion": GATEWAY_API_VERSION,
        "kind": "GatewayClass",
        "metadata": _metadata(name, None, MANAGED_BY, {PREFIX + "description": description}),
        "spec": {"controllerName": controller, "description": description},
    }


def _https_listener(name: str, hostname: str, secret: str, namespace_labels: Mapping[str, str]) -> Manifest:
    return {
        "name": name,
        "hostname": hostname,
        "port": 443,
        "protocol": "HTTPS",
        "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "group": "", "name": secret}]},
        "allowedRoutes": {
            "namespaces": {"from": "Selector", "selector": {"matchLabels": dict(namespace_labels)}},
            "kinds": [{"group": GATEWAY_API, "kind": "HTTPRoute"}],
        },
    }


def _gateway(
    name: str, namespace: str, labels: Mapping[str, str], gateway_class: str, listeners: list[Manifest]
) -> Manifest:
    return {
        "apiVersion": GATEWAY_API_VERSION,
        "kind": "Gateway",
        "metadata": _metadata(name, namespace, labels, {}),
        "spec": {"gatewayClassName": gateway_class, "listeners": listeners},
    }


def _certificate(name: str, namespace: str, labels: Mapping[str, str], dns_names: list[str], issuer: str) -> Manifest:
    """A cert-manager Certificate: the issuer writes the key pair to Secret ``name``; no key is ever rendered."""
    return {
        "apiVersion": CERT_MANAGER_VERSION,
        "kind": "Certificate",
        "metadata": _metadata(name, namespace, labels, {}),
        "spec": {
            "secretName": name,
            "dnsNames": list(dns_names),
            "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": issuer},
            "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
        },
    }


def _redirect_route(name: str, namespace: str, labels: Mapping[str, str], gateway: str) -> Manifest:
    """Plain HTTP on the public Gateway answers only with a redirect to HTTPS."""
    return {
        "apiVersion": GATEWAY_API_VERSION,
        "kind": "HTTPRoute",
        "metadata": _metadata(name, namespace, labels, {}),
        "spec": {
            "parentRefs": [{"group": GATEWAY_API, "kind": "Gateway", "name": gateway, "sectionName": "http"}],
            "rules": [
                {"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}]}
            ],
        },
    }


def _http_route(
    name: str,
    namespace: str,
    labels: Mapping[str, str],
    parents: list[Manifest],
    hostnames: list[str],
    service: str,
    port: int,
) -> Manifest:
    return {
        "apiVersion": GATEWAY_API_VERSION,
        "kind": "HTTPRoute",
        "metadata": _metadata(name, namespace, labels, {}),
        "spec": {
            "parentRefs": parents,
            "hostnames": hostnames,
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                    "backendRefs": [{"group": "", "kind": "Service", "name": service, "port": port}],
                }
            ],
        },
    }


def _service(
    name: str,
    namespace: str,
    labels: Mapping[str, str],
    selector: Mapping[str, str],
    ports: Sequence[model.ServicePort],
) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(name, namespace, labels, {}),
        "spec": {
            "type": "ClusterIP",
            "selector": dict(selector),
            "ports": [
                {"name": p.name, "port": p.port, "targetPort": p.port, "protocol": p.protocol.value} for p in ports
            ],
        },
    }


def _network_policy(
    name: str,
    namespace: str,
    labels: Mapping[str, str],
    selector: Mapping[str, str],
    policy_type: str,
    rules: list[Manifest],
    why: str,
) -> Manifest:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _metadata(name, namespace, labels, {WHY_ANNOTATION: why} if why else {}),
        "spec": {
            "podSelector": {"matchLabels": dict(selector)} if selector else {},
            "policyTypes": [policy_type],
            policy_type.lower(): rules,
        },
    }


def _peer_key(peer: Mapping[str, Any]) -> str:
    block = peer.get("ipBlock")
    if isinstance(block, Mapping):
        return f"ipBlock {block['cidr']} except {block.get('except', ())}"
    return repr(sorted((k, sorted(v["matchLabels"].items())) for k, v in peer.items()))


def _copy_peer(peer: Mapping[str, Any]) -> Manifest:
    """A fresh peer (every rule owns its objects, so YAML never writes anchors and edits never leak)."""
    block = peer.get("ipBlock")
    if isinstance(block, Mapping):
        fresh: Manifest = {"cidr": block["cidr"]}
        if "except" in block:
            fresh["except"] = list(block["except"])
        return {"ipBlock": fresh}
    return {key: {"matchLabels": dict(value["matchLabels"])} for key, value in peer.items()}


def _why(chosen: Iterable[flows.Flow]) -> str:
    lines = sorted({f"{f.source} -> {f.destination}:{f.port}/{f.protocol.value}: {f.reason}" for f in chosen})
    return "\n".join(lines)


def _pod_resources(system: model.System) -> tuple[int, int, int]:
    """Per-pod CPU request and limit (millicores) and memory (MiB, request = limit)."""
    cpu = _millicores(system.sizing.cpu)
    return cpu, cpu * CPU_LIMIT_FACTOR, _mebibytes(system.sizing.memory_gib)


def _resource_quota(namespace: _Namespace, systems: Sequence[model.System]) -> Manifest:
    # Room for every replica plus one surge pod per workload (a rolling update starts the new pod first).
    cpu_requests = cpu_limits = memory = pods = storage = claims = 0
    for system in systems:
        cpu, cpu_limit, mem = _pod_resources(system)
        count = system.sizing.replicas + 1
        cpu_requests += cpu * count
        cpu_limits += cpu_limit * count
        memory += mem * count
        pods += count
        if system.cloud is not None and system.cloud.stateful and system.sizing.storage_gib > 0:
            storage += _mebibytes(system.sizing.storage_gib) * system.sizing.replicas
            claims += system.sizing.replicas
        for database in moved_databases(system):
            # one pod each (a StatefulSet replaces its pod, no surge), the system's per-pod size, one volume
            cpu_requests += cpu
            cpu_limits += cpu_limit
            memory += mem
            pods += 1
            storage += _mebibytes(database.storage_gib or 0)
            claims += 1
    hard = {
        "requests.cpu": _cpu_text(cpu_requests),
        "limits.cpu": _cpu_text(cpu_limits),
        "requests.memory": _memory_text(memory),
        "limits.memory": _memory_text(memory),
        "pods": str(pods),
        "requests.storage": _memory_text(storage),
        "persistentvolumeclaims": str(claims),
        "services.loadbalancers": "0",
        "services.nodeports": "0",
    }
    labels = {**MANAGED_BY, **({DEPARTMENT_LABEL: namespace.department} if namespace.department else {})}
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": _metadata("quota", namespace.name, labels, {}),
        "spec": {"hard": hard},
    }


def _limit_range(namespace: _Namespace, systems: Sequence[model.System]) -> Manifest:
    max_cpu, max_memory = _DEFAULT_LIMIT_MILLI_MI
    for system in systems:
        _, cpu_limit, mem = _pod_resources(system)
        max_cpu = max(max_cpu, cpu_limit)
        max_memory = max(max_memory, mem)
    labels = {**MANAGED_BY, **({DEPARTMENT_LABEL: namespace.department} if namespace.department else {})}
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": _metadata("limits", namespace.name, labels, {}),
        "spec": {
            "limits": [
                {
                    "type": "Container",
                    "default": dict(DEFAULT_LIMIT),
                    "defaultRequest": dict(DEFAULT_REQUEST),
                    "max": {"cpu": _cpu_text(max_cpu), "memory": _memory_text(max_memory)},
                }
            ]
        },
    }


ADMIN_RULES: Final[tuple[Manifest, ...]] = (
    {
        "apiGroups": [""],
        "resources": [
            "pods",
            "pods/log",
            "services",
            "endpoints",
            "events",
            "persistentvolumeclaims",
            "resourcequotas",
            "limitranges",
        ],
        "verbs": ["get", "list", "watch"],
    },
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["delete"]},
    {
        "apiGroups": [""],
        "resources": ["configmaps", "secrets"],
        "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"],
    },
    {
        "apiGroups": ["apps"],
        "resources": ["deployments", "statefulsets", "replicasets"],
        "verbs": ["get", "list", "watch"],
    },
    {
        "apiGroups": ["apps"],
        "resources": ["deployments/scale", "statefulsets/scale"],
        "verbs": ["get", "update", "patch"],
    },
    {
        "apiGroups": ["networking.k8s.io"],
        "resources": ["networkpolicies", "ingresses"],
        "verbs": ["get", "list", "watch"],
    },
)
"""What a department's admins may do in its namespaces: operate (logs, restarts, scaling, config and secrets)
and read everything; workloads, Services, NetworkPolicies and Ingresses are written only by the pipeline
(Pulumi or GitOps), so an admin cannot open a flow the matrix does not declare."""


def _admin_role(namespace: _Namespace) -> Manifest:
    labels = {**MANAGED_BY, **({DEPARTMENT_LABEL: namespace.department} if namespace.department else {})}
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": _metadata(ADMIN_ROLE, namespace.name, labels, {}),
        "rules": copy.deepcopy(list(ADMIN_RULES)),
    }


def _admin_binding(namespace: _Namespace, group: str) -> Manifest:
    labels = {**MANAGED_BY, **({DEPARTMENT_LABEL: namespace.department} if namespace.department else {})}
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": _metadata(ADMIN_ROLE, namespace.name, labels, {}),
        "subjects": [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": group}],
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": ADMIN_ROLE},
    }


# --- quantities ------------------------------------------------------------------------------------------------


def _millicores(cpu: float) -> int:
    return max(1, round(cpu * 1000))


def _mebibytes(gib: float) -> int:
    return max(0, round(gib * 1024))


def _cpu_text(millicores: int) -> str:
    return str(millicores // 1000) if millicores % 1000 == 0 else f"{millicores}m"


def _memory_text(mebibytes: int) -> str:
    if mebibytes == 0:
        return "0"
    return f"{mebibytes // 1024}Gi" if mebibytes % 1024 == 0 else f"{mebibytes}Mi"
