"""``govcloud advance``: move one stage of one system, through its gates and roles, onto the ledger. Edge.

The order of writes is what makes a crash harmless: **the ledger entry first** (one SQLite transaction),
**then the plan file's status** (round-trip, atomic rename). A crash in between leaves a plan file that
disagrees with the ledger, which is the truth; the next ``advance``, ``ledger replay`` or ``plan --check``
finds the disagreement, and advance and replay repair it and say so.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from govcloud.core import model
from govcloud.core.settings import OrchestrationSettings
from govcloud.edges import yamlio
from govcloud.errors import InputError, Problem, RefusedError
from govcloud.network.edges import network_runs
from govcloud.orchestration.core import roster as roster_rules
from govcloud.orchestration.core import status, transitions
from govcloud.orchestration.core.entries import Draft, Entry, EntryKind, Evidence
from govcloud.orchestration.edges import sshsig, status_cache, store
from govcloud.planning.core import plan_view, plans
from govcloud.planning.core.stages import STAGE_ORDER, Stage, StageStatus
from govcloud.planning.edges import plan_files, plan_progress
from govcloud.sharing.core import grants
from govcloud.sharing.edges import request_files

FAULT_AFTER_LEDGER_ENV = "GOVCLOUD_FAULT_AFTER_LEDGER_COMMIT"
"""Fault injection for the crash tests: a file path; advance creates it after the ledger commit and then
waits (up to 60 s) before writing the plan file, so a test can kill it exactly there."""


@dataclasses.dataclass(frozen=True)
class KeySigner:
    """A private key file and its public key's fingerprint."""

    path: Path
    fingerprint: str

    @classmethod
    def of(cls, path: Path) -> KeySigner:
        if not path.exists():
            raise RefusedError(f"{path}: no such key file: nothing written")
        return cls(path, sshsig.read_public_key_of(path).fingerprint)

    def sign(self, message: bytes) -> str:
        return sshsig.sign(self.path, message)


def evidence_of(paths: Sequence[Path]) -> tuple[Evidence, ...]:
    """Each file by its SHA-256; a missing file is an input error (nothing written)."""
    problems = [Problem(str(p), None, "--evidence", "no such file") for p in paths if not p.is_file()]
    if problems:
        raise InputError(problems, "evidence files are missing")
    return tuple(Evidence(str(p), hashlib.sha256(p.read_bytes()).hexdigest()) for p in paths)


# ---------------------------------------------------------------------------------------------------------
# The plan file of a stage


@dataclasses.dataclass(frozen=True)
class StageFile:
    path: Path
    stage_plan: plans.StagePlan
    department: str
    owner: str | None


def read_stage_plan(plans_dir: Path, system: str, stage: Stage) -> StageFile:
    """The stage's plan (gates, dates) from ``migrations_plan/<CODE>.yaml``; an input error if it cannot be read.

    Read by the one plan reader (:func:`govcloud.planning.edges.plan_progress.read_plan_file`,
    :func:`govcloud.planning.core.plan_view.parse_plan`): a file that is not UTF-8 or not YAML, a gate that
    cannot be read or a missing date is an :class:`InputError` naming its line, never a traceback.
    """
    path = plan_files.plan_path(plans_dir, system)
    if not path.is_file():
        raise InputError(
            [Problem(str(path), None, "", f"no plan file for {system} (govcloud plan --write)")], "no plan"
        )
    plan_file = plan_progress.read_plan_file(path)
    if plan_file.unreadable is not None:
        found = plan_file.unreadable
        raise InputError([Problem(str(path), found.line, found.field, found.message)], "the plan file has problems")
    text, data = plan_file.text, plan_file.data
    view = plan_view.parse_plan(
        data, path=str(path), file_name=path.name, lines=lambda where: yamlio.line_of(text, where)
    ).view
    if view is None or not isinstance(data.get("stages"), list):
        raise InputError([Problem(str(path), 1, "stages", "not a migration plan: no stages")], "not a migration plan")
    block = view.stage(stage)
    if block is None:
        raise InputError([Problem(str(path), 1, "stages", f"no {stage.value} stage")], "the plan file has problems")
    problems: list[Problem] = []

    def problem(where: tuple[str | int, ...], message: str) -> None:
        problems.append(Problem(str(path), view.line(where), plan_view.field_of(where), message))

    if block.status is None:
        problem((*block.where, "status"), "the status cannot be read (govcloud plan --check says why)")
    for key, value in (("target_start", block.target_start), ("target_end", block.target_end)):
        if value is None:
            problem((*block.where, key), f"the {stage.value} stage needs a {key} date (YYYY-MM-DD)")
    for gate in (*block.entry_gates, *block.exit_gates):
        if gate.gate is None:
            problem(gate.where, "this gate cannot be read (govcloud plan --check says why)")
    if problems or block.status is None or block.target_start is None or block.target_end is None:
        raise InputError(problems, "the plan file has problems")
    stage_plan = plans.StagePlan(
        stage=stage,
        status=block.status,
        target_start=block.target_start,
        target_end=block.target_end,
        entry_gates=tuple(g.gate for g in block.entry_gates if g.gate is not None),
        exit_gates=tuple(g.gate for g in block.exit_gates if g.gate is not None),
    )
    owner = view.owner.name if view.owner is not None and view.owner.name else None
    return StageFile(path, stage_plan, view.department or "", owner)


