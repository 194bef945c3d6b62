"""Ledger entries, their canonical JSON and the hash chain that makes the ledger tamper-evident. Pure.

Each entry stores ``prev_hash`` (the previous entry's hash; 64 zeros for the first) and ``hash`` =
SHA-256 of ``prev_hash``, a newline and the entry's canonical JSON (``sort_keys``, ``ensure_ascii=False``,
compact separators). The signature is made over ``hash``, so it binds the entry to its place in the chain:
rewriting history means re-signing every later entry, which needs every later actor's key.

The sequence number is the row's position, not part of the hashed body: order is what the chain proves.
:func:`verify_chain` walks the entries in sequence order and names the first that was edited, deleted,
inserted or reordered.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

GENESIS = "0" * 64
"""The ``prev_hash`` of the first entry."""


class EntryKind(enum.StrEnum):
    """What an entry records."""

    STAGE_TRANSITION = "stage.transition"
    STAGE_SIGNOFF = "stage.signoff"
    GATE_OVERRIDE = "gate.override"
    RUN_NETWORK = "run.network"
    RUN_RENDER = "run.render"
    RUN_PULUMI = "run.pulumi"
    CENSUS_IMPORT = "census.import"
    DISPOSITION_CONFIRM = "disposition.confirm"
    LEDGER_ADOPT = "ledger.adopt"
    SHARE_REQUEST = "share.request"
    SHARE_ANSWER = "share.answer"
    SHARE_EXTEND = "share.extend"
    SHARE_DELIVER = "share.deliver"
    SHARE_SUSPEND = "share.suspend"
    SHARE_RESUME = "share.resume"
    SHARE_DISPUTE = "share.dispute"
    PROJECTION_REPAIR = "projection.repair"
    """Not a ledger entry: the kind of a note a repair reports (kept here so the vocabulary is in one place)."""


SHARE_KINDS = frozenset(
    {
        EntryKind.SHARE_REQUEST,
        EntryKind.SHARE_ANSWER,
        EntryKind.SHARE_EXTEND,
        EntryKind.SHARE_DELIVER,
        EntryKind.SHARE_SUSPEND,
        EntryKind.SHARE_RESUME,
        EntryKind.SHARE_DISPUTE,
    }
)
"""A sharing request's steps (``govcloud share ...``): ``department`` is the department whose head signs."""

RUN_KINDS = frozenset({EntryKind.RUN_NETWORK, EntryKind.RUN_RENDER, EntryKind.RUN_PULUMI, EntryKind.CENSUS_IMPORT})
"""Kinds that record evidence of a run: they may be unsigned (shown as such by verify)."""


@dataclasses.dataclass(frozen=True)
class Evidence:
    """A file attached to an entry by its SHA-256 (the file itself stays where it is)."""

    name: str
    sha256: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "sha256": self.sha256}


@dataclasses.dataclass(frozen=True)
class Draft:
    """An entry as an actor proposes it, before the ledger gives it a time, a place in the chain and a hash."""

    kind: EntryKind
    actor: str | None
    payload: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    system: str | None = None
    department: str | None = None
    stage: str | None = None
    evidence: tuple[Evidence, ...] = ()
    inventory_revision: str | None = None


@dataclasses.dataclass(frozen=True)
class Entry:
    """One row of the ledger."""

    seq: int
    time: str
    """UTC, ISO 8601 with microseconds and ``Z``."""
    kind: str
    actor: str | None
    system: str | None
    department: str | None
    stage: str | None
    payload: Mapping[str, Any]
    evidence: tuple[Evidence, ...]
    inventory_revision: str | None
    signer: str | None
    """Fingerprint (``SHA256:...``) of the key that signed the entry; None for an unsigned run record."""
    prev_hash: str
    hash: str
    signature: str | None

    def body(self) -> dict[str, Any]:
        return body_of(
            time=self.time,
            kind=self.kind,
            actor=self.actor,
            system=self.system,
            department=self.department,
            stage=self.stage,
            payload=self.payload,
            evidence=self.evidence,
            inventory_revision=self.inventory_revision,
            signer=self.signer,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            **self.body(),
            "prev_hash": self.prev_hash,
            "hash": self.hash,
            "signature": self.signature,
        }


def body_of(
    *,
    time: str,
    kind: str,
    actor: str | None,
    system: str | None,
    department: str | None,
    stage: str | None,
    payload: Mapping[str, Any],
    evidence: Sequence[Evidence],
    inventory_revision: str | None,
    signer: str | None,
) -> dict[str, Any]:
    """The hashed part of an entry, as plain JSON data."""
    return {
        "time": time,
        "kind": kind,
        "actor": actor,
        "system": system,
        "department": department,
        "stage": stage,
        "payload": dict(payload),
        "evidence": [e.to_json() for e in evidence],
        "inventory_revision": inventory_revision,
        "signer": signer,
    }


