"""The report's figures: the programme's headline counts, and what the counts hide. Pure.

The figures are computed from the inventory, the dispositions, the wave plan and the statuses the plan files
record; :mod:`govcloud.reporting.edges.render` only formats them (with the labels of
:mod:`govcloud.reporting.core.labels`).

Headline figures (what the programme reports): systems migrated or integrated, catalogue entries published
(``publish_date`` set), data items in total, entries shareable (无条件 + 有条件), entries open to the public.
What the counts hide: declared cross-department data flows (consumer/provider system pairs whose
departments differ, from ``depends_on`` and consumed catalogue entries), published entries nobody consumes,
systems retired, and the servers and CPU cores that retiring and merging free. Servers freed: the legacy
hosts in ``hosts.yaml`` whose every system goes, plus one server per replica of a system deployed on
物理机 that no host lists; cores freed: ``sizing.cpu × replicas`` of every system that goes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence

from govcloud import collector
from govcloud.assessment.core.assessment import AssessmentCounts
from govcloud.core import model
from govcloud.orchestration.core import status
from govcloud.planning.core import consolidation, stages, waves
from govcloud.planning.core.stages import STAGE_ORDER, Stage, StageStatus

DISPOSITION_ORDER = tuple(model.Disposition)
CITY = "city"


# ---------------------------------------------------------------------------------------------------------
# Figures


@dataclasses.dataclass(frozen=True)
class Figures:
    """The figures of one scope: the whole city or one department."""

    scope: str
    name: str
    systems: int
    dispositions: Mapping[str, int]
    moving: int
    migrated: int
    """Moving systems whose business stage is done."""
    merging: int
    integrated: int
    """Merged systems whose decommission is done."""
    retiring: int
    retired: int
    catalogue_entries: int
    published: int
    data_items: int
    shareable: int
    unconditional: int
    conditional: int
    not_shared: int
    open_entries: int
    published_unused: int
    """Published entries that no system consumes."""
    flows_out: int
    """Cross-department pairs where this scope's system provides (for the city: all pairs)."""
    flows_in: int
    """Cross-department pairs where this scope's system consumes."""
    servers_freed: int
    cores_freed: float
    stage_reached: Mapping[str, int]
    stage_done: Mapping[str, int]
    private_networks: int = 0
    """业务专网 listed in the census."""
    private_networks_retired: int = 0
    """业务专网 whose decommission is done."""
    private_networks_empty: int = 0
    """业务专网 every system has left, not yet decommissioned."""

    @property
    def private_networks_live(self) -> int:
        """业务专网 still carrying systems (not retired, not emptied)."""
        return self.private_networks - self.private_networks_retired - self.private_networks_empty


@dataclasses.dataclass(frozen=True)
class WaveRow:
    number: int
    start: dt.date
    end: dt.date
    systems: int
    cpu: float
    memory_gib: float
    cumulative: int


@dataclasses.dataclass(frozen=True)
class Report:
    city: str
    generated_on: dt.date
    totals: Figures
    departments: tuple[Figures, ...]
    waves: tuple[WaveRow, ...]
    cycles: tuple[tuple[str, ...], ...]
    decommissions: int
    held: int
    department_pairs: int
    """Distinct (consumer department, provider department) pairs with a declared flow."""
    assessment: tuple[tuple[str, int, str], ...] = ()
    """The assessment's counts (figure, number, what it counts), the rows ``assess`` and ``run`` print too."""
    progress: Progress | None = None
    """Planned against actual from the migration ledger (None: the report was made without it)."""


@dataclasses.dataclass(frozen=True)
class Progress:
    """The report's progress section: planned against actual per wave, the late and blocked stages, the burn-up."""

    source: str
    ledger_backed: bool
    waves: tuple[status.Rollup, ...]
    late: tuple[status.StatusRow, ...]
    blocked: tuple[status.StatusRow, ...]
    burnup: tuple[status.BurnupPoint, ...]
    recent: tuple[status.StatusRow, ...] = ()
    """Stages the ledger moved most recently, latest first."""


