"""Status views: one row per system and stage, wave and department roll-ups, the burn-up series. Pure.

Everything here works from small facts, not from the inventory and plan files themselves, so that
``govcloud status`` on a province reads a cache instead of 136 MB of YAML: :class:`PlanFacts` (what a plan
file says), :class:`SystemFacts` (what the census says about the gates that depend on it, evaluated by
:func:`govcloud.planning.core.plans.evaluate_gate` when the cache was built) and the ledger's
:class:`~govcloud.orchestration.core.transitions.StageState` per stage. Gates about stages are evaluated
here against the current statuses, with the same verdicts and evidence texts as ``evaluate_gate``.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import functools
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from govcloud.core import model
from govcloud.orchestration.core import transitions
from govcloud.planning.core import plans, stages
from govcloud.planning.core.stages import Stage, StageStatus
from govcloud.sharing.core import grants


@dataclasses.dataclass(frozen=True)
class StageFacts:
    """One stage of a plan file; its gates are kept as JSON text and read when first asked for.

    A status view of a province needs the gates of the rows it shows, not of all 60,000 stages.
    """

    stage: Stage
    status: StageStatus
    target_start: dt.date | None
    target_end: dt.date | None
    gates_json: str = '{"entry": [], "exit": []}'
    """``{"entry": [gate, ...], "exit": [...]}``, each gate as a plan file writes it."""

    @classmethod
    def with_gates(
        cls,
        stage: Stage,
        status: StageStatus,
        target_start: dt.date | None,
        target_end: dt.date | None,
        entry_gates: Sequence[plans.Gate],
        exit_gates: Sequence[plans.Gate],
    ) -> StageFacts:
        text = json.dumps(
            {
                "entry": [g.model_dump(mode="json", exclude_none=True) for g in entry_gates],
                "exit": [g.model_dump(mode="json", exclude_none=True) for g in exit_gates],
            },
            ensure_ascii=False,
        )
        return cls(stage, status, target_start, target_end, text)

    @functools.cached_property
    def _gates(self) -> tuple[tuple[plans.Gate, ...], tuple[plans.Gate, ...]]:
        data = json.loads(self.gates_json)
        return tuple(gate_of(g) for g in data["entry"]), tuple(gate_of(g) for g in data["exit"])

    @property
    def entry_gates(self) -> tuple[plans.Gate, ...]:
        return self._gates[0]

    @property
    def exit_gates(self) -> tuple[plans.Gate, ...]:
        return self._gates[1]


def gate_of(data: Mapping[str, Any]) -> plans.Gate:
    """A gate from the JSON a plan file holds, already validated when the cache was written."""
    entries = data.get("entries")
    return plans.Gate.model_construct(
        gate=plans.GateKind(data["gate"]),
        system=data["system"],
        stage=Stage(data["stage"]) if data.get("stage") else None,
        entries=tuple(entries) if isinstance(entries, list) else entries,
    )


@dataclasses.dataclass(frozen=True)
class PlanFacts:
    """What one migration plan file says, as far as status views need it."""

    system: str
    name: str
    department: str
    wave: int | None
    owner: str | None
    stages: tuple[StageFacts, ...]
    callers: tuple[str, ...] = ()


Verdict = tuple[bool, str]


@dataclasses.dataclass(frozen=True)
class SystemFacts:
    """What the census says about one system, for the gates that depend on the census."""

    code: str
    department: str
    mlps_level: int | None
    placement: Verdict
    flows: Verdict
    dependents: Verdict
    published_all: Verdict
    entries: tuple[str, ...]
    unpublished: tuple[str, ...]
    caller_departments: tuple[str, ...]
    """Other departments whose systems call this one (callers_declared needs them in the plan)."""
    consumed: tuple[grants.Consumed, ...] = ()
    """Other departments' shareable entries it consumes (consumption_authorised checks them against the day)."""


def system_facts(inventory: model.Inventory) -> dict[str, SystemFacts]:
    """The census facts of every system, with the census gates evaluated by the planning core."""
    dependents = plans.Dependents.of_inventory(inventory)
    empty: stages.ProgressMap = {}
    found: dict[str, SystemFacts] = {}
    for system in inventory.systems:
        code = system.code

        def verdict(kind: plans.GateKind, code: str = code) -> Verdict:
            gate = plans.Gate(
                gate=kind, system=code, entries="all" if kind is plans.GateKind.CATALOGUE_PUBLISHED else None
            )
            return plans.evaluate_gate(gate, inventory, empty, dependents=dependents)

        entries = inventory.entries_of_system.get(code, ())
        callers = dependents.of.get(code, ())
        found[code] = SystemFacts(
            code=code,
            department=system.department,
            mlps_level=int(system.mlps_level) if system.mlps_level is not None else None,
            placement=verdict(plans.GateKind.PLACEMENT_DECLARED),
            flows=verdict(plans.GateKind.FLOWS_DECLARED),
            dependents=verdict(plans.GateKind.DEPENDENTS_REPOINTED),
            published_all=verdict(plans.GateKind.CATALOGUE_PUBLISHED),
            entries=tuple(e.code for e in entries),
            unpublished=tuple(e.code for e in entries if e.publish_date is None),
            caller_departments=tuple(
                sorted({inventory.system_by_code[c].department for c in callers} - {system.department})
            ),
            consumed=grants.consumed_needing_authorisation(system, inventory),
        )
    return found


