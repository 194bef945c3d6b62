"""业务专网 consolidation: when a department's private network can go, and the department plan that says how. Pure.

A department's private networks (业务专网) are listed in the census with the systems they carry. Each system
leaves its network one way:

- a moving system (迁移, 改造后迁移) leaves when its network stage is done (it joined the 电子政务外网);
- a classified system leaves when its intranet network stage is done (it moved onto the 电子政务内网);
- a merged or retired system (整合, 下线) leaves when its decommission is done;
- a held system (暂缓, 豁免 and not classified) does not leave: the network stays live for it.

While any listed system is still on it, the department plan lists the network with what it waits for. Once
the last one has left, the plan holds the network's decommission: gates that prove every system left,
the steps (lines terminated with the operator, routes withdrawn, addresses released, the census updated,
equipment retired) and the rollback. A network whose decommission status is ``done`` is retired.

The statuses come from the system plans (:class:`~govcloud.planning.core.stages.Progress`) and, for the
networks' own decommissions, from the department plans (``migrations_plan/departments/<DEPT>.yaml``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Mapping, Sequence

import pydantic

from govcloud.core import model
from govcloud.core.settings import Settings
from govcloud.planning.core import plans, stages, waves
from govcloud.planning.core.stages import Stage, StageStatus


class NetworkState(enum.StrEnum):
    """Where a 业务专网 stands."""

    LIVE = "live"
    """Some listed system is still on it."""
    EMPTY = "empty"
    """Every listed system has left; its decommission is not done yet."""
    RETIRED = "retired"
    """Its decommission is done."""


class _Frozen(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")


class Member(_Frozen):
    """One system listed on a 业务专网, and how (and whether) it leaves."""

    system: str
    leaves_by: str
    """``network stage``, ``intranet network stage``, ``decommission`` or ``held`` (it stays)."""
    status: StageStatus | None = None
    """The status of what makes it leave (None: held, or no plan file yet)."""
    target: dt.date | None = None
    """When its plan expects it to have left."""

    @property
    def left(self) -> bool:
        return self.status is StageStatus.DONE


class NetworkDecommission(_Frozen):
    """How a 业务专网 whose systems have all left is decommissioned."""

    status: StageStatus = StageStatus.PENDING
    target_date: dt.date
    entry_gates: tuple[plans.Gate, ...] = ()
    steps: tuple[plans.Step, ...] = ()
    rollback: tuple[plans.Step, ...] = ()


class PrivateNetworkPlan(_Frozen):
    code: str
    name: str
    operator: str | None = None
    ranges: tuple[str, ...] = ()
    members: tuple[Member, ...] = ()
    decommission: NetworkDecommission | None = None
    """Present once every member has left."""

    @property
    def remaining(self) -> tuple[str, ...]:
        return tuple(m.system for m in self.members if not m.left)


class DepartmentPlan(_Frozen):
    """A department's plan: its private networks and their consolidation."""

    department: str
    name: str
    private_networks: tuple[PrivateNetworkPlan, ...] = ()


@dataclasses.dataclass(frozen=True)
class Consolidation:
    """The state of every 业务专网, for reports."""

    states: Mapping[str, NetworkState]
    """Private network code → its state."""
    departments: Mapping[str, str]
    """Private network code → its department."""

    def count(self, state: NetworkState, department: str | None = None) -> int:
        return sum(
            1
            for code, found in self.states.items()
            if found is state and (department is None or self.departments[code] == department)
        )


NetworkStatuses = Mapping[str, StageStatus]
"""Private network code → the decommission status its department plan records (absent: pending)."""


def build_department_plans(
    inventory: model.Inventory,
    wave_plan: waves.WavePlan,
    tracking: stages.ProgressMap,
    settings: Settings,
) -> tuple[DepartmentPlan, ...]:
    """A plan for every department that lists a 业务专网, sorted by department code."""
    result: list[DepartmentPlan] = []
    for department in sorted(inventory.departments, key=lambda d: d.code):
        networks = inventory.private_networks_of_department.get(department.code, ())
        if not networks:
            continue
        result.append(
            DepartmentPlan(
                department=department.code,
                name=department.name,
                private_networks=tuple(
                    _network_plan(private, inventory, wave_plan, tracking, settings)
                    for private in sorted(networks, key=lambda p: p.code)
                ),
            )
        )
    return tuple(result)


