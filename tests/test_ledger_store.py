"""The ledger file: append-only, hash-chained, no lost entries under concurrent writers, tampering found."""

from __future__ import annotations

import itertools
import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from govcloud.core.settings import OrchestrationSettings
from govcloud.orchestration.core import entries as entry_rules
from govcloud.orchestration.core import roster as roster_rules
from govcloud.orchestration.core.entries import BreakKind, Draft, EntryKind
from govcloud.orchestration.edges import sshsig, store, verification
from ledger_team import make_key

COLUMNS = (
    "time, kind, actor, system, department, stage, payload, evidence, inventory_revision, signer, prev_hash, hash, "
    "signature"
)


def _draft(n: int) -> Draft:
    return Draft(kind=EntryKind.RUN_RENDER, actor=None, system=f"SYS-{n:03d}", payload={"n": n, "说明": "渲染"})


def _fill(path: Path, count: int) -> None:
    with store.open_ledger(path) as ledger:
        for n in range(count):
            ledger.append(lambda _states, n=n: [store.SignedDraft(_draft(n))])


def _break(path: Path) -> entry_rules.ChainBreak | None:
    with store.open_ledger(path, create=False) as ledger:
        return entry_rules.verify_chain(ledger.entries(), last_seq_issued=ledger.last_seq_issued())


def _attacker(path: Path, *statements: str) -> None:
    """Edit the SQLite file directly, as someone with the file would: drop the triggers first."""
    db = sqlite3.connect(path)
    db.execute("DROP TRIGGER entries_no_update")
    db.execute("DROP TRIGGER entries_no_delete")
    for statement in statements:
        db.execute(statement)
    db.commit()
    db.close()


def test_entries_are_chained_and_verify(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    _fill(path, 5)
    with store.open_ledger(path) as ledger:
        found = ledger.entries()
    assert [e.seq for e in found] == [1, 2, 3, 4, 5]
    assert found[0].prev_hash == entry_rules.GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(found))
    assert found[2].hash == entry_rules.chain_hash(found[2].prev_hash, found[2].body())
    assert _break(path) is None


def test_canonical_json_sorts_keys_keeps_chinese_and_has_no_spaces() -> None:
    assert entry_rules.canonical_json({"b": 1, "a": "网络通"}) == '{"a":"网络通","b":1}'


@pytest.mark.parametrize(
    "statement", ["UPDATE entries SET actor = 'x' WHERE seq = 1", "DELETE FROM entries WHERE seq = 1"]
)
def test_triggers_refuse_update_and_delete(tmp_path: Path, statement: str) -> None:
    path = tmp_path / "ledger.sqlite"
    _fill(path, 2)
    db = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute(statement)
    db.close()
    assert _break(path) is None


