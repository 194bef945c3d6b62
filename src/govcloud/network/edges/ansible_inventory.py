"""The census as an Ansible inventory: hosts, groups and host variables. Edge (Ansible's shape of the census).

Hosts are listed once, in ``inventory/hosts.yaml``; the inventory plugin
(``playbooks/inventory_plugins/govcloud_inventory.py``) and the lookup used by the system stage playbook
(``playbooks/lookup_plugins/govcloud_stage.py``) are thin wrappers over :mod:`govcloud.app.network`, which
reads the inventory and the plans and calls the functions here.

Groups (names are lower case, ``-`` becomes ``_``):

* ``zone_<code>``: hosts with an address in the zone (a router is in every zone it terminates);
* ``role_<role>``: ``role_zone_router``, ``role_k8s_control``, ``role_k8s_node``, ``role_service`` (always
  present, possibly empty, so the playbooks' patterns always match a group);
* ``pool_<node pool>`` and ``mlps_<level>`` for Kubernetes nodes of a dedicated pool;
* ``network_extranet`` and ``network_intranet``: the hosts of each government network (always present), so a
  run can be limited to one (``--limit network_intranet``): the two are physically isolated and never share
  a host.

Host variables: ``govcloud_role``, ``govcloud_zone``, ``govcloud_addresses`` (zone, address, interface,
ip), ``govcloud_interfaces``, ``govcloud_node_pool``, ``govcloud_mlps_level``, ``govcloud_systems``,
``ansible_host`` (the first address) and, for zone routers, ``govcloud_firewall``: the router's firewall
model from :mod:`govcloud.network.core.firewall`, rendered from the flow matrix of the inventory and the plans.
Group ``all`` carries ``govcloud_inventory_dir``, ``govcloud_plans_dir`` and ``govcloud_city``.

Plans that fail ``govcloud plan --check`` are refused by the application layer's strict read, so no firewall is
rendered from a plan a person mistyped; ``playbooks/ansible.cfg`` makes Ansible stop on an inventory source that fails.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from govcloud.core import model
from govcloud.errors import InputError, Problem, RefusedError
from govcloud.network.core import firewall, flows
from govcloud.planning.core import stages
from govcloud.sharing.core.grants import ExchangeGrant

_GROUP_RE = re.compile(r"[^a-z0-9_]+")


def group_name(prefix: str, value: str | int) -> str:
    """A valid Ansible group name: ``<prefix>_<value>`` in lower case with ``_`` for anything else."""
    return f"{prefix}_{_GROUP_RE.sub('_', str(value).lower())}"


@dataclasses.dataclass(frozen=True)
class AnsibleInventory:
    """What the inventory plugin adds: groups with their hosts, variables per host and for ``all``."""

    groups: dict[str, tuple[str, ...]]
    hostvars: dict[str, dict[str, Any]]
    allvars: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The YAML/JSON inventory form (``{"all": {"hosts": ..., "vars": ..., "children": ...}}``)."""
        return {
            "all": {
                "hosts": self.hostvars,
                "vars": self.allvars,
                "children": {name: {"hosts": {h: {} for h in hosts}} for name, hosts in self.groups.items()},
            }
        }


def host_vars(host: model.Host) -> dict[str, Any]:
    """The census variables of one host (no firewall)."""
    addresses = [
        {
            "zone": a.zone,
            "address": str(a.address),
            "ip": str(a.address.ip),
            "prefix": a.address.network.prefixlen,
            "interface": a.interface,
        }
        for a in host.addresses
    ]
    own = next((a for a in host.addresses if a.zone == host.zone), host.addresses[0])
    return {
        "ansible_host": str(own.address.ip),
        "govcloud_role": host.role.value,
        "govcloud_zone": host.zone,
        "govcloud_addresses": addresses,
        "govcloud_interfaces": sorted({a.interface for a in host.addresses if a.interface}),
        "govcloud_node_pool": host.node_pool,
        "govcloud_mlps_level": host.mlps_level,
        "govcloud_systems": list(host.systems),
    }


NETWORK_GROUPS = {model.GovNetwork.EXTRANET: "network_extranet", model.GovNetwork.INTRANET: "network_intranet"}
"""The group of each government network's hosts."""


