"""``govcloud advance`` and ``govcloud ledger ...``: moving stages and the tamper-evident record. Entry point (CLI).

Thin: options are parsed here and results printed; the use cases are :mod:`govcloud.app.orchestration`
(rules in :mod:`govcloud.orchestration.core`, writes in :mod:`govcloud.orchestration.edges`); errors become
exit codes in :func:`govcloud.cli.common.guarded` only.
"""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import Annotated

import rich.table
import typer

from govcloud.app import orchestration, workspace
from govcloud.cli import common
from govcloud.orchestration.core.entries import Entry, EntryKind
from govcloud.planning.core.stages import Stage

SIGNING_KEY_ENV = orchestration.SIGNING_KEY_ENV
LEDGER_ENV = workspace.LEDGER_ENV

LedgerOption = Annotated[
    Path | None,
    typer.Option(
        "--ledger", help="the ledger file (default: orchestration.ledger in settings, .govcloud/ledger.sqlite)"
    ),
]
KeyOption = Annotated[
    Path | None,
    typer.Option("--key", help=f"your SSH private key (or ${SIGNING_KEY_ENV}); entries are signed with it"),
]
PlansOption = Annotated[Path, typer.Option("--plans", "-p", help="plan files directory", show_default=True)]
DEFAULT_PLANS = Path("migrations_plan")

ledger_app = typer.Typer(help="The migration ledger: verify, log, export, replay, adopt, sign-offs, confirmations.")


class Target(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    DONE = "done"
    BLOCKED = "blocked"
    PENDING = "pending"


class ExportFormat(enum.StrEnum):
    CSV = "csv"
    JSON = "json"


def register(app: typer.Typer) -> None:
    app.command("advance")(advance_command)
    app.add_typer(ledger_app, name="ledger")
    ledger_app.command("verify")(verify_command)
    ledger_app.command("log")(log_command)
    ledger_app.command("export")(export_command)
    ledger_app.command("replay")(replay_command)
    ledger_app.command("adopt")(adopt_command)
    ledger_app.command("signoff")(signoff_command)
    ledger_app.command("confirm")(confirm_command)
    ledger_app.command("allowed-signers")(allowed_signers_command)


def ledger_path(inventory: Path, ledger: Path | None) -> Path:
    """``--ledger``, else ``$GOVCLOUD_LEDGER``, else the settings' ``orchestration.ledger`` (relative to the cwd)."""
    return workspace.ledger_path(inventory, ledger)


def _say(message: str) -> None:
    common.console.print(message, highlight=False)


@common.guarded
def advance_command(
    code: Annotated[str, typer.Argument(help="system code, e.g. MZJ-001")],
    stage: Annotated[Stage, typer.Argument(help="network, data or business")],
    to: Annotated[Target, typer.Option("--to", help="the new status")],
    reason: Annotated[
        str | None, typer.Option("--reason", help="why (needed for blocked, reopening, overrides)")
    ] = None,
    evidence: Annotated[
        list[Path] | None, typer.Option("--evidence", help="a file attached by its SHA-256 (repeatable)")
    ] = None,
    key: KeyOption = None,
    override_gate: Annotated[
        list[str] | None,
        typer.Option("--override-gate", help="gate kind or entry_gates.N/exit_gates.N to override (programme office)"),
    ] = None,
    apply: Annotated[bool, typer.Option("--apply", help="also run the stage's playbook and render now")] = False,
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
    plans_dir: PlansOption = DEFAULT_PLANS,
    ledger: LedgerOption = None,
) -> None:
    """Move one stage: check its gates and your role, write the signed ledger entry, then the plan file."""
    outcome = orchestration.advance(
        code=code,
        stage=stage,
        to=to.value,
        reason=reason,
        evidence=evidence or (),
        key=key,
        overrides=override_gate or (),
        inventory=inventory,
        plans_dir=plans_dir,
        ledger=ledger,
        on_inventory_load=lambda: common.err_console.print("census changed: reading the inventory once", style="dim"),
    )
    console = common.console
    for line in outcome.repaired:
        console.print(f"[yellow]{line}[/]", markup=True, highlight=False)
    for gate in outcome.gates:
        colour = "green" if gate.holds else "yellow"
        console.print(f"[{colour}]gate[/] {gate.render()}", highlight=False)
    for entry in outcome.written:
        console.print(f"ledger entry {entry.seq} {entry.kind} by {entry.actor} ({entry.hash[:12]})", highlight=False)
    if not outcome.moved:
        console.print(
            f"override recorded; {code} {stage.value} did not move: the department's lead runs advance next",
            highlight=False,
        )
        return
    console.print(f"[green]{code} {stage.value} → {to.value}[/]: {outcome.plan_file} updated", highlight=False)
    if to in {Target.IN_PROGRESS, Target.PENDING} and not apply:
        console.print("next, run (or pass --apply):", highlight=False)
        for command in outcome.commands:
            console.print(f"  {command}", highlight=False, markup=False)
    if apply and to in {Target.IN_PROGRESS, Target.PENDING}:
        key_path = orchestration.signing_key(key, required=True)
        assert key_path is not None  # advance refused already otherwise
        orchestration.apply_stage(
            code=code, inventory=inventory, plans_dir=plans_dir, ledger=ledger, key=key_path, say=_say
        )


def record_run_quietly(*, kind: EntryKind, summary: dict[str, object], system: str | None, inventory: Path) -> None:
    """For ``network apply|check`` and ``render``: record the run; a failure to record is shown, not fatal."""
    recorded = orchestration.record_run_if_ledger(kind=kind, summary=summary, system=system, inventory=inventory)
    line = recorded.render()
    if line is None:
        return
    if recorded.refused is not None:
        common.err_console.print(f"[yellow]not recorded in the ledger[/]: {recorded.refused}", highlight=False)
        return
    _say(line)


@common.guarded
def verify_command(
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
    ledger: LedgerOption = None,
    output: Annotated[ExportFormat | None, typer.Option("--format", help="json for machines")] = None,
) -> None:
    """Recompute the chain from the first entry, check every signature and signer's role; exit 1 on any break."""
    verified = orchestration.verify(inventory=inventory, ledger=ledger)
    report = verified.report
    if output is ExportFormat.JSON:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=1))
    else:
        console = common.console
        if report.chain_break is not None:
            console.print(f"[bold red]chain broken[/]: {report.chain_break.message}", highlight=False)
        else:
            console.print(f"[green]chain intact[/]: {report.entries} entries, head {report.head}", highlight=False)
        for problem in report.signature_problems:
            console.print(f"[red]signature[/]: {problem}", highlight=False)
        if report.unsigned_runs:
            shown = ", ".join(str(s) for s in report.unsigned_runs[:10])
            more = f" and {len(report.unsigned_runs) - 10} more" if len(report.unsigned_runs) > 10 else ""
            console.print(f"[yellow]unsigned run evidence[/]: entries {shown}{more}", highlight=False)
        console.print(f"{report.signed} signed entries checked against {verified.people} people", highlight=False)
    if not report.ok:
        raise typer.Exit(1)


