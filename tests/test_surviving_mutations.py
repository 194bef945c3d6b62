"""Tests for the four hand-made mutations that used to survive the suite (issue 15).

Each test was checked against its mutation applied by hand (it failed) and reverted:

* the unmet-gate advice of ``plan --check`` (advice dropped, or a failing gate read as holding);
* the shape cache trusting a cached verdict (an invalid shape seen before passed the second time);
* antispoof off in the firewalls the Ansible inventory hands to the zone routers;
* the classified check before ``govcloud network --system`` starts Ansible.
"""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govcloud.app import network as app_network
from govcloud.app import workspace
from govcloud.cli import app, common
from govcloud.cloud.edges import k8s_schema, shape_cache
from govcloud.core import model
from govcloud.edges import inventory_files
from govcloud.errors import RefusedError

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()


@pytest.fixture
def copied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(REPO / "inventory", tmp_path / "inventory")
    shutil.copytree(REPO / "migrations_plan", tmp_path / "migrations_plan")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(workspace.LEDGER_ENV, raising=False)
    return tmp_path


# --- unmet-gate advice ------------------------------------------------------------------------------------


def _plan_with_an_unmet_exit_gate(plans_dir: Path) -> tuple[Path, str]:
    """A plan whose network stage waits (exit gate) for a provider still pending: mark its network stage done."""
    texts = {p: p.read_text(encoding="utf-8") for p in sorted(plans_dir.glob("*.yaml"))}
    pending = {m for text in texts.values() if (m := _network_status(text)) == "pending"}
    assert pending
    for path, text in texts.items():
        providers = re.findall(r"\{gate: stage_reached, system: ([A-Z]+-\d+), stage: network\}", text)
        waiting = [
            code for code in providers if _network_status(texts.get(plans_dir / f"{code}.yaml", "")) == "pending"
        ]
        if waiting and _network_status(text) == "pending":
            path.write_text(text.replace("    status: pending", "    status: done", 1), encoding="utf-8")
            return path, waiting[0]
    raise AssertionError("no plan waits for a pending provider")


def _network_status(text: str) -> str | None:
    found = re.search(r"- stage: network\n(?:    .*\n)*?    status: (\w+)", text)
    return found.group(1) if found else None


def test_plan_check_advises_on_a_started_stage_whose_gate_does_not_hold(copied: Path) -> None:
    clean = runner.invoke(app, ["plan", "--check"])
    assert clean.exit_code == 0, clean.output
    path, provider = _plan_with_an_unmet_exit_gate(copied / "migrations_plan")
    assert f"migrations_plan/{path.name}" not in clean.stdout

    result = runner.invoke(app, ["plan", "--check"])

    assert result.exit_code == 0, result.output  # advice, not an error
    assert "gate(s) of started stages do not hold yet" in result.stdout
    advice = [line for line in result.stdout.splitlines() if f"migrations_plan/{path.name}:" in line]
    assert advice, result.stdout
    assert any(f"{path.stem} network is done but its exit gate" in line and provider in line for line in advice)


# --- the shape cache ---------------------------------------------------------------------------------------


def _deployment(name: str) -> dict[str, object]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "d-test"},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": name, "image": f"registry.local/{name}:1"}]},
            },
        },
    }


def test_the_shape_cache_never_passes_an_invalid_shape_it_has_seen() -> None:
    plain = k8s_schema.KubernetesSchemas("1.30", strict=True)
    cached = shape_cache.ShapeCachedValidator(plain)
    valid = [_deployment(f"app-{i}") for i in range(3)]
    invalid = copy.deepcopy(valid)
    for manifest in invalid:
        manifest["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"  # type: ignore[index]
    for manifest in (*valid, *invalid, *valid, *invalid):  # each invalid shape is seen a second and third time
        expected = plain.check(manifest)
        assert cached.check(manifest) == expected
    assert all(plain.check(m).problems for m in invalid)  # the forbidden case really is invalid
    assert not any(plain.check(m).problems for m in valid)
    assert cached.shapes() == 2


# --- antispoof ---------------------------------------------------------------------------------------------


def test_every_router_the_ansible_inventory_configures_drops_spoofed_sources() -> None:
    data = app_network.ansible_inventory(REPO / "inventory", REPO / "migrations_plan")
    inventory = inventory_files.load_inventory(REPO / "inventory").inventory
    routers = [h for h in inventory.hosts if h.role is model.HostRole.ZONE_ROUTER]
    assert routers
    for router in routers:
        wall = data.hostvars[router.name]["govcloud_firewall"]
        interfaces = {a.interface for a in router.addresses if a.interface}
        assert interfaces
        spoof = wall["antispoof"]
        for interface in interfaces:
            assert any(s.startswith(f'iifname "{interface}" ip saddr != @') and " drop " in s for s in spoof), (
                router.name,
                interface,
            )
        assert len(spoof) == len(interfaces)


# --- the classified check before Ansible -------------------------------------------------------------------


def _without_intranet_zone(loaded: inventory_files.LoadedInventory, code: str) -> inventory_files.LoadedInventory:
    """The inventory with the intranet zone of classified system ``code`` gone (the census would refuse it, so
    this is what a defect upstream of the CLI would hand it)."""
    data = loaded.inventory.model_dump()
    system = loaded.inventory.system_by_code[code]
    zone = loaded.inventory.intranet_zone_of_system(system)
    assert zone is not None
    data["network"]["intranet"]["zones"] = [z for z in data["network"]["intranet"]["zones"] if z["code"] != zone.code]
    changed = model.Inventory.model_validate(data)
    assert changed.intranet_zone_of_system(changed.system_by_code[code]) is None
    return inventory_files.LoadedInventory(changed, loaded.sources, loaded.root, loaded.files)


def _classified(inventory_dir: Path) -> str:
    inventory = inventory_files.load_inventory(inventory_dir).inventory
    return next(s.code for s in inventory.systems if s.classified and s.intranet_zone is None)


def test_network_refuses_a_classified_system_without_an_intranet_zone_before_ansible(
    copied: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = _classified(copied / "inventory")
    real = inventory_files.load_inventory(copied / "inventory")
    (copied / "migrations_plan" / f"{code}.yaml").unlink()  # its plan names the zone removed below
    started: list[object] = []
    monkeypatch.setattr("govcloud.network.edges.network_runs.run_playbooks", lambda **kw: started.append(kw))
    monkeypatch.setattr(common, "load_inventory", lambda root, quiet=False: _without_intranet_zone(real, code))

    result = runner.invoke(app, ["network", "check", "--system", code])

    assert result.exit_code == RefusedError.exit_code, result.output
    assert f"system {code} is classified (涉密)" in result.output
    assert "gives it no zone on the 电子政务内网" in result.output
    assert started == []


def test_network_preflight_lets_a_classified_system_with_its_intranet_zone_through(copied: Path) -> None:
    code = _classified(copied / "inventory")
    space = workspace.Workspace(inventory_dir=copied / "inventory", plans_dir=copied / "migrations_plan")
    app_network.preflight(space, system=code)  # the census gives it a zone: no refusal
    real = inventory_files.load_inventory(copied / "inventory")
    (copied / "migrations_plan" / f"{code}.yaml").unlink()  # its plan names the zone removed below
    broken = workspace.Workspace(
        inventory_dir=copied / "inventory",
        plans_dir=copied / "migrations_plan",
        loader=lambda root: _without_intranet_zone(real, code),
    )
    with pytest.raises(RefusedError, match="classified"):
        app_network.preflight(broken, system=code)
