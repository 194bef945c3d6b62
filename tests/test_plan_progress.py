"""The one reader of plan files: strict (the whole plan --check) for provisioning, lenient for reports.

Real files in tmp_path, checked against a small generated city.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from govcloud.core import example
from govcloud.errors import InputError
from govcloud.planning.core import stages
from govcloud.planning.edges import plan_files, plan_progress


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
    assert plan_progress.load_progress(tmp_path / "plans", inventory=city.inventory) == {
        code: stages.Progress(reached=stages.Stage.DATA, business_callers=callers)
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
    checked = plan_files.check_plans(plans, city.inventory)
    assert len(checked) == 3
    with pytest.raises(InputError) as raised:
        plan_progress.load_tracking(plans, strict=True, inventory=city.inventory)
    assert list(raised.value.problems) == sorted(checked, key=lambda p: (p.path, p.line or 0))
    fields = {(Path(p.path).name, p.line, p.field) for p in raised.value.problems}
    assert fields == {
        (f"{code}.yaml", 6, "stages.1.statsu"),
        ("ZZZ-404.yaml", 1, "system"),
        (f"{other}.yaml", 9, "stages.2.callers.0"),
    }


def test_a_strict_read_needs_the_inventory(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="inventory"):
        plan_progress.load_tracking(tmp_path, strict=True, inventory=None)  # type: ignore[call-overload]


def test_reports_skip_what_they_cannot_read_and_keep_the_rest(tmp_path: Path, city: example.ExampleCity) -> None:
    code, other, callers = _codes(city)
    _write(tmp_path / "plans", f"{code}.yaml", _good(code, callers).replace("status: done", "status: finished"))
    _write(tmp_path / "plans", f"{other}.yaml", _good(other, callers))
    _write(tmp_path / "plans", "BROKEN.yaml", "system: [unclosed\n")
    tracking = plan_progress.load_tracking(tmp_path / "plans", strict=False)
    assert set(tracking) == {code, other}
    assert stages.Stage.NETWORK not in tracking[code].statuses  # unreadable: skipped
    assert tracking[code].status(stages.Stage.DATA) is stages.StageStatus.IN_PROGRESS
    assert tracking[other].status(stages.Stage.NETWORK) is stages.StageStatus.DONE


def test_the_baseline_file_is_not_read_as_a_plan(tmp_path: Path, city: example.ExampleCity) -> None:
    code, _, callers = _codes(city)
    _write(tmp_path / "plans", f"{code}.yaml", _good(code, callers))
    _write(tmp_path / "plans", "baseline.yaml", "waves: []\n")
    assert [p.name for p in plan_progress.plan_paths(tmp_path / "plans")] == [f"{code}.yaml"]
    assert plan_files.check_plans(tmp_path / "plans", city.inventory) == []