# ---------------------------------------------------------------------------------------------------------
# Repairing plan files from the ledger


@dataclasses.dataclass(frozen=True)
class Disagreement:
    system: str
    stage: Stage
    plan_file: str
    plan_status: str
    ledger_status: StageStatus
    state: transitions.StageState

    def render(self) -> str:
        return (
            f"{self.plan_file}: {self.system} {self.stage.value} is {self.plan_status} in the plan file but "
            f"{self.state.status.value} in the ledger (entry {self.state.seq} by {self.state.actor})"
        )


def disagreements(
    plans_dir: Path,
    states: Mapping[transitions.StageKey, transitions.StageState],
    *,
    plan_facts: Sequence[status.PlanFacts] | None = None,
) -> list[Disagreement]:
    """Plan statuses that differ from what the ledger says they must be (plan facts read when not given)."""
    facts = plan_facts if plan_facts is not None else status_cache.read_plan_facts(plans_dir)
    recorded = {p.system: {s.stage: s.status for s in p.stages} for p in facts}
    found: list[Disagreement] = []
    for (system, _stage), state in sorted(states.items()):
        in_file = recorded.get(system)
        path = plan_files.plan_path(plans_dir, system)
        if in_file is None:
            if path.exists():
                found.append(Disagreement(system, state.stage, str(path), "unreadable", state.plan_status, state))
            continue
        now = in_file.get(state.stage, StageStatus.PENDING)
        if now is not state.plan_status:
            found.append(Disagreement(system, state.stage, str(path), now.value, state.plan_status, state))
    return found


def block_note(state: transitions.StageState) -> str | None:
    if state.status is transitions.LedgerStatus.BLOCKED:
        return f"blocked since {state.time[:10]} by {state.actor}: {state.reason}"
    return None


def repair(plans_dir: Path, found: Sequence[Disagreement]) -> list[str]:
    """Write the ledger's statuses into the plan files that disagree; return what was repaired."""
    repaired = []
    for item in found:
        path = Path(item.plan_file)
        if not path.exists():
            continue
        plan_files.set_stage_status(path, item.stage, item.ledger_status, note=block_note(item.state))
        repaired.append(f"repaired {item.render()}: now {item.ledger_status.value}")
    return repaired


# ---------------------------------------------------------------------------------------------------------
# Advance


@dataclasses.dataclass(frozen=True)
class AdvanceRequest:
    system: str
    stage: Stage
    to: transitions.LedgerStatus
    reason: str | None
    evidence: tuple[Path, ...]
    key: Path
    overrides: tuple[str, ...]
    inventory_dir: Path
    plans_dir: Path
    ledger_path: Path


@dataclasses.dataclass(frozen=True)
class AdvanceOutcome:
    written: tuple[Entry, ...]
    gates: tuple[transitions.GateResult, ...]
    repaired: tuple[str, ...]
    plan_file: str
    moved: bool
    """False when only overrides were recorded (the signer may override but not move the stage)."""
    commands: tuple[str, ...]


