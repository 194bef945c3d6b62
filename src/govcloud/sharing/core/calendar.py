"""Working-day arithmetic over an injected calendar. Pure.

Deadlines of the 条例 count working days as the State Council's annual holiday notice declares them: public
holidays are rest days even on weekdays, and make-up working days (调休) are working days even on weekends.
Which days those are is data the core is given (:class:`WorkingCalendar`), never looks up: the edge builds
one from the official calendar and from the years declared in settings.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping

from govcloud.errors import RefusedError


class UnknownCalendarYear(RefusedError):
    """A deadline needs a year whose holidays nobody declared: refused, never guessed from weekends alone."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"no working-day calendar for {year}: declare its holidays and make-up workdays in "
            f"settings.yaml under sharing.calendar_years (year: {year})"
        )


@dataclasses.dataclass(frozen=True)
class DeclaredYear:
    """One year's exceptions to "weekdays work, weekends rest"."""

    holidays: frozenset[dt.date] = frozenset()
    """Weekdays that are rest days."""
    workdays: frozenset[dt.date] = frozenset()
    """Weekend days that are working days (调休)."""


@dataclasses.dataclass(frozen=True)
class WorkingCalendar:
    """The working days of the years it knows; any other year is refused (:class:`UnknownCalendarYear`).

    The working days are indexed once (ordinals, sorted), so adding or counting working days is two binary
    searches: ``share overdue`` computes deadlines of tens of thousands of requests interactively.
    """

    years: Mapping[int, DeclaredYear]
    _ordinals: tuple[int, ...] = dataclasses.field(init=False, repr=False, compare=False)
    _added: dict[tuple[dt.date, int], dt.date] = dataclasses.field(init=False, repr=False, compare=False)
    """Deadlines already computed: tens of thousands of requests share a few hundred submission days."""

    def __post_init__(self) -> None:
        ordinals: list[int] = []
        for year in sorted(self.years):
            day = dt.date(year, 1, 1)
            while day.year == year:
                if self._declared_workday(day):
                    ordinals.append(day.toordinal())
                day += dt.timedelta(days=1)
        object.__setattr__(self, "_ordinals", tuple(ordinals))
        object.__setattr__(self, "_added", {})

    def _declared_workday(self, day: dt.date) -> bool:
        declared = self.years[day.year]
        if day in declared.workdays:
            return True
        if day in declared.holidays:
            return False
        return day.weekday() < 5

    def _require(self, first: dt.date, last: dt.date) -> None:
        for year in range(first.year, last.year + 1):
            if year not in self.years:
                raise UnknownCalendarYear(year)

    def is_workday(self, day: dt.date) -> bool:
        self._require(day, day)
        return self._declared_workday(day)

    def add_workdays(self, start: dt.date, days: int) -> dt.date:
        """The day on which ``days`` working days counted from the day after ``start`` are complete.

        Day one is the first working day after ``start`` (the day of submission does not count), so a
        1-working-day answer to a request of Friday is due on Monday, or after a holiday on the next working day.
        """
        known = self._added.get((start, days))
        if known is not None:
            return known
        if days < 0:
            raise ValueError("days must not be negative")
        self._require(start, start)
        if days == 0:
            return start
        index = bisect.bisect_right(self._ordinals, start.toordinal()) + days - 1
        if index >= len(self._ordinals):
            raise UnknownCalendarYear(max(self.years) + 1)
        due = dt.date.fromordinal(self._ordinals[index])
        self._require(start, due)
        self._added[(start, days)] = due  # only a deadline that was not refused is kept
        return due

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when ``end`` is not after ``start``)."""
        if end <= start:
            return 0
        self._require(start, end)
        return bisect.bisect_right(self._ordinals, end.toordinal()) - bisect.bisect_right(
            self._ordinals, start.toordinal()
        )


def weekday_calendar(years: Iterable[int]) -> WorkingCalendar:
    """A calendar where ``years`` have no holidays at all (tests and what-if figures only)."""
    return WorkingCalendar({year: DeclaredYear() for year in years})
