"""``govcloud render``: the desired Kubernetes objects as YAML, schema-validated and policy-checked. Entry point.

Options, progress and the summary table only: the use case is :mod:`govcloud.app.rendering` (plans failing
``plan --check`` refused, every schema problem and policy violation at once, nothing written then), the
files :mod:`govcloud.cloud.edges.manifest_files` (layout, marker, atomic writes, stale files removed) and
the validator :mod:`govcloud.cloud.edges.shape_cache` (through :func:`govcloud.app.rendering.schema_validator`).
"""

from __future__ import annotations

import enum
import time
from pathlib import Path
from typing import Annotated, Final

import rich.progress
import rich.table
import typer

from govcloud.app import planning, rendering
from govcloud.app.workspace import Workspace
from govcloud.cli import common, ledger_commands
from govcloud.orchestration.core.entries import EntryKind

DEFAULT_VERSION: Final = "1.30"


class OutputFormat(enum.StrEnum):
    YAML = "yaml"


class CrdSchemaCoverage(enum.StrEnum):
    COMPLETE = "complete"
    PARTIAL = "partial"


def register(app: typer.Typer) -> None:
    app.command("render")(render)


# --- the command ------------------------------------------------------------------------------------------------


@common.guarded
def render(
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
    plans: Annotated[Path, typer.Option("--plans", help="plan files directory (how far each system has got)")] = Path(
        "migrations_plan"
    ),
    out: Annotated[Path, typer.Option("--out", "-o", help="directory to write the manifests to")] = Path("manifests"),
    kubernetes_version: Annotated[
        str,
        typer.Option("--kubernetes-version", help="validate against this Kubernetes version's schemas (e.g. 1.30)"),
    ] = DEFAULT_VERSION,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="output format (YAML streams, one file per department)")
    ] = OutputFormat.YAML,
    allow_placeholders: Annotated[
        bool,
        typer.Option(
            "--allow-placeholders",
            help="rehearsal only: accept placeholder images; every object and file is marked not deployable",
        ),
    ] = False,
    crd_schemas_wanted: Annotated[
        CrdSchemaCoverage,
        typer.Option(
            "--crd-schemas",
            help="custom resources (Gateway API, cert-manager): 'complete' = their upstream CRD schemas "
            "(needs Node.js and scripts/install.sh); 'partial' = only the fields govcloud uses, type-checked",
        ),
    ] = CrdSchemaCoverage.COMPLETE,
) -> None:
    """Write the desired Kubernetes objects, validated (strict schemas) and policy-checked; exit 1 on any problem."""
    started = time.perf_counter()
    schemas = rendering.schema_validator(kubernetes_version)  # fails fast
    crds = rendering.crd_validator(complete=crd_schemas_wanted is CrdSchemaCoverage.COMPLETE)  # fails fast
    workspace = Workspace(inventory_dir=inventory, plans_dir=plans, loader=common.load_inventory)
    workspace.load_inventory()
    workspace.load_settings()

    def make() -> rendering.Rendered:
        with common.err_console.status(f"reading and checking the plan files in {plans} (govcloud plan --check)"):
            progress = planning.strict_progress(workspace)  # refuses plans failing the check
        with common.err_console.status(f"computing the desired state of {len(progress)} systems with a plan"):
            state = rendering.desired_state(workspace, rehearsal=allow_placeholders, progress=progress)
        manifests = state.all()
        with rich.progress.Progress(
            rich.progress.TextColumn("{task.description}"),
            rich.progress.BarColumn(),
            rich.progress.MofNCompleteColumn(),
            rich.progress.TimeElapsedColumn(),
            console=common.err_console,
            transient=True,
            disable=not common.err_console.is_terminal,
        ) as bar:
            task = bar.add_task(
                f"validating (Kubernetes {schemas.version}) and checking policies", total=len(manifests)
            )
            rendering.check_rendered(
                workspace,
                manifests,
                schemas=schemas,
                crds=crds,
                advance=lambda n: bar.advance(task, n),
                allow_placeholders=allow_placeholders,
            )
        del manifests
        return rendering.render_state(state, systems_with_plan=len(progress), rehearsal=allow_placeholders)

    # a render that passed is cached whole (its files' texts), under a key of everything it reads and the
    # validators it passed: a hit validates nothing again and still writes only the files that differ
    label = crds.label if crds is not None else "partial"
    render = rendering.rendered(
        workspace, options=[schemas.version, label, f"rehearsal={allow_placeholders}"], make=make
    )
    result = rendering.write_render(out, render)
    files, written, unchanged, removed = result.files, result.written, result.unchanged, result.removed
    _summary(render, schemas.version, out, files, written, unchanged, removed)
    if crds is None:
        common.err_console.print(
            "[yellow]warning[/]: custom resources checked against the partial schemas only (--crd-schemas partial)"
        )
    else:
        common.console.print(f"custom resources valid against their CRD schemas ({crds.label})")
    if allow_placeholders:
        common.console.print("[bold red]NOT DEPLOYABLE[/]: rehearsal render; the policy pack refuses these objects")
    ledger_commands.record_run_quietly(
        kind=EntryKind.RUN_RENDER,
        summary=rendering.run_summary(
            inventory_dir=inventory,
            out=out,
            objects=render.objects,
            written=result,
            kubernetes_version=schemas.version,
            systems_with_plan=render.systems_with_plan,
            deployable=not allow_placeholders,
            crd_schemas=crds.label if crds is not None else "partial",
        ),
        system=None,
        inventory=inventory,
    )
    common.console.print(f"done in {time.perf_counter() - started:.1f} s")


def _summary(
    render: rendering.Rendered, version: str, out: Path, files: int, written: int, unchanged: int, removed: int
) -> None:
    table = rich.table.Table()
    table.add_column("kind")
    table.add_column("objects", justify="right")
    for kind, count in render.kinds:
        table.add_row(kind, str(count))
    common.console.print(table)
    common.console.print(f"{render.objects} objects, valid for Kubernetes {version}, all policies pass")
    common.console.print(
        f"[green]ok[/]: {out}: {files} files ({written} written, {unchanged} unchanged, {removed} stale removed); "
        f"{render.systems_with_plan} systems with a plan"
    )
