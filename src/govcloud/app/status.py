"""``govcloud status``: every system and stage from the ledger and the derived cache. Application layer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from govcloud.orchestration.core import status, transitions
from govcloud.orchestration.edges import status_cache, store


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
