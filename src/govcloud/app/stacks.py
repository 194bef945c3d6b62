"""The Pulumi stacks' inputs and the policy pack's: read through the workspace, as every command reads them.

Application layer. ``stacks/platform`` and ``stacks/departments`` call :func:`run_platform_program` and
:func:`run_departments_program`; the declaring is :mod:`govcloud.cloud.edges.pulumi_program`'s, the reading
is here: the inventory, its settings, the one strict plan read (plans failing ``govcloud plan --check`` stop
the program before anything is declared) and the day's data-sharing grants, then the same desired state
``govcloud render`` writes (:func:`govcloud.app.rendering.desired_state`). ``stacks/policy`` takes its
placement rules from :func:`policy_pack_rules`, after the same strict read.
"""

from __future__ import annotations

from pathlib import Path

from govcloud.app import rendering
from govcloud.app.workspace import Workspace
from govcloud.cloud.core import policies
from govcloud.cloud.edges import pulumi_policy_pack, pulumi_program
from govcloud.errors import InputError


def stack_inputs(config: pulumi_program.StackConfig) -> pulumi_program.StackInputs:
    """What a stack declares from; every input problem as one :class:`~pulumi_program.ProgramInputError`."""
    workspace = Workspace(inventory_dir=config.inventory_dir, plans_dir=config.plans_dir)
    try:
        state = rendering.desired_state(workspace)
        return pulumi_program.StackInputs(workspace.inventory, workspace.settings, state)
    except InputError as exc:
        raise pulumi_program.ProgramInputError(exc) from None


def run_platform_program(config: pulumi_program.StackConfig | None = None) -> pulumi_program.ProgramResult:
    """``stacks/platform``: the shared platform's objects, declared."""
    return pulumi_program.run_platform_program(stack_inputs, config)


def run_departments_program(config: pulumi_program.StackConfig | None = None) -> pulumi_program.ProgramResult:
    """``stacks/departments``: the selected departments' objects, declared after the platform stack is checked."""
    return pulumi_program.run_departments_program(stack_inputs, config)


def policy_pack_rules(inventory_dir: Path, plans_dir: Path) -> policies.PlacementRules:
    """The policy pack's placement rules, after the strict plan read every provisioning entry point makes.

    A preview never passes the programme's policies while the plans it was computed from fail ``govcloud plan
    --check``: the pack does not start and names each file, line and problem
    (:class:`~pulumi_policy_pack.PackInputError`).
    """
    workspace = Workspace(inventory_dir=inventory_dir, plans_dir=plans_dir)
    try:
        _ = workspace.progress
        return policies.PlacementRules.from_settings(workspace.settings.cloud)
    except InputError as exc:
        raise pulumi_policy_pack.PackInputError(exc) from None
