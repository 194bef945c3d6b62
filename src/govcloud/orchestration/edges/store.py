"""The migration ledger: an append-only, hash-chained SQLite file (default ``.govcloud/ledger.sqlite``). Edge.

- **Append-only**: triggers raise on UPDATE and DELETE of entries. (An attacker with the file can drop them;
  the hash chain and the signatures are what make that visible: ``entries.verify_chain``.)
- **No lost or forked entries**: WAL mode, and every writer takes ``BEGIN IMMEDIATE`` (the write lock) and
  re-reads the chain head and the stage states *inside* the transaction, so the rules are checked against
  what is really there and two processes can never both append after the same head.
- **A derived projection**: ``stage_state`` holds the current state of every stage, updated in the same
  transaction as the entry that changes it. It is only a cache: :meth:`Ledger.replay` rebuilds it from the
  entries.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from govcloud.errors import GovcloudError, InputError, Problem
from govcloud.orchestration.core import entries as entry_rules
from govcloud.orchestration.core import transitions
from govcloud.orchestration.core.entries import Draft, Entry, Evidence
from govcloud.planning.core.stages import Stage, StageStatus

SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT,
    system TEXT,
    department TEXT,
    stage TEXT,
    payload TEXT NOT NULL,
    evidence TEXT NOT NULL,
    inventory_revision TEXT,
    signer TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    signature TEXT
);
CREATE INDEX IF NOT EXISTS entries_system ON entries (system);
CREATE INDEX IF NOT EXISTS entries_department ON entries (department);
CREATE INDEX IF NOT EXISTS entries_time ON entries (time);
CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: entries cannot be updated'); END;
CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: entries cannot be deleted'); END;
CREATE TABLE IF NOT EXISTS stage_state (
    system TEXT NOT NULL,
    stage TEXT NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (system, stage)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

_COLUMNS = (
    "seq, time, kind, actor, system, department, stage, payload, evidence, inventory_revision, signer, "
    "prev_hash, hash, signature"
)


class LedgerError(GovcloudError):
    """The ledger file cannot be used (missing, not a ledger, locked for too long)."""


Signer = Callable[[bytes], str]
"""Signs a message (the entry's hash) and returns the armored SSH signature."""


@dataclasses.dataclass(frozen=True)
class SignedDraft:
    """A draft and who signs it: the key's fingerprint and the signing function (None: an unsigned run record)."""

    draft: Draft
    fingerprint: str | None = None
    sign: Signer | None = None


def now_utc() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _row_to_entry(row: Sequence[Any]) -> Entry:
    return Entry(
        seq=row[0],
        time=row[1],
        kind=row[2],
        actor=row[3],
        system=row[4],
        department=row[5],
        stage=row[6],
        payload=json.loads(row[7]),
        evidence=tuple(Evidence(e["name"], e["sha256"]) for e in json.loads(row[8])),
        inventory_revision=row[9],
        signer=row[10],
        prev_hash=row[11],
        hash=row[12],
        signature=row[13],
    )


def _state_json(state: transitions.StageState) -> str:
    data = dataclasses.asdict(state)
    data["stage"] = state.stage.value
    data["status"] = state.status.value
    data["plan_status"] = state.plan_status.value
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


# value → member, built once: Enum(value) costs a few µs a call, and status reads 60,000 stages at a time
_STAGE_OF = {s.value: s for s in Stage}
_LEDGER_STATUS_OF = {s.value: s for s in transitions.LedgerStatus}
_PLAN_STATUS_OF = {s.value: s for s in StageStatus}


def _state_of(text: str) -> transitions.StageState:
    data = json.loads(text)
    data["stage"] = _STAGE_OF[data["stage"]]
    data["status"] = _LEDGER_STATUS_OF[data["status"]]
    data["plan_status"] = _PLAN_STATUS_OF[data["plan_status"]]
    data["signed_by"] = tuple(data.get("signed_by", ()))
    data["overrides"] = tuple(data.get("overrides", ()))
    return transitions.StageState(**data)


class _States(dict[transitions.StageKey, transitions.StageState]):
    """The projection as a mapping that reads SQLite as it is asked: one key, or everything once iterated.

    A write transaction hands this to the caller's rules: a sign-off or a run record looks at one stage and
    should not read the 20,000 stages of a province; advance, which evaluates gates over other systems,
    iterates it and gets them all.
    """

    def __init__(self, db: sqlite3.Connection) -> None:
        super().__init__()
        self._db = db
        self._complete = False
        self._absent: set[transitions.StageKey] = set()

    def _all(self) -> None:
        if self._complete:
            return
        for system, stage, text in self._db.execute("SELECT system, stage, state FROM stage_state"):
            key = (system, stage)
            if not super().__contains__(key) and key not in self._absent:
                super().__setitem__(key, _state_of(text))
        self._complete = True

    def get(self, key: transitions.StageKey, default: Any = None) -> Any:
        if super().__contains__(key):
            return super().__getitem__(key)
        if self._complete or key in self._absent:
            return default
        row = self._db.execute("SELECT state FROM stage_state WHERE system = ? AND stage = ?", key).fetchone()
        if row is None:
            self._absent.add(key)
            return default
        state = _state_of(row[0])
        super().__setitem__(key, state)
        return state

    def __getitem__(self, key: transitions.StageKey) -> transitions.StageState:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found  # type: ignore[no-any-return]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, tuple) and self.get(key) is not None

    def __setitem__(self, key: transitions.StageKey, value: transitions.StageState) -> None:
        self._absent.discard(key)
        super().__setitem__(key, value)

    def __iter__(self) -> Iterator[transitions.StageKey]:
        self._all()
        return super().__iter__()

    def __len__(self) -> int:
        self._all()
        return super().__len__()

    def keys(self) -> Any:
        self._all()
        return super().keys()

    def values(self) -> Any:
        self._all()
        return super().values()

    def items(self) -> Any:
        self._all()
        return super().items()


class Ledger:
    """One ledger file. Open with :func:`open_ledger`; close with :meth:`close` (or use it as a context manager)."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self._db = connection

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    # -- reading ------------------------------------------------------------------------------------------
    def entries(
        self,
        *,
        system: str | None = None,
        department: str | None = None,
        since: str | None = None,
        kinds: Sequence[str] | None = None,
    ) -> list[Entry]:
        """Entries in sequence order, optionally only a system's, a department's, from a time, of some kinds."""
        where: list[str] = []
        args: list[Any] = []
        if system is not None:
            where.append("system = ?")
            args.append(system)
        if department is not None:
            where.append("department = ?")
            args.append(department)
        if since is not None:
            where.append("time >= ?")
            args.append(since)
        if kinds:
            where.append(f"kind IN ({','.join('?' * len(kinds))})")
            args.extend(kinds)
        # only fixed column names and "?" placeholders are joined here; every value is a bound parameter
        sql = f"SELECT {_COLUMNS} FROM entries" + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY seq"  # noqa: S608
        return [_row_to_entry(row) for row in self._db.execute(sql, args)]

    def iter_rows(self, *, first: int = 0, stop: int | None = None) -> Iterator[Sequence[Any]]:
        """Raw rows in sequence order, optionally only ``first <= seq < stop`` (for verifying in parallel)."""
        sql = f"SELECT {_COLUMNS} FROM entries WHERE seq >= ? AND seq < ? ORDER BY seq"  # noqa: S608
        yield from self._db.execute(sql, (first, stop if stop is not None else 2**62))

    def links(self) -> list[tuple[int, str, str]]:
        """(seq, prev_hash, hash) of every entry in sequence order: the chain without the content."""
        return [
            (int(r[0]), str(r[1]), str(r[2]))
            for r in self._db.execute("SELECT seq, prev_hash, hash FROM entries ORDER BY seq")
        ]

    def count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM entries").fetchone()[0])

    def head(self) -> tuple[int, str]:
        row = self._db.execute("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
        return (0, entry_rules.GENESIS) if row is None else (int(row[0]), str(row[1]))

    def last_seq_issued(self) -> int | None:
        row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'entries'").fetchone()
        return None if row is None else int(row[0])

    def states(self) -> dict[transitions.StageKey, transitions.StageState]:
        """The projection: the current state of every stage the ledger knows."""
        return {
            (row[0], row[1]): _state_of(row[2])
            for row in self._db.execute("SELECT system, stage, state FROM stage_state")
        }

    def projected_through(self) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'projected_seq'").fetchone()
        return int(row[0]) if row is not None else 0

    # -- writing ------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise LedgerError(f"{self.path}: cannot take the ledger's write lock: {exc}") from None
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def append(
        self,
        decide: Callable[[dict[transitions.StageKey, transitions.StageState]], Sequence[SignedDraft]],
    ) -> list[Entry]:
        """Append what ``decide`` returns, in one transaction, after it has seen the states under the write lock.

        ``decide`` may raise (a refusal): then nothing is written. Each entry is hashed onto the chain head
        read inside the transaction and signed over that hash.
        """
        with self._write() as db:
            states = self._states_in(db)
            drafts = decide(states)
            seq, prev = self.head()
            written: list[Entry] = []
            for signed in drafts:
                entry = self._insert(db, signed, prev)
                changed = transitions.apply(states, entry)
                self._store_states(db, states, changed)
                written.append(entry)
                prev = entry.hash
                seq = entry.seq
            if written:
                db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('projected_seq', ?)", (str(seq),))
            return written

    def _states_in(self, db: sqlite3.Connection) -> dict[transitions.StageKey, transitions.StageState]:
        if self.projected_through() != self.head()[0]:
            return transitions.project(self.entries())  # projection behind (an old writer): trust only the entries
        return _States(db)

    def _insert(self, db: sqlite3.Connection, signed: SignedDraft, prev: str) -> Entry:
        draft = signed.draft
        time = now_utc()
        body = entry_rules.body_of(
            time=time,
            kind=draft.kind.value,
            actor=draft.actor,
            system=draft.system,
            department=draft.department,
            stage=draft.stage,
            payload=draft.payload,
            evidence=draft.evidence,
            inventory_revision=draft.inventory_revision,
            signer=signed.fingerprint,
        )
        digest = entry_rules.chain_hash(prev, body)
        signature = signed.sign(entry_rules.signed_message(digest)) if signed.sign is not None else None
        cursor = db.execute(
            "INSERT INTO entries (time, kind, actor, system, department, stage, payload, evidence, "
            "inventory_revision, signer, prev_hash, hash, signature) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                time,
                draft.kind.value,
                draft.actor,
                draft.system,
                draft.department,
                draft.stage,
                json.dumps(body["payload"], ensure_ascii=False, sort_keys=True),
                json.dumps(body["evidence"], ensure_ascii=False),
                draft.inventory_revision,
                signed.fingerprint,
                prev,
                digest,
                signature,
            ),
        )
        seq = cursor.lastrowid
        assert seq is not None
        return Entry(
            seq=seq,
            time=time,
            kind=draft.kind.value,
            actor=draft.actor,
            system=draft.system,
            department=draft.department,
            stage=draft.stage,
            payload=body["payload"],
            evidence=draft.evidence,
            inventory_revision=draft.inventory_revision,
            signer=signed.fingerprint,
            prev_hash=prev,
            hash=digest,
            signature=signature,
        )

    def _store_states(
        self,
        db: sqlite3.Connection,
        states: dict[transitions.StageKey, transitions.StageState],
        keys: Sequence[transitions.StageKey],
    ) -> None:
        db.executemany(
            "INSERT OR REPLACE INTO stage_state (system, stage, state) VALUES (?, ?, ?)",
            [(key[0], key[1], _state_json(states[key])) for key in keys],
        )

    def replay(self) -> dict[transitions.StageKey, transitions.StageState]:
        """Rebuild the projection from the entries; return it."""
        with self._write() as db:
            states = transitions.project(self.entries())
            db.execute("DELETE FROM stage_state")
            self._store_states(db, states, sorted(states))
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('projected_seq', ?)", (str(self.head()[0]),))
            return states


def open_ledger(path: Path, *, create: bool = True) -> Ledger:
    """Open (and, with ``create``, make) the ledger at ``path``."""
    if not create and not path.exists():
        raise InputError(
            [Problem(str(path), None, "", "no ledger here (it is made by the first advance or adopt)")], "no ledger"
        )
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        db = sqlite3.connect(path, isolation_level=None, timeout=30.0)
        db.execute("PRAGMA busy_timeout = 30000")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
        db.executescript("BEGIN IMMEDIATE;" + _SCHEMA + "COMMIT;")  # one writer creates the schema at a time
    except sqlite3.DatabaseError as exc:
        raise LedgerError(f"{path}: not a usable ledger file: {exc}") from None
    version = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    if version is None:
        db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)", (SCHEMA_VERSION,))
    elif version[0] != SCHEMA_VERSION:
        db.close()
        raise LedgerError(f"{path}: ledger schema {version[0]}, this govcloud reads {SCHEMA_VERSION}")
    return Ledger(path, db)
