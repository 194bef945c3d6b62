"""Dependency graph, waves and decommission plans (govcloud.planning.core.waves) and the staged plans built on them."""

from __future__ import annotations

import datetime as dt
import ipaddress
import itertools
from collections.abc import Mapping, Sequence

import pytest

from govcloud.assessment.core.assessment import Assessment, Decision, DuplicateFinding, Proposal, SystemAssessment
from govcloud.core import model
from govcloud.core.settings import Settings, WaveSettings
from govcloud.planning.core import plans, stages, waves
from govcloud.planning.core.stages import Stage

D = model.Disposition

# ---------------------------------------------------------------------------------------------------------
# A small census built by hand, so every expected wave can be worked out on paper


def _service(name: str, zone: str, address: str) -> model.PlatformService:
    return model.PlatformService(
        name=name, zone=zone, address=ipaddress.IPv4Address(address), ports=(model.ServicePort(name="https", port=443),)
    )


def department(code: str, *freeze: tuple[dt.date, dt.date, str]) -> model.Department:
    return model.Department(
        code=code,
        name=f"{code}局",
        uscc="113301007000029632",
        freeze_windows=tuple(model.FreezeWindow(start=s, end=e, reason=r) for s, e, r in freeze),
    )


def system(
    code: str,
    *,
    depends_on: Sequence[str] = (),
    consumes: Sequence[str] = (),
    cpu: float = 2,
    memory: float = 4,
) -> model.System:
    return model.System(
        code=code,
        name=f"{code}业务系统",
        department=code.split("-", maxsplit=1)[0],
        function="业务办理",
        scope=model.Scope.CROSS_DEPARTMENT,
        frequency=model.Frequency.DAILY,
        construction_mode=model.ConstructionMode.GOVERNMENT,
        carrying_network=model.CarryingNetwork.PRIVATE,
        deployment=model.Deployment.VM,
        sizing=model.Sizing(cpu=cpu, memory_gib=memory),
        ports=(model.ServicePort(name="http", port=8080),),
        depends_on=tuple(depends_on),
        consumes=tuple(consumes),
        owner=model.Contact(name="王磊", role="系统负责人", phone="0571-80000000"),
        cloud=model.CloudPlacement(
            zone=f"Z{code.split('-', maxsplit=1)[0]}",
            image=f"registry.city/{code.lower()}:1.0@sha256:{'a' * 64}",
        ),
    )


def entry(code: str, holder: str, *, published: bool = True) -> model.CatalogueEntry:
    return model.CatalogueEntry(
        code=code,
        name=f"{holder}数据",
        category=model.ResourceCategory.DEPARTMENTAL,
        provider=holder.split("-", maxsplit=1)[0],
        system=holder,
        format=model.ResourceFormat.DATABASE,
        data_items=(model.DataItem(name="姓名", type=model.DataItemType.C),),
        sharing=model.Sharing(type=model.SharingType.UNCONDITIONAL, conditions="无条件"),
        update_cycle=model.UpdateCycle.DAILY,
        publish_date=dt.date(2025, 1, 1) if published else None,
    )


def inventory(
    systems: Sequence[model.System],
    *,
    departments: Sequence[model.Department] = (),
    catalogue: Sequence[model.CatalogueEntry] = (),
) -> model.Inventory:
    codes = sorted({s.department for s in systems} | {d.code for d in departments})
    given = {d.code: d for d in departments}
    depts = tuple(given.get(code) or department(code) for code in codes)
    zones = tuple(
        model.Zone(
            code=f"Z{code}",
            name=f"{code}专用网络区",
            kind=model.ZoneKind.DEDICATED,
            department=code,
            ranges=(ipaddress.IPv4Network(f"10.1.{i}.0/24"),),
        )
        for i, code in enumerate(codes)
    )
    network = model.Network(
        zones=(
            model.Zone(
                code="PUB",
                name="公用网络区",
                kind=model.ZoneKind.PUBLIC,
                ranges=(ipaddress.IPv4Network("10.64.0.0/24"),),
            ),
            *zones,
        ),
        platform=model.Platform(
            exchange=_service("交换平台", "PUB", "10.64.0.10"),
            gateway=_service("协同网关", "PUB", "10.64.0.20"),
            ingress=_service("入口", "PUB", "10.64.0.30"),
        ),
    )
    return model.Inventory(
        city=model.CityFile(name="临江市", division_code="330100", census_date=dt.date(2026, 6, 30)),
        network=network,
        departments=depts,
        systems=tuple(systems),
        catalogue=tuple(catalogue),
        hosts=(),
    )


