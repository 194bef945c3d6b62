"""``govcloud share ...``: sharing requests under the 政务数据共享条例, from request to delivery."""

from __future__ import annotations

import datetime as dt
import enum
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import rich.cells
import rich.table
import typer

from govcloud.app import sharing_deadlines
from govcloud.cli import common
from govcloud.sharing.core.vocabulary import DeliveryMethod

if TYPE_CHECKING:
    from govcloud.app import sharing_steps
    from govcloud.edges import inventory_files
    from govcloud.sharing.core import requests

# The reading commands (list, overdue) import only what they need: the steps that change a request import the
# application's models and the ledger when they run.

share_app = typer.Typer(help="Data-sharing requests (共享申请): request, answer, extend, deliver, and their deadlines.")


def register(app: typer.Typer) -> None:
    app.add_typer(share_app, name="share")


SIGNING_KEY_ENV = "GOVCLOUD_SIGNING_KEY"
""":data:`govcloud.app.orchestration.SIGNING_KEY_ENV` (the ledger commands' ``--key``), without importing it."""
RequestArg = Annotated[str, typer.Argument(help="request id, e.g. SQ-2025-0001")]
OnOption = Annotated[
    dt.datetime | None, typer.Option("--on", formats=["%Y-%m-%d"], help="date of the step (default: today)")
]
ByOption = Annotated[str, typer.Option("--by", help="who approved the step (head of the 工作机构 / 主管部门)")]
LedgerOption = Annotated[
    Path | None,
    typer.Option(
        "--ledger", help="the ledger file (default: orchestration.ledger in settings, .govcloud/ledger.sqlite)"
    ),
]
KeyOption = Annotated[
    Path | None,
    typer.Option("--key", help=f"your SSH private key (or ${SIGNING_KEY_ENV}); entries are signed with it"),
]
"""The ledger commands' ``--ledger`` and ``--key`` (:mod:`govcloud.cli.ledger_commands`), spelled the same."""


def _day(on: dt.datetime | None) -> dt.date:
    return on.date() if on is not None else sharing_deadlines.today()


def _context(inventory: Path, ledger: Path | None = None, key: Path | None = None) -> sharing_steps.SharingContext:
    """The step's inputs; for a step that changes a request, also the ledger it is recorded in (if any)."""
    from govcloud.app import orchestration as app_orchestration
    from govcloud.app import sharing as app_sharing
    from govcloud.app import sharing_steps

    signing = app_sharing.ledger_signing(
        inventory, ledger=ledger, key=app_orchestration.signing_key(key, required=False)
    )
    return sharing_steps.load_context(inventory, loaded=common.load_inventory(inventory), ledger=signing)


def _reading(inventory: Path) -> sharing_steps.SharingContext:
    """The inputs of a command that only reads everything (report): no ledger, no key."""
    from govcloud.app import sharing_steps

    return sharing_steps.load_context(inventory, loaded=common.load_inventory(inventory))


def _loader(inventory: Path) -> inventory_files.LoadedInventory:
    """The inventory with the CLI's progress bar, when the catalogue facts must be built from it."""
    return common.load_inventory(inventory)


def _table(*columns: str, title: str | None = None) -> rich.table.Table:
    """A table whose cells fold rather than cut: request ids and resource codes must stay readable whole."""
    table = rich.table.Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _done(request: requests.SharingRequest) -> None:
    common.console.print(f"{request.id}: {request.state.value}", markup=False)


@share_app.command("request")
@common.guarded
def request_command(
    requester: Annotated[str, typer.Option("--requester", help="requesting department code")],
    consumer: Annotated[str, typer.Option("--consumer", help="system that will use the data")],
    resource: Annotated[str, typer.Option("--resource", help="catalogue resource code")],
    basis: Annotated[str, typer.Option("--basis", help="使用依据")],
    scenario: Annotated[str, typer.Option("--scenario", help="使用场景")],
    use_until: Annotated[dt.datetime, typer.Option("--until", formats=["%Y-%m-%d"], help="使用时限 (last day)")],
    approved_by: ByOption,
    scope: Annotated[
        list[str] | None, typer.Option("--scope", help="使用范围: systems (default: the consumer)")
    ] = None,
    method: Annotated[DeliveryMethod, typer.Option("--method", help="共享方式")] = (DeliveryMethod.SERVICE),
    request_id: Annotated[str | None, typer.Option("--id", help="request id (default: the next of the year)")] = None,
    on: OnOption = None,
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
    key: KeyOption = None,
    ledger: LedgerOption = None,
) -> None:
    """File a request (Art. 20) as sharing/requests/<id>.yaml beside the inventory."""
    from govcloud.app import sharing_steps

    made, path = sharing_steps.submit(
        _context(inventory, ledger, key),
        requester=requester,
        consumer=consumer,
        resource=resource,
        basis=basis,
        scenario=scenario,
        scope=tuple(scope or ()),
        method=method,
        use_until=use_until.date(),
        approved_by=approved_by,
        on=_day(on),
        request_id=request_id,
    )
    common.console.print(f"{made.id}: {made.state.value} ({path})", markup=False)


