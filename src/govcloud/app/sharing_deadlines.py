"""``share overdue`` and ``share list``: the deadlines from cached facts, without loading the inventory. Application.

A warm run on a province (50,000 request files, 200,000 catalogue entries) stats the files and, when none
changed, prints the overdue requests it kept from the last run on the same day (a verified entry keyed on the
request files' and inventory files' content keys, the day, the calendar data and this code); otherwise it
unpickles plain tuples: the catalogue facts (:mod:`govcloud.sharing.edges.catalogue_facts`) and the requests' facts
(:mod:`govcloud.sharing.edges.request_facts`), each verified and re-read only where a file changed. The rules
are :mod:`govcloud.sharing.core.deadlines`', which :func:`govcloud.sharing.core.grants.overdue` uses too. This
module imports no model: a warm run never loads pydantic's request or inventory classes.
"""

from __future__ import annotations

import array
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from govcloud.sharing.core import deadlines
from govcloud.sharing.core.calendar import WorkingCalendar
from govcloud.sharing.edges import catalogue_facts, official_calendar, request_facts, stat_index

if TYPE_CHECKING:
    from govcloud.edges import inventory_files

Loader = Callable[[Path], "inventory_files.LoadedInventory"]


def _inputs(
    root: Path, load_inventory: Loader | None
) -> tuple[catalogue_facts.CatalogueFacts, tuple[deadlines.RequestFacts, ...], WorkingCalendar, str | None]:
    """The facts, the calendar, and the key of a result computed from them (None: not to be cached)."""
    facts, catalogue_key = catalogue_facts.load_keyed(root, load_inventory=load_inventory)
    found, requests_key = request_facts.load_keyed(root)
    key = None if catalogue_key is None or requests_key is None else f"{catalogue_key}\0{requests_key}"
    return facts, found, official_calendar.calendar_with(facts.calendar_years), key


_OVERDUE_SOURCES = (
    "app/sharing_deadlines.py",
    "sharing/core/deadlines.py",
    "sharing/core/calendar.py",
    "sharing/edges/official_calendar.py",
    "sharing/edges/catalogue_facts.py",
    "sharing/edges/request_facts.py",
    "sharing/edges/stat_index.py",
)
"""The source that decides what ``share overdue`` computes from the facts (the facts' own sources version theirs)."""


def overdue(root: Path, *, on: dt.date, load_inventory: Loader | None = None) -> tuple[deadlines.Overdue, ...]:
    """Requests whose answer (Art. 21) or delivery (Art. 22) deadline has passed on ``on``, oldest first."""
    magic = b"govcloud-overdue 1\n" + official_calendar.data_version().encode() + b"\n"
    entry = stat_index.VerifiedEntry.open(root, "overdue", magic, _OVERDUE_SOURCES)
    if entry is not None:
        catalogue_key, requests_key = catalogue_facts.unchanged_key(root), request_facts.unchanged_key(root)
        if catalogue_key is not None and requests_key is not None:
            kept = _kept(entry.read(), f"{catalogue_key}\0{requests_key}\0{on.isoformat()}")
            if kept is not None:
                return kept
    facts, found, calendar, key = _inputs(root, load_inventory)
    late = deadlines.overdue(found, facts.entries, on=on, settings=facts.settings, calendar=calendar)
    if entry is not None and key is not None:
        entry.write((f"{key}\0{on.isoformat()}", _encoded(late)))
    return late


def _encoded(late: tuple[deadlines.Overdue, ...]) -> tuple[bytes, str, str, str, str, str, bytes]:
    """The rows in columns: the dates as ordinals and the days late as arrays, each text column one string."""
    return (
        array.array("i", [o.due.toordinal() for o in late]).tobytes(),
        "\n".join(o.request for o in late),
        "\n".join(o.provider for o in late),
        "\n".join(o.requester for o in late),
        "\n".join(o.resource for o in late),
        "\n".join(o.what for o in late),
        array.array("i", [o.working_days_late for o in late]).tobytes(),
    )


def _kept(found: object, key: str) -> tuple[deadlines.Overdue, ...] | None:
    """The rows an entry holds under ``key``; None when it holds none (another key, another shape)."""
    if not (isinstance(found, tuple) and len(found) == 2 and found[0] == key and isinstance(found[1], tuple)):
        return None
    columns = found[1]
    if len(columns) != 7:
        return None
    due, late_by = array.array("i"), array.array("i")
    due.frombytes(columns[0])
    late_by.frombytes(columns[6])
    count = len(due)
    texts = [column.split("\n") if count else [] for column in columns[1:6]]
    if len(late_by) != count or any(len(column) != count for column in texts):
        return None
    dates = {o: dt.date.fromordinal(o) for o in set(due)}
    request, provider, requester, resource, what = texts
    return tuple(
        deadlines.Overdue(dates[d], r, p, q, s, w, n)
        for d, r, p, q, s, w, n in zip(due, request, provider, requester, resource, what, late_by, strict=True)
    )


def listed(root: Path, *, load_inventory: Loader | None = None) -> list[deadlines.Listed]:
    """Every request (file-name order) with its answer and delivery deadlines."""
    facts, found, calendar, _ = _inputs(root, load_inventory)
    return deadlines.with_deadlines(found, facts.entries, settings=facts.settings, calendar=calendar)


def today(on: dt.date | None = None) -> dt.date:
    """``on``, else today by the official calendar's clock."""
    return on if on is not None else official_calendar.today()
