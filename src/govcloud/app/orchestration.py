"""The use cases of the migration ledger: advance, apply, sign-off, confirm, adopt, replay, verify, log, export.

Application layer. Each takes the directories and options a command was given and returns a typed result;
the CLI (:mod:`govcloud.cli.ledger_commands`) prints it. The rules are :mod:`govcloud.orchestration.core`,
the writes :mod:`govcloud.orchestration.edges` (the ledger first, then the plan file).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from govcloud.app import workspace
from govcloud.core import model
from govcloud.core.settings import Settings
from govcloud.edges import yamlio
from govcloud.errors import GovcloudError, RefusedError
from govcloud.network.edges import network_runs
from govcloud.orchestration.core import transitions
from govcloud.orchestration.core.entries import Draft, Entry, EntryKind
from govcloud.orchestration.core.roster import Roster
from govcloud.orchestration.edges import advance as advancing
from govcloud.orchestration.edges import people_file, sshsig, status_cache, store, verification
from govcloud.planning.core.stages import Stage

SIGNING_KEY_ENV = "GOVCLOUD_SIGNING_KEY"
"""Environment variable naming the SSH private key entries are signed with (after ``--key``)."""

Say = Callable[[str], None]
"""How a long use case reports a step as it goes (the CLI prints it)."""


def _settings(inventory: Path) -> Settings:
    return workspace.settings_or_defaults(inventory)


def signing_key(key: Path | None, *, required: bool) -> Path | None:
    """``--key``, else ``$GOVCLOUD_SIGNING_KEY``; a refusal when an entry must be signed and neither is given."""
    found = key or (Path(os.environ[SIGNING_KEY_ENV]) if os.environ.get(SIGNING_KEY_ENV) else None)
    if found is None and required:
        raise RefusedError(f"this entry must be signed: give --key KEY (or set ${SIGNING_KEY_ENV}): nothing written")
    return found


def _required_key(key: Path | None) -> Path:
    found = signing_key(key, required=True)
    assert found is not None  # signing_key refuses otherwise
    return found


# ---------------------------------------------------------------------------------------------------------
# advance (and --apply)


def advance(
    *,
    code: str,
    stage: Stage,
    to: str,
    reason: str | None,
    evidence: Sequence[Path],
    key: Path | None,
    overrides: Sequence[str],
    inventory: Path,
    plans_dir: Path,
    ledger: Path | None,
    on_inventory_load: Callable[[], None] | None = None,
) -> advancing.AdvanceOutcome:
    """Move one stage: its gates and the actor's role checked, the signed entry written, then the plan file.

    ``to`` is the new status (``in_progress``, ``done``, ``blocked``, ``pending``).
    """
    settings = _settings(inventory)
    roster = people_file.load_roster(inventory)  # departments are checked by govcloud check
    key_path = _required_key(key)
    path = workspace.ledger_path(inventory, ledger)
    inputs = status_cache.load_status_inputs(
        inventory_dir=inventory,
        plans_dir=plans_dir,
        cache_path=status_cache.cache_path_for(path),
        on_inventory_load=on_inventory_load,
    )
    request = advancing.AdvanceRequest(
        system=code,
        stage=stage,
        to=transitions.LedgerStatus(to),
        reason=reason,
        evidence=tuple(evidence),
        key=key_path,
        overrides=tuple(overrides),
        inventory_dir=inventory,
        plans_dir=plans_dir,
        ledger_path=path,
    )
    return advancing.advance(
        request,
        facts=inputs.facts,
        plan_facts=inputs.plans,
        roster=roster,
        settings=settings.orchestration,
        inventory_revision=network_runs.inventory_revision(inventory),
    )


def apply_stage(*, code: str, inventory: Path, plans_dir: Path, ledger: Path | None, key: Path, say: Say) -> None:
    """``advance --apply``: the system's network stage playbook, then ``render`` and ``pulumi up``, each recorded.

    A failed step raises a :class:`RefusedError` after its run is recorded (the stage stays recorded).
    """
    path = workspace.ledger_path(inventory, ledger)
    summary = network_runs.run_playbooks(
        command=f"advance --apply {code}",
        playbooks=["system_network_stage.yml"],
        inventory_dir=inventory,
        plans_dir=plans_dir,
        extravars={"system": code},
    )
    record_run(
        kind=EntryKind.RUN_NETWORK, summary=summary.to_json(), system=code, ledger=path, key=key, inventory=inventory
    )
    say(f"network stage playbook: {'ok' if summary.ok else 'FAILED'} (recorded in the ledger)")
    if not summary.ok:
        raise RefusedError(
            "the network stage playbook failed: " + "; ".join(f for r in summary.runs for f in r.failures)
        )
    # render records its own run.render entry, signed: the key goes to it through the environment
    env = {**os.environ, SIGNING_KEY_ENV: str(key), workspace.LEDGER_ENV: str(path)}
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
        say("no pulumi CLI on PATH: apply manifests/ with your GitOps tool or kubectl")
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
        ledger=path,
        key=key,
        inventory=inventory,
    )
    if done.returncode != 0:
        raise RefusedError(f"pulumi up failed (exit {done.returncode}); recorded in the ledger")


# ---------------------------------------------------------------------------------------------------------
# run records


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
        ledger_path=workspace.ledger_path(inventory, ledger),
        key=key,
        inventory_dir=inventory,
        roster=people_file.load_roster(inventory, required=key is not None),
        settings=_settings(inventory).orchestration,
    )


@dataclasses.dataclass(frozen=True)
class RunRecord:
    """What :func:`record_run_if_ledger` did: the entry written, or why none was (nothing: no ledger yet)."""

    entry: Entry | None
    refused: str | None = None

    def render(self) -> str | None:
        """The line the CLI shows (None when there was nothing to record)."""
        if self.refused is not None:
            return f"not recorded in the ledger: {self.refused}"
        if self.entry is None:
            return None
        signed = f"signed by {self.entry.actor}" if self.entry.signature else "unsigned"
        return f"ledger entry {self.entry.seq} {self.entry.kind} ({signed})"


def record_run_if_ledger(
    *, kind: EntryKind, summary: dict[str, object], system: str | None, inventory: Path
) -> RunRecord:
    """For ``network apply|check`` and ``render``: record the run; a failure to record is reported, not raised.

    Recorded once the programme has a ledger (made by ``advance`` or ``ledger adopt``) or when a signing key
    is set, so that running a playbook in a scratch checkout does not start a ledger of its own.
    """
    if not workspace.ledger_path(inventory, None).exists() and signing_key(None, required=False) is None:
        return RunRecord(None)
    try:
        entry = record_run(kind=kind, summary=summary, system=system, ledger=None, key=None, inventory=inventory)
    except GovcloudError as exc:
        return RunRecord(None, str(exc))
    return RunRecord(entry)


# ---------------------------------------------------------------------------------------------------------
# reading the ledger


@dataclasses.dataclass(frozen=True)
class Verified:
    report: verification.VerifyReport
    people: int
    """People in the roster the signatures were checked against."""


def verify(*, inventory: Path, ledger: Path | None) -> Verified:
    """Recompute the chain from the first entry and check every signature and signer's role."""
    path = workspace.ledger_path(inventory, ledger)
    roster = people_file.load_roster(inventory, required=False)
    with store.open_ledger(path, create=False) as opened:
        report = verification.verify_ledger(opened, roster, _settings(inventory).orchestration)
    return Verified(report, len(roster.people))


