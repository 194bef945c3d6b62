"""``govcloud diff``: what changed in the census and the plans between two revisions, who made it, what it risks."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import rich.progress
import typer

from govcloud.audit.core import diff
from govcloud.audit.edges import diff_report, history
from govcloud.cli import common, ledger_commands
from govcloud.core.settings import Settings
from govcloud.edges import settings_file


class DiffFormat(enum.StrEnum):
    TABLE = "table"
    MARKDOWN = "markdown"
    JSON = "json"


class MinRisk(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


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
    settings = settings_file.load_settings(inventory) if inventory.is_dir() else None
    with rich.progress.Progress(console=common.err_console, transient=True) as bar:
        task = bar.add_task("reading revisions", total=None)
        audit = history.audit_range(
            inventory,
            plans_dir,
            base,
            target,
            settings=settings or Settings(),
            ledger=ledger_commands.ledger_path(inventory, ledger),
            each_commit=each_commit,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    changes = audit.at_least(diff.Risk[min_risk.name])
    if output is DiffFormat.JSON:
        typer.echo(diff_report.render_json(audit, changes), nl=False)
    elif output is DiffFormat.MARKDOWN:
        typer.echo(diff_report.render_markdown(audit, changes), nl=False)
    else:
        for part in diff_report.render_table(audit, changes):
            common.console.print(part, soft_wrap=False)
    if fail_on is not None and audit.at_least(diff.Risk[fail_on.name]):
        raise typer.Exit(3)
