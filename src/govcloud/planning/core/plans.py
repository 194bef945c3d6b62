"""The staged plan of each system, as data, and the gates that guard its stages. Pure: no I/O.

A moving system's plan has the three stages in order, network → data → business (网络通 → 数据通 → 业务通),
each with its target dates (from its wave), the concrete steps that realise it (which playbooks, which
Kubernetes objects of the departments stack), the gates a migration lead checks before starting and before
closing it, and the rollback. The business stage also carries the cut-over (割接) and the departments whose
systems call it (``callers``: the flow matrix opens the gateway to them once the stage is reached). A merged
or retired system's plan is a decommission instead: dependents re-pointed first, data handed over or
archived, then the shutdown.

Gates are machine-checkable criteria from a small closed vocabulary (:class:`GateKind`), each evaluated by
:func:`evaluate_gate` from the inventory and how far every system has got, with the evidence it used.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import pydantic

from govcloud import collector
from govcloud.assessment.core.assessment import Assessment, Decision
from govcloud.cloud.core import desired, images
from govcloud.core import model
from govcloud.core.settings import Settings
from govcloud.network.core import flows
from govcloud.planning.core import waves
from govcloud.planning.core.stages import STAGE_ORDER, ProgressMap, Stage, StageStatus
from govcloud.sharing.core import grants

NETWORK_ZONES_PLAYBOOK = "playbooks/network_zones.yml"
SYSTEM_STAGE_PLAYBOOK = "playbooks/system_network_stage.yml"
CLOUD_HOSTS_PLAYBOOK = "playbooks/cloud_hosts.yml"
DEPARTMENTS_STACK = "stacks/departments"


class PlanKind(enum.StrEnum):
    MIGRATION = "migration"
    DECOMMISSION = "decommission"
    INTRANET = "intranet"
    """A classified system's move onto the 电子政务内网: one network stage, nothing on the cloud."""


class GateKind(enum.StrEnum):
    """The closed vocabulary of gates; :data:`GATE_FIELDS` says which fields each one takes."""

    STAGE_DONE = "stage_done"
    """``system``'s ``stage`` is done."""
    STAGE_REACHED = "stage_reached"
    """``system``'s ``stage`` is in progress or done (its objects and flows exist)."""
    CATALOGUE_PUBLISHED = "catalogue_published"
    """``entries`` of ``system`` (``all``, or a list of resource codes) are in the catalogue with a publish date."""
    FLOWS_DECLARED = "flows_declared"
    """Every system that ``system`` calls is in the census and declares the ports the flows open."""
    PLACEMENT_DECLARED = "placement_declared"
    """``system`` has a cloud placement (``cloud.zone``), an image pinned by digest (``cloud.image``) and a
    decision for each of its databases (``cloud.databases``)."""
    CALLERS_DECLARED = "callers_declared"
    """The plan of ``system`` names as callers every other department whose systems call it."""
    DEPENDENTS_REPOINTED = "dependents_repointed"
    """No system in the census calls ``system`` or consumes its catalogue entries any more."""
    DECOMMISSIONED = "decommissioned"
    """``system``'s decommission is done (it is shut down)."""
    CONSUMPTION_AUTHORISED = "consumption_authorised"
    """Every other department's entry ``system`` consumes is authorised on the day: a 有条件共享 one by an active
    grant, a 无条件共享 one by a registration (:mod:`govcloud.sharing.core.grants`). The data stage's exit
    always checks it (:data:`STATUTORY_EXIT_GATES`), whether or not a plan file names it."""


GATE_FIELDS: Mapping[GateKind, frozenset[str]] = {
    GateKind.STAGE_DONE: frozenset({"system", "stage"}),
    GateKind.STAGE_REACHED: frozenset({"system", "stage"}),
    GateKind.CATALOGUE_PUBLISHED: frozenset({"system", "entries"}),
    GateKind.FLOWS_DECLARED: frozenset({"system"}),
    GateKind.PLACEMENT_DECLARED: frozenset({"system"}),
    GateKind.CALLERS_DECLARED: frozenset({"system"}),
    GateKind.DEPENDENTS_REPOINTED: frozenset({"system"}),
    GateKind.DECOMMISSIONED: frozenset({"system"}),
    GateKind.CONSUMPTION_AUTHORISED: frozenset({"system"}),
}
"""The fields each gate kind takes (besides ``gate``); any other field is an error."""

