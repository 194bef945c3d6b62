"""``govcloud advance`` and ``govcloud ledger ...``: moving stages and the tamper-evident record. Edge (CLI).

Thin: options are parsed here, the rules live in :mod:`govcloud.orchestration.core` and the writes in
:mod:`govcloud.orchestration.edges`; errors become exit codes in :func:`govcloud.cli.common.guarded` only.
"""

from __future__ import annotations

import csv
import enum
import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import rich.table
import typer

from govcloud.app import workspace
from govcloud.cli import common
from govcloud.core import model
from govcloud.core.settings import Settings
from govcloud.edges import yamlio
from govcloud.errors import GovcloudError, RefusedError
from govcloud.network.edges import network_runs
from govcloud.orchestration.core import transitions
from govcloud.orchestration.core.entries import Draft, Entry, EntryKind
from govcloud.orchestration.edges import advance as advancing
from govcloud.orchestration.edges import people_file, sshsig, status_cache, store, verification
from govcloud.planning.core.stages import Stage

SIGNING_KEY_ENV = "GOVCLOUD_SIGNING_KEY"
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


def _settings(inventory: Path) -> Settings:
    return workspace.settings_or_defaults(inventory)


def signing_key(key: Path | None, *, required: bool) -> Path | None:
    found = key or (Path(os.environ[SIGNING_KEY_ENV]) if os.environ.get(SIGNING_KEY_ENV) else None)
    if found is None and required:
        raise RefusedError(f"this entry must be signed: give --key KEY (or set ${SIGNING_KEY_ENV}): nothing written")
    return found


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
    settings = _settings(inventory)
    roster = people_file.load_roster(inventory)  # departments are checked by govcloud check
    key_path = signing_key(key, required=True)
    assert key_path is not None
    path = ledger_path(inventory, ledger)
    inputs = status_cache.load_status_inputs(
        inventory_dir=inventory,
        plans_dir=plans_dir,
        cache_path=status_cache.cache_path_for(path),
        on_inventory_load=lambda: common.err_console.print("census changed: reading the inventory once", style="dim"),
    )
    request = advancing.AdvanceRequest(
        system=code,
        stage=stage,
        to=transitions.LedgerStatus(to.value),
        reason=reason,
        evidence=tuple(evidence or ()),
        key=key_path,
        overrides=tuple(override_gate or ()),
        inventory_dir=inventory,
        plans_dir=plans_dir,
        ledger_path=path,
    )
    outcome = advancing.advance(
        request,
        facts=inputs.facts,
        plan_facts=inputs.plans,
        roster=roster,
        settings=settings.orchestration,
        inventory_revision=network_runs.inventory_revision(inventory),
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
        _apply(code=code, inventory=inventory, plans_dir=plans_dir, ledger=request.ledger_path, key=key_path)


def _apply(*, code: str, inventory: Path, plans_dir: Path, ledger: Path, key: Path) -> None:
    """Run the system's network stage playbook and record the run as evidence."""
    summary = network_runs.run_playbooks(
        command=f"advance --apply {code}",
        playbooks=["system_network_stage.yml"],
        inventory_dir=inventory,
        plans_dir=plans_dir,
        extravars={"system": code},
    )
    record_run(
        kind=EntryKind.RUN_NETWORK, summary=summary.to_json(), system=code, ledger=ledger, key=key, inventory=inventory
    )
    common.console.print(
        f"network stage playbook: {'ok' if summary.ok else 'FAILED'} (recorded in the ledger)", highlight=False
    )
    if not summary.ok:
        raise RefusedError(
            "the network stage playbook failed: " + "; ".join(f for r in summary.runs for f in r.failures)
        )
    # render records its own run.render entry, signed: the key goes to it through the environment
    env = {**os.environ, SIGNING_KEY_ENV: str(key), LEDGER_ENV: str(ledger)}
    govcloud = Path(sys.executable).with_name("govcloud")
    rendered = subprocess.run(
        [str(govcloud), "render", "--inventory", str(inventory), "--plans", str(plans_dir), "--out", "manifests"],
        env=env,
        check=False,
    )
    if rendered.returncode != 0:
        raise RefusedError(f"govcloud render failed (exit {rendered.returncode}); the stage is recorded, run it again")
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        common.console.print(
            "no pulumi CLI on PATH: apply manifests/ with your GitOps tool or kubectl", highlight=False
        )
        return
    started = time.monotonic()
    done = subprocess.run([pulumi, "-C", "stacks/departments", "up", "--yes"], check=False)
    record_run(
        kind=EntryKind.RUN_PULUMI,
        summary={
            "command": "pulumi -C stacks/departments up --yes",
            "ok": done.returncode == 0,
            "rc": done.returncode,
            "duration_s": round(time.monotonic() - started, 3),
            "inventory_revision": network_runs.inventory_revision(inventory),
        },
        system=code,
        ledger=ledger,
        key=key,
        inventory=inventory,
    )
    if done.returncode != 0:
        raise RefusedError(f"pulumi up failed (exit {done.returncode}); recorded in the ledger")


def record_run(
    *,
    kind: EntryKind,
    summary: dict[str, object],
    system: str | None,
    ledger: Path | None,
    key: Path | None,
    inventory: Path,
) -> Entry:
    """Append a run record, signed with ``--key`` or ``$GOVCLOUD_SIGNING_KEY`` when one is given."""
    key = signing_key(key, required=False)
    return advancing.record_run(
        kind=kind,
        summary=summary,
        system=system,
        ledger_path=ledger_path(inventory, ledger),
        key=key,
        inventory_dir=inventory,
        roster=people_file.load_roster(inventory, required=key is not None),
        settings=_settings(inventory).orchestration,
    )


def record_run_quietly(*, kind: EntryKind, summary: dict[str, object], system: str | None, inventory: Path) -> None:
    """For ``network apply|check`` and ``render``: record the run; a failure to record is shown, not fatal.

    Recorded once the programme has a ledger (made by ``advance`` or ``ledger adopt``) or when a signing key
    is set, so that running a playbook in a scratch checkout does not start a ledger of its own.
    """
    if not ledger_path(inventory, None).exists() and signing_key(None, required=False) is None:
        return
    try:
        entry = record_run(kind=kind, summary=summary, system=system, ledger=None, key=None, inventory=inventory)
    except GovcloudError as exc:
        common.err_console.print(f"[yellow]not recorded in the ledger[/]: {exc}", highlight=False)
        return
    signed = f"signed by {entry.actor}" if entry.signature else "unsigned"
    common.console.print(f"ledger entry {entry.seq} {entry.kind} ({signed})", highlight=False)


@common.guarded
def verify_command(
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
    ledger: LedgerOption = None,
    output: Annotated[ExportFormat | None, typer.Option("--format", help="json for machines")] = None,
) -> None:
    """Recompute the chain from the first entry, check every signature and signer's role; exit 1 on any break."""
    path = ledger_path(inventory, ledger)
    settings = _settings(inventory)
    roster = people_file.load_roster(inventory, required=False)
    with store.open_ledger(path, create=False) as opened:
        report = verification.verify_ledger(opened, roster, settings.orchestration)
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
        console.print(f"{report.signed} signed entries checked against {len(roster.people)} people", highlight=False)
    if not report.ok:
        raise typer.Exit(1)


def _entries(
    inventory: Path, ledger: Path | None, system: str | None, department: str | None, since: str | None
) -> list[Entry]:
    with store.open_ledger(ledger_path(inventory, ledger), create=False) as opened:
        return opened.entries(system=system, department=department, since=since)


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
            _what(entry),
            entry.signer[:19] if entry.signer else "unsigned",
        )
    common.console.print(table)
    common.console.print(f"{len(found)} entries", highlight=False)


