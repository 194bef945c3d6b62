"""Which commit made each change, and the whole audit of a revision range. Pure.

An auditor reviewing ``BASE..TARGET`` needs, for every change, the commit that made it: its hash, author,
date, message and whether it was signed. The edge diffs each commit of the range against its parent (the
snapshots of census and plans it loads); :func:`attribute` then gives each change of the whole range the last
commit that changed the same field of the same record, so a value edited twice is attributed to the edit
that left it as it is. Uncommitted edits are attributed to :data:`WORKING_TREE`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from govcloud.audit.core import diff, plan_diff
from govcloud.core import model
from govcloud.core.settings import DEFAULT_SETTINGS, Settings

SIGNATURE_STATUS = {
    "G": "good signature",
    "B": "bad signature",
    "U": "good signature, signer of unknown validity",
    "X": "good signature, expired",
    "Y": "good signature, expired key",
    "R": "good signature, revoked key",
    "E": "signature cannot be checked (key not known)",
    "N": "unsigned",
}
"""The letters of ``git log --format=%G?``."""


@dataclasses.dataclass(frozen=True)
class Commit:
    hash: str
    author: str
    email: str
    date: str
    """Author date, ISO 8601."""
    message: str
    """The subject line."""
    signature: str
    """``%G?``: G, B, U, X, Y, R, E or N (``-`` for the working tree)."""

    @property
    def short(self) -> str:
        return self.hash[:10] if self.hash else "working tree"

    @property
    def signature_status(self) -> str:
        return SIGNATURE_STATUS.get(self.signature, "not a commit")

    def to_json(self) -> dict[str, str]:
        return {
            "hash": self.hash,
            "author": self.author,
            "email": self.email,
            "date": self.date,
            "message": self.message,
            "signature": self.signature,
            "signature_status": self.signature_status,
        }


WORKING_TREE = Commit("", "", "", "", "uncommitted changes in the working tree", "-")
UNATTRIBUTED = Commit("", "", "", "", "no single commit of the range made it (made by a merge)", "-")


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """The census and the plan files at one revision (plans: code → parsed file)."""

    inventory: model.Inventory
    plans: Mapping[str, Any]
    department_plans: Mapping[str, Any]


@dataclasses.dataclass(frozen=True)
class Attributed:
    change: diff.Change
    commit: Commit

    def to_json(self) -> dict[str, Any]:
        c = self.change
        return {
            "record": c.record,
            "key": c.key,
            "kind": c.kind.value,
            "field": c.field,
            "old": c.old,
            "new": c.new,
            "risk": c.risk.label,
            "why": c.why,
            "commit": self.commit.to_json(),
        }


def diff_snapshots(
    before: Snapshot,
    after: Snapshot,
    *,
    settings: Settings = DEFAULT_SETTINGS,
    ledger: plan_diff.LedgerHistory | None = None,
) -> list[diff.Change]:
    """Every change of census and plans from ``before`` to ``after``, highest risk first."""
    changes = diff.diff_inventories(
        before.inventory,
        after.inventory,
        settings=settings,
        # a system retired together with its plan file is judged by the plan it had
        decommissions={**plan_diff.decommission_statuses(before.plans), **plan_diff.decommission_statuses(after.plans)}
        if after.plans or before.plans
        else None,
    )
    changes += plan_diff.diff_plans(before.plans, after.plans, ledger=ledger)
    changes += plan_diff.diff_department_plans(before.department_plans, after.department_plans)
    return sorted(changes, key=lambda c: (-c.risk, c.record, c.key, c.field))


def attribute(
    changes: Sequence[diff.Change], steps: Sequence[tuple[Commit, Sequence[diff.Change]]]
) -> list[Attributed]:
    """Each change with the last commit of ``steps`` (in order) that changed the same field of the same record.

    A record removed and added again shows as field changes over the range but as removal and addition in its
    commits: such a change falls back to the last commit that touched the record at all.
    """
    by_field: dict[tuple[str, str, str], Commit] = {}
    by_record: dict[tuple[str, str], Commit] = {}
    for commit, made in steps:
        for change in made:
            by_field[(change.record, change.key, change.field)] = commit
            by_record[(change.record, change.key)] = commit
    attributed = []
    for change in changes:
        found = by_field.get((change.record, change.key, change.field)) or by_record.get((change.record, change.key))
        attributed.append(Attributed(change, found or UNATTRIBUTED))
    return attributed
