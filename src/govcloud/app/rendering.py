"""``govcloud render``: the desired Kubernetes objects, validated, policy-checked and written. Application layer.

Nothing is written unless every object passes strict schema validation and every policy
(:class:`RenderRejected` carries every problem). Plan files that fail ``govcloud plan --check`` are refused
before anything is computed (the one strict read, :attr:`Workspace.progress`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from govcloud import collector
from govcloud.app import planning, sharing_steps
from govcloud.app.workspace import Workspace
from govcloud.cloud.core import desired, policies
from govcloud.cloud.edges import crd_schemas, k8s_schema, manifest_files, shape_cache
from govcloud.errors import GovcloudError
from govcloud.network.edges import network_runs


class RenderRejected(GovcloudError):
    """Rendered objects that fail schema validation or a policy; carries every problem, each naming its object."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        listing = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the rendered objects; nothing written:\n{listing}")


def desired_state(workspace: Workspace, *, rehearsal: bool = False) -> desired.DesiredState:
    """The desired state of every system with a plan (the plans read strictly: :func:`planning.strict_progress`).

    ``rehearsal`` (``render --allow-placeholders``): every object is marked not deployable.
    """
    progress = planning.strict_progress(workspace)
    grants = sharing_steps.grants_of_day(workspace.inventory_dir, workspace.inventory)  # None: no request files
    state = desired.desired_state(workspace.inventory, progress, workspace.settings, grants=grants)
    return desired.mark_not_deployable(state, manifest_files.REHEARSAL_REASON) if rehearsal else state


def check_manifests(
    manifests: Sequence[Mapping[str, Any]],
    *,
    schemas: k8s_schema.KubernetesSchemas | shape_cache.ShapeCachedValidator,
    rules: policies.PlacementRules,
    crds: crd_schemas.CrdValidator | None = None,
    advance: Callable[[int], None] | None = None,
    allow_placeholders: bool = False,
) -> list[str]:
    """Every schema problem and policy violation, as ``Kind/namespace/name: ...`` lines (empty when all pass).

    ``crds`` checks the custom resources (Gateway API, cert-manager) against their complete CRD schemas too, in
    one batch; without it they get only the partial schema of :mod:`k8s_schema`.
    ``allow_placeholders`` tolerates placeholder images and the not-deployable mark (rehearsal renders).
    """
    problems: list[str] = []
    custom = [m for m in manifests if crds is not None and crds.knows(m)]
    crd_problems = dict(zip(map(id, custom), crds.validate(custom), strict=True)) if crds is not None else {}
    for index, manifest in enumerate(manifests):
        check = schemas.check(manifest)
        name = desired.qualified_name(manifest)
        problems.extend(f"{name}: schema {schemas.version}: {p}" for p in check.problems)
        if crds is not None:
            problems.extend(f"{name}: CRD schema ({crds.label}): {p}" for p in crd_problems.get(id(manifest), ()))
        problems.extend(
            v.render()
            for v in policies.resource_violations(manifest, rules=rules, allow_placeholders=allow_placeholders)
        )
        if advance is not None and index % 1000 == 999:
            advance(1000)
    problems.extend(v.render() for v in policies.stack_violations(manifests))
    if advance is not None:
        advance(len(manifests) % 1000)
    return problems


def check_rendered(
    workspace: Workspace,
    manifests: Sequence[Mapping[str, Any]],
    *,
    schemas: k8s_schema.KubernetesSchemas | shape_cache.ShapeCachedValidator,
    crds: crd_schemas.CrdValidator | None = None,
    advance: Callable[[int], None] | None = None,
    allow_placeholders: bool = False,
) -> None:
    """Raise :class:`RenderRejected` with every schema problem and policy violation of ``manifests``."""
    rules = policies.PlacementRules.from_settings(workspace.settings.cloud)
    with collector.paused():
        problems = check_manifests(
            manifests, schemas=schemas, crds=crds, rules=rules, advance=advance, allow_placeholders=allow_placeholders
        )
    if problems:
        raise RenderRejected(problems)


@dataclasses.dataclass(frozen=True)
class WrittenFiles:
    """What a render wrote into its output directory."""

    files: int
    written: int
    unchanged: int
    removed: int


def write_rendered(out: Path, state: desired.DesiredState, *, rehearsal: bool = False) -> WrittenFiles:
    """Write the render's files into ``out`` (atomically; stale generated files removed)."""
    names: list[str] = []

    def each_file() -> Iterator[tuple[str, str]]:  # rendered one at a time: only changed texts are held
        for name, text in manifest_files.iter_manifest_files(state, rehearsal=rehearsal):
            names.append(name)
            yield name, text

    with collector.paused():
        written, unchanged, removed = manifest_files.write_files(out, each_file())
    return WrittenFiles(len(names), written, unchanged, removed)


def schema_validator(kubernetes_version: str) -> shape_cache.ShapeCachedValidator:
    """The strict validator of one Kubernetes version's schemas (fails fast on a version it does not ship)."""
    return shape_cache.ShapeCachedValidator(k8s_schema.shared_schemas(kubernetes_version, True))


def crd_validator(*, complete: bool) -> crd_schemas.CrdValidator | None:
    """The complete CRD schemas' validator (refuses, naming the install command, when missing); ``None`` for partial."""
    return crd_schemas.require() if complete else None


def run_summary(
    *,
    inventory_dir: Path,
    out: Path,
    objects: int,
    written: WrittenFiles,
    kubernetes_version: str,
    systems_with_plan: int,
    deployable: bool,
    crd_schemas: str = "partial",
) -> dict[str, object]:
    """The ``run.render`` record of the ledger: what was written, for which Kubernetes, from which census."""
    return {
        "command": "render",
        "ok": True,
        "out": str(out),
        "objects": objects,
        "files": {"written": written.written, "unchanged": written.unchanged, "removed": written.removed},
        "kubernetes_version": kubernetes_version,
        "crd_schemas": crd_schemas,
        "systems_with_plan": systems_with_plan,
        "deployable": deployable,
        "inventory_revision": network_runs.inventory_revision(inventory_dir),
    }