def _what(entry: Entry) -> str:
    payload = entry.payload
    if entry.kind == EntryKind.STAGE_TRANSITION:
        text = f"{payload.get('from')} → {payload.get('to')}"
    elif entry.kind == EntryKind.GATE_OVERRIDE:
        text = f"override {payload.get('gate')}"
    elif entry.kind == EntryKind.DISPOSITION_CONFIRM:
        text = f"confirm {payload.get('disposition')}"
    elif entry.kind == EntryKind.LEDGER_ADOPT:
        text = f"adopt {sum(len(v) for v in payload.get('statuses', {}).values())} statuses"
    elif entry.kind.startswith("run."):
        summary = payload.get("summary", {})
        text = f"{summary.get('command', '')} ok={summary.get('ok')}"
    else:
        text = ""
    reason = payload.get("reason")
    return text + (f": {reason}" if reason else "")


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
    if output is ExportFormat.JSON:
        text = json.dumps([e.to_json() for e in found], ensure_ascii=False, indent=1) + "\n"
    else:
        buffer = io.StringIO()
        columns = ["seq", "time", "kind", "actor", "system", "department", "stage", "payload", "evidence"]
        columns += ["inventory_revision", "signer", "prev_hash", "hash", "signature"]
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for entry in found:
            row = entry.to_json()
            row["payload"] = json.dumps(row["payload"], ensure_ascii=False, sort_keys=True)
            row["evidence"] = json.dumps(row["evidence"], ensure_ascii=False)
            writer.writerow(row)
        text = buffer.getvalue()
    if out is None:
        typer.echo(text, nl=False)
    else:
        yamlio.write_atomic(out, text)
        common.console.print(f"wrote {len(found)} entries to {out}", highlight=False)


