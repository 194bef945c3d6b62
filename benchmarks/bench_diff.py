"""Benchmark: the audit diff on a province, beside the floor of finding which records changed at all.

Generates a province in memory (``example.generate_city(systems=20000, seed=7)``), applies ``--changes``
edits of the kinds auditors care about (sharing loosened, MLPS lowered, a system moved into the Internet
access zone, data items renamed), then measures in one run, best of ``--repeat`` (3), interleaved:

- the floor: compare every record of the two inventories with ``==`` (pydantic equality), keyed by code:
  the least work that finds which records differ;
- govcloud: :func:`govcloud.audit.core.diff.diff_inventories` (the same comparison, then field-level
  differences and the content-aware rules: personal items, consumers, zones, pools, callers).

CPU time is compared (the steadier figure on a shared machine), wall-clock shown beside it. Target: the diff
within ``--target`` (3x) of the floor; the script exits 1 above it. A second table measures the HTML report
of the bundled city with and without the embedded CJK font subset (the subsetting's cost).

    .venv/bin/python benchmarks/bench_diff.py [--systems 20000] [--seed 7] [--changes 200] [--repeat 3] [--target 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from rich.console import Console
from rich.table import Table

from govcloud.audit.core import diff
from govcloud.core import example, model

ROOT = Path(__file__).resolve().parent
T = TypeVar("T")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--systems", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--changes", type=int, default=200, help="edits of each kind")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--target", type=float, default=3.0, help="highest acceptable diff/floor CPU ratio")
    args = parser.parse_args()
    console = Console(highlight=False)

    began = time.perf_counter()
    before = example.generate_city(systems=args.systems, seed=args.seed).inventory
    after = _edited(before, args.changes)
    console.print(
        f"province: {len(before.systems):,} systems, {len(before.catalogue):,} catalogue entries "
        f"(generated and edited in {time.perf_counter() - began:.1f} s)"
    )

    floor_best = diff_best = (float("inf"), float("inf"))
    found = 0
    for _ in range(args.repeat):
        floor_best = min(floor_best, _timed(lambda: _floor(before, after))[0])
        measured, changes = _timed(lambda: diff.diff_inventories(before, after))
        diff_best = min(diff_best, measured)
        found = len(changes)
    ratio = diff_best[0] / floor_best[0]
    table = Table(title=f"diff of a province ({found:,} changes found), best of {args.repeat}")
    table.add_column("run")
    table.add_column("CPU s", justify="right")
    table.add_column("wall s", justify="right")
    table.add_row("floor: records compared with ==", f"{floor_best[0]:.2f}", f"{floor_best[1]:.2f}")
    table.add_row("govcloud diff_inventories", f"{diff_best[0]:.2f}", f"{diff_best[1]:.2f}")
    table.add_row("ratio (CPU)", f"{ratio:.2f}x", "")
    console.print(table)
    _report_font(console)
    if ratio > args.target:
        console.print(f"[red]diff is {ratio:.2f}x the floor, above the target {args.target}x[/]")
        return 1
    return 0


def _edited(inventory: model.Inventory, count: int) -> model.Inventory:
    """``count`` edits of each kind an auditor grades high, spread over the inventory."""
    conditional = [e for e in inventory.catalogue if e.sharing.type is model.SharingType.CONDITIONAL][:count]
    loosened = {
        e.code: e.model_copy(
            update={"sharing": model.Sharing(type=model.SharingType.UNCONDITIONAL, conditions="无条件")}
        )
        for e in conditional
    }
    renamed = {
        e.code: e.model_copy(
            update={"data_items": (*e.data_items[:-1], e.data_items[-1].model_copy(update={"name": "公民身份号码"}))}
        )
        for e in inventory.catalogue[-count:]
        if e.code not in loosened
    }
    graded = [s for s in inventory.systems if s.mlps_level == 3][:count]
    placed = [s for s in inventory.systems if s.cloud is not None and s.cloud.zone != "INET"][count : 2 * count]
    systems = {s.code: s.model_copy(update={"mlps_level": 2}) for s in graded}
    for s in placed:
        assert s.cloud is not None
        systems[s.code] = s.model_copy(update={"cloud": s.cloud.model_copy(update={"zone": "INET"})})
    catalogue = tuple(loosened.get(e.code) or renamed.get(e.code) or e for e in inventory.catalogue)
    return inventory.model_copy(
        update={"systems": tuple(systems.get(s.code, s) for s in inventory.systems), "catalogue": catalogue}
    )


def _floor(before: model.Inventory, after: model.Inventory) -> int:
    differ = 0
    for old, new in ((before.system_by_code, after.system_by_code), (before.entry_by_code, after.entry_by_code)):
        differ += sum(1 for code, record in old.items() if new.get(code) != record)
    return differ


def _timed(work: Callable[[], T]) -> tuple[tuple[float, float], T]:
    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    result = work()
    return (time.process_time() - cpu, time.perf_counter() - wall), result


def _report_font(console: Console) -> None:
    from govcloud.cli import plan_commands
    from govcloud.core.settings import Settings
    from govcloud.edges import inventory_files
    from govcloud.reporting.edges import fonts, render

    font = fonts.find_cjk_font(None)
    if font is None:
        console.print("[yellow]no CJK font on this machine: the font table is skipped[/]")
        return
    inventory = inventory_files.load_inventory(ROOT.parent / "inventory").inventory
    day = dt.date(2027, 3, 1)
    planned = plan_commands.compute(inventory, Settings(), today=day)
    report = plan_commands.build_report(planned, ROOT.parent / "migrations_plan", today=day)
    plain = min(_timed(lambda: render.render_html(report))[0] for _ in range(3))
    embedded, page = min((_timed(lambda: render.render_html(report, font=font)) for _ in range(3)), key=lambda r: r[0])
    table = Table(title=f"HTML report of the bundled city ({len(report.departments)} departments), best of 3")
    table.add_column("run")
    table.add_column("CPU s", justify="right")
    table.add_column("wall s", justify="right")
    table.add_column("bytes", justify="right")
    table.add_row("system fonts only", f"{plain[0]:.2f}", f"{plain[1]:.2f}", f"{len(render.render_html(report)):,}")
    table.add_row("with the embedded subset", f"{embedded[0]:.2f}", f"{embedded[1]:.2f}", f"{len(page):,}")
    console.print(table)


if __name__ == "__main__":
    raise SystemExit(main())
