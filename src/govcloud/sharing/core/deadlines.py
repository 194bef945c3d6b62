"""The deadlines of ``share overdue`` and ``share list`` from the few facts they need. Pure, and light.

``share overdue`` on 50,000 requests and a 200,000-entry catalogue needs, per request, its id, parties,
resource, state, submission and answer dates and extension; per catalogue entry, its provider and sharing
type; and three numbers of the settings. These are plain tuples here (:class:`RequestFacts`, :class:`EntryFacts`,
:class:`DeadlineSettings`), so a warm run unpickles strings, integers and dates, never the request or
inventory models, and this module imports neither (the sharing type is compared by its value, checked against
:class:`govcloud.core.model.SharingType` by the tests). :func:`govcloud.sharing.core.grants.overdue` and
:func:`govcloud.sharing.core.requests.answer_due` compute through the same rules, so warm and cold agree.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from govcloud.sharing.core.calendar import WorkingCalendar
from govcloud.sharing.core.vocabulary import RequestState

UNCONDITIONAL = "无条件共享"
CONDITIONAL = "有条件共享"
NOT_SHARED = "不予共享"
SUBMITTED = RequestState.SUBMITTED.value
GRANTED = RequestState.GRANTED.value


class RequestFacts(NamedTuple):
    """What the deadlines of one request depend on (a plain tuple: cheap to pickle and unpickle)."""

    id: str
    requester: str
    consumer: str
    resource: str
    state: str
    """The :class:`~govcloud.sharing.core.requests.RequestState` value."""
    submitted_on: dt.date
    extension_days: int
    answer_date: dt.date | None
    granted: bool


class EntryFacts(NamedTuple):
    """What the deadlines need of one catalogue entry."""

    provider: str
    sharing_type: str
    """The :class:`~govcloud.core.model.SharingType` value."""


@dataclasses.dataclass(frozen=True)
class DeadlineSettings:
    """The working days of Art. 21 and 22 (``settings.sharing``)."""

    unconditional_answer_days: int
    conditional_answer_days: int
    delivery_days: int


@dataclasses.dataclass(frozen=True, order=True)
class Overdue:
    """A request whose provider missed a deadline and has still not acted."""

    due: dt.date
    request: str
    provider: str
    requester: str
    resource: str
    what: str
    """``answer`` (Art. 21) or ``delivery`` (Art. 22)."""
    working_days_late: int


class _Workdays:
    """``calendar.add_workdays`` remembered: 50,000 requests share a few hundred (start, days) pairs."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        self.calendar = calendar
        self.known: dict[tuple[dt.date, int], dt.date] = {}
        self.between: dict[tuple[dt.date, dt.date], int] = {}

    def add(self, start: dt.date, days: int) -> dt.date:
        key = (start, days)
        found = self.known.get(key)
        if found is None:
            found = self.known[key] = self.calendar.add_workdays(start, days)
        return found

    def count(self, start: dt.date, end: dt.date) -> int:
        key = (start, end)
        found = self.between.get(key)
        if found is None:
            found = self.between[key] = self.calendar.workdays_between(start, end)
        return found


def answer_days(sharing_type: str, settings: DeadlineSettings) -> int:
    """Art. 21: working days to answer, before any extension."""
    if sharing_type == UNCONDITIONAL:
        return settings.unconditional_answer_days
    return settings.conditional_answer_days


def answer_due(
    request: RequestFacts, sharing_type: str, settings: DeadlineSettings, calendar: WorkingCalendar
) -> dt.date:
    """The last day of the answer, with the extension if one was granted."""
    days = answer_days(sharing_type, settings) + request.extension_days
    return calendar.add_workdays(request.submitted_on, days)


def delivery_due(request: RequestFacts, settings: DeadlineSettings, calendar: WorkingCalendar) -> dt.date | None:
    """Art. 22: the last day of delivery, counted from a granting answer; None before one."""
    if request.answer_date is None or not request.granted:
        return None
    return calendar.add_workdays(request.answer_date, settings.delivery_days)


def overdue(
    found: Iterable[RequestFacts],
    entries: Mapping[str, EntryFacts],
    *,
    on: dt.date,
    settings: DeadlineSettings,
    calendar: WorkingCalendar,
) -> tuple[Overdue, ...]:
    """Requests not answered or not delivered by their deadline, as of ``on``; oldest deadline first."""
    days = _Workdays(calendar)
    late: list[Overdue] = []
    for request in found:
        entry = entries.get(request.resource)
        if entry is None:
            continue
        if request.state == SUBMITTED:
            due = days.add(request.submitted_on, answer_days(entry.sharing_type, settings) + request.extension_days)
            what = "answer"
        elif request.state == GRANTED:
            if request.answer_date is None or not request.granted:
                continue
            due, what = days.add(request.answer_date, settings.delivery_days), "delivery"
        else:
            continue
        if on > due:
            late_by = days.count(due, on)
            late.append(Overdue(due, request.id, entry.provider, request.requester, request.resource, what, late_by))
    # the dataclass's order, by a plain tuple key: its generated comparisons cost a third of the command
    return tuple(sorted(late, key=lambda o: (o.due, o.request, o.provider, o.requester, o.resource, o.what)))


class Listed(NamedTuple):
    """One row of ``share list``: the request and its deadlines."""

    request: RequestFacts
    answer_due: dt.date | None
    delivery_due: dt.date | None


def with_deadlines(
    found: Iterable[RequestFacts],
    entries: Mapping[str, EntryFacts],
    *,
    settings: DeadlineSettings,
    calendar: WorkingCalendar,
) -> list[Listed]:
    """Each request with its answer deadline (None for an entry no longer in the catalogue) and delivery deadline."""
    days = _Workdays(calendar)
    rows: list[Listed] = []
    for request in found:
        entry = entries.get(request.resource)
        answer = (
            days.add(request.submitted_on, answer_days(entry.sharing_type, settings) + request.extension_days)
            if entry is not None
            else None
        )
        delivery = (
            days.add(request.answer_date, settings.delivery_days)
            if request.answer_date is not None and request.granted
            else None
        )
        rows.append(Listed(request, answer, delivery))
    return rows
