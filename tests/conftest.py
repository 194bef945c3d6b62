"""Fixtures shared by the test files: the bundled inventory, a writable copy of it, a small example city."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from govcloud.assessment.core import assess
from govcloud.assessment.core.assessment import Assessment, Confirmation
from govcloud.core import example, model
from govcloud.core.settings import Settings
from govcloud.edges import inventory_files

REPO_ROOT = Path(__file__).resolve().parent.parent


def write_city(city: example.ExampleCity, directory: Path) -> Path:
    """Write an example city's inventory under ``directory`` (as ``govcloud example --out`` does); return it."""
    inventory_files.write_inventory(directory, city.inventory)
    return directory


@pytest.fixture(scope="session")
def bundled_inventory() -> Path:
    """The repository's ``inventory/``: read it, never write to it (use ``inventory_copy`` for that)."""
    return REPO_ROOT / "inventory"


@pytest.fixture
def inventory_copy(tmp_path: Path, bundled_inventory: Path) -> Path:
    """A private copy of the bundled inventory that a test may edit."""
    return Path(shutil.copytree(bundled_inventory, tmp_path / "inventory"))


@pytest.fixture(scope="session")
def small_city() -> example.ExampleCity:
    """A small generated city (120 systems, seed 3); immutable, so shared by the whole session."""
    return example.generate_city(systems=120, seed=3)


def confirm_every_proposal(
    inventory: model.Inventory, settings: Settings | None = None
) -> tuple[Assessment, dict[str, Confirmation]]:
    """Assess, confirm every 下线/整合 proposal as a lead would in the ledger, and assess again with them."""
    first = assess.assess_inventory(inventory, settings)
    confirmations = {
        code: Confirmation(
            disposition=item.decision.proposal.disposition,
            merge_into=item.decision.proposal.merge_into,
            confirmed_by="市大数据中心 迁移组 王磊",
            confirmed_on=dt.date(2026, 6, 30),
            reference="test",
        )
        for code, item in first.systems.items()
        if item.decision.proposal is not None
    }
    return assess.assess_inventory(inventory, settings, confirmations=confirmations), confirmations


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite the golden files under tests/golden/ from the current output (review the diff, then commit)",
    )


GOLDEN_DIR = REPO_ROOT / "tests" / "golden"


class Golden:
    """Compares a rendering with its golden file; with ``--update-golden`` writes the file instead."""

    def __init__(self, update: bool) -> None:
        self.update = update

    def check(self, name: str, text: str) -> None:
        path = GOLDEN_DIR / name
        if self.update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        assert path.is_file(), f"no golden file {path}: run pytest --update-golden, review and commit it"
        expected = path.read_text(encoding="utf-8")
        assert text == expected, f"{name} differs from its golden file (pytest --update-golden rewrites it)"


@pytest.fixture(scope="session")
def golden(request: pytest.FixtureRequest) -> Golden:
    return Golden(bool(request.config.getoption("--update-golden")))


PROBE = """
import json, sys
sys.argv = ["govcloud", *sys.argv[1:]]
from govcloud.cli import main
try:
    main()
except SystemExit:
    pass
json.dump(sorted(sys.modules), sys.stderr)
"""


def imported_by_cli(args: list[str], env: dict[str, str]) -> set[str]:
    """Every module a whole ``govcloud ARGS`` process has imported when it ends (its exit code 0 or 1)."""
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=False, env=env)
    assert done.returncode in (0, 1), done.stderr
    loaded: list[str] = json.loads(done.stderr.strip().splitlines()[-1])
    return set(loaded)
