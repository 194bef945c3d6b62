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


# ---------------------------------------------------------------------------------------------------------
# Content-aware grading


def _replace_entry(inventory: model.Inventory, entry: model.CatalogueEntry) -> model.Inventory:
    return inventory.model_copy(
        update={"catalogue": tuple(entry if e.code == entry.code else e for e in inventory.catalogue)}
    )


def _with_items(entry: model.CatalogueEntry, *names: str) -> model.CatalogueEntry:
    return entry.model_copy(
        update={"data_items": tuple(model.DataItem(name=n, type=model.DataItemType.C) for n in names)}
    )


def test_loosening_an_entry_with_personal_items_names_them() -> None:
    entry = next(e for e in CITY.inventory.catalogue if e.sharing.type is model.SharingType.CONDITIONAL)
    before = _replace_entry(CITY.inventory, _with_items(entry, "公民身份号码", "救助对象姓名", "救助金额"))
    loosened = _with_items(entry, "公民身份号码", "救助对象姓名", "救助金额").model_copy(
        update={"sharing": model.Sharing(type=model.SharingType.UNCONDITIONAL, conditions="无条件")}
    )
    change = next(
        c for c in diff.diff_inventories(before, _replace_entry(before, loosened)) if c.field == "sharing.type"
    )
    assert change.risk is diff.Risk.HIGH
    assert change.why.endswith("personal information: 公民身份号码, 救助对象姓名")
    # the same loosening of an entry without personal items says what it is, and names none
    plain_before = _replace_entry(CITY.inventory, _with_items(entry, "业务编号", "办理日期"))
    plain_after = _replace_entry(plain_before, _with_items(loosened, "业务编号", "办理日期"))
    plain = next(c for c in diff.diff_inventories(plain_before, plain_after) if c.field == "sharing.type")
    assert plain.why == "sharing loosened from 有条件共享 to 无条件共享: more departments can read it"


def test_opening_an_entry_with_personal_items_to_the_public_names_them() -> None:
    entry = _with_items(next(e for e in CITY.inventory.catalogue if not e.open.open), "手机号码", "事项名称")
    before = _replace_entry(CITY.inventory, entry)
    opened = entry.model_copy(update={"open": model.OpenAttributes(open=True)})
    change = next(c for c in diff.diff_inventories(before, _replace_entry(before, opened)) if c.field == "open.open")
    assert (change.risk, change.why) == (
        diff.Risk.HIGH,
        "now open to the public, holding personal information: 手机号码",
    )


def test_tightening_names_the_consumers_or_says_there_are_none() -> None:
    consumed = {c for s in CITY.inventory.systems for c in s.consumes}
    shared = [e for e in CITY.inventory.catalogue if e.sharing.type is model.SharingType.UNCONDITIONAL]
    used = next(e for e in shared if e.code in consumed)
    unused = next(e for e in shared if e.code not in consumed)
    consumers = sorted(s.code for s in CITY.inventory.systems if used.code in s.consumes)
    for entry, risk, said in (
        (used, diff.Risk.MEDIUM, "consumed by " + ", ".join(consumers) + ", who may lose access"),
        (unused, diff.Risk.LOW, "no system consumes it"),
    ):
        tightened = entry.model_copy(
            update={"sharing": model.Sharing(type=model.SharingType.CONDITIONAL, conditions="仅限审批使用")}
        )
        change = next(
            c
            for c in diff.diff_inventories(CITY.inventory, _replace_entry(CITY.inventory, tightened))
            if c.field == "sharing.type"
        )
        assert change.risk is risk
        assert change.why.endswith(said)
        assert "consumers lose it" not in change.why


def test_placement_into_the_internet_access_zone_is_high() -> None:
    system = next(s for s in CITY.inventory.systems if s.cloud is not None and s.cloud.zone != "INET")
    assert system.cloud is not None
    moved = _replace_system(CITY.inventory, system.code, cloud=system.cloud.model_copy(update={"zone": "INET"}))
    (change,) = diff.diff_inventories(CITY.inventory, moved)
    assert (change.field, change.risk) == ("cloud.zone", diff.Risk.HIGH)
    assert "Internet access zone (互联网接入区) INET" in change.why


def test_a_lower_mlps_pool_is_high_and_a_higher_one_is_not() -> None:
    system = next(s for s in CITY.inventory.systems if s.cloud is not None and s.mlps_level == 3)
    assert system.cloud is not None
    on_mlps3 = _replace_system(
        CITY.inventory, system.code, cloud=system.cloud.model_copy(update={"node_pool": "mlps3"})
    )
    off = _replace_system(CITY.inventory, system.code, cloud=system.cloud.model_copy(update={"node_pool": None}))
    (lowered,) = diff.diff_inventories(on_mlps3, off)
    assert lowered.risk is diff.Risk.HIGH
    assert "lower MLPS pool: mlps3 (level 3) → the general pool (level 2)" in lowered.why
    (raised,) = diff.diff_inventories(off, on_mlps3)
    assert raised.risk is diff.Risk.MEDIUM


def test_a_removed_system_is_checked_against_its_decommission_plan_and_its_callers() -> None:
    gone = _unreferenced_system(CITY.inventory)
    after = _without(CITY.inventory, gone.code)

    def removal(decommissions: dict[str, str] | None) -> diff.Change:
        return next(
            c for c in diff.diff_inventories(CITY.inventory, after, decommissions=decommissions) if c.record == "system"
        )

    assert removal({gone.code: "done"}).risk is diff.Risk.MEDIUM
    assert "its decommission plan is done" in removal({gone.code: "done"}).why
    pending = removal({gone.code: "pending"})
    assert (pending.risk, pending.why) == (
        diff.Risk.HIGH,
        "a system left the census: its decommission plan is pending, not done",
    )
    assert "no decommission plan (整合/下线) covers it" in removal({}).why
    # a system still called by another: named, even with its decommission done
    caller = next(s for s in CITY.inventory.systems if s.depends_on and s.code != gone.code)
    callee = caller.depends_on[0]
    called = CITY.inventory.model_copy(update={"systems": tuple(s for s in CITY.inventory.systems if s.code != callee)})
    change = next(
        c
        for c in diff.diff_inventories(CITY.inventory, called, decommissions={callee: "done"})
        if c.record == "system" and c.key == callee
    )
    assert change.risk is diff.Risk.HIGH
    assert caller.code in change.why
    assert "still called by" in change.why


def test_a_system_retired_with_its_plan_file_is_judged_by_the_plan_it_had() -> None:
    from govcloud.audit.core import attribution

    gone = _unreferenced_system(CITY.inventory)
    plan = {"system": gone.code, "disposition": "下线", "decommission": {"status": "done"}}
    before = attribution.Snapshot(CITY.inventory, {gone.code: plan}, {})
    after = attribution.Snapshot(_without(CITY.inventory, gone.code), {}, {})
    changes = attribution.diff_snapshots(before, after)
    removed = next(c for c in changes if c.record == "system")
    assert removed.risk is diff.Risk.MEDIUM
    assert "its decommission plan is done" in removed.why
    deleted_plan = next(c for c in changes if c.record == "plan")
    assert deleted_plan.kind is diff.ChangeKind.REMOVED
