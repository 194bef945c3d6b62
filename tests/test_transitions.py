"""Transition rules of the orchestrator (pure): allowed moves, reasons, the MLPS 3 sign-off, the projection."""

from __future__ import annotations

import datetime as dt

import pytest

from govcloud.core.settings import OrchestrationSettings
from govcloud.orchestration.core import roster as roster_rules
from govcloud.orchestration.core import transitions
from govcloud.orchestration.core.entries import Entry, EntryKind
from govcloud.planning.core.stages import Stage, StageStatus

S = transitions.LedgerStatus
MOVES = [(a, b) for a in S for b in S]


def _state(status: S, **extra: object) -> transitions.StageState:
    return transitions.StageState(
        system="X-001",
        stage=Stage.BUSINESS,
        status=status,
        plan_status=StageStatus.IN_PROGRESS if status is S.BLOCKED else StageStatus(status.value),
        seq=1,
        time="2027-01-01T00:00:00Z",
        actor="a",
        **extra,  # type: ignore[arg-type]
    )


def _request(to: S, reason: str | None = "why", mlps: int = 2) -> transitions.Request:
    return transitions.Request("X-001", "MZJ", mlps, Stage.BUSINESS, to, reason)


@pytest.mark.parametrize(("now", "to"), MOVES, ids=[f"{a.value}->{b.value}" for a, b in MOVES])
def test_only_the_moves_of_the_table_are_allowed(now: S, to: S) -> None:
    problems = transitions.transition_problems(_request(to), _state(now))
    allowed = to in transitions.ALLOWED[now]
    assert (not problems) is allowed, problems


def test_blocked_and_reopening_need_a_reason() -> None:
    assert "blocked needs a reason" in " ".join(transitions.transition_problems(_request(S.BLOCKED, None), None))
    reopen = transitions.transition_problems(_request(S.IN_PROGRESS, " "), _state(S.DONE))
    assert any("reopening" in p for p in reopen)


def _roster() -> roster_rules.Roster:
    sec = roster_rules.Person(
        "sec",
        "sec",
        (roster_rules.RoleGrant(roster_rules.Role.SECURITY_OFFICER, valid_until=dt.date(2027, 6, 30)),),
        (),
    )
    lead = roster_rules.Person(
        "lead", "lead", (roster_rules.RoleGrant(roster_rules.Role.MIGRATION_LEAD, ("MZJ",)),), ()
    )
    return roster_rules.Roster((sec, lead))


@pytest.mark.parametrize(
    ("mlps", "signed_by", "on", "missing"),
    [
        (3, (), dt.date(2027, 1, 1), True),
        (3, ("lead",), dt.date(2027, 1, 1), True),  # a lead's sign-off is not a security officer's
        (3, ("sec",), dt.date(2027, 1, 1), False),
        (3, ("sec",), dt.date(2027, 7, 1), True),  # the officer's role ended
        (2, (), dt.date(2027, 1, 1), False),
    ],
)
def test_business_done_of_mlps_3_needs_a_security_officers_signoff(
    mlps: int, signed_by: tuple[str, ...], on: dt.date, missing: bool
) -> None:
    current = _state(S.IN_PROGRESS, signed_by=signed_by)
    found = transitions.signoff_missing(_request(S.DONE, mlps=mlps), current, _roster(), OrchestrationSettings(), on)
    assert (found is not None) is missing


def _entry(seq: int, kind: EntryKind, **payload: object) -> Entry:
    return Entry(
        seq=seq,
        time=f"2027-01-0{seq}T00:00:00Z",
        kind=kind.value,
        actor="a",
        system="X-001",
        department="MZJ",
        stage="network",
        payload=payload,
        evidence=(),
        inventory_revision=None,
        signer=None,
        prev_hash="",
        hash="",
        signature=None,
    )


def test_projection_keeps_overrides_for_the_attempt_and_a_block_keeps_the_plan_status() -> None:
    entries = [
        _entry(1, EntryKind.STAGE_TRANSITION, to="in_progress"),
        _entry(2, EntryKind.GATE_OVERRIDE, gate="stage_reached"),
        _entry(3, EntryKind.STAGE_TRANSITION, to="blocked", reason="专线"),
    ]
    state = transitions.project(entries)[("X-001", "network")]
    assert (state.status, state.plan_status, state.reason) == (S.BLOCKED, StageStatus.IN_PROGRESS, "专线")
    assert state.overrides == ("stage_reached",)
    assert state.started == "2027-01-01T00:00:00Z"
    entries += [
        _entry(4, EntryKind.STAGE_TRANSITION, to="in_progress"),
        _entry(5, EntryKind.STAGE_TRANSITION, to="done"),
    ]
    done = transitions.project(entries)[("X-001", "network")]
    assert (done.status, done.overrides, done.finished) == (S.DONE, ("stage_reached",), "2027-01-05T00:00:00Z")
    entries.append(_entry(6, EntryKind.STAGE_TRANSITION, to="in_progress", reason="rollback after cut-over"))
    reopened = transitions.project(entries)[("X-001", "network")]
    assert (reopened.overrides, reopened.finished) == ((), None)
