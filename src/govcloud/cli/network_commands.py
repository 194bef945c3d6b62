"""``govcloud network apply|check``: the Ansible playbooks that build the unified networks and the cloud hosts."""

from __future__ import annotations

import datetime as dt
import enum
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
from govcloud.errors import ToolError
from govcloud.network.edges import network_runs
from govcloud.orchestration.core.entries import EntryKind


class Part(enum.StrEnum):
    """Which playbooks ``apply`` and ``check`` run when no system is named."""

    ALL = "all"
    ZONES = "zones"
    HOSTS = "hosts"


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
    extravars: dict[str, str] = {}
    if system is not None:
        playbooks = [network_runs.SYSTEM_NETWORK_STAGE]
        extravars["system"] = system
    else:
        playbooks = {
            Part.ALL: [network_runs.NETWORK_ZONES, network_runs.CLOUD_HOSTS],
            Part.ZONES: [network_runs.NETWORK_ZONES],
            Part.HOSTS: [network_runs.CLOUD_HOSTS],
        }[only]
    progress = _Progress(check=check)
    with rich.live.Live(progress.render(), console=common.err_console, transient=True, auto_refresh=False) as live:
        progress.live = live
        result = network_runs.run_playbooks(
            command=f"network {command}" + (f" --system {system}" if system else ""),
            playbooks=playbooks,
            inventory_dir=inventory,
            plans_dir=plans,
            check=check,
            limit=limit,
            extravars=extravars,
            extra_inventories=extra_inventory,
            playbooks_dir=playbooks_dir,
            on_event=progress.handle,
        )
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = summary or Path(".govcloud") / "runs" / f"network-{command}-{stamp}.json"
    network_runs.write_summary(path, result)
    _print_summary(result, path)
    ledger_commands.record_run_quietly(
        kind=EntryKind.RUN_NETWORK, summary=result.to_json(), system=system, inventory=inventory
    )
    if not result.ok:
        failed = next(r for r in result.runs if not r.ok)
        raise ToolError(f"{failed.playbook} failed ({failed.status}, rc {failed.rc})", returncode=failed.rc)


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
