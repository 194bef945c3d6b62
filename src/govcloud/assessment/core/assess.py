"""The assessment: zombies, duplicates, cloud readiness and a disposition for every system. Pure: no I/O.

:func:`assess_inventory` applies the programme's rules (DOMAIN.md sections 1, 5 and 6) with the thresholds of
:class:`~govcloud.core.settings.Settings`, and explains every outcome in text a migration lead can check
against the census.

**Reference date.** "Months without update" is counted to the inventory's census date (``city.census_date``)
unless another date is given, so the same inventory always gives the same assessment, whenever it is run.

**Zombie criteria** (国办发〔2017〕39号), each with its evidence:

1. detached from business: fewer monthly users than ``detached_max_monthly_users`` and used no more often
   than ``detached_frequencies``;
2. replaceable: the system duplicates another that stays (see below): "function covered by X";
3. idle: average CPU below ``idle_cpu_percent``;
4. unmaintained: no update (or, without one, no change since go-live) for ``months_without_update`` months;
5. small scope, low frequency: department-internal, fewer users than ``small_scope_max_monthly_users``,
   used no more often than ``small_scope_frequencies``.

A criterion whose census field is empty is not evaluated (no evidence, no finding).

**Weighing the findings** (:func:`weigh_zombie`). Each finding keeps its evidence, but findings alone never
retire a system. Criteria are grouped by the evidence they rest on (detached and small scope both read the
monthly users and the frequency, so they count as one): 下线 is proposed only on
``retire_min_independent_criteria`` independent criteria (default 2) or one of ``strong_criteria`` (default
detached, unmaintained). Counter-signals turn any candidate into 复核 (review), never 下线: 面向公众 or 跨部门
scope used daily or weekly; at least ``counter_monthly_users`` monthly users; an update within
``counter_updated_within_months`` months; any system depending on it (``depends_on``, or consuming its
entries). Too little evidence gives 复核 as well. A 复核 system keeps the disposition readiness gives it,
with the reasons on both sides first.

**Proposals and confirmations.** A 下线 or 整合 is a proposal (提议) until a lead confirms it: by a
``disposition_override`` in the census, or by a :class:`Confirmation` the caller passes in (``confirmations``:
system code → confirmed disposition, merge target, who, when; the migration ledger's signed
``disposition.confirm`` entries). A confirmation applies only while it matches the proposal (same
disposition, same merge target). Until then the decision's ``disposition`` is what readiness gives (迁移,
改造后迁移, 暂缓), its ``proposal`` holds the 下线/整合 with its reasons, and so plans neither retire nor merge
anything: the system keeps its migration plan, whose reasons start with the proposal.

**Duplicates and merges.** Pairs come from :mod:`govcloud.assessment.core.similarity`: a pair needs, besides
its score, overlapping functions (``min_function_similarity``) AND overlapping distinctive data
(``min_data_overlap``: data items and catalogue entry names, less each department's common vocabulary, see
:func:`distinctive_data`), so alike names never make a pair. Within each set of duplicates
one system survives; the others merge into it (整合). Systems that may survive (not classified, not proposed
for 下线 by their zombie findings, not held back by a lead's decision) are taken first, best first: one that
would move on its own before one that cannot; then the more recent update (the maintained copy carries the function
on), broader scope (面向公众 > 跨部门 > 部门内部), more monthly users, and the code as the last tie-break.
A system merges into its most similar duplicate that already survives; if it has none it survives itself
if it may. The others then merge into their most similar survivor, if any (a zombie's data goes to the
system that carries its function on). Chains never form: a merge target always survives.

**Disposition** (the proposal, for rules 3 and 4, until confirmed), first rule that applies:

1. a lead's override (``System.disposition_override``) wins; the reasons say who decided, when and why,
   and what the assessment would have decided;
2. classified → 豁免 (classified systems never move); MLPS level 5 → 豁免 (never on a shared cloud);
3. duplicate of a survivor → 整合 into it (a proposal until confirmed);
4. zombie findings weighed to 下线 → 下线 (a proposal until confirmed); weighed to 复核 → the rules below,
   with the review's reasons first;
5. MLPS above the cloud, special hardware, licence → 暂缓 with every reason (refactoring would not help);
6. platform (minicomputer, mainframe, other architecture, non-virtualisable OS), vendor support ended or
   vendor gone, or a physical deployment → 改造后迁移;
7. otherwise → 迁移.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence

from govcloud.assessment.core import similarity
from govcloud.assessment.core.assessment import (
    CRITERION_SIGNAL,
    Assessment,
    Blocker,
    Confirmation,
    Decision,
    DuplicateFinding,
    DuplicatePair,
    Proposal,
    ReadinessBlocker,
    SystemAssessment,
    ZombieCriterion,
    ZombieFinding,
    ZombieVerdict,
    ZombieWeighing,
)
from govcloud.core import model
from govcloud.core.settings import CloudSettings, DuplicateSettings, Settings, ZombieSettings

Disposition = model.Disposition

_DEFERRING = frozenset({ReadinessBlocker.MLPS_ABOVE_CLOUD, ReadinessBlocker.SPECIAL_HARDWARE, ReadinessBlocker.LICENCE})
_REFACTORABLE = frozenset({ReadinessBlocker.PLATFORM, ReadinessBlocker.VENDOR})
_MOVING = frozenset({Disposition.REHOST, Disposition.REPLATFORM})
_SCOPE_RANK = {model.Scope.PUBLIC: 2, model.Scope.CROSS_DEPARTMENT: 1, model.Scope.INTERNAL: 0}
_MAX_TERMS_IN_REASON = 3


def assess_inventory(
    inventory: model.Inventory,
    settings: Settings | None = None,
    *,
    today: dt.date | None = None,
    confirmations: Mapping[str, Confirmation] | None = None,
) -> Assessment:
    """Assess every system of ``inventory``; ``today`` defaults to the census date (see the module docstring).

    ``confirmations`` (system code → a lead's confirmation, e.g. from the migration ledger) put matching
    下线 and 整合 proposals into effect; without one a proposal stays a proposal (提议).
    """
    settings = settings or Settings()
    confirmations = confirmations or {}
    reference = today or inventory.city.census_date
    systems = inventory.systems
    dependents = dependents_of(inventory)
    zombies = {s.code: list(find_zombie_findings(s, settings.zombie, today=reference)) for s in systems}
    blockers = {s.code: find_blockers(s, settings.cloud) for s in systems}
    pairs = find_duplicate_pairs(inventory, settings.duplicate)
    duplicates: dict[str, list[DuplicateFinding]] = {s.code: [] for s in systems}
    for pair in pairs:
        duplicates[pair.a].append(DuplicateFinding(pair.b, pair.score, pair.overlapping_terms, pair.within_department))
        duplicates[pair.b].append(DuplicateFinding(pair.a, pair.score, pair.overlapping_terms, pair.within_department))
    weighings = {
        s.code: weigh_zombie(
            s, zombies[s.code], dependents=dependents.get(s.code, ()), settings=settings.zombie, today=reference
        )
        for s in systems
        if zombies[s.code]
    }
    retiring = {code for code, w in weighings.items() if w.verdict is ZombieVerdict.RETIRE}
    merges = choose_merges(
        inventory, duplicates, zombies=zombies, blockers=blockers, settings=settings.duplicate, retiring=retiring
    )
    assessed: dict[str, SystemAssessment] = {}
    for system in systems:
        code = system.code
        merge = merges.get(code)
        if merge is not None:
            target, finding, _ = merge
            zombies[code].insert(
                0,
                ZombieFinding(
                    ZombieCriterion.REPLACEABLE,
                    f"function covered by {target} (similarity {finding.score:.2f}"
                    + ("" if finding.within_department else ", another department")
                    + ")",
                ),
            )
        weighing = weighings.get(code) if merge is None else None
        decision = decide(
            system,
            zombie=zombies[code],
            blockers=blockers[code],
            merge=merge,
            weighing=weighing,
            confirmation=confirmations.get(code),
        )
        assessed[code] = SystemAssessment(
            code=code,
            zombie=tuple(zombies[code]),
            duplicates=tuple(sorted(duplicates[code], key=lambda d: (-d.score, d.other))),
            blockers=blockers[code],
            decision=decision,
            weighing=weighing,
        )
    return Assessment(systems=assessed, reference_date=reference, duplicate_pairs=tuple(pairs))


# ---------------------------------------------------------------------------------------------------------
# Zombies


def months_between(earlier: dt.date, later: dt.date) -> int:
    """Whole months from ``earlier`` to ``later`` (0 when ``later`` is not after it)."""
    months = (later.year - earlier.year) * 12 + (later.month - earlier.month)
    if later.day < earlier.day:
        months -= 1
    return max(0, months)


def find_zombie_findings(system: model.System, settings: ZombieSettings, *, today: dt.date) -> Iterable[ZombieFinding]:
    """The zombie criteria ``system`` meets on its own census fields (all but "replaceable")."""
    users = system.monthly_active_users
    if (
        users is not None
        and users < settings.detached_max_monthly_users
        and system.frequency in settings.detached_frequencies
    ):
        yield ZombieFinding(ZombieCriterion.DETACHED, f"{users} monthly users, used {system.frequency}")
    if system.avg_cpu_percent is not None and system.avg_cpu_percent < settings.idle_cpu_percent:
        yield ZombieFinding(ZombieCriterion.IDLE, f"average CPU {system.avg_cpu_percent:g}%")
    last = system.last_update or system.go_live
    if last is not None:
        months = months_between(last, today)
        if months >= settings.months_without_update:
            since = "update" if system.last_update is not None else "change since go-live"
            evidence = f"no {since} for {months} months (last {last.isoformat()})"
            if system.vendor_support is not model.VendorSupport.ACTIVE:
                evidence += f"; vendor {system.vendor_support}"
            yield ZombieFinding(ZombieCriterion.UNMAINTAINED, evidence)
    if (
        users is not None
        and system.scope is model.Scope.INTERNAL
        and users < settings.small_scope_max_monthly_users
        and system.frequency in settings.small_scope_frequencies
    ):
        yield ZombieFinding(
            ZombieCriterion.SMALL_SCOPE,
            f"{users} monthly users, department-internal scope ({system.scope}), used {system.frequency}",
        )


def dependents_of(inventory: model.Inventory) -> dict[str, tuple[str, ...]]:
    """System → the systems that depend on it (``depends_on``, or consuming one of its catalogue entries)."""
    return dict(inventory.callers_by_provider)


def weigh_zombie(
    system: model.System,
    findings: Sequence[ZombieFinding],
    *,
    dependents: Sequence[str],
    settings: ZombieSettings,
    today: dt.date,
) -> ZombieWeighing:
    """Weigh a candidate's findings against its counter-signals (see the module docstring)."""
    for_retiring = tuple(f"{f.criterion}: {f.evidence}" for f in findings)
    against: list[str] = []
    users = system.monthly_active_users
    if system.scope in (model.Scope.PUBLIC, model.Scope.CROSS_DEPARTMENT) and system.frequency in (
        settings.counter_frequencies
    ):
        against.append(f"live: {system.scope} scope, used {system.frequency}")
    if users is not None and users >= settings.counter_monthly_users:
        against.append(f"{users:,} monthly users (at least {settings.counter_monthly_users:,})")
    months = settings.counter_updated_within_months
    if months and system.last_update is not None and months_between(system.last_update, today) < months:
        against.append(f"updated {system.last_update.isoformat()}, within {months} months")
    if settings.counter_dependents and dependents:
        shown = "、".join(dependents[:_MAX_TERMS_IN_REASON]) + (
            f" and {len(dependents) - _MAX_TERMS_IN_REASON} more" if len(dependents) > _MAX_TERMS_IN_REASON else ""
        )
        against.append(f"{len(dependents)} systems depend on it: {shown}")
    signals = {CRITERION_SIGNAL[f.criterion] for f in findings}
    strong = sorted(str(f.criterion) for f in findings if str(f.criterion) in settings.strong_criteria)
    if against:
        return ZombieWeighing(
            ZombieVerdict.REVIEW, for_retiring, tuple(against), "counter-signals: never 下线 without a lead's review"
        )
    if strong:
        why = f"strong criterion: {', '.join(strong)}"
    elif len(signals) >= settings.retire_min_independent_criteria:
        why = f"{len(signals)} independent criteria ({', '.join(sorted(signals))} evidence)"
    else:
        return ZombieWeighing(
            ZombieVerdict.REVIEW,
            for_retiring,
            (),
            f"too little evidence: {len(signals)} independent criterion, 下线 needs "
            f"{settings.retire_min_independent_criteria} or a strong one ({', '.join(settings.strong_criteria)})",
        )
    return ZombieWeighing(ZombieVerdict.RETIRE, for_retiring, (), why)


# ---------------------------------------------------------------------------------------------------------
# Cloud readiness


def find_blockers(system: model.System, settings: CloudSettings) -> tuple[Blocker, ...]:
    """Every reason ``system`` cannot move to the shared cloud as it is (empty: cloud-ready)."""
    found: list[Blocker] = []
    if system.classified:
        found.append(Blocker(ReadinessBlocker.CLASSIFIED, f"classified (涉密) system on {system.carrying_network}"))
    level = system.mlps_level
    if level is not None:
        if level >= 5:
            found.append(Blocker(ReadinessBlocker.MLPS_ABOVE_CLOUD, "MLPS level 5 never goes to a shared cloud"))
        elif level > settings.mlps_level:
            found.append(
                Blocker(
                    ReadinessBlocker.MLPS_ABOVE_CLOUD,
                    f"MLPS level {level} above the cloud's level {settings.mlps_level}",
                )
            )
        elif level == 4 and not settings.dedicated_pools:
            found.append(
                Blocker(
                    ReadinessBlocker.MLPS_ABOVE_CLOUD,
                    "MLPS level 4 needs a dedicated resource pool; none is declared (cloud.dedicated_pools)",
                )
            )
    if system.cpu_arch in (model.CpuArch.MINICOMPUTER, model.CpuArch.MAINFRAME):
        os_part = f" ({system.os})" if system.os else ""
        found.append(Blocker(ReadinessBlocker.PLATFORM, f"runs on a {system.cpu_arch}{os_part}"))
    elif system.cpu_arch not in settings.architectures:
        offered = "/".join(str(a) for a in settings.architectures)
        found.append(Blocker(ReadinessBlocker.PLATFORM, f"runs on {system.cpu_arch}; the cloud offers {offered}"))
    elif system.os and _non_virtualisable(system.os, settings.non_virtualisable_os):
        found.append(
            Blocker(ReadinessBlocker.PLATFORM, f"operating system {system.os} cannot be virtualised on the cloud")
        )
    if system.special_hardware:
        found.append(
            Blocker(ReadinessBlocker.SPECIAL_HARDWARE, "needs special hardware: " + "、".join(system.special_hardware))
        )
    if not system.licence_allows_virtualisation:
        found.append(Blocker(ReadinessBlocker.LICENCE, "licence forbids virtualisation"))
    if system.vendor_support is model.VendorSupport.ENDED:
        found.append(Blocker(ReadinessBlocker.VENDOR, f"vendor support ended ({system.vendor_support})"))
    elif system.vendor_support is model.VendorSupport.VENDOR_GONE:
        found.append(Blocker(ReadinessBlocker.VENDOR, f"vendor no longer exists ({system.vendor_support})"))
    return tuple(found)


def _non_virtualisable(os_name: str, prefixes: Sequence[str]) -> bool:
    folded = os_name.casefold()
    return any(folded.startswith(p.casefold()) for p in prefixes)


# ---------------------------------------------------------------------------------------------------------
# Duplicates and merges


def department_lines(departments: Iterable[model.Department]) -> dict[str, str]:
    """Each department's line: the root of its parent chain (itself without a parent)."""
    parent = {d.code: d.parent for d in departments}
    lines: dict[str, str] = {}
    for code in parent:
        seen = {code}
        root = code
        while (up := parent.get(root)) is not None and up in parent and up not in seen:
            seen.add(up)
            root = up
        lines[code] = root
    return lines


def find_duplicate_pairs(inventory: model.Inventory, settings: DuplicateSettings) -> list[DuplicatePair]:
    """Every pair of systems whose name, function and data items make them duplicates, best first."""
    lines = department_lines(inventory.departments)
    data = distinctive_data(inventory, settings)
    documents = [
        similarity.Document(
            key=s.code,
            department=s.department,
            line=lines.get(s.department, s.department),
            name=s.name,
            function=s.function,
            data_items=data[s.code],
        )
        for s in inventory.systems
    ]
    corpus = similarity.Corpus(
        documents,
        weights=similarity.Weights(settings.name_weight, settings.function_weight, settings.data_item_weight),
        max_df_share=settings.index_max_df_share,
        min_df=settings.index_min_df,
    )
    result = similarity.find_duplicates(
        corpus,
        threshold=settings.min_similarity,
        compare_counterparts=settings.compare_counterpart_departments,
        gates=similarity.Gates(min_function=settings.min_function_similarity, min_data=settings.min_data_overlap),
    )
    return [DuplicatePair(p.a, p.b, p.score, p.overlapping_terms, p.within_department) for p in result.pairs]


ENTRY_PREFIX = "目录:"
"""Marks a catalogue entry's name among a system's data terms (an item and an entry may share a name)."""


def distinctive_data(inventory: model.Inventory, settings: DuplicateSettings) -> dict[str, tuple[str, ...]]:
    """Each system's data terms (its entries' data items, and the entries' names) less its department's vocabulary.

    A term held by more than ``department_common_share`` of a department's systems, and by at least
    ``department_common_min_systems`` of them, is what the department works with whatever the system does
    (学生姓名 in every system of 教育局): no evidence that two of its systems hold the same data.
    """
    entries = inventory.entries_of_system
    terms: dict[str, tuple[str, ...]] = {}
    per_department: dict[str, list[str]] = {}
    for system in inventory.systems:
        own = entries.get(system.code, ())
        terms[system.code] = tuple(
            dict.fromkeys(
                [item.name for entry in own for item in entry.data_items] + [ENTRY_PREFIX + entry.name for entry in own]
            )
        )
        per_department.setdefault(system.department, []).append(system.code)
    result: dict[str, tuple[str, ...]] = {}
    for members in per_department.values():
        held: dict[str, int] = {}
        for code in members:
            for term in terms[code]:
                held[term] = held.get(term, 0) + 1
        share = settings.department_common_share * len(members)
        common = {t for t, n in held.items() if n >= settings.department_common_min_systems and n > share}
        for code in members:
            result[code] = tuple(t for t in terms[code] if t not in common)
    return result


def choose_merges(
    inventory: model.Inventory,
    duplicates: Mapping[str, Sequence[DuplicateFinding]],
    *,
    zombies: Mapping[str, Sequence[ZombieFinding]],
    blockers: Mapping[str, Sequence[Blocker]],
    settings: DuplicateSettings,
    retiring: Collection[str] | None = None,
) -> dict[str, tuple[str, DuplicateFinding, str]]:
    """System → (survivor it merges into, the duplicate finding, why the survivor stays); see the docstring.

    ``retiring``: the systems whose zombie findings propose 下线; they never survive a duplicate set (a system
    under review, 复核, may). Without it, any system with a zombie finding is kept from surviving.
    """
    by_code = inventory.system_by_code

    def moves_alone(code: str) -> bool:
        return not any(b.reason in _DEFERRING or b.reason is ReadinessBlocker.CLASSIFIED for b in blockers[code])

    def eligible(code: str) -> bool:
        system = by_code[code]
        override = system.disposition_override
        zombie = code in retiring if retiring is not None else bool(zombies[code])
        return not system.classified and not zombie and (override is None or override.disposition in _MOVING)

    def preference(code: str) -> tuple[int, int, int, int, str]:
        system = by_code[code]
        last = system.last_update or system.go_live
        return (
            -int(moves_alone(code)),
            -(last.toordinal() if last is not None else 0),
            -_SCOPE_RANK[system.scope],
            -(system.monthly_active_users if system.monthly_active_users is not None else -1),
            code,
        )

    involved = sorted((code for code, found in duplicates.items() if found), key=preference)
    # Systems that may survive first, best first; the others can only merge into a survivor.
    ordered = [c for c in involved if eligible(c)] + [c for c in involved if not eligible(c)]
    rank = {code: k for k, code in enumerate(ordered)}
    survivors: set[str] = set()
    merges: dict[str, tuple[str, DuplicateFinding, str]] = {}
    for code in ordered:
        targets = [
            d
            for d in duplicates[code]
            if d.other in survivors and (d.within_department or settings.merge_across_departments)
        ]
        if targets:
            best = min(targets, key=lambda d: (-d.score, rank[d.other]))
            merges[code] = (best.other, best, _why_survives(by_code[best.other], by_code[code], moves_alone))
        elif eligible(code):
            survivors.add(code)
    return merges


def _why_survives(survivor: model.System, merged: model.System, moves_alone: Callable[[str], bool]) -> str:
    """The first preference on which the survivor beats the merged system, in words."""
    if moves_alone(survivor.code) and not moves_alone(merged.code):
        return f"{survivor.code} can move to the cloud and {merged.code} cannot as it is"
    last_s, last_m = survivor.last_update or survivor.go_live, merged.last_update or merged.go_live
    if last_s is not None and (last_m is None or last_s > last_m):
        return f"{survivor.code} is maintained: updated more recently ({last_s.isoformat()} vs {_date(last_m)})"
    if _SCOPE_RANK[survivor.scope] != _SCOPE_RANK[merged.scope]:
        return f"{survivor.code} serves a broader scope ({survivor.scope} vs {merged.scope})"
    users_s, users_m = survivor.monthly_active_users, merged.monthly_active_users
    if (users_s or 0) > (users_m or 0):
        return f"{survivor.code} has more monthly users ({users_s or 0:,} vs {users_m or 0:,})"
    return f"{survivor.code} comes first in code order (otherwise equal)"


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value is not None else "never"


# ---------------------------------------------------------------------------------------------------------
# Dispositions


def decide(
    system: model.System,
    *,
    zombie: Sequence[ZombieFinding],
    blockers: Sequence[Blocker],
    merge: tuple[str, DuplicateFinding, str] | None,
    weighing: ZombieWeighing | None = None,
    confirmation: Confirmation | None = None,
) -> Decision:
    """The disposition of ``system`` with its reasons; a lead's override wins and is marked as such.

    A 下线 or 整合 proposal takes effect only with a matching ``confirmation`` (or an override); until then
    the system keeps the disposition the readiness rules give, and the proposal rides along (提议).
    """
    assessed = assessed_decision(system, zombie=zombie, blockers=blockers, merge=merge, weighing=weighing)
    override = system.disposition_override
    if override is None:
        return _confirmed(assessed, confirmation)
    would = str(assessed.disposition) + (f" into {assessed.merge_into}" if assessed.merge_into else "")
    reasons = (
        f"override by {override.decided_by} on {override.decided_on.isoformat()}: {override.reason}",
        f"the assessment alone would decide {would}: " + "; ".join(assessed.reasons),
    )
    return Decision(
        disposition=override.disposition,
        reasons=reasons,
        merge_into=override.merge_into,
        override=override,
        proposal=assessed.proposal,
    )


def _confirmed(assessed: Decision, confirmation: Confirmation | None) -> Decision:
    """The decision once a lead's confirmation is applied: in effect if it matches the proposal."""
    proposal = assessed.proposal
    if confirmation is None:
        return assessed
    by = f"{confirmation.confirmed_by} on {confirmation.confirmed_on.isoformat()} ({confirmation.source}"
    by += f" {confirmation.reference})" if confirmation.reference else ")"
    if proposal is None or not confirmation.matches(proposal):
        now = f"the assessment now proposes {proposal.describe()}" if proposal else "the assessment proposes nothing"
        target = f" → {confirmation.merge_into}" if confirmation.merge_into else ""
        note = (
            f"confirmation by {by} of {confirmation.disposition}{target} not applied: {now}; "
            "confirm the current proposal again"
        )
        return dataclasses.replace(assessed, reasons=(*assessed.reasons, note))
    return Decision(
        disposition=proposal.disposition,
        reasons=(f"confirmed by {by}", *proposal.reasons),
        merge_into=proposal.merge_into,
        proposal=proposal,
        confirmation=confirmation,
    )


def assessed_decision(
    system: model.System,
    *,
    zombie: Sequence[ZombieFinding],
    blockers: Sequence[Blocker],
    merge: tuple[str, DuplicateFinding, str] | None,
    weighing: ZombieWeighing | None = None,
) -> Decision:
    """The disposition the rules give, before any override (see the module docstring for their order)."""
    kinds = {b.reason for b in blockers}
    if ReadinessBlocker.CLASSIFIED in kinds:
        return Decision(Disposition.EXEMPT, ("classified systems never move", *_evidence(blockers)))
    if system.mlps_level is not None and system.mlps_level >= 5:
        return Decision(Disposition.EXEMPT, ("MLPS level 5 never goes to a shared cloud",))
    fallback = _readiness_decision(system, blockers)
    proposal: Proposal | None = None
    if merge is not None:
        target, finding, why = merge
        where = "same department" if finding.within_department else "another department"
        shared = "、".join(finding.overlapping_terms[:_MAX_TERMS_IN_REASON])
        reasons = [
            f"duplicates {target} (similarity {finding.score:.2f}, {where}"
            + (f"; shared: {shared}" if shared else "")
            + ")",
            f"{target} stays: {why}",
        ]
        reasons += [
            f"also {f.criterion}: {f.evidence}" for f in zombie if f.criterion is not ZombieCriterion.REPLACEABLE
        ]
        proposal = Proposal(Disposition.MERGE, tuple(reasons), merge_into=target)
    elif weighing is not None and weighing.verdict is ZombieVerdict.RETIRE:
        reasons = [f"zombie, {text}" for text in weighing.for_retiring]
        reasons.append(f"下线 because {weighing.why}; no counter-signal")
        proposal = Proposal(Disposition.RETIRE, tuple(reasons))
    elif weighing is not None:
        review = [f"zombie review (复核): {weighing.why}"]
        review += [f"for 下线: {text}" for text in weighing.for_retiring]
        review += [f"against 下线: {text}" for text in weighing.against]
        return dataclasses.replace(fallback, reasons=(*review, *fallback.reasons))
    if proposal is None:
        return fallback
    pending = (
        f"提议 {proposal.describe()} (proposal): in effect once a lead confirms it (ledger disposition.confirm, "
        f"or disposition_override in the census); until then {fallback.disposition}"
    )
    return Decision(
        fallback.disposition,
        (pending, *proposal.reasons, *(f"until confirmed: {r}" for r in fallback.reasons)),
        proposal=proposal,
    )


def _readiness_decision(system: model.System, blockers: Sequence[Blocker]) -> Decision:
    """The disposition cloud readiness alone gives: 暂缓, 改造后迁移 or 迁移."""
    kinds = {b.reason for b in blockers}
    if kinds & _DEFERRING:
        reasons = [b.evidence for b in blockers if b.reason in _DEFERRING]
        reasons += [f"also to refactor: {b.evidence}" for b in blockers if b.reason not in _DEFERRING]
        return Decision(Disposition.DEFER, tuple(reasons))
    refactor = [b.evidence for b in blockers if b.reason in _REFACTORABLE]
    if system.deployment is model.Deployment.PHYSICAL:
        refactor.append(f"deployed on a physical server ({system.deployment}): re-platform onto a VM or container")
    if refactor:
        return Decision(Disposition.REPLATFORM, tuple(refactor))
    reasons = [
        f"cloud-ready: {system.cpu_arch}, {system.deployment}, licence allows virtualisation, vendor supports it"
    ]
    if system.mlps_level is None:
        reasons.append("not graded for MLPS (等保): grade it before the move")
    else:
        reasons.append(f"MLPS level {system.mlps_level} within the cloud's rating")
    return Decision(Disposition.REHOST, tuple(reasons))


def _evidence(blockers: Iterable[Blocker]) -> tuple[str, ...]:
    return tuple(b.evidence for b in blockers if b.reason is not ReadinessBlocker.CLASSIFIED)