def advance(
    request: AdvanceRequest,
    *,
    facts: Mapping[str, status.SystemFacts],
    plan_facts: Sequence[status.PlanFacts],
    roster: roster_rules.Roster,
    settings: OrchestrationSettings,
    inventory_revision: str | None,
    today: dt.date | None = None,
) -> AdvanceOutcome:
    """Check everything, then write the ledger entries, then the plan file; refuse with every problem at once.

    ``facts`` and ``plan_facts`` come from the status cache (:mod:`govcloud.orchestration.edges.status_cache`),
    so a move on a province does not read the whole census; their gate verdicts are the planning core's.
    """
    today = today or dt.datetime.now(dt.UTC).date()
    system = facts.get(request.system)
    if system is None:
        raise InputError(
            [Problem(str(request.inventory_dir), None, "CODE", f"unknown system {request.system!r}")], "unknown system"
        )
    stage_file = read_stage_plan(request.plans_dir, request.system, request.stage)
    signer = KeySigner.of(request.key)
    person = roster_rules.identify(roster, fingerprint=signer.fingerprint)
    evidence = evidence_of(request.evidence)
    rule = transitions.Request(
        system=system.code,
        department=system.department,
        mlps_level=system.mlps_level or 0,
        stage=request.stage,
        to=request.to,
        reason=request.reason,
        overrides=request.overrides,
    )
    override_need = roster_rules.Need(roster_rules.Role(settings.override_role), system.department, "overriding a gate")
    may_override = person.holds(override_need.role, override_need.department, today)
    may_move = all(person.holds(n.role, n.department, today) for n in transitions.needs(rule, settings))
    if request.overrides and not may_override:
        raise RefusedError(
            f"{person.describe()} lacks the role this needs: {override_need.describe()}: nothing written"
        )
    if not request.overrides and not may_move:
        roster_rules.authorize(
            roster, actor=None, fingerprint=signer.fingerprint, needs=transitions.needs(rule, settings), on=today
        )

    callers = {p.system: p.callers for p in plan_facts}
    gates = transitions.gates_for(request.to, stage_file.stage_plan, system=system.code)
    # the day's grants and registrations, only when a gate asks (request files are few: read them, no cache)
    allowed = (
        sharing_authorisations(request.inventory_dir, on=today)
        if any(g.gate is plans.GateKind.CONSUMPTION_AUTHORISED for _, g in gates)
        else None
    )
    with store.open_ledger(request.ledger_path) as ledger:
        repaired = repair(request.plans_dir, disagreements(request.plans_dir, ledger.states(), plan_facts=plan_facts))
        evaluated: list[transitions.GateResult] = []

        def decide(states: dict[transitions.StageKey, transitions.StageState]) -> list[store.SignedDraft]:
            nonlocal evaluated
            key = (system.code, request.stage.value)
            current = states.get(key)
            known_overrides = (*(current.overrides if current is not None else ()), *request.overrides)
            statuses_now = status.current_statuses(plan_facts, states)
            context = status.GateContext(facts, statuses_now, callers, authorisations=allowed)
            evaluated = transitions.evaluate_gates(
                gates, evaluate=lambda gate: status.evaluate_gate(gate, context), overrides=known_overrides
            )
            statuses = statuses_now.get(system.code, {})
            problems = transitions.transition_problems(rule, current)
            problems += transitions.order_problems(rule, statuses)
            unknown = [
                name for name in request.overrides if not any(name in {g.gate.gate.value, g.where} for g in evaluated)
            ]
            problems += [f"--override-gate {name}: this move has no such gate" for name in unknown]
            drafts: list[store.SignedDraft] = []
            for name in request.overrides:
                result = next((g for g in evaluated if name in {g.gate.gate.value, g.where}), None)
                if result is None:
                    continue
                drafts.append(
                    _signed(
                        signer,
                        Draft(
                            kind=EntryKind.GATE_OVERRIDE,
                            actor=person.id,
                            system=system.code,
                            department=system.department,
                            stage=request.stage.value,
                            payload={
                                "gate": result.gate.gate.value,
                                "where": result.where,
                                "describe": result.gate.describe(),
                                "holds": result.holds,
                                "evidence": result.evidence,
                                "reason": request.reason,
                                "for": request.to.value,
                            },
                            evidence=evidence,
                            inventory_revision=inventory_revision,
                        ),
                    )
                )
            if request.overrides and not may_move:
                if problems:
                    raise RefusedError(_refusal(system.code, request, problems, evaluated))
                return drafts  # the programme office overrides; the department's lead moves the stage
            failing = [g for g in evaluated if not g.holds and not g.overridden]
            problems += [
                f"gate {g.where} {g.gate.gate.value} ({g.gate.describe()}) fails: {g.evidence}" for g in failing
            ]
            missing = transitions.signoff_missing(rule, current, roster, settings, today)
            if missing is not None:
                problems.append(missing)
            if problems:
                raise RefusedError(_refusal(system.code, request, problems, evaluated))
            before = current.status.value if current is not None else "pending"
            drafts.append(
                _signed(
                    signer,
                    Draft(
                        kind=EntryKind.STAGE_TRANSITION,
                        actor=person.id,
                        system=system.code,
                        department=system.department,
                        stage=request.stage.value,
                        payload={
                            "from": before,
                            "to": request.to.value,
                            "reason": request.reason,
                            "gates": [
                                {
                                    "where": g.where,
                                    "gate": g.gate.gate.value,
                                    "holds": g.holds,
                                    "overridden": g.overridden,
                                    "evidence": g.evidence,
                                }
                                for g in evaluated
                            ],
                        },
                        evidence=evidence,
                        inventory_revision=inventory_revision,
                    ),
                )
            )
            return drafts

        written = ledger.append(decide)
        states = ledger.states()
    moved = any(e.kind == EntryKind.STAGE_TRANSITION for e in written)
    if moved:
        _fault_point()
        state = states[(system.code, request.stage.value)]
        plan_files.set_stage_status(stage_file.path, request.stage, state.plan_status, note=block_note(state))
    return AdvanceOutcome(
        written=tuple(written),
        gates=tuple(evaluated),
        repaired=tuple(repaired),
        plan_file=str(stage_file.path),
        moved=moved,
        commands=tuple(stage_commands(system.code, system.department, request.stage) if moved else ()),
    )


