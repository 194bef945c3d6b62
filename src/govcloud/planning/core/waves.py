"""The dependency graph of systems, migration waves and decommission plans. Pure: no I/O.

The graph has an edge consumer → provider for every declared call (``depends_on``) and for every catalogue
entry a system consumes (to the system that holds the entry). The assessment's dispositions then split the
systems three ways:

- **moving** (迁移, 改造后迁移) get a wave. A provider is placed no later than its consumers: the wave's days are
  split network → data → business, so a provider in the same wave as its consumer finishes its data stage
  before the consumer's business stage (when the consumer cuts over and needs the data). Systems on a
  dependency cycle form one component that moves together, and the cycle is reported.
- **decommissioned** (整合, 下线) get a decommission plan: their dependents are re-pointed first (to the merge
  target, or to the system that replaces a retired one), their data is handed to the merge target or
  archived, then they are shut down.
- **held** (暂缓, 豁免) get neither; they are listed with the assessment's reasons.
- **classified** (涉密) systems that are held never go to the cloud, but their network stage moves them from
  their 业务专网 (or LAN) onto the 电子政务内网: each gets an :class:`IntranetMove` in the first wave's network
  window (after its department's freeze windows), outside the cloud's capacity.

Calls to a system that does not move are re-pointed for the graph: a merged provider's consumers wait for
the merge target; a held provider stays where it is and is reached through the exchange, so it imposes no
order.

Waves are filled by list scheduling over the components in dependency order (providers first, the
components with the longest chain of consumers above them first among those ready), each in the first wave
at or after its providers' that has room (systems, cores, memory) and that does not overlap a freeze
window of one of its departments. A component larger than a whole wave is placed alone in an empty wave
and reported. Every placement keeps the reasons it ended where it is.

**Frozen waves.** Once a wave has started (or finished), re-planning must not reshuffle it: a :class:`Freeze`
names those waves, their dates and their systems. Their systems stay in them whatever the census now says,
no other system joins them, and their dates stay. The plan is then computed twice, with and without the
freeze, and every system the freeze held back (kept in a frozen wave it would have left, kept out of one it
would have joined) is reported as :class:`HeldBack`, with the reason the free plan gave. Where both plans
agree, the placement keeps the free plan's reasons, so an unchanged census re-plans to the same files.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
from collections.abc import Iterable, Mapping, Sequence

import networkx as nx

from govcloud import collector
from govcloud.assessment.core.assessment import Assessment, Decision
from govcloud.core import model
from govcloud.core.settings import WaveSettings
from govcloud.planning.core.stages import Stage

MOVING = frozenset({model.Disposition.REHOST, model.Disposition.REPLATFORM})
DECOMMISSIONED = frozenset({model.Disposition.MERGE, model.Disposition.RETIRE})
HELD = frozenset({model.Disposition.DEFER, model.Disposition.EXEMPT})

_MAX_NAMED = 3
"""How many systems a reason names before it says "and N more"."""


# ---------------------------------------------------------------------------------------------------------
# Results


@dataclasses.dataclass(frozen=True)
class Wave:
    """One migration wave: its calendar and what it holds."""

    number: int
    start: dt.date
    end: dt.date
    systems: tuple[str, ...]
    cpu: float
    memory_gib: float

    def stage_window(self, stage: Stage) -> tuple[dt.date, dt.date]:
        """The days of ``stage`` inside this wave (the wave split in three, network first)."""
        return stage_window(self.start, (self.end - self.start).days + 1, stage)


@dataclasses.dataclass(frozen=True)
class Placement:
    """Where one moving system goes, and why there."""

    system: str
    wave: int
    reasons: tuple[str, ...]
    """The first reason explains the wave ("wave 3: after its providers ..."); the rest are notes."""
    providers: tuple[str, ...]
    """Moving systems it waits for (its calls and consumed entries, re-pointed through merges)."""
    cycle: tuple[str, ...] = ()
    """The other systems of its dependency cycle, which move with it."""


@dataclasses.dataclass(frozen=True)
class Cycle:
    """Systems that depend on each other, directly or through others: they move in one wave."""

    systems: tuple[str, ...]
    path: tuple[str, ...]
    """One cycle through them, first system repeated at the end: A → B → A."""
    wave: int


@dataclasses.dataclass(frozen=True)
class Oversized:
    """A component that does not fit in one wave's capacity: placed alone in an empty wave."""

    systems: tuple[str, ...]
    wave: int
    reason: str


@dataclasses.dataclass(frozen=True)
class FreezeDeferral:
    """Systems kept out of waves that overlap their department's freeze window."""

    department: str
    window: model.FreezeWindow
    systems: tuple[str, ...]
    skipped_waves: tuple[int, ...]


@dataclasses.dataclass(frozen=True)
class Repoint:
    """A system that depends on a system going away, and where it points instead (None: drop the call)."""

    system: str
    department: str
    target: str | None


@dataclasses.dataclass(frozen=True)
class Decommission:
    """How a merged or retired system goes away: re-point its dependents, hand over or archive data, shut down."""

    system: str
    department: str
    disposition: model.Disposition
    merge_into: str | None
    """The system that takes its function and data (merge), or the replacement found for a retired one."""
    dependents: tuple[Repoint, ...]
    entries: tuple[str, ...]
    """Its catalogue entries: handed to ``merge_into`` (merge) or archived (retire)."""
    after_wave: int | None
    """The last wave it waits for (its target's, its moving dependents'); None when it waits for none."""
    shutdown: dt.date
    reasons: tuple[str, ...]

    @property
    def hands_over(self) -> bool:
        return self.disposition is model.Disposition.MERGE and self.merge_into is not None


