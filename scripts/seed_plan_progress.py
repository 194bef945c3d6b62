"""Record realistic progress in the bundled plan files, the way migration leads do it by hand.

The bundled ``migrations_plan/`` is written by ``govcloud plan --write`` with every stage pending. So that the
provisioning side (flow matrix, NetworkPolicies, firewall rules, ``govcloud render``) has progress to show,
this script edits a few wave-1 plans exactly as a lead would in an editor (round-trip YAML: comments and
layout kept), adding a comment to each edit:

- the two wave-1 systems that most other departments call: network and data ``done``, business
  ``in_progress`` (their ``callers`` are what the gateway then opens to);
- six more wave-1 systems: network ``done``, data ``in_progress``;
- the classified systems' intranet plans (``kind: intranet``): the first three whose gates hold get their
  network stage ``done`` (moved onto the 电子政务内网), the next one ``in_progress``. Then the department plans
  (``migrations_plan/departments/``) are written again, as ``plan --write`` would, so a 业务专网 whose last
  system has left shows its decommission.

A system is chosen only if every gate of the stages it starts or finishes holds once the chosen ones have
progressed (checked with :func:`govcloud.planning.core.plans.evaluate_gate`), so ``govcloud plan --check`` shows no
unmet gate afterwards. Statuses are always the human's: re-running ``govcloud plan --write`` keeps these
edits. When any wave-1 plan already shows progress the script changes nothing, so running it twice is
harmless.

Usage (from the repository root)::

    .venv/bin/python scripts/seed_plan_progress.py [migrations_plan [inventory]]
    .venv/bin/govcloud plan --check
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from govcloud.app import planning
from govcloud.core import model
from govcloud.edges import inventory_files, settings_file, yamlio
from govcloud.planning.core import plans, stages
from govcloud.planning.core.stages import Stage, StageStatus

BUSINESS = 2
NETWORK_ONLY = 6
DONE, GOING, PENDING = StageStatus.DONE, StageStatus.IN_PROGRESS, StageStatus.PENDING
BUSINESS_MARKS = (DONE, DONE, GOING)
NETWORK_MARKS = (DONE, GOING, PENDING)
INTRANET_DONE, INTRANET_GOING = 3, 1
INTRANET_COMMENTS = {DONE: "servers moved onto the intranet, flows verified 2027-01-11", GOING: "re-addressing"}
COMMENTS = {
    BUSINESS_MARKS: (
        "verified 2027-01-08",
        "all entries published, sync verified 2027-01-15",
        "gateway route open to the callers; cut-over planned 2027-01-27",
    ),
    NETWORK_MARKS: ("zone flows and objects verified 2027-01-12", "sync running since 2027-01-13", ""),
}


def _wave_one(plans_dir: Path) -> list[tuple[Path, Any]]:
    found = []
    for path in sorted(plans_dir.glob("*.yaml")):
        data = yamlio.load_roundtrip(path.read_text(encoding="utf-8"))
        if data.get("kind") == "migration" and data.get("wave") == 1:
            found.append((path, data))
    return found


def _started(data: Any) -> bool:
    return any(stage.get("status", "pending") != "pending" for stage in data["stages"])


def _gates_hold(
    data: Any, marks: tuple[StageStatus, ...], chosen: dict[str, stages.Progress], inventory: model.Inventory
) -> bool:
    """Whether every entry gate of a started stage and every exit gate of a finished one holds."""
    tracking = {**chosen, data["system"]: stages.Progress(dict(zip(Stage, marks, strict=True)))}
    for stage, status in zip(data["stages"], marks, strict=True):
        kinds = {PENDING: (), GOING: ("entry_gates",), DONE: ("entry_gates", "exit_gates")}[status]
        for kind in kinds:
            for raw in stage.get(kind) or ():
                gate = plans.Gate.model_validate(dict(raw))
                if not plans.evaluate_gate(gate, inventory, tracking)[0]:
                    return False
    return True


def _mark(data: Any, marks: tuple[StageStatus, ...]) -> None:
    for stage, status, comment in zip(data["stages"], marks, COMMENTS[marks], strict=True):
        if status is not PENDING:
            stage["status"] = status.value
            stage.yaml_add_eol_comment(comment, "status")


def main(plans_dir: Path, inventory_dir: Path) -> int:
    inventory = inventory_files.load_inventory(inventory_dir).inventory
    wave_one = _wave_one(plans_dir)
    started = [path.name for path, data in wave_one if _started(data)]
    chosen: dict[str, stages.Progress] = {}
    if started:
        print(f"{plans_dir}: wave 1 already shows progress ({', '.join(started)}): wave 1 unchanged")
    else:
        _seed_wave_one(wave_one, inventory, chosen)
    intranet = [data for _, data in _intranet_plans(plans_dir) if _started(data)]
    if intranet:
        print(f"{plans_dir}: the intranet plans already show progress: unchanged")
    else:
        _seed_intranet(plans_dir, inventory, chosen)
    planned = planning.compute(inventory, settings_file.load_settings(inventory_dir), today=None)
    departments = planning.write_department_plans(planned, plans_dir)
    print(f"{plans_dir}/departments: {departments.written} department plan(s) written")
    return 0


def _seed_wave_one(
    wave_one: list[tuple[Path, Any]], inventory: model.Inventory, chosen: dict[str, stages.Progress]
) -> None:
    picks: list[tuple[Path, Any, tuple[StageStatus, ...]]] = []
    by_callers = sorted(wave_one, key=lambda item: (-len(item[1]["stages"][2].get("callers") or ()), item[0].name))
    for wanted, marks, candidates in ((BUSINESS, BUSINESS_MARKS, by_callers), (NETWORK_ONLY, NETWORK_MARKS, wave_one)):
        taken = 0
        for path, data in candidates:
            if taken == wanted or data["system"] in chosen:
                continue
            if marks is BUSINESS_MARKS and not data["stages"][2].get("callers"):
                continue
            if _gates_hold(data, marks, chosen, inventory):
                chosen[data["system"]] = stages.Progress(dict(zip(Stage, marks, strict=True)))
                picks.append((path, data, marks))
                taken += 1
    with yamlio.staged_writes() as pending:
        for path, data, marks in picks:
            _mark(data, marks)
            pending[path] = yamlio.dump_roundtrip(data)
    for path, data, marks in picks:
        callers = ", ".join(data["stages"][2].get("callers") or ())
        what = ", ".join(f"{stage.value} {status.value}" for stage, status in zip(Stage, marks, strict=True))
        print(f"{path}: {what}" + (f" (callers {callers})" if marks is BUSINESS_MARKS else ""))


def _intranet_plans(plans_dir: Path) -> list[tuple[Path, Any]]:
    found = []
    for path in sorted(plans_dir.glob("*.yaml")):
        data = yamlio.load_roundtrip(path.read_text(encoding="utf-8"))
        if data.get("kind") == "intranet":
            found.append((path, data))
    return found


def _seed_intranet(plans_dir: Path, inventory: model.Inventory, chosen: dict[str, stages.Progress]) -> None:
    """Classified systems moved onto the intranet: network done for a few, in progress for one."""
    picks: list[tuple[Path, Any, StageStatus]] = []
    for path, data in _intranet_plans(plans_dir):
        done = sum(1 for _, _, status in picks if status is DONE)
        status = DONE if done < INTRANET_DONE else GOING
        if status is GOING and len(picks) >= INTRANET_DONE + INTRANET_GOING:
            break
        tracking = {**chosen, data["system"]: stages.Progress({Stage.NETWORK: status})}
        (stage,) = data["stages"]
        kinds = ("entry_gates", "exit_gates") if status is DONE else ("entry_gates",)
        gates = [plans.Gate.model_validate(dict(raw)) for kind in kinds for raw in stage.get(kind) or ()]
        if all(plans.evaluate_gate(gate, inventory, tracking)[0] for gate in gates):
            chosen[data["system"]] = tracking[data["system"]]
            picks.append((path, data, status))
    with yamlio.staged_writes() as pending:
        for path, data, status in picks:
            (stage,) = data["stages"]
            stage["status"] = status.value
            stage.yaml_add_eol_comment(INTRANET_COMMENTS[status], "status")
            pending[path] = yamlio.dump_roundtrip(data)
    for path, _, status in picks:
        print(f"{path}: network {status.value} (intranet)")


if __name__ == "__main__":
    arguments = sys.argv[1:]
    sys.exit(
        main(
            Path(arguments[0]) if arguments else Path("migrations_plan"),
            Path(arguments[1]) if len(arguments) > 1 else Path("inventory"),
        )
    )