def sharing_authorisations(inventory_dir: Path, *, on: dt.date) -> grants.Authorisations | None:
    """Who may consume what on ``on``, from ``sharing/requests/`` beside the inventory (None when there is none)."""
    if not request_files.requests_dir(inventory_dir).is_dir():
        return None
    return grants.authorisations(request_files.load_requests(inventory_dir).requests, on=on)


def _signed(signer: KeySigner, draft: Draft) -> store.SignedDraft:
    return store.SignedDraft(draft=draft, fingerprint=signer.fingerprint, sign=signer.sign)


def _refusal(
    code: str, request: AdvanceRequest, problems: Sequence[str], gates: Sequence[transitions.GateResult]
) -> str:
    lines = [f"refused: {code} {request.stage.value} → {request.to.value}; nothing written:"]
    lines += [f"  - {p}" for p in problems]
    holding = [g for g in gates if g.holds]
    if holding:
        lines.append("  gates that hold:")
        lines += [f"    {g.render()}" for g in holding]
    return "\n".join(lines)


def _fault_point() -> None:
    marker = os.environ.get(FAULT_AFTER_LEDGER_ENV)
    if not marker:
        return
    Path(marker).write_text(str(os.getpid()), encoding="utf-8")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the crash test kills the process here
        time.sleep(0.05)


def stage_commands(system: str, department: str, stage: Stage) -> list[str]:
    """What to run now that the stage moved (printed without --apply, run with it)."""
    commands = [f"ansible-playbook {plans.SYSTEM_STAGE_PLAYBOOK} -e system={system}"]
    commands.append(
        f"govcloud render --out manifests/   # then kubectl apply -f manifests/department-{department.lower()}.yaml"
    )
    commands.append(f"pulumi -C {plans.DEPARTMENTS_STACK} up   # when the departments stack is managed by Pulumi")
    return commands


# ---------------------------------------------------------------------------------------------------------
# Other signed entries


def record(
    *,
    ledger_path: Path,
    draft: Draft,
    key: Path | None,
    roster: roster_rules.Roster,
    settings: OrchestrationSettings,
    today: dt.date | None = None,
    check: Any = None,
) -> Entry:
    """Sign and append one entry after checking the signer's role for its kind (``check`` may refuse inside)."""
    today = today or dt.datetime.now(dt.UTC).date()
    signer = KeySigner.of(key) if key is not None else None
    person: roster_rules.Person | None = None
    if signer is not None:
        needs = transitions.needs_of_entry(draft.kind.value, draft.department, draft.payload, settings)
        person = roster_rules.authorize(roster, actor=None, fingerprint=signer.fingerprint, needs=needs, on=today)
    elif draft.kind not in {EntryKind.RUN_NETWORK, EntryKind.RUN_RENDER, EntryKind.RUN_PULUMI, EntryKind.CENSUS_IMPORT}:
        raise RefusedError(f"a {draft.kind.value} entry must be signed (--key KEY): nothing written")
    final = dataclasses.replace(draft, actor=person.id if person is not None else draft.actor)

    def decide(states: dict[transitions.StageKey, transitions.StageState]) -> list[store.SignedDraft]:
        if check is not None:
            check(states)
        if signer is None:
            return [store.SignedDraft(final)]
        return [_signed(signer, final)]

    with store.open_ledger(ledger_path) as ledger:
        (entry,) = ledger.append(decide)
    return entry


