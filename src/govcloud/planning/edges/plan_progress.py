"""How far each system has got, read from ``migrations_plan/<CODE>.yaml``. Edge (reads files).

The provisioning side (flow matrix, Kubernetes objects, firewall rules) needs only a
:class:`~govcloud.planning.core.stages.Progress` per system, not the whole plan. This reader takes just that from the
plan files, so the Pulumi programs, ``govcloud render`` and the playbooks agree on one answer. The plan file
format itself (and its full validation, ``govcloud plan --check``) belongs to the planning edge.

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

from pathlib import Path
from typing import Any

from govcloud.edges import yamlio
from govcloud.errors import InputError, Problem
from govcloud.planning.core import plans, stages


def load_progress(plans_dir: Path) -> dict[str, stages.Progress]:
    """System code → progress, for every plan file in ``plans_dir`` (an absent directory means no progress).

    Strict: a status or stage that is not one of the known values is an error with its line, because
    provisioning from a misread plan would open or close the wrong flows.
    """
    return {
        code: stages.Progress(reached=stages.reached_stage(tracking.statuses), business_callers=tracking.callers)
        for code, tracking in load_tracking(plans_dir, strict=True).items()
    }


def load_tracking(plans_dir: Path, *, strict: bool) -> dict[str, plans.Tracking]:
    """What every plan file records: stage statuses, business callers, decommission status.

    With ``strict`` every unreadable file or value is reported (all at once, as :class:`InputError`); without
    it they are skipped, for reports and gate advice (``govcloud plan --check`` reports them instead).
    """
    found: dict[str, plans.Tracking] = {}
    problems: list[Problem] = []
    if not plans_dir.is_dir():
        return found
    for path in sorted(plans_dir.glob("*.yaml")):
        try:
            text = path.read_text(encoding="utf-8")
            data = yamlio.read_fast(text)
        except yamlio.YamlSyntaxError as exc:
            problems.append(Problem(str(path), exc.line, "", str(exc)))
            continue
        except UnicodeDecodeError as exc:
            problems.append(Problem(str(path), None, "", f"not UTF-8 text: {exc.reason}"))
            continue
        tracking = _tracking_of(data, path, text, problems)
        if tracking is not None:
            found[data["system"]] = tracking
    if problems and strict:
        raise InputError(problems, "the plan files have problems")
    return found


def _tracking_of(data: Any, path: Path, text: str, problems: list[Problem]) -> plans.Tracking | None:
    if not isinstance(data, dict) or not isinstance(data.get("system"), str):
        problems.append(Problem(str(path), 1, "system", "a plan file names its system (system: CODE)"))
        return None
    statuses: dict[stages.Stage, stages.StageStatus] = {}
    callers: tuple[str, ...] = ()
    raw_stages = data.get("stages") or []
    if not isinstance(raw_stages, list):
        problems.append(Problem(str(path), yamlio.line_of(text, ("stages",)), "stages", "expected a list of stages"))
        raw_stages = []
    for index, raw in enumerate(raw_stages):
        if not isinstance(raw, dict):
            continue
        try:
            stage = stages.Stage(str(raw.get("stage")))
            status = stages.StageStatus(str(raw.get("status", stages.StageStatus.PENDING.value)))
        except ValueError as exc:
            problems.append(Problem(str(path), yamlio.line_of(text, ("stages", index)), f"stages.{index}", str(exc)))
            continue
        statuses[stage] = status
        if stage is stages.Stage.BUSINESS and isinstance(raw.get("callers"), list):
            callers = tuple(str(c) for c in raw["callers"])
    decommission_status: stages.StageStatus | None = None
    decommission = data.get("decommission")
    if isinstance(decommission, dict):
        try:
            decommission_status = stages.StageStatus(str(decommission.get("status", "pending")))
        except ValueError as exc:
            line = yamlio.line_of(text, ("decommission", "status"))
            problems.append(Problem(str(path), line, "decommission.status", str(exc)))
    return plans.Tracking(statuses=statuses, callers=callers, decommission=decommission_status)
