"""The application layer: one workspace reads each input once; plan files are read by one reader.

``plan --write`` over a plan file that is not UTF-8 is refused with the file named and writes nothing (it
used to end in a UnicodeDecodeError traceback); the ledger is found as every command finds it.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govcloud.app import planning, workspace
from govcloud.cli import app
from govcloud.edges import inventory_files

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()


@pytest.fixture
def copied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(REPO / "inventory", tmp_path / "inventory")
    shutil.copytree(REPO / "migrations_plan", tmp_path / "migrations_plan")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(workspace.LEDGER_ENV, raising=False)
    return tmp_path


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def test_plan_write_refuses_a_plan_file_that_is_not_utf8_and_writes_nothing(copied: Path) -> None:
    plans_dir = copied / "migrations_plan"
    victim = sorted(plans_dir.glob("*.yaml"))[1]
    victim.write_bytes("# 测试 GBK\n".encode("gbk") + victim.read_bytes())
    missing = sorted(plans_dir.glob("*.yaml"))[0]
    missing.unlink()  # a write that went ahead would create it again
    before = _snapshot(plans_dir)

    result = runner.invoke(app, ["plan", "--write", "--today", "2026-07-01"])

    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"migrations_plan/{victim.name}: not UTF-8 text: invalid start byte at byte 2" in result.output
    assert "nothing written" in result.output
    assert "Traceback" not in result.output
    assert not missing.exists()
    assert _snapshot(plans_dir) == before


def test_plan_write_on_utf8_files_still_writes(copied: Path) -> None:
    (copied / "migrations_plan" / sorted(p.name for p in (copied / "migrations_plan").glob("*.yaml"))[0]).unlink()
    result = runner.invoke(app, ["plan", "--write", "--today", "2026-07-01"])
    assert result.exit_code == 0, result.output
    assert "1 created" in result.output


def test_the_workspace_loads_the_inventory_once_for_every_use_case(copied: Path) -> None:
    calls: list[Path] = []

    def loader(root: Path) -> inventory_files.LoadedInventory:
        calls.append(root)
        return inventory_files.load_inventory(root)

    space = workspace.Workspace(inventory_dir=copied / "inventory", plans_dir=copied / "migrations_plan", loader=loader)
    assessed = planning.assess(space, today=None)
    planned = planning.plan(space, today=None, started_by=dt.date(2026, 7, 1))
    checked = planning.check_plans(space)
    assert calls == [copied / "inventory"]
    assert set(assessed.systems) == {s.code for s in space.inventory.systems}
    assert planned.wave_plan.waves
    assert checked.problems == ()
    assert len(checked.files) == len(list((copied / "migrations_plan").glob("*.yaml")))


def test_the_ledger_is_found_by_option_then_environment_then_settings(
    copied: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inventory = copied / "inventory"
    from_settings = workspace.Workspace(inventory_dir=inventory).ledger_path
    assert from_settings == Path(".govcloud/ledger.sqlite")
    monkeypatch.setenv(workspace.LEDGER_ENV, str(copied / "env.sqlite"))
    assert workspace.Workspace(inventory_dir=inventory).ledger_path == copied / "env.sqlite"
    assert workspace.ledger_path(inventory, None) == copied / "env.sqlite"
    chosen = copied / "option.sqlite"
    assert workspace.Workspace(inventory_dir=inventory, ledger=chosen).ledger_path == chosen
    assert workspace.ledger_path(copied / "no-such-dir", chosen) == chosen