def assessment(
    inv: model.Inventory,
    decisions: Mapping[str, Decision] | None = None,
    duplicates: Mapping[str, Sequence[DuplicateFinding]] | None = None,
) -> Assessment:
    decisions = decisions or {}
    duplicates = duplicates or {}
    return Assessment(
        {
            s.code: SystemAssessment(
                code=s.code,
                zombie=(),
                duplicates=tuple(duplicates.get(s.code, ())),
                blockers=(),
                decision=decisions.get(s.code, Decision(D.REHOST, ("cloud-ready",))),
            )
            for s in inv.systems
        }
    )


def plan(
    inv: model.Inventory, decisions: Mapping[str, Decision] | None = None, **wave_settings: object
) -> waves.WavePlan:
    return waves.plan_waves(inv, assessment(inv, decisions), WaveSettings.model_validate(wave_settings))


# ---------------------------------------------------------------------------------------------------------
# Dependency order


def test_providers_move_no_later_than_their_consumers() -> None:
    inv = inventory(
        [system("MZJ-001", depends_on=["GAJ-001"]), system("GAJ-001", depends_on=["RSJ-001"]), system("RSJ-001")]
    )
    result = plan(inv, max_systems=1)
    assert {code: p.wave for code, p in result.placements.items()} == {"RSJ-001": 1, "GAJ-001": 2, "MZJ-001": 3}
    assert (
        result.placements["MZJ-001"].reasons[0]
        == "wave 3: after its provider GAJ-001 (wave 2); wave 2 was full (1 system)"
    )
    assert result.placements["RSJ-001"].reasons[0] == "wave 1: no providers to wait for"


def test_consumed_catalogue_entry_is_a_dependency() -> None:
    inv = inventory(
        [system("MZJ-001", consumes=["30100400/0000001"]), system("GAJ-001")],
        catalogue=[entry("30100400/0000001", "GAJ-001")],
    )
    graph = waves.build_dependency_graph(inv)
    assert graph.edges["MZJ-001", "GAJ-001"]["entries"] == ["30100400/0000001"]
    result = plan(inv, max_systems=1)
    assert result.placements["GAJ-001"].wave == 1
    assert result.placements["MZJ-001"].wave == 2


def test_provider_in_the_same_wave_finishes_data_before_the_consumer_cuts_over() -> None:
    inv = inventory([system("MZJ-001", depends_on=["GAJ-001"]), system("GAJ-001")])
    result = plan(inv)
    assert result.placements["MZJ-001"].wave == result.placements["GAJ-001"].wave == 1
    _, provider_data_end = result.stage_window("GAJ-001", Stage.DATA)
    consumer_business_start, _ = result.stage_window("MZJ-001", Stage.BUSINESS)
    assert provider_data_end < consumer_business_start


def test_stage_windows_split_the_wave_in_order() -> None:
    windows = [waves.stage_window(dt.date(2027, 1, 4), 28, s) for s in (Stage.NETWORK, Stage.DATA, Stage.BUSINESS)]
    assert windows[0][0] == dt.date(2027, 1, 4)
    assert windows[-1][1] == dt.date(2027, 1, 31)
    for (_, end), (start, _) in itertools.pairwise(windows):
        assert end + dt.timedelta(days=1) == start


# ---------------------------------------------------------------------------------------------------------
# Cycles