# ---------------------------------------------------------------------------------------------------------
# Gates from facts


@dataclasses.dataclass
class GateContext:
    facts: Mapping[str, SystemFacts]
    statuses: Mapping[str, Mapping[Stage, StageStatus]]
    callers: Mapping[str, tuple[str, ...]]
    _entry_index: dict[str, str] | None = None
    authorisations: grants.Authorisations | None = None
    """The day's grants and registrations (None: no request files, nobody authorised)."""

    def entry_owner(self, code: str) -> str | None:
        if self._entry_index is None:
            self._entry_index = {e: f.code for f in self.facts.values() for e in f.entries}
        return self._entry_index.get(code)


def evaluate_gate(gate: plans.Gate, context: GateContext) -> Verdict:
    """Same verdict and evidence as :func:`govcloud.planning.core.plans.evaluate_gate`, from facts."""
    facts = context.facts.get(gate.system)
    if facts is None:
        return False, f"{gate.system} is not in the census"
    kind = gate.gate
    if kind is plans.GateKind.CONSUMPTION_AUTHORISED:
        return grants.consumption_verdict(facts.code, facts.consumed, context.authorisations)
    if kind in {plans.GateKind.STAGE_DONE, plans.GateKind.STAGE_REACHED}:
        stage = gate.stage or Stage.NETWORK
        statuses = context.statuses.get(gate.system)
        if statuses is None:
            return False, f"{gate.system} has no plan file"
        status = statuses.get(stage, StageStatus.PENDING)
        ok = status is StageStatus.DONE if kind is plans.GateKind.STAGE_DONE else status is not StageStatus.PENDING
        return ok, f"{gate.system} {stage.value}: {status.value}"
    if kind is plans.GateKind.CATALOGUE_PUBLISHED:
        if gate.entries == "all" or gate.entries is None:
            return facts.published_all
        own = set(facts.entries)
        if all(c in own for c in gate.entries):  # plan --check holds a gate's entries to its own system
            not_yet = set(facts.unpublished)
            unpublished = [c for c in gate.entries if c in not_yet]
            chosen = len(gate.entries)
            if unpublished:
                return False, f"{chosen - len(unpublished)} of {chosen} published; not yet: {_listed(unpublished)}"
            return True, f"{chosen} of {chosen} entries published"
        unknown = [c for c in gate.entries if context.entry_owner(c) is None]
        if unknown:
            return False, f"not in the catalogue: {_listed(unknown)}"
        unpublished_all = {
            c for f in (context.facts[context.entry_owner(c) or ""] for c in gate.entries) for c in f.unpublished
        }
        unpublished = [c for c in gate.entries if c in unpublished_all]
        if unpublished:
            chosen = len(gate.entries)
            return False, f"{chosen - len(unpublished)} of {chosen} published; not yet: {_listed(unpublished)}"
        return True, f"{len(gate.entries)} of {len(gate.entries)} entries published"
    if kind is plans.GateKind.FLOWS_DECLARED:
        return facts.flows
    if kind is plans.GateKind.PLACEMENT_DECLARED:
        return facts.placement
    if kind is plans.GateKind.CALLERS_DECLARED:
        declared = set(context.callers.get(gate.system, ()))
        missing = [d for d in facts.caller_departments if d not in declared]
        if missing:
            return False, f"callers missing from the plan: {', '.join(missing)}"
        return True, f"callers declared: {', '.join(facts.caller_departments) or 'none needed'}"
    return facts.dependents


def _listed(codes: Iterable[str], limit: int = 5) -> str:
    items = list(codes)
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


# ---------------------------------------------------------------------------------------------------------
# Rows


@dataclasses.dataclass(frozen=True)
class GateView:
    where: str
    describe: str
    holds: bool
    evidence: str
    overridden: bool = False


