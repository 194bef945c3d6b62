"""``govcloud check``'s data-sharing findings: consumption without a grant or registration. Application layer.

A system's ``consumes`` of another department's 有条件共享 entry needs an active grant, of a 无条件共享 entry a
registration (:func:`govcloud.sharing.core.grants.is_registration`). Before a system has reached the data
stage a missing one is a warning (there is time to ask); once its data stage is in progress or done, a
missing grant is an error, because the exchange refuses what the system is migrating onto it. A missing
registration stays a warning in ``check`` (the exchange does not gate 无条件共享 data) and fails the data
stage's exit gate in ``govcloud advance``.

Plan files are read only for the systems a finding names (one file each), so ``check`` on a province
does not parse 20,000 plan files for a census whose grants are in order.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path

from govcloud import collector
from govcloud.app import sharing_steps, workspace
from govcloud.census.core import checks
from govcloud.core import model
from govcloud.core.settings import Settings
from govcloud.edges import inventory_files
from govcloud.errors import Problem, RefusedError
from govcloud.orchestration.edges import people_file
from govcloud.planning.core.stages import Stage, StageStatus
from govcloud.planning.edges import plan_files, plan_progress
from govcloud.sharing.core import consistency, grants
from govcloud.sharing.edges import request_files


def plans_beside(inventory_dir: Path) -> Path:
    """The plan files of the inventory at ``inventory_dir``: ``migrations_plan/`` beside it."""
    return inventory_dir.resolve().parent / "migrations_plan"


@dataclasses.dataclass(frozen=True)
class ConsumptionFindings:
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]
    on: dt.date
    requests: int
    """How many request files were read."""


@collector.paused()  # tens of thousands of findings, each composing its file's YAML tree for its line
def consumption_findings(
    loaded: inventory_files.LoadedInventory, *, plans_dir: Path, on: dt.date, consulted: list[Path] | None = None
) -> ConsumptionFindings:
    """Every unauthorised ``consumes`` item of the census on ``on``, as a problem at that line of its file.

    Request files with problems are an :class:`~govcloud.errors.InputError` (every problem at once). The plan
    files read are appended to ``consulted`` (a cache of the findings checks them again).
    """
    consulted = [] if consulted is None else consulted
    inventory = loaded.inventory
    found = request_files.load_requests(loaded.root).requests
    allowed = grants.authorisations(found, on=on)
    errors: list[Problem] = []
    warnings: list[Problem] = []
    for system in inventory.systems:
        consumed = grants.consumed_needing_authorisation(system, inventory)
        missing = grants.unauthorised(system.code, consumed, allowed)
        if not missing:
            continue
        reached = False
        if any(m.sharing_type is model.SharingType.CONDITIONAL for m in missing):
            consulted.append(plan_files.plan_path(plans_dir, system.code))
            reached = _data_stage_reached(plans_dir, system.code)
        for item in missing:
            error = reached and item.sharing_type is model.SharingType.CONDITIONAL
            stage = "its data stage is under way" if reached else "before its data stage"
            message = f"{system.code} consumes {grants.what_is_missing(item)} on {on.isoformat()} ({stage})"
            if item.sharing_type is model.SharingType.CONDITIONAL:
                message += ": the exchange refuses it until a request is granted and delivered (govcloud share)"
            else:
                message += ": the data stage cannot finish until a request registers it (govcloud share request)"
            finding = checks.Finding("system", system.code, ("consumes", item.index), message)
            (errors if error else warnings).append(loaded.sources.problem_for(finding, loaded.root))
    return ConsumptionFindings(tuple(errors), tuple(warnings), on, len(found))


def catalogue_rule_problems(loaded: inventory_files.LoadedInventory, settings: Settings) -> list[Problem]:
    """The departments' and entries' fields the 条例 requires (Art. 11, 13, 15), each at its file and line."""
    return [
        loaded.sources.problem_for(finding, loaded.root)
        for finding in consistency.catalogue_rule_findings(loaded.inventory, settings)
    ]


def _data_stage_reached(plans_dir: Path, system: str) -> bool:
    """Whether ``system``'s plan file records its data stage in progress or done (no plan file: not reached)."""
    path = plan_files.plan_path(plans_dir, system)
    if not path.is_file():
        return False
    view = plan_progress.parse_plan_file(plan_progress.read_plan_file(path)).view
    if view is None:
        return False  # not a plan file govcloud can read: plan --check reports it
    progress = view.progress()
    # a status that cannot be read may not be pending (as the planning core treats it)
    return progress.unreadable or progress.status(Stage.DATA) is not StageStatus.PENDING


def ledger_signing(inventory_dir: Path, *, ledger: Path | None, key: Path | None) -> sharing_steps.LedgerSigning | None:
    """Where a sharing step is recorded: the migration ledger when one is configured or exists, else None.

    Configured: ``--ledger`` or ``$GOVCLOUD_LEDGER``; otherwise the settings' ``orchestration.ledger`` counts
    only once that file exists (a city that keeps no ledger keeps its request files alone). A ledger
    records only signed steps: without a key the step is refused and nothing is written.
    """
    path = workspace.ledger_path(inventory_dir, ledger)
    configured = ledger is not None or bool(os.environ.get(workspace.LEDGER_ENV))
    if not configured and not path.exists():
        return None
    if key is None:
        raise RefusedError(
            f"the migration ledger {path} records every sharing step, signed: give --key KEY "
            "(or set $GOVCLOUD_SIGNING_KEY): nothing written"
        )
    return sharing_steps.LedgerSigning(path=path, key=key, roster=people_file.load_roster(inventory_dir))
