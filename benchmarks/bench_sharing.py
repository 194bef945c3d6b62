"""Benchmark: data sharing on a province (20,000 systems) with 50,000 generated sharing requests.

Generates the province in memory (``example.generate_city(systems=20000, seed=7)``, what ``govcloud example
--systems 20000 --seed 7`` writes) and 50,000 requests in every state, then measures in one run:

- ``share overdue``: building the working-day calendar (official years + settings) and finding every missed
  answer and delivery deadline of the 50,000 requests; target at most 1 s. Reading the 50,000 request files
  (``load_requests``) is timed beside it, and so is PyYAML's ``CSafeLoader`` on the same files as its floor;
- the flow matrix and the desired state (``desired_state``, flow matrix included) with the active grants of
  the day, side by side with the same computation without grants; target at most 20% slower.

    .venv/bin/python benchmarks/bench_sharing.py [--requests 50000] [--systems 20000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import random
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

from govcloud import collector
from govcloud.cloud.core import desired
from govcloud.core import example, model
from govcloud.core.settings import Settings
from govcloud.network.core import flows
from govcloud.sharing.core import grants, requests
from govcloud.sharing.edges import official_calendar, request_files

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_render import synthetic_progress

ROOT = Path(__file__).resolve().parent
WORK = ROOT / ".work" / "sharing"
TODAY = dt.date(2026, 6, 1)


def generate_requests(inventory: model.Inventory, count: int, seed: int = 11) -> list[requests.SharingRequest]:
    """``count`` requests for shareable entries by other departments' systems, in every state."""
    rng = random.Random(seed)
    settings = Settings().sharing
    cal = official_calendar.working_calendar(settings)
    shareable = [e for e in inventory.catalogue if e.sharing.type is not model.SharingType.NOT_SHARED]
    systems = [s for s in inventory.systems if not s.classified]
    found: list[requests.SharingRequest] = []
    while len(found) < count:
        entry = rng.choice(shareable)
        consumer = rng.choice(systems)
        if consumer.department == entry.provider:
            continue
        submitted = dt.date(2025, 1, 2) + dt.timedelta(days=rng.randrange(500))
        request = requests.SharingRequest(
            id=f"SQ-{submitted.year}-{len(found) + 1:06d}",
            requester=consumer.department,
            consumer=consumer.code,
            resource=entry.code,
            basis="依据",
            scenario="场景",
            scope=(consumer.code,),
            method=requests.DeliveryMethod.SERVICE,
            use_until=submitted + dt.timedelta(days=rng.randrange(60, 700)),
            approved_by="负责人",
            submitted_on=submitted,
        )
        roll = rng.random()
        if roll > 0.2:
            answered = cal.add_workdays(submitted, rng.randrange(1, 14))
            if answered < TODAY:
                request = requests.answer(
                    request, entry=entry, granted=roll > 0.3, on=answered, approved_by="负责人", reasons="理由"
                )
                if request.state is requests.RequestState.GRANTED and roll > 0.4:
                    delivered = cal.add_workdays(answered, rng.randrange(1, 25))
                    if delivered <= min(TODAY, request.use_until):
                        request = requests.deliver(request, on=delivered)
        found.append(request)
    return found


def timed(func: Any, *args: Any, repeat: int = 1, **kwargs: Any) -> tuple[Any, float]:
    best = float("inf")
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        with collector.paused():
            result = func(*args, **kwargs)
        best = min(best, time.perf_counter() - started)
    return result, best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--systems", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    console = Console(highlight=False)
    console.print(f"generating {args.systems} systems and {args.requests} requests ...")
    inventory = example.generate_city(systems=args.systems, seed=7).inventory
    settings = Settings()
    found = generate_requests(inventory, args.requests)
    gc.freeze()

    # share overdue: calendar + deadlines (what the command computes once inventory and requests are read)
    def overdue() -> tuple[grants.Overdue, ...]:
        cal = official_calendar.working_calendar(settings.sharing)
        return grants.overdue(found, inventory, on=TODAY, settings=settings.sharing, calendar=cal)

    late, overdue_seconds = timed(overdue, repeat=args.repeat)

    # the request files: written once, read as the command reads them, beside PyYAML's C parser alone
    inventory_root = WORK / "inventory"
    folder = request_files.requests_dir(inventory_root)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for request in found:
        (folder / f"{request.id}.yaml").write_text(request_files.render_request(request), encoding="utf-8")
    loaded, load_seconds = timed(request_files.load_requests, inventory_root)
    assert len(loaded.requests) == len(found)

    def parse_only() -> int:
        return sum(
            len(yaml.load(p.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)) for p in folder.glob("*.yaml")
        )

    _, floor_seconds = timed(parse_only)

    # grants drive the network: the same computations with and without the day's grants
    progress = synthetic_progress(inventory, settings)
    active = grants.active_grants(found, inventory, on=TODAY)
    # alternate the two so neither pays the other's warm-up; best of each (the machine is shared)
    matrix_without = matrix_with = render_without = render_with = float("inf")
    state: desired.DesiredState | None = None
    for _ in range(args.repeat):
        _, seconds = timed(flows.compute_flow_matrix, inventory, progress)
        matrix_without = min(matrix_without, seconds)
        _, seconds = timed(flows.compute_flow_matrix, inventory, progress, grants=active)
        matrix_with = min(matrix_with, seconds)
    for _ in range(2):
        _, seconds = timed(desired.desired_state, inventory, progress, settings)
        render_without = min(render_without, seconds)
        state, seconds = timed(desired.desired_state, inventory, progress, settings, grants=active)
        render_with = min(render_with, seconds)
    assert state is not None
    listed = next(m for m in state.platform if m["metadata"]["name"] == desired.EXCHANGE_AUTHORISATIONS)

    table = Table(title=f"data sharing: {args.systems} systems, {len(found)} requests, {len(active)} active grants")
    for column in ("measure", "seconds", "peer / target", "verdict"):
        table.add_column(column)
    ok_overdue = overdue_seconds <= 1.0
    table.add_row(
        "share overdue (calendar + deadlines)", f"{overdue_seconds:.3f}", "≤ 1.000", "ok" if ok_overdue else "SLOW"
    )
    table.add_row(
        f"read {len(found)} request files (load_requests)",
        f"{load_seconds:.2f}",
        f"CSafeLoader alone {floor_seconds:.2f} ({load_seconds / floor_seconds:.2f}x)",
        "—",
    )
    matrix_ratio = matrix_with / matrix_without
    render_ratio = render_with / render_without
    table.add_row(
        "flow matrix with grants",
        f"{matrix_with:.2f}",
        f"without {matrix_without:.2f} ({matrix_ratio:.2f}x)",
        "ok" if matrix_ratio <= 1.2 else "SLOW",
    )
    table.add_row(
        "desired state with grants",
        f"{render_with:.2f}",
        f"without {render_without:.2f} ({render_ratio:.2f}x)",
        "ok" if render_ratio <= 1.2 else "SLOW",
    )
    console.print(table)
    console.print(f"{len(late)} overdue requests; the exchange's authorisation list holds {len(listed['data'])} grants")
    if not (ok_overdue and matrix_ratio <= 1.2 and render_ratio <= 1.2):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
