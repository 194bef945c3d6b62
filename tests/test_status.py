"""Status views: gates from cached facts agree with the planning core, the cache refreshes what changed, roll-ups."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import pytest

from govcloud.core import model
from govcloud.edges import inventory_files
from govcloud.orchestration.core import status, transitions
from govcloud.orchestration.edges import status_cache
from govcloud.planning.core import plans
from govcloud.planning.core.stages import Stage, StageStatus
from govcloud.planning.edges import plan_progress

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bundled() -> tuple[model.Inventory, dict[str, status.SystemFacts]]:
    inventory = inventory_files.load_inventory(REPO_ROOT / "inventory").inventory
    return inventory, status.system_facts(inventory)


def test_gates_from_facts_give_the_planning_cores_verdict_and_evidence_for_every_bundled_gate(
    bundled: tuple[model.Inventory, dict[str, status.SystemFacts]],
) -> None:
    inventory, facts = bundled
    plans_dir = REPO_ROOT / "migrations_plan"
    tracking = plan_progress.load_progress(plans_dir, inventory=inventory)
    plan_facts = status_cache.read_plan_facts(plans_dir)
    context = status.GateContext(
        facts, status.current_statuses(plan_facts, {}), {p.system: p.callers for p in plan_facts}
    )
    dependents = plans.Dependents.of_inventory(inventory)
    compared = 0
    kinds = set()
    for plan in plan_facts:
        for stage in plan.stages:
            for gate in (*stage.entry_gates, *stage.exit_gates):
                expected = plans.evaluate_gate(gate, inventory, tracking, dependents=dependents)
                assert status.evaluate_gate(gate, context) == expected, gate
                compared += 1
                kinds.add(gate.gate)
    assert compared > 1000
    assert len(kinds) >= 5


def _state(system: str, stage: Stage, to: transitions.LedgerStatus, **extra: object) -> transitions.StageState:
    return transitions.StageState(
        system=system,
        stage=stage,
        status=to,
        plan_status=StageStatus.IN_PROGRESS if to is transitions.LedgerStatus.BLOCKED else StageStatus(to.value),
        seq=1,
        time="2027-02-10T08:00:00.000000Z",
        actor="lead",
        **extra,
    )


def _plan(system: str, wave: int, end: dt.date) -> status.PlanFacts:
    stages = tuple(
        status.StageFacts(
            s, StageStatus.PENDING, end - dt.timedelta(days=9 - 3 * i), end - dt.timedelta(days=6 - 3 * i)
        )
        for i, s in enumerate((Stage.NETWORK, Stage.DATA, Stage.BUSINESS))
    )
    return status.PlanFacts(system, system, system[:3], wave, "owner", stages)


def test_days_late_counts_to_today_while_open_and_to_the_day_done_once_done() -> None:
    target = dt.date(2027, 2, 1)
    today = dt.date(2027, 2, 11)
    assert status.days_late(transitions.LedgerStatus.IN_PROGRESS, target, None, today) == 10
    assert status.days_late(transitions.LedgerStatus.DONE, target, "2027-02-04T09:00:00Z", today) == 3
    assert status.days_late(transitions.LedgerStatus.DONE, target, "2027-01-30T09:00:00Z", today) == 0
    assert status.days_late(transitions.LedgerStatus.PENDING, target, None, dt.date(2027, 1, 31)) == 0


def test_rows_take_the_ledgers_state_and_rollups_count_it() -> None:
    plan_a = _plan("AAA-001", 1, dt.date(2027, 2, 10))
    plan_b = _plan("BBB-001", 2, dt.date(2027, 3, 10))
    states = {
        ("AAA-001", "network"): _state(
            "AAA-001", Stage.NETWORK, transitions.LedgerStatus.DONE, finished="2027-02-03T1"
        ),
        ("AAA-001", "data"): _state("AAA-001", Stage.DATA, transitions.LedgerStatus.BLOCKED, reason="专线"),
    }
    today = dt.date(2027, 2, 20)
    rows = status.build_rows([plan_a, plan_b], states, today=today)
    by_key = {(r.system, r.stage): r for r in rows}
    assert by_key[("AAA-001", Stage.NETWORK)].status is transitions.LedgerStatus.DONE
    assert by_key[("AAA-001", Stage.DATA)].reason == "专线"
    assert by_key[("AAA-001", Stage.BUSINESS)].late
    assert [r.system for r in status.select(rows, blocked=True)] == ["AAA-001"]
    waves = {r.key: r for r in status.rollups(rows, by="wave", today=today)}
    assert waves["wave 1"].counts == {"pending": 1, "in_progress": 0, "done": 1, "blocked": 1}
    assert waves["wave 1"].planned_done == 3
    assert waves["wave 2"].planned_done == 0
    series = status.burnup(rows, today=today)
    assert series[0].day <= dt.date(2027, 2, 1)
    assert series[-1].planned == 6
    assert max(p.actual or 0 for p in series) == 1
    assert all(p.actual is None for p in series if p.day > today)


def test_the_cache_rereads_only_changed_plan_files_and_reloads_a_changed_census(tmp_path: Path) -> None:
    inventory = Path(shutil.copytree(REPO_ROOT / "inventory", tmp_path / "inventory"))
    plans_dir = Path(shutil.copytree(REPO_ROOT / "migrations_plan", tmp_path / "migrations_plan"))
    cache = tmp_path / ".govcloud" / status_cache.CACHE_NAME
    loads: list[int] = []

    def load() -> status_cache.StatusInputs:
        return status_cache.load_status_inputs(
            inventory_dir=inventory, plans_dir=plans_dir, cache_path=cache, on_inventory_load=lambda: loads.append(1)
        )

    cold = load()
    total = len(list(plans_dir.glob("*.yaml")))
    assert cold.refresh.inventory_reloaded
    assert cold.refresh.plans_read == total
    warm = load()
    assert (warm.refresh.plans_read, warm.refresh.inventory_reloaded) == (0, False)
    assert warm.plans == cold.plans
    assert warm.facts == cold.facts

    path = plans_dir / "CGJ-006.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("status: pending", "status: in_progress", 1), encoding="utf-8"
    )
    (plans_dir / "MZJ-006.yaml").unlink()
    changed = load()
    assert (changed.refresh.plans_read, changed.refresh.plans_removed) == (1, 1)
    cgj = next(p for p in changed.plans if p.system == "CGJ-006")
    assert cgj.stages[0].status is StageStatus.IN_PROGRESS
    assert all(p.system != "MZJ-006" for p in changed.plans)

    department = inventory / "departments" / "CGJ.yaml"
    text = department.read_text(encoding="utf-8")
    department.write_text(text + "\n", encoding="utf-8")
    stat = department.stat()
    os.utime(department, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    again = load()
    assert again.refresh.inventory_reloaded
    assert len(loads) == 2


def test_status_command_filters_and_renders_markdown_and_tables(tmp_path: Path) -> None:
    from ledger_team import make_programme

    p = make_programme(tmp_path)
    assert p.cli("advance", "CGJ-006", "network", "--to", "in_progress", key="lead").exit_code == 0
    late = p.cli("status", "--department", "CGJ", "--late", "--today", "2027-12-31", "--format", "json")
    rows = json.loads(late.output)["rows"]
    assert rows
    assert all(r["department"] == "CGJ" and r["days_late"] > 0 for r in rows)
    on_time = json.loads(p.cli("status", "--late", "--today", "2026-01-01", "--format", "json").output)["rows"]
    assert on_time == []
    markdown = p.cli("status", "--wave", "1", "--format", "markdown", "--limit", "5", "--lang", "en")
    assert markdown.exit_code == 0
    assert "## By wave" in markdown.output
    assert "| wave 1 |" in markdown.output
    assert "more rows" in markdown.output
    table = p.cli("status", "--department", "CGJ", "--lang", "en")
    assert table.exit_code == 0
    facts = status_cache.read_plan_facts(p.plans)
    every_stage = sum(len(plan.stages) for plan in facts)
    cgj_stages = sum(len(plan.stages) for plan in facts if plan.department == "CGJ")
    assert cgj_stages >= 18  # CGJ's systems (at least 6 migrating ones)
    # CGJ's stages, of every stage of every plan; the table itself is cut to the terminal
    assert table.output.startswith(f"{cgj_stages} stage(s) of {every_stage}")
    assert "by wave" in table.output
    assert "by department" not in table.output  # one department asked for: no department roll-up
    waves = {r["key"] for r in json.loads(p.cli("status", "--format", "json").output)["waves"]}
    assert len(waves) > 3
    short = p.cli(
        "status", "--limit", "3", "--lang", "en"
    )  # a province has hundreds of waves: the terminal gets the first ones
    assert short.exit_code == 0
    assert f"… {len(waves) - 3} more waves" in short.output


def test_status_speaks_chinese_by_default_and_keeps_codes_whole(tmp_path: Path) -> None:
    from ledger_team import make_programme

    p = make_programme(tmp_path)
    assert p.cli("advance", "CGJ-006", "network", "--to", "in_progress", key="lead").exit_code == 0
    markdown = p.cli("status", "--department", "CGJ", "--format", "markdown", "--limit", "50")
    assert markdown.exit_code == 0
    assert markdown.output.startswith("# 迁移状态 ")
    assert "## 按批次" in markdown.output
    assert "| 第 1 批 |" in markdown.output or "| 第 2 批 |" in markdown.output
    assert "## By wave" not in markdown.output
    assert "| CGJ-006 " in markdown.output
    assert "进行中" in markdown.output  # CGJ-006's network stage, in the ledger's words
    table = p.cli("status", "--department", "CGJ", "--limit", "50")
    assert table.exit_code == 0
    assert "按批次" in table.output
    assert "by wave" not in table.output
    # at 80 columns the system code folds onto a second line instead of being cut with an ellipsis
    assert "CGJ-0…" not in table.output
    # the JSON is for programs: its keys and status values stay English whatever the language
    document = json.loads(p.cli("status", "--format", "json").output)
    assert {r["status"] for r in document["rows"]} <= {"pending", "in_progress", "blocked", "done"}
    assert all(w["key"].startswith("wave ") or w["key"] == "no wave" for w in document["waves"])
