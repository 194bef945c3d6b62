"""The three-way merge of a plan file on regeneration: generated values in, human edits kept. Pure.

A plan file records, per generated value (an *atom*: ``wave``, ``stages.data.target_end``, ...), the
fingerprint of what govcloud last wrote (its ``generated`` block: the merge base). On ``plan --write`` each
atom is decided from three values: what govcloud generates now, what the file holds, and the base.

* The file holds what is generated now: nothing to do.
* The file holds what govcloud last wrote (no human edit): take the new value.
* The file lacks the atom (a human deleted it, or it is new): take the new value.
* Otherwise a human changed it: keep the human's value, and report it when the generated value differs.
* An atom govcloud no longer generates is dropped only when the file still holds what govcloud wrote.

The rule is a function of plain values; :mod:`govcloud.planning.edges.plan_files` reads the file, computes
the atoms and applies the decision to the round-trip document (comments and order kept). Property tests
(``tests/test_plan_merge.py``) hold it to idempotence and to never overwriting a human edit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

_MISSING: Any = object()


@dataclasses.dataclass(frozen=True)
class KeptEdit:
    """An atom a human changed and the merge kept, with the value generated now (which differs)."""

    key: str
    mine: Any
    generated: Any


@dataclasses.dataclass(frozen=True)
class MergeDecision:
    """What to write into a plan file: atoms to set, atoms to drop, the new base, the edits kept."""

    to_set: Mapping[str, Any]
    to_drop: tuple[str, ...]
    new_base: Mapping[str, str]
    kept: tuple[KeptEdit, ...]
    base_changed: bool

    @property
    def changes_file(self) -> bool:
        """Whether the file must be rewritten (a value to set or drop, or a base to update)."""
        return bool(self.to_set or self.to_drop or self.base_changed)


def merge_atoms(
    *,
    generated: Mapping[str, Any],
    current: Mapping[str, Any],
    base: Mapping[str, str],
    fingerprint: Callable[[Any], str],
) -> MergeDecision:
    """Decide every atom of a plan file from the generated values, the file's values and the merge base."""
    new_base = {key: fingerprint(value) for key, value in generated.items()}
    to_set: dict[str, Any] = {}
    kept: list[KeptEdit] = []
    for key, value in generated.items():
        mine = current.get(key, _MISSING)
        if mine is _MISSING:
            to_set[key] = value
            continue
        mine_print = fingerprint(mine)
        if mine_print == new_base[key]:
            continue
        if base.get(key) == mine_print:
            to_set[key] = value
        else:
            kept.append(KeptEdit(key, mine, value))
    to_drop = tuple(
        key for key in current.keys() - generated.keys() if base.get(key) == fingerprint(current[key])
    )  # govcloud wrote it and no longer generates it
    return MergeDecision(to_set, to_drop, new_base, tuple(kept), dict(base) != new_base)
