"""The Pulumi policy pack's policies (``stacks/policy``): :mod:`govcloud.cloud.core.policies` for pulumi-policy. Edge.

``govcloud render`` checks every object with :func:`~govcloud.cloud.core.policies.resource_violations` and the whole
set with :func:`~govcloud.cloud.core.policies.stack_violations`; the pack runs exactly the same checks on what a
Pulumi program declares, so ``pulumi preview --policy-pack stacks/policy`` and ``govcloud render`` cannot
disagree. There is one Pulumi policy per core policy (:data:`~govcloud.cloud.core.policies.POLICIES`), with the core
policy's name and description, so each can be configured (or, by an administrator, disabled) on its own.

Each is a :class:`pulumi_policy.StackValidationPolicy`: several rules need several objects at once (the pods
behind a restricted Service and every NetworkPolicy that selects them; an object and its Namespace), and a
stack policy sees every resource of the stack, so the per-object and the cross-object checks of a rule run
together and report against the offending resource's URN. Stack policies run in ``pulumi preview`` and in the
preview that ``pulumi up`` shows before it changes anything: a mandatory violation stops the update there.

Pulumi hands resources over as read-only proxies with every number a float; :func:`manifest_of` turns them
back into the plain manifest ``govcloud render`` would write (integral floats become ints), so the core sees
the same input in both places.

The pack's inputs (:func:`govcloud.app.stacks.policy_pack_rules`: the placement defaults from the census's
settings) are read only after the plan files pass the same strict read as every other provisioning entry
point, so the pack refuses to start on plans that fail ``govcloud plan --check``.

This module constructs the policies only. The ``PolicyPack`` itself (which starts a gRPC server and never
returns) is constructed in ``stacks/policy/__main__.py`` alone, so importing this module is harmless.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from pulumi_policy import (
    PolicyConfigSchema,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from govcloud.cloud.core import desired, policies
from govcloud.errors import GovcloudError, InputError

PACK_NAME: Final = "govcloud"
"""The policy pack's name (``stacks/policy``); alphanumerics, hyphens, underscores and periods only."""

CONFIG_MLPS3_POOL: Final = "mlps3NodePool"
CONFIG_DEDICATED_POOLS: Final = "dedicatedPools"
PLACEMENT_CONFIG_SCHEMA: Final = PolicyConfigSchema(
    properties={
        CONFIG_MLPS3_POOL: {"type": "string", "description": "the level-3 node pool (settings: cloud.mlps3_node_pool)"},
        CONFIG_DEDICATED_POOLS: {
            "type": "array",
            "items": {"type": "string"},
            "description": "declared dedicated pools for level 4 (settings: cloud.dedicated_pools)",
        },
    }
)
"""Policy-pack config of the MLPS placement policy; the defaults come from the inventory's settings."""


@dataclasses.dataclass(frozen=True)
class DeclaredObject:
    """One Kubernetes resource of a stack, as the plain manifest it declares, and its Pulumi URN."""

    urn: str
    manifest: dict[str, Any]


def api_version_of(resource_type: str) -> tuple[str, str] | None:
    """(apiVersion, kind) of a pulumi-kubernetes resource type token, or None for anything else.

    ``kubernetes:core/v1:Namespace`` → ``("v1", "Namespace")``; ``kubernetes:apps/v1:Deployment`` →
    ``("apps/v1", "Deployment")``; providers (``pulumi:providers:kubernetes``), components and
    ``kubernetes:yaml:ConfigFile``-style groupings are not objects.
    """
    parts = resource_type.split(":")
    if len(parts) != 3 or parts[0] != "kubernetes" or "/" not in parts[1]:
        return None
    group, _, version = parts[1].rpartition("/")
    return (version if group == "core" else f"{group}/{version}"), parts[2]


def plain(value: Any) -> Any:
    """A proxy (or any Mapping/Sequence) as plain dicts and lists; integral floats as ints.

    Reading an unknown value (during preview) raises pulumi-policy's ``UnknownValueError``, which the
    analyzer reports as "can't run policy during preview" rather than a violation.
    """
    if isinstance(value, str | bytes | bool) or value is None:
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, Sequence):
        return [plain(item) for item in value]
    return value


