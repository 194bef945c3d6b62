"""Benchmark: the intranet's census checks and flows on a province, beside the naive way and the whole check.

Loads the province ``bench_load.py`` generates (``benchmarks/.work/province``, ``govcloud example --systems
20000 --seed 7``: 2,000 departments, so about 2,000 extranet and 2,000 intranet zones, 2,500 业务专网), or builds
it in memory when that directory is absent or ``--systems``/``--seed`` differ, and measures, in one run, best of
``--repeat``:

- ``check_intranet`` + ``check_isolation`` + ``check_private_networks`` (the rules of the two networks), next
  to the whole ``check_inventory`` they are part of (target: at most 1 s on a province, so ``govcloud check``
  stays interactive; the script exits 1 above it);
- their range-overlap sweep, next to its peer: comparing every intranet range with every extranet range and
  every 业务专网 range with every zone (the obvious code, same findings);
- ``compute_flow_matrix`` + ``build_firewalls`` with every classified system's intranet stage reached, next
  to its peer: as many extranet systems at their network stage (the intranet's routers cost what the
  extranet's do).

    .venv/bin/python benchmarks/bench_isolation.py [--systems 20000] [--seed 7] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from govcloud import collector
from govcloud.census.core import checks
from govcloud.core import example
from govcloud.edges import inventory_files
from govcloud.network.core import firewall, flows
from govcloud.planning.core.stages import Progress, Stage


def _best(repeat: int, work: Callable[[], Any]) -> tuple[float, Any]:
    best = float("inf")
    result: Any = None
    for _ in range(repeat):
        started = time.process_time()
        result = work()
        best = min(best, time.process_time() - started)
    return best, result


def _naive_overlaps(parts: checks.InventoryParts) -> int:
    """The peer: every intranet range against every extranet range, every 业务专网 range against every zone."""
    intranet = parts.network.intranet
    inside = [n for z in (intranet.zones if intranet else ()) for n in z.ranges]
    outside = [n for z in parts.network.zones for n in z.ranges]
    zones = inside + outside
    found = sum(1 for a in inside for b in outside if a.overlaps(b))
    found += sum(1 for p in parts.private_networks for a in p.ranges for b in zones if a.overlaps(b))
    return found


def _sweep_overlaps(parts: checks.InventoryParts) -> int:
    intranet = parts.network.intranet
    inside = [(n, 0) for z in (intranet.zones if intranet else ()) for n in z.ranges]
    outside = [(n, 0) for z in parts.network.zones for n in z.ranges]
    private = [(n, 0) for p in parts.private_networks for n in p.ranges]
    return sum(1 for _ in checks._overlapping(inside, outside)) + sum(
        1 for _ in checks._overlapping(private, inside + outside)
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--systems", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--target", type=float, default=1.0, help="seconds the new rules may take")
    args = parser.parse_args()

    province = Path(__file__).resolve().parent / ".work" / "province"
    if (args.systems, args.seed) == (20000, 7) and (province / "network.yaml").exists():
        print(f"loading {province} (written by bench_load.py) ...", flush=True)
        inventory = inventory_files.load_inventory(province).inventory
    else:
        print(f"generating the example with {args.systems} systems (seed {args.seed}) in memory ...", flush=True)
        with collector.paused():
            inventory = example.generate_city(systems=args.systems, seed=args.seed).inventory
    parts = checks.InventoryParts(
        city=inventory.city,
        network=inventory.network,
        departments=inventory.departments,
        systems=inventory.systems,
        catalogue=inventory.catalogue,
        hosts=inventory.hosts,
        private_networks=inventory.private_networks,
    )
    today = dt.date(2026, 11, 1)
    intranet = inventory.network.intranet
    print(
        f"{len(inventory.systems)} systems, {len(inventory.network.zones)} extranet and "
        f"{len(intranet.zones) if intranet else 0} intranet zones, {len(inventory.private_networks)} 业务专网, "
        f"{sum(1 for s in inventory.systems if s.classified)} classified systems"
    )

    def new_rules() -> list[checks.Finding]:
        found: list[checks.Finding] = []
        for rule in (checks.check_intranet, checks.check_isolation, checks.check_private_networks):
            found.extend(rule(parts, today=today))
        return found

    with collector.paused():
        rules_s, findings = _best(args.repeat, new_rules)
        whole_s, all_findings = _best(args.repeat, lambda: checks.check_inventory(parts, today=today))
        sweep_s, swept = _best(args.repeat, lambda: _sweep_overlaps(parts))
        naive_s, naive = _best(1, lambda: _naive_overlaps(parts))
        classified = {s.code: Progress.at(Stage.NETWORK) for s in inventory.systems if s.classified}
        extranet = dict(
            list({s.code: Progress.at(Stage.NETWORK) for s in inventory.systems if not s.classified}.items())[
                : len(classified)
            ]
        )
        without_s, _ = _best(
            args.repeat, lambda: firewall.build_firewalls(inventory, flows.compute_flow_matrix(inventory, extranet))
        )
        with_s, _ = _best(
            args.repeat,
            lambda: firewall.build_firewalls(inventory, flows.compute_flow_matrix(inventory, classified)),
        )
    assert findings == [], findings[:3]
    assert all_findings == [], all_findings[:3]
    assert swept == naive, (swept, naive)

    share = rules_s / whole_s if whole_s else 0.0
    rows = [
        (
            "isolation + intranet + 业务专网 rules",
            f"{rules_s:.3f} s",
            f"check_inventory: {whole_s:.3f} s ({share:.1%})",
        ),
        ("range overlaps, sorted sweep", f"{sweep_s:.3f} s", f"every pair (peer): {naive_s:.3f} s, same {naive} pairs"),
        (
            f"matrix + firewalls, {len(classified)} classified reached",
            f"{with_s:.3f} s",
            f"as many extranet systems reached (peer): {without_s:.3f} s",
        ),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"\n{'measure (CPU, best of ' + str(args.repeat) + ')':<{width}}  {'value':>10}  beside it")
    for name, value, peer in rows:
        print(f"{name:<{width}}  {value:>10}  {peer}")
    ok = rules_s <= args.target
    verdict = "ok" if ok else "ABOVE TARGET"
    print(f"\n{verdict}: the rules of the two networks take {rules_s:.3f} s CPU (target {args.target:.1f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
