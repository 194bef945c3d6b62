"""Art. 20 and 21 at the edges: every missing item of a request at once, a year nobody declared refused (never
guessed), an answer after its deadline accepted with a warning and counted late."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from govcloud.app import sharing_steps
from govcloud.cli import app, common
from govcloud.edges import inventory_files
from govcloud.errors import InputError
from govcloud.sharing.core import requests
from govcloud.sharing.edges import request_files

runner = CliRunner()
CONDITIONAL = "10502704/0000145"  # CGJ's 有条件共享 entry
BY = ("--by", "CLB 共享工作机构 负责人 赵一")
ART20 = {
    "basis": "使用依据",
    "scenario": "使用场景",
    "scope": "使用范围",
    "method": "共享方式",
    "use_until": "使用时限",
}


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common.console, "_width", 200)
    monkeypatch.setattr(common.err_console, "_width", 200)


def share(inventory: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["share", *args, "--inventory", str(inventory)])
    return result.exit_code, result.output


def submit(
    inventory: Path, *, on: str = "2025-09-26", until: str = "2026-06-30", basis: str = "《条例》"
) -> tuple[int, str]:
    return share(
        inventory,
        *("request", "--requester", "CLB", "--consumer", "CLB-001", "--resource", CONDITIONAL),
        *("--basis", "《条例》", "--scenario", "联合执法", "--until", until, *BY, "--on", on),
    )


def test_a_request_file_missing_every_art20_item_gets_one_problem_per_item(inventory_copy: Path) -> None:
    assert submit(inventory_copy)[0] == 0
    path = request_files.request_path(inventory_copy, "SQ-2025-0001")
    kept = [line for line in path.read_text(encoding="utf-8").splitlines() if line.split(":")[0] not in ART20]
    kept = [line for line in kept if not line.strip().startswith("- ")]  # the scope's items
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as raised:
        request_files.load_requests(inventory_copy, use_cache=False)
    named = sorted(p.field for p in raised.value.problems)
    assert named == sorted(ART20)
    assert {Path(p.path).name for p in raised.value.problems} == {"SQ-2025-0001.yaml"}
    code, output = share(inventory_copy, "overdue", "--on", "2025-10-01")
    assert code == 1
    for field in ART20:
        assert f"SQ-2025-0001.yaml: {field}:" in output or f"SQ-2025-0001.yaml:1: {field}:" in output, field


def test_share_request_with_blank_art20_items_names_each_and_writes_nothing(inventory_copy: Path) -> None:
    context = sharing_steps.load_context(inventory_copy, loaded=inventory_files.load_inventory(inventory_copy))
    with pytest.raises(InputError) as raised:
        sharing_steps.submit(
            context,
            requester="CLB",
            consumer="CLB-001",
            resource=CONDITIONAL,
            basis=" ",
            scenario="",
            scope=(),
            method=requests.DeliveryMethod.SERVICE,
            use_until=__import__("datetime").date(2026, 6, 30),
            approved_by="赵一",
            on=__import__("datetime").date(2025, 9, 26),
        )
    assert sorted(p.field for p in raised.value.problems) == ["basis", "scenario"]
    assert {Path(p.path).name for p in raised.value.problems} == {"SQ-2025-0001.yaml"}
    assert not request_files.requests_dir(inventory_copy).exists()


def test_a_request_in_a_year_nobody_declared_is_refused_and_writes_nothing(inventory_copy: Path) -> None:
    code, output = submit(inventory_copy, on="2031-03-03", until="2031-12-31")
    assert code == 1
    assert "no working-day calendar for 2031" in output
    assert "sharing.calendar_years" in output
    assert "SQ-2031-0001.yaml" in output
    assert "submitted_on" in output
    assert not request_files.request_path(inventory_copy, "SQ-2031-0001").exists()


def test_a_request_whose_deadline_runs_into_an_undeclared_year_is_refused(inventory_copy: Path) -> None:
    code, output = submit(
        inventory_copy, on="2026-12-28", until="2027-06-30"
    )  # 10 working days end in 2027, which nobody declared
    assert code == 1
    assert "no working-day calendar for 2027" in output
    assert not request_files.request_path(inventory_copy, "SQ-2026-0001").exists()


def test_a_year_declared_in_the_settings_is_used(inventory_copy: Path) -> None:
    (inventory_copy / "settings.yaml").write_text(
        "sharing:\n  calendar_years:\n    - year: 2031\n      holidays: ['2031-01-01']\n      workdays: []\n",
        encoding="utf-8",
    )
    code, output = submit(inventory_copy, on="2031-03-03", until="2031-12-31")
    assert code == 0, output
    code, output = share(inventory_copy, "list")
    assert code == 0, output
    assert "2031-03-17" in output  # 10 working days after Monday 3 March 2031


def test_an_answer_in_a_year_nobody_declared_is_refused(inventory_copy: Path) -> None:
    assert submit(inventory_copy, on="2026-12-01", until="2027-06-30")[0] == 0
    path = request_files.request_path(inventory_copy, "SQ-2026-0001")
    before = path.read_bytes()
    code, output = share(inventory_copy, "answer", "SQ-2026-0001", "grant", *BY, "--on", "2027-01-04")
    assert code == 1
    assert "no working-day calendar for 2027" in output
    assert "answer.date" in output
    assert path.read_bytes() == before


def test_an_answer_after_its_deadline_is_recorded_with_a_warning_and_counted_late(inventory_copy: Path) -> None:
    assert submit(inventory_copy)[0] == 0
    code, output = share(inventory_copy, "answer", "SQ-2025-0001", "grant", *BY, "--on", "2025-10-20")
    assert code == 0, output
    assert "SQ-2025-0001: 已同意" in output
    assert "warning" in output
    assert "2 working day(s) after its deadline of 2025-10-16" in output
    code, output = share(inventory_copy, "report", "--format", "json")
    assert code == 0, output
    assert '"answered_late": 1' in output


def test_an_answer_in_time_gives_no_warning(inventory_copy: Path) -> None:
    assert submit(inventory_copy)[0] == 0
    code, output = share(inventory_copy, "answer", "SQ-2025-0001", "grant", *BY, "--on", "2025-10-16")
    assert code == 0, output
    assert "warning" not in output
