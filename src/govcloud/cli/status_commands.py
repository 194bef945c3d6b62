"""``govcloud status``: every system and stage, planned against actual, from the ledger and a derived cache. Edge."""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Sequence
from typing import Annotated, Any

import rich.markup
import rich.table
import typer

from govcloud.app import documents
from govcloud.app import status as status_view
from govcloud.cli import common, ledger_commands
from govcloud.orchestration.core import status, transitions
from govcloud.orchestration.edges import advance as advancing
from govcloud.orchestration.edges import status_cache
from govcloud.planning.core.stages import Stage


class StatusFormat(enum.StrEnum):
    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"


def register(app: typer.Typer) -> None:
    app.command("status")(status_command)


@common.guarded
def status_command(
    wave: Annotated[int | None, typer.Option("--wave", help="only this wave")] = None,
    department: Annotated[str | None, typer.Option("--department", help="only this department")] = None,
    late: Annotated[bool, typer.Option("--late", help="only stages past their target end")] = False,
    blocked: Annotated[bool, typer.Option("--blocked", help="only blocked stages")] = False,
    output: Annotated[StatusFormat, typer.Option("--format", help="table, json or markdown")] = StatusFormat.TABLE,
    limit: Annotated[int, typer.Option("--limit", min=0, help="rows shown in table and markdown (json: all)")] = 40,
    today: Annotated[
        dt.datetime | None, typer.Option("--today", formats=["%Y-%m-%d"], help="count lateness to this day")
    ] = None,
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
    plans_dir: ledger_commands.PlansOption = ledger_commands.DEFAULT_PLANS,
    ledger: ledger_commands.LedgerOption = None,
) -> None:
    """Per system and stage: status, planned and actual dates, owner, who signed, gates, days late; roll-ups."""
    day = today.date() if today is not None else dt.datetime.now(dt.UTC).date()
    path = ledger_commands.ledger_path(inventory, ledger)
    rows, inputs, states, backed = status_view.compute_status(
        inventory=inventory,
        plans_dir=plans_dir,
        ledger=path,
        today=day,
        on_inventory_load=lambda: (
            common.err_console.print("census changed: reading the inventory once", style="dim")
            if common.err_console.is_terminal
            else None
        ),
    )
    chosen = status.select(rows, wave=wave, department=department, late=late, blocked=blocked)
    shown = chosen if output is StatusFormat.JSON else chosen[:limit]
    facts = status_cache.read_facts(status_cache.cache_path_for(path), status.gate_systems(shown, inputs.plans))
    # the day's grants, for the data stage's statutory gate: read only when a shown row is about to need it
    needs_grants = any(r.stage is Stage.DATA and r.status is transitions.LedgerStatus.IN_PROGRESS for r in shown)
    allowed = advancing.sharing_authorisations(inventory, on=day) if needs_grants else None
    shown = status.with_gates(shown, inputs.plans, facts, states, authorisations=allowed)
    waves = status.rollups(chosen, by="wave", today=day)
    departments = status.rollups(chosen, by="department", today=day)
    source = f"ledger {path}" if backed else "plan files only: not yet ledger-backed (govcloud ledger adopt)"
    if output is StatusFormat.JSON:
        payload = documents.status_document(
            today=day, source=source, ledger_backed=backed, rows=shown, by_wave=waves, by_department=departments
        )
        typer.echo(json.dumps(payload, ensure_ascii=False))  # compact: the C encoder, for 36,000+ rows
        return
    if output is StatusFormat.MARKDOWN:
        typer.echo(render_markdown(shown, waves, departments, total=len(chosen), source=source, today=day))
        return
    console = common.console
    console.print(f"{len(chosen)} stage(s) of {len(rows)}; {source}; today {day}", highlight=False)
    # a province has hundreds of waves: the terminal gets the first ones, like the departments and rows
    console.print(_rollup_table("wave", waves[:limit]))
    if len(waves) > limit:
        console.print(f"… {len(waves) - limit} more waves (--wave N, or --format json)", highlight=False)
    if department is None:
        console.print(_rollup_table("department", departments[:limit]))
        if len(departments) > limit:
            console.print(f"… {len(departments) - limit} more departments (--department, or --format json)")
    console.print(_rows_table(shown))
    if len(chosen) > len(shown):
        console.print(f"… {len(chosen) - len(shown)} more rows (--limit, or --format json for all)", highlight=False)