@dataclasses.dataclass(frozen=True)
class StatusRow:
    system: str
    name: str
    department: str
    wave: int | None
    stage: Stage
    status: transitions.LedgerStatus
    target_start: dt.date | None
    target_end: dt.date | None
    actual_start: str | None
    actual_end: str | None
    owner: str | None
    last_by: str | None
    signed_by: tuple[str, ...]
    overrides: tuple[str, ...]
    gates: tuple[GateView, ...]
    """The gates of the next move: entry gates while pending or blocked, exit gates while in progress."""
    days_late: int
    reason: str | None
    ledger_backed: bool

    @property
    def late(self) -> bool:
        return self.days_late > 0

    @property
    def failing_gates(self) -> tuple[GateView, ...]:
        return tuple(g for g in self.gates if not g.holds and not g.overridden)

    def to_json(self) -> dict[str, Any]:
        # written out rather than dataclasses.asdict: a province's JSON view has 36,000+ rows
        return {
            "system": self.system,
            "name": self.name,
            "department": self.department,
            "wave": self.wave,
            "stage": self.stage.value,
            "status": self.status.value,
            "target_start": self.target_start.isoformat() if self.target_start else None,
            "target_end": self.target_end.isoformat() if self.target_end else None,
            "actual_start": self.actual_start,
            "actual_end": self.actual_end,
            "owner": self.owner,
            "last_by": self.last_by,
            "signed_by": list(self.signed_by),
            "overrides": list(self.overrides),
            "gates": [
                {
                    "where": g.where,
                    "describe": g.describe,
                    "holds": g.holds,
                    "evidence": g.evidence,
                    "overridden": g.overridden,
                }
                for g in self.gates
            ],
            "days_late": self.days_late,
            "reason": self.reason,
            "ledger_backed": self.ledger_backed,
        }


def days_late(
    status: transitions.LedgerStatus, target_end: dt.date | None, actual_end: str | None, today: dt.date
) -> int:
    """Days past the target end: until today while not done, or until the day it was done."""
    if target_end is None:
        return 0
    if status is transitions.LedgerStatus.DONE:
        end = dt.date.fromisoformat(actual_end[:10]) if actual_end else target_end
        return max(0, (end - target_end).days)
    return max(0, (today - target_end).days)


def build_rows(
    plan_facts: Iterable[PlanFacts],
    states: Mapping[transitions.StageKey, transitions.StageState],
    *,
    today: dt.date,
) -> list[StatusRow]:
    """One row per stage of every migration plan, the ledger's state overriding the plan file's status.

    Gates are left empty here; :func:`with_gates` evaluates them for the rows that are shown.
    """
    all_plans = list(plan_facts)
    rows: list[StatusRow] = []
    for plan in all_plans:
        for stage in plan.stages:
            state = states.get((plan.system, stage.stage.value))
            status = state.status if state is not None else transitions.LedgerStatus(stage.status.value)
            actual_start = state.started if state is not None else None
            actual_end = state.finished if state is not None else None
            rows.append(
                StatusRow(
                    system=plan.system,
                    name=plan.name,
                    department=plan.department,
                    wave=plan.wave,
                    stage=stage.stage,
                    status=status,
                    target_start=stage.target_start,
                    target_end=stage.target_end,
                    actual_start=actual_start,
                    actual_end=actual_end,
                    owner=plan.owner,
                    last_by=state.actor if state is not None else None,
                    signed_by=state.signed_by if state is not None else (),
                    overrides=state.overrides if state is not None else (),
                    gates=(),
                    days_late=days_late(status, stage.target_end, actual_end, today),
                    reason=state.reason if state is not None and status is transitions.LedgerStatus.BLOCKED else None,
                    ledger_backed=state is not None,
                )
            )
    return rows


def current_statuses(
    plan_facts: Iterable[PlanFacts], states: Mapping[transitions.StageKey, transitions.StageState]
) -> dict[str, dict[Stage, StageStatus]]:
    """The plan status of every stage: the ledger's where it knows the stage, else the plan file's."""
    statuses: dict[str, dict[Stage, StageStatus]] = {}
    for plan in plan_facts:
        statuses[plan.system] = {s.stage: s.status for s in plan.stages}
    for (system, _stage), state in states.items():
        statuses.setdefault(system, {})[state.stage] = state.plan_status
    return statuses


def gate_systems(rows: Iterable[StatusRow], plan_facts: Sequence[PlanFacts]) -> set[str]:
    """The systems whose census facts the gates of these rows read (the rows' own and those their gates name)."""
    wanted = {r.system for r in rows}
    found = set(wanted)
    for plan in plan_facts:
        if plan.system in wanted:
            for stage in plan.stages:
                found.update(g.system for g in (*stage.entry_gates, *stage.exit_gates))
    return found


