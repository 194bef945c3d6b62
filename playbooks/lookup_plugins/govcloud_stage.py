# Copyright: govcloud contributors
# Apache License 2.0 (see the project's license)
"""Ansible lookup plugin: what one system's network stage opens on each zone router."""

from __future__ import annotations

import sys
from pathlib import Path

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

DOCUMENTATION = r"""
name: govcloud_stage
short_description: One system's firewall chain per zone router, for its network stage
description:
  - Loads the govcloud census and plans, takes the system at least to its network stage, computes the flow
    matrix and returns, for every zone router, the chain of flows that the system's stages open there.
  - "Returns one dictionary: C(system), C(department), C(zone), C(routers) (routers where it opens
    something) and C(chains) (router name to chain: C(chain), C(file), C(sets), C(rules))."
  - Fails with a clear message for an unknown system, or a classified one without a zone on the intranet
    (a classified system's chains go to the intranet's routers only).
author:
  - govcloud contributors
options:
  _terms:
    description: The system code.
    required: true
  inventory_dir:
    description: The census directory (default the C(govcloud_inventory_dir) variable).
    type: path
  plans_dir:
    description: The migration plans directory (default the C(govcloud_plans_dir) variable).
    type: path
"""

EXAMPLES = r"""
- name: What the stage opens
  ansible.builtin.set_fact:
    stage: "{{ lookup('govcloud_stage', system) }}"
"""

RETURN = r"""
_raw:
  description: One dictionary describing the stage (see the description).
  type: list
  elements: dict
"""


def _import_edge():
    try:
        from govcloud.app import network as ansible_inventory
    except ImportError:
        src = Path(__file__).resolve().parents[2] / "src"
        if not (src / "govcloud").is_dir():
            raise
        sys.path.insert(0, str(src))
        from govcloud.app import network as ansible_inventory
    return ansible_inventory


class LookupModule(LookupBase):
    """The stage of one system."""

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        if len(terms) != 1 or not str(terms[0]).strip():
            raise AnsibleLookupError("govcloud_stage takes one system code, e.g. lookup('govcloud_stage', 'MZJ-001')")
        variables = variables or {}
        inventory_dir = self.get_option("inventory_dir") or variables.get("govcloud_inventory_dir")
        plans_dir = self.get_option("plans_dir") or variables.get("govcloud_plans_dir")
        if not inventory_dir or not plans_dir:
            raise AnsibleLookupError(
                "govcloud_stage needs the govcloud inventory plugin (govcloud_inventory_dir, govcloud_plans_dir)"
            )
        edge = _import_edge()
        from govcloud.errors import GovcloudError, InputError

        try:
            data = edge.stage_vars(Path(inventory_dir), Path(plans_dir), str(terms[0]).strip())
        except InputError as exc:
            raise AnsibleLookupError(f"{exc.summary}: {exc.render()}") from None
        except GovcloudError as exc:
            raise AnsibleLookupError(str(exc)) from None
        return [data]