class Decision(enum.StrEnum):
    GRANT = "grant"
    REFUSE = "refuse"


@share_app.command("answer")
@common.guarded
def answer_command(
    request_id: RequestArg,
    decision: Annotated[Decision, typer.Argument(help="grant or refuse")],
    approved_by: ByOption,
    reasons: Annotated[str | None, typer.Option("--reasons", help="a refusal's reasons (required)")] = None,
    conditions: Annotated[str | None, typer.Option("--conditions", help="conditions of a 有条件共享 grant")] = None,
    on: OnOption = None,
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
    key: KeyOption = None,
    ledger: LedgerOption = None,
) -> None:
    """Answer a request (Art. 21): grant it, or refuse it with reasons."""
    from govcloud.app import sharing_steps

    context = _context(inventory, ledger, key)
    answered = sharing_steps.answer(
        context,
        request_id,
        granted=decision is Decision.GRANT,
        on=_day(on),
        approved_by=approved_by,
        reasons=reasons,
        conditions=conditions,
    )
    _done(answered)
    late = sharing_steps.answer_lateness(context, answered)
    if late is not None:
        common.err_console.print(
            f"[yellow]warning[/]: {answered.id} answered {late.working_days_late} working day(s) after its deadline "
            f"of {late.due.isoformat()} (Art. 21); recorded, and reported as late by share report"
        )


@share_app.command("extend")
@common.guarded
def extend_command(
    request_id: RequestArg,
    days: Annotated[int, typer.Option("--days", help="working days (at most sharing.max_extension_days)")],
    consented_by: Annotated[str, typer.Option("--consented-by", help="the 主管部门 that consented")],
    reason: Annotated[str, typer.Option("--reason")],
    on: OnOption = None,
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
    key: KeyOption = None,
    ledger: LedgerOption = None,
) -> None:
    """Extend the answer deadline of a 有条件共享 request once (Art. 21)."""
    from govcloud.app import sharing_steps

    _done(
        sharing_steps.extend(
            _context(inventory, ledger, key),
            request_id,
            days=days,
            on=_day(on),
            consented_by=consented_by,
            reason=reason,
        )
    )


@share_app.command("deliver")
@common.guarded
def deliver_command(
    request_id: RequestArg,
    method: Annotated[DeliveryMethod | None, typer.Option("--method", help="as asked by default")] = None,
    on: OnOption = None,
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
    key: KeyOption = None,
    ledger: LedgerOption = None,
) -> None:
    """Record the delivery of a granted request (Art. 22): the exchange opens the consumer's path."""
    from govcloud.app import sharing_steps

    _done(sharing_steps.deliver(_context(inventory, ledger, key), request_id, on=_day(on), method=method))


@share_app.command("suspend")
@common.guarded
def suspend_command(
    request_id: RequestArg,
    reason: Annotated[str, typer.Option("--reason", help="the misuse (Art. 25, 27)")],
    on: OnOption = None,
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
    key: KeyOption = None,
    ledger: LedgerOption = None,
) -> None:
    """Suspend a delivered grant until the misuse is fixed: the exchange closes the path."""
    from govcloud.app import sharing_steps

    _done(sharing_steps.suspend(_context(inventory, ledger, key), request_id, on=_day(on), reason=reason))


@share_app.command("resume")
@common.guarded
def resume_command(
    request_id: RequestArg,
    on: OnOption = None,
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
    key: KeyOption = None,
    ledger: LedgerOption = None,
) -> None:
    """Resume a suspended grant once the misuse is fixed."""
    from govcloud.app import sharing_steps

    _done(sharing_steps.resume(_context(inventory, ledger, key), request_id, on=_day(on)))


@share_app.command("dispute")
@common.guarded
def dispute_command(
    request_id: RequestArg,
    note: Annotated[str, typer.Option("--note", help="what is disputed")],
    on: OnOption = None,
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
    key: KeyOption = None,
    ledger: LedgerOption = None,
) -> None:
    """Take a dispute one step up (Art. 28): 协商 → 本级主管部门 → 共同上级主管部门 → 本级人民政府."""
    from govcloud.app import sharing_steps

    changed = sharing_steps.dispute(_context(inventory, ledger, key), request_id, on=_day(on), note=note)
    common.console.print(f"{changed.id}: dispute at {changed.disputes[-1].level.value}", markup=False)


class ListFormat(enum.StrEnum):
    TABLE = "table"
    TSV = "tsv"


