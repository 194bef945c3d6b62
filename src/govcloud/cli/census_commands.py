"""``govcloud census ...`` (forms template, import, export, summary) and ``govcloud schema``. Entry point (CLI).

Options and printing only: the use cases are :mod:`govcloud.app.census`, the counts :mod:`govcloud.app.documents`.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import rich.console
import rich.table
import typer

from govcloud.app import census as census_use
from govcloud.census.edges import census_forms
from govcloud.cli import common

census_app = typer.Typer(
    name="census",
    help="Census forms (.xlsx, .xls, .ods, .csv) in and out of the inventory, and census counts.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(census_app, name="census")
    app.command("schema")(write_schema)


class SummaryFormat(enum.StrEnum):
    TABLE = "table"
    JSON = "json"


FormOut = Annotated[Path, typer.Option("--out", "-o", help="the .xlsx file to write")]


@census_app.command("template")
@common.guarded
def template(out: FormOut) -> None:
    """Write a blank census form: sheets 部门, 系统, 信息资源 with drop-downs on enumerated columns."""
    census_use.write_template(out)
    common.console.print(f"wrote the census form template to {out}")


@census_app.command("import")
@common.guarded
def import_forms(
    files: Annotated[
        list[Path],
        typer.Argument(help="returned forms: .xlsx, .xls, .ods, or .csv (UTF-8 or GBK, one sheet each)"),
    ],
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="check and report, write nothing")] = False,
) -> None:
    """Import census forms: all rows of all files, or nothing; replaces the covered departments' records.

    Rows that are not records (合计, 填表说明, signatures, notes under the table) and columns that hold no
    census field (序号, 备注, settings' census_forms.ignored_columns) are skipped, one notice line each.
    """
    try:
        report = census_use.import_forms(files, inventory, dry_run=dry_run)
    except census_use.FormsRejected as exc:
        print_notices(exc.notices, console=common.err_console)
        raise
    print_notices(report.notices, console=common.console)
    common.console.print(render_import_report(report))
    if report.dry_run:
        common.console.print(f"dry run: {report.rows_read} rows checked, nothing written")
    elif report.files_written:
        common.console.print(f"[green]imported[/] {report.rows_read} rows; wrote {len(report.files_written)} file(s)")
    else:
        common.console.print(f"{report.rows_read} rows read; the inventory already says the same, nothing written")
    for change in report.departments:
        if change.zone is not None:
            common.console.print(
                f"new department {change.code}: allocated 专用网络区 {change.zone.code} {change.zone.ranges[0]} "
                "(add its router interface to hosts.yaml)"
            )


def print_notices(notices: Sequence[census_forms.Notice], *, console: rich.console.Console) -> None:
    """One line per notice: what the import skipped or assumed, so nothing is dropped silently."""
    for notice in notices:
        console.print("[dim]notice[/] ", end="")
        console.print(notice.render(), markup=False, soft_wrap=True)


@census_app.command("export")
@common.guarded
def export_forms(
    out: FormOut,
    department: Annotated[
        str | None, typer.Option("--department", "-d", help="only this department (name or code)")
    ] = None,
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
) -> None:
    """Write the inventory (or one department) as a census form; importing it back gives the same inventory."""
    loaded = common.load_inventory(inventory)
    rows = census_use.export_forms(loaded.inventory, out, department=department)
    common.console.print(f"wrote {rows} rows to {out}")


@census_app.command("summary")
@common.guarded
def summary(
    output_format: Annotated[SummaryFormat, typer.Option("--format", "-f", help="table or json")] = SummaryFormat.TABLE,
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
) -> None:
    """Census counts: by department, carrying network, MLPS level, deployment, funding; catalogue by sharing/open."""
    from govcloud.app import documents  # its planning and orchestration imports: only the summary needs them

    loaded = common.load_inventory(inventory, quiet=output_format is SummaryFormat.JSON)
    counts = documents.summarise_census(loaded.inventory)
    if output_format is SummaryFormat.JSON:
        typer.echo(json.dumps(counts, ensure_ascii=False, indent=2))
        return
    for table in render_summary(counts):
        common.console.print(table)


@common.guarded
def write_schema(
    out: Annotated[Path, typer.Option("--out", "-o", help="directory to write the JSON Schemas to")],
) -> None:
    """Write JSON Schemas of the inventory files (and a README on hooking them into VS Code's YAML extension)."""
    written = census_use.write_schemas(out)
    common.console.print(f"wrote {len(written)} files to {out}: " + ", ".join(p.name for p in written))


# ---------------------------------------------------------------------------------------------------------
# The summary: a pure function of the inventory, rendered as tables or JSON

_SECTIONS = (
    ("systems_by_carrying_network", "承载网络 carrying network"),
    ("systems_by_mlps_level", "等保级别 MLPS level"),
    ("systems_by_deployment", "部署方式 deployment"),
    ("systems_by_build_funding", "建设经费来源 build funding"),
    ("systems_by_om_funding", "运维经费来源 O&M funding"),
    ("entries_by_sharing_type", "共享类型 sharing type (catalogue entries)"),
    ("entries_by_open", "是否开放 open to the public (catalogue entries)"),
)


def render_summary(counts: dict[str, Any]) -> list[rich.table.Table]:
    totals = counts["totals"]
    departments = rich.table.Table(
        title=f"{counts['city']} census ({counts['census_date']}): {totals['departments']} departments, "
        f"{totals['systems']} systems, {totals['catalogue_entries']} catalogue entries, "
        f"{totals['data_items']} data items"
    )
    for header in ("code", "department", "systems", "catalogue entries", "data items"):
        departments.add_column(header, justify="right" if header not in {"code", "department"} else "left")
    for row in counts["departments"]:
        departments.add_row(
            row["code"], row["name"], str(row["systems"]), str(row["catalogue_entries"]), str(row["data_items"])
        )
    tables = [departments]
    for key, title in _SECTIONS:
        table = rich.table.Table(title=title)
        table.add_column("value")
        table.add_column("count", justify="right")
        for value, count in counts[key].items():
            table.add_row(value, str(count))
        tables.append(table)
    return tables


_UNCHANGED_SHOWN = 5


def render_import_report(report: census_forms.ImportReport) -> rich.table.Table:
    """One row per department the import covered; unchanged ones only when there are few of them."""
    unchanged = [c for c in report.departments if not c.changed]
    shown = [c for c in report.departments if c.changed or len(unchanged) <= _UNCHANGED_SHOWN]
    caption = f"{len(unchanged)} more department(s) unchanged" if len(shown) < len(report.departments) else None
    table = rich.table.Table(title="census import: changes per department", caption=caption)
    for header in ("department", "status", "systems", "catalogue entries", "details"):
        table.add_column(header, overflow="fold")
    for change in shown:
        status = "new" if change.new else "changed" if change.changed else "unchanged"
        details = [
            *([f"department: {', '.join(change.department_fields)}"] if change.department_fields else []),
            *_detail_lines("system", change.systems_added, change.systems_removed, change.systems_changed),
            *_detail_lines("entry", change.entries_added, change.entries_removed, change.entries_changed),
        ]
        table.add_row(
            f"{change.code} {change.name}",
            status,
            _counts(change.systems_added, change.systems_removed, change.systems_changed),
            _counts(change.entries_added, change.entries_removed, change.entries_changed),
            "\n".join(details),
        )
    return table


def _counts(added: Sequence[str], removed: Sequence[str], changed: Sequence[census_forms.RecordChange]) -> str:
    return f"+{len(added)} -{len(removed)} ~{len(changed)}"


_DETAIL_LIMIT = 8


def _detail_lines(
    kind: str, added: Sequence[str], removed: Sequence[str], changed: Sequence[census_forms.RecordChange]
) -> list[str]:
    lines = []
    if added:
        lines.append(f"{kind} added: {_shorten(added)}")
    if removed:
        lines.append(f"{kind} removed: {_shorten(removed)}")
    lines.extend(f"{kind} {c.code}: {', '.join(c.fields)}" for c in changed[:_DETAIL_LIMIT])
    if len(changed) > _DETAIL_LIMIT:
        lines.append(f"... and {len(changed) - _DETAIL_LIMIT} more changed")
    return lines


def _shorten(codes: Sequence[str]) -> str:
    shown = ", ".join(codes[:_DETAIL_LIMIT])
    return shown + (f" ... (+{len(codes) - _DETAIL_LIMIT})" if len(codes) > _DETAIL_LIMIT else "")
