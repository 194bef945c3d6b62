"""``govcloud check``'s findings cache: a warm check equals a cold one, and any input it read invalidates it.

Real files in a real git repository (the cache lives in the working tree's ``.govcloud/cache/``): a copy of the
bundled inventory, plans and request files, with 城管局's CGJ-006 made to consume another department's
有条件共享 entry (a warning before its data stage, an error once the stage is under way: its plan file is read).
"Cold" is ``govcloud --no-cache check``; "warm" runs with the cache.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govcloud.app import census as census_use
from govcloud.census.edges import findings_cache, inventory_cache
from govcloud.cli import app
from govcloud.edges import inventory_files
from ledger_team import REPO_ROOT
from test_sharing_gate import CONDITIONAL, SYSTEM, UNCONDITIONAL, _consume, _set_data_status

TODAY = dt.date.today()


@pytest.fixture(autouse=True)
def _private_key_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))
    monkeypatch.delenv(inventory_cache.NO_CACHE_ENV, raising=False)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A git working tree with ``inventory/``, ``migrations_plan/`` and ``sharing/`` beside each other."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    root = Path(shutil.copytree(REPO_ROOT / "inventory", tmp_path / "inventory"))
    shutil.copytree(REPO_ROOT / "migrations_plan", tmp_path / "migrations_plan")
    shutil.copytree(REPO_ROOT / "sharing", tmp_path / "sharing")
    _consume(root, SYSTEM, (CONDITIONAL, UNCONDITIONAL))
    return tmp_path


def _check(tree: Path, *, cache: bool, today: dt.date = TODAY) -> tuple[int, str]:
    args = [*(() if cache else ("--no-cache",)), "check", "--inventory", str(tree / "inventory"), "--all-warnings"]
    result = CliRunner().invoke(app, [*args, "--today", today.isoformat()], catch_exceptions=False)
    return result.exit_code, result.output


def _warm_equals_cold(tree: Path, monkeypatch: pytest.MonkeyPatch, today: dt.date = TODAY) -> tuple[int, str]:
    with monkeypatch.context() as scoped:  # --no-cache sets the variable for the process: undo it after
        scoped.setenv(inventory_cache.NO_CACHE_ENV, "0")
        cold = _check(tree, cache=False, today=today)
    warm = _check(tree, cache=True, today=today)
    assert warm == cold
    return warm


def _checked(tree: Path, today: dt.date = TODAY) -> census_use.Checked:
    return census_use.check_inventory(tree / "inventory", loader=inventory_files.load_inventory, today=today)


def _entry(tree: Path) -> Path:
    directory = inventory_cache.cache_directory(tree / "inventory")
    assert directory is not None
    return directory / (inventory_cache.hashlib.sha256(b"<check findings>").hexdigest()[:32] + ".entry")


def test_a_warm_check_equals_a_cold_one_and_builds_no_record(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, output = _warm_equals_cold(tree, monkeypatch)
    assert code == 0, output
    assert f"{SYSTEM} consumes {CONDITIONAL}" in output
    again = _check(tree, cache=True)
    assert again == (code, output)
    checked = _checked(tree)
    assert not checked.loaded.built  # the findings came from the cache: no record was unpickled
    assert checked.sharing.warnings
    assert _check(tree, cache=True) == (code, output)


def test_a_changed_plan_file_it_consulted_invalidates(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _ = _warm_equals_cold(tree, monkeypatch)
    assert code == 0
    _set_data_status(tree / "migrations_plan", "in_progress")  # the consumption is now an error
    code, output = _warm_equals_cold(tree, monkeypatch)
    assert code == 1
    assert f"{CONDITIONAL} (有条件共享) without an active grant" in output


def test_another_day_invalidates(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, first = _warm_equals_cold(tree, monkeypatch)
    later = TODAY + dt.timedelta(days=1)
    _, output = _warm_equals_cold(tree, monkeypatch, today=later)
    assert f"on {later.isoformat()}" in output
    assert f"on {TODAY.isoformat()}" not in output
    assert f"on {TODAY.isoformat()}" in first


def test_changed_settings_invalidate(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, before = _warm_equals_cold(tree, monkeypatch)
    settings = tree / "inventory" / "settings.yaml"
    text = settings.read_text(encoding="utf-8") if settings.exists() else ""
    assert "cannot be 无条件共享" not in before
    settings.write_text(text + "\nsharing:\n  open_grades: []\n", encoding="utf-8")
    code, after = _warm_equals_cold(tree, monkeypatch)
    assert code == 1
    assert "一般数据 cannot be 无条件共享" in after  # no grade may be shared unconditionally now


def test_a_changed_request_file_invalidates(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, before = _warm_equals_cold(tree, monkeypatch)
    requests = sorted((tree / "sharing" / "requests").glob("*.yaml"))
    requests[0].unlink()
    _, after = _warm_equals_cold(tree, monkeypatch)
    assert after != before  # the grant it held is gone


@pytest.mark.parametrize("damage", ["corrupt", "empty", "foreign"])
def test_a_damaged_or_foreign_entry_is_rebuilt(tree: Path, monkeypatch: pytest.MonkeyPatch, damage: str) -> None:
    expected = _warm_equals_cold(tree, monkeypatch)
    entry = _entry(tree)
    assert entry.is_file()
    blob = bytearray(entry.read_bytes())
    if damage == "corrupt":
        blob[-5] ^= 0xFF
    elif damage == "empty":
        blob = bytearray()
    else:  # written under another key: a .govcloud/ copied from elsewhere
        monkeypatch.setenv("XDG_CACHE_HOME", str(tree / "elsewhere"))
        inventory_cache._key.cache_clear()
    entry.write_bytes(bytes(blob))
    assert findings_cache.load(tree / "inventory", "any key") is None
    assert _warm_equals_cold(tree, monkeypatch) == expected
    checked = _checked(tree)
    assert not checked.loaded.built  # rewritten: the next check reads it again
    inventory_cache._key.cache_clear()