def _entries(
    inventory: Path, ledger: Path | None, system: str | None, department: str | None, since: str | None
) -> list[Entry]:
    return orchestration.entries(inventory=inventory, ledger=ledger, system=system, department=department, since=since)


@common.guarded
def log_command(
    system: Annotated[str | None, typer.Option("--system", help="only this system's entries")] = None,
    department: Annotated[str | None, typer.Option("--department", help="only this department's")] = None,
    since: Annotated[str | None, typer.Option("--since", help="from this date or time (ISO, UTC)")] = None,
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
    ledger: LedgerOption = None,
) -> None:
    """The ledger's entries, oldest first: who did what, when, on what evidence, signed by which key."""
    found = _entries(inventory, ledger, system, department, since)
    table = rich.table.Table(box=None, pad_edge=False)
    for column in ("seq", "time (UTC)", "kind", "actor", "system", "stage", "what", "signed"):
        table.add_column(column)
    for entry in found:
        table.add_row(
            str(entry.seq),
            entry.time[:19],
            entry.kind,
            entry.actor or "-",
            entry.system or "-",
            entry.stage or "-",
            orchestration.describe(entry),
            entry.signer[:19] if entry.signer else "unsigned",
        )
    common.console.print(table)
    common.console.print(f"{len(found)} entries", highlight=False)


