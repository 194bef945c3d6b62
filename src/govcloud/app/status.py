"""``govcloud status``: every system and stage from the ledger and the derived cache. Application layer."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from govcloud.orchestration.core import status, transitions
from govcloud.orchestration.edges import advance as advancing
from govcloud.orchestration.edges import status_cache, store
from govcloud.planning.core.stages import Stage
from govcloud.planning.edges import result_cache
from govcloud.sharing.edges import request_files

T = TypeVar("T")


def _ledger_states(path: Path) -> tuple[dict[transitions.StageKey, transitions.StageState], bool]:
    if not path.exists():
        return {}, False
    with store.open_ledger(path, create=False) as ledger:
        if ledger.projected_through() != ledger.head()[0]:
            return ledger.replay(), True
        return ledger.states(), True


def compute_status(
    *,
    inventory: Path,
    plans_dir: Path,
    ledger: Path,
    today: dt.date,
    on_inventory_load: Callable[[], None] | None = None,
) -> tuple[
    list[status.StatusRow],
    status_cache.StatusInputs,
    dict[transitions.StageKey, transitions.StageState],
    bool,
]:
    """Every row (without gates), the inputs and ledger states they came from, and whether a ledger backs them.

    ``on_inventory_load`` is called when the cache is stale and the inventory has to be read (a slow step the
    caller may want to announce).
    """
    states, backed = _ledger_states(ledger)
    inputs = status_cache.load_status_inputs(
        inventory_dir=inventory,
        plans_dir=plans_dir,
        cache_path=status_cache.cache_path_for(ledger),
        on_inventory_load=on_inventory_load,
        with_facts=False,
    )
    rows = status.build_rows(inputs.plans, states, today=today)
    return rows, inputs, states, backed


@dataclasses.dataclass(frozen=True)
class StatusReport:
    """``govcloud status``: the rows chosen (those shown with their gates), the roll-ups and where they came from."""

    total: int
    """Every stage row, before the filters."""
    chosen: int
    """The rows the filters kept (the roll-ups count these)."""
    shown: list[status.StatusRow]
    """The first ``limit`` chosen rows (all with ``limit`` None), each with the gates of its next move."""
    by_wave: list[status.Rollup]
    by_department: list[status.Rollup]
    ledger_backed: bool
    source: str


def status_report(
    *,
    inventory: Path,
    plans_dir: Path,
    ledger: Path,
    today: dt.date,
    wave: int | None = None,
    department: str | None = None,
    late: bool = False,
    blocked: bool = False,
    limit: int | None = None,
    on_inventory_load: Callable[[], None] | None = None,
) -> StatusReport:
    """The rows the filters keep, the gates of the ``limit`` first, and the roll-ups by wave and department."""
    rows, inputs, states, backed = compute_status(
        inventory=inventory, plans_dir=plans_dir, ledger=ledger, today=today, on_inventory_load=on_inventory_load
    )
    chosen = status.select(rows, wave=wave, department=department, late=late, blocked=blocked)
    shown = chosen if limit is None else chosen[:limit]
    facts = status_cache.read_facts(status_cache.cache_path_for(ledger), status.gate_systems(shown, inputs.plans))
    # the day's grants, for the data stage's statutory gate: read only when a shown row is about to need it
    needs_grants = any(r.stage is Stage.DATA and r.status is transitions.LedgerStatus.IN_PROGRESS for r in shown)
    allowed = advancing.sharing_authorisations(inventory, on=today) if needs_grants else None
    shown = status.with_gates(shown, inputs.plans, facts, states, authorisations=allowed)
    source = f"ledger {ledger}" if backed else "plan files only: not yet ledger-backed (govcloud ledger adopt)"
    return StatusReport(
        total=len(rows),
        chosen=len(chosen),
        shown=list(shown),
        by_wave=list(status.rollups(chosen, by="wave", today=today)),
        by_department=list(status.rollups(chosen, by="department", today=today)),
        ledger_backed=backed,
        source=source,
    )


def status_key(*, inventory: Path, plans_dir: Path, ledger: Path, command: str, options: Sequence[str]) -> str | None:
    """The key of what ``status`` shows: the bytes of everything it reads, the options and the day.

    The census (every file under the inventory directory, by content: status's own cache trusts sizes and
    times, this one does not), the plan directory, the ledger (database and write-ahead log), the sharing
    requests beside the inventory (the data stage's grants), the day (in ``options``) and the code.
    """
    parts = [
        command,
        *options,
        f"today={result_cache.today().isoformat()}",
        f"shown={inventory}\0{plans_dir}\0{ledger}\0{os.getcwd()}",
        f"plans={result_cache.directory_digest(plans_dir)}",
        f"ledger={result_cache.ledger_digest(ledger)}",
        f"requests={result_cache.directory_digest(request_files.requests_dir(inventory))}",
    ]
    return result_cache.result_key(result_cache.directory_digest(inventory), parts)


def status_shown(
    *,
    inventory: Path,
    plans_dir: Path,
    ledger: Path,
    today: dt.date,
    command: str,
    options: Sequence[str],
    kind: type[T],
    show: Callable[[], T],
) -> T:
    """``show()`` (what ``status`` prints, from :func:`status_report`), from the result cache when nothing changed.

    ``command`` names the entry (one per output format); ``options`` are every other option ``show`` depends on
    (filters, limit, language). A hit prints byte for byte what the miss printed and opens no ledger.
    """
    cache = result_cache.ResultCache.open(inventory, plans_dir)
    key = (
        status_key(
            inventory=inventory, plans_dir=plans_dir, ledger=ledger, command=command, options=[str(today), *options]
        )
        if cache is not None
        else None
    )
    return result_cache.cached(cache, command, key, kind, show)
