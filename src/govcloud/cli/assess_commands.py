"""``govcloud assess``: zombies, duplicates, cloud readiness and dispositions. Edge (CLI).

Three renderings of one :class:`~govcloud.assessment.core.assessment.Assessment`: rich tables for a terminal, JSON
(stable keys and order, every finding) for machines, Markdown (the same sections, complete) for a report.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
from collections.abc import Iterable, Sequence
from typing import Annotated

import rich.table
import typer

from govcloud.app import documents, planning
from govcloud.app.workspace import Workspace
from govcloud.assessment.core.assessment import (
    Assessment,
    SystemAssessment,
    ZombieCriterion,
)
from govcloud.cli import common
from govcloud.core import model
from govcloud.errors import InputError, Problem

TABLE_ROWS = 40
"""Rows a terminal table shows before it says how many more there are (JSON and Markdown show all)."""


class Format(enum.StrEnum):
    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"


def register(app: typer.Typer) -> None:
    app.command("assess")(assess)


@common.guarded
def assess(
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
    output: Annotated[Format, typer.Option("--format", "-f", help="table, json or markdown")] = Format.TABLE,
    system: Annotated[str | None, typer.Option("--system", "-s", help="show only this system")] = None,
    today: Annotated[
        dt.datetime | None,
        typer.Option(
            "--today", formats=["%Y-%m-%d"], help="count months without update to this day (default: the census date)"
        ),
    ] = None,
) -> None:
    """Assess every system: zombie findings, duplicates, cloud readiness and a disposition with its reasons."""
    workspace = Workspace(
        inventory_dir=inventory, loader=lambda root: common.load_inventory(root, quiet=output is not Format.TABLE)
    )
    workspace.load_inventory()

    def chosen(result: Assessment) -> list[str]:
        if system is None:
            return list(result.systems)
        if system not in result.systems:
            raise InputError(
                [Problem(str(inventory), None, "--system", f"no system {system!r} in the inventory")], "unknown system"
            )
        return [system]

    def json_text(result: Assessment) -> str:
        document = documents.assessment_document(workspace.inventory, result, workspace.settings, codes=chosen(result))
        return json.dumps(document, ensure_ascii=False, indent=2)

    def markdown_text(result: Assessment) -> str:
        return render_markdown(workspace.inventory, result, codes=chosen(result))

    def table_view(result: Assessment) -> _Shown:
        codes = chosen(result)
        if system is not None:
            return _system_view(workspace.inventory, result.systems[codes[0]])
        return _table_view(workspace.inventory, result)

    # a lead's signed confirmation in the ledger puts a 下线/整合 proposal into effect; what is shown is cached
    # whole (a hit reads no census record), under a key of everything assess reads
    day = today.date() if today else None
    command, options = f"assess --format {output.value}", [f"system={system}" if system is not None else "-"]
    if output is Format.JSON:
        typer.echo(
            planning.assess_shown(workspace, today=day, command=command, options=options, kind=str, show=json_text)
        )
    elif output is Format.MARKDOWN:
        text = planning.assess_shown(
            workspace, today=day, command=command, options=options, kind=str, show=markdown_text
        )
        typer.echo(text)
    else:
        shown = planning.assess_shown(
            workspace, today=day, command=command, options=options, kind=_Shown, show=table_view
        )
        _print_shown(shown)


# ---------------------------------------------------------------------------------------------------------
# Sections shared by the table and Markdown renderings


def _disposition_cell(item: SystemAssessment) -> str:
    decision = item.decision
    text = str(decision.disposition)
    if decision.merge_into:
        text += f" → {decision.merge_into}"
    if decision.overridden:
        text += " (override)"
    if decision.proposed and decision.proposal is not None:
        text += f" (提议 {decision.proposal.describe()})"
    elif decision.confirmed:
        text += " (confirmed)"
    elif item.weighing is not None and item.weighing.verdict == "复核":
        text += " (复核)"
    return text


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _where(within: bool) -> str:
    return "same department (部门内部整合)" if within else "across departments"


def _sections(inventory: model.Inventory, result: Assessment, codes: Sequence[str]) -> list[_Section]:
    items = [result.systems[c] for c in codes]
    names = inventory.system_by_code
    shown = set(codes)
    counts = dict.fromkeys(model.Disposition, 0)
    overridden = dict.fromkeys(model.Disposition, 0)
    proposed = dict.fromkeys(model.Disposition, 0)
    for item in items:
        counts[item.decision.disposition] += 1
        overridden[item.decision.disposition] += item.decision.overridden
        if item.decision.proposed and item.decision.proposal is not None:
            proposed[item.decision.proposal.disposition] += 1
    sections = [
        _Section(
            "Dispositions in effect (systems)",
            ("disposition", "systems", "of which overrides", "proposed, awaiting confirmation (提议)"),
            [(str(d), str(counts[d]), str(overridden[d]), str(proposed[d])) for d in model.Disposition],
        ),
        _Section(
            "Zombie findings (one row per finding)",
            ("system", "name", "criterion", "evidence", "disposition"),
            sorted(
                (
                    (item.code, names[item.code].name, str(f.criterion), f.evidence, _disposition_cell(item))
                    for item in items
                    for f in item.zombie
                ),
                key=lambda row: (row[2] == str(ZombieCriterion.REPLACEABLE), row[0]),
            ),
        ),
        _Section(
            "Zombie reviews (复核: one row per system)",
            ("system", "name", "why", "for 下线", "against 下线"),
            [
                (
                    item.code,
                    names[item.code].name,
                    item.weighing.why,
                    "; ".join(item.weighing.for_retiring),
                    "; ".join(item.weighing.against) or "none",
                )
                for item in items
                if item.weighing is not None and item.weighing.verdict == "复核"
            ],
        ),
        _Section(
            "Duplicate pairs (one row per pair)",
            ("system", "duplicate", "score", "where", "overlapping terms"),
            [
                (p.a, p.b, f"{p.score:.2f}", _where(p.within_department), "、".join(p.overlapping_terms))
                for p in result.duplicate_pairs
                if p.a in shown or p.b in shown
            ],
        ),
        _Section(
            "Not cloud-ready (one row per blocker)",
            ("system", "name", "blocker", "evidence", "disposition"),
            [
                (item.code, names[item.code].name, str(b.reason), b.evidence, _disposition_cell(item))
                for item in items
                for b in item.blockers
            ],
        ),
        _Section(
            "Overrides",
            ("system", "disposition", "decided by", "on", "reason"),
            [
                (
                    item.code,
                    _disposition_cell(item),
                    item.decision.override.decided_by,
                    item.decision.override.decided_on.isoformat(),
                    item.decision.override.reason,
                )
                for item in items
                if item.decision.override is not None
            ],
        ),
    ]
    return sections


class _Section:
    def __init__(self, title: str, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
        self.title = title
        self.columns = tuple(columns)
        self.rows = [tuple(r) for r in rows]


# ---------------------------------------------------------------------------------------------------------
# Table


@dataclasses.dataclass(frozen=True)
class _Shown:
    """What the terminal rendering prints, computed once (and cached): lines, then tables of at most TABLE_ROWS.

    ``lines`` are (text, markup) pairs; each table is (title, columns, rows shown, rows in all).
    """

    lines: tuple[tuple[str, bool], ...]
    tables: tuple[tuple[str, tuple[str, ...], tuple[tuple[str, ...], ...], int], ...] = ()


def _table_view(inventory: model.Inventory, result: Assessment) -> _Shown:
    totals = planning.counts(result)
    lines = (
        (f"assessed {totals.systems} systems as of {_iso(result.reference_date)}: {totals.summary()}", True),
        (totals.proposals_summary(), True),
    )
    tables = tuple(
        (section.title, section.columns, tuple(section.rows[:TABLE_ROWS]), len(section.rows))
        for section in _sections(inventory, result, list(result.systems))
    )
    return _Shown(lines, tables)


def _print_shown(shown: _Shown) -> None:
    console = common.console
    for text, markup in shown.lines:
        if markup:
            console.print(text)
        else:
            console.print(text, markup=False)
    for title, columns, rows, count in shown.tables:
        table = rich.table.Table(title=f"{title} ({count})", title_justify="left")
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*row)
        if not count:
            table.add_row(*(["none"] + [""] * (len(columns) - 1)))
        console.print(table)
        if count > TABLE_ROWS:
            console.print(f"… {count - TABLE_ROWS} more (--format json or markdown shows all)")


def _system_view(inventory: model.Inventory, item: SystemAssessment) -> _Shown:
    system = inventory.system_by_code[item.code]
    lines: list[tuple[str, bool]] = [
        (f"[bold]{item.code}[/] {system.name} ({system.department})", True),
        (f"disposition: {_disposition_cell(item)}", True),
    ]
    lines += [(f"  - {reason}", False) for reason in item.decision.reasons]
    lines.append(("cloud-ready" if item.cloud_ready else "not cloud-ready:", True))
    lines += [(f"  - {blocker.reason}: {blocker.evidence}", False) for blocker in item.blockers]
    lines.append(("zombie findings:" if item.zombie else "no zombie finding", True))
    lines += [(f"  - {finding.criterion}: {finding.evidence}", False) for finding in item.zombie]
    lines.append(("duplicates:" if item.duplicates else "no duplicate", True))
    lines += [
        (
            f"  - {dup.other} {dup.score:.2f} ({_where(dup.within_department)}): " + "、".join(dup.overlapping_terms),
            False,
        )
        for dup in item.duplicates
    ]
    return _Shown(tuple(lines))


# ---------------------------------------------------------------------------------------------------------
# Markdown


def render_markdown(inventory: model.Inventory, result: Assessment, *, codes: Sequence[str]) -> str:
    """The assessment as a Markdown report: the table sections in full, then each system's reasons."""
    lines = [
        f"# Assessment of {inventory.city.name}",
        "",
        f"{len(codes)} systems, as of {_iso(result.reference_date)}.",
    ]
    if len(codes) == len(result.systems):
        totals = planning.counts(result)
        lines += ["", f"Assessed {totals.systems} systems: {totals.summary()}.", "", totals.proposals_summary() + "."]
    for section in _sections(inventory, result, codes):
        lines += ["", f"## {section.title} ({len(section.rows)})", ""]
        if not section.rows:
            lines.append("None.")
            continue
        lines.append("| " + " | ".join(section.columns) + " |")
        lines.append("|" + "---|" * len(section.columns))
        lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in section.rows]
    lines += ["", "## Decisions", ""]
    for code in codes:
        item = result.systems[code]
        lines.append(f"- **{code}** {_cell(inventory.system_by_code[code].name)}: {_disposition_cell(item)}")
        lines += [f"  - {_cell(reason)}" for reason in item.decision.reasons]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
