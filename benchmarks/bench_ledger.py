"""Benchmark: the migration ledger on a province: signed appends, ``govcloud status`` cold and warm, ``ledger verify``.

Uses (or generates) the province ``benchmarks/.work/province`` (``govcloud example --systems 20000 --seed 7``,
shared with the other benchmarks) and its plans ``benchmarks/.work/province-plans`` (``govcloud plan --write``,
once: it takes minutes), then in one run:

1. **append**: ``--appends`` (1,000) entries appended one transaction each the way ``advance`` does (BEGIN
   IMMEDIATE, head and states re-read, hash, ed25519 SSHSIG signature, projection), side by side with plain
   SQLite inserts of the same rows into a table of the same shape, one transaction each, same pragmas (WAL,
   ``synchronous=FULL``): the floor;
2. builds a ledger of ``--entries`` (200,000) signed entries over the province's 60,000 stages (transitions,
   security sign-offs, overrides, network runs) by 200 leads, in batches through the same ``Ledger.append``;
3. **status**: ``govcloud status`` as a user runs it, in a fresh process: cold (no cache: the census is read
   once) and warm (best of ``--repeat``), table and JSON; target warm ≤ 2 s;
4. **verify**: the chain and every signature and role of the 200,000 entries; target ≤ 10 s.

    .venv/bin/python benchmarks/bench_ledger.py [--entries 200000] [--appends 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from rich.console import Console
from rich.table import Table

from bench_load import ensure_inventory
from govcloud.core.settings import OrchestrationSettings
from govcloud.edges import yamlio
from govcloud.orchestration.core import roster as roster_rules
from govcloud.orchestration.core.entries import Draft, EntryKind
from govcloud.orchestration.edges import sshsig, status_cache, store, verification

ROOT = Path(__file__).resolve().parent
WORK = ROOT / ".work"
PROVINCE = WORK / "province"
PLANS = WORK / "province-plans"
GOVCLOUD = Path(sys.executable).with_name("govcloud")
LEADS = 200


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=200_000, help="entries of the province ledger")
    parser.add_argument("--appends", type=int, default=1_000, help="single-transaction appends measured")
    parser.add_argument("--repeat", type=int, default=3, help="warm status runs; the best is kept")
    parser.add_argument("--status-target", type=float, default=2.0)
    parser.add_argument("--verify-target", type=float, default=10.0)
    parser.add_argument(
        "--inventory", type=Path, help="another inventory (with --plans), e.g. the bundled one, for a quick run"
    )
    parser.add_argument("--plans", type=Path, help="its plan files")
    args = parser.parse_args()
    console = Console(highlight=False)

    global PROVINCE, PLANS
    if args.inventory is not None and args.plans is not None:
        PROVINCE, PLANS = args.inventory.resolve(), args.plans.resolve()
        work = WORK / f"ledger-{hashlib.sha256(str(PLANS).encode()).hexdigest()[:8]}"
    else:
        ensure_inventory(PROVINCE, systems=20_000, seed=7, console=console)
        ensure_plans(console)
        work = WORK / "ledger"
    departments, systems = plan_systems()
    keys, roster = make_roster(departments)
    console.print(f"{len(systems)} migration plans ({3 * len(systems)} stages), {len(departments)} departments")

    with tempfile.TemporaryDirectory(prefix="bench-ledger-") as tmp:
        appended, floor = bench_append(Path(tmp), keys, departments, count=args.appends)

    ledger_path = work / "ledger.sqlite"
    build_started = time.perf_counter()
    built = ensure_ledger(ledger_path, systems, keys, count=args.entries, console=console)
    build_s = time.perf_counter() - build_started

    cache = status_cache.cache_path_for(ledger_path)
    cache.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        cache.with_name(cache.name + suffix).unlink(missing_ok=True)
    cold = run_status(ledger_path, [])
    warm = min(run_status(ledger_path, []) for _ in range(args.repeat))
    warm_json = min(run_status(ledger_path, ["--format", "json"]) for _ in range(args.repeat))
    warm_filtered = min(run_status(ledger_path, ["--wave", "3", "--late"]) for _ in range(args.repeat))

    with store.open_ledger(ledger_path) as ledger:
        started = time.perf_counter()
        report = verification.verify_ledger(ledger, roster, OrchestrationSettings())
        verify_s = time.perf_counter() - started
    if not report.ok:
        console.print(f"[red]the generated ledger does not verify[/]: {report.to_json()}")
        return 1

    table = Table(title=f"Ledger on a province: {built} entries ({build_s:.0f} s to build or reuse)")
    table.add_column("what")
    table.add_column("figure", justify="right")
    table.add_column("floor / target", justify="right")
    table.add_row(
        f"append, signed, one transaction each ({args.appends} entries)",
        f"{appended:,.0f} entries/s",
        f"plain SQLite insert, same rows: {floor:,.0f} rows/s ({floor / appended:.1f}x)",
    )
    table.add_row("govcloud status, cold (no cache: census read once)", f"{cold:.2f} s", "—")
    table.add_row("govcloud status, warm (table)", f"{warm:.2f} s", f"≤ {args.status_target:.1f} s")
    table.add_row(
        f"govcloud status, warm (--format json, all {3 * len(systems):,} rows)",
        f"{warm_json:.2f} s",
        f"≤ {args.status_target:.1f} s",
    )
    table.add_row("govcloud status --wave 3 --late, warm", f"{warm_filtered:.2f} s", f"≤ {args.status_target:.1f} s")
    table.add_row(
        f"ledger verify: chain + {report.signed} signatures + roles",
        f"{verify_s:.2f} s",
        f"≤ {args.verify_target:.1f} s",
    )
    console.print(table)
    failed = [
        name
        for name, value, target in (
            ("status warm", warm, args.status_target),
            ("status warm json", warm_json, args.status_target),
            ("verify", verify_s, args.verify_target),
        )
        if value > target
    ]
    if failed:
        console.print(f"[bold red]FAIL[/]: above target: {', '.join(failed)}")
        return 1
    console.print("[green]ok[/]: every figure within its target")
    return 0


def ensure_plans(console: Console) -> None:
    """The province's plan files, written once by ``govcloud plan --write`` (minutes) and reused."""
    marker = PLANS / ".bench-plans.json"
    inventory_marker = PROVINCE / ".bench-load.json"
    params = inventory_marker.read_text(encoding="utf-8") if inventory_marker.exists() else ""
    if marker.is_file() and marker.read_text(encoding="utf-8") == params and params:
        console.print(f"reusing {PLANS}")
        return
    console.print(f"writing the province's plans to {PLANS} with govcloud plan --write; takes minutes ...")
    started = time.perf_counter()
    subprocess.run(
        [str(GOVCLOUD), "plan", "--write", "--inventory", str(PROVINCE), "--plans", str(PLANS), "--format", "json"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    marker.write_text(params, encoding="utf-8")
    console.print(f"written in {time.perf_counter() - started:.0f} s")


def plan_systems() -> tuple[list[str], list[tuple[str, str]]]:
    """(departments, [(system, department)]) of the migration plans."""
    systems = [(p.system, p.department) for p in status_cache.read_plan_facts(PLANS)]
    return sorted({d for _, d in systems}), systems


def make_roster(departments: list[str]) -> tuple[dict[str, ed25519.Ed25519PrivateKey], roster_rules.Roster]:
    """200 leads (each leading a slice of the departments), a security officer, the programme office, ops."""
    keys: dict[str, ed25519.Ed25519PrivateKey] = {}
    people = []
    slices = {f"lead.{i:03d}": departments[i::LEADS] for i in range(LEADS)}
    grants: dict[str, tuple[roster_rules.RoleGrant, ...]] = {
        person: (roster_rules.RoleGrant(roster_rules.Role.MIGRATION_LEAD, tuple(depts)),)
        for person, depts in slices.items()
    }
    grants["sec.officer"] = (roster_rules.RoleGrant(roster_rules.Role.SECURITY_OFFICER),)
    grants["po.office"] = (roster_rules.RoleGrant(roster_rules.Role.PROGRAMME_OFFICE),)
    grants["ops.engineer"] = (roster_rules.RoleGrant(roster_rules.Role.OPS_ENGINEER),)
    for index, (person, roles) in enumerate(sorted(grants.items())):
        key = ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"bench-{index}".encode()).digest())
        keys[person] = key
        public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        parsed = sshsig.parse_public_key(public.decode())
        people.append(
            roster_rules.Person(person, person, roles, (roster_rules.Key(parsed.openssh, parsed.fingerprint),))
        )
    return keys, roster_rules.Roster(tuple(people))