def _dates(start: Any, end: Any) -> str:
    def short(value: Any) -> str:
        return str(value)[:10] if value else "…"

    return f"{short(start)} → {short(end)}"


def _gates_text(row: status.StatusRow, *, evidence: bool = True) -> str:
    if not row.gates:
        return ""
    failing = row.failing_gates
    overridden = [g for g in row.gates if g.overridden]
    text = f"{len(row.gates) - len(failing) - len(overridden)}/{len(row.gates)} hold"
    if overridden:
        text += "; overridden: " + ", ".join(g.describe for g in overridden)
    if failing:
        text += "; failing: " + "; ".join(f"{g.describe} ({g.evidence})" if evidence else g.describe for g in failing)
    return text


def _who(row: status.StatusRow) -> str:
    parts = [row.last_by] if row.last_by else []
    if row.signed_by:
        parts.append("signed off: " + ", ".join(row.signed_by))
    return "; ".join(parts)


def _rows_table(rows: Sequence[status.StatusRow]) -> rich.table.Table:
    table = rich.table.Table(title="stages", title_justify="left")
    for column in ("system", "stage", "status", "planned", "actual", "owner", "by", "gates", "late"):
        table.add_column(column)
    colours = {"done": "green", "in_progress": "cyan", "blocked": "red", "pending": ""}
    for row in rows:
        state = row.status.value + (f": {row.reason}" if row.reason else "")
        table.add_row(
            f"{row.system} {row.name}",
            row.stage.value,
            f"[{colours[row.status.value]}]{rich.markup.escape(state)}[/]" if colours[row.status.value] else state,
            _dates(row.target_start, row.target_end),
            _dates(row.actual_start, row.actual_end) if row.actual_start or row.actual_end else "",
            row.owner or "",
            _who(row),
            _gates_text(row, evidence=False),
            f"{row.days_late} d" if row.late else "",
        )
    return table


def _rollup_table(by: str, rollups: Sequence[status.Rollup]) -> rich.table.Table:
    table = rich.table.Table(title=f"by {by}", title_justify="left")
    for column in (
        by,
        "systems",
        "done systems",
        "stages",
        "pending",
        "in progress",
        "blocked",
        "done",
        "planned done",
        "late",
    ):
        table.add_column(column, justify="left" if column == by else "right")
    for r in rollups:
        table.add_row(
            r.key,
            str(r.systems),
            str(r.systems_done),
            str(r.stages),
            str(r.counts["pending"]),
            str(r.counts["in_progress"]),
            str(r.counts["blocked"]),
            str(r.counts["done"]),
            str(r.planned_done),
            str(r.late),
        )
    return table


def render_markdown(
    rows: Sequence[status.StatusRow],
    waves: Sequence[status.Rollup],
    departments: Sequence[status.Rollup],
    *,
    total: int,
    source: str,
    today: dt.date,
) -> str:
    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|")

    lines = [f"# Migration status, {today}", "", f"{total} stage(s); {source}.", ""]
    for title, rollups in (("wave", waves), ("department", departments)):
        lines += [
            f"## By {title}",
            "",
            f"| {title} | systems | done systems | pending | in progress | blocked | done | planned done | late |",
        ]
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in rollups:
            c = r.counts
            lines.append(
                f"| {cell(r.key)} | {r.systems} | {r.systems_done} | {c['pending']} | {c['in_progress']} | "
                f"{c['blocked']} | {c['done']} | {r.planned_done} | {r.late} |"
            )
        lines.append("")
    lines += ["## Stages", "", "| system | stage | status | planned | actual | owner | by | gates | late |"]
    lines.append("|---|---|---|---|---|---|---|---|---:|")
    for row in rows:
        state = row.status.value + (f": {row.reason}" if row.reason else "")
        actual = _dates(row.actual_start, row.actual_end) if row.actual_start or row.actual_end else ""
        lines.append(
            f"| {cell(row.system)} {cell(row.name)} | {row.stage.value} | {cell(state)} | "
            f"{_dates(row.target_start, row.target_end)} | {actual} | {cell(row.owner or '')} | {cell(_who(row))} | "
            f"{cell(_gates_text(row))} | {row.days_late if row.late else ''} |"
        )
    if total > len(rows):
        lines += ["", f"… {total - len(rows)} more rows."]
    return "\n".join(lines) + "\n"