def test_dependency_cycle_moves_together_and_is_reported() -> None:
    inv = inventory(
        [
            system("GAJ-001", depends_on=["MZJ-001"]),
            system("MZJ-001", depends_on=["RSJ-001"]),
            system("RSJ-001", depends_on=["GAJ-001"]),
            system("CZJ-001", depends_on=["GAJ-001"]),
        ]
    )
    result = plan(inv, max_systems=3)
    assert [c.systems for c in result.cycles] == [("GAJ-001", "MZJ-001", "RSJ-001")]
    cycle = result.cycles[0]
    assert cycle.path[0] == cycle.path[-1]
    assert set(cycle.path) == set(cycle.systems)
    assert {result.placements[c].wave for c in cycle.systems} == {1}
    assert result.placements["CZJ-001"].wave == 2  # wave 1 is full with the cycle
    assert any("dependency cycle" in r for r in result.placements["MZJ-001"].reasons)
    assert result.placements["MZJ-001"].cycle == ("GAJ-001", "RSJ-001")


def test_cycle_larger_than_a_wave_is_placed_alone_and_reported() -> None:
    inv = inventory(
        [
            system("GAJ-001", depends_on=["MZJ-001"]),
            system("MZJ-001", depends_on=["GAJ-001"]),
            system("RSJ-001"),
        ]
    )
    result = plan(inv, max_systems=1)
    assert len(result.oversized) == 1
    oversized = result.oversized[0]
    assert oversized.systems == ("GAJ-001", "MZJ-001")
    assert "larger than one wave" in oversized.reason
    assert set(result.wave(oversized.wave).systems) == {"GAJ-001", "MZJ-001"}
    assert result.placements["RSJ-001"].wave != oversized.wave


# ---------------------------------------------------------------------------------------------------------
# Capacity


def test_system_count_limit_pushes_to_the_next_wave() -> None:
    inv = inventory([system("GAJ-001"), system("GAJ-002"), system("GAJ-003")])
    result = plan(inv, max_systems=2)
    assert [len(w.systems) for w in result.waves] == [2, 1]
    pushed = next(p for p in result.placements.values() if p.wave == 2)
    assert pushed.reasons[0] == "wave 2: no providers to wait for; wave 1 was full (2 systems)"
    assert result.capacity_pushed == 1


def test_cpu_limit_pushes_to_the_next_wave() -> None:
    inv = inventory([system("GAJ-001", cpu=6), system("GAJ-002", cpu=6)])
    result = plan(inv, cpu=10)
    assert sorted(p.wave for p in result.placements.values()) == [1, 2]
    pushed = next(p for p in result.placements.values() if p.wave == 2)
    assert "wave 1 was out of cores (4 of 10 left, needs 6)" in pushed.reasons[0]
    assert all(w.cpu <= 10 for w in result.waves)


def test_memory_limit_pushes_to_the_next_wave() -> None:
    inv = inventory([system("GAJ-001", memory=64), system("GAJ-002", memory=64)])
    result = plan(inv, memory_gib=100)
    assert sorted(p.wave for p in result.placements.values()) == [1, 2]


def test_system_larger_than_a_wave_is_placed_alone_without_looping() -> None:
    inv = inventory([system("GAJ-001", cpu=500), system("GAJ-002")])
    result = plan(inv, cpu=400)
    assert [o.systems for o in result.oversized] == [("GAJ-001",)]
    big = result.placements["GAJ-001"]
    assert result.wave(big.wave).systems == ("GAJ-001",)
    assert "500 cores" in result.oversized[0].reason


def test_waves_after_a_full_run_are_skipped_in_one_step() -> None:
    systems = [system(f"GAJ-{i:03d}") for i in range(1, 11)]
    consumer = system("MZJ-001", depends_on=["GAJ-001"])
    result = plan(inventory([*systems, consumer]), max_systems=2)
    assert result.placements["MZJ-001"].wave >= result.placements["GAJ-001"].wave
    assert sum(len(w.systems) for w in result.waves) == 11
    assert all(len(w.systems) <= 2 for w in result.waves)


# ---------------------------------------------------------------------------------------------------------
# Freeze windows