def _signed(draft: Draft, key: ed25519.Ed25519PrivateKey) -> store.SignedDraft:
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    fingerprint = sshsig.parse_public_key(public.decode()).fingerprint
    return store.SignedDraft(draft, fingerprint, lambda message: sshsig.sign_ed25519(key, message))


def _lead_of(department: str, departments: list[str]) -> str:
    return f"lead.{departments.index(department) % LEADS:03d}"


def bench_append(
    directory: Path, keys: dict[str, ed25519.Ed25519PrivateKey], departments: list[str], *, count: int
) -> tuple[float, float]:
    """(signed appends/s, plain inserts/s), one transaction per entry each."""
    department = departments[0]
    lead = _lead_of(department, departments)
    drafts = [
        _signed(
            Draft(
                kind=EntryKind.STAGE_TRANSITION,
                actor=lead,
                system=f"BENCH-{n:05d}",
                department=department,
                stage="network",
                payload={"from": "pending", "to": "in_progress", "reason": None, "gates": []},
            ),
            keys[lead],
        )
        for n in range(count)
    ]
    with store.open_ledger(directory / "ledger.sqlite") as ledger:
        started = time.perf_counter()
        for signed in drafts:
            ledger.append(lambda _states, signed=signed: [signed])
        appended = count / (time.perf_counter() - started)
        rows = [tuple(e.to_json().values()) for e in ledger.entries()]
    plain = sqlite3.connect(directory / "plain.sqlite", isolation_level=None)
    plain.execute("PRAGMA journal_mode = WAL")
    plain.execute("PRAGMA synchronous = FULL")
    plain.execute(
        "CREATE TABLE entries (seq INTEGER PRIMARY KEY, time, kind, actor, system, department, stage, payload, "
        "evidence, inventory_revision, signer, prev_hash, hash UNIQUE, signature)"
    )
    started = time.perf_counter()
    for row in rows:
        plain.execute("BEGIN IMMEDIATE")
        plain.execute(
            "INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v for v in row],
        )
        plain.execute("COMMIT")
    floor = count / (time.perf_counter() - started)
    plain.close()
    return appended, floor


