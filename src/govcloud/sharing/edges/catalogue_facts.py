"""The catalogue facts the deadlines need, cached and verified: ``share overdue`` without loading the inventory.

Edge (files). Per catalogue entry its provider and sharing type (:class:`~govcloud.sharing.core.deadlines.EntryFacts`),
with the settings' deadline days and declared calendar years: a few megabytes of plain tuples instead of a
province's 220,000 validated records. They are built from the loaded inventory when needed and kept in a
:class:`~govcloud.sharing.edges.stat_index.VerifiedEntry` keyed by the digest of every file under the inventory
directory (each file's digest reused while its stat is unchanged, git's way, and re-read when racily clean).
Any file added, removed or changed there rebuilds them from a full load, which also checks the inventory:
facts exist only for an inventory that loaded without errors. ``--no-cache`` builds them every time.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govcloud.sharing.core import deadlines
from govcloud.sharing.core.calendar import DeclaredYear
from govcloud.sharing.edges import stat_index

if TYPE_CHECKING:
    from govcloud.edges import inventory_files

_MAGIC = b"govcloud-catalogue-facts 1\n"
_SOURCES = (
    "core",
    "census",
    "edges",
    "sharing/core/deadlines.py",
    "sharing/edges/catalogue_facts.py",
    "sharing/edges/stat_index.py",
)
"""The source that decides what an inventory yields (the model, the readers and checks) and what is kept of it."""


@dataclasses.dataclass(frozen=True)
class CatalogueFacts:
    """What ``share overdue`` and ``share list`` read of the inventory."""

    entries: Mapping[str, deadlines.EntryFacts]
    settings: deadlines.DeadlineSettings
    calendar_years: tuple[tuple[int, DeclaredYear], ...]
    """The years ``settings.sharing.calendar_years`` declares (they override the official calendar's)."""


def facts_of(loaded: inventory_files.LoadedInventory) -> CatalogueFacts:
    """The facts of a loaded inventory (its settings read from the same directory)."""
    from govcloud.edges import settings_file

    settings = settings_file.load_settings(loaded.root).sharing
    shared: dict[tuple[str, str], deadlines.EntryFacts] = {}  # one object per (provider, type): pickled once
    entries: dict[str, deadlines.EntryFacts] = {}
    for e in loaded.inventory.catalogue:
        pair = (e.provider, e.sharing.type.value)
        entries[e.code] = shared.get(pair) or shared.setdefault(pair, deadlines.EntryFacts(*pair))
    return CatalogueFacts(
        entries=entries,
        settings=deadlines.DeadlineSettings(
            settings.unconditional_answer_days, settings.conditional_answer_days, settings.delivery_days
        ),
        calendar_years=tuple(
            (y.year, DeclaredYear(frozenset(y.holidays), frozenset(y.workdays))) for y in settings.calendar_years
        ),
    )


def _files(root: Path) -> list[str]:
    """Every file under ``root`` (relative, sorted), hidden directories (``.govcloud``, ``.git``) left out."""
    found: list[str] = []
    base = os.fspath(root)
    for directory, folders, names in os.walk(base):
        folders[:] = [f for f in folders if not f.startswith(".")]
        relative = os.path.relpath(directory, base)
        for name in names:
            found.append(name if relative == "." else os.path.join(relative, name))
    return sorted(found)


def load(
    root: Path,
    *,
    load_inventory: Callable[[Path], inventory_files.LoadedInventory] | None = None,
    use_cache: bool | None = None,
) -> CatalogueFacts:
    """The facts of the inventory at ``root``: from the verified cache while no file under it changed.

    ``load_inventory`` loads (and checks) the inventory when the facts must be built (the CLI's, with a bar);
    its errors are raised as they are.
    """
    return load_keyed(root, load_inventory=load_inventory, use_cache=use_cache)[0]


def load_keyed(
    root: Path,
    *,
    load_inventory: Callable[[Path], inventory_files.LoadedInventory] | None = None,
    use_cache: bool | None = None,
) -> tuple[CatalogueFacts, str | None]:
    """:func:`load` and the inventory files' content key (None when the cache is off)."""
    entry = stat_index.VerifiedEntry.open(root, "catalogue", _MAGIC, _SOURCES) if use_cache is not False else None
    if entry is None:
        return facts_of(_loader(load_inventory)(root)), None
    held = _as_held(entry.read())
    refreshed = stat_index.refresh(os.fspath(root), _files(root), held.index, lambda _n, _raw: (True, None))
    key = _key(refreshed.entries)
    if held.facts is not None and held.key == key:
        if refreshed.changed:  # touched files, or racily clean ones now old: keep their new stats
            entry.write((refreshed.entries.payload(_no_values), key, _encoded(held.facts)))
        return held.facts, key
    made = facts_of(_loader(load_inventory)(root))
    entry.write((refreshed.entries.payload(_no_values), key, _encoded(made)))
    return made, key


def unchanged_key(root: Path) -> str | None:
    """The inventory files' content key when every file is as the facts entry holds it and facts are held.

    Stats the files and decodes no fact (see :func:`govcloud.sharing.edges.request_facts.unchanged_key`).
    """
    entry = stat_index.VerifiedEntry.open(root, "catalogue", _MAGIC, _SOURCES)
    found = entry.read() if entry is not None else None
    if not (isinstance(found, tuple) and len(found) == 3 and isinstance(found[1], str)):
        return None
    if not (isinstance(found[2], tuple) and len(found[2]) == 5):  # no facts held (see _decoded)
        return None
    held = stat_index.as_index(found[0], _none_values)
    if found[1] != _key(held) or not stat_index.unchanged(os.fspath(root), _files(root), held):
        return None
    return found[1]


def _loader(
    given: Callable[[Path], inventory_files.LoadedInventory] | None,
) -> Callable[[Path], inventory_files.LoadedInventory]:
    if given is not None:
        return given
    from govcloud.edges import inventory_files

    return inventory_files.load_inventory


def _key(index: stat_index.Index[None]) -> str:
    """Every file's name and digest: the facts belong to exactly these bytes."""
    return index.content_key()


def _no_values(values: list[None]) -> int:
    return len(values)


def _none_values(encoded: Any, count: int) -> list[None]:
    return [None] * count if encoded == count else []


def _encoded(facts: CatalogueFacts) -> tuple[str, list[int], list[deadlines.EntryFacts], Any, Any]:
    """The facts as pickled: the codes as one string, each entry an index into the distinct (provider, type)."""
    pairs: dict[deadlines.EntryFacts, int] = {}
    where = [pairs.setdefault(e, len(pairs)) for e in facts.entries.values()]
    return ("\n".join(facts.entries), where, list(pairs), facts.settings, facts.calendar_years)


def _decoded(found: Any) -> CatalogueFacts | None:
    if not (isinstance(found, tuple) and len(found) == 5 and isinstance(found[0], str)):
        return None
    joined, where, pairs, settings, years = found
    codes = joined.split("\n") if joined else []
    if len(codes) != len(where) or not isinstance(settings, deadlines.DeadlineSettings):
        return None
    try:
        entries = dict(zip(codes, map(pairs.__getitem__, where), strict=True))
    except (IndexError, TypeError):
        return None
    return CatalogueFacts(entries, settings, years)


@dataclasses.dataclass(frozen=True)
class _Held:
    index: stat_index.Index[None]
    key: str | None
    facts: CatalogueFacts | None


def _as_held(found: Any) -> _Held:
    if isinstance(found, tuple) and len(found) == 3 and isinstance(found[1], str):
        facts = _decoded(found[2])
        if facts is not None:
            return _Held(stat_index.as_index(found[0], _none_values), found[1], facts)
    return _Held(stat_index.empty(), None, None)
