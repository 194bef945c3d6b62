"""``govcloud diff``: what changed in the census and the plans between two revisions, who made it, what it risks."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import rich.progress
import typer

from govcloud.app import audit as audit_app
from govcloud.cli import common


class DiffFormat(enum.StrEnum):
    TABLE = "table"
    MARKDOWN = "markdown"
    JSON = "json"


MinRisk = audit_app.Risk


def register(app: typer.Typer) -> None:
    app.command("diff")(diff_command)


@common.guarded
def diff_command(
    base: Annotated[str, typer.Argument(help="revision to compare from")] = "HEAD",
    target: Annotated[
        str | None, typer.Argument(help="revision to compare to (default: the working tree)", show_default=False)
    ] = None,
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
    plans_dir: Annotated[Path, typer.Option("--plans", "-p", help="plan files directory")] = Path("migrations_plan"),
    ledger: Annotated[
        Path | None, typer.Option("--ledger", help="the migration ledger (default: as advance finds it)")
    ] = None,
    each_commit: Annotated[
        bool, typer.Option("--each-commit", help="every commit's own changes, in order, instead of the net change")
    ] = False,
    output: Annotated[DiffFormat, typer.Option("--format", help="output format")] = DiffFormat.TABLE,
    min_risk: Annotated[MinRisk, typer.Option("--min-risk", help="show changes of at least this risk")] = MinRisk.LOW,
    fail_on: Annotated[
        MinRisk | None, typer.Option("--fail-on", help="exit 3 when a change of at least this risk is found")
    ] = None,
) -> None:
    """Compare census and plans between two git revisions (or a revision and the working tree), graded by risk.

    Each change is attributed to the commit that made it (hash, author, date, message, signature status).
    """
    with rich.progress.Progress(console=common.err_console, transient=True) as bar:
        task = bar.add_task("reading revisions", total=None)
        found = audit_app.diff_range(
            inventory=inventory,
            plans_dir=plans_dir,
            base=base,
            target=target,
            ledger=ledger,
            each_commit=each_commit,
            min_risk=min_risk,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    if output is DiffFormat.JSON:
        typer.echo(found.json(), nl=False)
    elif output is DiffFormat.MARKDOWN:
        typer.echo(found.markdown(), nl=False)
    else:
        for part in found.table():
            common.console.print(part, soft_wrap=False)
    if fail_on is not None and found.fails(fail_on):
        raise typer.Exit(3)
