"""A NetworkPolicy evaluator: does a connection from one endpoint to another pass? Pure.

It follows ``networking.k8s.io/v1`` NetworkPolicy as the Kubernetes API reference and the NetworkPolicy
concept page state it, so tests can check rendered policies against the flow matrix without a cluster. The
reference cases it is held to, each with the sentence it comes from, are in
``tests/netpol_reference_cases.yaml``. What it implements:

- Endpoints are pods (a namespace, labels, an address, named container ports with their protocols) or
  addresses outside the cluster (:class:`Address`). An address is not a pod: no ``podSelector`` or
  ``namespaceSelector`` matches it, not even ``{}``; only an ``ipBlock`` can, and nothing isolates it.
- Policies are additive (a union of allows), and only policies in a pod's own namespace apply to it. A pod
  selected by a policy whose types include ``Ingress`` is isolated for ingress: then only what some ingress
  rule of those policies allows may reach it; likewise for egress. A connection passes when the source's
  egress AND the destination's ingress allow it (each side is checked only where it is a pod).
- ``policyTypes`` absent or empty is defaulted as the API server does: ``Ingress`` always, plus ``Egress``
  only when ``egress`` holds at least one rule (``egress: []`` does not isolate egress).
- A rule with no (or empty) ``ports`` allows every port; with no (or empty) ``from``/``to`` every peer,
  addresses outside the cluster included. Within one peer entry ``namespaceSelector`` and ``podSelector``
  are ANDed; the entries of a list are ORed. ``podSelector`` alone means pods of the policy's namespace,
  ``namespaceSelector`` alone every pod of the selected namespaces; an empty selector selects all.
- A port entry's ``protocol`` defaults to TCP; without ``port`` it matches every port of that protocol; a
  named port matches the destination pod's container port of that name *and* protocol (never an address);
  ``endPort`` makes a numeric port a range.
- ``ipBlock`` matches an address inside ``cidr`` and outside every ``except``; a CIDR with host bits set is
  read as its network (``192.168.242.213/24`` is ``192.168.242.0/24``), as Kubernetes parses it. A pod
  matches an ipBlock by its own address: the reference leaves pod addresses in ipBlocks
  implementation-defined, and this reading is the one that can only find more paths.

Not modelled: traffic from a pod's own node (which NetworkPolicy cannot block), hostNetwork pods, and
address rewriting by Services or load balancers (the caller passes the addresses the policies see).
Every namespace carries ``kubernetes.io/metadata.name`` implicitly, as the API server sets it.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from govcloud.cloud.core.policies import selector_matches

NAME_LABEL = "kubernetes.io/metadata.name"
DEFAULT_PROTOCOL = "TCP"

NamedPort = int | tuple[int, str]
"""A named container port: its number (TCP), or its number and protocol."""


@dataclasses.dataclass(frozen=True)
class Pod:
    """A pod: where it runs, its labels, its address, and its named container ports (name → number/protocol)."""

    namespace: str
    name: str
    labels: Mapping[str, str]
    ip: ipaddress.IPv4Address | None = None
    named_ports: Mapping[str, NamedPort] = dataclasses.field(default_factory=dict)

    def container_port(self, name: str) -> tuple[int, str] | None:
        """The number and protocol of the container port called ``name``, or None."""
        found = self.named_ports.get(name)
        if found is None:
            return None
        if isinstance(found, int):
            return found, DEFAULT_PROTOCOL
        return found


@dataclasses.dataclass(frozen=True)
class Address:
    """An endpoint outside the cluster (a server, a zone's staff, the Internet): only ipBlocks can match it."""

    ip: ipaddress.IPv4Address
    name: str = ""


Endpoint = Pod | Address


class Cluster:
    """Namespaces (name → labels) and NetworkPolicies, indexed by namespace for evaluation."""

    def __init__(self, namespaces: Mapping[str, Mapping[str, str]], policies: Sequence[Mapping[str, Any]]) -> None:
        self.namespaces: dict[str, dict[str, str]] = {
            name: {**labels, NAME_LABEL: name} for name, labels in namespaces.items()
        }
        self._policies: dict[str, list[Mapping[str, Any]]] = {}
        for policy in policies:
            self._policies.setdefault(_policy_namespace(policy), []).append(policy)

    def allows(self, source: Endpoint, destination: Endpoint, port: int, protocol: str = DEFAULT_PROTOCOL) -> bool:
        """Whether ``source`` may open a connection to ``destination`` on ``port``/``protocol``."""
        return self.egress_allows(source, destination, port, protocol) and self.ingress_allows(
            source, destination, port, protocol
        )

    def ingress_allows(
        self, source: Endpoint, destination: Endpoint, port: int, protocol: str = DEFAULT_PROTOCOL
    ) -> bool:
        """Whether the destination's ingress side admits the connection (always, for an address)."""
        if not isinstance(destination, Pod):
            return True
        selecting = self._selecting(destination, "Ingress")
        if not selecting:
            return True
        return any(
            self._rule_allows(rule, "from", policy, source, destination, port, protocol)
            for policy in selecting
            for rule in _rules(policy, "ingress")
        )

    def egress_allows(
        self, source: Endpoint, destination: Endpoint, port: int, protocol: str = DEFAULT_PROTOCOL
    ) -> bool:
        """Whether the source's egress side lets the connection out (always, for an address)."""
        if not isinstance(source, Pod):
            return True
        selecting = self._selecting(source, "Egress")
        if not selecting:
            return True
        return any(
            self._rule_allows(rule, "to", policy, destination, destination, port, protocol)
            for policy in selecting
            for rule in _rules(policy, "egress")
        )

    def _selecting(self, pod: Pod, direction: str) -> list[Mapping[str, Any]]:
        return [
            policy
            for policy in self._policies.get(pod.namespace, ())
            if direction in policy_types(policy)
            and selector_matches(_spec(policy).get("podSelector") or {}, pod.labels)
        ]

    def _rule_allows(
        self,
        rule: Mapping[str, Any],
        peers_key: str,
        policy: Mapping[str, Any],
        peer: Endpoint,
        destination: Endpoint,
        port: int,
        protocol: str,
    ) -> bool:
        if not _ports_match(_list(rule.get("ports")), destination, port, protocol):
            return False
        peers = _list(rule.get(peers_key))
        if not peers:
            return True
        namespace = _policy_namespace(policy)
        return any(self._peer_matches(p, namespace, peer) for p in peers)

    def _peer_matches(self, peer: Mapping[str, Any], policy_namespace: str, endpoint: Endpoint) -> bool:
        if "ipBlock" in peer:
            return endpoint.ip is not None and ip_block_matches(peer["ipBlock"], endpoint.ip)
        if not isinstance(endpoint, Pod):
            return False  # selectors select pods; an address outside the cluster is none
        namespace_selector = peer.get("namespaceSelector")
        pod_selector = peer.get("podSelector")
        if namespace_selector is None and pod_selector is None:
            return False  # an empty peer is invalid (the API server refuses it); it admits nothing
        if namespace_selector is None:
            if endpoint.namespace != policy_namespace:
                return False
        else:
            labels = self.namespaces.get(endpoint.namespace, {NAME_LABEL: endpoint.namespace})
            if not selector_matches(namespace_selector, labels):
                return False
        return pod_selector is None or selector_matches(pod_selector, endpoint.labels)


def policy_types(policy: Mapping[str, Any]) -> tuple[str, ...]:
    """The policy's types, defaulted as the API server does when ``policyTypes`` is absent or empty."""
    spec = _spec(policy)
    declared = _list(spec.get("policyTypes"))
    if declared:
        return tuple(str(t) for t in declared)
    return ("Ingress", "Egress") if _list(spec.get("egress")) else ("Ingress",)


def ip_block_matches(block: Mapping[str, Any], ip: ipaddress.IPv4Address) -> bool:
    """Whether ``ip`` lies in the block's CIDR and in none of its exceptions (host bits ignored)."""
    if ip not in _network(block.get("cidr")):
        return False
    return not any(ip in _network(e) for e in _list(block.get("except")))


def _network(text: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(str(text), strict=False)


def _spec(policy: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = policy.get("spec")
    return spec if isinstance(spec, Mapping) else {}


def _policy_namespace(policy: Mapping[str, Any]) -> str:
    metadata = policy.get("metadata")
    return str((metadata if isinstance(metadata, Mapping) else {}).get("namespace") or "default")


def _rules(policy: Mapping[str, Any], key: str) -> Sequence[Mapping[str, Any]]:
    return [r for r in _list(_spec(policy).get(key)) if isinstance(r, Mapping)]


def _list(value: Any) -> Sequence[Any]:
    return value if isinstance(value, Sequence) and not isinstance(value, str | bytes) else ()


def _ports_match(ports: Sequence[Any], destination: Endpoint, port: int, protocol: str) -> bool:
    if not ports:
        return True
    for entry in ports:
        if not isinstance(entry, Mapping) or str(entry.get("protocol") or DEFAULT_PROTOCOL) != protocol:
            continue
        wanted = entry.get("port")
        if wanted is None:
            return True
        if isinstance(wanted, str):
            # a named port: the destination pod's container port of that name and this protocol
            named = destination.container_port(wanted) if isinstance(destination, Pod) else None
            if named == (port, protocol):
                return True
            continue
        end = entry.get("endPort")
        if wanted == port or (end is not None and wanted <= port <= end):
            return True
    return False
