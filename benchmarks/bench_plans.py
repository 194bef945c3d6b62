"""Benchmark: reading a province's plan files strictly (``plan --check``) against the bare YAML parse.

Every provisioning entry point (``govcloud render``, the Pulumi programs, the policy pack, the inventory
plugin) now reads the plan files through one strict read that runs the whole plan check. This measures, on
the province (``benchmarks/.work/province``, 20,000 systems, and its ~19,800 plan files written by ``govcloud
plan --write`` into ``benchmarks/.work/province-plans``, generated on first use), side by side in one run:

- the floor: read every plan file and parse it with PyYAML's C parser (``CSafeLoader``), nothing else;
- the lenient read (what provisioning read before: parse + statuses and callers);
- ``plan --check`` (``check_plans``: parse + every rule + the baseline);
- the strict read (``load_progress``: the same check, then the progress), i.e. what ``render`` pays now;
- re-planning the waves without a freeze and with wave 1 frozen (the plan is computed twice then).

The ratios are taken on CPU time (``time.process_time``), steadier than wall-clock on a shared machine. Target:
the strict read within ``--target`` (default 1.5x) of the floor; exit 1 above it.

    .venv/bin/python benchmarks/bench_plans.py [--repeat 3] [--target 1.5]
"""

from __future__ import annotations

import argparse
import gc
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import yaml
from rich.console import Console
from rich.table import Table

from govcloud import collector
from govcloud.assessment.core import assess
from govcloud.core.settings import Settings
from govcloud.edges import inventory_files
from govcloud.planning.core import baseline as baselines
from govcloud.planning.core import waves
from govcloud.planning.edges import plan_progress

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script or imported: find bench_load
import bench_load  # the shared province generator of the benchmarks

ROOT = Path(__file__).resolve().parent
PROVINCE = ROOT / ".work" / "province"
PLANS = ROOT / ".work" / "province-plans"
T = TypeVar("T")


def measure(func: Callable[[], T]) -> tuple[float, float, T]:
    """(wall s, CPU s, result) of one call, with the cyclic collector paused as the CLI runs it."""
    wall, cpu = time.perf_counter(), time.process_time()
    with collector.paused():
        result = func()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def parse_only(files: list[Path]) -> int:
    for path in files:
        yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    return len(files)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best of each is kept")
    parser.add_argument("--target", type=float, default=1.5, help="highest acceptable strict-read/floor ratio")
    args = parser.parse_args()
    console = Console(highlight=False)

    bench_load.ensure_inventory(PROVINCE, systems=20_000, seed=7, console=console)
    if not any(PLANS.glob("*.yaml")):
        console.print(f"writing the province's plans into {PLANS} with govcloud plan --write (minutes) ...")
        subprocess.run(
            [str(bench_load.GOVCLOUD), "plan", "--write", "-i", str(PROVINCE), "-p", str(PLANS), "--format", "json"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    inventory = inventory_files.load_inventory(PROVINCE).inventory
    gc.freeze()  # the loaded inventory is long-lived, as in the CLI's process
    files = plan_progress.plan_paths(PLANS)
    megabytes = sum(p.stat().st_size for p in files) / 1e6

    steps: dict[str, Callable[[], object]] = {
        "floor: CSafeLoader parse of every plan file": lambda: parse_only(files),
        "lenient read (parse + statuses; the old provisioning read)": lambda: len(
            plan_progress.load_progress_leniently(PLANS)
        ),
        "plan --check (check_plans: parse + every rule + baseline)": lambda: len(
            plan_progress.check_plans(PLANS, inventory)
        ),
        "strict read (load_progress: what render and Pulumi pay)": lambda: len(
            plan_progress.load_progress(PLANS, inventory=inventory)
        ),
    }
    best: dict[str, tuple[float, float]] = {}
    for round_ in range(1, args.repeat + 1):
        for name, step in steps.items():
            wall, cpu, _ = measure(step)
            old = best.get(name, (float("inf"), float("inf")))
            best[name] = (min(old[0], wall), min(old[1], cpu))
        console.print(f"round {round_}: " + ", ".join(f"{cpu:.2f}" for _, cpu in best.values()) + " s CPU (best)")

    settings = Settings()
    assessment = assess.assess_inventory(inventory, settings, today=None)
    tracking = plan_progress.load_progress_leniently(PLANS)
    first = min((t.wave for t in tracking.values() if t.wave is not None), default=1)
    detected = baselines.detect_started_waves(
        {c: t for c, t in tracking.items() if t.wave == first}, today=settings.waves.start, settings=settings.waves
    )
    freeze = baselines.freeze_of(None, detected)
    free_wall, free_cpu, _ = measure(lambda: waves.plan_waves(inventory, assessment, settings.waves))
    frozen_wall, frozen_cpu, frozen = measure(
        lambda: waves.plan_waves(inventory, assessment, settings.waves, freeze=freeze)
    )

    floor_cpu = best["floor: CSafeLoader parse of every plan file"][1]
    table = Table(title=f"Plan files of the province: {len(files)} files ({megabytes:.0f} MB); best of {args.repeat}")
    for column in ("what", "CPU s", "wall s", "vs floor (CPU)"):
        table.add_column(column, justify="left" if column == "what" else "right")
    for name, (wall, cpu) in best.items():
        table.add_row(name, f"{cpu:.2f}", f"{wall:.2f}", f"{cpu / floor_cpu:.2f}x")
    table.add_row("target: strict read", "", "", f"≤ {args.target:.2f}x")
    console.print(table)
    lenient = best["lenient read (parse + statuses; the old provisioning read)"][1]
    strict = best["strict read (load_progress: what render and Pulumi pay)"][1]
    console.print(f"the strict read costs render {strict - lenient:+.2f} s CPU over the lenient read it replaced")

    waves_table = Table(title="Re-planning the waves (plan --write computes the plan twice when waves are frozen)")
    for column in ("what", "CPU s", "wall s"):
        waves_table.add_column(column, justify="left" if column == "what" else "right")
    waves_table.add_row("plan_waves, nothing frozen", f"{free_cpu:.2f}", f"{free_wall:.2f}")
    waves_table.add_row(
        f"plan_waves, wave {first} frozen ({len(freeze.systems)} systems; {len(frozen.held_back)} held back)",
        f"{frozen_cpu:.2f}",
        f"{frozen_wall:.2f}",
    )
    console.print(waves_table)

    ratio = strict / floor_cpu
    if ratio > args.target:
        console.print(f"[bold red]FAIL[/]: the strict read is {ratio:.2f}x the floor, above {args.target:.2f}x")
        return 1
    console.print(f"[green]ok[/]: the strict read is {ratio:.2f}x the floor, within {args.target:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
