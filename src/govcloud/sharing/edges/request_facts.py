"""The deadline facts of every request file, for ``share overdue`` and ``share list``. Edge (files).

Each request file yields a :class:`~govcloud.sharing.core.deadlines.RequestFacts` (a plain tuple). The facts
of a file whose stat is unchanged come from a verified index (:mod:`govcloud.sharing.edges.stat_index`): a
warm run over 50,000 files stats them and unpickles tuples, and reads, parses and validates only the files
that changed (or are racily clean). A changed file is checked exactly as
:func:`govcloud.sharing.edges.request_files.load_requests` checks it (the same reader); a file with problems
is never cached, so it is reported every run, all problems at once.
"""

from __future__ import annotations

import os
from pathlib import Path

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
    folder = requests_dir(inventory_root)
    if not folder.is_dir():
        return ()
    from govcloud import collector

    with collector.paused():
        entry = stat_index.VerifiedEntry.open(folder, "facts", _MAGIC, _SOURCES) if use_cache is not False else None
        held = stat_index.as_index(entry.read()) if entry is not None else stat_index.empty()
        base = os.fspath(folder)
        with os.scandir(base) as listing:
            names = sorted(e.name for e in listing if e.name.endswith(".yaml") and e.is_file())
        problems: list[Problem] = []

        def read(name: str, raw: bytes) -> tuple[bool, deadlines.RequestFacts | None]:
            from govcloud.sharing.core import requests
            from govcloud.sharing.edges import request_files

            request = request_files.read_request(folder / name, raw, problems)
            return (request is not None, requests.facts(request) if request is not None else None)

        refreshed = stat_index.refresh(base, names, held, read)
        if problems:
            raise InputError(problems, "invalid sharing requests")
        if entry is not None and refreshed.changed:
            entry.write(refreshed.entries)
    found: list[deadlines.RequestFacts] = []
    for held_file in refreshed.entries.files.values():
        assert held_file.value is not None
        found.append(held_file.value)
    return tuple(found)