def compute_progress(
    rows: Sequence[status.StatusRow], *, today: dt.date, ledger_backed: bool, source: str, limit: int = 200
) -> Progress:
    """The progress section from status rows (late ones most overdue first). Pure."""
    late = sorted((r for r in rows if r.late), key=lambda r: (-r.days_late, r.system, r.stage.order))
    blocked = [r for r in rows if r.status.value == "blocked"]
    return Progress(
        source=source,
        ledger_backed=ledger_backed,
        waves=tuple(status.rollups(rows, by="wave", today=today)),
        late=tuple(late[:limit]),
        blocked=tuple(blocked[:limit]),
        burnup=tuple(status.burnup(rows, today=today)),
        recent=tuple(
            sorted(
                (r for r in rows if r.ledger_backed and (r.actual_end or r.actual_start)),
                key=lambda r: str(r.actual_end or r.actual_start),
                reverse=True,
            )[:20]
        ),
    )


def compute_report(
    inventory: model.Inventory,
    dispositions: Mapping[str, model.Disposition],
    wave_plan: waves.WavePlan,
    tracking: stages.ProgressMap,
    *,
    today: dt.date,
    assessment_counts: AssessmentCounts | None = None,
    networks: consolidation.Consolidation | None = None,
) -> Report:
    """Every figure, city-wide and per department. Pure. ``networks``: the 业务专网 states (none: not counted)."""
    with collector.paused():
        report = _compute_report(inventory, dispositions, wave_plan, tracking, today=today, networks=networks)
    if assessment_counts is None:
        return report
    return dataclasses.replace(report, assessment=tuple(assessment_counts.rows()))


