"""``govcloud status``: every system and stage, planned against actual, from the ledger and a derived cache. Edge."""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar

import rich.markup
import rich.table
import typer

from govcloud.app import documents
from govcloud.app import reports as reports_app
from govcloud.app import status as status_view
from govcloud.cli import common, ledger_commands
from govcloud.orchestration.core import status
from govcloud.reporting.core import labels
from govcloud.reporting.core.labels import Lang

_T = TypeVar("_T")


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
    lang: Annotated[
        Lang | None,
        typer.Option("--lang", help="language of the table and Markdown labels (default: reports.language)"),
    ] = None,
) -> None:
    """Per system and stage: status, planned and actual dates, owner, who signed, gates, days late; roll-ups.

    Labels in zh-CN by default (``--lang en``); ``--format json`` keeps its English keys, for programs.
    """
    day = today.date() if today is not None else dt.datetime.now(dt.UTC).date()
    path = ledger_commands.ledger_path(inventory, ledger)
    language = reports_app.language_of(lang, inventory)

    def found() -> status_view.StatusReport:
        return status_view.status_report(
            inventory=inventory,
            plans_dir=plans_dir,
            ledger=path,
            today=day,
            wave=wave,
            department=department,
            late=late,
            blocked=blocked,
            limit=None if output is StatusFormat.JSON else limit,
            on_inventory_load=lambda: (
                common.err_console.print("census changed: reading the inventory once", style="dim")
                if common.err_console.is_terminal
                else None
            ),
        )

    def json_text() -> str:
        report = found()
        payload = documents.status_document(
            today=day,
            source=report.source,
            ledger_backed=report.ledger_backed,
            rows=report.shown,
            by_wave=report.by_wave,
            by_department=report.by_department,
        )
        return json.dumps(payload, ensure_ascii=False)  # compact: the C encoder, for 36,000+ rows

    def markdown_text() -> str:
        report = found()
        return render_markdown(
            report.shown,
            report.by_wave,
            report.by_department,
            total=report.chosen,
            source=_source(report, path, language),
            today=day,
            lang=language,
        )

    # what is shown is cached whole, under a key of the bytes of everything status reads (and the options)
    options = [f"{wave}\0{department}\0{late}\0{blocked}\0{limit}\0{language.value}"]
    command = f"status --format {output.value}"

    def shown_as(kind: type[_T], show: Callable[[], _T]) -> _T:
        return status_view.status_shown(
            inventory=inventory,
            plans_dir=plans_dir,
            ledger=path,
            today=day,
            command=command,
            options=options,
            kind=kind,
            show=show,
        )

    if output is StatusFormat.JSON:
        typer.echo(shown_as(str, json_text))
        return
    if output is StatusFormat.MARKDOWN:
        typer.echo(shown_as(str, markdown_text))
        return
    report = shown_as(status_view.StatusReport, found)
    shown, waves, departments = report.shown, report.by_wave, report.by_department
    words = labels.status_view_text(language)
    console = common.console
    summary = words["st_summary"].format(
        chosen=report.chosen, total=report.total, source=_source(report, path, language), today=day
    )
    console.print(summary, highlight=False)
    # a province has hundreds of waves: the terminal gets the first ones, like the departments and rows
    console.print(_rollup_table("wave", waves[:limit], language))
    if len(waves) > limit:
        console.print(words["st_more_waves"].format(count=len(waves) - limit), highlight=False)
    if department is None:
        console.print(_rollup_table("department", departments[:limit], language))
        if len(departments) > limit:
            console.print(words["st_more_departments"].format(count=len(departments) - limit), highlight=False)
    console.print(_rows_table(shown, words))
    if report.chosen > len(shown):
        console.print(words["st_more_rows"].format(count=report.chosen - len(shown)), highlight=False)


def _source(report: status_view.StatusReport, path: Path, language: Lang) -> str:
    words = labels.status_view_text(language)
    return words["st_source_ledger"].format(path=path) if report.ledger_backed else words["st_source_plans"]


def _dates(start: Any, end: Any) -> str:
    def short(value: Any) -> str:
        return str(value)[:10] if value else "…"

    return f"{short(start)} → {short(end)}"


def _gates_text(row: status.StatusRow, words: Mapping[str, str], *, evidence: bool = True) -> str:
    if not row.gates:
        return ""
    failing = row.failing_gates
    overridden = [g for g in row.gates if g.overridden]
    text = words["st_gates_hold"].format(held=len(row.gates) - len(failing) - len(overridden), total=len(row.gates))
    if overridden:
        text += f"; {words['st_overridden']}: " + ", ".join(g.describe for g in overridden)
    if failing:
        text += f"; {words['st_failing']}: " + "; ".join(
            f"{g.describe} ({g.evidence})" if evidence else g.describe for g in failing
        )
    return text