def with_gates(
    rows: Iterable[StatusRow],
    plan_facts: Sequence[PlanFacts],
    facts: Mapping[str, SystemFacts],
    states: Mapping[transitions.StageKey, transitions.StageState],
    *,
    authorisations: grants.Authorisations | None = None,
) -> list[StatusRow]:
    """The rows with the gates of their next move evaluated (done separately: only shown rows need it).

    A stage in progress shows its exit gates and the statutory ones ``advance`` adds (the data stage's
    ``consumption_authorised``, against ``authorisations``: the day's grants and registrations).
    """
    by_system = {p.system: p for p in plan_facts}
    context = GateContext(
        facts,
        current_statuses(plan_facts, states),
        {p.system: p.callers for p in plan_facts},
        authorisations=authorisations,
    )
    found = []
    for row in rows:
        stage = next(s for s in by_system[row.system].stages if s.stage is row.stage)
        if row.status is transitions.LedgerStatus.IN_PROGRESS:
            gates = [(f"exit_gates.{i}", g) for i, g in enumerate(stage.exit_gates)]
            gates += plans.statutory_exit_gates(row.stage, row.system, stage.exit_gates)
        elif row.status is transitions.LedgerStatus.DONE:
            gates = []
        else:
            gates = [(f"entry_gates.{i}", g) for i, g in enumerate(stage.entry_gates)]
        overridden = set(row.overrides)
        views = []
        for where, gate in gates:
            holds, evidence = evaluate_gate(gate, context)
            views.append(
                GateView(
                    where,
                    gate.describe(),
                    holds,
                    evidence,
                    overridden=not holds and (gate.gate.value in overridden or where in overridden),
                )
            )
        found.append(dataclasses.replace(row, gates=tuple(views)))
    return found


def select(
    rows: Iterable[StatusRow],
    *,
    wave: int | None = None,
    department: str | None = None,
    late: bool = False,
    blocked: bool = False,
) -> list[StatusRow]:
    return [
        r
        for r in rows
        if (wave is None or r.wave == wave)
        and (department is None or r.department == department)
        and (not late or r.late)
        and (not blocked or r.status is transitions.LedgerStatus.BLOCKED)
    ]


# ---------------------------------------------------------------------------------------------------------
# Roll-ups and the burn-up


@dataclasses.dataclass(frozen=True)
class Rollup:
    key: str
    stages: int
    counts: Mapping[str, int]
    late: int
    planned_done: int
    """Stages whose target end is before today: what the plan says should be done by now."""
    systems: int
    systems_done: int
    """Systems whose every stage is done."""

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "counts": dict(self.counts)}


def rollups(rows: Sequence[StatusRow], *, by: str, today: dt.date) -> list[Rollup]:
    """Counts per wave (``by="wave"``) or department (``by="department"``), planned against actual."""
    groups: dict[str, list[StatusRow]] = {}
    for row in rows:
        key = (f"wave {row.wave}" if row.wave is not None else "no wave") if by == "wave" else row.department
        groups.setdefault(key, []).append(row)
    found = []
    for key, members in groups.items():
        counts = Counter(r.status.value for r in members)
        per_system: dict[str, list[StatusRow]] = {}
        for r in members:
            per_system.setdefault(r.system, []).append(r)
        found.append(
            Rollup(
                key=key,
                stages=len(members),
                counts={s.value: counts.get(s.value, 0) for s in transitions.LedgerStatus},
                late=sum(1 for r in members if r.late),
                planned_done=sum(1 for r in members if r.target_end is not None and r.target_end < today),
                systems=len(per_system),
                systems_done=sum(
                    1 for rs in per_system.values() if all(r.status is transitions.LedgerStatus.DONE for r in rs)
                ),
            )
        )
    if by == "wave":
        return sorted(found, key=lambda r: (r.key == "no wave", int(r.key.split()[1]) if r.key != "no wave" else 0))
    return sorted(found, key=lambda r: r.key)


@dataclasses.dataclass(frozen=True)
class BurnupPoint:
    day: dt.date
    planned: int
    """Stages the plan has done by this day (target end on or before it)."""
    actual: int | None
    """Stages the ledger (or, without it, the plan files) records done by this day; None after today."""


def burnup(rows: Sequence[StatusRow], *, today: dt.date, points: int = 40) -> list[BurnupPoint]:
    """Cumulative stages done, planned against actual, from the first target start to the last target end."""
    starts = [r.target_start for r in rows if r.target_start is not None]
    ends = [r.target_end for r in rows if r.target_end is not None]
    if not starts or not ends:
        return []
    actual_days = sorted(
        dt.date.fromisoformat(r.actual_end[:10]) if r.actual_end else today
        for r in rows
        if r.status is transitions.LedgerStatus.DONE
    )
    first = min([*starts, *actual_days]) if actual_days else min(starts)
    last = max([*ends, today])
    span = max(1, (last - first).days)
    step = max(1, span // max(1, points - 1))
    planned_days = sorted(ends)
    series = []
    day = first
    while True:
        series.append(
            BurnupPoint(day, _count_until(planned_days, day), _count_until(actual_days, day) if day <= today else None)
        )
        if day >= last:
            break
        day = min(last, day + dt.timedelta(days=step))
    return series


def _count_until(days: Sequence[dt.date], day: dt.date) -> int:
    return bisect.bisect_right(days, day)