def entries(
    *, inventory: Path, ledger: Path | None, system: str | None, department: str | None, since: str | None
) -> list[Entry]:
    """The ledger's entries, oldest first, filtered."""
    with store.open_ledger(workspace.ledger_path(inventory, ledger), create=False) as opened:
        return opened.entries(system=system, department=department, since=since)


EXPORT_COLUMNS = (
    "seq",
    "time",
    "kind",
    "actor",
    "system",
    "department",
    "stage",
    "payload",
    "evidence",
    "inventory_revision",
    "signer",
    "prev_hash",
    "hash",
    "signature",
)


def export_text(found: Sequence[Entry], *, as_csv: bool) -> str:
    """Every entry with its hashes and signature, for auditors: JSON, or CSV with the payload as JSON."""
    if not as_csv:
        return json.dumps([e.to_json() for e in found], ensure_ascii=False, indent=1) + "\n"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(EXPORT_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for entry in found:
        row: dict[str, Any] = entry.to_json()
        row["payload"] = json.dumps(row["payload"], ensure_ascii=False, sort_keys=True)
        row["evidence"] = json.dumps(row["evidence"], ensure_ascii=False)
        writer.writerow(row)
    return buffer.getvalue()


def write_text(out: Path, text: str) -> None:
    """Write an export (atomically)."""
    yamlio.write_atomic(out, text)


def describe(entry: Entry) -> str:
    """What an entry did, in a few words (``ledger log``'s "what" column)."""
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


# ---------------------------------------------------------------------------------------------------------
# replay, adopt


@dataclasses.dataclass(frozen=True)
class Replayed:
    stages: int
    """Stages the projection holds."""
    repaired: tuple[str, ...]
    """What was repaired in the plan files, one line each."""


def replay(*, inventory: Path, plans_dir: Path, ledger: Path | None) -> Replayed:
    """Rebuild the status projection from the entries and write the ledger's statuses into the plan files."""
    with store.open_ledger(workspace.ledger_path(inventory, ledger), create=False) as opened:
        states = opened.replay()
    repaired = advancing.repair(plans_dir, advancing.disagreements(plans_dir, states))
    return Replayed(len(states), tuple(repaired))


@dataclasses.dataclass(frozen=True)
class Adopted:
    entry: Entry | None
    """None: the ledger already records every plan status."""
    statuses: int


def adopt(
    *,
    key: Path | None,
    inventory: Path,
    plans_dir: Path,
    ledger: Path | None,
    census: Callable[[], model.Inventory],
) -> Adopted:
    """Record the plan files' statuses the ledger does not know yet (the plans read strictly).

    ``census`` loads the inventory, after the roster and the key are found (their problems come first).
    """
    settings = _settings(inventory)
    roster = people_file.load_roster(inventory)
    key_path = _required_key(key)
    entry, count = advancing.adopt(
        ledger_path=workspace.ledger_path(inventory, ledger),
        plans_dir=plans_dir,
        key=key_path,
        roster=roster,
        settings=settings.orchestration,
        inventory_revision=network_runs.inventory_revision(inventory),
        census=census(),
    )
    return Adopted(entry, count)


# ---------------------------------------------------------------------------------------------------------
# sign-off, confirm, allowed signers


def _roster(inventory: Path, census: model.Inventory) -> Roster:
    return people_file.load_roster(inventory, departments=census.department_by_code.keys())


def signoff(
    *,
    code: str,
    stage: Stage,
    reason: str | None,
    evidence: Sequence[Path],
    key: Path | None,
    inventory: Path,
    ledger: Path | None,
    census: model.Inventory,
) -> Entry:
    """A security officer's sign-off of a stage in progress (business done of MLPS 3 systems needs it)."""
    system = census.system_by_code.get(code)
    if system is None:
        raise RefusedError(f"unknown system {code!r}: nothing written")
    settings = _settings(inventory)
    roster = _roster(inventory, census)
    key_path = signing_key(key, required=True)

    def check(states: dict[transitions.StageKey, transitions.StageState]) -> None:
        state = states.get((code, stage.value))
        if state is None or state.status is not transitions.LedgerStatus.IN_PROGRESS:
            now = state.status.value if state is not None else "pending"
            raise RefusedError(f"{code} {stage.value} is {now}: sign off a stage in progress: nothing written")

    return advancing.record(
        ledger_path=workspace.ledger_path(inventory, ledger),
        draft=Draft(
            kind=EntryKind.STAGE_SIGNOFF,
            actor=None,
            system=code,
            department=system.department,
            stage=stage.value,
            payload={"what": "acceptance and 等保 test", "reason": reason, "mlps_level": system.mlps_level},
            evidence=advancing.evidence_of(tuple(evidence)),
            inventory_revision=network_runs.inventory_revision(inventory),
        ),
        key=key_path,
        roster=roster,
        settings=settings.orchestration,
        check=check,
    )


def confirm(
    *,
    code: str,
    disposition: str,
    reason: str,
    merge_into: str | None,
    key: Path | None,
    inventory: Path,
    ledger: Path | None,
    census: model.Inventory,
) -> tuple[Entry, model.Disposition]:
    """The department's lead confirms a proposed disposition (下线/整合); every problem refused at once."""
    system = census.system_by_code.get(code)
    problems = []
    if system is None:
        problems.append(f"unknown system {code!r}")
    try:
        chosen: model.Disposition | None = model.Disposition(disposition)
    except ValueError:
        allowed = ", ".join(d.value for d in model.Disposition)
        problems.append(f"unknown disposition {disposition!r}: one of {allowed}")
        chosen = None
    if chosen is model.Disposition.MERGE and (merge_into is None or merge_into not in census.system_by_code):
        problems.append(f"整合 needs --merge-into an existing system (got {merge_into!r})")
    if problems or system is None or chosen is None:
        raise RefusedError("; ".join(problems) + ": nothing written")
    settings = _settings(inventory)
    roster = _roster(inventory, census)
    entry = advancing.record(
        ledger_path=workspace.ledger_path(inventory, ledger),
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
    return entry, chosen


def write_allowed_signers(*, inventory: Path, out: Path) -> int:
    """The roster as an allowed-signers file (``ssh-keygen -Y verify -n govcloud``); the number of keys written."""
    roster = people_file.load_roster(inventory)
    yamlio.write_atomic(out, sshsig.allowed_signers_text(people_file.allowed_signers(roster)))
    return sum(len(p.keys) for p in roster.people)
