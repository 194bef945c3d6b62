"""Active grants, overdue deadlines and the figures of the sharing report. Pure.

An active grant is what the exchange platform authorises: the flow matrix and the exchange's authorisation
list take them as input. Every date is passed in (``on``: today by default at the edge), never read here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence

from govcloud.core import model
from govcloud.core.settings import SharingSettings
from govcloud.sharing.core import deadlines, requests
from govcloud.sharing.core.calendar import WorkingCalendar


@dataclasses.dataclass(frozen=True, order=True)
class ExchangeGrant:
    """One consumer system's authorisation on the exchange to use one resource, until ``expires`` (inclusive)."""

    consumer: str
    resource: str
    request: str
    provider_system: str | None
    sharing_type: model.SharingType
    conditions: str
    expires: dt.date


def active_grants(
    found: Iterable[requests.SharingRequest], inventory: model.Inventory, *, on: dt.date
) -> tuple[ExchangeGrant, ...]:
    """The grants active on ``on``: one per system of each active request's 使用范围 (scope), sorted."""
    entries = inventory.entry_by_code
    result: list[ExchangeGrant] = []
    for request in found:
        entry = entries.get(request.resource)
        if entry is None or entry.sharing.type is model.SharingType.NOT_SHARED:
            continue  # a grant of a 不予共享 or vanished entry authorises nothing
        if not requests.is_active_grant(request, on):
            continue
        assert request.answer is not None
        conditions = request.answer.conditions or entry.sharing.conditions or "无条件"
        for consumer in request.scope:
            result.append(
                ExchangeGrant(
                    consumer=consumer,
                    resource=entry.code,
                    request=request.id,
                    provider_system=entry.system,
                    sharing_type=entry.sharing.type,
                    conditions=conditions,
                    expires=request.use_until,
                )
            )
    return tuple(sorted(result))


def ungranted_consumption(inventory: model.Inventory, grants: Iterable[ExchangeGrant]) -> tuple[tuple[str, str], ...]:
    """(system, resource) pairs where a system ``consumes`` a 有条件共享 entry of another department without a grant."""
    granted = {(g.consumer, g.resource) for g in grants}
    entries = inventory.entry_by_code
    missing: list[tuple[str, str]] = []
    for system in inventory.systems:
        for code in system.consumes:
            entry = entries.get(code)
            if entry is None or entry.sharing.type is not model.SharingType.CONDITIONAL:
                continue
            if entry.provider == system.department:
                continue
            if (system.code, code) not in granted:
                missing.append((system.code, code))
    return tuple(sorted(missing))


# --- authorisations of consumption (the data stage's gate) ----------------------------------------------


def is_registration(request: requests.SharingRequest, on: dt.date) -> bool:
    """Whether ``request`` registers its 使用范围 as users of a 无条件共享 resource on ``on``.

    A registration is a request granted (or delivered), not refused, suspended or ended, with ``on`` within its
    使用时限. A 无条件共享 entry needs no conditions, but its use is still requested (Art. 20) and recorded
    (Art. 29), so the exchange knows every consumer.
    """
    return (
        request.state in {requests.RequestState.GRANTED, requests.RequestState.DELIVERED}
        and request.answer is not None
        and request.answer.granted
        and request.submitted_on <= on <= request.use_until
    )


@dataclasses.dataclass(frozen=True)
class Authorisations:
    """Who may consume what on ``on``: (consumer system, resource) under an active grant, or a registration."""

    on: dt.date
    granted: frozenset[tuple[str, str]]
    registered: frozenset[tuple[str, str]]


NO_AUTHORISATIONS = Authorisations(dt.date.min, frozenset(), frozenset())
"""A city that keeps no request files: nobody is authorised."""


