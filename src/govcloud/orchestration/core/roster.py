"""People, their roles and keys, and who may write which ledger entry. Pure.

The roster is ``inventory/people.yaml`` (read by :mod:`govcloud.orchestration.edges.people_file`). A person
has an id (the ledger's ``actor`` and the allowed-signers principal, so ASCII), a display name, roles
(a migration lead leads given departments; the other roles are programme-wide), each optionally bounded by
dates, and the SSH public keys they sign with. Which role each entry needs is a setting
(:class:`govcloud.core.settings.OrchestrationSettings`), so a programme can change it without code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Iterable, Mapping

from govcloud.errors import RefusedError


class Role(enum.StrEnum):
    MIGRATION_LEAD = "migration_lead"
    SECURITY_OFFICER = "security_officer"
    OPS_ENGINEER = "ops_engineer"
    AUDITOR = "auditor"
    PROGRAMME_OFFICE = "programme_office"
    SHARING_HEAD = "sharing_head"
    """Head of a department's 政务数据共享工作机构 (政务数据共享条例 Art. 11): approves its requests and answers."""
    SHARING_AUTHORITY = "sharing_authority"
    """The 政务数据主管部门: consents to an answer's extension (Art. 21), hears disputes (Art. 28)."""


SCOPED_ROLES = frozenset({Role.MIGRATION_LEAD, Role.SHARING_HEAD})
"""Roles held for given departments; the others hold for the whole programme."""


@dataclasses.dataclass(frozen=True)
class RoleGrant:
    role: Role
    departments: tuple[str, ...] = ()
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    """Last day the role is held (inclusive)."""

    def covers(self, role: Role, department: str | None, on: dt.date) -> bool:
        if self.role is not role:
            return False
        if self.valid_from is not None and on < self.valid_from:
            return False
        if self.valid_until is not None and on > self.valid_until:
            return False
        return role not in SCOPED_ROLES or department is None or department in self.departments


@dataclasses.dataclass(frozen=True)
class Key:
    """A public key a person signs with, as written in the roster, and its SHA-256 fingerprint."""

    openssh: str
    fingerprint: str


@dataclasses.dataclass(frozen=True)
class Person:
    id: str
    name: str
    roles: tuple[RoleGrant, ...]
    keys: tuple[Key, ...]

    def holds(self, role: Role, department: str | None, on: dt.date) -> bool:
        return any(grant.covers(role, department, on) for grant in self.roles)

    def describe(self) -> str:
        return f"{self.id} ({self.name})" if self.name and self.name != self.id else self.id


@dataclasses.dataclass(frozen=True)
class Roster:
    people: tuple[Person, ...]

    @property
    def by_id(self) -> Mapping[str, Person]:
        return {p.id: p for p in self.people}

    @property
    def by_fingerprint(self) -> Mapping[str, Person]:
        return {k.fingerprint: p for p in self.people for k in p.keys}

    def holders(self, role: Role, department: str | None, on: dt.date) -> list[Person]:
        return [p for p in self.people if p.holds(role, department, on)]


EMPTY_ROSTER = Roster(())


@dataclasses.dataclass(frozen=True)
class Need:
    """A role an entry needs, and why (shown when it is missing)."""

    role: Role
    department: str | None
    why: str

    def describe(self) -> str:
        where = f" of {self.department}" if self.role in SCOPED_ROLES and self.department else ""
        return f"{self.role.value}{where} ({self.why})"


def identify(roster: Roster, *, fingerprint: str) -> Person:
    """The person a key belongs to; refuse a key the roster does not list."""
    person = roster.by_fingerprint.get(fingerprint)
    if person is None:
        raise RefusedError(f"key {fingerprint} is not in the roster (inventory/people.yaml): nothing written")
    return person


def authorize(roster: Roster, *, actor: str | None, fingerprint: str, needs: Iterable[Need], on: dt.date) -> Person:
    """The signer, if the key is theirs and they hold every needed role on ``on``; else a refusal naming all gaps."""
    person = identify(roster, fingerprint=fingerprint)
    if actor is not None and actor != person.id:
        known = roster.by_id.get(actor)
        if known is None:
            raise RefusedError(f"unknown person {actor!r}: not in the roster (inventory/people.yaml): nothing written")
        raise RefusedError(f"key {fingerprint} belongs to {person.id}, not {actor}: nothing written")
    missing = [need for need in needs if not person.holds(need.role, need.department, on)]
    if missing:
        lacks = "; ".join(need.describe() for need in missing)
        raise RefusedError(f"{person.describe()} lacks the role this needs: {lacks}: nothing written")
    return person