@common.guarded
def replay_command(
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
    plans_dir: PlansOption = DEFAULT_PLANS,
    ledger: LedgerOption = None,
) -> None:
    """Rebuild the status projection from the entries and write the ledger's statuses into the plan files."""
    with store.open_ledger(ledger_path(inventory, ledger), create=False) as opened:
        states = opened.replay()
    repaired = advancing.repair(plans_dir, advancing.disagreements(plans_dir, states))
    for line in repaired:
        common.console.print(f"[yellow]{line}[/]", highlight=False)
    common.console.print(
        f"replayed: {len(states)} stage(s) projected; {len(repaired)} plan status(es) repaired", highlight=False
    )


@common.guarded
def adopt_command(
    key: KeyOption = None,
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
    plans_dir: PlansOption = DEFAULT_PLANS,
    ledger: LedgerOption = None,
) -> None:
    """Record the plan files' current statuses into the ledger (programme office), so they become ledger-backed."""
    settings = _settings(inventory)
    roster = people_file.load_roster(inventory)
    key_path = signing_key(key, required=True)
    assert key_path is not None
    entry, count = advancing.adopt(
        ledger_path=ledger_path(inventory, ledger),
        plans_dir=plans_dir,
        key=key_path,
        roster=roster,
        settings=settings.orchestration,
        inventory_revision=network_runs.inventory_revision(inventory),
        census=common.load_inventory(inventory, quiet=True).inventory,
    )
    if entry is None:
        common.console.print("nothing to adopt: the ledger already records every plan status", highlight=False)
        return
    common.console.print(
        f"adopted {count} stage statuses as ledger entry {entry.seq} by {entry.actor}", highlight=False
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
    loaded = common.load_inventory(inventory)
    system = loaded.inventory.system_by_code.get(code)
    if system is None:
        raise RefusedError(f"unknown system {code!r}: nothing written")
    settings = _settings(inventory)
    roster = people_file.load_roster(inventory, departments=loaded.inventory.department_by_code.keys())
    key_path = signing_key(key, required=True)

    def check(states: dict[transitions.StageKey, transitions.StageState]) -> None:
        state = states.get((code, stage.value))
        if state is None or state.status is not transitions.LedgerStatus.IN_PROGRESS:
            now = state.status.value if state is not None else "pending"
            raise RefusedError(f"{code} {stage.value} is {now}: sign off a stage in progress: nothing written")

    entry = advancing.record(
        ledger_path=ledger_path(inventory, ledger),
        draft=Draft(
            kind=EntryKind.STAGE_SIGNOFF,
            actor=None,
            system=code,
            department=system.department,
            stage=stage.value,
            payload={"what": "acceptance and 等保 test", "reason": reason, "mlps_level": system.mlps_level},
            evidence=advancing.evidence_of(tuple(evidence or ())),
            inventory_revision=network_runs.inventory_revision(inventory),
        ),
        key=key_path,
        roster=roster,
        settings=settings.orchestration,
        check=check,
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
    loaded = common.load_inventory(inventory)
    system = loaded.inventory.system_by_code.get(code)
    problems = []
    if system is None:
        problems.append(f"unknown system {code!r}")
    try:
        chosen = model.Disposition(disposition)
    except ValueError:
        allowed = ", ".join(d.value for d in model.Disposition)
        problems.append(f"unknown disposition {disposition!r}: one of {allowed}")
        chosen = None
    if chosen is model.Disposition.MERGE and (merge_into is None or merge_into not in loaded.inventory.system_by_code):
        problems.append(f"整合 needs --merge-into an existing system (got {merge_into!r})")
    if problems or system is None or chosen is None:
        raise RefusedError("; ".join(problems) + ": nothing written")
    settings = _settings(inventory)
    roster = people_file.load_roster(inventory, departments=loaded.inventory.department_by_code.keys())
    entry = advancing.record(
        ledger_path=ledger_path(inventory, ledger),
        draft=Draft(
            kind=EntryKind.DISPOSITION_CONFIRM,
            actor=None,
            system=code,
            department=system.department,
            payload={"disposition": chosen.value, "merge_into": merge_into, "reason": reason},
            inventory_revision=network_runs.inventory_revision(inventory),
        ),
        key=signing_key(key, required=True),
        roster=roster,
        settings=settings.orchestration,
    )
    common.console.print(f"confirmed {code} {chosen.value}: ledger entry {entry.seq} by {entry.actor}", highlight=False)


@common.guarded
def allowed_signers_command(
    out: Annotated[Path, typer.Option("--out", help="file to write")],
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
) -> None:
    """The roster as an allowed-signers file, for checking signatures with ``ssh-keygen -Y verify -n govcloud``."""
    roster = people_file.load_roster(inventory)
    yamlio.write_atomic(out, sshsig.allowed_signers_text(people_file.allowed_signers(roster)))
    common.console.print(f"wrote {sum(len(p.keys) for p in roster.people)} keys to {out}", highlight=False)
