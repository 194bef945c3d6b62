"""Golden files: what the commands print, a plan file, manifests and a zone router's nftables ruleset.

A small generated city (60 systems, seed 5) is planned with ``--today 2026-07-01``; every rendering below is
compared byte for byte with its file under ``tests/golden/``, so a change to any output shows in review as a
diff of that file. After an intended change: ``pytest tests/test_golden.py --update-golden``, read the diff,
commit it. The example generator feeds these files: a change to it means regenerating them too.

The commands run in-process through typer's CliRunner; outputs are JSON, Markdown or plain lines (never rich
tables, whose width depends on the terminal), with the temporary directory written as ``<tmp>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import jinja2
import pytest
import yaml
from typer.testing import CliRunner

from conftest import Golden
from govcloud.app import network as app_network
from govcloud.app import workspace
from govcloud.cli import app
from govcloud.core import example
from govcloud.edges import inventory_files

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = REPO / "playbooks" / "roles" / "zone_router" / "templates"
TODAY = "2026-07-01"
runner = CliRunner()


class City:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.inventory = root / "inventory"
        self.plans = root / "migrations_plan"

    def invoke(self, *args: str) -> tuple[int, str, str]:
        result = runner.invoke(app, list(args), catch_exceptions=False)
        return result.exit_code, self.normalise(result.stdout), self.normalise(result.stderr)

    def normalise(self, text: str) -> str:
        text = text.replace(str(self.root), "<tmp>")
        return re.sub(r"\d+(\.\d+)? s\b", "N s", text)


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[City]:
    root = tmp_path_factory.mktemp("golden")
    inventory_files.write_inventory(root / "inventory", example.generate_city(systems=60, seed=5).inventory)
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.chdir(root)
    monkeypatch.delenv(workspace.LEDGER_ENV, raising=False)
    planned = City(root)
    code, _, err = planned.invoke("plan", "--write", "--today", TODAY)
    assert code == 0, err
    yield planned
    monkeypatch.undo()


COMMANDS = {
    "check": ("check", "--today", TODAY),
    "assess.json": ("assess", "--format", "json"),
    "assess.md": ("assess", "--format", "markdown"),
    "census-summary.json": ("census", "summary", "--format", "json"),
    "plan.json": ("plan", "--format", "json", "--today", TODAY),
    "plan-write-again.json": ("plan", "--write", "--format", "json", "--today", TODAY),
    "plan-check": ("plan", "--check", "--today", TODAY),
    "report.md": ("report", "--format", "markdown", "--today", TODAY),
    "status.md": ("status", "--format", "markdown", "--limit", "12", "--today", TODAY),
    "assess-unknown-system": ("assess", "--system", "NOPE-999"),
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_output_matches_its_golden_file(city: City, golden: Golden, name: str) -> None:
    code, out, err = city.invoke(*COMMANDS[name])
    golden.check(
        f"cli/{name}.txt", f"$ govcloud {' '.join(COMMANDS[name])}\nexit {code}\n--- stdout\n{out}--- stderr\n{err}"
    )


def test_a_plan_file_matches_its_golden_file(city: City, golden: Golden) -> None:
    paths = sorted(city.plans.glob("*.yaml"))
    migration = next(p for p in paths if "kind: migration" in p.read_text(encoding="utf-8"))
    golden.check(f"plans/{migration.name}", migration.read_text(encoding="utf-8"))


def test_rendered_manifests_match_their_golden_files(city: City, golden: Golden, tmp_path: Path) -> None:
    code, _, err = city.invoke("render", "--out", str(tmp_path / "manifests"))
    assert code == 0, err
    files = sorted((tmp_path / "manifests").glob("*.yaml"))
    assert files
    for name in ("platform.yaml", files[0].name):
        text = (tmp_path / "manifests" / name).read_text(encoding="utf-8")
        assert list(yaml.safe_load_all(text))  # golden or not, the file is a YAML stream
        golden.check(f"manifests/{name}", text)


def test_a_zone_router_ruleset_matches_its_golden_file(city: City, golden: Golden) -> None:
    data = app_network.ansible_inventory(city.inventory, city.plans)
    routers = sorted(host for host, variables in data.hostvars.items() if "govcloud_firewall" in variables)
    assert routers
    environment = jinja2.Environment(  # what Ansible's template module uses
        loader=jinja2.FileSystemLoader(TEMPLATES), trim_blocks=True, keep_trailing_newline=True, autoescape=False
    )
    environment.filters["bool"] = bool  # Ansible's filter; the defaults hold real booleans
    defaults = yaml.safe_load((TEMPLATES.parent / "defaults" / "main.yml").read_text(encoding="utf-8"))
    text = environment.get_template("nftables.conf.j2").render(
        **defaults, govcloud_firewall=data.hostvars[routers[0]]["govcloud_firewall"]
    )
    assert "policy drop;" in text
    golden.check(f"nftables/{routers[0]}.nft", text)
