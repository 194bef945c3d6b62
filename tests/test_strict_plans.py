"""Every provisioning entry point refuses plans that fail ``govcloud plan --check``, naming file, line and problem.

On a tmp copy of the bundled inventory and plans, one plan file gets the issue's typo (``statsu:`` for
``status:`` on a stage that is done), which used to read as "pending" and silently close the system's flows.
Each entry point must refuse it with the same ``file:line: field: message`` and provision nothing:
``govcloud render``, both Pulumi programs under Pulumi's mock runtime, the policy pack's inputs (and the real
pack process), the playbooks' inventory plugin through ``ansible-inventory`` as a subprocess, and ``govcloud
network``. A clean copy passes each of them, so every refusal is caused by the typo alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.runtime import settings as pulumi_settings
from typer.testing import CliRunner

from govcloud.app import network as app_network
from govcloud.app import stacks as app_stacks
from govcloud.cli import app
from govcloud.cloud.edges import pulumi_policy_pack, pulumi_program
from govcloud.edges import inventory_files, yamlio
from govcloud.errors import InputError
from govcloud.network.edges import network_runs
from govcloud.planning.edges import plan_progress

REPO = Path(__file__).resolve().parents[1]
PLAYBOOKS = REPO / "playbooks"
PACK_DIR = REPO / "stacks" / "policy"
ANSIBLE_INVENTORY = Path(sys.executable).with_name("ansible-inventory")
runner = CliRunner()


class Workspace:
    """A copy of the bundled inventory and plans; ``break_plan`` plants the typo and says where it is."""

    def __init__(self, root: Path) -> None:
        self.inventory = root / "inventory"
        self.plans = root / "migrations_plan"
        self.broken: Path | None = None
        self.line: int | None = None

    def break_plan(self) -> str:
        """Misspell ``status`` of a stage that is done; return the ``file:line: field: message`` expected."""
        path = next(p for p in sorted(self.plans.glob("*.yaml")) if "    status: done" in p.read_text("utf-8"))
        text = path.read_text(encoding="utf-8").replace("    status: done", "    statsu: done", 1)
        path.write_text(text, encoding="utf-8")
        self.broken, self.line = path, yamlio.line_of(text, ("stages", 0, "statsu"))
        return f"{path.name}:{self.line}: stages.0.statsu: unknown key 'statsu' in a stage: did you mean 'status'?"


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    shutil.copytree(REPO / "inventory", tmp_path / "inventory")
    shutil.copytree(REPO / "migrations_plan", tmp_path / "migrations_plan")
    return Workspace(tmp_path)


def _flat(text: str) -> str:
    """Output with rich's line wrapping undone."""
    return " ".join(text.split())


# --- the one strict read ---------------------------------------------------------------------------------------


def test_the_bundled_plans_pass_the_strict_read(workspace: Workspace) -> None:
    inventory = inventory_files.load_inventory(workspace.inventory).inventory
    progress = plan_progress.load_progress(workspace.plans, inventory=inventory)
    assert any(p.reached is not None for p in progress.values())


# --- govcloud render ---------------------------------------------------------------------------------------------


