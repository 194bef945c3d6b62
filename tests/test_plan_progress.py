"""The one reader of plan statuses: strict for provisioning, lenient for reports (real files in tmp_path)."""

from __future__ import annotations

from pathlib import Path

import pytest

from govcloud.errors import InputError
from govcloud.planning.core import stages
from govcloud.planning.edges import plan_progress

GOOD = """system: MZJ-001
stages:
  - stage: network
    status: done
  - stage: data
    status: in_progress
  - stage: business
    status: pending
    callers: [GAJ, RSJ]
"""
BAD_STATUS = """system: GAJ-001
stages:
  - stage: network
    status: finished
"""


def _write(root: Path, name: str, text: str) -> None:
    root.mkdir(exist_ok=True)
    (root / name).write_text(text, encoding="utf-8")


def test_progress_is_the_latest_stage_reached_with_its_callers(tmp_path: Path) -> None:
    _write(tmp_path / "plans", "MZJ-001.yaml", GOOD)
    assert plan_progress.load_progress(tmp_path / "plans") == {
        "MZJ-001": stages.Progress(reached=stages.Stage.DATA, business_callers=("GAJ", "RSJ"))
    }


def test_an_absent_plans_directory_means_no_progress(tmp_path: Path) -> None:
    assert plan_progress.load_progress(tmp_path / "nowhere") == {}


def test_provisioning_refuses_an_unknown_status_with_its_line(tmp_path: Path) -> None:
    _write(tmp_path / "plans", "GAJ-001.yaml", BAD_STATUS)
    _write(tmp_path / "plans", "MZJ-001.yaml", GOOD)
    with pytest.raises(InputError) as raised:
        plan_progress.load_progress(tmp_path / "plans")
    (problem,) = raised.value.problems
    assert (Path(problem.path).name, problem.line, problem.field) == ("GAJ-001.yaml", 3, "stages.0")
    assert "finished" in problem.message


def test_reports_skip_what_they_cannot_read_and_keep_the_rest(tmp_path: Path) -> None:
    _write(tmp_path / "plans", "GAJ-001.yaml", BAD_STATUS)
    _write(tmp_path / "plans", "MZJ-001.yaml", GOOD)
    _write(tmp_path / "plans", "BROKEN.yaml", "system: [unclosed\n")
    tracking = plan_progress.load_tracking(tmp_path / "plans", strict=False)
    assert set(tracking) == {"GAJ-001", "MZJ-001"}
    assert tracking["GAJ-001"].statuses == {}
    assert tracking["MZJ-001"].status(stages.Stage.NETWORK) is stages.StageStatus.DONE