@common.guarded
def export_command(
    output: Annotated[ExportFormat, typer.Option("--format", help="csv or json")] = ExportFormat.JSON,
    out: Annotated[Path | None, typer.Option("--out", help="file to write (default: standard output)")] = None,
    system: Annotated[str | None, typer.Option("--system")] = None,
    department: Annotated[str | None, typer.Option("--department")] = None,
    since: Annotated[str | None, typer.Option("--since")] = None,
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
    ledger: LedgerOption = None,
) -> None:
    """Every entry with its hashes and signature, for auditors (JSON, or CSV with payload as JSON)."""
    found = _entries(inventory, ledger, system, department, since)
    text = orchestration.export_text(found, as_csv=output is ExportFormat.CSV)
    if out is None:
        typer.echo(text, nl=False)
    else:
        orchestration.write_text(out, text)
        common.console.print(f"wrote {len(found)} entries to {out}", highlight=False)


@common.guarded
def replay_command(
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
    plans_dir: PlansOption = DEFAULT_PLANS,
    ledger: LedgerOption = None,
) -> None:
    """Rebuild the status projection from the entries and write the ledger's statuses into the plan files."""
    replayed = orchestration.replay(inventory=inventory, plans_dir=plans_dir, ledger=ledger)
    for line in replayed.repaired:
        common.console.print(f"[yellow]{line}[/]", highlight=False)
    common.console.print(
        f"replayed: {replayed.stages} stage(s) projected; {len(replayed.repaired)} plan status(es) repaired",
        highlight=False,
    )


@common.guarded
def adopt_command(
    key: KeyOption = None,
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
    plans_dir: PlansOption = DEFAULT_PLANS,
    ledger: LedgerOption = None,
) -> None:
    """Record the plan files' current statuses into the ledger (programme office), so they become ledger-backed."""
    adopted = orchestration.adopt(
        key=key,
        inventory=inventory,
        plans_dir=plans_dir,
        ledger=ledger,
        census=lambda: common.load_inventory(inventory, quiet=True).inventory,
    )
    if adopted.entry is None:
        common.console.print("nothing to adopt: the ledger already records every plan status", highlight=False)
        return
    common.console.print(
        f"adopted {adopted.statuses} stage statuses as ledger entry {adopted.entry.seq} by {adopted.entry.actor}",
        highlight=False,
    )


@common.guarded
def signoff_command(
    code: Annotated[str, typer.Argument(help="system code")],
    stage: Annotated[Stage, typer.Argument(help="the stage signed off (business: acceptance and 等保 test)")],
    reason: Annotated[str | None, typer.Option("--reason", help="what was checked")] = None,
    evidence: Annotated[list[Path] | None, typer.Option("--evidence", help="test report etc. (repeatable)")] = None,
    key: KeyOption = None,
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
    ledger: LedgerOption = None,
) -> None:
    """A security officer's sign-off of a stage (business done of MLPS 3 systems needs it)."""
    entry = orchestration.signoff(
        code=code,
        stage=stage,
        reason=reason,
        evidence=evidence or (),
        key=key,
        inventory=inventory,
        ledger=ledger,
        census=common.load_inventory(inventory).inventory,
    )
    common.console.print(f"signed off {code} {stage.value}: ledger entry {entry.seq} by {entry.actor}", highlight=False)


@common.guarded
def confirm_command(
    code: Annotated[str, typer.Argument(help="system code")],
    disposition: Annotated[str, typer.Option("--disposition", help="下线 or 整合 (or another disposition)")],
    reason: Annotated[str, typer.Option("--reason", help="why")],
    merge_into: Annotated[str | None, typer.Option("--merge-into", help="for 整合: the system it merges into")] = None,
    key: KeyOption = None,
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
    ledger: LedgerOption = None,
) -> None:
    """The department's lead confirms a proposed disposition (下线/整合) in the ledger."""
    entry, chosen = orchestration.confirm(
        code=code,
        disposition=disposition,
        reason=reason,
        merge_into=merge_into,
        key=key,
        inventory=inventory,
        ledger=ledger,
        census=common.load_inventory(inventory).inventory,
    )
    common.console.print(f"confirmed {code} {chosen.value}: ledger entry {entry.seq} by {entry.actor}", highlight=False)


@common.guarded
def allowed_signers_command(
    out: Annotated[Path, typer.Option("--out", help="file to write")],
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
) -> None:
    """The roster as an allowed-signers file, for checking signatures with ``ssh-keygen -Y verify -n govcloud``."""
    keys = orchestration.write_allowed_signers(inventory=inventory, out=out)
    common.console.print(f"wrote {keys} keys to {out}", highlight=False)
