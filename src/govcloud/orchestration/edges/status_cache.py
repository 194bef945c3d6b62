"""The derived cache behind ``govcloud status``: plan and census facts in SQLite beside the ledger. Edge.

A province has 20,000 plan files and 136 MB of census YAML (about 19 s to load); ``status`` must answer in
about a second. So it keeps what it needs in ``status-cache.sqlite`` next to the ledger:

- one row per plan file, keyed by its path, size and modification time: a changed file is re-read, an
  unchanged one is not (a lead's ``advance`` touches one file, so the next ``status`` re-reads one file);
- the census facts per system (:class:`govcloud.orchestration.core.status.SystemFacts`), valid for one
  fingerprint of the inventory's files (paths, sizes, modification times): any change reloads the inventory.

The cache holds nothing that is not derived: delete it and the next call rebuilds it (that is the cold time
the benchmark shows).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from govcloud.core import model
from govcloud.edges import inventory_files
from govcloud.orchestration.core import status
from govcloud.planning.core import plan_view
from govcloud.planning.core.stages import Stage, StageStatus
from govcloud.planning.edges import plan_progress
from govcloud.sharing.core import grants

CACHE_NAME = "status-cache.sqlite"
_VERSION = "4"  # 3: plan facts read by the one plan reader; 4: system facts hold the consumed entries
_SCHEMA = """
CREATE TABLE IF NOT EXISTS plan_files (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, facts TEXT);
CREATE TABLE IF NOT EXISTS system_facts (code TEXT PRIMARY KEY, facts TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclasses.dataclass(frozen=True)
class Refresh:
    plans_read: int
    plans_cached: int
    plans_removed: int
    inventory_reloaded: bool


@dataclasses.dataclass(frozen=True)
class StatusInputs:
    plans: list[status.PlanFacts]
    facts: dict[str, status.SystemFacts]
    refresh: Refresh


def cache_path_for(ledger_path: Path) -> Path:
    return ledger_path.with_name(CACHE_NAME)


def inventory_fingerprint(inventory_dir: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(inventory_dir.rglob("*.yaml")):
        if path.name == "people.yaml":
            continue  # the roster changes no census fact
        info = path.stat()
        digest.update(f"{path.relative_to(inventory_dir).as_posix()}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def load_status_inputs(
    *,
    inventory_dir: Path,
    plans_dir: Path,
    cache_path: Path,
    on_inventory_load: Callable[[], None] | None = None,
    with_facts: bool = True,
) -> StatusInputs:
    """Plan facts and census facts, from the cache where the files did not change, refreshing it.

    Without ``with_facts`` the census facts are refreshed but not returned (``facts`` is empty): read the
    ones the shown rows need with :func:`read_facts`.
    """
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(cache_path, isolation_level=None, timeout=30.0)
    try:
        db.execute("PRAGMA journal_mode = WAL")
        db.executescript(_SCHEMA)
        version = db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        db.execute("BEGIN IMMEDIATE")
        if version is None or version[0] != _VERSION:
            db.execute("DELETE FROM plan_files")
            db.execute("DELETE FROM system_facts")
            db.execute("DELETE FROM meta")
            db.execute("INSERT INTO meta (key, value) VALUES ('version', ?)", (_VERSION,))
        facts, reloaded = _census_facts(db, inventory_dir, on_inventory_load, with_facts=with_facts)
        plan_facts, read, cached, removed = _plan_facts(db, plans_dir)
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    finally:
        db.close()
    return StatusInputs(plan_facts, facts, Refresh(read, cached, removed, reloaded))


def _census_facts(
    db: sqlite3.Connection, inventory_dir: Path, on_load: Callable[[], None] | None, *, with_facts: bool
) -> tuple[dict[str, status.SystemFacts], bool]:
    fingerprint = inventory_fingerprint(inventory_dir)
    known = db.execute("SELECT value FROM meta WHERE key = 'inventory'").fetchone()
    if known is not None and known[0] == fingerprint:
        if not with_facts:
            return {}, False
        return {
            row[0]: _facts_of(json.loads(row[1])) for row in db.execute("SELECT code, facts FROM system_facts")
        }, False
    if on_load is not None:
        on_load()
    inventory = inventory_files.load_inventory(inventory_dir).inventory
    facts = status.system_facts(inventory)
    db.execute("DELETE FROM system_facts")
    db.executemany(
        "INSERT INTO system_facts (code, facts) VALUES (?, ?)",
        [(code, json.dumps(dataclasses.asdict(f), ensure_ascii=False)) for code, f in facts.items()],
    )
    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('inventory', ?)", (fingerprint,))
    return facts, True


def read_facts(cache_path: Path, codes: Iterable[str]) -> dict[str, status.SystemFacts]:
    """The cached census facts of these systems (after :func:`load_status_inputs` refreshed the cache)."""
    wanted = sorted(set(codes))
    found: dict[str, status.SystemFacts] = {}
    db = sqlite3.connect(cache_path, timeout=30.0)
    try:
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            sql = f"SELECT code, facts FROM system_facts WHERE code IN ({','.join('?' * len(chunk))})"  # noqa: S608
            found.update((row[0], _facts_of(json.loads(row[1]))) for row in db.execute(sql, chunk))
    finally:
        db.close()
    return found


def _facts_of(data: dict[str, Any]) -> status.SystemFacts:
    return status.SystemFacts(
        code=data["code"],
        department=data["department"],
        mlps_level=data["mlps_level"],
        placement=(bool(data["placement"][0]), str(data["placement"][1])),
        flows=(bool(data["flows"][0]), str(data["flows"][1])),
        dependents=(bool(data["dependents"][0]), str(data["dependents"][1])),
        published_all=(bool(data["published_all"][0]), str(data["published_all"][1])),
        entries=tuple(data["entries"]),
        unpublished=tuple(data["unpublished"]),
        caller_departments=tuple(data["caller_departments"]),
        consumed=tuple(
            grants.Consumed(int(c["index"]), str(c["resource"]), model.SharingType(c["sharing_type"]))
            for c in data.get("consumed", ())
        ),
    )


def _plan_facts(db: sqlite3.Connection, plans_dir: Path) -> tuple[list[status.PlanFacts], int, int, int]:
    cached = {
        row[0]: (row[1], row[2], row[3]) for row in db.execute("SELECT path, size, mtime_ns, facts FROM plan_files")
    }
    found: list[status.PlanFacts] = []
    seen: set[str] = set()
    updates: list[tuple[str, int, int, str | None]] = []
    read = 0
    if plans_dir.is_dir():
        with os.scandir(plans_dir.resolve()) as listing:  # absolute paths: the same cache from any directory
            entries = list(listing)
    else:
        entries = []
    for item in entries:
        if not item.name.endswith(".yaml") or not item.is_file():
            continue
        info = item.stat()
        seen.add(item.path)
        hit = cached.get(item.path)
        if hit is not None and hit[0] == info.st_size and hit[1] == info.st_mtime_ns:
            text = hit[2]
        else:
            read += 1
            facts = _read_plan(Path(item.path))
            text = json.dumps(facts, ensure_ascii=False) if facts is not None else None
            updates.append((item.path, info.st_size, info.st_mtime_ns, text))
        if text is not None:
            found.append(_plan_of(json.loads(text)))
    removed = [path for path in cached if path not in seen]
    db.executemany("INSERT OR REPLACE INTO plan_files (path, size, mtime_ns, facts) VALUES (?, ?, ?, ?)", updates)
    db.executemany("DELETE FROM plan_files WHERE path = ?", [(p,) for p in removed])
    found.sort(key=lambda p: p.system)
    return found, read, len(seen) - read, len(removed)


def _read_plan(path: Path) -> dict[str, Any] | None:
    """The facts of one migration plan file as JSON data; None for decommissions and unreadable files.

    Read by the one plan reader (:mod:`govcloud.planning.edges.plan_progress`, :mod:`govcloud.planning.core.plan_view`).
    A file with a stage whose name or status cannot be read (an invalid value, a misspelt ``status`` key) is
    skipped as a whole rather than shown as pending: ``plan --check`` reports it, status does not guess.
    """
    try:
        plan_file = plan_progress.read_plan_file(path)
    except OSError:
        return None
    data = plan_file.data
    if plan_file.unreadable is not None or not isinstance(data, dict) or not isinstance(data.get("stages"), list):
        return None
    view = plan_view.parse_plan(data, path=plan_file.shown, file_name=path.name).view
    if view is None or view.unnamed or any(block.status is None for block in view.stages):
        return None
    stages = [
        {
            "stage": block.stage.value,
            "status": block.status.value,
            "target_start": _date(block.target_start),
            "target_end": _date(block.target_end),
            "gates": json.dumps(
                {"entry": _gates(block.entry_gates), "exit": _gates(block.exit_gates)}, ensure_ascii=False
            ),
        }
        for block in view.stages
        if block.stage is not None and block.status is not None
    ]
    business = view.stage(Stage.BUSINESS)
    return {
        "system": view.system,
        "name": view.name or "",
        "department": view.department or "",
        "wave": view.wave,
        "owner": view.owner.name if view.owner is not None and view.owner.name else None,
        "stages": stages,
        "callers": list(business.callers or ()) if business is not None else [],
    }


def _date(value: Any) -> str | None:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return None


def _gates(gates: Iterable[plan_view.GateView]) -> list[dict[str, Any]]:
    """The gates that can be read (plan --check reports the others), as JSON data."""
    return [g.gate.model_dump(mode="json", exclude_none=True) for g in gates if g.gate is not None]


# value → member, built once: Enum(value) costs a few µs a call, and a province has 60,000 stages
_STAGE_OF = {s.value: s for s in Stage}
_STATUS_OF = {s.value: s for s in StageStatus}


def _plan_of(data: dict[str, Any]) -> status.PlanFacts:
    return status.PlanFacts(
        system=data["system"],
        name=data["name"],
        department=data["department"],
        wave=data["wave"],
        owner=data["owner"],
        stages=tuple(
            status.StageFacts(
                stage=_STAGE_OF[s["stage"]],
                status=_STATUS_OF[s["status"]],
                target_start=dt.date.fromisoformat(s["target_start"]) if s["target_start"] else None,
                target_end=dt.date.fromisoformat(s["target_end"]) if s["target_end"] else None,
                gates_json=s["gates"],
            )
            for s in data["stages"]
        ),
        callers=tuple(data["callers"]),
    )


def read_plan_facts(plans_dir: Path) -> list[status.PlanFacts]:
    """Plan facts straight from the files, without the cache (for reports, which read everything anyway)."""
    found = []
    for path in sorted(plans_dir.glob("*.yaml")) if plans_dir.is_dir() else []:
        data = _read_plan(path)
        if data is not None:
            found.append(_plan_of(data))
    return found
