"""The census as Ansible sees it: the inventory plugin's hosts and the stage lookup's chains. Application layer.

The playbooks' inventory plugin and lookup plugin call these, with the day's sharing grants that ``render``
also takes (``sharing/requests/`` beside the inventory); the plans are read strictly
(:attr:`Workspace.progress`): plans that fail ``govcloud plan --check`` are an InputError with every problem,
so no firewall is rendered from a plan a person mistyped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from govcloud.app import sharing_steps
from govcloud.app.workspace import Workspace
from govcloud.errors import InputError, Problem, ToolError
from govcloud.network.edges import ansible_inventory as ansible_shape
from govcloud.network.edges import network_runs
from govcloud.sharing.core.grants import ExchangeGrant


def ansible_inventory(inventory_dir: Path, plans_dir: Path) -> ansible_shape.AnsibleInventory:
    """Every host once, grouped, with its firewall if a router."""
    workspace = Workspace(inventory_dir=inventory_dir, plans_dir=plans_dir)
    return ansible_shape.ansible_inventory_of(
        workspace.inventory,
        workspace.progress,
        inventory_dir=inventory_dir,
        plans_dir=plans_dir,
        grants=grants_of_day(workspace),
    )


def grants_of_day(workspace: Workspace) -> tuple[ExchangeGrant, ...]:
    """Today's active sharing grants, exactly as ``render`` takes them (none without request files)."""
    return sharing_steps.grants_of_day(workspace.inventory_dir, workspace.inventory) or ()


def stage_vars(inventory_dir: Path, plans_dir: Path, system: str) -> dict[str, Any]:
    """What ``system_network_stage.yml`` applies to ``system``: its chain per router, at the network stage.

    An unknown system is refused before the plans are read (as before: the census names the systems).
    """
    workspace = Workspace(inventory_dir=inventory_dir, plans_dir=plans_dir)
    inventory = workspace.inventory
    target = ansible_shape.known_system(inventory, system, inventory_dir=inventory_dir)
    ansible_shape.refuse_classified_without_intranet(inventory, target)
    return ansible_shape.stage_vars_of(
        inventory, workspace.progress, system, inventory_dir=inventory_dir, grants=grants_of_day(workspace)
    )


def preflight(workspace: Workspace, *, system: str | None) -> None:
    """Before ``govcloud network`` starts Ansible: every census problem, then every plan problem (strict read).

    With ``system``: that it exists and, if classified, has a zone on the intranet.
    """
    inventory = workspace.inventory
    workspace.check_plans_strictly()
    if system is None:
        return
    target = inventory.system_by_code.get(system)
    if target is None:
        raise InputError(
            [Problem(str(workspace.inventory_dir), None, "system", f"unknown system {system!r}")], "no such system"
        )
    ansible_shape.refuse_classified_without_intranet(inventory, target)


class NetworkPart(enum.StrEnum):
    """Which playbooks ``network apply`` and ``check`` run when no system is named."""

    ALL = "all"
    ZONES = "zones"
    HOSTS = "hosts"


_PLAYBOOKS = {
    NetworkPart.ALL: (network_runs.NETWORK_ZONES, network_runs.CLOUD_HOSTS),
    NetworkPart.ZONES: (network_runs.NETWORK_ZONES,),
    NetworkPart.HOSTS: (network_runs.CLOUD_HOSTS,),
}


@dataclasses.dataclass(frozen=True)
class NetworkRun:
    """A ``govcloud network`` run: its summary and the file it was written to."""

    summary: network_runs.RunSummary
    path: Path

    def error(self) -> ToolError | None:
        """The error the run ends with (the first failed playbook), None when every playbook succeeded."""
        if self.summary.ok:
            return None
        failed = next(r for r in self.summary.runs if not r.ok)
        return ToolError(f"{failed.playbook} failed ({failed.status}, rc {failed.rc})", returncode=failed.rc)


def run_network(
    *,
    command: str,
    check: bool,
    limit: str | None,
    system: str | None,
    inventory_dir: Path,
    plans_dir: Path,
    summary: Path | None,
    only: NetworkPart,
    extra_inventories: Sequence[Path],
    playbooks_dir: Path | None,
    on_event: Callable[[network_runs.RunEvent], None] | None = None,
) -> NetworkRun:
    """Run the zones/hosts playbooks (or one system's network stage) and write the run summary.

    Call :func:`preflight` first: it reports every census and plan problem before Ansible starts.
    """
    extravars: dict[str, str] = {}
    if system is not None:
        playbooks: Sequence[str] = [network_runs.SYSTEM_NETWORK_STAGE]
        extravars["system"] = system
    else:
        playbooks = list(_PLAYBOOKS[only])
    result = network_runs.run_playbooks(
        command=f"network {command}" + (f" --system {system}" if system else ""),
        playbooks=list(playbooks),
        inventory_dir=inventory_dir,
        plans_dir=plans_dir,
        check=check,
        limit=limit,
        extravars=extravars,
        extra_inventories=list(extra_inventories),
        playbooks_dir=playbooks_dir,
        on_event=on_event,
    )
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = summary or Path(".govcloud") / "runs" / f"network-{command}-{stamp}.json"
    network_runs.write_summary(path, result)
    return NetworkRun(result, path)