def ansible_inventory_of(
    inventory: model.Inventory,
    progress: stages.ProgressMap,
    *,
    inventory_dir: Path,
    plans_dir: Path,
    grants: Iterable[ExchangeGrant] = (),
) -> AnsibleInventory:
    """Every host once, grouped, with its firewall if a router; ``progress`` read strictly by the caller.

    ``inventory_dir`` and ``plans_dir`` are recorded as variables, for the lookup plugin of a system's stage.
    :func:`govcloud.app.network.ansible_inventory` reads them (plans failing ``plan --check`` are refused).
    ``grants``: the day's active sharing grants, the same that ``render`` is given, so the routers open a
    consumer's path to the exchange exactly when the cluster's NetworkPolicies do.
    """
    matrix = flows.compute_flow_matrix(inventory, progress, grants=grants)
    firewalls = firewall.build_firewalls(inventory, matrix)
    groups: dict[str, list[str]] = {group_name("role", role.value): [] for role in model.HostRole}
    groups.update({name: [] for name in NETWORK_GROUPS.values()})
    hostvars: dict[str, dict[str, Any]] = {}
    for host in sorted(inventory.hosts, key=lambda h: h.name):
        names = {group_name("role", host.role.value)}
        network = inventory.network_of_host(host)
        if network is not None:
            names.add(NETWORK_GROUPS[network])
        names.update(group_name("zone", a.zone) for a in host.addresses)
        names.add(group_name("zone", host.zone))
        if host.node_pool:
            names.add(group_name("pool", host.node_pool))
        if host.mlps_level is not None:
            names.add(group_name("mlps", host.mlps_level))
        for name in names:
            groups.setdefault(name, []).append(host.name)
        variables = host_vars(host)
        variables["govcloud_network"] = network.value if network is not None else None
        if host.name in firewalls:
            variables["govcloud_firewall"] = firewalls[host.name].to_vars()
        hostvars[host.name] = variables
    return AnsibleInventory(
        groups={name: tuple(hosts) for name, hosts in sorted(groups.items())},
        hostvars=hostvars,
        allvars={
            "govcloud_inventory_dir": str(inventory_dir.resolve()),
            "govcloud_plans_dir": str(plans_dir.resolve()),
            "govcloud_city": inventory.city.name,
        },
    )


def stage_vars_of(
    inventory: model.Inventory,
    progress: stages.ProgressMap,
    system: str,
    *,
    inventory_dir: Path,
    grants: Iterable[ExchangeGrant] = (),
) -> dict[str, Any]:
    """What ``system_network_stage.yml`` applies: the system's chain per router, its stage forced to network.

    A classified system's chains go to the intranet's routers only (its flows are all on the intranet).
    Raises :class:`InputError` for an unknown system and :class:`RefusedError` for a classified one that has
    no zone on the intranet. :func:`govcloud.app.network.stage_vars` reads the inputs.
    """
    target = known_system(inventory, system, inventory_dir=inventory_dir)
    refuse_classified_without_intranet(inventory, target)
    progress = firewall.with_network_stage(progress, system)
    matrix = flows.compute_flow_matrix(inventory, progress, grants=grants)
    chains = firewall.stage_chains(inventory, matrix, system)
    zone = (
        inventory.intranet_zone_of_system(target)
        if target.classified
        else inventory.zone_of_department.get(target.department)
    )
    return {
        "system": system,
        "department": target.department,
        "zone": zone.code if zone is not None else None,
        "routers": sorted(chains),
        "chains": {router: chain.to_vars() for router, chain in chains.items()},
    }


def known_system(inventory: model.Inventory, system: str, *, inventory_dir: Path) -> model.System:
    """The census record of ``system``; an :class:`InputError` naming its department's systems otherwise."""
    target = inventory.system_by_code.get(system)
    if target is None:
        prefix = system.split("-", maxsplit=1)[0]
        close = sorted(code for code in inventory.system_by_code if code.split("-", maxsplit=1)[0] == prefix)
        hint = f"; systems of that department: {', '.join(close[:12])}" if close else ""
        raise InputError(
            [Problem(str(inventory_dir), None, "system", f"unknown system {system!r}{hint}")], "no such system"
        )
    return target


def refuse_classified_without_intranet(inventory: model.Inventory, system: model.System) -> None:
    """A classified system's network stage runs on the intranet only; without an intranet zone it cannot run."""
    if system.classified and inventory.intranet_zone_of_system(system) is None:
        raise RefusedError(
            f"system {system.code} is classified (涉密): it never opens flows on the extranet, and the census "
            "gives it no zone on the 电子政务内网"
        )
