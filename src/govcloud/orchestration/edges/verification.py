"""``govcloud ledger verify``: the chain, every signature, every signer's role at the entry's time. Edge.

Signatures of ed25519 keys are checked in-process (:mod:`govcloud.orchestration.edges.sshsig`); other key
types through ``ssh-keygen -Y verify`` against an allowed-signers file generated from the roster.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as dt
import multiprocessing
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from govcloud.core.settings import OrchestrationSettings
from govcloud.orchestration.core import entries as entry_rules
from govcloud.orchestration.core import roster as roster_rules
from govcloud.orchestration.core import transitions
from govcloud.orchestration.edges import people_file, sshsig, store


@dataclasses.dataclass(frozen=True)
class VerifyReport:
    entries: int
    head: str
    chain_break: entry_rules.ChainBreak | None
    signature_problems: tuple[str, ...]
    unsigned_runs: tuple[int, ...]
    signed: int

    @property
    def ok(self) -> bool:
        return self.chain_break is None and not self.signature_problems

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "head": self.head,
            "chain_break": None
            if self.chain_break is None
            else {
                "seq": self.chain_break.seq,
                "kind": self.chain_break.kind.value,
                "message": self.chain_break.message,
            },
            "signature_problems": list(self.signature_problems),
            "unsigned_runs": list(self.unsigned_runs),
            "signed": self.signed,
        }


PARALLEL_FROM = 20_000
"""From this many entries the signatures are checked by one process per CPU (ed25519 verification is the cost)."""


def verify_ledger(
    ledger: store.Ledger,
    roster: roster_rules.Roster,
    settings: OrchestrationSettings,
    *,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> VerifyReport:
    """Recompute the chain from the first entry, then check every entry's signature and signer's role.

    Large ledgers are checked by ``workers`` processes (default: one per CPU), each reading its own range of
    entries from the file; the chain itself is walked once, in order, here.
    """
    count = workers if workers is not None else (os.cpu_count() or 1)
    total = ledger.count()
    if total >= PARALLEL_FROM and count > 1:
        # workers read, hash and check their own ranges; here only the links are walked, in order
        links = ledger.links()
        bounds = [links[i * total // count][0] for i in range(count)] + [links[-1][0] + 1]
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
            futures = [
                pool.submit(_check_range, str(ledger.path), bounds[i], bounds[i + 1], roster, settings)
                for i in range(count)
            ]
            parts = [f.result() for f in futures]
        edited = {seq for part in parts for seq in part[2]}
        chain = [entry_rules.Link(seq, prev, digest, seq not in edited) for seq, prev, digest in links]
        unsigned_other = sum(part[3] for part in parts)
    else:
        all_entries = [store._row_to_entry(row) for row in ledger.iter_rows()]
        chain = [entry_rules.link_of(e) for e in all_entries]
        problems, unsigned_runs = _check_entries(all_entries, roster, settings, progress)
        parts = [(problems, unsigned_runs, [], _unsigned_other(all_entries))]
        unsigned_other = parts[0][3]
    chain_break = entry_rules.verify_links(chain, last_seq_issued=ledger.last_seq_issued())
    problems = [p for part in parts for p in part[0]]
    unsigned = [s for part in parts for s in part[1]]
    if progress is not None:
        progress(total, total)
    head = chain[-1].hash if chain else entry_rules.GENESIS
    return VerifyReport(
        total, head, chain_break, tuple(problems), tuple(unsigned), total - len(unsigned) - unsigned_other
    )


def _unsigned_other(entries: Sequence[entry_rules.Entry]) -> int:
    return sum(1 for e in entries if e.signature is None and e.kind not in entry_rules.RUN_KINDS)


def _check_range(
    path: str, first: int, stop: int, roster: roster_rules.Roster, settings: OrchestrationSettings
) -> tuple[list[str], list[int], list[int], int]:
    """In a worker: check ``first <= seq < stop``: (problems, unsigned runs, edited seqs, other unsigned)."""
    with store.open_ledger(Path(path), create=False) as ledger:
        chosen = [store._row_to_entry(row) for row in ledger.iter_rows(first=first, stop=stop)]
    edited = [e.seq for e in chosen if not entry_rules.link_of(e).content_ok]
    problems, unsigned = _check_entries(chosen, roster, settings, None)
    return problems, unsigned, edited, _unsigned_other(chosen)


def _check_entries(
    entries: Sequence[entry_rules.Entry],
    roster: roster_rules.Roster,
    settings: OrchestrationSettings,
    progress: Callable[[int, int], None] | None,
) -> tuple[list[str], list[int]]:
    problems: list[str] = []
    unsigned: list[int] = []
    fallback: list[entry_rules.Entry] = []
    by_fingerprint = roster.by_fingerprint
    for index, entry in enumerate(entries):
        if progress is not None and index % 10000 == 0:
            progress(index, len(entries))
        problem = _check_entry(entry, by_fingerprint, settings, unsigned, fallback)
        if problem is not None:
            problems.append(problem)
    problems += _check_with_ssh_keygen(fallback, roster)
    return problems, unsigned


def _check_entry(
    entry: entry_rules.Entry,
    by_fingerprint: dict[str, roster_rules.Person] | Any,
    settings: OrchestrationSettings,
    unsigned: list[int],
    fallback: list[entry_rules.Entry],
) -> str | None:
    where = f"entry {entry.seq} ({entry.kind}{' ' + entry.system if entry.system else ''})"
    if entry.signature is None:
        if entry.kind in entry_rules.RUN_KINDS:
            unsigned.append(entry.seq)
            return None
        return f"{where} is not signed"
    person = by_fingerprint.get(entry.signer or "")
    if person is None:
        return f"{where}: signed with key {entry.signer}, which is not in the roster"
    if entry.actor is not None and entry.actor != person.id:
        return f"{where}: recorded as {entry.actor} but signed with {person.id}'s key"
    try:
        parsed = sshsig.parse_signature(entry.signature)
    except sshsig.SignatureError as exc:
        return f"{where}: {exc}"
    if parsed.public_key.fingerprint != entry.signer:
        return (
            f"{where}: the signature was made by key {parsed.public_key.fingerprint}, not the recorded {entry.signer}"
        )
    if parsed.public_key.key_type == "ssh-ed25519":
        if not sshsig.verify_ed25519(parsed, entry_rules.signed_message(entry.hash)):
            return f"{where}: the signature does not match the entry (bad signature by {person.id})"
    else:
        fallback.append(entry)
    on = dt.date.fromisoformat(entry.time[:10])
    needs = transitions.needs_of_entry(entry.kind, entry.department, entry.payload, settings)
    missing = [n for n in needs if not person.holds(n.role, n.department, on)]
    if missing:
        return f"{where}: {person.id} did not hold {', '.join(n.describe() for n in missing)} on {on}"
    return None


def _check_with_ssh_keygen(entries: Sequence[entry_rules.Entry], roster: roster_rules.Roster) -> list[str]:
    if not entries:
        return []
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="govcloud-signers-") as tmp:
        signers = Path(tmp) / "allowed_signers"
        signers.write_text(sshsig.allowed_signers_text(people_file.allowed_signers(roster)), encoding="utf-8")
        for entry in entries:
            person = roster.by_fingerprint[entry.signer or ""]
            ok = sshsig.verify_with_ssh_keygen(
                allowed_signers=signers,
                principal=person.id,
                signature=entry.signature or "",
                message=entry_rules.signed_message(entry.hash),
            )
            if not ok:
                problems.append(f"entry {entry.seq} ({entry.kind}): ssh-keygen -Y verify rejects the signature")
    return problems
