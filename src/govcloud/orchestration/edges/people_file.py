"""The roster, ``inventory/people.yaml``: who takes part, their roles and SSH public keys. Edge (reads a file).

Hand-kept beside the generated census (``govcloud example`` writes none: a roster is real people and their
real keys, which a generator cannot make). Every problem is reported at once, as ``file:line: field:
message``, like the rest of the inventory. Format::

    people:
      - id: zhao.tao                    # the ledger's actor and the allowed-signers principal: ASCII
        name: 赵涛
        roles:
          - {role: migration_lead, departments: [MZJ, GAJ]}
          - {role: security_officer, valid_from: 2026-01-01, valid_until: 2027-12-31}
        keys:
          - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI... zhao.tao@mzj
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

from govcloud.edges import yamlio
from govcloud.errors import InputError, Problem
from govcloud.orchestration.core import roster as roster_rules
from govcloud.orchestration.edges import sshsig

PEOPLE_FILE = "people.yaml"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]*$")
_ROLE_FIELDS = frozenset({"role", "departments", "valid_from", "valid_until"})
_PERSON_FIELDS = frozenset({"id", "name", "roles", "keys"})


def people_path(inventory_dir: Path) -> Path:
    return inventory_dir / PEOPLE_FILE


def load_roster(
    inventory_dir: Path, *, departments: Collection[str] | None = None, required: bool = True
) -> roster_rules.Roster:
    """Read and check the roster; with ``departments``, a lead's departments must be among them.

    Without the file: an empty roster, or (``required``) a refusal that says how to write one.
    """
    path = people_path(inventory_dir)
    if not path.exists():
        if required:
            raise InputError(
                [
                    Problem(
                        str(path), None, "", "no roster: list the people, their roles and SSH keys here (see README)"
                    )
                ],
                "no roster",
            )
        return roster_rules.EMPTY_ROSTER
    text = path.read_text(encoding="utf-8")
    try:
        data = yamlio.read_fast(text)
    except yamlio.YamlSyntaxError as exc:
        raise InputError([Problem(str(path), exc.line, "", str(exc))], "the roster has problems") from None
    reader = _Reader(str(path), text, departments)
    people = reader.read(data)
    if reader.problems:
        raise InputError(reader.problems, "the roster has problems")
    return roster_rules.Roster(tuple(people))


class _Reader:
    def __init__(self, display: str, text: str, departments: Collection[str] | None) -> None:
        self.display = display
        self.text = text
        self.departments = departments
        self.problems: list[Problem] = []

    def problem(self, where: tuple[str | int, ...], message: str) -> None:
        self.problems.append(
            Problem(self.display, yamlio.line_of(self.text, where), ".".join(str(p) for p in where), message)
        )

    def read(self, data: Any) -> list[roster_rules.Person]:
        if not isinstance(data, dict) or not isinstance(data.get("people"), list):
            self.problem((), "the roster is a mapping with people: a list of people")
            return []
        for key in sorted(set(data) - {"people"}, key=str):
            self.problem((str(key),), f"unknown key {key!r}: the roster holds only people")
        people: list[roster_rules.Person] = []
        seen_ids: dict[str, int] = {}
        seen_keys: dict[str, str] = {}
        for index, raw in enumerate(data["people"]):
            person = self.person(raw, ("people", index))
            if person is None:
                continue
            if person.id in seen_ids:
                self.problem(
                    ("people", index, "id"), f"{person.id} is listed twice (also person {seen_ids[person.id]})"
                )
            seen_ids[person.id] = index
            for k, key in enumerate(person.keys):
                owner = seen_keys.get(key.fingerprint)
                if owner is not None and owner != person.id:
                    self.problem(
                        ("people", index, "keys", k), f"key {key.fingerprint} is also {owner}'s: one key, one person"
                    )
                seen_keys[key.fingerprint] = person.id
            people.append(person)
        return people

    def person(self, raw: Any, where: tuple[str | int, ...]) -> roster_rules.Person | None:
        if not isinstance(raw, dict):
            self.problem(where, "a person is a mapping with id, name, roles, keys")
            return None
        for key in sorted(set(raw) - _PERSON_FIELDS, key=str):
            self.problem((*where, str(key)), f"unknown key {key!r}: a person has {', '.join(sorted(_PERSON_FIELDS))}")
        person_id = raw.get("id")
        if not isinstance(person_id, str) or not _ID.match(person_id):
            self.problem(
                (*where, "id"), f"id {person_id!r} must be ASCII letters, digits and . _ @ - (it names the signer)"
            )
            return None
        name = raw.get("name", person_id)
        roles = [self.role(r, (*where, "roles", i)) for i, r in enumerate(_list(raw.get("roles")))]
        if not isinstance(raw.get("roles"), list) or not raw["roles"]:
            self.problem((*where, "roles"), "a person needs at least one role")
        keys: list[roster_rules.Key] = []
        raw_keys = raw.get("keys")
        if not isinstance(raw_keys, list) or not raw_keys:
            self.problem((*where, "keys"), "a person needs at least one SSH public key (keys: [ssh-ed25519 AAAA...])")
        for i, text in enumerate(_list(raw_keys)):
            try:
                key = sshsig.parse_public_key(str(text))
            except sshsig.SignatureError as exc:
                self.problem((*where, "keys", i), str(exc))
                continue
            keys.append(roster_rules.Key(openssh=key.openssh, fingerprint=key.fingerprint))
        return roster_rules.Person(
            id=person_id, name=str(name), roles=tuple(r for r in roles if r is not None), keys=tuple(keys)
        )

    def role(self, raw: Any, where: tuple[str | int, ...]) -> roster_rules.RoleGrant | None:
        if isinstance(raw, str):
            raw = {"role": raw}
        if not isinstance(raw, dict):
            self.problem(where, "a role is a name or {role: ..., departments: [...]}")
            return None
        for key in sorted(set(raw) - _ROLE_FIELDS, key=str):
            self.problem((*where, str(key)), f"unknown key {key!r}: a role has {', '.join(sorted(_ROLE_FIELDS))}")
        try:
            role = roster_rules.Role(str(raw.get("role")))
        except ValueError:
            allowed = ", ".join(r.value for r in roster_rules.Role)
            self.problem((*where, "role"), f"unknown role {raw.get('role')!r}: one of {allowed}")
            return None
        departments = tuple(str(d) for d in _list(raw.get("departments")))
        if role in roster_rules.SCOPED_ROLES and not departments:
            self.problem(where, f"{role.value} needs departments: [CODE, ...]")
        if role not in roster_rules.SCOPED_ROLES and departments:
            self.problem((*where, "departments"), f"{role.value} holds for the whole programme: no departments")
        if self.departments is not None:
            for i, code in enumerate(departments):
                if code not in self.departments:
                    self.problem((*where, "departments", i), f"unknown department {code!r}: not in the inventory")
        valid_from = self.date(raw.get("valid_from"), (*where, "valid_from"))
        valid_until = self.date(raw.get("valid_until"), (*where, "valid_until"))
        if valid_from and valid_until and valid_until < valid_from:
            self.problem((*where, "valid_until"), f"role ends {valid_until} before it starts {valid_from}")
        return roster_rules.RoleGrant(role, departments, valid_from, valid_until)

    def date(self, value: Any, where: tuple[str | int, ...]) -> dt.date | None:
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        self.problem(where, f"expected a date (YYYY-MM-DD), got {value!r}")
        return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def allowed_signers(roster: roster_rules.Roster) -> list[sshsig.AllowedSigner]:
    """The roster as allowed signers for ``ssh-keygen -Y verify`` (principal = person id)."""
    return [
        sshsig.AllowedSigner(principal=person.id, key=sshsig.parse_public_key(key.openssh))
        for person in roster.people
        for key in person.keys
    ]
