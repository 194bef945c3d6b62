"""``govcloud network apply|check``: the Ansible playbooks that build the unified networks and the cloud hosts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import rich.live
import rich.markup
import rich.syntax
import rich.table
import rich.text
import typer

from govcloud.app import network as app_network
from govcloud.app.workspace import Workspace
from govcloud.cli import common, ledger_commands
from govcloud.network.edges import network_runs
from govcloud.orchestration.core.entries import EntryKind

Part = app_network.NetworkPart


LimitOption = Annotated[
    str | None, typer.Option("--limit", "-l", help="Ansible host pattern to restrict the run to (e.g. zone_dz_mzj)")
]
SystemOption = Annotated[
    str | None,
    typer.Option("--system", "-s", help="open this system's network stage (system_network_stage.yml) instead"),
]
PlansOption = Annotated[Path, typer.Option("--plans", help="migration plans directory (stage progress)")]
SummaryOption = Annotated[
    Path | None,
    typer.Option("--summary", help="where to write the run summary JSON (default .govcloud/runs/network-*.json)"),
]
PartOption = Annotated[Part, typer.Option("--only", help="without --system: all, zones (routers) or hosts (k8s)")]
ExtraInventoryOption = Annotated[
    list[Path] | None,
    typer.Option("--extra-inventory", help="more Ansible inventory sources (connection variables); repeatable"),
]
PlaybooksOption = Annotated[
    Path | None, typer.Option("--playbooks-dir", help="the playbooks directory (default ./playbooks)", hidden=True)
]


def register(app: typer.Typer) -> None:
    network = typer.Typer(
        help="Build the unified extranet zones, their firewalls and the cloud hosts with the Ansible playbooks.",
        no_args_is_help=True,
    )
    network.command("apply")(apply)
    network.command("check")(check)
    app.add_typer(network, name="network")


@common.guarded
def apply(
    *,
    limit: LimitOption = None,
    system: SystemOption = None,
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
    plans: PlansOption = Path("migrations_plan"),
    summary: SummaryOption = None,
    only: PartOption = Part.ALL,
    extra_inventory: ExtraInventoryOption = None,
    playbooks_dir: PlaybooksOption = None,
) -> None:
    """Converge the zone routers and cloud hosts (or open one system's network stage with --system)."""
    _run(
        "apply",
        check=False,
        limit=limit,
        system=system,
        inventory=inventory,
        plans=plans,
        summary=summary,
        only=only,
        extra_inventory=extra_inventory or [],
        playbooks_dir=playbooks_dir,
    )


@common.guarded
def check(
    *,
    limit: LimitOption = None,
    system: SystemOption = None,
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
    plans: PlansOption = Path("migrations_plan"),
    summary: SummaryOption = None,
    only: PartOption = Part.ALL,
    extra_inventory: ExtraInventoryOption = None,
    playbooks_dir: PlaybooksOption = None,
) -> None:
    """Show what apply would change (Ansible check mode with the diff); changes nothing."""
    _run(
        "check",
        check=True,
        limit=limit,
        system=system,
        inventory=inventory,
        plans=plans,
        summary=summary,
        only=only,
        extra_inventory=extra_inventory or [],
        playbooks_dir=playbooks_dir,
    )


def _run(
    command: str,
    *,
    check: bool,
    limit: str | None,
    system: str | None,
    inventory: Path,
    plans: Path,
    summary: Path | None,
    only: Part,
    extra_inventory: list[Path],
    playbooks_dir: Path | None,
) -> None:
    workspace = Workspace(inventory_dir=inventory, plans_dir=plans, loader=common.load_inventory)
    app_network.preflight(workspace, system=system)  # every census and plan problem, before Ansible starts
    progress = _Progress(check=check)
    with rich.live.Live(progress.render(), console=common.err_console, transient=True, auto_refresh=False) as live:
        progress.live = live
        run = app_network.run_network(
            command=command,
            check=check,
            limit=limit,
            system=system,
            inventory_dir=inventory,
            plans_dir=plans,
            summary=summary,
            only=only,
            extra_inventories=extra_inventory,
            playbooks_dir=playbooks_dir,
            on_event=progress.handle,
        )
    _print_summary(run.summary, run.path)
    ledger_commands.record_run_quietly(
        kind=EntryKind.RUN_NETWORK, summary=run.summary.to_json(), system=system, inventory=inventory
    )
    error = run.error()
    if error is not None:
        raise error


class _Progress:
    """Live view of a run: the playbook and task in progress, counts per host; failures and diffs printed."""

    def __init__(self, *, check: bool) -> None:
        self.check = check
        self.live: rich.live.Live | None = None
        self.playbook = ""
        self.task = ""
        self.counts: dict[str, dict[str, int]] = {}

    def handle(self, event: network_runs.RunEvent) -> None:
        console = common.err_console
        self.playbook = event.playbook
        if event.kind in ("task", "handler"):
            self.task = event.task or ""
        elif event.host is not None and event.kind in ("ok", "changed", "skipped", "failed", "unreachable"):
            counts = self.counts.setdefault(event.host, {})
            counts[event.kind] = counts.get(event.kind, 0) + 1
            if event.kind in ("failed", "unreachable"):
                console.print(
                    f"[bold red]{event.kind}[/] {event.host}: {event.task}: {event.message}",
                    markup=True,
                    highlight=False,
                )
            elif event.kind == "changed":
                verb = "would change" if self.check else "changed"
                console.print(f"[yellow]{verb}[/] {rich.markup.escape(f'{event.host}: {event.task}')}")
            for diff in event.diffs:
                console.print(rich.syntax.Syntax(diff, "diff", theme="ansi_dark", background_color="default"))
        if self.live is not None:
            self.live.update(self.render(), refresh=True)

    def render(self) -> rich.table.Table:
        table = rich.table.Table(
            title=f"{self.playbook or 'ansible'}{' (check)' if self.check else ''}: {self.task}",
            title_justify="left",
            box=None,
        )
        table.add_column("host")
        for column in ("ok", "changed", "skipped", "failed", "unreachable"):
            table.add_column(column, justify="right")
        for host in sorted(self.counts):
            counts = self.counts[host]
            table.add_row(host, *(str(counts.get(c, 0)) for c in ("ok", "changed", "skipped", "failed", "unreachable")))
        return table


def _print_summary(summary: network_runs.RunSummary, path: Path) -> None:
    console = common.console
    for run in summary.runs:
        table = rich.table.Table(
            title=f"{run.playbook}: {run.status} in {run.duration_s:.1f} s{' (check mode)' if run.check else ''}",
            title_justify="left",
        )
        table.add_column("host")
        for column in ("ok", "changed", "failed", "unreachable", "skipped"):
            table.add_column(column, justify="right")
        for host, counts in sorted(run.hosts.items()):
            table.add_row(
                host,
                str(counts.ok),
                str(counts.changed),
                rich.text.Text(str(counts.failed), style="red" if counts.failed else ""),
                rich.text.Text(str(counts.unreachable), style="red" if counts.unreachable else ""),
                str(counts.skipped),
            )
        console.print(table)
        for failure in run.failures:
            common.err_console.print(f"[bold red]failed[/]: {rich.markup.escape(failure)}", highlight=False)
    console.print(f"summary: {path} (inventory {summary.inventory_revision})", highlight=False)
