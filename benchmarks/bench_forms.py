"""Benchmark: reading a large returned census form in each format, against the raw reader of that format.

Builds (once) a 系统 sheet of ``--rows`` systems (default 5,000, from the example city of that size, seed 7)
shaped as departments return it: a title row, 序号 and 备注 columns, each department's name merged down its
systems' rows, 合计 and signature rows under the data; writes it as .xlsx (openpyxl), .xls (xlwt), .ods
(odfpy) and GBK .csv in ``benchmarks/.work/forms-<rows>/``. Then, per format, best of ``--repeat`` (3):

- floor: the format's library reading every cell and nothing else (openpyxl read-only ``iter_rows(values_only
  =True)``; xlrd ``open_workbook(formatting_info=True)`` and ``row_values``, formatting_info being what merged
  cells need; odfpy ``load`` and every cell's text; ``csv.reader`` over the decoded text);
- read_form: :func:`govcloud.census.edges.census_forms.read_form`: the same reading plus merged blocks,
  header, notes, typed values;
- + normalise: read_form and every cell of every record normalised (``parse_rows``), what an import does
  before it builds records;
- for .xlsx, two more: the merged-range scan alone (the sheet part inflated again and its ``<mergeCells>``
  read), and openpyxl's normal mode, the one that exposes ``merged_cells``, as the peer of that scan.

Peak memory comes from one more run of each under tracemalloc. Times are CPU seconds (steadier than
wall-clock on a shared machine; wall-clock beside them). Target, per
format: read_form within ``--target`` (default 1.5) of the floor, or, where the floor is C-fast (csv, xlrd)
and a ratio says little, within ``--budget`` CPU seconds (default 1.0: an import stays interactive); the
script exits 1 when a format meets neither.

    .venv/bin/python benchmarks/bench_forms.py [--rows 5000] [--repeat 3] [--target 1.5] [--budget 1] [--work DIR]
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import itertools
import json
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import odf.opendocument
import odf.table
import openpyxl
import xlrd
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from govcloud.census.edges import census_forms as cf
from govcloud.core import example

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent / "tests"))
import form_writers  # noqa: E402 - the tests' writers of .xls and .ods, kept in one place

PARAMS_FILE = ".bench-forms.json"
FORMATS = ("xlsx", "xls", "ods", "csv")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=5_000, help="systems on the form")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best of each is kept")
    parser.add_argument("--target", type=float, default=1.5, help="highest acceptable read_form/floor ratio")
    parser.add_argument("--budget", type=float, default=1.0, help="CPU seconds read_form may take whatever the ratio")
    parser.add_argument("--work", type=Path, help="where the forms are written (default benchmarks/.work/...)")
    args = parser.parse_args()
    console = Console(highlight=False)
    work: Path = args.work or ROOT / ".work" / f"forms-{args.rows}"
    paths = ensure_forms(work, rows=args.rows, console=console)

    table = Table(title=f"reading a returned 系统 form of {args.rows:,} rows: CPU s (wall s), best of {args.repeat}")
    for header in ("format", "what", "CPU s", "wall s", "× floor", "peak MiB"):
        table.add_column(header, justify="left" if header in {"format", "what"} else "right")
    failed = False
    gc.disable()  # as in the other benchmarks: the collector's cost on millions of cells is noise here
    for fmt in FORMATS:
        path = paths[fmt]
        measured: list[tuple[str, Callable[[], object]]] = [
            ("floor: " + FLOOR_NAMES[fmt], lambda path=path, fmt=fmt: FLOORS[fmt](path)),  # type: ignore[misc]
            ("read_form", lambda path=path: cf.read_form(path)),  # type: ignore[misc]
            ("read_form + normalise", lambda path=path: normalise(path)),  # type: ignore[misc]
        ]
        if fmt == "xlsx":
            measured += [
                ("merged-range scan alone", lambda path=path: merge_scan(path)),  # type: ignore[misc]
                ("peer: openpyxl normal mode", lambda path=path: full_mode(path)),  # type: ignore[misc]
            ]
        best = {name: (float("inf"), float("inf")) for name, _ in measured}
        for _ in range(args.repeat):
            for name, run in measured:  # interleaved, so a busy spell hits every figure alike
                cpu, wall = timed(run)
                best[name] = min(best[name], (cpu, wall))
        floor_cpu = best[measured[0][0]][0]
        for name, run in measured:
            cpu, wall = best[name]
            peak = peak_memory(run)
            ratio = cpu / floor_cpu
            mark = ""
            if name == "read_form" and ratio > args.target and cpu > args.budget:
                failed, mark = True, " [red]above target[/]"
            table.add_row(fmt, name, f"{cpu:.2f}", f"{wall:.2f}", f"{ratio:.2f}{mark}", f"{peak:.0f}")
        table.add_section()
    gc.enable()
    console.print(table)
    console.print(
        f"target: read_form within {args.target:g}x of the floor, or at most {args.budget:g} CPU s, in every format"
    )
    return 1 if failed else 0


def peak_memory(run: Callable[[], object]) -> float:
    """Peak Python allocations of one more run, in MiB (tracemalloc: slow, so never in a timed run)."""
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def timed(run: Callable[[], object]) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    run()
    return time.process_time() - cpu, time.perf_counter() - wall


# ---------------------------------------------------------------------------------------------------------
# the forms


def ensure_forms(work: Path, *, rows: int, console: Console) -> dict[str, Path]:
    paths = {fmt: work / f"系统.{fmt}" for fmt in FORMATS}
    params = {"rows": rows, "writers": _source_digest()}
    marker = work / PARAMS_FILE
    if all(p.exists() for p in paths.values()) and marker.exists() and json.loads(marker.read_text()) == params:
        return paths
    work.mkdir(parents=True, exist_ok=True)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"generating a city of {rows:,} systems", total=len(FORMATS) + 1)
        grid, merges = returned_systems_sheet(rows, work)
        progress.advance(task)
        for fmt in FORMATS:
            progress.update(task, description=f"writing {paths[fmt].name}")
            if fmt == "csv":
                filled = [list(r) for r in grid]
                for r0, c0, r1, _ in merges:
                    for r in range(r0 + 1, r1 + 1):
                        filled[r][c0] = filled[r0][c0]
                form_writers.write_csv(paths[fmt], filled, encoding="gbk")
            else:
                form_writers.WRITERS[fmt](paths[fmt], {"系统": grid}, {"系统": merges})
            progress.advance(task)
    marker.write_text(json.dumps(params))
    return paths


def _source_digest() -> str:
    import hashlib

    sources = [ROOT / "bench_forms.py", ROOT.parent / "tests" / "form_writers.py"]
    return hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()[:16]


def returned_systems_sheet(rows: int, work: Path) -> tuple[list[list[object]], list[tuple[int, int, int, int]]]:
    """The city's 系统 sheet as a department returns it: title, 序号/备注, departments merged down, notes."""
    city = example.generate_city(systems=rows, seed=7).inventory
    exported = work / "export.xlsx"
    cf.export_forms(city, exported)
    workbook = openpyxl.load_workbook(exported, read_only=True)
    sheet = list(workbook["系统"].iter_rows(values_only=True))
    workbook.close()
    exported.unlink()
    header, records = list(sheet[0]), sorted(sheet[1:], key=lambda r: (str(r[2]), str(r[0])))
    department = header.index("所属部门") + 1
    grid: list[list[object]] = [["临江市政务信息系统普查表（系统）"], ["序号", *header, "备注"]]
    merges: list[tuple[int, int, int, int]] = [(0, 0, 0, len(header) + 1)]
    for _, group in itertools.groupby(enumerate(records), key=lambda item: item[1][2]):
        members = list(group)
        first = len(grid)
        for offset, (number, record) in enumerate(members):
            row: list[object] = [number + 1, *record, None]
            if offset:
                row[department] = None
            grid.append(row)
        if len(members) > 1:
            merges.append((first, department, first + len(members) - 1, department))
    grid += [["合计", f"{len(records)}个系统"], ["填表人：张三", None, "审核人：李四", None, "日期：2026年11月30日"]]
    return grid, merges


