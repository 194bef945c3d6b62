"""Benchmark: the commands a user repeats, as whole ``govcloud`` processes on the province, cold and warm.

Uses the province of ``bench_load.py`` (``benchmarks/.work/province``: 20,000 systems, 200,000 catalogue
entries; generated there on first use) copied into a git repository ``benchmarks/.work/commands/`` (the
inventory cache lives in a working tree). Every command runs as a subprocess from that repository, twice:

- **cold**: ``govcloud --no-cache ...``: every file read and validated, as before the cache existed;
- **warm**: after one untimed run that fills ``.govcloud/cache/`` (and once its background writer is done).

Each row shows wall and CPU seconds (targets are judged on CPU: user + system, the steadier figure on a shared
machine) and the peak RSS of the process (``os.wait4``), the warm figure next to its
cold one and to the parse floor (PyYAML's ``CSafeLoader`` over every inventory file, in a child process,
nothing else). ``plan --write`` is measured on its first write of the province (no plan files yet) and on a second write
with nothing changed; ``census import`` imports one department's exported form back. Targets (warm, and peak
RSS for every run): check 3 s, assess / plan / plan --check / status / report 8 s, plan --write unchanged 5 s,
render 15 s, census import 5 s, first plan --write 40 s; peak RSS 1.5 GB, and 1 GB for the census forms' export (of the
whole province) and import. The script exits 1 when one is missed.

    .venv/bin/python benchmarks/bench_commands.py [--only check,assess] [--skip-cold]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent
GOVCLOUD = Path(sys.executable).with_name("govcloud")
PROVINCE = ROOT / ".work" / "province"
WORK = ROOT / ".work" / "commands"
GB = 1024**3


@dataclasses.dataclass(frozen=True)
class Command:
    name: str
    args: tuple[str, ...]
    target: float | None
    """Warm CPU seconds at most (None: the command has a memory target only)."""
    cold: bool = True
    """Whether a cold run is meaningful (a first write is only ever cold)."""
    rss_limit: float = 1.5
    """Peak RSS in GB at most (issue 12: any command 1.5 GB; the census forms' export and import 1 GB)."""


@dataclasses.dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    rss: int
    code: int


COMMANDS = (
    Command("check", ("check", "-i", "inventory"), 3.0),
    Command("assess", ("assess", "-i", "inventory", "--format", "json"), 8.0),
    Command("plan --write (first)", ("plan", "-i", "inventory", "-p", "migrations_plan", "--write"), 40.0, cold=False),
    Command("plan --write (no change)", ("plan", "-i", "inventory", "-p", "migrations_plan", "--write"), 5.0),
    Command("plan", ("plan", "-i", "inventory", "-p", "migrations_plan", "--format", "json"), 8.0),
    Command("plan --check", ("plan", "-i", "inventory", "-p", "migrations_plan", "--check"), 8.0),
    Command("status", ("status", "-i", "inventory", "-p", "migrations_plan", "--format", "json"), 8.0),
    Command("report", ("report", "-i", "inventory", "-p", "migrations_plan", "--out", "out/report.md"), 8.0),
    Command("render", ("render", "-i", "inventory", "--plans", "migrations_plan", "-o", "out/manifests"), 15.0),
    Command(
        "census import (one department)",
        ("census", "import", "-i", "inventory", "out/department.xlsx"),
        5.0,
        rss_limit=1.0,
    ),
    Command(
        "census export (province)",
        ("census", "export", "-i", "inventory", "-o", "out/province.xlsx"),
        None,
        rss_limit=1.0,
    ),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="comma-separated command names to run (default: all)")
    parser.add_argument(
        "--skip-cold", action="store_true", help="warm runs only, without a filling run first (cache already warm)"
    )
    parser.add_argument("--floor", type=float, help="the parse floor in CPU s, measured before (skips measuring it)")
    parser.add_argument("--reuse", action="store_true", help="keep benchmarks/.work/commands (and its cache)")
    args = parser.parse_args()
    console = Console(highlight=False)
    if not PROVINCE.is_dir():
        subprocess.run([sys.executable, str(ROOT / "bench_load.py"), "--repeat", "1"], check=True)
    if not (args.reuse and (WORK / "inventory").is_dir()):
        prepare(console)
    floor = args.floor if args.floor is not None else parse_floor()
    console.print(f"parse floor: {floor:.1f} s CPU (CSafeLoader over every inventory file)")

    selected = [c for c in COMMANDS if args.only is None or c.name in args.only.split(",")]
    results: dict[str, tuple[Run | None, Run]] = {}
    for command in selected:
        if command.name.startswith("census import"):
            export_department(console)
        cold = None
        if command.cold and not args.skip_cold:
            cold = run(command.args, no_cache=True)
            console.print(f"{command.name}: cold {describe(cold)}")
        if command.cold and (not args.skip_cold or command.name.startswith("census import")):
            run(command.args)  # fills the cache (an import: the first one writes the department file)
            wait_for_cache_writer()
        warm = run(command.args)
        wait_for_cache_writer()
        console.print(f"{command.name}: warm {describe(warm)}")
        results[command.name] = (cold, warm)

    table = Table(title="govcloud commands on the province (20,000 systems, 200,000 entries); shared machine")
    columns = ("command", "cold wall s", "cold CPU s", "warm wall s", "warm CPU s", "warm CPU / floor", "peak RSS GB")
    for column in (*columns, "target s", "RSS limit GB", "ok"):
        table.add_column(column, justify="left" if column == "command" else "right")
    missed = []
    for command in selected:
        cold, warm = results[command.name]
        rss = max(warm.rss, cold.rss if cold else 0)
        # judged on CPU seconds (user + system): on a shared machine wall-clock measures the neighbours too
        ok = (
            (command.target is None or warm.cpu <= command.target)
            and rss <= command.rss_limit * GB
            and warm.code == 0
            and (cold is None or cold.code == 0)
        )
        if not ok:
            missed.append(command.name)
        table.add_row(
            command.name,
            f"{cold.wall:.1f}" if cold else "-",
            f"{cold.cpu:.1f}" if cold else "-",
            f"{warm.wall:.1f}",
            f"{warm.cpu:.1f}",
            f"{warm.cpu / floor:.2f}x",
            f"{rss / GB:.2f}",
            "-" if command.target is None else f"≤ {command.target:g}",
            f"≤ {command.rss_limit:g}",
            "yes" if ok else "[bold red]NO[/]",
        )
    console.print(table)
    if missed:
        console.print(f"[bold red]missed[/]: {', '.join(missed)}")
        return 1
    console.print("ok: every target met")
    return 0


def describe(run: Run) -> str:
    return f"{run.wall:.1f} s ({run.cpu:.1f} s CPU), {run.rss / GB:.2f} GB (exit {run.code})"


def prepare(console: Console) -> None:
    """A git repository holding a copy of the province (hard links: writes replace files, never edit them)."""
    if WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(WORK)], check=True)
    shutil.copytree(PROVINCE, WORK / "inventory", copy_function=os.link, ignore=shutil.ignore_patterns(".*"))
    (WORK / "out").mkdir()
    console.print(f"working copy: {WORK}")