def _who(row: status.StatusRow, words: Mapping[str, str]) -> str:
    parts = [row.last_by] if row.last_by else []
    if row.signed_by:
        parts.append(f"{words['st_signed_off']}: " + ", ".join(row.signed_by))
    return "; ".join(parts)


def _state(row: status.StatusRow, words: Mapping[str, str]) -> str:
    return words["st_" + row.status.value] + (f": {row.reason}" if row.reason else "")


def _rows_table(rows: Sequence[status.StatusRow], words: Mapping[str, str]) -> rich.table.Table:
    table = rich.table.Table(title=words["st_stages"], title_justify="left")
    for column in ("system", "stage", "status", "planned", "actual", "owner", "by", "gates", "late"):
        table.add_column(words["st_" + column], overflow="fold")  # codes stay whole on a narrow terminal
    colours = {"done": "green", "in_progress": "cyan", "blocked": "red", "pending": ""}
    for row in rows:
        state = _state(row, words)
        table.add_row(
            f"{row.system} {row.name}",
            row.stage.value,
            f"[{colours[row.status.value]}]{rich.markup.escape(state)}[/]" if colours[row.status.value] else state,
            _dates(row.target_start, row.target_end),
            _dates(row.actual_start, row.actual_end) if row.actual_start or row.actual_end else "",
            row.owner or "",
            _who(row, words),
            _gates_text(row, words, evidence=False),
            words["st_days"].format(days=row.days_late) if row.late else "",
        )
    return table


ROLLUP_COLUMNS = (
    "systems",
    "done_systems",
    "stage_count",
    "pending",
    "in_progress",
    "blocked",
    "done",
    "planned_done",
    "late",
)


def _rollup_table(by: str, rollups: Sequence[status.Rollup], lang: Lang) -> rich.table.Table:
    words = labels.status_view_text(lang)
    table = rich.table.Table(title=words[f"st_by_{by}"], title_justify="left")
    table.add_column(words[f"st_{by}"], justify="left", overflow="fold")
    for column in ROLLUP_COLUMNS:
        table.add_column(words["st_" + column], justify="right", overflow="fold")
    for r in rollups:
        table.add_row(
            labels.rollup_key(r.key, lang),
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
    lang: Lang = Lang.ZH,
) -> str:
    words = labels.status_view_text(lang)

    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|")

    def row_of(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cells) + " |"

    lines = [f"# {words['st_heading'].format(today=today)}", "", words["st_total"].format(total=total, source=source)]
    lines.append("")
    columns = [c for c in ROLLUP_COLUMNS if c != "stage_count"]
    for title, rollups in (("wave", waves), ("department", departments)):
        lines += [
            f"## {words[f'st_by_{title}'].capitalize()}",
            "",
            row_of([words[f"st_{title}"], *(words["st_" + c] for c in columns)]),
        ]
        lines.append("|---" + "|---:" * len(columns) + "|")
        for r in rollups:
            c = r.counts
            lines.append(
                row_of(
                    [
                        cell(labels.rollup_key(r.key, lang)),
                        *map(
                            str,
                            (
                                r.systems,
                                r.systems_done,
                                c["pending"],
                                c["in_progress"],
                                c["blocked"],
                                c["done"],
                                r.planned_done,
                                r.late,
                            ),
                        ),
                    ]
                )
            )
        lines.append("")
    stage_columns = ("system", "stage", "status", "planned", "actual", "owner", "by", "gates", "late")
    lines += [f"## {words['st_stages'].capitalize()}", "", row_of([words["st_" + c] for c in stage_columns])]
    lines.append("|---|---|---|---|---|---|---|---|---:|")
    for row in rows:
        actual = _dates(row.actual_start, row.actual_end) if row.actual_start or row.actual_end else ""
        lines.append(
            f"| {cell(row.system)} {cell(row.name)} | {row.stage.value} | {cell(_state(row, words))} | "
            f"{_dates(row.target_start, row.target_end)} | {actual} | {cell(row.owner or '')} | "
            f"{cell(_who(row, words))} | {cell(_gates_text(row, words))} | {row.days_late if row.late else ''} |"
        )
    if total > len(rows):
        lines += ["", words["st_more_rows_md"].format(count=total - len(rows))]
    return "\n".join(lines) + "\n"
