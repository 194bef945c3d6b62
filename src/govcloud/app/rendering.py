"""``govcloud render``: the desired Kubernetes objects, validated, policy-checked and written. Application layer.

Nothing is written unless every object passes strict schema validation and every policy
(:class:`RenderRejected` carries every problem). Plan files that fail ``govcloud plan --check`` are refused
before anything is computed (the one strict read, :attr:`Workspace.progress`).
"""

from __future__ import annotations

import collections
import dataclasses
import importlib.metadata
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from govcloud import collector
from govcloud.app import planning, sharing_steps
from govcloud.app.workspace import Workspace
from govcloud.cloud.core import desired, policies
from govcloud.cloud.edges import crd_schemas, k8s_schema, manifest_files, shape_cache
from govcloud.edges import inventory_files
from govcloud.errors import GovcloudError
from govcloud.network.edges import network_runs
from govcloud.planning.core import stages
from govcloud.planning.edges import result_cache
from govcloud.sharing.edges import official_calendar, request_files


class RenderRejected(GovcloudError):
    """Rendered objects that fail schema validation or a policy; carries every problem, each naming its object."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        listing = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the rendered objects; nothing written:\n{listing}")


def desired_state(
    workspace: Workspace, *, rehearsal: bool = False, progress: Mapping[str, stages.Progress] | None = None
) -> desired.DesiredState:
    """The desired state of every system with a plan (the plans read strictly: :func:`planning.strict_progress`).

    ``rehearsal`` (``render --allow-placeholders``): every object is marked not deployable. ``progress``: the
    strict read already made.
    """
    progress = progress if progress is not None else planning.strict_progress(workspace)
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


@dataclasses.dataclass(frozen=True)
class Rendered:
    """A render that passed validation and every policy: its files' texts and what the summary counts.

    Cached whole (:func:`rendered`): a repeated render on the same inputs validates nothing again and still
    writes only the files that differ in its output directory.
    """

    files: tuple[tuple[str, str], ...]
    """(file name, text), in the order they are written."""
    kinds: tuple[tuple[str, int], ...]
    """Objects per kind, most first (then by kind)."""
    objects: int
    systems_with_plan: int


def render_state(state: desired.DesiredState, *, systems_with_plan: int, rehearsal: bool = False) -> Rendered:
    """The files of a validated desired state, and its objects by kind."""
    counts = collections.Counter(str(m.get("kind")) for m in state.all())
    with collector.paused():
        files = tuple(manifest_files.iter_manifest_files(state, rehearsal=rehearsal))
    kinds = tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    return Rendered(files, kinds, sum(counts.values()), systems_with_plan)


def write_render(out: Path, render: Rendered) -> WrittenFiles:
    """Write a render's files into ``out`` (atomically; only changed files; stale generated files removed)."""
    with collector.paused():
        written, unchanged, removed = manifest_files.write_files(out, render.files)
    return WrittenFiles(len(render.files), written, unchanged, removed)


def render_key(workspace: Workspace, options: Sequence[str]) -> str | None:
    """The key of a render: everything it reads, the validators it passed and what it was asked.

    The inventory's ``inputs_digest``, the plan files, the settings, the sharing requests beside the inventory
    (the day's grants), today's date (the grants' day), the Kubernetes schemas' package and ``options`` (the
    Kubernetes version, the CRD schemas' label, a rehearsal), and the code. Not the ledger: render reads none
    (it only records its run there).
    """
    try:
        schemas_package = importlib.metadata.version("kubernetes-validate")
    except importlib.metadata.PackageNotFoundError:
        schemas_package = "-"
    parts = [
        "render",
        *options,
        f"today={result_cache.today().isoformat()}\0{official_calendar.today().isoformat()}",
        f"shown={workspace.inventory_dir}\0{workspace.plans_dir}\0{os.getcwd()}",
        f"plans={result_cache.directory_digest(workspace.plans_dir)}",
        f"settings={result_cache.file_digest(workspace.inventory_dir / inventory_files.SETTINGS_FILE)}",
        f"requests={result_cache.directory_digest(request_files.requests_dir(workspace.inventory_dir))}",
        f"kubernetes-validate={schemas_package}",
    ]
    return result_cache.result_key(workspace.loaded.inputs_digest, parts)


def rendered(workspace: Workspace, *, options: Sequence[str], make: Callable[[], Rendered]) -> Rendered:
    """``make()`` (read strictly, compute, validate, check policies), from the result cache when nothing changed.

    Only a render that passed is returned by ``make``, so only those are cached: a rejected one is computed
    and refused every time.
    """
    cache = result_cache.ResultCache.open(workspace.inventory_dir, workspace.plans_dir)
    key = render_key(workspace, options) if cache is not None else None
    return result_cache.cached(cache, "render", key, Rendered, make)


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