def export_department(console: Console) -> None:
    code = sorted((WORK / "inventory" / "departments").glob("*.yaml"))[7].stem
    completed = subprocess.run(
        [str(GOVCLOUD), "census", "export", "-i", "inventory", "-d", code, "-o", "out/department.xlsx"],
        cwd=WORK,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        console.print(completed.stdout, completed.stderr, markup=False)
        raise SystemExit(f"census export of {code} failed")


def run(args: tuple[str, ...], *, no_cache: bool = False) -> Run:
    argv = [str(GOVCLOUD), *(("--no-cache",) if no_cache else ()), *args]
    env = {**os.environ, "COLUMNS": "120"}
    start = time.perf_counter()
    process = subprocess.Popen(argv, cwd=WORK, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    code = process.returncode
    if code not in (0,):
        sys.stderr.write(errors.decode(errors="replace")[-2000:])
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, code)


def wait_for_cache_writer(timeout: float = 120.0) -> None:
    """Until the forked cache writer of the last run is done (no temporary entries, count stable)."""
    cache = WORK / ".govcloud" / "cache"
    deadline = time.monotonic() + timeout
    previous = -1
    while time.monotonic() < deadline:
        files = list(cache.rglob("*")) if cache.exists() else []
        count = len(files)
        if count == previous and not any(f.name.endswith(".tmp") for f in files):
            return
        previous = count
        time.sleep(1.0)


FLOOR = """
import gc, sys, time
from pathlib import Path
import yaml
root = Path(sys.argv[1])
files = sorted(root.glob("*.yaml")) + sorted((root / "departments").glob("*.yaml"))
gc.disable()
started = time.process_time()
for path in files:
    yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
print(time.process_time() - started)
"""


def parse_floor() -> float:
    """CPU seconds of CSafeLoader over every inventory file, in a child process.

    Not in this one: a child's peak RSS (``os.wait4``) starts at its parent's at the fork, so this process must
    stay small for the commands' figures to be their own.
    """
    done = subprocess.run(
        [sys.executable, "-c", FLOOR, str(WORK / "inventory")], capture_output=True, text=True, check=True
    )
    return float(done.stdout)


if __name__ == "__main__":
    raise SystemExit(main())
