"""The ``govcloud`` command line. Entry point: each command parses options, calls the application layer, prints."""

from __future__ import annotations

from typing import Annotated

import typer

import govcloud
from govcloud.app import workspace
from govcloud.cli import (
    assess_commands,
    catalogue_commands,
    census_commands,
    diff_commands,
    inventory_commands,
    ledger_commands,
    network_commands,
    plan_commands,
    render_commands,
    share_commands,
    status_commands,
)

app = typer.Typer(
    name="govcloud",
    help="Census, assessment, staged migration plans and provisioning for a city's e-government cloud.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
inventory_commands.register(app)
assess_commands.register(app)
network_commands.register(app)
render_commands.register(app)
census_commands.register(app)
diff_commands.register(app)
plan_commands.register(app)
ledger_commands.register(app)
status_commands.register(app)
share_commands.register(app)
catalogue_commands.register(app)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"govcloud {govcloud.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_show_version, is_eager=True, help="show the version and exit")
    ] = False,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            envvar=workspace.NO_CACHE_ENV,
            help="read and validate every inventory file again, ignoring .govcloud/cache/ (and not writing it)",
        ),
    ] = False,
) -> None:
    """Census, assessment, staged migration plans and provisioning for a city's e-government cloud."""
    if no_cache:
        workspace.disable_inventory_cache()  # also for the Pulumi programs and hooks it starts


def main() -> None:
    workspace.write_inventory_cache_in_background()  # this process ends with the command
    app()
