"""The deadline facts of every request file, for ``share overdue`` and ``share list``. Edge (files).

Each request file yields a :class:`~govcloud.sharing.core.deadlines.RequestFacts` (a plain tuple). The facts
of a file whose stat is unchanged come from a verified index (:mod:`govcloud.sharing.edges.stat_index`): a
warm run over 50,000 files stats them and unpickles tuples, and reads, parses and validates only the files
that changed (or are racily clean). A changed file is checked exactly as
:func:`govcloud.sharing.edges.request_files.load_requests` checks it (the same reader); a file with problems
is never cached, so it is reported every run, all problems at once.
"""

from __future__ import annotations

import array
import datetime as dt
import os
from pathlib import Path
from typing import Any

from govcloud.errors import InputError, Problem
from govcloud.sharing.core import deadlines
from govcloud.sharing.edges import stat_index

REQUESTS_DIR = Path("sharing") / "requests"
_MAGIC = b"govcloud-request-facts 1\n"
_SOURCES = (
    "sharing/core/requests.py",
    "sharing/core/deadlines.py",
    "sharing/edges/request_files.py",
    "sharing/edges/request_facts.py",
    "sharing/edges/stat_index.py",
    "core/model.py",
    "edges/yamlio.py",
)
"""The source that decides what a request file yields (the model, its reader, the YAML parsing, this module)."""


def requests_dir(inventory_root: Path) -> Path:
    """Where the requests of the inventory at ``inventory_root`` live (as in :mod:`request_files`)."""
    return inventory_root.resolve().parent / REQUESTS_DIR


def load_facts(inventory_root: Path, *, use_cache: bool | None = None) -> tuple[deadlines.RequestFacts, ...]:
    """The facts of every request file, in file-name order; :class:`InputError` with every problem of every file."""
    return load_keyed(inventory_root, use_cache=use_cache)[0]


def load_keyed(
    inventory_root: Path, *, use_cache: bool | None = None
) -> tuple[tuple[deadlines.RequestFacts, ...], str | None]:
    """:func:`load_facts` and the files' content key (None when nothing is cached: no folder, cache off)."""
    folder = requests_dir(inventory_root)
    if not folder.is_dir():
        return (), None
    from govcloud import collector

    with collector.paused():
        entry = stat_index.VerifiedEntry.open(folder, "facts", _MAGIC, _SOURCES) if use_cache is not False else None
        held = stat_index.as_index(entry.read(), _decode) if entry is not None else stat_index.empty()
        base = os.fspath(folder)
        names = sorted(n for n in os.listdir(base) if n.endswith(".yaml"))  # not a regular file: skipped by refresh
        problems: list[Problem] = []

        def read(name: str, raw: bytes) -> tuple[bool, Stored | None]:
            from govcloud.sharing.core import requests
            from govcloud.sharing.edges import request_files

            request = request_files.read_request(folder / name, raw, problems)
            return (request is not None, _stored(requests.facts(request)) if request is not None else None)

        refreshed = stat_index.refresh(base, names, held, read)
        if problems:
            raise InputError(problems, "invalid sharing requests")
        if entry is None:
            return _facts(refreshed.entries.values), None
        if refreshed.changed:
            entry.write(refreshed.entries.payload(_encode))
        return _facts(refreshed.entries.values), refreshed.entries.content_key()


def unchanged_key(inventory_root: Path) -> str | None:
    """The request files' content key when every file is as the facts entry holds it; else None.

    Stats the files and reads no request and no fact: a caller holding a result computed from the facts under
    this key may use it. None (compute it again) when the cache is off, any file was added, removed, changed
    or is racily clean, or the entry cannot be trusted.
    """
    folder = requests_dir(inventory_root)
    entry = stat_index.VerifiedEntry.open(folder, "facts", _MAGIC, _SOURCES) if folder.is_dir() else None
    if entry is None:
        return None
    held = stat_index.as_index(entry.read(), stat_index.no_values)
    base = os.fspath(folder)
    names = sorted(n for n in os.listdir(base) if n.endswith(".yaml"))
    return held.content_key() if stat_index.unchanged(base, names, held) else None


def _facts(values: list[Stored]) -> tuple[deadlines.RequestFacts, ...]:
    """The stored tuples as facts, column by column (each distinct date made once)."""
    if not values:
        return ()
    ids, requesters, consumers, resources, states, submitted, extensions, answered, granted = zip(*values, strict=True)
    dates = {o: dt.date.fromordinal(o) for o in {*submitted, *answered} if o}
    made = deadlines.RequestFacts._make
    return tuple(
        map(
            made,
            zip(
                ids,
                requesters,
                consumers,
                resources,
                states,
                map(dates.__getitem__, submitted),
                extensions,
                [dates[o] if o else None for o in answered],
                granted,
                strict=True,
            ),
        )
    )


Stored = tuple[str, str, str, str, str, int, int, int, bool]
"""A request's facts as pickled: plain values, its dates as ordinals (0: no answer), no object to rebuild."""


def _stored(facts: deadlines.RequestFacts) -> Stored:
    answered = facts.answer_date.toordinal() if facts.answer_date is not None else 0
    return (
        facts.id,
        facts.requester,
        facts.consumer,
        facts.resource,
        facts.state,
        facts.submitted_on.toordinal(),
        facts.extension_days,
        answered,
        facts.granted,
    )


def _encode(values: list[Stored]) -> tuple[str, str, str, str, str, bytes, bytes, bytes, bytes]:
    """The facts in columns: each text column one string, each number column one array's bytes."""
    return (
        "\n".join(v[0] for v in values),
        "\n".join(v[1] for v in values),
        "\n".join(v[2] for v in values),
        "\n".join(v[3] for v in values),
        "\n".join(v[4] for v in values),
        array.array("i", [v[5] for v in values]).tobytes(),
        array.array("i", [v[6] for v in values]).tobytes(),
        array.array("i", [v[7] for v in values]).tobytes(),
        bytes(v[8] for v in values),
    )


def _decode(encoded: Any, count: int) -> list[Stored]:
    """:func:`_encode`'s columns back as one tuple per file (made by ``zip``, in C); nothing when they do not fit."""
    if not (isinstance(encoded, tuple) and len(encoded) == 9):
        return []
    texts = [column.split("\n") if count else [] for column in encoded[:5]]
    numbers = []
    for column in encoded[5:8]:
        found = array.array("i")
        found.frombytes(column)
        numbers.append(found.tolist())
    granted = [bool(b) for b in encoded[8]]
    if any(len(column) != count for column in (*texts, *numbers, granted)):
        return []
    return list(zip(*texts, *numbers, granted, strict=True))