def consolidation(
    inventory: model.Inventory,
    wave_plan: waves.WavePlan,
    tracking: stages.ProgressMap,
    network_statuses: NetworkStatuses,
) -> Consolidation:
    """Every 业务专网's state: retired when its decommission is done, empty when all its systems left, else live."""
    states: dict[str, NetworkState] = {}
    for private in inventory.private_networks:
        if network_statuses.get(private.code) is StageStatus.DONE:
            states[private.code] = NetworkState.RETIRED
            continue
        members = [_member(code, inventory, wave_plan, tracking) for code in private.systems]
        states[private.code] = NetworkState.EMPTY if all(m.left for m in members) else NetworkState.LIVE
    return Consolidation(states=states, departments={p.code: p.department for p in inventory.private_networks})


def _member(code: str, inventory: model.Inventory, wave_plan: waves.WavePlan, tracking: stages.ProgressMap) -> Member:
    found = tracking.get(code)
    if code in wave_plan.placements:
        start, end = wave_plan.stage_window(code, Stage.NETWORK)
        del start
        return Member(
            system=code,
            leaves_by="network stage",
            status=found.status(Stage.NETWORK) if found is not None else None,
            target=end,
        )
    if code in wave_plan.intranet_moves:
        move = wave_plan.intranet_moves[code]
        return Member(
            system=code,
            leaves_by="intranet network stage",
            status=found.status(Stage.NETWORK) if found is not None else None,
            target=move.end,
        )
    if code in wave_plan.decommissions:
        return Member(
            system=code,
            leaves_by="decommission",
            status=found.decommission if found is not None else None,
            target=wave_plan.decommissions[code].shutdown,
        )
    del inventory
    return Member(system=code, leaves_by="held")


def _network_plan(
    private: model.PrivateNetwork,
    inventory: model.Inventory,
    wave_plan: waves.WavePlan,
    tracking: stages.ProgressMap,
    settings: Settings,
) -> PrivateNetworkPlan:
    members = tuple(_member(code, inventory, wave_plan, tracking) for code in private.systems)
    ranges = tuple(str(r) for r in private.ranges)
    decommission = None
    if all(m.left for m in members):
        decommission = _decommission(private, members, wave_plan, settings)
    return PrivateNetworkPlan(
        code=private.code,
        name=private.name,
        operator=private.operator,
        ranges=ranges,
        members=members,
        decommission=decommission,
    )


def _decommission(
    private: model.PrivateNetwork, members: Sequence[Member], wave_plan: waves.WavePlan, settings: Settings
) -> NetworkDecommission:
    gates: list[plans.Gate] = []
    for member in members:
        if member.leaves_by == "decommission":
            gates.append(plans.Gate(gate=plans.GateKind.DECOMMISSIONED, system=member.system))
        else:
            gates.append(plans.Gate(gate=plans.GateKind.STAGE_DONE, system=member.system, stage=Stage.NETWORK))
    last = max((m.target for m in members if m.target is not None), default=wave_plan.settings.start)
    target = last + dt.timedelta(days=settings.waves.decommission_after_days)
    ranges = ", ".join(str(r) for r in private.ranges) or "its addresses"
    operator = private.operator or "the carrier"
    systems = ", ".join(m.system for m in members) or "no system"
    steps = (
        plans.Step(
            do=f"confirm nothing runs on it any more: {systems} left (entry gates); watch its links for "
            f"{settings.waves.decommission_after_days} days for traffic still crossing"
        ),
        plans.Step(do=f"withdraw its routes and terminate its lines with {operator} (mind the contract's notice)"),
        plans.Step(do=f"release {ranges} and remove them from the department's address plan"),
        plans.Step(
            do=f"census: remove {private.code} from private_networks in inventory/departments/{private.department}"
            ".yaml; each former member's carrying_network becomes the network it joined"
        ),
        plans.Step(do="retire its equipment (access routers, encryptors, leased lines); keep the final configuration"),
    )
    rollback = (
        plans.Step(
            do=f"re-provision the lines with {operator} from the final configuration and restore its routes; "
            f"a system that must return goes back through its own plan's rollback"
        ),
    )
    return NetworkDecommission(target_date=target, entry_gates=tuple(gates), steps=steps, rollback=rollback)
