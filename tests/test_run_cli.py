"""``govcloud run`` (check → assess → plan → report) and ``govcloud plan``/``report`` on the bundled inventory."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govcloud.cli import app
from govcloud.edges import inventory_files, yamlio
from govcloud.planning.edges import plan_progress

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the bundled inventory after one ``govcloud run``."""
    root = tmp_path_factory.mktemp("city")
    shutil.copytree(REPO / "inventory", root / "inventory")
    result = runner.invoke(
        app,
        [
            "run",
            "--inventory",
            str(root / "inventory"),
            "--plans",
            str(root / "migrations_plan"),
            "--reports",
            str(root / "reports"),
            "--today",
            "2026-07-01",
        ],
    )
    assert result.exit_code == 0, result.output
    return root


def test_run_writes_plans_that_pass_check_and_both_reports(workspace: Path) -> None:
    plans = sorted((workspace / "migrations_plan").glob("*.yaml"))
    assert len(plans) > 200
    check = runner.invoke(
        app,
        ["plan", "--check", "--inventory", str(workspace / "inventory"), "--plans", str(workspace / "migrations_plan")],
    )
    assert check.exit_code == 0, check.output
    assert "match the inventory" in check.output
    inventory = inventory_files.load_inventory(workspace / "inventory").inventory
    assert len(plan_progress.load_progress(workspace / "migrations_plan", inventory=inventory)) == len(plans)
    html = (workspace / "reports" / "report.html").read_text(encoding="utf-8")
    assert "<svg" in html
    assert "| 指标 | 数值 | 说明 |" in (workspace / "reports" / "report.md").read_text(encoding="utf-8")  # zh-CN labels


def test_plan_check_fails_with_file_and_line(workspace: Path, tmp_path: Path) -> None:
    plans_dir = tmp_path / "migrations_plan"
    shutil.copytree(workspace / "migrations_plan", plans_dir)
    path = sorted(plans_dir.glob("*.yaml"))[0]
    text = path.read_text(encoding="utf-8")
    line = yamlio.line_of(text, ("system",))
    path.write_text(text.replace("\nsystem: ", "\nsystem: ZZZ", 1), encoding="utf-8")
    result = runner.invoke(
        app, ["plan", "--check", "--inventory", str(workspace / "inventory"), "--plans", str(plans_dir)]
    )
    assert result.exit_code == 1
    assert f"{path.name}:{line}: system:" in result.output


def test_plan_json_lists_waves_with_reasons(workspace: Path) -> None:
    result = runner.invoke(
        app, ["plan", "--format", "json", "--inventory", str(workspace / "inventory"), "--today", "2026-07-01"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)["plan"]
    assert data["waves"]
    first = next(iter(data["placements"].values()))
    assert first["reasons"][0].startswith(f"wave {first['wave']}:")
    assert data["cycles"]


def test_report_to_a_file(workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = runner.invoke(
        app,
        [
            "report",
            "--format",
            "json",
            "--out",
            str(out),
            "--inventory",
            str(workspace / "inventory"),
            "--plans",
            str(workspace / "migrations_plan"),
            "--today",
            "2026-07-01",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["totals"]["systems"] == 328  # 320 systems of the census and 8 classified ones of the intranet
