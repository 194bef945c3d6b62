"""Plan-file changes graded (pure): statuses against the ledger, gates, dispositions, callers, 业务专网."""

from __future__ import annotations

import copy
from typing import Any

from govcloud.audit.core import plan_diff
from govcloud.audit.core.diff import ChangeKind, Risk

PLAN: dict[str, Any] = {
    "system": "MZJ-001",
    "disposition": "迁移",
    "kind": "migration",
    "wave": 2,
    "owner": {"name": "王磊", "role": "系统负责人"},
    "stages": [
        {"stage": "network", "status": "done", "entry_gates": [{"gate": "placement_declared", "system": "MZJ-001"}]},
        {
            "stage": "data",
            "status": "pending",
            "exit_gates": [{"gate": "catalogue_published", "system": "MZJ-001", "entries": "all"}],
        },
        {"stage": "business", "status": "pending", "callers": ["GAJ"]},
    ],
    "generated": {"disposition": "a0c4857b"},
}


def _changed(**edits: Any) -> dict[str, Any]:
    plan = copy.deepcopy(PLAN)
    for path, value in edits.items():
        *parents, last = path.split("__")
        target: Any = plan
        for part in parents:
            target = (
                next(s for s in target["stages"] if s["stage"] == part)
                if part in {"network", "data", "business"}
                else target[part]
            )
        target[last] = value
    return plan


def _only(after: dict[str, Any], ledger: plan_diff.LedgerHistory | None = None) -> tuple[str, Risk, str]:
    (change,) = plan_diff.diff_plans({"MZJ-001": PLAN}, {"MZJ-001": after}, ledger=ledger)
    return change.field, change.risk, change.why


def test_a_stage_marked_done_by_hand_is_high_and_one_the_ledger_required_is_low() -> None:
    done = _changed(data__status="done")
    assert _only(done)[:2] == ("stages.data.status", Risk.HIGH)
    backed = plan_diff.statuses_from_history([(7, "MZJ-001", "data", "in_progress"), (9, "MZJ-001", "data", "done")])
    assert _only(done, backed) == (
        "stages.data.status",
        Risk.LOW,
        "data status pending → done, as the ledger requires (entry 9)",
    )
    elsewhere = plan_diff.statuses_from_history([(9, "MZJ-002", "data", "done")])
    _, risk, why = _only(done, elsewhere)
    assert risk is Risk.HIGH
    assert "no ledger entry" in why
    # with a ledger even a move to in_progress must be accounted for
    assert _only(_changed(data__status="in_progress"), elsewhere)[1] is Risk.HIGH
    assert _only(_changed(data__status="in_progress"))[1] is Risk.MEDIUM


def test_a_removed_gate_is_high_and_named_an_added_one_is_low() -> None:
    field, risk, why = _only(_changed(data__exit_gates=[]))
    assert (field, risk) == ("stages.data.exit_gates", Risk.HIGH)
    assert why == "data exit gates removed: catalogue_published MZJ-001 all"
    more = [*PLAN["stages"][0]["entry_gates"], {"gate": "flows_declared", "system": "MZJ-001"}]
    assert _only(_changed(network__entry_gates=more))[1] is Risk.LOW


def test_dispositions_waves_owners_and_callers_are_graded() -> None:
    assert _only(_changed(disposition="下线"))[1] is Risk.HIGH
    assert _only(_changed(wave=5))[1] is Risk.MEDIUM
    assert _only(_changed(owner={"name": "李娜", "role": "系统负责人"}))[:2] == ("owner.name", Risk.MEDIUM)
    field, risk, why = _only(_changed(business__callers=["GAJ", "RSJ"]))
    assert (field, risk) == ("stages.business.callers", Risk.MEDIUM)
    assert why.endswith("RSJ")
    assert _only(_changed(business__callers=[]))[1] is Risk.LOW


def test_generated_fingerprints_are_not_changes_and_deleted_plans_are_high() -> None:
    assert plan_diff.diff_plans({"MZJ-001": PLAN}, {"MZJ-001": _changed(generated={"disposition": "0"})}) == []
    (deleted,) = plan_diff.diff_plans({"MZJ-001": PLAN}, {})
    assert (deleted.kind, deleted.risk) == (ChangeKind.REMOVED, Risk.HIGH)


def test_a_new_plan_already_moved_without_the_ledger_is_high() -> None:
    (added,) = plan_diff.diff_plans({}, {"MZJ-001": PLAN})
    assert added.risk is Risk.HIGH
    assert "network done" in added.why
    backed = plan_diff.statuses_from_history([(3, "MZJ-001", "network", "done")])
    assert plan_diff.diff_plans({}, {"MZJ-001": PLAN}, ledger=backed)[0].risk is Risk.LOW


def test_a_private_network_marked_retired_by_hand_is_high() -> None:
    department = {
        "department": "CGJ",
        "private_networks": [
            {
                "code": "ZW-CGJ-01",
                "ranges": ["172.16.23.0/24"],
                "systems": [{"system": "CGJ-002", "status": "pending"}],
                "decommission": {"status": "pending", "entry_gates": []},
            }
        ],
    }
    retired = copy.deepcopy(department)
    retired["private_networks"][0]["decommission"]["status"] = "done"
    (change,) = plan_diff.diff_department_plans({"CGJ": department}, {"CGJ": retired})
    assert (change.field, change.risk) == ("private_networks.ZW-CGJ-01.decommission.status", Risk.HIGH)
    left = copy.deepcopy(department)
    left["private_networks"][0]["systems"][0]["status"] = "done"
    (member,) = plan_diff.diff_department_plans({"CGJ": department}, {"CGJ": left})
    assert (member.field, member.risk) == ("private_networks.ZW-CGJ-01.systems.CGJ-002.status", Risk.HIGH)


def test_decommission_statuses_come_from_the_plans_that_have_one() -> None:
    plans = {"MZJ-001": PLAN, "MZJ-002": {"system": "MZJ-002", "decommission": {"status": "done"}}}
    assert plan_diff.decommission_statuses(plans) == {"MZJ-002": "done"}