# ---------------------------------------------------------------------------------------------------------
# what is measured


def floor_xlsx(path: Path) -> int:
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    cells = sum(len(row) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True))
    workbook.close()
    return cells


def floor_xls(path: Path) -> int:
    book = xlrd.open_workbook(str(path), formatting_info=True)
    return sum(len(sheet.row_values(r)) for sheet in book.sheets() for r in range(sheet.nrows))


def floor_ods(path: Path) -> int:
    document = odf.opendocument.load(str(path))
    return sum(
        len(str(cell))
        for table in document.spreadsheet.getElementsByType(odf.table.Table)
        for cell in table.getElementsByType(odf.table.TableCell)
    )


def floor_csv(path: Path) -> int:
    text = path.read_bytes().decode("gbk")
    return sum(len(row) for row in csv.reader(io.StringIO(text, newline="")))


FLOORS: dict[str, Callable[[Path], int]] = {"xlsx": floor_xlsx, "xls": floor_xls, "ods": floor_ods, "csv": floor_csv}
FLOOR_NAMES = {
    "xlsx": "openpyxl read-only",
    "xls": "xlrd (formatting_info)",
    "ods": "odfpy load + cell text",
    "csv": "csv.reader",
}


def normalise(path: Path) -> int:
    problems: list[Any] = []
    return sum(len(cf.parse_rows(sheet, problems)) for sheet in cf.read_form(path))


def merge_scan(path: Path) -> int:
    workbook = openpyxl.load_workbook(path, read_only=True)
    found = sum(len(cf._xlsx_merged_ranges(workbook, sheet)) for sheet in workbook.worksheets)
    workbook.close()
    return found


def full_mode(path: Path) -> int:
    workbook = openpyxl.load_workbook(path, data_only=True)
    return sum(len(sheet.merged_cells.ranges) for sheet in workbook.worksheets)


if __name__ == "__main__":
    sys.exit(main())
