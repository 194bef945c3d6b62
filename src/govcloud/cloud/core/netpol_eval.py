"""A small NetworkPolicy evaluator: does traffic from one pod to another pass? Pure.

It follows the semantics of ``networking.k8s.io/v1`` NetworkPolicy as the Kubernetes documentation states
them, so tests can check rendered policies against the flow matrix without a cluster:

- policies are additive (a union of allows), and only policies in a pod's own namespace apply to it;
- a pod selected by any policy whose ``policyTypes`` include ``Ingress`` is isolated for ingress, and then
  only what some rule of those policies allows may reach it; likewise for egress;
- ``policyTypes`` absent means ``Ingress``, plus ``Egress`` when the policy has an ``egress`` section;
- a connection passes when the source's egress AND the destination's ingress allow it;
- a rule without ``ports`` allows every port; a rule without ``from``/``to`` (or an empty one) allows every
  peer; a peer with ``podSelector`` alone means pods of the policy's namespace, with ``namespaceSelector``
  alone every pod of the selected namespaces, with both the selected pods of the selected namespaces;
- a named port matches the destination container port of that name; ``endPort`` makes a range;
- ``ipBlock`` matches by address: a pod matches it when it has an address inside the CIDR and outside every
  ``except`` (how real plugins treat pod addresses; the documentation leaves it implementation-defined, and
  the conservative reading is the one that can only find more paths).

Every namespace carries ``kubernetes.io/metadata.name`` implicitly, as the API server sets it.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from govcloud.cloud.core.policies import selector_matches

NAME_LABEL = "kubernetes.io/metadata.name"


@dataclasses.dataclass(frozen=True)
class Pod:
    """A pod: where it runs, its labels, its address, and its named container ports (name → number)."""

    namespace: str
    name: str
    labels: Mapping[str, str]
    ip: ipaddress.IPv4Address | None = None
    named_ports: Mapping[str, int] = dataclasses.field(default_factory=dict)


class Cluster:
    """Namespaces (name → labels) and NetworkPolicies, indexed by namespace for evaluation."""

    def __init__(self, namespaces: Mapping[str, Mapping[str, str]], policies: Sequence[Mapping[str, Any]]) -> None:
        self.namespaces: dict[str, dict[str, str]] = {
            name: {**labels, NAME_LABEL: name} for name, labels in namespaces.items()
        }
        self._policies: dict[str, list[Mapping[str, Any]]] = {}
        for policy in policies:
            namespace = str(policy.get("metadata", {}).get("namespace") or "default")
            self._policies.setdefault(namespace, []).append(policy)

    def allows(self, source: Pod, destination: Pod, port: int, protocol: str = "TCP") -> bool:
        """Whether ``source`` may open a connection to ``destination`` on ``port``/``protocol``."""
        return self.egress_allows(source, destination, port, protocol) and self.ingress_allows(
            source, destination, port, protocol
        )

    def ingress_allows(self, source: Pod, destination: Pod, port: int, protocol: str = "TCP") -> bool:
        selecting = self._selecting(destination, "Ingress")
        if not selecting:
            return True
        return any(
            self._rule_allows(rule, "from", policy, source, destination, port, protocol)
            for policy in selecting
            for rule in policy.get("spec", {}).get("ingress") or ()
        )

    def egress_allows(self, source: Pod, destination: Pod, port: int, protocol: str = "TCP") -> bool:
        selecting = self._selecting(source, "Egress")
        if not selecting:
            return True
        return any(
            self._rule_allows(rule, "to", policy, destination, destination, port, protocol)
            for policy in selecting
            for rule in policy.get("spec", {}).get("egress") or ()
        )

    def _selecting(self, pod: Pod, direction: str) -> list[Mapping[str, Any]]:
        found = []
        for policy in self._policies.get(pod.namespace, ()):
            spec = policy.get("spec", {})
            types = spec.get("policyTypes") or (["Ingress", "Egress"] if "egress" in spec else ["Ingress"])
            if direction in types and selector_matches(spec.get("podSelector") or {}, pod.labels):
                found.append(policy)
        return found

    def _rule_allows(
        self,
        rule: Mapping[str, Any],
        peers_key: str,
        policy: Mapping[str, Any],
        peer: Pod,
        destination: Pod,
        port: int,
        protocol: str,
    ) -> bool:
        if not _ports_match(rule.get("ports") or (), destination, port, protocol):
            return False
        peers = rule.get(peers_key) or ()
        if not peers:
            return True
        policy_namespace = str(policy.get("metadata", {}).get("namespace") or "default")
        return any(self._peer_matches(p, policy_namespace, peer) for p in peers)

    def _peer_matches(self, peer: Mapping[str, Any], policy_namespace: str, pod: Pod) -> bool:
        if "ipBlock" in peer:
            block = peer["ipBlock"]
            if pod.ip is None or pod.ip not in ipaddress.IPv4Network(block["cidr"]):
                return False
            return not any(pod.ip in ipaddress.IPv4Network(e) for e in block.get("except") or ())
        namespace_selector = peer.get("namespaceSelector")
        pod_selector = peer.get("podSelector")
        if namespace_selector is None:
            if pod.namespace != policy_namespace:
                return False
        elif not selector_matches(namespace_selector, self.namespaces.get(pod.namespace, {NAME_LABEL: pod.namespace})):
            return False
        return pod_selector is None or selector_matches(pod_selector, pod.labels)


def _ports_match(ports: Sequence[Mapping[str, Any]], destination: Pod, port: int, protocol: str) -> bool:
    if not ports:
        return True
    for entry in ports:
        if entry.get("protocol", "TCP") != protocol:
            continue
        wanted = entry.get("port")
        if wanted is None:
            return True
        if isinstance(wanted, str):
            if destination.named_ports.get(wanted) == port:
                return True
            continue
        end = entry.get("endPort")
        if wanted == port or (end is not None and wanted <= port <= end):
            return True
    return False
