"""``share overdue`` and ``share list``: the deadlines from cached facts, without loading the inventory. Application.

A warm run on a province (50,000 request files, 200,000 catalogue entries) stats the files and unpickles
plain tuples: the catalogue facts (:mod:`govcloud.sharing.edges.catalogue_facts`) and the requests' facts
(:mod:`govcloud.sharing.edges.request_facts`), each verified and re-read only where a file changed. The rules
are :mod:`govcloud.sharing.core.deadlines`', which :func:`govcloud.sharing.core.grants.overdue` uses too. This
module imports no model: a warm run never loads pydantic's request or inventory classes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from govcloud.sharing.core import deadlines
from govcloud.sharing.core.calendar import WorkingCalendar
from govcloud.sharing.edges import catalogue_facts, official_calendar, request_facts

if TYPE_CHECKING:
    from govcloud.edges import inventory_files

Loader = Callable[[Path], "inventory_files.LoadedInventory"]


def _inputs(
    root: Path, load_inventory: Loader | None
) -> tuple[catalogue_facts.CatalogueFacts, tuple[deadlines.RequestFacts, ...], WorkingCalendar]:
    facts = catalogue_facts.load(root, load_inventory=load_inventory)
    found = request_facts.load_facts(root)
    return facts, found, official_calendar.calendar_with(facts.calendar_years)


def overdue(root: Path, *, on: dt.date, load_inventory: Loader | None = None) -> tuple[deadlines.Overdue, ...]:
    """Requests whose answer (Art. 21) or delivery (Art. 22) deadline has passed on ``on``, oldest first."""
    facts, found, calendar = _inputs(root, load_inventory)
    return deadlines.overdue(found, facts.entries, on=on, settings=facts.settings, calendar=calendar)


def listed(root: Path, *, load_inventory: Loader | None = None) -> list[deadlines.Listed]:
    """Every request (file-name order) with its answer and delivery deadlines."""
    facts, found, calendar = _inputs(root, load_inventory)
    return deadlines.with_deadlines(found, facts.entries, settings=facts.settings, calendar=calendar)


def today(on: dt.date | None = None) -> dt.date:
    """``on``, else today by the official calendar's clock."""
    return on if on is not None else official_calendar.today()
