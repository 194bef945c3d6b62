"""``govcloud check`` and ``govcloud example``: the census inventory itself."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from govcloud.app import census as census_use
from govcloud.cli import common
from govcloud.errors import InputError

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
    checked = census_use.check_inventory(
        inventory,
        loader=common.load_inventory,
        plans_dir=plans_dir,
        today=today.date() if today is not None else None,
    )
    loaded, counts, sharing = checked.loaded, checked.loaded.counts, checked.sharing
    shown = sharing.warnings if all_warnings else sharing.warnings[:WARNINGS_SHOWN]
    for warning in shown:
        common.err_console.print(f"warning: {warning.render()}", markup=False, soft_wrap=True)
    if len(shown) < len(sharing.warnings):
        common.err_console.print(
            f"warning: and {len(sharing.warnings) - len(shown)} more (govcloud check --all-warnings lists each)"
        )
    if sharing.errors or checked.required:
        raise InputError((*checked.required, *sharing.errors), "the 政务数据共享条例's requirements are not met")
    common.console.print(
        f"[green]ok[/]: {inventory}: {counts.departments} departments, {counts.systems} systems, "
        f"{counts.catalogue} catalogue entries, {counts.zones} zones"
        + (f" (+{counts.intranet_zones} on the 电子政务内网)" if counts.intranet_zones else "")
        + (f", {counts.private_networks} 业务专网" if counts.private_networks else "")
        + f", {counts.hosts} hosts in {loaded.files} files"
        + (f"; roster: {checked.people} people" if checked.people else "; no roster (people.yaml)")
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
        written = census_use.write_example(out, systems=systems, seed=seed, entries_per_system=entries_per_system)
    count, inv = written.files, written.inventory
    common.console.print(
        f"wrote {count} files to {out}: {len(inv.departments)} departments, {len(inv.systems)} systems, "
        f"{len(inv.catalogue)} catalogue entries"
    )
