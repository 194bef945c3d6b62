"""The govcloud policy pack: one mandatory policy per rule of govcloud.cloud.core.policies.

Constructing the PolicyPack starts the analyzer's gRPC server and never returns, so it happens here only.
The MLPS placement defaults come from the inventory's settings (../../inventory/settings.yaml, or the
directory in $GOVCLOUD_INVENTORY); `--policy-pack-config` can override them. The plan files
(../../migrations_plan, or $GOVCLOUD_PLANS) must pass `govcloud plan --check`, or the pack refuses to start.
"""

import os
from pathlib import Path

from pulumi_policy import EnforcementLevel, PolicyPack

from govcloud.app import stacks
from govcloud.cloud.edges import pulumi_policy_pack

here = Path(__file__).resolve().parent
inventory = Path(os.environ.get("GOVCLOUD_INVENTORY") or here / "../../inventory")
plans = Path(os.environ.get("GOVCLOUD_PLANS") or here / "../../migrations_plan")

PolicyPack(
    name=pulumi_policy_pack.PACK_NAME,
    policies=list(pulumi_policy_pack.stack_policies(stacks.policy_pack_rules(inventory, plans))),
    enforcement_level=EnforcementLevel.MANDATORY,
)
