"""govcloud diff: changes between two git revisions of the census, graded by risk (real git repositories)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govcloud.audit.core import diff
from govcloud.cli import app
from govcloud.core import example, model
from govcloud.edges import inventory_files

CITY = example.generate_city(systems=120, seed=3)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.email=audit@example.gov", "-c", "user.name=audit", *args],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    inventory_files.write_inventory(tmp_path / "inventory", CITY.inventory)
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "census")
    return tmp_path


def _replace_system(inventory: model.Inventory, code: str, **changes: object) -> model.Inventory:
    systems = tuple(s.model_copy(update=changes) if s.code == code else s for s in inventory.systems)
    return inventory.model_copy(update={"systems": systems})


def _unreferenced_system(inventory: model.Inventory) -> model.System:
    """A system nothing depends on and whose catalogue entries nobody consumes: removable without dangling refs."""
    called = {d for s in inventory.systems for d in s.depends_on}
    consumed = {c for s in inventory.systems for c in s.consumes}
    return next(
        s
        for s in inventory.systems
        if s.code not in called
        and not s.classified
        and not any(e.code in consumed for e in inventory.entries_of_system.get(s.code, ()))
    )


def _without(inventory: model.Inventory, code: str) -> model.Inventory:
    return inventory.model_copy(
        update={
            "systems": tuple(s for s in inventory.systems if s.code != code),
            "catalogue": tuple(e for e in inventory.catalogue if e.system != code),
        }
    )


def test_identical_inventories_have_no_changes() -> None:
    assert diff.diff_inventories(CITY.inventory, CITY.inventory) == []


def test_lowered_mlps_level_is_high_risk_and_raised_is_medium() -> None:
    system = next(s for s in CITY.inventory.systems if s.mlps_level == 3)
    lowered = diff.diff_inventories(CITY.inventory, _replace_system(CITY.inventory, system.code, mlps_level=2))
    assert [(c.key, c.field, c.old, c.new, c.risk) for c in lowered] == [
        (system.code, "mlps_level", "3", "2", diff.Risk.HIGH)
    ]
    raised = diff.diff_inventories(CITY.inventory, _replace_system(CITY.inventory, system.code, mlps_level=4))
    assert raised[0].risk is diff.Risk.MEDIUM


def test_loosened_sharing_is_high_risk_and_tightened_is_medium() -> None:
    entry = next(e for e in CITY.inventory.catalogue if e.sharing.type is model.SharingType.CONDITIONAL)
    loosened = entry.model_copy(
        update={"sharing": model.Sharing(type=model.SharingType.UNCONDITIONAL, conditions="无条件")}
    )
    tightened = entry.model_copy(
        update={"sharing": model.Sharing(type=model.SharingType.NOT_SHARED, legal_basis="《保密法》")}
    )
    for replacement, risk in ((loosened, diff.Risk.HIGH), (tightened, diff.Risk.MEDIUM)):
        after = CITY.inventory.model_copy(
            update={"catalogue": tuple(replacement if e.code == entry.code else e for e in CITY.inventory.catalogue)}
        )
        type_change = next(c for c in diff.diff_inventories(CITY.inventory, after) if c.field == "sharing.type")
        assert type_change.risk is risk


def test_new_cross_department_call_names_the_callee() -> None:
    caller = _unreferenced_system(CITY.inventory)
    callee = next(
        s for s in CITY.inventory.systems if s.department != caller.department and s.code not in caller.depends_on
    )
    after = _replace_system(CITY.inventory, caller.code, depends_on=(*caller.depends_on, callee.code))
    (change,) = diff.diff_inventories(CITY.inventory, after)
    assert change.field == "depends_on"
    assert change.risk is diff.Risk.MEDIUM
    assert callee.code in change.why


def test_removed_and_added_systems_are_reported_highest_risk_first() -> None:
    gone = _unreferenced_system(CITY.inventory)
    added = gone.model_copy(update={"code": gone.code + "-NEW"})
    without = _without(CITY.inventory, gone.code)
    after = without.model_copy(update={"systems": (*without.systems, added)})
    changes = diff.diff_inventories(CITY.inventory, after)
    systems = [(c.kind, c.key, c.risk) for c in changes if c.record == "system"]
    assert systems == [
        (diff.ChangeKind.REMOVED, gone.code, diff.Risk.HIGH),
        (diff.ChangeKind.ADDED, added.code, diff.Risk.MEDIUM),
    ]
    assert [c.risk for c in changes] == sorted((c.risk for c in changes), reverse=True)


def test_cli_compares_working_tree_with_head_in_a_real_repository(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    system = next(s for s in CITY.inventory.systems if s.mlps_level == 3)
    inventory_files.write_inventory(repo / "inventory", _replace_system(CITY.inventory, system.code, mlps_level=2))
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(app, ["diff", "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["changes"] == [
        {
            "record": "system",
            "key": system.code,
            "kind": "changed",
            "field": "mlps_level",
            "old": "3",
            "new": "2",
            "risk": "high",
            "why": "MLPS level lowered from 3 to 2: weaker controls, may now fit the cloud",
            "commit": {
                "hash": "",
                "author": "",
                "email": "",
                "date": "",
                "message": "uncommitted changes in the working tree",
                "signature": "-",
                "signature_status": "not a commit",
            },
        }
    ]
    assert CliRunner().invoke(app, ["diff", "--fail-on", "high"]).exit_code == 3
    assert CliRunner().invoke(app, ["diff", "--min-risk", "high", "--fail-on", "high"]).exit_code == 3


def test_cli_compares_two_commits(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gone = _unreferenced_system(CITY.inventory)
    inventory_files.write_inventory(repo / "inventory", _without(CITY.inventory, gone.code))
    _git(repo, "commit", "-qam", "retire")
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(app, ["diff", "HEAD~1", "HEAD", "--format", "json"])
    assert result.exit_code == 0, result.output
    removed = [(c["record"], c["key"]) for c in json.loads(result.stdout)["changes"] if c["kind"] == "removed"]
    assert ("system", gone.code) in removed
    assert {key for record, key in removed if record == "catalogue"} == {
        e.code for e in CITY.inventory.entries_of_system[gone.code]
    }
    # the working tree equals HEAD now
    assert json.loads(CliRunner().invoke(app, ["diff", "--format", "json"]).stdout)["changes"] == []


def test_unknown_revision_is_a_clear_error_without_traceback(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(app, ["diff", "no-such-revision"])
    assert result.exit_code == 1
    assert "no-such-revision" in result.output
    assert "Traceback" not in result.output
