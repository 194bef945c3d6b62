"""``govcloud check`` and ``govcloud example``: the census inventory itself."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from govcloud.app import sharing as app_sharing
from govcloud.cli import common
from govcloud.core import example
from govcloud.edges import inventory_files, settings_file
from govcloud.errors import InputError
from govcloud.orchestration.edges import people_file
from govcloud.sharing.edges import official_calendar

WARNINGS_SHOWN = 50
"""Warnings listed by default: a province has thousands before its data stage, and errors must stay visible."""


def register(app: typer.Typer) -> None:
    app.command("check")(check)
    app.command("example")(make_example)


@common.guarded
def check(
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
    plans_dir: Annotated[
        Path | None,
        typer.Option("--plans", "-p", help="plan files (default: migrations_plan/ beside the inventory)"),
    ] = None,
    all_warnings: Annotated[bool, typer.Option("--all-warnings", help="list every warning, not the first 50")] = False,
    today: Annotated[
        dt.datetime | None,
        typer.Option("--today", formats=["%Y-%m-%d"], help="the day sharing grants are evaluated on (default: today)"),
    ] = None,
) -> None:
    """Load every inventory file and report ALL problems (file:line: field: message); exit 1 if any.

    Also the data-sharing consumption of the day: another department's 有条件共享 entry consumed without an
    active grant is a warning before the system's data stage and an error once it is under way; a 无条件共享 one
    without a registration is a warning.
    """
    loaded = common.load_inventory(inventory)
    inv = loaded.inventory
    # the roster is optional (hand-kept, see README); when present it is checked like the rest
    roster = people_file.load_roster(inventory, departments=inv.department_by_code.keys(), required=False)
    sharing = app_sharing.consumption_findings(
        loaded,
        plans_dir=plans_dir or app_sharing.plans_beside(inventory),
        on=today.date() if today is not None else official_calendar.today(),
    )
    shown = sharing.warnings if all_warnings else sharing.warnings[:WARNINGS_SHOWN]
    for warning in shown:
        common.err_console.print(f"warning: {warning.render()}", markup=False, soft_wrap=True)
    if len(shown) < len(sharing.warnings):
        common.err_console.print(
            f"warning: and {len(sharing.warnings) - len(shown)} more (govcloud check --all-warnings lists each)"
        )
    required = app_sharing.catalogue_rule_problems(loaded, settings_file.load_settings(inventory))
    if sharing.errors or required:
        raise InputError((*required, *sharing.errors), "the 政务数据共享条例's requirements are not met")
    common.console.print(
        f"[green]ok[/]: {inventory}: {len(inv.departments)} departments, {len(inv.systems)} systems, "
        f"{len(inv.catalogue)} catalogue entries, {len(inv.network.zones)} zones"
        + (f" (+{len(inv.intranet_zones)} on the 电子政务内网)" if inv.intranet_zones else "")
        + (f", {len(inv.private_networks)} 业务专网" if inv.private_networks else "")
        + f", {len(inv.hosts)} hosts in {loaded.files} files"
        + (f"; roster: {len(roster.people)} people" if roster.people else "; no roster (people.yaml)")
        + f"; {sharing.requests} sharing request(s), {len(sharing.warnings)} sharing warning(s)"
    )


@common.guarded
def make_example(
    out: Annotated[Path, typer.Option("--out", help="directory to write the inventory to")],
    systems: Annotated[int, typer.Option("--systems", min=60, help="number of systems")] = 320,
    seed: Annotated[int, typer.Option("--seed", help="random seed; the same seed gives the same city")] = 7,
    entries_per_system: Annotated[
        int | None,
        typer.Option(
            "--entries-per-system", min=1, help="catalogue entries per system (default 5, or 10 from 5,000 systems)"
        ),
    ] = None,
) -> None:
    """Generate a realistic fictional city (or province) with planted zombies, duplicates and blockers."""
    with common.err_console.status(f"generating {systems} systems"):
        city = example.generate_city(systems=systems, seed=seed, entries_per_system=entries_per_system)
        count = inventory_files.write_inventory(out, city.inventory)
    inv = city.inventory
    common.console.print(
        f"wrote {count} files to {out}: {len(inv.departments)} departments, {len(inv.systems)} systems, "
        f"{len(inv.catalogue)} catalogue entries"
    )