YEAR_END = (dt.date(2026, 12, 1), dt.date(2027, 1, 31), "年终决算")


def test_freeze_window_defers_the_department() -> None:
    inv = inventory(
        [system("CZJ-001"), system("GAJ-001"), system("MZJ-001", depends_on=["CZJ-001"])],
        departments=[department("CZJ", YEAR_END)],
    )
    result = plan(inv)  # wave 1 is 2027-01-04..2027-01-31, inside the freeze
    assert result.placements["CZJ-001"].wave == 2
    assert result.placements["GAJ-001"].wave == 1
    assert result.placements["MZJ-001"].wave == 2  # waits for its provider
    assert (
        result.placements["CZJ-001"].reasons[0]
        == "wave 2: no providers to wait for; wave 1: department CZJ frozen 2026-12-01..2027-01-31 (年终决算)"
    )
    [deferral] = result.deferrals
    assert (deferral.department, deferral.systems, deferral.skipped_waves) == ("CZJ", ("CZJ-001",), (1,))
    start, end = waves.wave_dates(result.settings, result.placements["CZJ-001"].wave)
    assert start > YEAR_END[1] or end < YEAR_END[0]


def test_freeze_window_of_one_member_holds_its_whole_cycle() -> None:
    inv = inventory(
        [system("CZJ-001", depends_on=["GAJ-001"]), system("GAJ-001", depends_on=["CZJ-001"])],
        departments=[department("CZJ", YEAR_END)],
    )
    result = plan(inv)
    assert result.placements["CZJ-001"].wave == result.placements["GAJ-001"].wave == 2


# ---------------------------------------------------------------------------------------------------------
# Decommissions and held systems


def test_retire_that_would_drop_a_dependents_call_is_blocked_and_held_with_the_reason() -> None:
    inv = inventory(
        [system("MZJ-001", depends_on=["MZJ-009"]), system("MZJ-009"), system("GAJ-001")],
        catalogue=[entry("30100400/0000009", "MZJ-009")],
    )
    result = plan(inv, {"MZJ-009": Decision(D.RETIRE, ("no update for 41 months",))}, max_systems=1)
    assert "MZJ-009" not in result.decommissions
    assert "MZJ-009" not in result.placements
    (held,) = [h for h in result.held if h.system == "MZJ-009"]
    assert held.disposition is D.DEFER
    assert held.reasons[0].startswith("下线 blocked: MZJ-001 depend on it and no replacement is named")
    assert "no update for 41 months" in held.reasons
    notes = result.placements["MZJ-001"].reasons
    assert not any("the call is dropped" in r for r in notes)
    assert any("MZJ-009" in r and "stays where it is" in r for r in notes)


def test_retired_system_without_dependents_gets_a_decommission_plan() -> None:
    inv = inventory(
        [system("MZJ-001"), system("MZJ-009"), system("GAJ-001")],
        catalogue=[entry("30100400/0000009", "MZJ-009")],
    )
    result = plan(inv, {"MZJ-009": Decision(D.RETIRE, ("no update for 41 months",))}, max_systems=1)
    assert "MZJ-009" not in result.placements
    decommission = result.decommissions["MZJ-009"]
    assert decommission.disposition is D.RETIRE
    assert not decommission.hands_over
    assert decommission.entries == ("30100400/0000009",)
    assert decommission.dependents == ()
    assert decommission.after_wave is None
    assert decommission.shutdown == result.settings.start + dt.timedelta(days=result.settings.decommission_after_days)
    assert "no update for 41 months" in decommission.reasons


def test_retired_system_with_a_duplicate_repoints_dependents_to_it() -> None:
    inv = inventory([system("MZJ-001", depends_on=["MZJ-009"]), system("MZJ-009"), system("MZJ-002")])
    decisions = {"MZJ-009": Decision(D.RETIRE, ("function covered by MZJ-002",))}
    duplicates = {"MZJ-009": [DuplicateFinding("MZJ-002", 0.8, ("救助",), within_department=True)]}
    result = waves.plan_waves(inv, assessment(inv, decisions, duplicates), WaveSettings(max_systems=1))
    assert result.decommissions["MZJ-009"].dependents == (waves.Repoint("MZJ-001", "MZJ", "MZJ-002"),)
    assert result.placements["MZJ-001"].providers == ("MZJ-002",)
    assert result.placements["MZJ-002"].wave < result.placements["MZJ-001"].wave


