"""``govcloud catalogue export``: the information resource catalogue as DCAT-AP 3.0 or CKAN datasets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from govcloud.app import sharing_steps
from govcloud.cli import common
from govcloud.sharing.edges import catalogue_export

catalogue_app = typer.Typer(help="The information resource catalogue (政务信息资源目录).")


def register(app: typer.Typer) -> None:
    app.add_typer(catalogue_app, name="catalogue")


@catalogue_app.command("export")
@common.guarded
def export_command(
    export_format: Annotated[catalogue_export.ExportFormat, typer.Option("--format", help="output format")],
    out: Annotated[Path, typer.Option("--out", help="file to write")],
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
) -> None:
    """Write the catalogue as DCAT-AP 3.0 (Turtle or JSON-LD) or as CKAN package payloads (JSON)."""
    loaded = common.load_inventory(inventory)
    sharing_steps.export_catalogue(loaded.inventory, export_format, out)
    common.console.print(f"wrote {len(loaded.inventory.catalogue)} datasets to {out}", markup=False)