def manifest_of(resource_type: str, props: Mapping[str, Any]) -> dict[str, Any] | None:
    """The plain Kubernetes manifest a resource declares, or None when the resource is not a Kubernetes object."""
    identity = api_version_of(resource_type)
    if identity is None:
        return None
    manifest: dict[str, Any] = plain(props)
    api_version, kind = identity
    manifest.setdefault("apiVersion", api_version)
    manifest.setdefault("kind", kind)
    return manifest


def declared_objects(resources: Iterable[Any]) -> list[DeclaredObject]:
    """The Kubernetes objects among a stack's resources (``PolicyResource`` objects)."""
    found: list[DeclaredObject] = []
    for resource in resources:
        manifest = manifest_of(resource.resource_type, resource.props)
        if manifest is not None:
            found.append(DeclaredObject(resource.urn, manifest))
    return found


def violations_by_policy(
    objects: Sequence[DeclaredObject], rules: policies.PlacementRules
) -> dict[str, list[tuple[str | None, str]]]:
    """Core policy name → its violations as (URN of the offending object or None, message). Pure.

    The same checks ``govcloud render`` runs: every object alone, then the objects together.
    """
    urn_of = {desired.qualified_name(o.manifest): o.urn for o in objects}
    found: dict[str, list[tuple[str | None, str]]] = {info.name: [] for info in policies.POLICIES}
    every = [
        *(v for o in objects for v in policies.resource_violations(o.manifest, rules=rules)),
        *policies.stack_violations([o.manifest for o in objects]),
    ]
    for violation in every:
        found.setdefault(violation.policy, []).append((urn_of.get(violation.object), violation.render()))
    return found


def placement_rules(defaults: policies.PlacementRules, config: Mapping[str, Any]) -> policies.PlacementRules:
    """The placement rules: ``defaults`` (from settings) overridden by the policy's pack config."""
    pool = config.get(CONFIG_MLPS3_POOL)
    dedicated = config.get(CONFIG_DEDICATED_POOLS)
    return policies.PlacementRules(
        mlps3_node_pool=str(pool) if pool else defaults.mlps3_node_pool,
        dedicated_pools=frozenset(str(p) for p in dedicated) if dedicated is not None else defaults.dedicated_pools,
    )


def _validator(name: str, defaults: policies.PlacementRules) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        rules = placement_rules(defaults, args.get_config() or {})
        objects = declared_objects(args.resources)
        for urn, message in violations_by_policy(objects, rules).get(name, ()):
            report_violation(message, urn)

    return validate


def stack_policies(rules: policies.PlacementRules = policies.DEFAULT_RULES) -> list[StackValidationPolicy]:
    """One stack validation policy per core policy, in :data:`~govcloud.cloud.core.policies.POLICIES` order.

    ``rules`` are the placement defaults (the inventory's settings); the ``mlps-placement`` policy's pack
    config (``mlps3NodePool``, ``dedicatedPools``) can override them. Enforcement levels are left to the pack
    (mandatory) and to its config.
    """
    return [
        StackValidationPolicy(
            name=info.name,
            description=info.description,
            validate=_validator(info.name, rules),
            config_schema=PLACEMENT_CONFIG_SCHEMA if info.name == policies.MLPS_PLACEMENT else None,
        )
        for info in policies.POLICIES
    ]


def rules_from_inventory(inventory_dir: Path) -> policies.PlacementRules:
    """Placement defaults from ``<inventory>/settings.yaml`` (the documented defaults when it is absent)."""
    from govcloud.cloud.edges import pulumi_program

    return policies.PlacementRules.from_settings(pulumi_program.load_settings(inventory_dir).cloud)


class PackInputError(GovcloudError, ValueError):
    """The pack's inputs (the census, its settings, the plan files) are invalid: the pack refuses to start.

    The message carries every problem as ``file:line: field: message``: it is all ``pulumi preview`` shows.
    """

    def __init__(self, error: InputError) -> None:
        self.problems = error.problems
        super().__init__(f"policy pack {PACK_NAME}: {error.summary}:\n{error.render()}")