def test_a_retired_systems_replacement_is_never_a_duplicate_proposed_to_merge_into_it() -> None:
    inv = inventory(
        [system("MZJ-001", depends_on=["MZJ-009"]), system("MZJ-009"), system("MZJ-002"), system("MZJ-003")]
    )
    folding_in = Proposal(D.MERGE, ("duplicates MZJ-009",), merge_into="MZJ-009")
    leaving = Proposal(D.RETIRE, ("idle",))
    duplicates = {
        "MZJ-009": [
            DuplicateFinding("MZJ-002", 0.95, ("救助",), within_department=True),  # closest, but folds into it
            DuplicateFinding("MZJ-003", 0.7, ("救助",), within_department=True),
        ]
    }
    decisions = {
        "MZJ-009": Decision(D.RETIRE, ("function covered by its duplicates",)),
        "MZJ-002": Decision(D.REHOST, ("cloud-ready",), proposal=folding_in),
    }
    result = waves.plan_waves(inv, assessment(inv, decisions, duplicates), WaveSettings(max_systems=1))
    assert result.decommissions["MZJ-009"].dependents == (waves.Repoint("MZJ-001", "MZJ", "MZJ-003"),)
    # a duplicate with a proposal of its own to leave comes after one with none, whatever the scores
    decisions["MZJ-002"] = Decision(D.REHOST, ("cloud-ready",))
    decisions["MZJ-003"] = Decision(D.REHOST, ("cloud-ready",), proposal=leaving)
    duplicates["MZJ-009"] = [
        DuplicateFinding("MZJ-003", 0.95, ("救助",), within_department=True),
        DuplicateFinding("MZJ-002", 0.7, ("救助",), within_department=True),
    ]
    result = waves.plan_waves(inv, assessment(inv, decisions, duplicates), WaveSettings(max_systems=1))
    assert result.decommissions["MZJ-009"].dependents == (waves.Repoint("MZJ-001", "MZJ", "MZJ-002"),)


def test_merged_system_hands_data_to_its_target_and_repoints_dependents_first() -> None:
    inv = inventory(
        [
            system("GAJ-001"),
            system("GAJ-007"),
            system("MZJ-001", depends_on=["GAJ-007"]),
            system("RSJ-001", depends_on=["GAJ-007"]),
        ],
        catalogue=[entry("10100400/0000007", "GAJ-007")],
    )
    decisions = {
        "GAJ-007": Decision(D.MERGE, ("duplicate of GAJ-001 (0.82)",), merge_into="GAJ-001"),
        "RSJ-001": Decision(D.DEFER, ("vendor contract ends 2028",)),
    }
    result = plan(inv, decisions, max_systems=1)
    decommission = result.decommissions["GAJ-007"]
    assert decommission.hands_over
    assert decommission.merge_into == "GAJ-001"
    assert decommission.dependents == (
        waves.Repoint("MZJ-001", "MZJ", "GAJ-001"),
        waves.Repoint("RSJ-001", "RSJ", "GAJ-001"),
    )
    # the dependent now waits for the merge target, and the shutdown waits for both
    assert result.placements["MZJ-001"].providers == ("GAJ-001",)
    assert result.placements["GAJ-001"].wave < result.placements["MZJ-001"].wave
    assert decommission.after_wave == result.placements["MZJ-001"].wave
    assert result.callers["GAJ-001"] == ("MZJ", "RSJ")
    assert any("merges into GAJ-001" in r for r in result.placements["MZJ-001"].reasons)