def test_render_refuses_a_plan_that_fails_the_check_and_writes_nothing(workspace: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "manifests"
    arguments = ["render", "-i", str(workspace.inventory), "--plans", str(workspace.plans), "--out", str(out)]
    expected = workspace.break_plan()
    result = runner.invoke(app, arguments)
    assert result.exit_code == 1
    assert expected in _flat(result.output)
    assert "plan --check" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_render_of_the_clean_copy_passes(workspace: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "manifests"
    result = runner.invoke(
        app, ["render", "-i", str(workspace.inventory), "--plans", str(workspace.plans), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert (out / "platform.yaml").is_file()


# --- the Pulumi programs, under Pulumi's own mock runtime ---------------------------------------------------------


class _Mocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.created: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.created.append(args)
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}


@pytest.fixture
def mocks() -> Iterator[_Mocks]:
    """Fresh mocks per test (a module-level set_mocks would let the last collected file win)."""
    pulumi_settings.ROOT.set(None)
    pulumi.runtime.set_all_config({}, [])
    fresh = _Mocks()
    pulumi.runtime.set_mocks(fresh, project="govcloud", stack="dev", preview=False)
    yield fresh
    pulumi.runtime.set_all_config({}, [])


PROGRAMS: dict[str, Callable[[pulumi_program.StackConfig], pulumi_program.ProgramResult]] = {
    "platform": app_stacks.run_platform_program,
    "departments": app_stacks.run_departments_program,
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_each_pulumi_program_fails_naming_the_file_line_and_problem(
    workspace: Workspace, mocks: _Mocks, name: str
) -> None:
    expected = workspace.break_plan()
    config = pulumi_program.StackConfig(
        inventory_dir=workspace.inventory, plans_dir=workspace.plans, kubeconfig_path="/etc/govcloud/kubeconfig"
    )

    @pulumi.runtime.test
    def program() -> None:
        PROGRAMS[name](config)

    with pytest.raises(pulumi_program.ProgramInputError) as raised:
        program()
    assert expected in str(raised.value)  # the engine shows a program's failure by its message alone
    assert "nothing declared" in str(raised.value)
    assert {p.path for p in raised.value.problems} == {str(workspace.broken)}
    assert mocks.created == []


@pulumi.runtime.test
def test_the_platform_program_declares_from_the_clean_copy(workspace: Workspace, mocks: _Mocks) -> None:
    config = pulumi_program.StackConfig(
        inventory_dir=workspace.inventory, plans_dir=workspace.plans, kubeconfig_path="/etc/govcloud/kubeconfig"
    )
    result = app_stacks.run_platform_program(config)
    assert result.manifests


# --- the policy pack ---------------------------------------------------------------------------------------------


def test_the_policy_pack_inputs_refuse_a_plan_that_fails_the_check(workspace: Workspace) -> None:
    assert app_stacks.policy_pack_rules(workspace.inventory, workspace.plans).mlps3_node_pool
    expected = workspace.break_plan()
    with pytest.raises(pulumi_policy_pack.PackInputError) as raised:
        app_stacks.policy_pack_rules(workspace.inventory, workspace.plans)
    assert expected in str(raised.value)


def test_the_real_policy_pack_does_not_start_on_a_broken_plan(workspace: Workspace) -> None:
    """``python -m pulumi.policy`` on stacks/policy, as the CLI starts it: it exits with the problem instead."""
    expected = workspace.break_plan()
    env = {**os.environ, "GOVCLOUD_INVENTORY": str(workspace.inventory), "GOVCLOUD_PLANS": str(workspace.plans)}
    done = subprocess.run(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", str(PACK_DIR)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert not done.stdout.strip().isdigit()  # it never printed the port it would serve on
    assert expected in done.stderr


# --- Ansible: the inventory plugin and govcloud network ----------------------------------------------------------


def _ansible_inventory(config: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ANSIBLE_CONFIG": str(PLAYBOOKS / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    env["PATH"] = f"{ANSIBLE_INVENTORY.parent}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(
        [str(ANSIBLE_INVENTORY), "-i", str(config), "--list"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_the_inventory_plugin_fails_ansible_inventory_naming_the_problem(workspace: Workspace, tmp_path: Path) -> None:
    config = tmp_path / "inv" / "govcloud.yml"
    config.parent.mkdir()
    config.write_text(network_runs.plugin_config(workspace.inventory, workspace.plans), encoding="utf-8")
    clean = _ansible_inventory(config)
    assert clean.returncode == 0, clean.stderr
    assert '"role_zone_router"' in clean.stdout

    expected = workspace.break_plan()
    broken = _ansible_inventory(config)
    assert broken.returncode != 0  # never an empty inventory that "succeeds"
    assert expected in _flat(broken.stderr)
    assert '"role_zone_router"' not in broken.stdout


def test_the_system_stage_lookup_refuses_too(workspace: Workspace) -> None:
    """The lookup behind system_network_stage.yml reads the plans through the same strict read."""
    inventory = inventory_files.load_inventory(workspace.inventory).inventory
    system = next(s.code for s in inventory.systems if s.cloud is not None and not s.classified)
    expected = workspace.break_plan()
    with pytest.raises(InputError) as raised:
        app_network.stage_vars(workspace.inventory, workspace.plans, system)
    assert expected in _flat(raised.value.render())


def test_govcloud_network_refuses_before_ansible_starts(workspace: Workspace, tmp_path: Path) -> None:
    expected = workspace.break_plan()
    summary = tmp_path / "run.json"
    result = runner.invoke(
        app,
        [
            *("network", "check", "--only", "zones", "-i", str(workspace.inventory)),
            *("--plans", str(workspace.plans), "--summary", str(summary), "--playbooks-dir", str(PLAYBOOKS)),
        ],
    )
    assert result.exit_code == 1
    assert expected in _flat(result.output)
    assert not summary.exists()  # no playbook ran, so there is no run to summarise
