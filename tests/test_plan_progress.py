"""The one reader of plan files: strict (the whole plan --check) for provisioning, lenient for reports.

Real files in tmp_path, checked against a small generated city.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from govcloud.core import example
from govcloud.errors import InputError
from govcloud.planning.core import plan_view, plans, stages
from govcloud.planning.edges import plan_progress


@pytest.fixture(scope="module")
def city() -> example.ExampleCity:
    return example.generate_city(systems=40, seed=5)


def _codes(city: example.ExampleCity) -> tuple[str, str, tuple[str, str]]:
    first, second = sorted(s.code for s in city.inventory.systems)[:2]
    departments = sorted(d.code for d in city.inventory.departments)
    return first, second, (departments[0], departments[1])


def _good(code: str, callers: tuple[str, str]) -> str:
    return f"""system: {code}
stages:
  - stage: network
    status: done
  - stage: data
    status: in_progress
  - stage: business
    status: pending
    callers: [{callers[0]}, {callers[1]}]
"""


def _write(root: Path, name: str, text: str) -> None:
    root.mkdir(exist_ok=True)
    (root / name).write_text(text, encoding="utf-8")


def test_progress_is_the_latest_stage_reached_with_its_callers(tmp_path: Path, city: example.ExampleCity) -> None:
    code, _, callers = _codes(city)
    _write(tmp_path / "plans", f"{code}.yaml", _good(code, callers))
    progress = plan_progress.load_progress(tmp_path / "plans", inventory=city.inventory)
    assert set(progress) == {code}
    assert (progress[code].reached, progress[code].business_callers) == (stages.Stage.DATA, callers)
    assert progress[code].statuses == {
        stages.Stage.NETWORK: stages.StageStatus.DONE,
        stages.Stage.DATA: stages.StageStatus.IN_PROGRESS,
        stages.Stage.BUSINESS: stages.StageStatus.PENDING,
    }


def test_an_absent_plans_directory_means_no_progress(tmp_path: Path, city: example.ExampleCity) -> None:
    assert plan_progress.load_progress(tmp_path / "nowhere", inventory=city.inventory) == {}


def test_provisioning_refuses_an_unknown_status_with_its_line(tmp_path: Path, city: example.ExampleCity) -> None:
    code, other, callers = _codes(city)
    _write(tmp_path / "plans", f"{code}.yaml", _good(code, callers).replace("status: pending", "status: finished"))
    _write(tmp_path / "plans", f"{other}.yaml", _good(other, callers))
    with pytest.raises(InputError) as raised:
        plan_progress.load_progress(tmp_path / "plans", inventory=city.inventory)
    (problem,) = raised.value.problems
    assert (Path(problem.path).name, problem.line, problem.field) == (f"{code}.yaml", 8, "stages.2.status")
    assert "finished" in problem.message
    assert "plan --check" in raised.value.summary


def test_the_strict_read_is_the_whole_plan_check(tmp_path: Path, city: example.ExampleCity) -> None:
    """Whatever plan --check reports, provisioning refuses: the same problems, all at once."""
    code, other, callers = _codes(city)
    plans = tmp_path / "plans"
    _write(plans, f"{code}.yaml", _good(code, callers).replace("    status: in_progress", "    statsu: in_progress"))
    _write(plans, "ZZZ-404.yaml", _good("ZZZ-404", callers))
    _write(plans, f"{other}.yaml", _good(other, ("NOPE", callers[1])))
    checked = plan_progress.check_plans(plans, city.inventory)
    assert len(checked) == 3
    with pytest.raises(InputError) as raised:
        plan_progress.load_progress(plans, inventory=city.inventory)
    assert list(raised.value.problems) == sorted(checked, key=lambda p: (p.path, p.line or 0))
    fields = {(Path(p.path).name, p.line, p.field) for p in raised.value.problems}
    assert fields == {
        (f"{code}.yaml", 6, "stages.1.statsu"),
        ("ZZZ-404.yaml", 1, "system"),
        (f"{other}.yaml", 9, "stages.2.callers.0"),
    }


def test_a_strict_read_needs_the_inventory(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="inventory"):
        plan_progress.read_plans(tmp_path).strict()


def test_reports_skip_what_they_cannot_read_and_keep_the_rest(tmp_path: Path, city: example.ExampleCity) -> None:
    code, other, callers = _codes(city)
    _write(tmp_path / "plans", f"{code}.yaml", _good(code, callers).replace("status: done", "status: finished"))
    _write(tmp_path / "plans", f"{other}.yaml", _good(other, callers))
    _write(tmp_path / "plans", "BROKEN.yaml", "system: [unclosed\n")
    tracking = plan_progress.load_progress_leniently(tmp_path / "plans")
    assert set(tracking) == {code, other}
    assert stages.Stage.NETWORK not in tracking[code].statuses  # unreadable: skipped
    assert tracking[code].status(stages.Stage.DATA) is stages.StageStatus.IN_PROGRESS
    assert tracking[other].status(stages.Stage.NETWORK) is stages.StageStatus.DONE


def test_the_baseline_file_is_not_read_as_a_plan(tmp_path: Path, city: example.ExampleCity) -> None:
    code, _, callers = _codes(city)
    _write(tmp_path / "plans", f"{code}.yaml", _good(code, callers))
    _write(tmp_path / "plans", "baseline.yaml", "waves: []\n")
    assert [p.name for p in plan_progress.plan_paths(tmp_path / "plans")] == [f"{code}.yaml"]
    assert plan_progress.check_plans(tmp_path / "plans", city.inventory) == []


# ---------------------------------------------------------------------------------------------------------
# One reader, three policies over its problems


def _mixed_plans(root: Path, city: example.ExampleCity) -> tuple[str, str]:
    """A good plan, a plan with a rule broken (unknown status), and a file that is not YAML."""
    code, other, callers = _codes(city)
    _write(root, f"{code}.yaml", _good(code, callers))
    _write(root, f"{other}.yaml", _good(other, callers).replace("status: pending", "status: finished"))
    _write(root, "BROKEN.yaml", "system: [unclosed\n")
    return code, other


def test_the_policies_are_decisions_over_the_same_problems(tmp_path: Path, city: example.ExampleCity) -> None:
    code, other = _mixed_plans(tmp_path / "plans", city)
    plan_set = plan_progress.read_plans(tmp_path / "plans", inventory=city.inventory)
    kinds = {(Path(p.path).name, p.kind) for p in plan_set.problems}
    assert kinds == {(f"{other}.yaml", plan_view.ProblemKind.RULE), ("BROKEN.yaml", plan_view.ProblemKind.UNREADABLE)}
    # check: every problem, as plan --check prints it
    assert sorted(p.render() for p in plan_set.check()) == sorted(p.problem().render() for p in plan_set.problems)
    # strict: the same problems refuse
    with pytest.raises(InputError) as raised:
        plan_set.strict()
    assert sorted(raised.value.problems) == sorted(plan_set.check())
    # lenient: the unreadable file is skipped and counted, the rule-breaking one read as far as it goes
    lenient = plan_set.lenient()
    assert (set(lenient.progress), lenient.skipped) == ({code, other}, 1)
    assert lenient.progress[other].reached is stages.Stage.DATA


def test_without_the_inventory_only_what_stops_reading_is_a_problem(tmp_path: Path, city: example.ExampleCity) -> None:
    _mixed_plans(tmp_path / "plans", city)
    _write(tmp_path / "plans", "LIST.yaml", "- not a plan\n")
    problems = plan_progress.read_plans(tmp_path / "plans").problems
    assert {(Path(p.path).name, p.kind) for p in problems} == {
        ("BROKEN.yaml", plan_view.ProblemKind.UNREADABLE),
        ("LIST.yaml", plan_view.ProblemKind.NOT_A_PLAN),
    }


def test_the_view_carries_each_part_with_its_source_line(tmp_path: Path, city: example.ExampleCity) -> None:
    code, _, callers = _codes(city)
    text = _good(code, callers).replace(
        "  - stage: data\n",
        f"  - stage: data\n    target_start: 2027-03-01\n    entry_gates:\n      - {{gate: stage_done, system: {code}, "
        "stage: network}\n    steps:\n      - {do: publish the catalogue, run: govcloud catalogue}\n",
    )
    _write(tmp_path / "plans", f"{code}.yaml", "wave: 2\nowner: {name: 赵涛}\n" + text)
    view = plan_progress.read_plans(tmp_path / "plans", inventory=city.inventory).views[code]
    data = view.stage(stages.Stage.DATA)
    assert data is not None
    assert (view.wave, view.owner.name if view.owner else None) == (2, "赵涛")
    assert (data.status, data.target_start) == (stages.StageStatus.IN_PROGRESS, dt.date(2027, 3, 1))
    (gate,) = data.entry_gates
    assert gate.gate is not None
    assert gate.gate.gate is plans.GateKind.STAGE_DONE
    (step,) = data.steps
    assert (step.do, step.run) == ("publish the catalogue", "govcloud catalogue")
    lines = text.splitlines()
    assert lines[view.line(data.where) - 3].strip() == "- stage: data"  # two lines were put before the text
    assert lines[view.line(gate.where) - 3].lstrip().startswith("- {gate: stage_done")
    assert lines[view.line(step.where) - 3].lstrip().startswith("- {do: publish")


def test_a_misspelt_status_reads_as_started_so_a_wave_stays_frozen(tmp_path: Path, city: example.ExampleCity) -> None:
    code, other, callers = _codes(city)

    def pending(system: str) -> str:
        return (
            _good(system, callers).replace("status: done", "status: pending").replace("    status: in_progress\n", "")
        )

    misspelt = pending(code).replace("  - stage: data\n", "  - stage: data\n    statsu: done\n")
    _write(tmp_path / "plans", f"{code}.yaml", misspelt)
    _write(tmp_path / "plans", f"{other}.yaml", pending(other).replace("stage: data", "stage: dta\n    status: done"))
    progress = plan_progress.load_progress_leniently(tmp_path / "plans")
    assert progress[code].started()
    assert progress[code].reached is None
    assert progress[other].started()  # a stage whose name cannot be read, done: may have started


def test_an_unreadable_gate_of_a_started_stage_is_a_problem_not_skipped(
    tmp_path: Path, city: example.ExampleCity
) -> None:
    code, _, callers = _codes(city)
    text = _good(code, callers).replace(
        "  - stage: data\n", "  - stage: data\n    entry_gates:\n      - {gate: stage_done, stage: network}\n"
    )
    _write(tmp_path / "plans", f"{code}.yaml", text)
    advice = plan_progress.read_plans(tmp_path / "plans").unmet_gates(city.inventory)
    (problem,) = advice.problems
    assert (problem.kind, problem.field, problem.line) == (plan_view.ProblemKind.GATE, "stages.1.entry_gates.0", 7)
    assert "cannot be read" in problem.message
    assert advice.unmet == ()


def test_an_unmet_gate_of_a_started_stage_is_advice(tmp_path: Path, city: example.ExampleCity) -> None:
    code, other, callers = _codes(city)
    text = _good(code, callers).replace(
        "  - stage: data\n",
        f"  - stage: data\n    entry_gates:\n      - {{gate: stage_done, system: {other}, stage: network}}\n",
    )
    _write(tmp_path / "plans", f"{code}.yaml", text)
    advice = plan_progress.read_plans(tmp_path / "plans").unmet_gates(city.inventory)
    (unmet,) = advice.unmet
    assert (unmet.system, unmet.field, unmet.stage, unmet.status) == (
        code,
        "stages.1.entry_gates.0",
        "data",
        "in_progress",
    )
    assert unmet.evidence == f"{other} has no plan file"
    assert advice.problems == ()


def test_statuses_out_of_order_name_the_stage_without_parsing_the_message(
    tmp_path: Path, city: example.ExampleCity
) -> None:
    """The stage a status-order problem points at comes from the rule's record, not from its wording."""
    code, _, callers = _codes(city)
    text = _good(code, callers).replace("status: done", "status: pending")
    _write(tmp_path / "plans", f"{code}.yaml", text)
    (problem,) = plan_progress.check_plans(tmp_path / "plans", city.inventory)
    assert (problem.field, problem.line) == ("stages.1.status", 6)
    assert problem.message == "statuses out of order: data is in_progress while network is pending"
    (order,) = plans.statuses_in_order({stages.Stage.DATA: stages.StageStatus.IN_PROGRESS})
    assert order.stage is stages.Stage.DATA
