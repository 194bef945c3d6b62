"""Writing census forms the way office programs save them: .xlsx, .xls (xlwt), .ods (odfpy) and CSV.

Used by the tests and by ``benchmarks/bench_forms.py``. A form is a mapping of sheet names to rows of
values, and optionally the merged blocks of each sheet as (first row, first column, last row, last column),
0-based and inclusive; the value of a block is the value of its top-left cell, the other cells of the block
are written empty (as every office program stores them). CSV has no merged cells, and one sheet per file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

import openpyxl
import xlwt
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import CoveredTableCell, Table, TableCell, TableRow
from odf.text import P

Rows = Sequence[Sequence[object]]
Merges = Mapping[str, Sequence[tuple[int, int, int, int]]]


def write_xlsx(path: Path, sheets: Mapping[str, Rows], merges: Merges | None = None) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
        for r0, c0, r1, c1 in (merges or {}).get(name, ()):
            sheet.merge_cells(start_row=r0 + 1, start_column=c0 + 1, end_row=r1 + 1, end_column=c1 + 1)
    workbook.save(path)
    return path


_XLS_DATE = xlwt.easyxf(num_format_str="YYYY-MM-DD")
_XLS_PERCENT = xlwt.easyxf(num_format_str="0.0%")


class Percent(float):
    """A number written as a percent-formatted cell (0.355 shown as 35.5%)."""


def write_xls(path: Path, sheets: Mapping[str, Rows], merges: Merges | None = None) -> Path:
    workbook = xlwt.Workbook(encoding="utf-8")
    for name, rows in sheets.items():
        sheet = workbook.add_sheet(name)
        blocks = {(r0, c0): (r1, c1) for r0, c0, r1, c1 in (merges or {}).get(name, ())}
        covered = {
            (r, c)
            for (r0, c0), (r1, c1) in blocks.items()
            for r in range(r0, r1 + 1)
            for c in range(c0, c1 + 1)
            if (r, c) != (r0, c0)
        }
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if (r, c) in covered:
                    continue
                args = _xls_args(value)
                if (r, c) in blocks:
                    r1, c1 = blocks[(r, c)]
                    sheet.write_merge(r, r1, c, c1, *args)
                elif value is not None:
                    sheet.write(r, c, *args)
    workbook.save(str(path))
    return path


def _xls_args(value: object) -> tuple[object, ...]:
    if isinstance(value, Percent):
        return (float(value), _XLS_PERCENT)
    if isinstance(value, dt.datetime):
        return (value, _XLS_DATE) if value.time() == dt.time() else (value,)
    if isinstance(value, dt.date):
        return (dt.datetime.combine(value, dt.time()), _XLS_DATE)
    return ("" if value is None else value,)


def write_ods(path: Path, sheets: Mapping[str, Rows], merges: Merges | None = None) -> Path:
    document = OpenDocumentSpreadsheet()
    for name, rows in sheets.items():
        table = Table(name=name)
        blocks = {(r0, c0): (r1 - r0 + 1, c1 - c0 + 1) for r0, c0, r1, c1 in (merges or {}).get(name, ())}
        covered = {
            (r, c)
            for (r0, c0), (down, across) in blocks.items()
            for r in range(r0, r0 + down)
            for c in range(c0, c0 + across)
            if (r, c) != (r0, c0)
        }
        width = max((len(r) for r in rows), default=0)
        for r, row in enumerate(rows):
            element = TableRow()
            for c in range(width):
                if (r, c) in covered:
                    element.addElement(CoveredTableCell())
                    continue
                value = row[c] if c < len(row) else None
                element.addElement(_ods_cell(value, blocks.get((r, c))))
            table.addElement(element)
        # what LibreOffice writes under the last row: the rest of the sheet, blank, as one repeated row
        tail = TableRow(numberrowsrepeated=1_048_000)
        tail.addElement(TableCell(numbercolumnsrepeated=1024))
        table.addElement(tail)
        document.spreadsheet.addElement(table)
    document.save(str(path))
    return path


def _ods_cell(value: object, span: tuple[int, int] | None) -> TableCell:
    attributes: dict[str, object] = {}
    if span is not None:
        attributes.update(numberrowsspanned=span[0], numbercolumnsspanned=span[1])
    if value is None:
        return TableCell(**attributes)
    if isinstance(value, bool):
        cell = TableCell(valuetype="boolean", booleanvalue="true" if value else "false", **attributes)
        text = "TRUE" if value else "FALSE"
    elif isinstance(value, Percent):
        cell = TableCell(valuetype="percentage", value=repr(float(value)), **attributes)
        text = f"{float(value) * 100:.1f}%"
    elif isinstance(value, int | float):
        cell = TableCell(valuetype="float", value=repr(value), **attributes)
        text = str(value)
    elif isinstance(value, dt.datetime):
        if value.time() == dt.time():
            cell = TableCell(valuetype="date", datevalue=value.date().isoformat(), **attributes)
        else:
            cell = TableCell(valuetype="date", datevalue=value.isoformat(), **attributes)
        text = value.date().isoformat()
    elif isinstance(value, dt.date):
        cell = TableCell(valuetype="date", datevalue=value.isoformat(), **attributes)
        text = value.isoformat()
    else:
        cell = TableCell(valuetype="string", **attributes)
        text = str(value)
    for line in text.split("\n"):
        cell.addElement(P(text=line))
    return cell


def write_csv(path: Path, rows: Rows, encoding: str = "utf-8") -> Path:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows([["" if v is None else _csv_text(v) for v in row] for row in rows])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def _csv_text(value: object) -> str:
    if isinstance(value, Percent):
        return f"{float(value) * 100:g}%"
    if isinstance(value, dt.datetime):
        return f"{value.year}/{value.month}/{value.day}"  # as a CSV export shows a date
    if isinstance(value, dt.date):
        return f"{value.year}/{value.month}/{value.day}"
    return str(value)


WRITERS = {"xlsx": write_xlsx, "xls": write_xls, "ods": write_ods}