def test_decommission_shutdown_avoids_the_freeze_window() -> None:
    inv = inventory([system("CZJ-009")], departments=[department("CZJ", YEAR_END)])
    result = plan(inv, {"CZJ-009": Decision(D.RETIRE, ("idle",))})
    decommission = result.decommissions["CZJ-009"]
    assert decommission.shutdown == dt.date(2027, 2, 1)
    assert any("frozen" in r for r in decommission.reasons)


def test_deferred_and_exempt_systems_get_neither_wave_nor_decommission() -> None:
    inv = inventory([system("GAJ-001"), system("GAJ-002"), system("MZJ-001", depends_on=["GAJ-002"])])
    decisions = {
        "GAJ-001": Decision(D.EXEMPT, ("四级系统",)),
        "GAJ-002": Decision(D.DEFER, ("licence forbids virtualisation",)),
    }
    result = plan(inv, decisions)
    assert [(h.system, h.disposition, h.reasons) for h in result.held] == [
        ("GAJ-001", D.EXEMPT, ("四级系统",)),
        ("GAJ-002", D.DEFER, ("licence forbids virtualisation",)),
    ]
    assert set(result.placements) == {"MZJ-001"}
    assert not result.decommissions
    assert result.placements["MZJ-001"].providers == ()
    assert any("stays where it is" in r for r in result.placements["MZJ-001"].reasons)


def test_callers_are_the_other_departments_calling_a_system() -> None:
    inv = inventory(
        [system("GAJ-001"), system("GAJ-002", depends_on=["GAJ-001"]), system("MZJ-001", depends_on=["GAJ-001"])]
    )
    assert plan(inv).callers["GAJ-001"] == ("MZJ",)


def test_every_placement_respects_the_graph_on_the_example_city() -> None:
    from govcloud.core import example

    city = example.generate_city(systems=120, seed=3)
    inv = city.inventory
    result = plan(inv, max_systems=10)
    for code, placement in result.placements.items():
        assert placement.reasons
        assert placement.reasons[0].startswith(f"wave {placement.wave}:")
        for provider in placement.providers:
            assert result.placements[provider].wave <= placement.wave, (code, provider)
    cycle_members = {m for c in result.cycles for m in c.systems}
    assert {code for pair in city.planted["cycle"] for code in pair.split("~")} <= cycle_members


# ---------------------------------------------------------------------------------------------------------
# Staged plans and gates


def test_migration_plan_has_three_stages_in_order_with_gates_and_dates() -> None:
    inv = inventory(
        [system("MZJ-001", depends_on=["GAJ-001"], consumes=["30100400/0000001"]), system("GAJ-001")],
        catalogue=[entry("30100400/0000001", "GAJ-001"), entry("30100400/0000002", "MZJ-001", published=False)],
    )
    decisions = assessment(inv)
    result = waves.plan_waves(inv, decisions, WaveSettings())
    by_code = {p.system: p for p in plans.build_plans(inv, decisions, result, Settings())}
    mzj = by_code["MZJ-001"]
    assert [s.stage for s in mzj.stages] == [Stage.NETWORK, Stage.DATA, Stage.BUSINESS]
    assert mzj.owner is not None
    assert mzj.owner.name == "王磊"
    for earlier, later in zip(mzj.stages, mzj.stages[1:], strict=False):
        assert earlier.target_end < later.target_start
    network, data, business = mzj.stages
    runs = [s.run or "" for s in network.steps]
    assert any("playbooks/system_network_stage.yml -e system=MZJ-001" in r for r in runs)
    assert any("playbooks/network_zones.yml" in r for r in runs)
    assert any(o.startswith("NetworkPolicy/") for s in network.steps for o in s.objects)
    assert plans.Gate(gate=plans.GateKind.CATALOGUE_PUBLISHED, system="MZJ-001", entries="all") in data.exit_gates
    assert plans.Gate(gate=plans.GateKind.STAGE_DONE, system="GAJ-001", stage=Stage.DATA) in business.entry_gates
    assert business.cutover
    assert business.rollback
    assert by_code["GAJ-001"].stages[2].callers == ("MZJ",)


