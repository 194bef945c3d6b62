"""A verified cache of whole-census results that also read other files (``check``'s findings). Edge (files).

``govcloud check`` reports, beside the inventory's own problems, the day's data-sharing consumption findings
(which read the request files and the plan files of the systems they name) and the catalogue fields the 条例
requires (which read the settings). On a province that is every record built and tens of thousands of
findings composed, for a census nobody changed. This module keeps the complete result under a key made of
every input it was computed from: the inventory's ``inputs_digest`` (its schema version, every file's name and
digest), the settings file's digest, every request file's name and digest, the day, the working directory
(problems name files relative to it), the plan directory, and the source of the whole package (the findings'
code lives outside the inventory's schema version). The plan files a result consulted are recorded with their
digests and checked again on every use: one edited plan file and the result is computed again.

The entries are the inventory cache's (:mod:`govcloud.census.edges.inventory_cache`): same directory, same
key outside the tree, same MAC, same refusal of anything corrupt, stale or foreign (read as a miss and
rewritten). Any failure to write only costs speed.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import govcloud
from govcloud.census.edges import inventory_cache

_ENTRY = "<check findings>"


@functools.cache
def code_version() -> str:
    """A hash of every source file of the package: a cached result is never older than the code that made it."""
    package = Path(govcloud.__file__).parent
    digest = hashlib.blake2b(digest_size=32)
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def file_digest(path: Path) -> str:
    """The digest of a file's bytes; "-" when it is missing or cannot be read."""
    try:
        return inventory_cache.content_digest(path.read_bytes())
    except OSError:
        return "-"


def folder_digest(folder: Path, suffix: str = ".yaml") -> str:
    """One digest of every ``*suffix`` file directly in ``folder``: their names and bytes ("-": no folder)."""
    if not folder.is_dir():
        return "-"
    base = os.fspath(folder)
    with os.scandir(base) as listing:
        names = sorted(e.name for e in listing if e.name.endswith(suffix) and e.is_file())
    return inventory_cache.combined_digest(f"{name}\0{file_digest(folder / name)}" for name in names)


def key(parts: Iterable[str]) -> str:
    return inventory_cache.combined_digest([code_version(), *parts])


def load(inventory_root: Path, digest: str) -> Any | None:
    """The result stored under ``digest`` for the inventory at ``inventory_root``, if still valid.

    Valid: its consulted files are unchanged. None when there is none (or the cache is off).
    """
    cache = inventory_cache.InventoryCache.open(inventory_root)
    if cache is None:
        return None
    held = cache.get_named(_ENTRY, digest)
    if not (isinstance(held, tuple) and len(held) == 2 and isinstance(held[0], tuple)):
        return None
    consulted, value = held
    if any(file_digest(Path(path)) != expected for path, expected in consulted):
        return None
    return value


def store(inventory_root: Path, digest: str, value: Any, *, consulted: Sequence[Path]) -> None:
    """Keep ``value`` under ``digest``, with the digests of the files it ``consulted`` as they are now."""
    cache = inventory_cache.InventoryCache.open(inventory_root)
    if cache is None:
        return
    files = tuple((os.fspath(path.resolve()), file_digest(path)) for path in consulted)
    cache.rewrite_named(_ENTRY, digest, (files, value))
