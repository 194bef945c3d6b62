"""The census use cases: check the inventory, generate an example city, census forms in and out, JSON Schemas.

Application layer. The forms are read and written by :mod:`govcloud.census.edges.census_forms`, the
inventory by :mod:`govcloud.edges.inventory_files`, the roster by
:mod:`govcloud.orchestration.edges.people_file`; the CLI prints what these return.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from govcloud.census.edges import census_forms, json_schema
from govcloud.core import example, model
from govcloud.edges import inventory_files, settings_file
from govcloud.errors import Problem

if TYPE_CHECKING:
    from govcloud.app import sharing, workspace

FormsRejected = census_forms.FormsRejected
"""An import refused (every problem, with the notices of what was skipped): nothing written."""


@dataclasses.dataclass(frozen=True)
class Checked:
    """``govcloud check``: the inventory as loaded and what else it checks.

    The people of its roster (0: no ``people.yaml``), the day's data-sharing findings and the catalogue fields
    the 条例 requires that are missing.
    """

    loaded: inventory_files.LoadedInventory
    people: int
    sharing: sharing.ConsumptionFindings
    required: tuple[Problem, ...]


def check_inventory(
    inventory_dir: Path,
    *,
    loader: workspace.InventoryLoader,
    plans_dir: Path | None = None,
    today: dt.date | None = None,
) -> Checked:
    """Load every inventory file (all problems at once), the roster when there is one, and the day's sharing.

    ``plans_dir`` defaults to ``migrations_plan/`` beside the inventory, ``today`` to the official calendar's today.
    The sharing findings and the required fields are a function of the census, the request files, the plan
    files they consult, the settings and the day: kept in :mod:`govcloud.census.edges.findings_cache` under
    every one of them, so a warm ``check`` of an unchanged census builds no record.
    """
    # imported here: the sharing side (orchestration, planning, the exchange) costs the other census
    # commands (an import of one department, the forms, the schemas) 0.9 s of imports they never use
    from govcloud.app import sharing
    from govcloud.census.edges import findings_cache
    from govcloud.orchestration.edges import people_file
    from govcloud.sharing.edges import official_calendar, request_files

    loaded = loader(inventory_dir)
    # the roster is optional (hand-kept, see README); when present it is checked like the rest
    roster = people_file.load_roster(inventory_dir, departments=loaded.department_codes, required=False)
    plans = plans_dir or sharing.plans_beside(inventory_dir)
    on = today if today is not None else official_calendar.today()
    key = ""
    if loaded.inputs_digest:  # the inventory cache is on
        key = findings_cache.key(
            [
                loaded.inputs_digest,
                findings_cache.file_digest(inventory_dir / inventory_files.SETTINGS_FILE),
                findings_cache.folder_digest(request_files.requests_dir(loaded.root)),
                on.isoformat(),
                os.getcwd(),
                os.fspath(plans.resolve()),
            ]
        )
        held = findings_cache.load(loaded.root, key)
        if isinstance(held, tuple) and len(held) == 2 and isinstance(held[0], sharing.ConsumptionFindings):
            return Checked(loaded, len(roster.people), held[0], held[1])
    consulted: list[Path] = []
    findings = sharing.consumption_findings(loaded, plans_dir=plans, on=on, consulted=consulted)
    required = tuple(sharing.catalogue_rule_problems(loaded, settings_file.load_settings(inventory_dir)))
    if key:
        findings_cache.store(loaded.root, key, (findings, required), consulted=consulted)
    return Checked(loaded, len(roster.people), findings, required)


@dataclasses.dataclass(frozen=True)
class ExampleWritten:
    inventory: model.Inventory
    files: int


def write_example(out: Path, *, systems: int, seed: int, entries_per_system: int | None) -> ExampleWritten:
    """Generate the fictional city (or province) and write it as an inventory directory."""
    city = example.generate_city(systems=systems, seed=seed, entries_per_system=entries_per_system)
    return ExampleWritten(city.inventory, inventory_files.write_inventory(out, city.inventory))


def write_template(out: Path) -> None:
    """A blank census form (部门, 系统, 信息资源, with drop-downs on enumerated columns)."""
    census_forms.write_template(out)


def import_forms(files: Sequence[Path], inventory_dir: Path, *, dry_run: bool) -> census_forms.ImportReport:
    """Import returned forms: every row of every file, or nothing (:data:`FormsRejected`)."""
    settings = settings_file.load_settings(inventory_dir)
    return census_forms.import_forms(files, inventory_dir, dry_run=dry_run, form_settings=settings.census_forms)


def export_forms(inventory: model.Inventory, out: Path, *, department: str | None) -> int:
    """The inventory (or one department) as a census form; the rows written."""
    return census_forms.export_forms(inventory, out, department=department)


def write_schemas(out: Path) -> list[Path]:
    """JSON Schemas of the inventory files (and a README for editors)."""
    return list(json_schema.write_schemas(out, json_schema.inventory_schema_models()))