@dataclasses.dataclass(frozen=True)
class Held:
    """A system that neither moves nor goes (暂缓, 豁免), with the assessment's reasons."""

    system: str
    disposition: model.Disposition
    reasons: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Freeze:
    """Waves that have started or finished: their systems stay in them, no other system joins, their dates stay."""

    waves: Mapping[int, tuple[dt.date, dt.date]]
    """Frozen wave number → its (start, end) as recorded."""
    systems: Mapping[str, int]
    """System → the frozen wave it stays in."""
    why: Mapping[int, str] = dataclasses.field(default_factory=dict)
    """Frozen wave number → why it is frozen ("started: ..."), for the placements' reasons."""

    def __bool__(self) -> bool:
        return bool(self.waves)

    def reason(self, number: int) -> str:
        return f"wave {number}: frozen ({self.why.get(number) or 'it has started'}): its systems stay"


@dataclasses.dataclass(frozen=True)
class HeldBack:
    """A system the freeze kept where it is: in a frozen wave it would have left, or out of one it would join."""

    system: str
    wave: int | None
    """Where it is now: its frozen wave (kept in), or the open wave it went to (kept out); None: not planned."""
    would_be: int | None
    """The wave the plan without the freeze gives it; None when it would not move at all (retired, held, gone)."""
    reason: str
    """Why the plan without the freeze would put it there."""
    kept_in: bool
    """True: kept in frozen wave ``wave``; False: kept out of frozen wave ``would_be``."""

    def render(self) -> str:
        if self.kept_in:
            if self.would_be is None:
                return (
                    f"{self.system} stays in wave {self.wave} (frozen); the new plan would take it out of the waves "
                    f"({self.reason}): its plan file is kept as it is, decide by hand"
                )
            return f"{self.system} stays in wave {self.wave} (frozen); the new plan would move it to {self.reason}"
        where = f"goes to wave {self.wave}" if self.wave is not None else "is not planned"
        return (
            f"{self.system} is kept out of wave {self.would_be} (frozen) and {where}; "
            f"the new plan would put it in {self.reason}"
        )


@dataclasses.dataclass(frozen=True)
class IntranetMove:
    """A classified system's network stage: from its 业务专网 (or LAN) onto its 电子政务内网 zone, never the cloud."""

    system: str
    department: str
    zone: str | None
    """Its intranet zone (None when the census declares none: the check reports it)."""
    leaves: str
    """What it leaves: a 业务专网's code, or its carrying network (电子政务内网 when it is already there)."""
    start: dt.date
    end: dt.date
    providers: tuple[str, ...]
    """Classified systems it calls that move onto the intranet too (its flows wait for them)."""
    reasons: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class WavePlan:
    """Every system's place in the programme: a wave, a decommission, or held."""

    settings: WaveSettings
    waves: tuple[Wave, ...]
    placements: Mapping[str, Placement]
    cycles: tuple[Cycle, ...]
    oversized: tuple[Oversized, ...]
    deferrals: tuple[FreezeDeferral, ...]
    decommissions: Mapping[str, Decommission]
    held: tuple[Held, ...]
    callers: Mapping[str, tuple[str, ...]]
    """Moving system → departments (other than its own) whose systems call it, after re-pointing."""
    held_providers: Mapping[str, Mapping[str, tuple[str, ...]]]
    """Moving system → held provider it calls → the provider's entries it consumes."""
    capacity_pushed: int
    """Systems placed later than their providers allowed because a wave was full."""
    edges: int
    """Dependencies in the graph (consumer → provider pairs)."""
    freeze: Freeze | None = None
    """The frozen waves this plan kept (None: nothing was frozen)."""
    held_back: tuple[HeldBack, ...] = ()
    """What the freeze kept from moving, and what the plan without it would have done."""
    frozen_order: tuple[str, ...] = ()
    """Providers placed after a consumer that is frozen in an earlier wave (the order the freeze could not keep)."""
    intranet_moves: Mapping[str, IntranetMove] = dataclasses.field(default_factory=dict)
    """Held classified system → its move onto the 电子政务内网."""

    def wave(self, number: int) -> Wave:
        return self.waves[number - 1]

    def stage_window(self, system: str, stage: Stage) -> tuple[dt.date, dt.date]:
        return self.wave(self.placements[system].wave).stage_window(stage)