def authorisations(found: Iterable[requests.SharingRequest], *, on: dt.date) -> Authorisations:
    """The pairs each request authorises on ``on``: every system of its 使用范围 with its resource."""
    granted: set[tuple[str, str]] = set()
    registered: set[tuple[str, str]] = set()
    for request in found:
        if requests.is_active_grant(request, on):
            granted.update((consumer, request.resource) for consumer in request.scope)
        if is_registration(request, on):
            registered.update((consumer, request.resource) for consumer in request.scope)
    return Authorisations(on, frozenset(granted), frozenset(registered))


@dataclasses.dataclass(frozen=True, order=True)
class Consumed:
    """One ``consumes`` item of a system that needs an authorisation: another department's shareable entry."""

    index: int
    """Its position in the system's ``consumes`` list (the finding names that line)."""
    resource: str
    sharing_type: model.SharingType


def consumed_needing_authorisation(system: model.System, inventory: model.Inventory) -> tuple[Consumed, ...]:
    """The items of ``system.consumes`` that are another department's 有条件共享 or 无条件共享 entries.

    A system's own department's entries need nothing; an unknown or 不予共享 entry is the census check's error.
    """
    entries = inventory.entry_by_code
    found: list[Consumed] = []
    for index, code in enumerate(system.consumes):
        entry = entries.get(code)
        if entry is None or entry.provider == system.department:
            continue
        if entry.sharing.type in {model.SharingType.CONDITIONAL, model.SharingType.UNCONDITIONAL}:
            found.append(Consumed(index, code, entry.sharing.type))
    return tuple(found)


def unauthorised(system: str, consumed: Iterable[Consumed], allowed: Authorisations) -> tuple[Consumed, ...]:
    """The consumed items without what they need: a 有条件共享 one an active grant, a 无条件共享 one a registration."""
    missing: list[Consumed] = []
    for item in consumed:
        if item.sharing_type is model.SharingType.CONDITIONAL:
            ok = (system, item.resource) in allowed.granted
        else:
            ok = (system, item.resource) in allowed.registered or (system, item.resource) in allowed.granted
        if not ok:
            missing.append(item)
    return tuple(missing)


def what_is_missing(item: Consumed) -> str:
    """``<resource> (<sharing type>) without <what it needs>``."""
    if item.sharing_type is model.SharingType.CONDITIONAL:
        return f"{item.resource} (有条件共享) without an active grant"
    return f"{item.resource} (无条件共享) without a registration (a granted or delivered request)"


def consumption_verdict(system: str, consumed: Sequence[Consumed], allowed: Authorisations | None) -> tuple[bool, str]:
    """The data stage's ``consumption_authorised`` gate: its verdict and evidence (both gate evaluators use it)."""
    if not consumed:
        return True, f"{system} consumes no other department's shareable entry"
    missing = unauthorised(system, consumed, allowed or NO_AUTHORISATIONS)
    on = f" on {allowed.on.isoformat()}" if allowed is not None and allowed is not NO_AUTHORISATIONS else ""
    if missing:
        shown = "; ".join(what_is_missing(m) for m in missing[:5])
        more = f"; and {len(missing) - 5} more" if len(missing) > 5 else ""
        return False, f"{len(missing)} of {len(consumed)} consumed entries not authorised{on}: {shown}{more}"
    return True, f"{len(consumed)} of {len(consumed)} consumed entries authorised{on}"


# --- deadlines -----------------------------------------------------------------------------------------------


Overdue = deadlines.Overdue


def overdue(
    found: Sequence[requests.SharingRequest],
    inventory: model.Inventory,
    *,
    on: dt.date,
    settings: SharingSettings,
    calendar: WorkingCalendar,
) -> tuple[Overdue, ...]:
    """Requests not answered or not delivered by their deadline, as of ``on``; oldest deadline first.

    The rules are :func:`govcloud.sharing.core.deadlines.overdue`'s, over the facts of the requests and of the
    entries they name: ``share overdue`` computes the same from its cached facts without the inventory.
    """
    entries = inventory.entry_by_code
    facts = {
        r.resource: deadlines.EntryFacts(entry.provider, entry.sharing.type.value)
        for r in found
        if (entry := entries.get(r.resource)) is not None
    }
    return deadlines.overdue(
        [requests.facts(r) for r in found],
        facts,
        on=on,
        settings=requests.deadline_settings(settings),
        calendar=calendar,
    )


