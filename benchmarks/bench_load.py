"""Benchmark: loading a province-sized inventory (parse + validate + cross-checks) against the YAML parsing floor.

Generates (once) a province with ``govcloud example --systems 20000 --seed 7`` (20,000 systems, 200,000
catalogue entries, 2,000 department files) in ``benchmarks/.work/province``, reused while the parameters and
the generator's source are unchanged, then measures in one run, best of ``--repeat`` (3), interleaved:

- the floor: read every file and parse it with PyYAML's ``CSafeLoader``, nothing else;
- govcloud: :func:`govcloud.edges.inventory_files.load_inventory` (parse, pydantic validation, every
  cross-record check, and the Inventory built from it).

Both run with the cyclic garbage collector paused, as ``load_inventory`` does itself (with the collector on,
the floor alone is 3-4x slower, which would flatter the ratio). The ratio is taken on CPU time, the steadier
figure on a shared machine; wall-clock is shown beside it. Target: govcloud within 2x of the floor; the script
exits 1 when the ratio is above it.

    .venv/bin/python benchmarks/bench_load.py [--systems 20000] [--seed 7] [--work DIR] [--repeat 3] [--target 2]
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import yaml
from rich.console import Console
from rich.table import Table

from govcloud.core import example
from govcloud.edges import inventory_files

ROOT = Path(__file__).resolve().parent
GOVCLOUD = Path(sys.executable).with_name("govcloud")
PARAMS_FILE = ".bench-load.json"

T = TypeVar("T")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--systems", type=int, default=20_000, help="systems in the generated inventory")
    parser.add_argument("--seed", type=int, default=7, help="seed of the generated inventory")
    parser.add_argument("--work", type=Path, help="where the inventory is generated (default benchmarks/.work/...)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best of each is kept")
    parser.add_argument("--target", type=float, default=2.0, help="highest acceptable govcloud/floor ratio")
    args = parser.parse_args()
    console = Console(highlight=False)
    work: Path = args.work or ROOT / ".work" / (
        "province" if (args.systems, args.seed) == (20_000, 7) else f"example-{args.systems}-{args.seed}"
    )

    ensure_inventory(work, systems=args.systems, seed=args.seed, console=console)
    files = sorted(work.glob("*.yaml")) + sorted((work / "departments").glob("*.yaml"))
    megabytes = sum(p.stat().st_size for p in files) / 1e6

    best: dict[str, tuple[float, float]] = {}
    sizes = ""
    for round_ in range(1, args.repeat + 1):
        floor = measure(lambda: parse_only(files))
        govcloud = measure(lambda: _sizes(inventory_files.load_inventory(work)))
        sizes = govcloud[2]
        for name, (wall, cpu, _) in (("floor", floor), ("govcloud", govcloud)):
            previous = best.get(name, (float("inf"), float("inf")))
            best[name] = (min(previous[0], wall), min(previous[1], cpu))
        console.print(
            f"round {round_}: floor {floor[1]:.2f} s CPU ({floor[0]:.2f} s wall), "
            f"govcloud {govcloud[1]:.2f} s CPU ({govcloud[0]:.2f} s wall)"
        )
    ratio = best["govcloud"][1] / best["floor"][1]

    table = Table(title=(f"Loading {len(files)} files ({megabytes:.0f} MB): {sizes}; best of {args.repeat}"))
    table.add_column("what")
    table.add_column("CPU s", justify="right")
    table.add_column("wall s", justify="right")
    table.add_column("vs floor (CPU)", justify="right")
    table.add_row("floor: CSafeLoader parse of every file, nothing else", *_cells(best["floor"]), "1.00x")
    table.add_row(
        "govcloud load_inventory: parse + validate + cross-checks", *_cells(best["govcloud"]), f"{ratio:.2f}x"
    )
    table.add_row("target", "", "", f"≤ {args.target:.2f}x")
    console.print(table)
    if ratio > args.target:
        console.print(f"[bold red]FAIL[/]: {ratio:.2f}x the floor, above the {args.target:.2f}x target")
        return 1
    console.print(f"[green]ok[/]: {ratio:.2f}x the floor, within the {args.target:.2f}x target")
    return 0


def ensure_inventory(work: Path, *, systems: int, seed: int, console: Console) -> None:
    """Generate the inventory with ``govcloud example`` unless ``work`` holds one made with the same parameters."""
    params = {
        "systems": systems,
        "seed": seed,
        "generator": hashlib.sha256(Path(example.__file__).read_bytes()).hexdigest(),
    }
    marker = work / PARAMS_FILE
    if marker.is_file() and json.loads(marker.read_text(encoding="utf-8")) == params:
        console.print(f"reusing {work} ({systems} systems, seed {seed})")
        return
    console.print(f"generating {work} with govcloud example ({systems} systems, seed {seed}); takes minutes ...")
    started = time.perf_counter()
    marker.unlink(missing_ok=True)
    subprocess.run(
        [str(GOVCLOUD), "example", "--systems", str(systems), "--seed", str(seed), "--out", str(work)], check=True
    )
    marker.write_text(json.dumps(params), encoding="utf-8")
    console.print(f"generated in {time.perf_counter() - started:.0f} s")


def parse_only(files: list[Path]) -> int:
    """The floor: read and parse every file with the C loader; the data is dropped file by file."""
    count = 0
    for path in files:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        count += len(data)
    return count


def measure(func: Callable[[], T]) -> tuple[float, float, T]:
    """Wall and CPU seconds of one call, with the cyclic collector paused (and a full collection before)."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        result = func()
        return time.perf_counter() - wall, time.process_time() - cpu, result
    finally:
        if was_enabled:
            gc.enable()


def _sizes(loaded: inventory_files.LoadedInventory) -> str:
    inventory = loaded.inventory
    return (
        f"{len(inventory.departments)} departments, {len(inventory.systems)} systems, "
        f"{len(inventory.catalogue)} catalogue entries"
    )


def _cells(times: tuple[float, float]) -> tuple[str, str]:
    wall, cpu = times
    return f"{cpu:.2f}", f"{wall:.2f}"


if __name__ == "__main__":
    sys.exit(main())
