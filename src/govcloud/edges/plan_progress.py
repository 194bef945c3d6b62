"""How far each system has got, read from ``migrations_plan/<CODE>.yaml``. Edge (reads files).

The provisioning side (flow matrix, Kubernetes objects, firewall rules) needs only a
:class:`~govcloud.core.stages.Progress` per system, not the whole plan. This reader takes just that from the
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

from govcloud.core import stages
from govcloud.edges import yamlio
from govcloud.errors import InputError, Problem


def load_progress(plans_dir: Path) -> dict[str, stages.Progress]:
    """System code → progress, for every plan file in ``plans_dir`` (an absent directory means no progress)."""
    progress: dict[str, stages.Progress] = {}
    problems: list[Problem] = []
    if not plans_dir.is_dir():
        return progress
    for path in sorted(plans_dir.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        try:
            data = yamlio.read_fast(text)
        except yamlio.YamlSyntaxError as exc:
            problems.append(Problem(str(path), exc.line, "", str(exc)))
            continue
        found = _progress_of(data, path, text, problems)
        if found is not None:
            code, system_progress = found
            progress[code] = system_progress
    if problems:
        raise InputError(problems, "the plan files have problems")
    return progress


def _progress_of(data: Any, path: Path, text: str, problems: list[Problem]) -> tuple[str, stages.Progress] | None:
    if not isinstance(data, dict) or not isinstance(data.get("system"), str):
        problems.append(Problem(str(path), 1, "system", "a plan file names its system (system: CODE)"))
        return None
    statuses: dict[stages.Stage, stages.StageStatus] = {}
    callers: tuple[str, ...] = ()
    raw_stages = data.get("stages") or []
    if not isinstance(raw_stages, list):
        problems.append(Problem(str(path), yamlio.line_of(text, ("stages",)), "stages", "expected a list of stages"))
        return None
    for index, raw in enumerate(raw_stages):
        if not isinstance(raw, dict):
            continue
        try:
            stage = stages.Stage(str(raw.get("stage")))
            status = stages.StageStatus(str(raw.get("status", "pending")))
        except ValueError as exc:
            line = yamlio.line_of(text, ("stages", index))
            problems.append(Problem(str(path), line, f"stages.{index}", str(exc)))
            continue
        statuses[stage] = status
        if stage is stages.Stage.BUSINESS:
            callers = tuple(str(c) for c in raw.get("callers") or ())
    return data["system"], stages.Progress(reached=stages.reached_stage(statuses), business_callers=callers)
