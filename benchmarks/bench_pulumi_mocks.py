"""Benchmark: the Pulumi SDK's per-object cost under mocks, side by side with render's validate + policies.

Generates a city (``--systems``, default 2,000), moves every system the MLPS rules allow to some stage (so the
desired state has workloads, Services, Ingresses and flow-matrix NetworkPolicies), takes evenly spaced samples
of its objects (``--samples``, default 200 and 1,000) and, for each sample:

- declares it with :class:`govcloud.cloud.edges.pulumi_program.KubernetesObjects` under Pulumi's mock runtime
  (fresh mocks, the same path as the stacks' programs, waiting until every resource is registered);
- checks it as ``govcloud render`` does: strict schema validation (cached per-kind validators) and the
  per-object policies, plus the cross-object policies over the sample;
- runs the policy pack's nine stack policies over it, as the analyzer would (engine-shaped props in
  unknown-checking proxies).

Prints wall-clock and CPU ms/object (CPU time, all threads of this process, is the steadier figure on a busy
machine), objects/s, and what each would cost for the whole desired state. No Pulumi CLI
or engine is involved (none can be installed here); a real ``pulumi up`` adds the engine's and the Kubernetes
provider's own work and the API server's round trips on top of the SDK cost measured here.

    .venv/bin/python benchmarks/bench_pulumi_mocks.py [--systems 2000] [--samples 200 1000] [--version 1.30]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pulumi
from pulumi.runtime import settings as pulumi_settings
from pulumi_policy import PolicyCustomTimeouts, PolicyResource, PolicyResourceOptions, StackValidationArgs
from pulumi_policy.proxy import unknown_checking_proxy
from rich.console import Console
from rich.table import Table

from govcloud.cloud.core import desired, policies
from govcloud.cloud.edges import k8s_schema, pulumi_policy_pack, pulumi_program
from govcloud.core import example
from govcloud.core.settings import DEFAULT_SETTINGS
from govcloud.planning.core import stages

Manifest = Mapping[str, Any]
STAGES = (stages.Stage.NETWORK, stages.Stage.DATA, stages.Stage.BUSINESS)
OPTS = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)


class _EchoMocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}


def desired_objects(systems: int) -> tuple[Manifest, ...]:
    city = example.generate_city(systems=systems).inventory
    placed = [s for s in city.systems if s.cloud is not None and not s.classified and (s.mlps_level or 0) <= 3]
    progress = {
        s.code: stages.Progress.at(STAGES[i % 3], business_callers=("GAJ",) if i % 3 == 2 else ())
        for i, s in enumerate(placed)
    }
    return desired.desired_state(city, progress, DEFAULT_SETTINGS).all()


def sample_of(objects: Sequence[Manifest], size: int) -> list[Manifest]:
    """``size`` evenly spaced objects (every kind represented in proportion), names unique."""
    step = max(1, len(objects) // size)
    return list(objects[::step][:size])


def time_pulumi(sample: list[Manifest]) -> float:
    """Seconds to declare ``sample`` under fresh mocks and wait until every resource is registered."""
    pulumi_settings.ROOT.set(None)
    pulumi.runtime.set_mocks(_EchoMocks(), project="bench", stack="bench", preview=False)

    @pulumi.runtime.test
    def program() -> pulumi.Output[list[Any]]:
        component = pulumi_program.KubernetesObjects("bench", pulumi_program.KubernetesObjectsArgs(sample))
        return pulumi.Output.all(*(r.urn for r in component.resources.values()))

    started = time.perf_counter()
    program()
    return time.perf_counter() - started


def time_render_checks(sample: list[Manifest], schemas: k8s_schema.KubernetesSchemas) -> float:
    started = time.perf_counter()
    for manifest in sample:
        schemas.check(manifest)
        policies.resource_violations(manifest)
    policies.stack_violations(sample)
    return time.perf_counter() - started


def _engine(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, Mapping):
        return {k: _engine(v) for k, v in value.items()}
    return [_engine(v) for v in value]


def time_policy_pack(sample: list[Manifest]) -> float:
    resources = [
        PolicyResource(
            f"kubernetes:{(str(m['apiVersion']).rpartition('/')[0] or 'core')}/"
            f"{str(m['apiVersion']).rpartition('/')[2]}:{m['kind']}",
            unknown_checking_proxy(_engine(m)),
            f"urn:bench::{pulumi_program.resource_name(m)}",
            pulumi_program.resource_name(m),
            OPTS,
            None,
            None,
            [],
            {},
        )
        for m in sample
    ]
    started = time.perf_counter()
    for policy in pulumi_policy_pack.stack_policies():
        # a fresh args object per policy, as the analyzer builds them
        policy.validate(StackValidationArgs(list(resources)), lambda message, urn=None: None)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--systems", type=int, default=2000)
    parser.add_argument("--samples", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--version", default="1.30")
    options = parser.parse_args()
    console = Console(width=120)

    started = time.perf_counter()
    objects = desired_objects(options.systems)
    console.print(
        f"desired state: {len(objects):,} objects for {options.systems:,} systems "
        f"({time.perf_counter() - started:.1f} s)"
    )
    schemas = k8s_schema.KubernetesSchemas(options.version, strict=True)
    warm = sample_of(objects, 50)
    time_render_checks(warm, schemas)  # build the per-kind validators once, as a render does
    time_pulumi(warm[:10])  # import and first-use costs of the SDK

    sdk = importlib.metadata.version("pulumi")
    table = Table(title=f"per-object cost (Pulumi SDK {sdk}, mock runtime; Kubernetes {schemas.version})")
    columns = ("step", "objects", "seconds", "ms/object", "CPU ms/object", "objects/s", f"whole ({len(objects):,})")
    for column in columns:
        table.add_column(column, justify="right" if column != "step" else "left")
    steps: list[tuple[str, Callable[[list[Manifest]], float]]] = [
        ("Pulumi SDK, mocks: declare", time_pulumi),
        ("render: schemas + policies", lambda s: time_render_checks(s, schemas)),
        ("policy pack: 9 policies", time_policy_pack),
    ]
    for size in options.samples:
        sample = sample_of(objects, size)
        pulumi_program.resource_names(sample)  # the sample must be declarable as one stack
        for label, step in steps:
            cpu_started = time.process_time()
            seconds = step(sample)
            cpu = time.process_time() - cpu_started
            per = seconds / len(sample)
            table.add_row(
                label,
                f"{len(sample):,}",
                f"{seconds:.2f}",
                f"{per * 1000:.3f}",
                f"{cpu / len(sample) * 1000:.3f}",
                f"{len(sample) / seconds:,.0f}",
                f"{per * len(objects):.1f} s",
            )
    console.print(table)


if __name__ == "__main__":
    main()
