# Copyright: govcloud contributors
# Apache License 2.0 (see the project's license)
"""Ansible inventory plugin: the govcloud census (``inventory/``) as hosts, groups and host variables."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin

DOCUMENTATION = r"""
name: govcloud_inventory
short_description: The govcloud census as an Ansible inventory
description:
  - Reads the census directory (C(inventory/hosts.yaml), C(network.yaml), departments) and the migration
    plans with the govcloud package, so every host is listed once, in the census.
  - "Groups: C(zone_<code>) for every zone a host has an address in, C(role_<role>) (zone_router,
    k8s_control, k8s_node, service), C(pool_<node pool>), C(mlps_<level>), and C(network_extranet) /
    C(network_intranet) for the hosts of each government network (physically apart, no host in both)."
  - Host variables C(govcloud_role), C(govcloud_zone), C(govcloud_addresses), C(govcloud_interfaces),
    C(govcloud_node_pool), C(govcloud_mlps_level), C(govcloud_systems), C(govcloud_network), C(ansible_host);
    zone routers also get
    C(govcloud_firewall), the firewall model rendered from the flow matrix.
  - "The plans are read strictly, as C(govcloud plan --check) reads them: a plan file with an unknown key, a
    bad value or a wave that disagrees with the baseline fails the inventory with every problem as
    C(file:line: field: message), so no firewall is rendered from a mistyped plan. C(playbooks/ansible.cfg)
    sets C(any_unparsed_is_failed), so Ansible stops there instead of going on with an empty inventory."
  - The configuration file's name must end in C(govcloud.yml) or C(govcloud.yaml).
author:
  - govcloud contributors
options:
  plugin:
    description: The name of this plugin.
    required: true
    choices: [govcloud_inventory]
  inventory_dir:
    description:
      - The census directory; a relative path is relative to this configuration file.
    type: str
    default: ../../inventory
    env:
      - name: GOVCLOUD_INVENTORY_DIR
  plans_dir:
    description:
      - The migration plans directory (stage progress per system); relative to this configuration file.
    type: str
    default: ../../migrations_plan
    env:
      - name: GOVCLOUD_PLANS_DIR
"""

EXAMPLES = r"""
# playbooks/inventory/govcloud.yml
plugin: govcloud_inventory
inventory_dir: ../../inventory
plans_dir: ../../migrations_plan
"""


def _import_edge():
    """The govcloud edge module; falls back to the repository's src/ when the package is not installed."""
    try:
        from govcloud.app import network as ansible_inventory
    except ImportError:
        src = Path(__file__).resolve().parents[2] / "src"
        if not (src / "govcloud").is_dir():
            raise
        sys.path.insert(0, str(src))
        from govcloud.app import network as ansible_inventory
    return ansible_inventory


class InventoryModule(BaseInventoryPlugin):
    """Hosts, groups and variables from the govcloud census."""

    NAME = "govcloud_inventory"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(("govcloud.yml", "govcloud.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache=cache)
        self._read_config_data(path)
        base = Path(os.path.dirname(os.path.abspath(path)))
        inventory_dir = base / os.path.expanduser(str(self.get_option("inventory_dir")))
        plans_dir = base / os.path.expanduser(str(self.get_option("plans_dir")))
        edge = _import_edge()
        from govcloud.errors import GovcloudError, InputError

        try:
            data = edge.ansible_inventory(inventory_dir.resolve(), plans_dir.resolve())
        except InputError as exc:
            raise AnsibleParserError(f"{exc.summary}:\n{exc.render()}") from None
        except GovcloudError as exc:
            raise AnsibleParserError(str(exc)) from None
        for key, value in data.allvars.items():
            self.inventory.set_variable("all", key, value)
        for host, variables in data.hostvars.items():
            self.inventory.add_host(host)
            for key, value in variables.items():
                self.inventory.set_variable(host, key, value)
        for group, hosts in data.groups.items():
            self.inventory.add_group(group)
            for host in hosts:
                self.inventory.add_child(group, host)