def test_gates_are_evaluated_with_evidence() -> None:
    inv = inventory(
        [system("MZJ-001", depends_on=["GAJ-001"]), system("GAJ-001")],
        catalogue=[entry("30100400/0000002", "MZJ-001", published=False)],
    )
    tracking = {
        "GAJ-001": stages.Progress(
            statuses={Stage.NETWORK: plans.StageStatus.DONE, Stage.DATA: plans.StageStatus.DONE}
        ),
        "MZJ-001": stages.Progress(statuses={Stage.NETWORK: plans.StageStatus.IN_PROGRESS}),
    }
    gate = plans.Gate
    kind = plans.GateKind
    assert plans.evaluate_gate(gate(gate=kind.STAGE_DONE, system="GAJ-001", stage=Stage.DATA), inv, tracking) == (
        True,
        "GAJ-001 data: done",
    )
    assert plans.evaluate_gate(gate(gate=kind.STAGE_DONE, system="MZJ-001", stage=Stage.NETWORK), inv, tracking) == (
        False,
        "MZJ-001 network: in_progress",
    )
    assert plans.evaluate_gate(gate(gate=kind.STAGE_REACHED, system="MZJ-001", stage=Stage.NETWORK), inv, tracking)[0]
    ok, evidence = plans.evaluate_gate(
        gate(gate=kind.CATALOGUE_PUBLISHED, system="MZJ-001", entries="all"), inv, tracking
    )
    assert not ok
    assert "30100400/0000002" in evidence
    ok, evidence = plans.evaluate_gate(gate(gate=kind.CALLERS_DECLARED, system="GAJ-001"), inv, tracking)
    assert not ok
    assert "MZJ" in evidence
    ok, evidence = plans.evaluate_gate(gate(gate=kind.DEPENDENTS_REPOINTED, system="GAJ-001"), inv, tracking)
    assert not ok
    assert "MZJ-001" in evidence
    assert plans.evaluate_gate(gate(gate=kind.FLOWS_DECLARED, system="MZJ-001"), inv, tracking)[0]
    assert plans.evaluate_gate(gate(gate=kind.PLACEMENT_DECLARED, system="MZJ-001"), inv, tracking)[0]
    for image, why in (
        (None, "no image given"),
        ("registry.city/mzj-001:1.0", "has no digest"),
        ("registry.city/mzj-001:placeholder", "placeholder"),
        (f"registry.city/mzj-001:latest@sha256:{'a' * 64}", "latest"),
    ):
        unpinned = inv.system_by_code["MZJ-001"]
        assert unpinned.cloud is not None
        moved = unpinned.model_copy(update={"cloud": unpinned.cloud.model_copy(update={"image": image})})
        other = inv.model_copy(update={"systems": (moved, inv.system_by_code["GAJ-001"])})
        ok, evidence = plans.evaluate_gate(gate(gate=kind.PLACEMENT_DECLARED, system="MZJ-001"), other, tracking)
        assert not ok
        assert why in evidence
    assert plans.evaluate_gate(gate(gate=kind.STAGE_DONE, system="XXX-001", stage=Stage.DATA), inv, tracking) == (
        False,
        "XXX-001 is not in the census",
    )


@pytest.mark.parametrize(
    ("statuses", "problem"),
    [
        ({Stage.NETWORK: "done", Stage.DATA: "in_progress"}, None),
        ({Stage.NETWORK: "done", Stage.DATA: "in_progress", Stage.BUSINESS: "in_progress"}, None),
        ({Stage.NETWORK: "pending", Stage.BUSINESS: "done"}, "business is done while data is pending"),
        ({Stage.NETWORK: "in_progress", Stage.DATA: "done"}, "data is done while network is in_progress"),
        ({Stage.DATA: "in_progress"}, "data is in_progress while network is pending"),
    ],
)
def test_statuses_in_order(statuses: dict[Stage, str], problem: str | None) -> None:
    found = plans.statuses_in_order({k: plans.StageStatus(v) for k, v in statuses.items()})
    assert (found[0].message if found else None) == problem
