"""Stage transitions: which moves are allowed, which roles and gates they need, and the state the ledger implies.

Pure. The ledger is the truth about every stage: :func:`project` replays its entries into a
:class:`StageState` per (system, stage). ``blocked`` is a ledger status, not a plan status: a blocked stage
keeps, in its plan file, the status it had (pending or in_progress), because provisioning reads plan files and
a block must not open or close flows; the block shows in every status view until it is cleared.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from govcloud.assessment.core import assessment
from govcloud.core import model
from govcloud.core.settings import OrchestrationSettings
from govcloud.orchestration.core import roster as roster_rules
from govcloud.orchestration.core.entries import Entry, EntryKind
from govcloud.planning.core import plans, stages
from govcloud.planning.core.stages import STAGE_ORDER, Stage, StageStatus


class LedgerStatus(enum.StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    BLOCKED = "blocked"


ALLOWED: Mapping[LedgerStatus, frozenset[LedgerStatus]] = {
    LedgerStatus.PENDING: frozenset({LedgerStatus.IN_PROGRESS, LedgerStatus.BLOCKED}),
    LedgerStatus.IN_PROGRESS: frozenset({LedgerStatus.DONE, LedgerStatus.BLOCKED, LedgerStatus.PENDING}),
    LedgerStatus.BLOCKED: frozenset({LedgerStatus.IN_PROGRESS, LedgerStatus.PENDING}),
    LedgerStatus.DONE: frozenset({LedgerStatus.IN_PROGRESS}),
}
"""From → allowed targets. Done → in_progress reopens a stage (a rollback after cut-over) and needs a reason."""

StageKey = tuple[str, str]
"""(system code, stage name)."""


@dataclasses.dataclass(frozen=True)
class StageState:
    """What the ledger says about one stage of one system."""

    system: str
    stage: Stage
    status: LedgerStatus
    plan_status: StageStatus
    """The status its plan file must hold (a block keeps the status it had)."""
    seq: int
    time: str
    actor: str | None
    reason: str | None = None
    started: str | None = None
    """When it first went in progress."""
    finished: str | None = None
    """When it last went done (None once reopened)."""
    signed_by: tuple[str, ...] = ()
    """Actors whose stage.signoff entries count for the current attempt."""
    overrides: tuple[str, ...] = ()
    """Gate kinds overridden for the current attempt."""
    department: str | None = None


def plan_status_of(status: LedgerStatus, before: StageStatus) -> StageStatus:
    if status is LedgerStatus.BLOCKED:
        return before
    return StageStatus(status.value)


def apply(states: dict[StageKey, StageState], entry: Entry) -> list[StageKey]:
    """Fold one entry into ``states``; return the keys it changed."""
    kind = entry.kind
    if kind == EntryKind.LEDGER_ADOPT:
        changed: list[StageKey] = []
        adopted: Mapping[str, Any] = entry.payload.get("statuses", {})
        departments: Mapping[str, Any] = entry.payload.get("departments", {})
        for system, by_stage in sorted(adopted.items()):
            for stage_name, status_text in sorted(by_stage.items()):
                key = (system, stage_name)
                if key in states:
                    continue
                status = StageStatus(status_text)
                states[key] = StageState(
                    system=system,
                    stage=Stage(stage_name),
                    status=LedgerStatus(status.value),
                    plan_status=status,
                    seq=entry.seq,
                    time=entry.time,
                    actor=entry.actor,
                    reason="adopted from the plan file",
                    started=entry.time if status is not StageStatus.PENDING else None,
                    finished=entry.time if status is StageStatus.DONE else None,
                    department=departments.get(system),
                )
                changed.append(key)
        return changed
    if entry.system is None or entry.stage is None:
        return []
    key = (entry.system, entry.stage)
    current = states.get(key)
    if kind == EntryKind.STAGE_TRANSITION:
        to = LedgerStatus(str(entry.payload["to"]))
        before = current.plan_status if current is not None else StageStatus.PENDING
        started = current.started if current is not None else None
        if to is LedgerStatus.IN_PROGRESS and (started is None or (current and current.status is LedgerStatus.PENDING)):
            started = entry.time
        if to is LedgerStatus.PENDING:
            started = None
        finished = entry.time if to is LedgerStatus.DONE else None
        # sign-offs and overrides belong to one attempt at the stage: rolling back or reopening starts a new one
        keep_attempt = (
            current is not None and to is not LedgerStatus.PENDING and current.status is not LedgerStatus.DONE
        )
        states[key] = StageState(
            system=entry.system,
            stage=Stage(entry.stage),
            status=to,
            plan_status=plan_status_of(to, before),
            seq=entry.seq,
            time=entry.time,
            actor=entry.actor,
            reason=entry.payload.get("reason"),
            started=started,
            finished=finished,
            signed_by=current.signed_by if keep_attempt and current is not None else (),
            overrides=current.overrides if keep_attempt and current is not None else (),
            department=entry.department or (current.department if current else None),
        )
        return [key]
    if kind in {EntryKind.STAGE_SIGNOFF, EntryKind.GATE_OVERRIDE}:
        base = current or StageState(
            system=entry.system,
            stage=Stage(entry.stage),
            status=LedgerStatus.PENDING,
            plan_status=StageStatus.PENDING,
            seq=entry.seq,
            time=entry.time,
            actor=None,
            department=entry.department,
        )
        if kind == EntryKind.STAGE_SIGNOFF and entry.actor is not None:
            base = dataclasses.replace(base, signed_by=(*base.signed_by, entry.actor))
        elif kind == EntryKind.GATE_OVERRIDE:
            base = dataclasses.replace(base, overrides=(*base.overrides, str(entry.payload.get("gate"))))
        states[key] = base
        return [key]
    return []


def project(entries: Iterable[Entry]) -> dict[StageKey, StageState]:
    """The state of every stage the ledger knows, from its entries in order."""
    states: dict[StageKey, StageState] = {}
    for entry in entries:
        apply(states, entry)
    return states


# ---------------------------------------------------------------------------------------------------------
# Rules of a transition


@dataclasses.dataclass(frozen=True)
class Request:
    system: str
    department: str
    mlps_level: int
    stage: Stage
    to: LedgerStatus
    reason: str | None
    overrides: tuple[str, ...] = ()


def transition_problems(request: Request, current: StageState | None) -> list[str]:
    """Why the move itself is not allowed (not counting gates and roles); empty when it is."""
    problems: list[str] = []
    now = current.status if current is not None else LedgerStatus.PENDING
    if now is request.to:
        by = f" (by {current.actor} at {current.time})" if current is not None and current.actor else ""
        problems.append(f"{request.system} {request.stage.value} is already {now.value}{by}")
    elif request.to not in ALLOWED[now]:
        allowed = ", ".join(sorted(s.value for s in ALLOWED[now]))
        problems.append(f"{request.system} {request.stage.value} is {now.value}: it can go to {allowed}")
    if request.to is LedgerStatus.BLOCKED and not (request.reason or "").strip():
        problems.append("blocked needs a reason (--reason)")
    if now is LedgerStatus.DONE and request.to is LedgerStatus.IN_PROGRESS and not (request.reason or "").strip():
        problems.append("reopening a done stage needs a reason (--reason)")
    if request.overrides and not (request.reason or "").strip():
        problems.append("a gate override needs a reason (--reason)")
    return problems


def order_problems(request: Request, statuses: Mapping[Stage, StageStatus]) -> list[str]:
    """What the stage order says against the plan statuses the move would leave."""
    after = dict(statuses)
    before = after.get(request.stage, StageStatus.PENDING)
    after[request.stage] = plan_status_of(request.to, before)
    return [f"stage order: {order.message}" for order in plans.statuses_in_order(after)]


def needs(request: Request, settings: OrchestrationSettings) -> list[roster_rules.Need]:
    """The roles the transition itself needs."""
    return [
        roster_rules.Need(
            roster_rules.Role(settings.transition_role),
            request.department,
            f"moving {request.system} {request.stage.value} to {request.to.value}",
        )
    ]


def signoff_missing(
    request: Request,
    current: StageState | None,
    roster: roster_rules.Roster,
    settings: OrchestrationSettings,
    on: dt.date,
) -> str | None:
    """Business done of an MLPS 3+ system needs a sign-off by the sign-off role for the current attempt."""
    if request.stage is not Stage.BUSINESS or request.to is not LedgerStatus.DONE:
        return None
    if request.mlps_level < settings.signoff_min_mlps_level:
        return None
    role = roster_rules.Role(settings.signoff_role)
    signers = current.signed_by if current is not None else ()
    valid = [s for s in signers if (p := roster.by_id.get(s)) is not None and p.holds(role, request.department, on)]
    if valid:
        return None
    return (
        f"{request.system} is MLPS level {request.mlps_level}: business done needs a {role.value}'s sign-off of the "
        f"acceptance and 等保 test (govcloud ledger signoff {request.system} business --key KEY)"
    )


@dataclasses.dataclass(frozen=True)
class GateResult:
    where: str
    """``entry_gates.N`` or ``exit_gates.N``."""
    gate: plans.Gate
    holds: bool
    evidence: str
    overridden: bool = False

    def render(self) -> str:
        mark = "holds" if self.holds else ("OVERRIDDEN" if self.overridden else "FAILS")
        return f"{self.where} {self.gate.gate.value} ({self.gate.describe()}): {mark}: {self.evidence}"


def gates_for(
    to: LedgerStatus, stage_plan: plans.StagePlan, *, system: str | None = None
) -> list[tuple[str, plans.Gate]]:
    """The gates a move checks: entry gates to start, exit gates to finish; none to block or roll back.

    With ``system``, finishing also checks the stage's statutory gates (``plans.STATUTORY_EXIT_GATES``) that
    its plan file does not name, as ``exit_gates.statutory.<kind>``.
    """
    if to is LedgerStatus.IN_PROGRESS:
        return [(f"entry_gates.{i}", g) for i, g in enumerate(stage_plan.entry_gates)]
    if to is LedgerStatus.DONE:
        found = [(f"exit_gates.{i}", g) for i, g in enumerate(stage_plan.exit_gates)]
        if system is not None:
            found += plans.statutory_exit_gates(stage_plan.stage, system, stage_plan.exit_gates)
        return found
    return []


def evaluate_gates(
    gates: Sequence[tuple[str, plans.Gate]],
    *,
    evaluate: Callable[[plans.Gate], tuple[bool, str]],
    overrides: Iterable[str],
) -> list[GateResult]:
    """Every gate with its result; a failing gate whose kind (or ``where``) was overridden is marked so."""
    overridden = set(overrides)
    results = []
    for where, gate in gates:
        holds, evidence = evaluate(gate)
        results.append(
            GateResult(
                where,
                gate,
                holds,
                evidence,
                overridden=not holds and (gate.gate.value in overridden or where in overridden),
            )
        )
    return results


def overlay_progress(tracking: stages.ProgressMap, states: Mapping[StageKey, StageState]) -> dict[str, stages.Progress]:
    """The plan files' tracking with each stage's status replaced by what the ledger says it must be."""
    merged = dict(tracking)
    by_system: dict[str, dict[Stage, StageStatus]] = {}
    for (system, _stage), state in states.items():
        by_system.setdefault(system, {})[state.stage] = state.plan_status
    for system, statuses in by_system.items():
        base = merged.get(system)
        if base is None:
            merged[system] = stages.Progress(statuses=statuses)
        else:
            merged[system] = dataclasses.replace(base, statuses={**base.statuses, **statuses})
    return merged


def stage_statuses(states: Mapping[StageKey, StageState], system: str) -> dict[Stage, StageStatus]:
    return {
        stage: states[(system, stage.value)].plan_status for stage in STAGE_ORDER if (system, stage.value) in states
    }


# ---------------------------------------------------------------------------------------------------------
# Disposition confirmations


@dataclasses.dataclass(frozen=True)
class Confirmation:
    system: str
    disposition: str
    merge_into: str | None
    reason: str
    actor: str | None
    time: str
    seq: int


def confirmed_dispositions(entries: Iterable[Entry]) -> dict[str, Confirmation]:
    """System code → its latest ``disposition.confirm`` entry (a later confirmation replaces an earlier one)."""
    found: dict[str, Confirmation] = {}
    for entry in entries:
        if entry.kind != EntryKind.DISPOSITION_CONFIRM or entry.system is None:
            continue
        found[entry.system] = Confirmation(
            system=entry.system,
            disposition=str(entry.payload.get("disposition")),
            merge_into=entry.payload.get("merge_into"),
            reason=str(entry.payload.get("reason", "")),
            actor=entry.actor,
            time=entry.time,
            seq=entry.seq,
        )
    return found


def needs_of_entry(
    kind: str, department: str | None, payload: Mapping[str, Any], settings: OrchestrationSettings
) -> list[roster_rules.Need]:
    """The roles the signer of an entry of ``kind`` must hold (checked when written and again by verify)."""
    role = roster_rules.Role
    if kind == EntryKind.STAGE_TRANSITION:
        return [roster_rules.Need(role(settings.transition_role), department, f"moving a stage to {payload.get('to')}")]
    if kind == EntryKind.STAGE_SIGNOFF:
        return [roster_rules.Need(role(settings.signoff_role), department, "signing off a stage")]
    if kind == EntryKind.GATE_OVERRIDE:
        return [roster_rules.Need(role(settings.override_role), department, "overriding a gate")]
    if kind == EntryKind.LEDGER_ADOPT:
        return [roster_rules.Need(role(settings.adopt_role), None, "adopting the plan statuses")]
    if kind == EntryKind.DISPOSITION_CONFIRM:
        return [roster_rules.Need(role(settings.confirm_role), department, "confirming a disposition")]
    if kind == EntryKind.SHARE_EXTEND:
        return [roster_rules.Need(role(settings.share_consent_role), None, "consenting to extend an answer")]
    if kind in SHARE_STEPS:
        return [roster_rules.Need(role(settings.share_approval_role), department, SHARE_STEPS[kind])]
    return []


SHARE_STEPS: Mapping[str, str] = {
    EntryKind.SHARE_REQUEST: "approving a sharing request (the requester's head, Art. 20)",
    EntryKind.SHARE_ANSWER: "approving the answer to a sharing request (the provider's head, Art. 20)",
    EntryKind.SHARE_DELIVER: "recording the delivery of a grant (the provider, Art. 22)",
    EntryKind.SHARE_SUSPEND: "suspending a grant on misuse (the provider, Art. 25, 27)",
    EntryKind.SHARE_RESUME: "resuming a suspended grant (the provider)",
    EntryKind.SHARE_DISPUTE: "taking a sharing dispute a step up (a party's head, Art. 28)",
}
"""The sharing steps signed by a department's ``share_approval_role`` (the extension needs the consent role)."""


def assessment_confirmations(found: Mapping[str, Confirmation]) -> dict[str, assessment.Confirmation]:
    """The ledger's confirmations as the assessment takes them (system code → confirmation). Pure.

    An entry naming a disposition the census does not know is left out: the assessment would ignore it anyway,
    and ``ledger verify`` is where a malformed entry is reported.
    """
    converted: dict[str, assessment.Confirmation] = {}
    for code, item in found.items():
        try:
            disposition = model.Disposition(item.disposition)
        except ValueError:
            continue
        converted[code] = assessment.Confirmation(
            disposition=disposition,
            confirmed_by=item.actor or "unknown",
            confirmed_on=dt.date.fromisoformat(item.time[:10]),
            merge_into=item.merge_into,
            source="ledger",
            reference=f"ledger entry {item.seq}",
        )
    return converted