def adopt(
    *,
    ledger_path: Path,
    plans_dir: Path,
    key: Path,
    roster: roster_rules.Roster,
    settings: OrchestrationSettings,
    inventory_revision: str | None,
    census: model.Inventory,
) -> tuple[Entry | None, int]:
    """Record every plan status the ledger does not know yet (signed by the adopt role); return it and its count.

    The plans are read strictly (the whole ``plan --check``): statuses from broken plan files are never adopted.
    """
    tracking = plan_progress.load_progress(plans_dir, inventory=census)
    departments = _departments_of(plans_dir)
    count = 0

    def statuses(states: Mapping[transitions.StageKey, transitions.StageState]) -> dict[str, dict[str, str]]:
        found: dict[str, dict[str, str]] = {}
        for code, item in sorted(tracking.items()):
            for stage in STAGE_ORDER:
                if stage in item.statuses and (code, stage.value) not in states:
                    found.setdefault(code, {})[stage.value] = item.statuses[stage].value
        return found

    with store.open_ledger(ledger_path) as ledger:
        pending = statuses(ledger.states())
    if not pending:
        return None, 0
    count = sum(len(v) for v in pending.values())

    def check(states: dict[transitions.StageKey, transitions.StageState]) -> None:
        if statuses(states) != pending:
            raise RefusedError("the ledger changed while adopting: run adopt again")

    entry = record(
        ledger_path=ledger_path,
        draft=Draft(
            kind=EntryKind.LEDGER_ADOPT,
            actor=None,
            payload={"statuses": pending, "departments": {c: departments.get(c) for c in pending}},
            inventory_revision=inventory_revision,
        ),
        key=key,
        roster=roster,
        settings=settings,
        check=check,
    )
    return entry, count


def _departments_of(plans_dir: Path) -> dict[str, str]:
    """System → the department its plan file names (files that cannot be read, or name none, left out)."""
    views = plan_progress.read_plans(plans_dir).views
    return {code: view.department for code, view in views.items() if view.department is not None}


def ledger_backed_problems(plans_dir: Path, ledger_path: Path) -> tuple[list[Problem], str]:
    """For ``plan --check``: plan statuses that disagree with the ledger (errors), and a one-line verdict."""
    if not ledger_path.exists():
        return (
            [],
            f"statuses are not yet ledger-backed (no ledger at {ledger_path}: govcloud ledger adopt records them)",
        )
    with store.open_ledger(ledger_path, create=False) as ledger:
        states = ledger.states()
    found = disagreements(plans_dir, states)
    plan_set = plan_progress.read_plans(plans_dir)  # the one reader: where each stage's status is, and progress
    problems = []
    for item in found:
        view = plan_set.views.get(item.system)
        block = view.stage(item.stage) if view is not None else None
        if view is not None and block is not None:
            where: tuple[str | int, ...] = (*block.where, "status")
            line = view.line(where)
        else:  # the file cannot be read: its stage is where the order puts it
            where = ("stages", next((i for i, s in enumerate(STAGE_ORDER) if s is item.stage), 0), "status")
            line = None
        problems.append(
            Problem(
                item.plan_file,
                line,
                plan_view.field_of(where),
                f"{item.plan_status} disagrees with the ledger: {item.state.status.value} (entry {item.state.seq} by "
                f"{item.state.actor}); govcloud ledger replay writes the ledger's status",
            )
        )
    tracking = plan_set.lenient().progress
    started = {c for c, t in tracking.items() if any(s is not StageStatus.PENDING for s in t.statuses.values())}
    unbacked = sorted(c for c in started if not any((c, s.value) in states for s in STAGE_ORDER))
    verdict = f"ledger {ledger_path}: {len(states)} stage(s) recorded, {len(found)} plan status(es) disagree"
    if unbacked:
        verdict += f"; {len(unbacked)} started system(s) not in the ledger yet (govcloud ledger adopt)"
    return problems, verdict


def record_run(
    *,
    kind: EntryKind,
    summary: Mapping[str, Any],
    system: str | None,
    ledger_path: Path,
    key: Path | None,
    inventory_dir: Path,
    roster: roster_rules.Roster,
    settings: OrchestrationSettings,
) -> Entry:
    """Append a run record (``run.network``, ``run.render``, ...) with its summary as evidence.

    Signed when a key is given (its owner must be in the roster); unsigned run evidence is allowed and
    ``ledger verify`` shows it as such.
    """
    text = json.dumps(summary, ensure_ascii=False, sort_keys=True)
    revision = summary.get("inventory_revision")
    draft = Draft(
        kind=kind,
        actor=None,
        system=system,
        payload={"summary": dict(summary)},
        evidence=(Evidence("summary.json", hashlib.sha256(text.encode()).hexdigest()),),
        inventory_revision=str(revision) if revision else network_runs.inventory_revision(inventory_dir),
    )
    return record(ledger_path=ledger_path, draft=draft, key=key, roster=roster, settings=settings)
