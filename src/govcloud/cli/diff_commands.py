"""``govcloud diff``: what changed in the census between two revisions, and what it risks."""

from __future__ import annotations

import enum
import json
from typing import Annotated

import rich.table
import typer

from govcloud.audit.core import diff
from govcloud.audit.edges import git_revisions
from govcloud.cli import common


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
    output: Annotated[DiffFormat, typer.Option("--format", help="output format")] = DiffFormat.TABLE,
    min_risk: Annotated[MinRisk, typer.Option("--min-risk", help="show changes of at least this risk")] = MinRisk.LOW,
    fail_on: Annotated[
        MinRisk | None, typer.Option("--fail-on", help="exit 3 when a change of at least this risk is found")
    ] = None,
) -> None:
    """Compare the census between two git revisions (or a revision and the working tree), graded by risk."""
    before = git_revisions.load_at(inventory, base).inventory
    after = (
        git_revisions.load_at(inventory, target).inventory
        if target
        else common.load_inventory(inventory, quiet=True).inventory
    )
    floor = diff.Risk[min_risk.name]
    changes = [c for c in diff.diff_inventories(before, after) if c.risk >= floor]
    label = f"{base}..{target or 'working tree'}"
    if output is DiffFormat.JSON:
        payload = {
            "base": base,
            "target": target,
            "changes": [
                {
                    "record": c.record,
                    "key": c.key,
                    "kind": c.kind.value,
                    "field": c.field,
                    "old": c.old,
                    "new": c.new,
                    "risk": c.risk.label,
                    "why": c.why,
                }
                for c in changes
            ],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    elif output is DiffFormat.MARKDOWN:
        typer.echo(_markdown(label, changes))
    else:
        _table(label, changes)
    if fail_on is not None and any(c.risk >= diff.Risk[fail_on.name] for c in changes):
        raise typer.Exit(3)


def _table(label: str, changes: list[diff.Change]) -> None:
    counts = {risk: sum(1 for c in changes if c.risk is risk) for risk in diff.Risk}
    common.console.print(
        f"[bold]{label}[/]: {len(changes)} change(s): "
        f"[red]{counts[diff.Risk.HIGH]} high[/], [yellow]{counts[diff.Risk.MEDIUM]} medium[/], "
        f"{counts[diff.Risk.LOW]} low"
    )
    if not changes:
        return
    table = rich.table.Table("risk", "record", "key", "change", "old", "new", "why", show_lines=False)
    colour = {diff.Risk.HIGH: "red", diff.Risk.MEDIUM: "yellow", diff.Risk.LOW: "dim"}
    for c in changes:
        what = c.field if c.kind is diff.ChangeKind.CHANGED else c.kind.value
        table.add_row(f"[{colour[c.risk]}]{c.risk.label}[/]", c.record, c.key, what, c.old, c.new, c.why)
    common.console.print(table)


def _markdown(label: str, changes: list[diff.Change]) -> str:
    lines = [f"# Census changes {label}", "", f"{len(changes)} change(s).", ""]
    if changes:
        lines += ["| risk | record | key | change | old | new | why |", "|---|---|---|---|---|---|---|"]
        for c in changes:
            what = c.field if c.kind is diff.ChangeKind.CHANGED else c.kind.value
            cells = [c.risk.label, c.record, c.key, what, c.old, c.new, c.why]
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)
