"""The official working-day calendar: the State Council's holiday notices as the ``chinesecalendar`` package has them.

Edge (the package is data that changes every year). Years it does not know are taken from
``settings.sharing.calendar_years``; a year declared there wins over the package's, so a province can correct
or anticipate a notice. Any other year is refused by the core's calendar when a deadline reaches it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

import chinese_calendar

from govcloud.sharing.core.calendar import DeclaredYear, WorkingCalendar

if TYPE_CHECKING:
    from govcloud.core.settings import SharingSettings


def data_version() -> str:
    """The installed ``chinesecalendar``'s version: a result cached from its days belongs to that version."""
    return str(getattr(chinese_calendar, "__version__", "unknown"))


def known_official_years() -> range:
    """The years the installed ``chinesecalendar`` knows."""
    years = sorted({day.year for day in chinese_calendar.holidays})
    return range(years[0], years[-1] + 1)


def official_years() -> dict[int, DeclaredYear]:
    """Every year of the official calendar: its weekday holidays and its weekend make-up workdays."""
    holidays: dict[int, set[dt.date]] = {year: set() for year in known_official_years()}
    workdays: dict[int, set[dt.date]] = {year: set() for year in holidays}
    for day in chinese_calendar.holidays:
        if day.weekday() < 5:
            holidays[day.year].add(day)
    for day in chinese_calendar.workdays:
        if day.weekday() >= 5:
            workdays[day.year].add(day)
    return {year: DeclaredYear(frozenset(holidays[year]), frozenset(workdays[year])) for year in holidays}


def working_calendar(settings: SharingSettings) -> WorkingCalendar:
    """The official calendar's years, overridden and extended by the years declared in settings."""
    return calendar_with(
        (declared.year, DeclaredYear(holidays=frozenset(declared.holidays), workdays=frozenset(declared.workdays)))
        for declared in settings.calendar_years
    )


def calendar_with(declared: Iterable[tuple[int, DeclaredYear]]) -> WorkingCalendar:
    """The official calendar's years, overridden and extended by ``declared`` (year, its days)."""
    years = official_years()
    years.update(declared)
    return WorkingCalendar(years)


def today() -> dt.date:
    """The date deadlines and expiry are evaluated against when the user gives none."""
    return dt.date.today()