def test_an_edited_row_is_named(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    _fill(path, 6)
    _attacker(path, """UPDATE entries SET payload = '{"n": 99}' WHERE seq = 4""")
    found = _break(path)
    assert found is not None
    assert (found.seq, found.kind) == (4, BreakKind.EDITED)


def test_an_edited_and_rehashed_row_is_named(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    _fill(path, 6)
    with store.open_ledger(path) as ledger:
        target = ledger.entries()[2]
    body = {**target.body(), "payload": {"n": 99}}
    forged = entry_rules.chain_hash(target.prev_hash, body)
    _attacker(path, f"""UPDATE entries SET payload = '{{"n": 99}}', hash = '{forged}' WHERE seq = 3""")
    found = _break(path)
    assert found is not None
    assert (found.seq, found.kind) == (3, BreakKind.EDITED)


def test_a_deleted_row_is_named(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    _fill(path, 6)
    _attacker(path, "DELETE FROM entries WHERE seq = 3")
    found = _break(path)
    assert found is not None
    assert found.kind is BreakKind.DELETED
    assert found.seq == 4
    assert "2 to 4" in found.message


def test_deleting_the_last_rows_is_found(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    _fill(path, 6)
    _attacker(path, "DELETE FROM entries WHERE seq >= 5")
    found = _break(path)
    assert found is not None
    assert (found.seq, found.kind) == (5, BreakKind.DELETED)


def test_reordered_rows_are_named(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    _fill(path, 6)
    columns = COLUMNS
    _attacker(
        path,
        "CREATE TABLE swap AS SELECT * FROM entries WHERE seq IN (3, 4)",
        "DELETE FROM entries WHERE seq IN (3, 4)",
        f"INSERT INTO entries (seq, {columns}) SELECT 3, {columns} FROM swap WHERE seq = 4",
        f"INSERT INTO entries (seq, {columns}) SELECT 4, {columns} FROM swap WHERE seq = 3",
    )
    found = _break(path)
    assert found is not None
    assert (found.seq, found.kind) == (3, BreakKind.REORDERED)


def test_an_inserted_row_is_named(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    _fill(path, 5)
    with store.open_ledger(path) as ledger:
        after = ledger.entries()[1]  # the forgery goes after entry 2
    body = {**after.body(), "payload": {"forged": True}}
    forged = entry_rules.chain_hash(after.hash, body)
    columns = COLUMNS
    _attacker(
        path,
        "CREATE TABLE shifted AS SELECT * FROM entries WHERE seq >= 3",
        "DELETE FROM entries WHERE seq >= 3",
        f"INSERT INTO entries (seq, {columns}) SELECT seq + 1, {columns} FROM shifted",
        f"""INSERT INTO entries (seq, {columns}) VALUES (3, '{after.time}', 'run.render', NULL, 'SYS-001', NULL, NULL,
            '{{"forged": true}}', '[]', NULL, NULL, '{after.hash}', '{forged}', NULL)""",
    )
    found = _break(path)
    assert found is not None
    assert (found.seq, found.kind) == (3, BreakKind.INSERTED)


def _append_many(path: str, worker: int, count: int) -> None:
    with store.open_ledger(Path(path)) as ledger:
        for n in range(count):
            ledger.append(lambda _s, n=n: [store.SignedDraft(_draft(worker * 1000 + n))])


def test_concurrent_writer_processes_lose_nothing_and_never_fork_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_many, args=(str(path), w, 25)) for w in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(120)
        assert process.exitcode == 0
    with store.open_ledger(path) as ledger:
        found = ledger.entries()
    assert len(found) == 100
    assert sorted(e.payload["n"] for e in found) == sorted(w * 1000 + n for w in range(4) for n in range(25))
    assert _break(path) is None


def test_verify_checks_signatures_and_the_signers_role(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    lead_key = make_key(tmp_path, "lead")
    public = sshsig.read_public_key_of(lead_key)
    person = roster_rules.Person(
        id="lead",
        name="lead",
        roles=(roster_rules.RoleGrant(roster_rules.Role.MIGRATION_LEAD, ("MZJ",)),),
        keys=(roster_rules.Key(public.openssh, public.fingerprint),),
    )
    roster = roster_rules.Roster((person,))

    def signed(department: str) -> store.SignedDraft:
        draft = Draft(
            kind=EntryKind.STAGE_TRANSITION,
            actor="lead",
            system="X-001",
            department=department,
            stage="network",
            payload={"from": "pending", "to": "in_progress"},
        )
        return store.SignedDraft(draft, public.fingerprint, lambda m: sshsig.sign(lead_key, m))

    with store.open_ledger(path) as ledger:
        ledger.append(lambda _s: [signed("MZJ")])
        ledger.append(lambda _s: [store.SignedDraft(_draft(1))])
        good = verification.verify_ledger(ledger, roster, OrchestrationSettings())
        assert good.ok
        assert good.unsigned_runs == (2,)
        ledger.append(lambda _s: [signed("GAJ")])  # a lead of MZJ signing for GAJ: written behind the rules' back
        bad = verification.verify_ledger(ledger, roster, OrchestrationSettings())
    assert not bad.ok
    assert bad.chain_break is None
    assert len(bad.signature_problems) == 1
    assert "entry 3" in bad.signature_problems[0]
    assert "migration_lead of GAJ" in bad.signature_problems[0]
    empty = verification.verify_ledger(store.open_ledger(path), roster_rules.EMPTY_ROSTER, OrchestrationSettings())
    assert any("not in the roster" in p for p in empty.signature_problems)


def test_replay_rebuilds_the_projection(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    with store.open_ledger(path) as ledger:
        for to in ("in_progress", "done"):
            draft = Draft(
                kind=EntryKind.STAGE_TRANSITION, actor="a", system="X-001", stage="network", payload={"to": to}
            )
            ledger.append(lambda _s, d=draft: [store.SignedDraft(d)])
        before = ledger.states()
    db = sqlite3.connect(path)
    db.execute("DELETE FROM stage_state")
    db.commit()
    db.close()
    with store.open_ledger(path) as ledger:
        assert ledger.states() == {}
        assert ledger.replay() == before
        assert ledger.states()[("X-001", "network")].status.value == "done"


def test_parallel_verification_reports_what_the_serial_one_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ledger.sqlite"
    key = make_key(tmp_path, "lead")
    public = sshsig.read_public_key_of(key)
    person = roster_rules.Person(
        "lead",
        "lead",
        (roster_rules.RoleGrant(roster_rules.Role.PROGRAMME_OFFICE),),
        (roster_rules.Key(public.openssh, public.fingerprint),),
    )
    roster = roster_rules.Roster((person,))
    private = sshsig.load_ed25519_private_key(key)
    assert private is not None
    drafts = [
        store.SignedDraft(
            Draft(kind=EntryKind.GATE_OVERRIDE, actor="lead", system=f"S-{n}", stage="data", payload={"gate": "g"}),
            public.fingerprint,
            lambda m: sshsig.sign_ed25519(private, m),
        )
        for n in range(40)
    ]
    with store.open_ledger(path) as ledger:
        ledger.append(lambda _s: drafts)
        ledger.append(lambda _s: [store.SignedDraft(_draft(1))])
    db = sqlite3.connect(path)
    db.execute("DROP TRIGGER entries_no_update")
    (signature,) = db.execute("SELECT signature FROM entries WHERE seq = 7").fetchone()
    db.execute("UPDATE entries SET signature = ? WHERE seq = 30", (signature,))  # a signature moved to another entry
    db.execute("""UPDATE entries SET payload = '{"gate": "other"}' WHERE seq = 12""")  # and an entry edited
    db.commit()
    db.close()
    monkeypatch.setattr(verification, "PARALLEL_FROM", 10)
    with store.open_ledger(path) as ledger:
        serial = verification.verify_ledger(ledger, roster, OrchestrationSettings(), workers=1)
        parallel = verification.verify_ledger(ledger, roster, OrchestrationSettings(), workers=2)
    assert serial == parallel
    assert serial.chain_break is not None
    assert (serial.chain_break.seq, serial.chain_break.kind) == (12, BreakKind.EDITED)
    assert [p.split(" ")[1] for p in serial.signature_problems] == ["30"]
    assert serial.unsigned_runs == (41,)


def test_the_states_a_writer_sees_are_read_lazily_and_complete(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    with store.open_ledger(path) as ledger:
        for system in ("A-001", "B-001"):
            draft = Draft(
                kind=EntryKind.STAGE_TRANSITION, actor="a", system=system, stage="data", payload={"to": "in_progress"}
            )
            ledger.append(lambda _s, d=draft: [store.SignedDraft(d)])
        seen: dict[str, object] = {}

        def decide(states: dict[tuple[str, str], object]) -> list[store.SignedDraft]:
            seen["one"] = states.get(("A-001", "data"))
            seen["missing"] = ("C-001", "data") in states
            seen["all"] = sorted(states)
            return [store.SignedDraft(_draft(1))]

        ledger.append(decide)
    assert getattr(seen["one"], "status").value == "in_progress"
    assert seen["missing"] is False
    assert seen["all"] == [("A-001", "data"), ("B-001", "data")]
