"""``govcloud check`` and ``govcloud example``: the census inventory itself."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from govcloud.app import census as census_use
from govcloud.cli import common


def register(app: typer.Typer) -> None:
    app.command("check")(check)
    app.command("example")(make_example)


@common.guarded
def check(inventory: common.InventoryOption = common.DEFAULT_INVENTORY) -> None:
    """Load every inventory file and report ALL problems (file:line: field: message); exit 1 if any."""
    checked = census_use.check_inventory(inventory, loader=common.load_inventory)
    loaded, inv = checked.loaded, checked.loaded.inventory
    common.console.print(
        f"[green]ok[/]: {inventory}: {len(inv.departments)} departments, {len(inv.systems)} systems, "
        f"{len(inv.catalogue)} catalogue entries, {len(inv.network.zones)} zones"
        + (f" (+{len(inv.intranet_zones)} on the 电子政务内网)" if inv.intranet_zones else "")
        + (f", {len(inv.private_networks)} 业务专网" if inv.private_networks else "")
        + f", {len(inv.hosts)} hosts in {loaded.files} files"
        + (f"; roster: {checked.people} people" if checked.people else "; no roster (people.yaml)")
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