STATUTORY_EXIT_GATES: Mapping[Stage, tuple[GateKind, ...]] = {Stage.DATA: (GateKind.CONSUMPTION_AUTHORISED,)}
"""Gates a stage's exit checks even when its plan file does not name them: the 政务数据共享条例 (Art. 21-22)
lets no system take another department's data through the exchange without a grant or registration, so a
plan file written before the rule, or edited by hand, cannot open the way around it."""


def statutory_exit_gates(stage: Stage, system: str, exit_gates: Iterable[Gate]) -> list[tuple[str, Gate]]:
    """The statutory gates of ``stage`` its plan's ``exit_gates`` do not name, as ``exit_gates.statutory.<kind>``."""
    named = {g.gate for g in exit_gates if g.system == system}
    return [
        (f"exit_gates.statutory.{kind.value}", Gate(gate=kind, system=system))
        for kind in STATUTORY_EXIT_GATES.get(stage, ())
        if kind not in named
    ]


class _Frozen(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")


class Gate(_Frozen):
    """One machine-checkable criterion, written in a plan file as ``{gate: stage_done, system: X, stage: data}``."""

    gate: GateKind
    system: str
    stage: Stage | None = None
    entries: Literal["all"] | tuple[str, ...] | None = None

    def describe(self) -> str:
        if self.gate in {GateKind.STAGE_DONE, GateKind.STAGE_REACHED} and self.stage is not None:
            verb = "done" if self.gate is GateKind.STAGE_DONE else "reached"
            return f"{self.system} {self.stage.value} stage {verb}"
        if self.gate is GateKind.CATALOGUE_PUBLISHED:
            which = "all entries" if self.entries == "all" else f"entries {', '.join(self.entries or ())}"
            return f"{self.system}: {which} published"
        return f"{self.gate.value.replace('_', ' ')}: {self.system}"


class Step(_Frozen):
    """One concrete thing to do: what, the command that does it, the objects it creates or changes."""

    do: str
    run: str | None = None
    objects: tuple[str, ...] = ()


class Owner(_Frozen):
    name: str
    role: str | None = None
    phone: str | None = None


class StagePlan(_Frozen):
    stage: Stage
    status: StageStatus = StageStatus.PENDING
    target_start: dt.date
    target_end: dt.date
    entry_gates: tuple[Gate, ...] = ()
    exit_gates: tuple[Gate, ...] = ()
    steps: tuple[Step, ...] = ()
    cutover: tuple[Step, ...] = ()
    rollback: tuple[Step, ...] = ()
    callers: tuple[str, ...] | None = None
    """Business stage only: departments whose systems call this one."""

    @property
    def label(self) -> str:
        return self.stage.label


class Repointing(_Frozen):
    """A dependent of a system going away, and the system it points to instead (None: drop the call)."""

    system: str
    department: str
    repoint_to: str | None


class DataDisposal(_Frozen):
    action: Literal["hand_over", "archive"]
    to: str | None = None
    entries: tuple[str, ...] = ()


class DecommissionPlan(_Frozen):
    status: StageStatus = StageStatus.PENDING
    target_date: dt.date
    reasons: tuple[str, ...] = ()
    entry_gates: tuple[Gate, ...] = ()
    dependents: tuple[Repointing, ...] = ()
    data: DataDisposal
    steps: tuple[Step, ...] = ()
    rollback: tuple[Step, ...] = ()


class SystemPlan(_Frozen):
    """The plan of one system: a staged migration, or a decommission."""

    system: str
    name: str
    department: str
    disposition: model.Disposition
    disposition_reasons: tuple[str, ...] = ()
    kind: PlanKind
    wave: int | None = None
    wave_start: dt.date | None = None
    wave_end: dt.date | None = None
    wave_reasons: tuple[str, ...] = ()
    merge_into: str | None = None
    owner: Owner | None = None
    stages: tuple[StagePlan, ...] = ()
    decommission: DecommissionPlan | None = None
    intranet_zone: str | None = None
    """Intranet plans: the 电子政务内网 zone the system moves to."""
    leaves: str | None = None
    """Intranet plans: the 业务专网 (code) or carrying network it leaves."""


# ---------------------------------------------------------------------------------------------------------
# Building plans


def build_plans(
    inventory: model.Inventory, assessment: Assessment, wave_plan: waves.WavePlan, settings: Settings
) -> tuple[SystemPlan, ...]:
    """A plan for every system that moves or goes, sorted by system code. Held systems get none."""
    builder = _Builder(inventory, assessment, wave_plan, settings)
    result: list[SystemPlan] = []
    with collector.paused():
        for system in sorted(inventory.systems, key=lambda s: s.code):
            if system.code in wave_plan.placements:
                result.append(builder.migration(system))
            elif system.code in wave_plan.decommissions:
                result.append(builder.decommission(system))
            elif system.code in wave_plan.intranet_moves:
                result.append(builder.intranet(system))
    return tuple(result)


class _Builder:
    def __init__(
        self, inventory: model.Inventory, assessment: Assessment, wave_plan: waves.WavePlan, settings: Settings
    ) -> None:
        self.inventory = inventory
        self.assessment = assessment
        self.wave_plan = wave_plan
        self.settings = settings

    def _decision(self, code: str) -> Decision | None:
        found = self.assessment.systems.get(code)
        return found.decision if found is not None else None

    def _disposition_reasons(self, decision: Decision | None) -> tuple[str, ...]:
        if decision is None:
            return ()
        reasons = list(decision.reasons)
        if decision.override is not None:
            override = decision.override
            reasons.insert(0, f"override by {override.decided_by} on {override.decided_on}: {override.reason}")
        return tuple(reasons)

    def migration(self, system: model.System) -> SystemPlan:
        placement = self.wave_plan.placements[system.code]
        wave = self.wave_plan.wave(placement.wave)
        decision = self._decision(system.code)
        disposition = decision.disposition if decision is not None else model.Disposition.REHOST
        providers = placement.providers  # moving systems it waits for, after re-pointing through merges
        stages = (
            self._network(system, wave, providers, disposition, decision),
            self._data(system, wave),
            self._business(system, wave, providers),
        )
        return SystemPlan(
            system=system.code,
            name=system.name,
            department=system.department,
            disposition=disposition,
            disposition_reasons=self._disposition_reasons(decision),
            kind=PlanKind.MIGRATION,
            wave=wave.number,
            wave_start=wave.start,
            wave_end=wave.end,
            wave_reasons=placement.reasons,
            owner=_owner(system),
            stages=stages,
        )

    # -- stages -----------------------------------------------------------------------------------------
    def _names(self, system: model.System) -> tuple[str, str]:
        return desired.system_namespace(system, self.inventory), desired.object_name(system.code)

    def _network(
        self,
        system: model.System,
        wave: waves.Wave,
        providers: Sequence[str],
        disposition: model.Disposition,
        decision: Decision | None,
    ) -> StagePlan:
        namespace, name = self._names(system)
        start, end = wave.stage_window(Stage.NETWORK)
        workload = "StatefulSet" if system.cloud is not None and system.cloud.stateful else "Deployment"
        steps: list[Step] = [
            Step(do="set this stage to in_progress: the flow matrix then opens its network-stage flows"),
        ]
        if disposition is model.Disposition.REPLATFORM:
            why = "; ".join(decision.reasons) if decision is not None and decision.reasons else "see the assessment"
            steps.append(Step(do=f"re-platform before the move ({why}); test it in the test environment"))
        calls = ", ".join(system.depends_on) or "no other system"
        steps += [
            Step(
                do="zone routers: the department's 专用网络区 and the platform flows are in place",
                run=f"ansible-playbook {NETWORK_ZONES_PLAYBOOK}",
            ),
            Step(do="cloud hosts and node pools are ready", run=f"ansible-playbook {CLOUD_HOSTS_PLAYBOOK}"),
            Step(
                do="declare the system's namespace, workload, service and NetworkPolicies",
                run=f"pulumi -C {DEPARTMENTS_STACK} up",
                objects=(
                    f"Namespace/{namespace}",
                    f"{workload}/{namespace}/{name}",
                    f"Service/{namespace}/{name}",
                    f"NetworkPolicy/{namespace}/{name}-ingress",
                    f"NetworkPolicy/{namespace}/{name}-egress",
                ),
            ),
            Step(
                do=f"open its declared flows on the zone routers (it calls {calls}; its department reaches it)",
                run=f"ansible-playbook {SYSTEM_STAGE_PLAYBOOK} -e system={system.code}",
            ),
        ]
        rollback = (
            Step(
                do="set this stage back to pending and re-apply: its flows and objects are removed, the system "
                f"keeps running on {system.carrying_network.value}",
                run=f"ansible-playbook {SYSTEM_STAGE_PLAYBOOK} -e system={system.code}; "
                f"pulumi -C {DEPARTMENTS_STACK} up",
            ),
        )
        entry = (
            _gate(GateKind.PLACEMENT_DECLARED, system.code),
            _gate(GateKind.FLOWS_DECLARED, system.code),
        )
        exit_ = tuple(_gate(GateKind.STAGE_REACHED, p, stage=Stage.NETWORK) for p in providers)
        return StagePlan(
            stage=Stage.NETWORK,
            target_start=start,
            target_end=end,
            entry_gates=entry,
            exit_gates=exit_,
            steps=tuple(steps),
            rollback=rollback,
        )

    def _data(self, system: model.System, wave: waves.Wave) -> StagePlan:
        namespace, name = self._names(system)
        start, end = wave.stage_window(Stage.DATA)
        entries = self.inventory.entries_of_system.get(system.code, ())
        unpublished = sum(1 for e in entries if e.publish_date is None)
        shareable = sum(1 for e in entries if e.sharing.type is not model.SharingType.NOT_SHARED)
        restricted = len(entries) - shareable
        steps: list[Step] = [
            Step(do="set this stage to in_progress: the exchange then reaches its data ports"),
        ]
        if entries:
            publish = (
                f"{unpublished} of them have no publish date yet: set publish_date in "
                f"inventory/departments/{system.department}.yaml"
                if unpublished
                else "all have a publish date"
            )
            steps.append(
                Step(do=f"publish its {_count(len(entries), 'catalogue entry', 'catalogue entries')} ({publish})")
            )
        objects: list[str] = []
        reach: list[str] = []
        if shareable:
            objects.append(f"Service/{namespace}/{name} (share port {flows.SHARE_PORT.port})")
            reach.append(f"{_count(shareable, 'shareable entry', 'shareable entries')} to the exchange")
        if restricted:
            objects += [f"Service/{namespace}/{name}-restricted", f"NetworkPolicy/{namespace}/{name}-restricted"]
            reach.append(f"{_count(restricted, '不予共享 entry', '不予共享 entries')} to its own department only")
        if objects:
            objects.append(f"NetworkPolicy/{namespace}/{name}-ingress")
            steps.append(
                Step(
                    do=f"exchange access: {'; '.join(reach)}",
                    run=f"pulumi -C {DEPARTMENTS_STACK} up; ansible-playbook {SYSTEM_STAGE_PLAYBOOK} "
                    f"-e system={system.code}",
                    objects=tuple(objects),
                )
            )
        steps.extend(self._database_steps(system, namespace))
        if system.consumes:
            consumed = _count(len(system.consumes), "catalogue entry", "catalogue entries")
            steps.append(Step(do=f"take the {consumed} it consumes through the exchange"))
        rollback = (
            Step(
                do="stop the sync (the legacy database stays authoritative), set this stage back to in_progress "
                "or pending and re-apply",
                run=f"pulumi -C {DEPARTMENTS_STACK} up",
            ),
        )
        exit_ = (_gate(GateKind.CATALOGUE_PUBLISHED, system.code, entries="all"),) if entries else ()
        return StagePlan(
            stage=Stage.DATA,
            target_start=start,
            target_end=end,
            entry_gates=(_gate(GateKind.STAGE_DONE, system.code, stage=Stage.NETWORK),),
            exit_gates=exit_,
            steps=tuple(steps),
            rollback=rollback,
        )

    def _database_steps(self, system: model.System, namespace: str) -> list[Step]:
        """The data stage's database work, from each database's decision (moved or stays) in the census."""
        decisions = system.cloud.databases if system.cloud is not None else ()
        if not decisions:
            databases = ", ".join(system.databases) if system.databases else "its data"
            return [Step(do=f"migrate {databases}: copy, then sync from the legacy system until the cut-over")]
        steps: list[Step] = []
        storage = desired.storage_class(system, self.settings)
        for index, database in enumerate(decisions):
            name = desired.database_name(system, index)
            if database.decision is model.DatabaseDecision.MOVED:
                steps.append(
                    Step(
                        do=f"move {database.name} ({database.engine}) onto the cluster: a {database.storage_gib:g} GiB "
                        f"volume of StorageClass {storage}; copy, then sync from the legacy host until the cut-over",
                        run=f"pulumi -C {DEPARTMENTS_STACK} up",
                        objects=(f"StatefulSet/{namespace}/{name}", f"Service/{namespace}/{name}"),
                    )
                )
            else:
                steps.append(
                    Step(
                        do=f"{database.name} ({database.engine}) stays on its legacy host {database.address}:"
                        f"{database.port}; the system reaches it through Service {name} (the network stage opened "
                        "the flow): check the connection from the cluster",
                        objects=(f"Service/{namespace}/{name}", f"EndpointSlice/{namespace}/{name}"),
                    )
                )
        return steps

    def _business(self, system: model.System, wave: waves.Wave, providers: Sequence[str]) -> StagePlan:
        namespace, name = self._names(system)
        start, end = wave.stage_window(Stage.BUSINESS)
        callers = self.wave_plan.callers.get(system.code, ())
        route = f"{name}.{self.settings.cloud.gateway_domain}"
        who = ", ".join(callers) if callers else "no other department yet"
        steps = (
            Step(do=f"set this stage to in_progress: the gateway and the caller departments ({who}) reach it"),
            Step(
                do=f"gateway route {route} and the callers' flows",
                run=f"pulumi -C {DEPARTMENTS_STACK} up; ansible-playbook {SYSTEM_STAGE_PLAYBOOK} "
                f"-e system={system.code}",
                objects=(f"Ingress/{namespace}/{name}-gateway", f"NetworkPolicy/{namespace}/{name}-ingress"),
            ),
            Step(do="acceptance and security test (等保 test for its level) on the cloud workload"),
        )
        public = ", ".join(system.cloud.public_hostnames) if system.cloud is not None else ""
        cutover = (
            Step(do=f"announce the cut-over window to users and the caller departments ({who})"),
            Step(do="freeze writes on the legacy system; final sync; compare row counts and checksums"),
            Step(do=f"switch callers to {route}" + (f" and DNS of {public} to the ingress" if public else "")),
            Step(do="smoke test with each caller department; watch errors and latency for 24 hours"),
            Step(do="parallel run: keep the legacy system read-only until acceptance, then set business done"),
        )
        rollback = (
            Step(do=f"switch callers and DNS back to the legacy system; keep {route} closed"),
            Step(do="replay writes made since the cut-over into the legacy database; unfreeze it"),
            Step(do="set this stage back to in_progress and record why in notes"),
        )
        entry: list[Gate] = [_gate(GateKind.STAGE_DONE, system.code, stage=Stage.DATA)]
        entry += [_gate(GateKind.STAGE_DONE, p, stage=Stage.DATA) for p in providers]
        for provider, entries in sorted(self.wave_plan.held_providers.get(system.code, {}).items()):
            if entries:
                entry.append(_gate(GateKind.CATALOGUE_PUBLISHED, provider, entries=tuple(sorted(entries))))
        return StagePlan(
            stage=Stage.BUSINESS,
            target_start=start,
            target_end=end,
            entry_gates=tuple(entry),
            exit_gates=(_gate(GateKind.CALLERS_DECLARED, system.code),),
            steps=steps,
            cutover=cutover,
            rollback=rollback,
            callers=callers,
        )

    # -- intranet ---------------------------------------------------------------------------------------
    def intranet(self, system: model.System) -> SystemPlan:
        """A classified system's plan: its network stage onto the 电子政务内网, and never anything on the cloud."""
        move = self.wave_plan.intranet_moves[system.code]
        decision = self._decision(system.code)
        zone = move.zone or "its department's intranet 专用网络区"
        private = self.inventory.private_network_by_code.get(move.leaves)
        if system.carrying_network is model.CarryingNetwork.INTRANET:
            relocate = Step(
                do=f"it already runs on the 电子政务内网: record its servers in inventory/hosts.yaml in zone {zone} "
                "(intranet addresses only) so the intranet routers resolve it"
            )
        else:
            source = (
                f"业务专网 {private.code} ({private.name})" if private is not None else system.carrying_network.value
            )
            relocate = Step(
                do=f"move its servers from {source} onto intranet zone {zone}: re-address them, record them in "
                "inventory/hosts.yaml with their intranet addresses, and cut their links to the old network"
            )
        calls = ", ".join(system.depends_on) or "no other system"
        steps = (
            Step(do="set this stage to in_progress: the flow matrix then opens its intranet flows"),
            Step(
                do=f"intranet zone routers: zone {zone} and the intranet's management network are in place",
                run=f"ansible-playbook {NETWORK_ZONES_PLAYBOOK} --limit network_intranet",
            ),
            relocate,
            Step(
                do=f"open its declared flows on the intranet routers (it calls {calls}; its department's intranet "
                "专用网络区 reaches it)",
                run=f"ansible-playbook {SYSTEM_STAGE_PLAYBOOK} -e system={system.code}",
            ),
            Step(
                do="never onto the shared cloud: no Kubernetes objects, no data or business stage on the 电子政务外网, "
                "no flow to or from the extranet (physical isolation)"
            ),
            Step(
                do=f"update the census: carrying_network 电子政务内网 for {system.code}"
                + (f", and take it off 业务专网 {private.code}'s systems" if private is not None else "")
            ),
        )
        rollback = (
            Step(
                do="set this stage back to pending and re-apply: its intranet flows are removed; the system keeps "
                f"running on {system.carrying_network.value} until the move is retried",
                run=f"ansible-playbook {SYSTEM_STAGE_PLAYBOOK} -e system={system.code}",
            ),
        )
        stage = StagePlan(
            stage=Stage.NETWORK,
            target_start=move.start,
            target_end=move.end,
            entry_gates=(_gate(GateKind.FLOWS_DECLARED, system.code),),
            exit_gates=tuple(_gate(GateKind.STAGE_REACHED, p, stage=Stage.NETWORK) for p in move.providers),
            steps=steps,
            rollback=rollback,
        )
        return SystemPlan(
            system=system.code,
            name=system.name,
            department=system.department,
            disposition=decision.disposition if decision is not None else model.Disposition.EXEMPT,
            disposition_reasons=(*move.reasons, *self._disposition_reasons(decision)),
            kind=PlanKind.INTRANET,
            owner=_owner(system),
            stages=(stage,),
            intranet_zone=move.zone,
            leaves=move.leaves,
        )

    # -- decommission -----------------------------------------------------------------------------------
    def decommission(self, system: model.System) -> SystemPlan:
        plan = self.wave_plan.decommissions[system.code]
        decision = self._decision(system.code)
        hand_over = plan.hands_over
        target = plan.merge_into
        data = DataDisposal(
            action="hand_over" if hand_over else "archive", to=target if hand_over else None, entries=plan.entries
        )
        dependents = tuple(
            Repointing(system=d.system, department=d.department, repoint_to=d.target) for d in plan.dependents
        )
        steps: list[Step] = []
        if dependents:
            where = f"to {target}" if target is not None else "away (their call is dropped)"
            steps.append(
                Step(
                    do=f"re-point its {_count(len(dependents), 'dependent', 'dependents')} {where} first (see "
                    "dependents): change their depends_on and consumes in the census and re-apply their network stage",
                    run=f"ansible-playbook {SYSTEM_STAGE_PLAYBOOK} -e system=<dependent>",
                )
            )
        if hand_over:
            steps.append(
                Step(
                    do=f"hand its data to {target}: migrate it into {target} and move its {len(plan.entries)} "
                    f"catalogue entries to system {target}"
                )
            )
        else:
            steps.append(
                Step(
                    do=f"archive its data: export the database and its {len(plan.entries)} catalogue entries to the "
                    "archive, then withdraw the entries from the catalogue"
                )
            )
        steps += [
            Step(
                do=f"read-only for {self.settings.waves.decommission_after_days} days: "
                "watch for calls still reaching it"
            ),
            Step(do="shut it down; keep a final backup; release its servers and licences"),
        ]
        rollback = (Step(do="power it back on from the final backup and restore the dependents' previous targets"),)
        gates: list[Gate] = [_gate(GateKind.DEPENDENTS_REPOINTED, system.code)]
        if hand_over and target is not None and target in self.wave_plan.placements:
            gates.append(_gate(GateKind.STAGE_DONE, target, stage=Stage.DATA))
        return SystemPlan(
            system=system.code,
            name=system.name,
            department=system.department,
            disposition=plan.disposition,
            disposition_reasons=self._disposition_reasons(decision),
            kind=PlanKind.DECOMMISSION,
            merge_into=target,
            owner=_owner(system),
            decommission=DecommissionPlan(
                target_date=plan.shutdown,
                reasons=plan.reasons,
                entry_gates=tuple(gates),
                dependents=dependents,
                data=data,
                steps=tuple(steps),
                rollback=rollback,
            ),
        )


def _gate(
    kind: GateKind,
    system: str,
    *,
    stage: Stage | None = None,
    entries: Literal["all"] | tuple[str, ...] | None = None,
) -> Gate:
    return Gate(gate=kind, system=system, stage=stage, entries=entries)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _owner(system: model.System) -> Owner | None:
    if system.owner is None:
        return None
    return Owner(name=system.owner.name, role=system.owner.role, phone=system.owner.phone)


# ---------------------------------------------------------------------------------------------------------
# Gates, evaluated over the progress the plan files record


@dataclasses.dataclass(frozen=True)
class Dependents:
    """Who calls each system (declared calls and consumed entries): built once for many gate evaluations."""

    of: Mapping[str, tuple[str, ...]]

    @classmethod
    def of_inventory(cls, inventory: model.Inventory) -> Dependents:
        return cls(inventory.callers_by_provider)


def evaluate_gate(
    gate: Gate,
    inventory: model.Inventory,
    progress: ProgressMap,
    *,
    dependents: Dependents | None = None,
    authorisations: grants.Authorisations | None = None,
) -> tuple[bool, str]:
    """Whether ``gate`` holds, and the evidence (what was looked at). Pass ``dependents`` when evaluating many.

    ``authorisations`` are the day's grants and registrations (None: a city without request files, where
    nobody is authorised).
    """
    system = inventory.system_by_code.get(gate.system)
    if system is None:
        return False, f"{gate.system} is not in the census"
    kind = gate.gate
    if kind is GateKind.CONSUMPTION_AUTHORISED:
        consumed = grants.consumed_needing_authorisation(system, inventory)
        return grants.consumption_verdict(system.code, consumed, authorisations)
    if kind in {GateKind.STAGE_DONE, GateKind.STAGE_REACHED}:
        stage = gate.stage or Stage.NETWORK
        tracking = progress.get(gate.system)
        if tracking is None:
            return False, f"{gate.system} has no plan file"
        status = tracking.status(stage)
        ok = status is StageStatus.DONE if kind is GateKind.STAGE_DONE else status is not StageStatus.PENDING
        return ok, f"{gate.system} {stage.value}: {status.value}"
    if kind is GateKind.CATALOGUE_PUBLISHED:
        return _published(gate, inventory)
    if kind is GateKind.FLOWS_DECLARED:
        problems = []
        for target_code in system.depends_on:
            target = inventory.system_by_code.get(target_code)
            if target is None:
                problems.append(f"{target_code} is not in the census")
            elif target.classified != system.classified:
                # physical isolation: a classified system's calls stay on the intranet, others' off it
                problems.append(f"{target_code} is {'not ' if system.classified else ''}classified")
            elif not target.ports:
                problems.append(f"{target_code} declares no ports")
        if problems:
            return False, "; ".join(problems)
        return True, f"{len(system.depends_on)} declared call(s), each to declared ports"
    if kind is GateKind.PLACEMENT_DECLARED:
        if system.cloud is None:
            return False, f"{system.code} has no cloud placement (cloud.zone) in the census"
        problem = images.image_problem(system.cloud.image)
        if problem is not None:
            return False, f"{system.code} is placed in zone {system.cloud.zone}, but cloud.image: {problem}"
        decided = {d.name for d in system.cloud.databases}
        undecided = [name for name in system.databases if name not in decided]
        if undecided:
            return False, f"{system.code}: no decision (moved or stays) for database(s) {', '.join(undecided)}"
        return True, f"{system.code} is placed in zone {system.cloud.zone}, image {system.cloud.image}"
    if kind is GateKind.DECOMMISSIONED:
        decommissioning = progress.get(gate.system)
        shutdown = decommissioning.decommission if decommissioning is not None else None
        if shutdown is None:
            return False, f"{gate.system} has no decommission plan"
        return shutdown is StageStatus.DONE, f"{gate.system} decommission: {shutdown.value}"
    index = dependents or Dependents.of_inventory(inventory)
    callers = index.of.get(system.code, ())
    if kind is GateKind.CALLERS_DECLARED:
        needed = sorted({inventory.system_by_code[c].department for c in callers} - {system.department})
        tracking = progress.get(system.code)
        declared = set(tracking.business_callers) if tracking is not None else set()
        missing = [d for d in needed if d not in declared]
        if missing:
            return False, f"callers missing from the plan: {', '.join(missing)}"
        return True, f"callers declared: {', '.join(needed) or 'none needed'}"
    # DEPENDENTS_REPOINTED
    if callers:
        return False, f"still called by {_listed(callers)}"
    return True, f"no system calls {system.code}"


def _published(gate: Gate, inventory: model.Inventory) -> tuple[bool, str]:
    own = inventory.entries_of_system.get(gate.system, ())
    if gate.entries == "all" or gate.entries is None:
        chosen: Sequence[model.CatalogueEntry] = own
    else:
        unknown = [c for c in gate.entries if c not in inventory.entry_by_code]
        if unknown:
            return False, f"not in the catalogue: {_listed(unknown)}"
        chosen = [inventory.entry_by_code[c] for c in gate.entries]
    unpublished = [e.code for e in chosen if e.publish_date is None]
    if unpublished:
        return False, f"{len(chosen) - len(unpublished)} of {len(chosen)} published; not yet: {_listed(unpublished)}"
    return True, f"{len(chosen)} of {len(chosen)} entries published"


def _listed(codes: Iterable[str], limit: int = 5) -> str:
    items = list(codes)
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


@dataclasses.dataclass(frozen=True)
class OrderProblem:
    """A stage that started before the one before it: the stage, and what is wrong."""

    stage: Stage
    message: str


def statuses_in_order(statuses: Mapping[Stage, StageStatus]) -> list[OrderProblem]:
    """What is wrong with the order of stage statuses: a stage started before the one before it."""
    problems: list[OrderProblem] = []
    for earlier, later in itertools.pairwise(STAGE_ORDER):
        before = statuses.get(earlier, StageStatus.PENDING)
        after = statuses.get(later, StageStatus.PENDING)
        if before is StageStatus.PENDING and after is not StageStatus.PENDING:
            problems.append(OrderProblem(later, f"{later.value} is {after.value} while {earlier.value} is pending"))
        elif after is StageStatus.DONE and before is not StageStatus.DONE:
            problems.append(OrderProblem(later, f"{later.value} is done while {earlier.value} is {before.value}"))
    return problems