def stage_window(start: dt.date, length_days: int, stage: Stage) -> tuple[dt.date, dt.date]:
    """The days of ``stage`` in a wave of ``length_days`` from ``start``: the wave split in three parts."""
    bounds = [start + dt.timedelta(days=length_days * k // 3) for k in range(4)]
    index = stage.order
    return bounds[index], bounds[index + 1] - dt.timedelta(days=1)


def wave_dates(settings: WaveSettings, number: int) -> tuple[dt.date, dt.date]:
    start = settings.start + dt.timedelta(days=(number - 1) * settings.length_days)
    return start, start + dt.timedelta(days=settings.length_days - 1)


# ---------------------------------------------------------------------------------------------------------
# The graph


def build_dependency_graph(inventory: model.Inventory) -> nx.DiGraph:
    """Systems as nodes, an edge consumer → provider per declared call or consumed catalogue entry.

    Edge data: ``declared`` (it is in ``depends_on``) and ``entries`` (catalogue codes it consumes).
    """
    graph = nx.DiGraph()
    graph.add_nodes_from(s.code for s in inventory.systems)
    known = inventory.system_by_code
    for call in inventory.calls:
        if call.provider in known:
            graph.add_edge(call.caller, call.provider, declared=call.declared, entries=list(call.entries))
    return graph


# ---------------------------------------------------------------------------------------------------------
# Planning


def plan_waves(
    inventory: model.Inventory, assessment: Assessment, settings: WaveSettings, *, freeze: Freeze | None = None
) -> WavePlan:
    """Place every moving system in a wave, plan every decommission, list the held systems. Deterministic.

    With a ``freeze``, frozen waves keep their systems and dates and take no other system; what that held
    back is in :attr:`WavePlan.held_back`.
    """
    with collector.paused():
        if not freeze:
            return _plan_waves(inventory, assessment, settings)
        free = _plan_waves(inventory, assessment, settings)
        frozen = _plan_waves(inventory, assessment, settings, freeze=freeze, free=free)
        return dataclasses.replace(frozen, held_back=_held_back(inventory, free, frozen, freeze))


def _held_back(inventory: model.Inventory, free: WavePlan, frozen: WavePlan, freeze: Freeze) -> tuple[HeldBack, ...]:
    """Every system whose place the freeze decided: kept in a frozen wave, or kept out of one."""
    found: list[HeldBack] = []
    for code, number in sorted(freeze.systems.items()):
        if code not in inventory.system_by_code:
            found.append(HeldBack(code, number, None, "it is not in the inventory any more", kept_in=True))
            continue
        placement = free.placements.get(code)
        if placement is not None and placement.wave == number:
            continue
        if placement is not None:
            found.append(HeldBack(code, number, placement.wave, placement.reasons[0], kept_in=True))
        elif code in free.decommissions:
            decommission = free.decommissions[code]
            why = f"{decommission.disposition.value}: {'; '.join(decommission.reasons[1:2]) or decommission.reasons[0]}"
            found.append(HeldBack(code, number, None, why, kept_in=True))
        else:
            held = next((h for h in free.held if h.system == code), None)
            why = f"{held.disposition.value}: {'; '.join(held.reasons)}" if held is not None else "no plan"
            found.append(HeldBack(code, number, None, why, kept_in=True))
    for code, placement in free.placements.items():
        if placement.wave in freeze.waves and freeze.systems.get(code) != placement.wave:
            now = frozen.placements.get(code)
            found.append(HeldBack(code, now.wave if now else None, placement.wave, placement.reasons[0], kept_in=False))
    return tuple(found)


def _plan_waves(
    inventory: model.Inventory,
    assessment: Assessment,
    settings: WaveSettings,
    *,
    freeze: Freeze | None = None,
    free: WavePlan | None = None,
) -> WavePlan:
    graph = build_dependency_graph(inventory)
    decisions = _decisions(inventory, assessment)
    pinned = {code: n for code, n in (freeze.systems.items() if freeze else ()) if code in inventory.system_by_code}
    for code, number in pinned.items():
        if decisions[code].disposition not in MOVING:
            # kept moving in its frozen wave: what the census now says about it is reported as held back
            decisions[code] = Decision(model.Disposition.REHOST, (f"kept in frozen wave {number}",))
    resolver = _block_retires_without_replacement(graph, decisions, assessment)
    moving = [s.code for s in inventory.systems if decisions[s.code].disposition in MOVING]
    moving_set = set(moving)

    effective = nx.DiGraph()
    effective.add_nodes_from(moving)
    notes: dict[str, list[str]] = {code: [] for code in moving}
    held_providers: dict[str, dict[str, tuple[str, ...]]] = {}
    for consumer in moving:
        for provider, data in graph.succ[consumer].items():
            target, note = resolver.resolve(provider)
            if note:
                notes[consumer].append(f"calls {provider}, which {note}")
            if target is None:
                if decisions[provider].disposition in HELD:
                    held_providers.setdefault(consumer, {})[provider] = tuple(data["entries"])
                continue
            if target != consumer and target in moving_set:
                effective.add_edge(consumer, target)

    scheduler = _Scheduler(inventory, settings, freeze=freeze, pinned=pinned)
    placements, cycles, oversized = scheduler.place_all(effective, notes)
    frozen_order: list[str] = []
    if freeze:
        placements = _keep_free_reasons(placements, free)
        for consumer, provider in sorted(effective.edges):
            if consumer in pinned and placements[provider].wave > placements[consumer].wave:
                frozen_order.append(
                    f"{provider} (wave {placements[provider].wave}) is a provider of {consumer}, frozen in wave "
                    f"{placements[consumer].wave}: it comes after its consumer"
                )
    waves = scheduler.waves()
    decommissions = _plan_decommissions(
        inventory,
        graph=graph,
        decisions=decisions,
        resolver=resolver,
        placements=placements,
        settings=settings,
        wave_end={w.number: w.end for w in waves},
    )
    held = tuple(
        Held(system=s.code, disposition=decisions[s.code].disposition, reasons=decisions[s.code].reasons)
        for s in inventory.systems
        if decisions[s.code].disposition in HELD
    )
    callers = _callers(inventory, graph, decisions, resolver, moving)
    return WavePlan(
        settings=settings,
        waves=waves,
        placements=placements,
        cycles=cycles,
        oversized=oversized,
        deferrals=scheduler.deferrals(),
        decommissions=decommissions,
        held=held,
        callers=callers,
        held_providers={k: dict(v) for k, v in held_providers.items()},
        capacity_pushed=scheduler.capacity_pushed,
        edges=graph.number_of_edges(),
        freeze=freeze or None,
        frozen_order=tuple(frozen_order),
        intranet_moves=_plan_intranet_moves(inventory, decisions, settings),
    )


def _keep_free_reasons(placements: Mapping[str, Placement], free: WavePlan | None) -> dict[str, Placement]:
    """Where the frozen plan agrees with the free one, the free plan's reasons (so unchanged plans stay unchanged)."""
    if free is None:
        return dict(placements)
    kept: dict[str, Placement] = {}
    for code, placement in placements.items():
        other = free.placements.get(code)
        kept[code] = (
            dataclasses.replace(placement, reasons=other.reasons)
            if other is not None and other.wave == placement.wave
            else placement
        )
    return kept


def _decisions(inventory: model.Inventory, assessment: Assessment) -> dict[str, Decision]:
    decisions: dict[str, Decision] = {}
    for system in inventory.systems:
        found = assessment.systems.get(system.code)
        decisions[system.code] = (
            found.decision
            if found is not None
            else Decision(model.Disposition.DEFER, ("not assessed: run the assessment again",))
        )
    return decisions


def _block_retires_without_replacement(
    graph: nx.DiGraph, decisions: dict[str, Decision], assessment: Assessment
) -> _Resolver:
    """Hold (暂缓) every 下线 that would leave a dependent calling nothing; return the resolver of what remains.

    A dependent of a retired system is re-pointed to the system that takes its function (a duplicate that
    stays). When there is none, dropping the call would break the dependent, so the retire does not go ahead:
    the system stays where it is, with the reason, until a replacement is named (a duplicate, or a 整合 into
    the system that takes over) or its dependents stop calling it. Updates ``decisions`` in place.
    """
    while True:
        resolver = _Resolver(decisions, assessment)
        blocked = []
        for code, decision in decisions.items():
            if decision.disposition is not model.Disposition.RETIRE:
                continue
            callers = sorted(c for c in graph.pred[code] if decisions[c].disposition not in DECOMMISSIONED)
            if callers and resolver.survivor(code)[0] is None:
                blocked.append((code, callers))
        if not blocked:
            return resolver
        for code, callers in blocked:
            decision = decisions[code]
            named = ", ".join(callers[:_MAX_NAMED]) + (
                f" and {len(callers) - _MAX_NAMED} more" if len(callers) > _MAX_NAMED else ""
            )
            decisions[code] = dataclasses.replace(
                decision,
                disposition=model.Disposition.DEFER,
                reasons=(
                    f"下线 blocked: {named} depend on it and no replacement is named; name one (整合 into the "
                    "system that takes its function) or re-point the dependents first",
                    *decision.reasons,
                ),
            )


class _Resolver:
    """Where calls to a system that does not move end up: the merge target, the replacement, or nowhere."""

    def __init__(self, decisions: Mapping[str, Decision], assessment: Assessment) -> None:
        self._decisions = decisions
        self._assessment = assessment
        self._cache: dict[str, tuple[str | None, str]] = {}

    def successor(self, code: str) -> str | None:
        """The system that takes over a merged or retired system's function, if any."""
        decision = self._decisions[code]
        if decision.disposition is model.Disposition.MERGE:
            return decision.merge_into if decision.merge_into in self._decisions else None
        if decision.disposition is model.Disposition.RETIRE:
            return self._replacement(code)
        return None

    def _replacement(self, code: str) -> str | None:
        """A retired system's closest duplicate that itself stays (moves or is held), if the assessment found one.

        A duplicate the assessment proposes to fold into ``code`` itself is never its replacement (the two would
        hand their callers to each other once the proposal is confirmed); one with a proposal of its own to leave
        comes after every duplicate that has none.
        """
        found = self._assessment.systems.get(code)
        if found is None:
            return None
        candidates: list[tuple[bool, float, str]] = []
        for duplicate in found.duplicates:
            other = self._decisions.get(duplicate.other)
            if other is None or other.disposition in DECOMMISSIONED:
                continue
            proposal = self._assessment.systems[duplicate.other].decision.proposal
            if proposal is not None and proposal.merge_into == code:
                continue
            candidates.append((proposal is not None, -duplicate.score, duplicate.other))
        return min(candidates)[2] if candidates else None

    def survivor(self, code: str) -> tuple[str | None, tuple[str, ...]]:
        """The system that ends up with a merged or retired system's function (moving or held), and the chain."""
        if self._decisions[code].disposition not in DECOMMISSIONED:
            return code, ()
        seen = {code}
        chain: list[str] = []
        current = code
        while True:
            nxt = self.successor(current)
            if nxt is None or nxt in seen:
                return None, tuple(chain)
            chain.append(nxt)
            seen.add(nxt)
            if self._decisions[nxt].disposition not in DECOMMISSIONED:
                return nxt, tuple(chain)
            current = nxt

    def resolve(self, code: str) -> tuple[str | None, str]:
        """The moving system that calls to ``code`` go to (None when none), and a note when re-pointed."""
        if code in self._cache:
            return self._cache[code]
        disposition = self._decisions[code].disposition
        result: tuple[str | None, str]
        if disposition in MOVING:
            result = (code, "")
        elif disposition in HELD:
            result = (None, f"stays where it is ({disposition.value}): reached through the exchange")
        else:
            target, chain = self.survivor(code)
            verb = "merges into" if disposition is model.Disposition.MERGE else "retires, replaced by"
            if target is None:
                result = (None, f"goes ({disposition.value}): the call is dropped")
            elif self._decisions[target].disposition in HELD:
                result = (None, f"{verb} {' → '.join(chain)}, which stays where it is")
            else:
                result = (target, f"{verb} {' → '.join(chain)}: re-pointed")
        self._cache[code] = result
        return result


@dataclasses.dataclass
class _Load:
    """A wave being filled."""

    systems: list[str] = dataclasses.field(default_factory=list)
    cpu: float = 0.0
    memory_gib: float = 0.0
    closed: bool = False
    frozen: bool = False


@dataclasses.dataclass(frozen=True)
class _Event:
    kind: str  # room, occupied, freeze
    first: int
    last: int
    detail: str


class _MaxTree:
    """Segment tree of per-wave values: the first wave at or after ``start`` whose value reaches ``need``.

    Keeps placement at O(log waves) per attempt on a province, where thousands of waves may be partly full.
    Waves beyond the current size hold ``fill`` (an empty wave); the tree doubles when it runs out.
    """

    def __init__(self, fill: float, size: int = 1024) -> None:
        self.fill = fill
        self.size = size
        self.tree = [fill] * (2 * size)
        self.set(0, -1.0)  # wave 0 does not exist
        for i in range(size - 1, 0, -1):
            self.tree[i] = max(self.tree[2 * i], self.tree[2 * i + 1])

    def get(self, index: int) -> float:
        return self.tree[index + self.size] if index < self.size else self.fill

    def set(self, index: int, value: float) -> None:
        while index >= self.size:
            self._double()
        i = index + self.size
        self.tree[i] = value
        i //= 2
        while i:
            self.tree[i] = max(self.tree[2 * i], self.tree[2 * i + 1])
            i //= 2

    def first_at_least(self, start: int, need: float) -> int:
        while True:
            if start >= self.size:
                return start  # beyond every wave used so far: an empty wave
            i = start + self.size
            while True:
                if self.tree[i] >= need:
                    while i < self.size:
                        i = 2 * i if self.tree[2 * i] >= need else 2 * i + 1
                    return i - self.size
                while i & 1:
                    i >>= 1
                if i == 0:
                    break
                i += 1
            start = self.size

    def _double(self) -> None:
        leaves = self.tree[self.size :] + [self.fill] * self.size
        self.size *= 2
        self.tree = [0.0] * self.size + leaves
        for i in range(self.size - 1, 0, -1):
            self.tree[i] = max(self.tree[2 * i], self.tree[2 * i + 1])


_EPSILON = 1e-9


class _Scheduler:
    """List scheduling of the components of the moving graph into waves."""

    def __init__(
        self,
        inventory: model.Inventory,
        settings: WaveSettings,
        *,
        freeze: Freeze | None = None,
        pinned: Mapping[str, int] | None = None,
    ) -> None:
        self.inventory = inventory
        self.settings = settings
        self.loads: list[_Load] = [_Load(closed=True)]  # index 0 unused: waves count from 1
        self.cpu_left = _MaxTree(settings.cpu)  # -1 for a closed (full or frozen) wave
        self.memory_left = _MaxTree(settings.memory_gib)
        self.capacity_pushed = 0
        self._deferrals: dict[tuple[str, model.FreezeWindow], tuple[set[str], set[int]]] = {}
        self.freeze = freeze
        self.pinned: Mapping[str, int] = pinned or {}
        for number in sorted(freeze.waves if freeze else ()):
            self._close(number)
            self._load(number).frozen = True

    # -- waves ------------------------------------------------------------------------------------------
    def _load(self, number: int) -> _Load:
        while len(self.loads) <= number:
            self.loads.append(_Load())
        return self.loads[number]

    def _first_fit(self, number: int, cpu: float, memory: float) -> int:
        """First open wave >= ``number`` with ``cpu`` cores and ``memory`` GiB left."""
        while True:
            number = self.cpu_left.first_at_least(number, cpu - _EPSILON)
            if self.memory_left.get(number) >= memory - _EPSILON:
                return number
            number = self.memory_left.first_at_least(number, memory - _EPSILON)
            if self.cpu_left.get(number) >= cpu - _EPSILON:
                return number

    def _close(self, number: int) -> None:
        self._load(number).closed = True
        self.cpu_left.set(number, -1.0)
        self.memory_left.set(number, -1.0)

    def _no_room(self, number: int, cpu: float, memory: float) -> str:
        """Why wave ``number`` could not take a component needing ``cpu`` cores and ``memory`` GiB."""
        load = self._load(number)
        settings = self.settings
        if load.frozen:
            return "frozen (it has started)"
        if load.closed:
            if len(load.systems) >= settings.max_systems:
                return f"full ({_count(settings.max_systems, 'system', 'systems')})"
            return "taken by a component larger than a wave"
        cpu_left = settings.cpu - load.cpu
        if cpu_left < cpu - _EPSILON:
            return f"out of cores ({_num(cpu_left)} of {_num(settings.cpu)} left, needs {_num(cpu)})"
        memory_left = settings.memory_gib - load.memory_gib
        return f"out of memory ({_num(memory_left)} of {_num(settings.memory_gib)} GiB left, needs {_num(memory)})"

    def waves(self) -> tuple[Wave, ...]:
        last = max((n for n, load in enumerate(self.loads) if load.systems), default=0)
        result = []
        for number in range(1, last + 1):
            load = self.loads[number]
            start, end = (self.freeze.waves.get(number) if self.freeze else None) or wave_dates(self.settings, number)
            result.append(Wave(number, start, end, tuple(load.systems), round(load.cpu, 3), round(load.memory_gib, 3)))
        return tuple(result)

    def deferrals(self) -> tuple[FreezeDeferral, ...]:
        return tuple(
            FreezeDeferral(department, window, tuple(sorted(systems)), tuple(sorted(waves)))
            for (department, window), (systems, waves) in sorted(
                self._deferrals.items(), key=lambda item: (item[0][0], item[0][1].start)
            )
        )

    def _frozen(self, departments: Iterable[str], number: int) -> tuple[str, model.FreezeWindow] | None:
        start, end = wave_dates(self.settings, number)
        for code in departments:
            department = self.inventory.department_by_code.get(code)
            if department is None:
                continue
            for window in department.freeze_windows:
                if window.start <= end and start <= window.end:
                    return code, window
        return None

    # -- placing ----------------------------------------------------------------------------------------
    def place_all(
        self, graph: nx.DiGraph, notes: Mapping[str, Sequence[str]]
    ) -> tuple[dict[str, Placement], tuple[Cycle, ...], tuple[Oversized, ...]]:
        components = [tuple(sorted(c)) for c in nx.strongly_connected_components(graph)]
        components.sort()
        component_of = {code: index for index, members in enumerate(components) for code in members}
        providers_of: list[set[int]] = [set() for _ in components]
        consumers_of: list[set[int]] = [set() for _ in components]
        for consumer, provider in graph.edges:
            a, b = component_of[consumer], component_of[provider]
            if a != b:
                providers_of[a].add(b)
                consumers_of[b].add(a)
        height = _heights(consumers_of, providers_of)

        systems = self.inventory.system_by_code
        wave_of: dict[str, int] = {}
        placements: dict[str, Placement] = {}
        cycles: list[Cycle] = []
        oversized: list[Oversized] = []
        waiting = [len(p) for p in providers_of]
        ready = [(-height[i], components[i][0], i) for i, count in enumerate(waiting) if count == 0]
        heapq.heapify(ready)
        while ready:
            _, _, index = heapq.heappop(ready)
            component = components[index]
            for code in component:
                if code in self.pinned:
                    wave_of[code] = self._pin(code, systems)
                    placements[code] = Placement(
                        system=code,
                        wave=wave_of[code],
                        reasons=(self._pinned_reason(wave_of[code]), *notes.get(code, ())),
                        providers=tuple(sorted({p for p in graph.succ[code] if p != code})),
                        cycle=tuple(m for m in component if m != code) if len(component) > 1 else (),
                    )
            members = tuple(code for code in component if code not in self.pinned)
            if not members:
                if len(component) > 1:
                    cycles.append(Cycle(component, _cycle_path(graph, component), wave_of[component[0]]))
                for consumer in consumers_of[index]:
                    waiting[consumer] -= 1
                    if waiting[consumer] == 0:
                        heapq.heappush(ready, (-height[consumer], components[consumer][0], consumer))
                continue
            direct = sorted({p for code in members for p in graph.succ[code] if p not in members})
            earliest = max((wave_of[p] for p in direct), default=1)
            number, events, too_big = self._place(members, earliest, systems)
            for code in members:
                wave_of[code] = number
            reason = _wave_reason(number, earliest, direct, wave_of, events)
            cycle: tuple[str, ...] = ()
            extra: list[str] = []
            if len(component) > 1:
                path = _cycle_path(graph, component)
                cycles.append(Cycle(component, path, number))
                cycle = component
                extra.append(f"moves with its dependency cycle {' → '.join(path)}")
                frozen_partners = [m for m in component if m in self.pinned]
                if frozen_partners:
                    extra.append(
                        "its cycle partners "
                        + ", ".join(f"{m} (wave {wave_of[m]})" for m in frozen_partners)
                        + " are frozen: it cannot join them"
                    )
            if too_big:
                oversized.append(Oversized(members, number, too_big))
                extra.append(too_big)
            for code in members:
                own_providers = tuple(sorted({p for p in graph.succ[code] if p != code}))
                placements[code] = Placement(
                    system=code,
                    wave=number,
                    reasons=(reason, *extra, *notes.get(code, ())),
                    providers=own_providers,
                    cycle=tuple(m for m in cycle if m != code),
                )
            for consumer in consumers_of[index]:
                waiting[consumer] -= 1
                if waiting[consumer] == 0:
                    heapq.heappush(ready, (-height[consumer], components[consumer][0], consumer))
        ordered = {code: placements[code] for code in sorted(placements)}
        return ordered, tuple(sorted(cycles, key=lambda c: c.systems)), tuple(oversized)

    def _pin(self, code: str, systems: Mapping[str, model.System]) -> int:
        """Put a frozen wave's system back in it (the wave is closed to every other system)."""
        number = self.pinned[code]
        system = systems[code]
        load = self._load(number)
        load.systems.append(code)
        load.cpu += system.sizing.cpu * system.sizing.replicas
        load.memory_gib += system.sizing.memory_gib * system.sizing.replicas
        return number

    def _pinned_reason(self, number: int) -> str:
        return self.freeze.reason(number) if self.freeze else f"wave {number}: frozen"

    def _place(
        self, members: Sequence[str], earliest: int, systems: Mapping[str, model.System]
    ) -> tuple[int, list[_Event], str]:
        settings = self.settings
        cpu = sum(systems[c].sizing.cpu * systems[c].sizing.replicas for c in members)
        memory = sum(systems[c].sizing.memory_gib * systems[c].sizing.replicas for c in members)
        departments = sorted({systems[c].department for c in members})
        count = len(members)
        too_big = ""
        if count > settings.max_systems or cpu > settings.cpu or memory > settings.memory_gib:
            what = "its dependency cycle" if count > 1 else "it"
            too_big = (
                f"larger than one wave: {what} needs {count} system slot(s), {_num(cpu)} cores, "
                f"{_num(memory)} GiB; a wave holds {settings.max_systems} systems, {_num(settings.cpu)} cores, "
                f"{_num(settings.memory_gib)} GiB: placed alone in an empty wave"
            )
        events: list[_Event] = []
        number = earliest
        pushed = False
        while True:
            if too_big:
                load = self._load(number)
                if load.systems or load.closed:
                    _add_event(events, "occupied", number, "not empty")
                    pushed = True
                    number += 1
                    continue
            else:
                found = self._first_fit(number, cpu, memory)
                if found > number:
                    detail = (
                        f"wave {number} was {self._no_room(number, cpu, memory)}"
                        if found == number + 1
                        else f"waves {number}–{found - 1} are frozen (they have started)"
                        if all(self._load(n).frozen for n in range(number, found))
                        else f"waves {number}–{found - 1} had no room for it (a wave holds {settings.max_systems} "
                        f"systems, {_num(settings.cpu)} cores, {_num(settings.memory_gib)} GiB)"
                    )
                    events.append(_Event("room", number, found - 1, detail))
                    pushed = True
                    number = found
            frozen = self._frozen(departments, number)
            if frozen is not None:
                department, window = frozen
                detail = f"department {department} frozen {window.start}..{window.end} ({window.reason})"
                _add_event(events, "freeze", number, detail)
                systems_set, waves_set = self._deferrals.setdefault((department, window), (set(), set()))
                systems_set.update(c for c in members if systems[c].department == department)
                waves_set.add(number)
                number += 1
                continue
            break
        load = self._load(number)
        load.systems.extend(members)
        load.cpu += cpu
        load.memory_gib += memory
        if too_big or len(load.systems) >= settings.max_systems:
            self._close(number)
        else:
            self.cpu_left.set(number, settings.cpu - load.cpu)
            self.memory_left.set(number, settings.memory_gib - load.memory_gib)
        if pushed:
            self.capacity_pushed += count
        return number, events, too_big


def _add_event(events: list[_Event], kind: str, number: int, detail: str) -> None:
    """Record why wave ``number`` was skipped, merging with the previous event when it continues it."""
    if events and events[-1].kind == kind and events[-1].detail == detail and events[-1].last == number - 1:
        events[-1] = dataclasses.replace(events[-1], last=number)
    else:
        events.append(_Event(kind, number, number, detail))


def _waves_text(first: int, last: int) -> str:
    return f"wave {first} was" if first == last else f"waves {first}–{last} were"


def _wave_reason(
    number: int, earliest: int, providers: Sequence[str], wave_of: Mapping[str, int], events: Sequence[_Event]
) -> str:
    binding = [p for p in providers if wave_of[p] == earliest]
    parts: list[str] = []
    if binding:
        named = ", ".join(f"{p} (wave {earliest})" for p in binding[:_MAX_NAMED])
        more = f" and {len(binding) - _MAX_NAMED} more" if len(binding) > _MAX_NAMED else ""
        parts.append(f"after its provider{'s' if len(binding) > 1 else ''} {named}{more}")
    else:
        parts.append("no providers to wait for")
    for event in events:
        if event.kind == "freeze":
            where = f"wave {event.first}" if event.first == event.last else f"waves {event.first}–{event.last}"
            parts.append(f"{where}: {event.detail}")
        elif event.kind == "occupied":
            parts.append(f"{_waves_text(event.first, event.last)} {event.detail}")
        else:
            parts.append(event.detail)
    return f"wave {number}: " + "; ".join(parts)


def _heights(consumers_of: Sequence[set[int]], providers_of: Sequence[set[int]]) -> list[int]:
    """Length of the longest chain of consumers above each component (in a DAG of components)."""
    height = [0] * len(consumers_of)
    remaining = [len(c) for c in consumers_of]
    stack = [i for i, count in enumerate(remaining) if count == 0]
    while stack:
        index = stack.pop()
        for provider in providers_of[index]:
            height[provider] = max(height[provider], height[index] + 1)
            remaining[provider] -= 1
            if remaining[provider] == 0:
                stack.append(provider)
    return height


def _cycle_path(graph: nx.DiGraph, members: Sequence[str]) -> tuple[str, ...]:
    """One cycle through a strongly connected component, starting at its first member."""
    edges = nx.find_cycle(graph.subgraph(members), source=members[0])
    path = [edges[0][0], *(edge[1] for edge in edges)]
    return tuple(path)


def _num(value: float) -> str:
    return f"{value:g}"


# ---------------------------------------------------------------------------------------------------------
# Callers and decommissions


def _callers(
    inventory: model.Inventory,
    graph: nx.DiGraph,
    decisions: Mapping[str, Decision],
    resolver: _Resolver,
    moving: Sequence[str],
) -> dict[str, tuple[str, ...]]:
    """Departments whose surviving systems call each moving system, directly or after re-pointing."""
    systems = inventory.system_by_code
    found: dict[str, set[str]] = {code: set() for code in moving}
    for consumer, provider in graph.edges:
        if decisions[consumer].disposition in DECOMMISSIONED:
            continue
        target, _ = resolver.resolve(provider)
        if target is not None and target in found and target != consumer:
            found[target].add(systems[consumer].department)
    return {code: tuple(sorted(depts - {systems[code].department})) for code, depts in found.items()}


def _plan_decommissions(
    inventory: model.Inventory,
    *,
    graph: nx.DiGraph,
    decisions: Mapping[str, Decision],
    resolver: _Resolver,
    placements: Mapping[str, Placement],
    settings: WaveSettings,
    wave_end: Mapping[int, dt.date] | None = None,
) -> dict[str, Decommission]:
    systems = inventory.system_by_code
    result: dict[str, Decommission] = {}
    for system in inventory.systems:
        decision = decisions[system.code]
        if decision.disposition not in DECOMMISSIONED:
            continue
        target, _ = resolver.survivor(system.code)
        merge_into = resolver.successor(system.code)
        reasons: list[str] = [*decision.reasons]
        waits: list[tuple[int, str]] = []
        if merge_into is not None and target is not None and target in placements:
            waits.append(
                (placements[target].wave, f"{target} finishes its data stage (wave {placements[target].wave})")
            )
        elif decision.disposition is model.Disposition.MERGE and merge_into is None:
            reasons.append("no merge target named: its data is archived as for a retirement")
        dependents: list[Repoint] = []
        for consumer in sorted(graph.pred[system.code]):
            if decisions[consumer].disposition in DECOMMISSIONED:
                continue
            dependents.append(Repoint(consumer, systems[consumer].department, target))
            if consumer in placements:
                wave = placements[consumer].wave
                waits.append((wave, f"{consumer} re-points {'to ' + target if target else 'away'} (wave {wave})"))
        after_wave = max((w for w, _ in waits), default=None)
        if after_wave is not None:
            last = [text for w, text in waits if w == after_wave]
            more = f" and {len(last) - _MAX_NAMED} more" if len(last) > _MAX_NAMED else ""
            reasons.insert(0, f"shut down after {', '.join(last[:_MAX_NAMED])}{more}")
            end = (wave_end or {}).get(after_wave) or wave_dates(settings, after_wave)[1]
            base = end + dt.timedelta(days=1)
        else:
            reasons.insert(0, "shut down at the start of the programme: nothing on the cloud waits for it")
            base = settings.start
        shutdown = base + dt.timedelta(days=settings.decommission_after_days)
        shutdown, moved = _after_freeze(inventory.department_by_code.get(system.department), shutdown)
        if moved is not None:
            reasons.append(
                f"department {system.department} frozen {moved.start}..{moved.end} ({moved.reason}): "
                f"shutdown moved to {shutdown}"
            )
        result[system.code] = Decommission(
            system=system.code,
            department=system.department,
            disposition=decision.disposition,
            merge_into=merge_into,
            dependents=tuple(dependents),
            entries=tuple(e.code for e in inventory.entries_of_system.get(system.code, ())),
            after_wave=after_wave,
            shutdown=shutdown,
            reasons=tuple(reasons),
        )
    return result


def _plan_intranet_moves(
    inventory: model.Inventory, decisions: Mapping[str, Decision], settings: WaveSettings
) -> dict[str, IntranetMove]:
    """The network stage of every held classified system: onto the intranet, in the first wave's network days."""
    start, end = stage_window(settings.start, settings.length_days, Stage.NETWORK)
    moving = {s.code for s in inventory.systems if s.classified and decisions[s.code].disposition in HELD}
    result: dict[str, IntranetMove] = {}
    for system in inventory.systems:
        if system.code not in moving:
            continue
        zone = inventory.intranet_zone_of_system(system)
        private = inventory.private_network_of_system.get(system.code)
        leaves = private.code if private is not None else system.carrying_network.value
        begin, moved = _after_freeze(inventory.department_by_code.get(system.department), start)
        finish = max(end, begin + (end - start))
        where = zone.code if zone is not None else "its department's intranet zone (none declared)"
        if system.carrying_network is model.CarryingNetwork.INTRANET:
            first = f"classified (涉密): already on the 电子政务内网; its network stage registers it in {where}"
        else:
            source = f"业务专网 {private.code} ({private.name})" if private is not None else system.carrying_network
            first = f"classified (涉密): its network stage moves it from {source} onto the 电子政务内网 ({where})"
        reasons = [first, "never onto the shared cloud: no Kubernetes objects, no data or business stage"]
        if moved is not None:
            reasons.append(f"department {system.department} frozen {moved.start}..{moved.end} ({moved.reason})")
        providers = tuple(sorted(d for d in system.depends_on if d in moving and d != system.code))
        result[system.code] = IntranetMove(
            system=system.code,
            department=system.department,
            zone=zone.code if zone is not None else None,
            leaves=leaves,
            start=begin,
            end=finish,
            providers=providers,
            reasons=tuple(reasons),
        )
    return result


def _after_freeze(department: model.Department | None, day: dt.date) -> tuple[dt.date, model.FreezeWindow | None]:
    """The first day on or after ``day`` outside the department's freeze windows."""
    if department is None:
        return day, None
    moved: model.FreezeWindow | None = None
    changed = True
    while changed:
        changed = False
        for window in department.freeze_windows:
            if window.start <= day <= window.end:
                day = window.end + dt.timedelta(days=1)
                moved = window
                changed = True
    return day, moved


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"
