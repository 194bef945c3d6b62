"""Benchmark: cached per-kind validators (govcloud.cloud.edges.k8s_schema) vs kubernetes_validate.validate per object.

Generates N manifests of a mix of kinds (with a few broken on purpose), validates all of them with one
KubernetesSchemas instance (built from scratch, so the time includes loading the definitions and building
each validator), and validates a sample of them with ``kubernetes_validate.validate`` (which re-reads the
schema files on every call), then prints objects/second side by side and checks both gave the same verdict
on the sample.

    .venv/bin/python benchmarks/bench_k8s_validate.py [--count 5000] [--sample 200] [--version 1.30] [--loose]
"""

from __future__ import annotations

import argparse
import copy
import random
import time
from collections.abc import Callable
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
from rich.console import Console
from rich.table import Table

from govcloud.cloud.edges.k8s_schema import KubernetesSchemas

Manifest = dict[str, Any]


def _meta(name: str, namespace: str) -> dict[str, Any]:
    return {"name": name, "namespace": namespace, "labels": {"app": name, "app.kubernetes.io/part-of": "govcloud"}}


def _deployment(i: int, ns: str) -> Manifest:
    name = f"svc-{i}"
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(name, ns),
        "spec": {
            "replicas": 1 + i % 3,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {
                            "name": "app",
                            "image": f"registry.city.example/{name}:1.{i % 10}",
                            "ports": [{"containerPort": 8080, "name": "http"}],
                            "env": [{"name": "DEPT", "value": ns}, {"name": "INDEX", "value": str(i)}],
                            "resources": {
                                "requests": {"cpu": "100m", "memory": "128Mi"},
                                "limits": {"cpu": "500m", "memory": "256Mi"},
                            },
                            "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}},
                        }
                    ]
                },
            },
        },
    }


def _service(i: int, ns: str) -> Manifest:
    name = f"svc-{i}"
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(name, ns),
        "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
    }


def _network_policy(i: int, ns: str) -> Manifest:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _meta(f"allow-{i}", ns),
        "spec": {
            "podSelector": {"matchLabels": {"app": f"svc-{i}"}},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"podSelector": {}}], "ports": [{"protocol": "TCP", "port": 8080}]}],
        },
    }


def _namespace(i: int, ns: str) -> Manifest:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"{ns}-{i}", "labels": {"dept": ns}}}


def _quota(i: int, ns: str) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": _meta(f"quota-{i}", ns),
        "spec": {"hard": {"requests.cpu": str(2 + i % 4), "requests.memory": "8Gi", "pods": "20"}},
    }


def _role_binding(i: int, ns: str) -> Manifest:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": _meta(f"ops-{i}", ns),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
        "subjects": [{"kind": "Group", "name": f"{ns}-ops", "apiGroup": "rbac.authorization.k8s.io"}],
    }


def _ingress(i: int, ns: str) -> Manifest:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": _meta(f"svc-{i}", ns),
        "spec": {
            "rules": [
                {
                    "host": f"svc-{i}.{ns}.city.example",
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": f"svc-{i}", "port": {"number": 80}}},
                            }
                        ]
                    },
                }
            ]
        },
    }


_KINDS: list[tuple[Callable[[int, str], Manifest], int]] = [
    (_deployment, 3),
    (_service, 3),
    (_network_policy, 2),
    (_ingress, 1),
    (_namespace, 1),
    (_quota, 1),
    (_role_binding, 1),
]


def _break(manifest: Manifest, rng: random.Random) -> None:
    if rng.random() < 0.5:
        manifest["metadata"]["lables"] = {"typo": "yes"}  # unknown field: strict mode only
    else:
        manifest["metadata"]["name"] = 42  # wrong type


def generate(count: int, seed: int, broken_share: float) -> list[Manifest]:
    rng = random.Random(seed)
    makers = [maker for maker, weight in _KINDS for _ in range(weight)]
    departments = ["civil", "health", "tax", "transport", "police", "education"]
    manifests = []
    for i in range(count):
        manifest = rng.choice(makers)(i, rng.choice(departments))
        if rng.random() < broken_share:
            _break(manifest, rng)
        manifests.append(manifest)
    return manifests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000, help="manifests validated with cached validators")
    parser.add_argument("--sample", type=int, default=200, help="manifests validated with kubernetes_validate")
    parser.add_argument("--version", default="1.30", help="Kubernetes version (default 1.30)")
    parser.add_argument("--loose", action="store_true", help="non-strict mode (strict is the default)")
    parser.add_argument("--broken", type=float, default=0.05, help="share of manifests broken on purpose")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    strict = not args.loose
    console = Console()

    manifests = generate(args.count, args.seed, args.broken)
    sample = manifests[: min(args.sample, len(manifests))]

    start = time.perf_counter()
    schemas = KubernetesSchemas(args.version, strict=strict)
    ours = [schemas.validate(m) == [] for m in manifests]
    ours_seconds = time.perf_counter() - start

    start = time.perf_counter()
    theirs = []
    for manifest in sample:
        try:
            kubernetes_validate.validate(copy.deepcopy(manifest), schemas.version, strict=strict)
            theirs.append(True)
        except kubernetes_validate.ValidationError:
            theirs.append(False)
    theirs_seconds = time.perf_counter() - start

    ours_rate = len(manifests) / ours_seconds
    theirs_rate = len(sample) / theirs_seconds
    table = Table(title=f"Kubernetes {schemas.version} schema validation ({'strict' if strict else 'loose'})")
    table.add_column("approach")
    table.add_column("objects", justify="right")
    table.add_column("seconds", justify="right")
    table.add_column("objects/s", justify="right")
    table.add_column(f"for {len(manifests):,}", justify="right")
    table.add_row(
        "k8s_schema, cached per kind",
        f"{len(manifests):,}",
        f"{ours_seconds:.2f}",
        f"{ours_rate:,.0f}",
        f"{ours_seconds:.2f} s",
    )
    table.add_row(
        "kubernetes_validate.validate",
        f"{len(sample):,}",
        f"{theirs_seconds:.2f}",
        f"{theirs_rate:,.0f}",
        f"{len(manifests) / theirs_rate:.1f} s (extrapolated)",
    )
    console.print(table)
    agree = sum(a == b for a, b in zip(ours[: len(sample)], theirs, strict=True))
    console.print(
        f"speed-up {ours_rate / theirs_rate:,.0f}x; {ours.count(False):,} of {len(manifests):,} invalid; "
        f"same verdict on {agree} of {len(sample)} sampled objects; {len(schemas.cached_kinds())} validators built"
    )
    return 0 if agree == len(sample) else 1


if __name__ == "__main__":
    raise SystemExit(main())