FormatOption = Annotated[
    ListFormat, typer.Option("--format", help="table, or tsv (tab-separated, for scripts and big lists)")
]
RICH_TABLE_ROWS = 200
"""Up to this many rows a rich table; beyond, plain aligned lines (rich lays out 50,000 rows for seconds)."""
LIST_COLUMNS = ("request", "requester", "consumer", "resource", "state", "answer due", "delivery due")
OVERDUE_COLUMNS = ("due", "request", "provider", "requester", "resource", "missing", "working days late")


def _emit(columns: tuple[str, ...], rows: Sequence[tuple[str, ...]], list_format: ListFormat) -> None:
    if list_format is ListFormat.TSV:
        sys.stdout.write("\t".join(columns) + "\n" + "".join("\t".join(row) + "\n" for row in rows))
        return
    if len(rows) <= RICH_TABLE_ROWS:
        table = _table(*columns)
        for row in rows:
            table.add_row(*row)
        common.console.print(table)
        return

    if all(c.isascii() for c in columns) and all("".join(row).isascii() for row in rows):  # the usual case: fast
        widths = [max(map(len, column)) for column in zip(columns, *rows, strict=True)]
        last = len(widths) - 1
        template = "  ".join(f"{{:<{w}}}" if i < last else "{}" for i, w in enumerate(widths))
        sys.stdout.write("\n".join(template.format(*r).rstrip() for r in (columns, *rows)) + "\n")
        return

    def width(cell: str) -> int:
        return len(cell) if cell.isascii() else rich.cells.cell_len(cell)  # CJK cells are two columns wide

    measured = [[width(c) for c in row] for row in (columns, *rows)]
    widths = [max(column) for column in zip(*measured, strict=True)]

    def line(cells: tuple[str, ...], sizes: list[int]) -> str:
        return "  ".join(c + " " * (w - n) for c, n, w in zip(cells, sizes, widths, strict=True)).rstrip()

    sys.stdout.write("\n".join(line(r, n) for r, n in zip((columns, *rows), measured, strict=True)) + "\n")


@share_app.command("list")
@common.guarded
def list_command(
    list_format: FormatOption = ListFormat.TABLE, inventory: common.InventoryOption = common.DEFAULT_INVENTORY
) -> None:
    """Every request with its state and deadlines."""
    rows = [
        (
            request.id,
            request.requester,
            request.consumer,
            request.resource,
            request.state,
            answer_due.isoformat() if answer_due else "",
            delivery_due.isoformat() if delivery_due else "",
        )
        for request, answer_due, delivery_due in sharing_deadlines.listed(inventory, load_inventory=_loader)
    ]
    _emit(LIST_COLUMNS, rows, list_format)


@share_app.command("overdue")
@common.guarded
def overdue_command(
    on: OnOption = None,
    list_format: FormatOption = ListFormat.TABLE,
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
) -> None:
    """Requests whose answer (Art. 21) or delivery (Art. 22) deadline has passed; exit 1 if any."""
    late = sharing_deadlines.overdue(inventory, on=_day(on), load_inventory=_loader)
    if not late:
        common.console.print("[green]ok[/]: no deadline missed")
        return
    rows = [
        (
            item.due.isoformat(),
            item.request,
            item.provider,
            item.requester,
            item.resource,
            item.what,
            str(item.working_days_late),
        )
        for item in late
    ]
    _emit(OVERDUE_COLUMNS, rows, list_format)
    raise typer.Exit(1)


class ReportFormat(enum.StrEnum):
    TABLE = "table"
    MARKDOWN = "markdown"
    JSON = "json"
    HTML = "html"


@share_app.command("report")
@common.guarded
def report_command(
    report_format: Annotated[ReportFormat, typer.Option("--format")] = ReportFormat.TABLE,
    out: Annotated[Path | None, typer.Option("--out", help="write to this file instead of the terminal")] = None,
    on: OnOption = None,
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
) -> None:
    """Requests by state, answers late, median answer time, deliveries, unrequested entries: per department, city."""
    from govcloud.app import sharing_steps

    context = _reading(inventory)
    made = sharing_steps.report(context, on=_day(on))
    findings = sharing_steps.findings(context, on=_day(on))
    if report_format is ReportFormat.TABLE and out is None:
        tables = sharing_steps.report_tables(made, findings)
        table = _table(*tables.columns, title=f"数据共享情况 {made.on.isoformat()}")
        for cells in tables.rows:
            table.add_row(*cells)
        common.console.print(table)
        listed = _table(*tables.finding_columns, title=f"catalogue findings ({len(findings)})")
        for cells in tables.finding_rows:
            listed.add_row(*cells)
        common.console.print(listed)
        return
    # a table written to a file is its Markdown
    text = sharing_steps.report_text(
        made, findings, "markdown" if report_format is ReportFormat.TABLE else report_format.value
    )
    if out is None:
        common.console.print(text, markup=False, end="")
    else:
        sharing_steps.write_text(out, text)
        common.console.print(f"wrote {out}", markup=False)