def _compute_report(
    inventory: model.Inventory,
    dispositions: Mapping[str, model.Disposition],
    wave_plan: waves.WavePlan,
    tracking: stages.ProgressMap,
    *,
    today: dt.date,
    networks: consolidation.Consolidation | None = None,
) -> Report:
    systems = inventory.system_by_code
    goes = {code for code, d in dispositions.items() if d in waves.DECOMMISSIONED}
    pairs = _cross_department_pairs(inventory)
    consumed = {code for s in inventory.systems for code in s.consumes}
    freed_servers = _servers_freed(inventory, goes)
    entry_counts: dict[str, Counter[str]] = {}
    for entry in inventory.catalogue:
        tally = entry_counts.get(entry.provider)
        if tally is None:
            tally = entry_counts[entry.provider] = Counter()
        published = entry.publish_date is not None
        tally["entries"] += 1
        tally["published"] += published
        tally["data_items"] += len(entry.data_items)
        tally[entry.sharing.type.name] += 1
        tally["open"] += entry.open.open
        tally["published_unused"] += published and entry.code not in consumed
    city_counts: Counter[str] = Counter()
    for tally in entry_counts.values():
        city_counts.update(tally)
    provides = Counter(provider for _, provider in pairs)
    calls = Counter(consumer for consumer, _ in pairs)

    def figures(scope: str, name: str, chosen: Sequence[model.System]) -> Figures:
        codes = {s.code for s in chosen}
        tally = city_counts if scope == CITY else entry_counts.get(scope, Counter())
        counts = Counter(dispositions[c].value for c in codes if c in dispositions)
        moving = [c for c in codes if dispositions.get(c) in waves.MOVING]
        reached: Counter[str] = Counter()
        done: Counter[str] = Counter()
        for code in moving:
            found = tracking.get(code)
            for stage in STAGE_ORDER:
                status = found.status(stage) if found is not None else StageStatus.PENDING
                if status is not StageStatus.PENDING:
                    reached[stage.value] += 1
                if status is StageStatus.DONE:
                    done[stage.value] += 1

        def decommissioned(disposition: model.Disposition) -> tuple[int, int]:
            chosen_codes = [c for c in codes if dispositions.get(c) is disposition]
            finished = 0
            for c in chosen_codes:
                found = tracking.get(c)
                finished += found is not None and found.decommission is StageStatus.DONE
            return len(chosen_codes), finished

        merging, integrated = decommissioned(model.Disposition.MERGE)
        retiring, retired = decommissioned(model.Disposition.RETIRE)
        return Figures(
            scope=scope,
            name=name,
            systems=len(codes),
            dispositions={d.value: counts.get(d.value, 0) for d in DISPOSITION_ORDER},
            moving=len(moving),
            migrated=done[Stage.BUSINESS.value],
            merging=merging,
            integrated=integrated,
            retiring=retiring,
            retired=retired,
            catalogue_entries=tally["entries"],
            published=tally["published"],
            data_items=tally["data_items"],
            shareable=tally["UNCONDITIONAL"] + tally["CONDITIONAL"],
            unconditional=tally["UNCONDITIONAL"],
            conditional=tally["CONDITIONAL"],
            not_shared=tally["NOT_SHARED"],
            open_entries=tally["open"],
            published_unused=tally["published_unused"],
            flows_out=len(pairs) if scope == CITY else sum(provides[c] for c in codes),
            flows_in=len(pairs) if scope == CITY else sum(calls[c] for c in codes),
            servers_freed=sum(freed_servers.get(c, 0) for c in codes),
            cores_freed=round(sum(systems[c].sizing.cpu * systems[c].sizing.replicas for c in codes & goes), 3),
            stage_reached={s.value: reached[s.value] for s in STAGE_ORDER},
            stage_done={s.value: done[s.value] for s in STAGE_ORDER},
            **_network_counts(networks, None if scope == CITY else scope),
        )

    totals = figures(CITY, inventory.city.name, inventory.systems)
    per_department = tuple(
        figures(d.code, d.name, inventory.systems_of_department.get(d.code, ()))
        for d in sorted(inventory.departments, key=lambda d: d.code)
    )
    rows: list[WaveRow] = []
    cumulative = 0
    for wave in wave_plan.waves:
        cumulative += len(wave.systems)
        rows.append(
            WaveRow(wave.number, wave.start, wave.end, len(wave.systems), wave.cpu, wave.memory_gib, cumulative)
        )
    department_pairs = {(systems[c].department, systems[p].department) for c, p in pairs}
    return Report(
        city=inventory.city.name,
        generated_on=today,
        totals=totals,
        departments=per_department,
        waves=tuple(rows),
        cycles=tuple(c.systems for c in wave_plan.cycles),
        decommissions=len(wave_plan.decommissions),
        held=len(wave_plan.held),
        department_pairs=len(department_pairs),
    )


def _network_counts(networks: consolidation.Consolidation | None, department: str | None) -> dict[str, int]:
    if networks is None:
        return {}
    total = sum(1 for code in networks.states if department is None or networks.departments[code] == department)
    return {
        "private_networks": total,
        "private_networks_retired": networks.count(consolidation.NetworkState.RETIRED, department),
        "private_networks_empty": networks.count(consolidation.NetworkState.EMPTY, department),
    }


def _cross_department_pairs(inventory: model.Inventory) -> set[tuple[str, str]]:
    """(consumer system, provider system) pairs whose departments differ, from calls and consumed entries."""
    systems = inventory.system_by_code
    pairs: set[tuple[str, str]] = set()
    for call in inventory.calls:
        caller, target = systems[call.caller], systems.get(call.provider)
        if target is not None and target.department != caller.department:
            pairs.add((call.caller, call.provider))
    return pairs


def _servers_freed(inventory: model.Inventory, goes: set[str]) -> dict[str, int]:
    """System → servers freed when it goes; a shared legacy host counts once, for its first system."""
    freed: dict[str, int] = {}
    listed: set[str] = set()
    for host in inventory.hosts:
        if not host.systems:
            continue
        listed.update(host.systems)
        if all(code in goes for code in host.systems):
            first = sorted(host.systems)[0]
            freed[first] = freed.get(first, 0) + 1
    for code in goes:
        system = inventory.system_by_code.get(code)
        if system is not None and code not in listed and system.deployment is model.Deployment.PHYSICAL:
            freed[code] = freed.get(code, 0) + system.sizing.replicas
    return freed
