"""A verified cache of what the one plan-file reader makes of each plan file. Edge (files).

``plan --check``, render's strict read and the lenient read of re-planning and reports each parse a province's
20,000 plan files (about 99 MB of YAML) and check them, although a lead's ``advance`` or edit changes one file
at a time. So :func:`govcloud.planning.edges.plan_progress.read_plans` keeps, per plan directory and reading
mode, each file's :class:`~govcloud.planning.core.plan_view.ParsedPlan` (its view and its problems, lines
included) under the BLAKE2b digest of the file's bytes, and reuses it while the bytes are unchanged: a file
edited, added or deleted is read again (or dropped), every other one comes from the cache.

The mode is part of the entry's key: the lenient read (no inventory: only what stops the reading) and the
checked read (every rule of ``plan --check``, which reads the census) under the inventory's ``inputs_digest``,
so a changed census re-checks every file. The baseline's problems are never cached (they are found again on
every read, over the views). A view from the cache finds its lines by reading its file again when first asked
(its bytes are the ones it was made from: their digest was just checked).

The machinery is the whole-result cache's (:mod:`govcloud.planning.edges.result_cache`): one entry per plan
directory and mode under ``.govcloud/cache/plans/`` of the git working tree holding the plans (none outside a
working tree), a key made of a hash of the package's source, the mode and the directory; a keyed BLAKE2b MAC
under the inventory cache's key. An entry that is corrupt, stale, of other code or made with another key is
ignored and rewritten, never unpickled; ``GOVCLOUD_NO_CACHE=1`` (``govcloud --no-cache``) turns it off.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from govcloud.census.edges import inventory_cache
from govcloud.planning.core import plan_view
from govcloud.planning.edges import result_cache

CACHE_DIR = Path(".govcloud") / "cache" / "plans"
_COMMAND = "plan files"

Cached = Mapping[str, tuple[str, plan_view.ParsedPlan]]
"""File name → (digest of its bytes, what the reader made of it)."""


def mode_of(*, checked: bool, inventory_digest: str) -> str | None:
    """The entry's reading mode; None (do not cache) for a checked read of an inventory without a digest."""
    if not checked:
        return "lenient"
    return f"checked {inventory_digest}" if inventory_digest else None


class PlanCache:
    """The entry of one plan directory read in one mode: :meth:`read` what it holds, :meth:`write` a new one."""

    def __init__(self, cache: result_cache.ResultCache, mode: str, shown: str) -> None:
        self.cache = cache
        self.key = inventory_cache.combined_digest([result_cache.code_version(), mode, shown, os.getcwd()])

    @classmethod
    def open(cls, plans_dir: Path, mode: str | None, *, shown: str) -> PlanCache | None:
        """The cache of ``plans_dir`` in ``mode``; None when off, outside a working tree, without a key or mode.

        ``shown``: the directory as problems show it (with the working directory, part of the key: the
        cached problems name their files so).
        """
        if mode is None:
            return None
        where = f"{plans_dir.resolve().as_posix()}\0{mode.split(' ')[0]}"  # one entry per directory and mode kind
        cache = result_cache.ResultCache.in_tree(plans_dir, where, CACHE_DIR)
        return cls(cache, mode, shown) if cache is not None else None

    def read(self) -> Cached:
        """What the entry holds, or nothing when it is missing, damaged, stale or foreign."""
        held = self.cache.get(_COMMAND, self.key)
        return held if isinstance(held, dict) else {}

    def write(self, held: Cached) -> None:
        """Replace the entry atomically; failures only cost speed."""
        self.cache.put(_COMMAND, self.key, dict(held))
