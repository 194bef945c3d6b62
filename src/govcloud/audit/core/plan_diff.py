"""What changed in the plan files between two revisions, and what each change risks. Pure.

The plan files (``migrations_plan/<SYSTEM>.yaml`` and ``migrations_plan/departments/<DEPT>.yaml``) drive the
firewalls and the cluster: a stage set to ``done`` opens the system's flows, a disposition decides whether it
moves or goes. So their changes are graded like the census's:

- a stage status set by hand: ``done`` without a ledger entry is high (it opens flows nobody signed off);
  with the migration ledger given, any status change that no ledger entry accounts for is flagged high, and one
  the ledger accounts for is low (``govcloud advance`` wrote it);
- a disposition, a plan's kind or a merge target changed, a gate removed: high;
- waves and dates: medium (they move the work and its freeze); the owner: medium (who answers for it);
- callers added: medium (new departments reach the system once the business stage is reached), removed: low;
- a 业务专网 marked retired (its decommission ``done``) by hand: high; notes and steps: low.

The input is plain data (each file parsed), keyed by the system or department code.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from govcloud.audit.core.diff import Change, ChangeKind, Risk

PLAN = "plan"
DEPARTMENT_PLAN = "department_plan"
_SKIPPED = {"generated"}
"""Fingerprints govcloud writes for itself: a change there is not a change of the plan."""


@dataclasses.dataclass(frozen=True)
class LedgerHistory:
    """Every plan status the ledger has required of a stage: (system, stage) → {status: first entry seq}."""

    statuses: Mapping[tuple[str, str], Mapping[str, int]]

    def accounts_for(self, system: str, stage: str, status: str) -> int | None:
        """The seq of a ledger entry after which the plan file had to hold ``status``, if any."""
        return self.statuses.get((system, stage), {}).get(status)


def diff_plans(
    before: Mapping[str, Any], after: Mapping[str, Any], *, ledger: LedgerHistory | None = None
) -> list[Change]:
    """Changes of the system plan files (code → parsed plan), highest risk first."""
    changes: list[Change] = []
    for code in sorted(before.keys() - after.keys()):
        changes.append(
            Change(PLAN, code, ChangeKind.REMOVED, "", _disposition(before[code]), "", Risk.HIGH, _removed_why())
        )
    for code in sorted(after.keys() - before.keys()):
        risk, why = _added_plan(after[code], ledger, code)
        changes.append(Change(PLAN, code, ChangeKind.ADDED, "", "", _disposition(after[code]), risk, why))
    for code in sorted(before.keys() & after.keys()):
        old, new = _atoms(before[code]), _atoms(after[code])
        for field in sorted(old.keys() | new.keys()):
            if old.get(field) == new.get(field):
                continue
            risk, why = _plan_field_risk(code, field, old.get(field), new.get(field), ledger)
            changes.append(
                Change(PLAN, code, ChangeKind.CHANGED, field, _show(old.get(field)), _show(new.get(field)), risk, why)
            )
    return sorted(changes, key=lambda c: (-c.risk, c.record, c.key, c.field))


def diff_department_plans(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
    """Changes of the department plan files (department code → parsed plan), highest risk first."""
    changes: list[Change] = []
    for code in sorted(before.keys() - after.keys()):
        why = "a department plan was deleted: its 业务专网 decommissions are no longer tracked"
        changes.append(Change(DEPARTMENT_PLAN, code, ChangeKind.REMOVED, "", "", "", Risk.MEDIUM, why))
    for code in sorted(after.keys() - before.keys()):
        why = "a new department plan (业务专网 decommissions)"
        changes.append(Change(DEPARTMENT_PLAN, code, ChangeKind.ADDED, "", "", "", Risk.LOW, why))
    for code in sorted(before.keys() & after.keys()):
        old, new = _department_atoms(before[code]), _department_atoms(after[code])
        for field in sorted(old.keys() | new.keys()):
            if old.get(field) == new.get(field):
                continue
            risk, why = _department_field_risk(field, old.get(field), new.get(field))
            changes.append(
                Change(
                    DEPARTMENT_PLAN,
                    code,
                    ChangeKind.CHANGED,
                    field,
                    _show(old.get(field)),
                    _show(new.get(field)),
                    risk,
                    why,
                )
            )
    return sorted(changes, key=lambda c: (-c.risk, c.record, c.key, c.field))


def decommission_statuses(plans: Mapping[str, Any]) -> dict[str, str]:
    """System code → the status of its decommission plan, for the plans that have one."""
    found: dict[str, str] = {}
    for code, data in plans.items():
        block = data.get("decommission") if isinstance(data, dict) else None
        if isinstance(block, dict):
            found[code] = str(block.get("status", "pending"))
    return found


# ---------------------------------------------------------------------------------------------------------
# Flattening: one atom per field, stages and private networks keyed by name


def _atoms(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        return {"<unreadable>": _show(data)}
    atoms: dict[str, Any] = {}
    for raw_key, value in data.items():
        key = str(raw_key)
        if key in _SKIPPED:
            continue
        if key == "stages" and isinstance(value, list):
            for index, stage in enumerate(value):
                name = str(stage.get("stage", index)) if isinstance(stage, dict) else str(index)
                for field, item in stage.items() if isinstance(stage, dict) else [("", stage)]:
                    if field != "stage":
                        atoms[f"stages.{name}.{field}"] = item
        elif isinstance(value, dict):  # owner, decommission: one atom per field
            for field, item in value.items():
                atoms[f"{key}.{field}"] = item
        else:
            atoms[key] = value
    return atoms


def _department_atoms(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        return {"<unreadable>": _show(data)}
    atoms: dict[str, Any] = {}
    for raw_key, value in data.items():
        key = str(raw_key)
        if key in _SKIPPED:
            continue
        if key == "private_networks" and isinstance(value, list):
            for network in value:
                if not isinstance(network, dict):
                    continue
                code = str(network.get("code", "?"))
                for field, item in network.items():
                    if field == "code":
                        continue
                    if field == "decommission" and isinstance(item, dict):
                        for part, v in item.items():
                            atoms[f"private_networks.{code}.decommission.{part}"] = v
                    elif field == "systems" and isinstance(item, list):
                        for member in item:
                            if isinstance(member, dict):
                                system = str(member.get("system", "?"))
                                for part, v in member.items():
                                    if part != "system":
                                        atoms[f"private_networks.{code}.systems.{system}.{part}"] = v
                    else:
                        atoms[f"private_networks.{code}.{field}"] = item
        else:
            atoms[key] = value
    return atoms


# ---------------------------------------------------------------------------------------------------------
# Grading


def _removed_why() -> str:
    return "a plan file was deleted: the system's stages, flows and cluster objects are no longer driven by a plan"


def _added_plan(data: Any, ledger: LedgerHistory | None, code: str) -> tuple[Risk, str]:
    atoms = _atoms(data)
    unbacked = []
    for field, value in atoms.items():
        parts = field.split(".")
        moved = len(parts) == 3 and parts[0] == "stages" and parts[2] == "status" and value not in (None, "pending")
        if moved and (ledger is None or ledger.accounts_for(code, parts[1], str(value)) is None):
            unbacked.append(f"{parts[1]} {value}")
    if unbacked:
        return Risk.HIGH, "a new plan file starts with stages already moved, by no ledger entry: " + ", ".join(unbacked)
    return Risk.LOW, "a new plan file (from govcloud plan --write)"


def _plan_field_risk(code: str, field: str, old: Any, new: Any, ledger: LedgerHistory | None) -> tuple[Risk, str]:
    parts = field.split(".")
    if parts[0] == "stages" and len(parts) == 3:
        stage, part = parts[1], parts[2]
        if part == "status":
            return _status_risk(code, stage, old, new, ledger)
        if part in {"entry_gates", "exit_gates"}:
            return _gates_risk(f"{stage} {part.replace('_', ' ')}", old, new)
        if part == "callers":
            added = sorted(set(_strings(new)) - set(_strings(old)))
            removed = sorted(set(_strings(old)) - set(_strings(new)))
            if added:
                return Risk.MEDIUM, "new caller departments reach it once the business stage is reached: " + ", ".join(
                    added
                )
            return Risk.LOW, "caller departments removed: " + (", ".join(removed) or "none")
        if part in {"target_start", "target_end"}:
            return Risk.MEDIUM, f"the {stage} stage's dates moved: late/planned figures and the freeze follow"
        if part in {"steps", "cutover", "rollback"}:
            return Risk.MEDIUM if part == "rollback" else Risk.LOW, f"the {stage} stage's {part} changed"
        return Risk.LOW, "notes and labels"
    if parts[0] == "decommission" and len(parts) == 2:
        part = parts[1]
        if part == "status":
            if new == "done":
                return Risk.HIGH, "decommission marked done in the plan file: the system counts as retired"
            return Risk.MEDIUM, f"decommission status changed from {old} to {new}"
        if part == "entry_gates":
            return _gates_risk("decommission entry gates", old, new)
        if part == "dependents":
            return Risk.HIGH, "who is repointed or dropped when the system goes changed"
        if part == "data":
            return Risk.HIGH, "what happens to the system's data when it goes changed"
        if part == "target_date":
            return Risk.MEDIUM, "the decommission date moved"
        return Risk.LOW, "notes and steps"
    if field == "disposition":
        return (
            Risk.HIGH,
            f"disposition changed in the plan file from {old} to {new}: it decides whether the system moves",
        )
    if field in {"kind", "merge_into", "leaves", "intranet_zone"}:
        return Risk.HIGH, f"{field} changed from {_show(old)} to {_show(new)}: what the plan provisions changes"
    if field in {"wave", "wave_start", "wave_end"}:
        return Risk.MEDIUM, f"{field} changed from {_show(old)} to {_show(new)}: the system moves with another wave"
    if parts[0] == "owner":
        return Risk.MEDIUM, "the owner who answers for the move changed"
    if field in {"system", "department"}:
        return Risk.HIGH, f"the plan now names {field} {_show(new)}: it drives another system's objects"
    return Risk.LOW, "notes and reasons"


def _status_risk(code: str, stage: str, old: Any, new: Any, ledger: LedgerHistory | None) -> tuple[Risk, str]:
    if ledger is not None:
        seq = ledger.accounts_for(code, stage, str(new))
        if seq is not None:
            return Risk.LOW, f"{stage} status {old} → {new}, as the ledger requires (entry {seq})"
        return (
            Risk.HIGH,
            f"{stage} status set from {old} to {new} with no ledger entry: edited by hand, not by govcloud advance",
        )
    if new == "done":
        return Risk.HIGH, f"{stage} stage marked done in the plan file: it opens the stage's flows (no ledger checked)"
    return Risk.MEDIUM, f"{stage} status changed from {old} to {new} (no ledger checked)"


def _gates_risk(what: str, old: Any, new: Any) -> tuple[Risk, str]:
    before, after = set(_canonical_items(old)), set(_canonical_items(new))
    removed = sorted(before - after)
    if removed:
        return Risk.HIGH, f"{what} removed: " + "; ".join(_gate_text(g) for g in removed)
    return Risk.LOW, f"{what} added: " + "; ".join(_gate_text(g) for g in sorted(after - before))


def _department_field_risk(field: str, old: Any, new: Any) -> tuple[Risk, str]:
    parts = field.split(".")
    if parts[0] == "private_networks" and len(parts) >= 3:
        network = parts[1]
        if parts[-1] == "status" and len(parts) == 5:
            system = parts[3]
            if new == "done":
                return Risk.HIGH, f"{system} marked as having left 业务专网 {network} by hand"
            return Risk.MEDIUM, f"{system}'s departure from {network} changed from {old} to {new}"
        if parts[2:] == ["decommission", "status"]:
            if new == "done":
                return Risk.HIGH, f"业务专网 {network} marked retired (decommission done) in the plan file"
            return Risk.MEDIUM, f"业务专网 {network} decommission status changed from {old} to {new}"
        if parts[2:] == ["decommission", "entry_gates"]:
            return _gates_risk(f"业务专网 {network} decommission entry gates", old, new)
        if parts[2:] == ["decommission", "target_date"]:
            return Risk.MEDIUM, f"业务专网 {network}'s decommission date moved"
        if parts[2] in {"ranges", "remaining"}:
            return Risk.MEDIUM, f"业务专网 {network}'s {parts[2]} changed"
        return Risk.LOW, "notes"
    return Risk.LOW, "notes"


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _canonical_items(value: Any) -> Iterator[str]:
    for item in value if isinstance(value, list) else ():
        yield json.dumps(item, sort_keys=True, ensure_ascii=False, default=str)


def _gate_text(canonical: str) -> str:
    data = json.loads(canonical)
    if not isinstance(data, dict):
        return str(data)
    return " ".join(str(data[k]) for k in ("gate", "system", "stage", "entries") if k in data)


def _disposition(data: Any) -> str:
    return str(data.get("disposition", "")) if isinstance(data, dict) else ""


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value) or "[]"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_show(v)}" for k, v in value.items())
    return str(value)


def statuses_from_history(events: Iterable[tuple[int, str, str, str]]) -> LedgerHistory:
    """A :class:`LedgerHistory` from (seq, system, stage, plan status) events in ledger order."""
    statuses: dict[tuple[str, str], dict[str, int]] = {}
    for seq, system, stage, status in events:
        statuses.setdefault((system, stage), {}).setdefault(status, seq)
    return LedgerHistory(statuses)