# --- the report ----------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DepartmentFigures:
    department: str
    name: str
    requests_by_state: Mapping[str, int]
    answered: int
    answered_late: int
    median_answer_workdays: float | None
    grants_delivered: int
    entries: int
    entries_never_requested: int


@dataclasses.dataclass(frozen=True)
class SharingReport:
    """Figures per providing department and city-wide (the ``city`` row sums every department)."""

    on: dt.date
    departments: tuple[DepartmentFigures, ...]
    city: DepartmentFigures
    never_requested: tuple[str, ...]
    """Codes of shareable catalogue entries nobody has requested."""


def sharing_report(
    found: Sequence[requests.SharingRequest],
    inventory: model.Inventory,
    *,
    on: dt.date,
    settings: SharingSettings,
    calendar: WorkingCalendar,
) -> SharingReport:
    """Requests by state, answers late, median answer time, deliveries and unrequested entries, as of ``on``."""
    entries = inventory.entry_by_code
    by_provider: dict[str, list[requests.SharingRequest]] = defaultdict(list)
    for request in found:
        entry = entries.get(request.resource)
        if entry is not None:
            by_provider[entry.provider].append(request)
    requested = {r.resource for r in found}
    shareable = [e for e in inventory.catalogue if e.sharing.type is not model.SharingType.NOT_SHARED]
    never = tuple(sorted(e.code for e in shareable if e.code not in requested))
    never_by_department = Counter(entries[c].provider for c in never)
    entries_by_department = Counter(e.provider for e in shareable)
    rows = []
    all_times: list[int] = []
    for department in sorted(inventory.departments, key=lambda d: d.code):
        row, times = _figures(
            department.code,
            department.name,
            by_provider.get(department.code, []),
            entries,
            settings,
            calendar,
            entries_by_department[department.code],
            never_by_department[department.code],
        )
        rows.append(row)
        all_times.extend(times)
    states: Counter[str] = Counter()
    for row in rows:
        states.update(row.requests_by_state)
    city = DepartmentFigures(
        department="*",
        name=inventory.city.name,
        requests_by_state=dict(sorted(states.items())),
        answered=sum(r.answered for r in rows),
        answered_late=sum(r.answered_late for r in rows),
        median_answer_workdays=statistics.median(all_times) if all_times else None,
        grants_delivered=sum(r.grants_delivered for r in rows),
        entries=len(shareable),
        entries_never_requested=len(never),
    )
    return SharingReport(on=on, departments=tuple(rows), city=city, never_requested=never)


def _figures(
    code: str,
    name: str,
    found: Sequence[requests.SharingRequest],
    entries: Mapping[str, model.CatalogueEntry],
    settings: SharingSettings,
    calendar: WorkingCalendar,
    entry_count: int,
    never_count: int,
) -> tuple[DepartmentFigures, list[int]]:
    states = Counter(r.state.value for r in found)
    times: list[int] = []
    late = 0
    delivered = 0
    for request in found:
        if request.delivery is not None:
            delivered += 1
        if request.answer is None:
            continue
        times.append(calendar.workdays_between(request.submitted_on, request.answer.date))
        due = requests.answer_due(request, entries[request.resource].sharing.type, settings, calendar)
        if request.answer.date > due:
            late += 1
    figures = DepartmentFigures(
        department=code,
        name=name,
        requests_by_state=dict(sorted(states.items())),
        answered=len(times),
        answered_late=late,
        median_answer_workdays=statistics.median(times) if times else None,
        grants_delivered=delivered,
        entries=entry_count,
        entries_never_requested=never_count,
    )
    return figures, times