def canonical_json(value: Any) -> str:
    """The one serialisation hashes are made over: sorted keys, UTF-8 as is, no spaces."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def chain_hash(prev_hash: str, body: Mapping[str, Any]) -> str:
    """SHA-256 (hex) over the previous hash, a newline and the canonical JSON of ``body``."""
    return hashlib.sha256(f"{prev_hash}\n{canonical_json(body)}".encode()).hexdigest()


def signed_message(entry_hash: str) -> bytes:
    """What the actor's key signs: the entry's hash as ASCII hex."""
    return entry_hash.encode("ascii")


# ---------------------------------------------------------------------------------------------------------
# Verifying the chain


class BreakKind(enum.StrEnum):
    EDITED = "edited"
    DELETED = "deleted"
    INSERTED = "inserted"
    REORDERED = "reordered"


@dataclasses.dataclass(frozen=True)
class ChainBreak:
    """The first place the chain does not hold, and what most likely happened there."""

    seq: int
    kind: BreakKind
    message: str


@dataclasses.dataclass(frozen=True)
class Link:
    """An entry's place in the chain, and whether its content still hashes to its stored hash."""

    seq: int
    prev_hash: str
    hash: str
    content_ok: bool


def link_of(entry: Entry) -> Link:
    return Link(entry.seq, entry.prev_hash, entry.hash, chain_hash(entry.prev_hash, entry.body()) == entry.hash)


def verify_chain(entries: Sequence[Entry], *, last_seq_issued: int | None = None) -> ChainBreak | None:
    """The first entry (in sequence order) that was edited, deleted, inserted or reordered; None if intact.

    ``last_seq_issued`` is the highest sequence number the database ever handed out (SQLite's
    ``sqlite_sequence``): a larger number than the last entry's means entries were cut off the end.
    """
    return verify_links([link_of(e) for e in entries], last_seq_issued=last_seq_issued)


def verify_links(entries: Sequence[Link], *, last_seq_issued: int | None = None) -> ChainBreak | None:
    """:func:`verify_chain` on links whose content was checked elsewhere (e.g. by parallel workers)."""
    by_hash = {e.hash: e for e in entries}
    prev = GENESIS
    prev_seq = 0
    for index, entry in enumerate(entries):
        if not entry.content_ok:
            return ChainBreak(
                entry.seq, BreakKind.EDITED, f"entry {entry.seq} was edited: its content does not match its hash"
            )
        if entry.prev_hash != prev:
            follows = by_hash.get(entry.prev_hash)
            if follows is not None and follows.seq > entry.seq:
                return ChainBreak(
                    entry.seq,
                    BreakKind.REORDERED,
                    f"entry {entry.seq} is out of order: the chain puts it after entry {follows.seq}",
                )
            if follows is not None and index >= 1 and follows.seq < entries[index - 1].seq:
                inserted = entries[index - 1]
                if entry.prev_hash == inserted.prev_hash:
                    return ChainBreak(
                        inserted.seq,
                        BreakKind.INSERTED,
                        f"entry {inserted.seq} was inserted: entry {entry.seq} follows entry {follows.seq} "
                        "in the chain",
                    )
                return ChainBreak(
                    entry.seq,
                    BreakKind.REORDERED,
                    f"entry {entry.seq} is out of order: the chain puts it right after entry {follows.seq}",
                )
            if entry.prev_hash == GENESIS and index > 0:
                return ChainBreak(
                    entries[0].seq,
                    BreakKind.INSERTED,
                    f"entry {entries[0].seq} was inserted before the first entry: entry {entry.seq} starts the chain",
                )
            if entry.seq == prev_seq + 1 and index > 0:
                return ChainBreak(
                    prev_seq,
                    BreakKind.EDITED,
                    f"entry {prev_seq} was edited and re-hashed: entry {entry.seq} names a predecessor hash "
                    "that is not in the ledger",
                )
            return ChainBreak(
                entry.seq,
                BreakKind.DELETED,
                f"an entry before entry {entry.seq} was deleted: its predecessor in the chain is not in the ledger"
                + (f" (sequence numbers jump from {prev_seq} to {entry.seq})" if entry.seq != prev_seq + 1 else ""),
            )
        if entry.seq != prev_seq + 1:
            return ChainBreak(
                entry.seq,
                BreakKind.REORDERED,
                f"entry {entry.seq} was renumbered: the chain is intact but the sequence jumps from {prev_seq}",
            )
        prev = entry.hash
        prev_seq = entry.seq
    if last_seq_issued is not None and last_seq_issued > prev_seq:
        first = prev_seq + 1
        which = f"entry {first}" if first == last_seq_issued else f"entries {first}-{last_seq_issued}"
        return ChainBreak(first, BreakKind.DELETED, f"{which} (the end of the ledger) were deleted")
    return None