def ensure_ledger(
    path: Path,
    systems: list[tuple[str, str]],
    keys: dict[str, ed25519.Ed25519PrivateKey],
    *,
    count: int,
    console: Console,
) -> int:
    """A signed province ledger of ``count`` entries, built once (marker beside it) and reused."""
    marker = path.with_name("ledger.json")
    plans_marker = PLANS / ".bench-plans.json"
    params = {
        "entries": count,
        "plans": plans_marker.read_text(encoding="utf-8") if plans_marker.exists() else str(PLANS),
        "systems": len(systems),
    }
    if path.exists() and marker.exists() and json.loads(marker.read_text(encoding="utf-8")) == params:
        console.print(f"reusing {path}")
        return count
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    console.print(f"building a ledger of {count} signed entries in {path} ...")
    departments = sorted({d for _, d in systems})
    drafts = list(_province_drafts(systems, departments, keys, count))
    with store.open_ledger(path) as ledger:
        for start in range(0, len(drafts), 5000):
            batch = drafts[start : start + 5000]
            ledger.append(lambda _states, batch=batch: batch)
            console.print(f"  {start + len(batch)} / {len(drafts)}", end="\r")
    yamlio.write_atomic(marker, json.dumps(params))
    return len(drafts)


def _province_drafts(
    systems: list[tuple[str, str]], departments: list[str], keys: dict[str, ed25519.Ed25519PrivateKey], count: int
) -> Iterator[store.SignedDraft]:
    """Transitions for every system (how far depends on its index), sign-offs, overrides; network runs to fill."""
    made = 0
    for index, (system, department) in enumerate(systems):
        lead = _lead_of(department, departments)
        depth = index % 7  # 0: untouched ... 6: all three stages done
        moves: list[tuple[str, str, str]] = []
        for stage_index, stage in enumerate(("network", "data", "business")):
            if depth > 2 * stage_index:
                moves.append((stage, "pending", "in_progress"))
            if depth > 2 * stage_index + 1:
                moves.append((stage, "in_progress", "done"))
        for stage, before, to in moves:
            if stage == "business" and to == "done":
                yield _signed(
                    Draft(
                        kind=EntryKind.STAGE_SIGNOFF,
                        actor="sec.officer",
                        system=system,
                        department=department,
                        stage=stage,
                        payload={"what": "acceptance and 等保 test"},
                    ),
                    keys["sec.officer"],
                )
                made += 1
            if stage == "data" and to == "done" and index % 11 == 0:
                yield _signed(
                    Draft(
                        kind=EntryKind.GATE_OVERRIDE,
                        actor="po.office",
                        system=system,
                        department=department,
                        stage=stage,
                        payload={"gate": "catalogue_published", "reason": "bench"},
                    ),
                    keys["po.office"],
                )
                made += 1
            yield _signed(
                Draft(
                    kind=EntryKind.STAGE_TRANSITION,
                    actor=lead,
                    system=system,
                    department=department,
                    stage=stage,
                    payload={"from": before, "to": to, "reason": None, "gates": []},
                    inventory_revision="git:bench",
                ),
                keys[lead],
            )
            made += 1
            if made >= count:
                return
    run = 0
    while made < count:
        system, department = systems[run % len(systems)]
        summary = {"command": f"network apply --system {system}", "ok": True, "hosts": {"fw-core-01": {"changed": 1}}}
        yield _signed(
            Draft(
                kind=EntryKind.RUN_NETWORK,
                actor="ops.engineer",
                system=system,
                payload={"summary": summary},
                inventory_revision="git:bench",
            ),
            keys["ops.engineer"],
        )
        made += 1
        run += 1


def run_status(ledger: Path, extra: list[str]) -> float:
    """Wall seconds of ``govcloud status`` in a fresh process, as a user runs it."""
    argv = [str(GOVCLOUD), "status", "--inventory", str(PROVINCE), "--plans", str(PLANS), "--ledger", str(ledger)]
    argv += ["--today", dt.date(2027, 6, 1).isoformat(), *extra]
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main())
