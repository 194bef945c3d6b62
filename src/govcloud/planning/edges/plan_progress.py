"""The one reader of the plan files, ``migrations_plan/<CODE>.yaml``: strict for provisioning, lenient for reports.

Edge (reads files). Everything that provisions (``govcloud render``, both Pulumi programs, the policy pack's
inputs, the playbooks' inventory plugin and lookup, ``govcloud network``) reads plans only through
:func:`load_progress` (or :func:`load_tracking` with ``strict=True``), and that strict read *is* ``govcloud plan
--check``: every file parsed once, every rule of :mod:`govcloud.planning.core.plan_checks` (unknown keys with the
closest known one, values, systems and departments against the census) and the baseline
(``baseline.yaml``, :mod:`govcloud.planning.core.baseline`). Any problem raises one
:class:`~govcloud.errors.InputError` with every problem as ``file:line: field: message``, so nothing is
provisioned from a plan a person mistyped. Reports and gate advice read the same files leniently
(``strict=False``): they take what they can and ``plan --check`` reports the rest.

Line numbers are looked up only for the problems found (:func:`govcloud.edges.yamlio.line_of`), so a clean
province costs one fast parse per file plus the checks on plain data.

A plan file holds at least::

    system: MZJ-001
    stages:
      - stage: network          # network, data, business: in this order
        status: done            # pending, in_progress, done
      - stage: data
        status: in_progress
      - stage: business
        status: pending
        callers: [GAJ, RSJ]     # departments whose systems may call it once the business stage is reached
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, overload

from govcloud import collector
from govcloud.core import model
from govcloud.edges import yamlio
from govcloud.errors import InputError, Problem
from govcloud.planning.core import baseline as baselines
from govcloud.planning.core import plan_checks, plans, stages
from govcloud.planning.edges import baseline_file

REFUSAL = "the plan files fail `govcloud plan --check`: nothing is provisioned from them"


def plan_paths(plans_dir: Path) -> list[Path]:
    """The plan files of ``plans_dir``, sorted: every ``*.yaml`` except the baseline."""
    if not plans_dir.is_dir():
        return []
    return sorted(p for p in plans_dir.glob("*.yaml") if p.name != baseline_file.BASELINE_FILE)


@dataclasses.dataclass(frozen=True)
class PlanFile:
    """One plan file as read: its text and parsed data, or the problem that stopped reading it."""

    path: Path
    shown: str
    """The path as problems show it."""
    text: str
    data: Any
    unreadable: Problem | None = None


def read_plan_files(plans_dir: Path) -> list[PlanFile]:
    """Every plan file of ``plans_dir``, each parsed once (PyYAML's C parser)."""
    with collector.paused():
        return [read_plan_file(path) for path in plan_paths(plans_dir)]


def read_plan_text(path: Path) -> tuple[str, Problem | None]:
    """A plan file's text, or ``""`` and the problem when it is not UTF-8 (the one decoding rule for plan files)."""
    try:
        return path.read_text(encoding="utf-8"), None
    except UnicodeDecodeError as exc:
        shown = baseline_file.display(path)
        return "", Problem(shown, None, "", f"not UTF-8 text: {exc.reason} at byte {exc.start}")


def read_plan_file(path: Path) -> PlanFile:
    """One plan file, read and parsed; what stopped reading it is in ``unreadable``."""
    shown = baseline_file.display(path)
    text, problem = read_plan_text(path)
    if problem is not None:
        return PlanFile(path, shown, "", None, problem)
    try:
        data = yamlio.read_fast(text)
    except yamlio.YamlSyntaxError as exc:
        return PlanFile(path, shown, text, None, Problem(shown, exc.line, "", str(exc)))
    return PlanFile(path, shown, text, data)


def check_plan_files(
    plans_dir: Path, inventory: model.Inventory, *, files: Sequence[PlanFile] | None = None
) -> list[Problem]:
    """Every problem of every plan file and of the baseline, against the inventory: ``govcloud plan --check``."""
    files = read_plan_files(plans_dir) if files is None else files
    problems: list[Problem] = []
    tracking: dict[str, plans.Tracking] = {}
    file_of: dict[str, PlanFile] = {}
    with collector.paused():
        for plan_file in files:
            if plan_file.unreadable is not None:
                problems.append(plan_file.unreadable)
                continue
            for finding in plan_checks.check_plan(plan_file.data, file_name=plan_file.path.name, inventory=inventory):
                problems.append(_problem(plan_file, finding.where, finding.message))
            record = tracking_of(plan_file.data)
            if record is not None:
                tracking[plan_file.data["system"]] = record
                file_of[plan_file.data["system"]] = plan_file
    baseline, text, baseline_problems = baseline_file.read_baseline(plans_dir)
    problems.extend(baseline_problems)
    if baseline is not None:
        shown = baseline_file.display(baseline_file.baseline_path(plans_dir))
        for item in baselines.disagreements(baseline, tracking, inventory=inventory, baseline_name=shown):
            if item.system is None:
                problems.append(Problem(shown, yamlio.line_of(text, item.where), _field(item.where), item.message))
            else:
                problems.append(_problem(file_of[item.system], item.where, item.message))
    return problems


def _problem(plan_file: PlanFile, where: plan_checks.Where, message: str) -> Problem:
    return Problem(plan_file.shown, yamlio.line_of(plan_file.text, where), _field(where), message)


def _field(where: plan_checks.Where) -> str:
    return ".".join(str(part) for part in where)


@overload
def load_tracking(
    plans_dir: Path, *, strict: Literal[True], inventory: model.Inventory
) -> dict[str, plans.Tracking]: ...


@overload
def load_tracking(
    plans_dir: Path, *, strict: Literal[False], inventory: model.Inventory | None = None
) -> dict[str, plans.Tracking]: ...


def load_tracking(
    plans_dir: Path, *, strict: bool, inventory: model.Inventory | None = None
) -> dict[str, plans.Tracking]:
    """What every plan file records: stage statuses, business callers, decommission status, wave and dates.

    ``strict`` (for provisioning) runs the whole of ``govcloud plan --check`` against ``inventory`` on the same
    parsed files and raises one :class:`InputError` with every problem; without it, unreadable files and
    values are skipped (reports, gate advice, re-planning), because ``plan --check`` reports them.
    """
    files = read_plan_files(plans_dir)
    if strict:
        if inventory is None:
            raise TypeError("a strict read checks the plans against the inventory: pass inventory=")
        problems = check_plan_files(plans_dir, inventory, files=files)
        if problems:
            raise InputError(problems, REFUSAL)
    return tracking_map(files)


def tracking_map(files: Sequence[PlanFile]) -> dict[str, plans.Tracking]:
    """System → what its plan file records, for the files already read (unreadable ones are skipped)."""
    found: dict[str, plans.Tracking] = {}
    for plan_file in files:
        record = tracking_of(plan_file.data) if plan_file.unreadable is None else None
        if record is not None:
            found[plan_file.data["system"]] = record
    return found


def load_progress(plans_dir: Path, *, inventory: model.Inventory) -> dict[str, stages.Progress]:
    """System code → progress, for every plan file in ``plans_dir`` (an absent directory means no progress).

    The strict read: plans that fail ``govcloud plan --check`` are an :class:`InputError` naming file, line and
    problem, because provisioning from a misread plan would open or close the wrong flows.
    """
    return {
        code: stages.Progress(reached=stages.reached_stage(tracking.statuses), business_callers=tracking.callers)
        for code, tracking in load_tracking(plans_dir, strict=True, inventory=inventory).items()
    }


def tracking_of(data: Any) -> plans.Tracking | None:
    """What one parsed plan file records, taking what can be read (None when it names no system)."""
    if not isinstance(data, dict) or not isinstance(data.get("system"), str):
        return None
    statuses: dict[stages.Stage, stages.StageStatus] = {}
    callers: tuple[str, ...] = ()
    unreadable = False
    raw_stages = data.get("stages") or []
    for raw in raw_stages if isinstance(raw_stages, list) else ():
        if not isinstance(raw, dict):
            continue
        unreadable = unreadable or _status_unreadable(raw, plan_checks.STAGE_KEYS)
        try:
            stage = stages.Stage(str(raw.get("stage")))
            status = stages.StageStatus(str(raw.get("status", stages.StageStatus.PENDING.value)))
        except ValueError:
            continue
        statuses.setdefault(stage, status)
        if stage is stages.Stage.BUSINESS and isinstance(raw.get("callers"), list):
            callers = tuple(str(c) for c in raw["callers"])
    decommission_status: stages.StageStatus | None = None
    decommission = data.get("decommission")
    if isinstance(decommission, dict):
        unreadable = unreadable or _status_unreadable(decommission, plan_checks.DECOMMISSION_KEYS)
        try:
            decommission_status = stages.StageStatus(str(decommission.get("status", "pending")))
        except ValueError:
            decommission_status = stages.StageStatus.PENDING
    wave = data.get("wave")
    return plans.Tracking(
        statuses=statuses,
        callers=callers,
        decommission=decommission_status,
        wave=wave if isinstance(wave, int) and not isinstance(wave, bool) else None,
        wave_start=_date(data.get("wave_start")),
        wave_end=_date(data.get("wave_end")),
        unreadable=unreadable,
    )


def _status_unreadable(block: dict[Any, Any], known: Sequence[str]) -> bool:
    """Whether a block's status cannot be trusted to read as it does (invalid, or ``status`` likely misspelt).

    An invalid value, or no ``status`` key beside a key govcloud does not know. Re-planning then treats the
    system as started, so a typo can never un-freeze a wave.
    """
    if "status" in block:
        return str(block["status"]) not in {s.value for s in stages.StageStatus}
    return any(key not in known for key in block)


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None
