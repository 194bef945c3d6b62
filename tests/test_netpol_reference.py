"""The NetworkPolicy evaluator against reference cases written from the Kubernetes documentation.

Each case of ``netpol_reference_cases.yaml`` is one connection, the policies in force, the verdict Kubernetes
gives and the sentence of the NetworkPolicy concept page or API reference it follows from. The property tests
trust :mod:`govcloud.cloud.core.netpol_eval`, so it must give every one of these verdicts.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import pytest
import yaml

from govcloud.cloud.core import netpol_eval

TABLE = Path(__file__).with_name("netpol_reference_cases.yaml")
DOCS = {
    "concept": "https://kubernetes.io/docs/concepts/services-networking/network-policies/",
    "api": "https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/",
}


def _load() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(TABLE.read_text(encoding="utf-8"))
    return data


REFERENCE = _load()
CASES: list[dict[str, Any]] = REFERENCE["cases"]


def _endpoints(world: dict[str, Any]) -> dict[str, netpol_eval.Endpoint]:
    endpoints: dict[str, netpol_eval.Endpoint] = {}
    for name, pod in world["pods"].items():
        ports = {port: (number, protocol) for port, (number, protocol) in (pod.get("ports") or {}).items()}
        endpoints[name] = netpol_eval.Pod(
            pod["namespace"], name, pod["labels"], ipaddress.IPv4Address(pod["ip"]), ports
        )
    for name, address in world["addresses"].items():
        endpoints[name] = netpol_eval.Address(ipaddress.IPv4Address(address), name)
    return endpoints


ENDPOINTS = _endpoints(REFERENCE["world"])


def _policies(case: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": f"p{index}", "namespace": p["namespace"]},
            "spec": p["spec"],
        }
        for index, p in enumerate(case["policies"])
    ]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_the_evaluator_gives_the_verdict_of_the_kubernetes_reference(case: dict[str, Any]) -> None:
    cluster = netpol_eval.Cluster(REFERENCE["world"]["namespaces"], _policies(case))
    source, destination = ENDPOINTS[case["from"]], ENDPOINTS[case["to"]]
    verdict = cluster.allows(source, destination, case["port"], case.get("protocol", "TCP"))
    assert verdict is case["allowed"], f"{case['id']}: {DOCS[case['doc']]} says: {case['quote']}"


def test_the_table_holds_at_least_forty_cases_each_with_its_source_sentence() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) >= 40
    assert len(set(ids)) == len(ids)
    for case in CASES:
        assert case["doc"] in DOCS, case["id"]
        assert len(case["quote"]) > 20, case["id"]
        assert case["from"] in ENDPOINTS, case["id"]
        assert case["to"] in ENDPOINTS, case["id"]
    # both verdicts occur, so a constant evaluator could not pass
    assert {c["allowed"] for c in CASES} == {True, False}


def test_every_point_the_issue_names_has_cases() -> None:
    ids = " ".join(c["id"] for c in CASES)
    for topic in (
        "one-entry",  # peers ANDed within one entry
        "two-entries",  # ORed across entries
        "empty-",  # empty versus absent fields
        "absent-",
        "except",
        "end-port",
        "named-port-must-match-the-container-port-protocol",
        "no-policy-types-and-an-empty-egress-list",
        "both-sides-allow",
        "host-bits",
        "does-not-match-an-address-outside-the-cluster",
    ):
        assert topic in ids, topic
