"""The 电子政务内网 (intranet): physical isolation in the census, both networks in the flow matrix and the firewalls,
classified systems' intranet plans, and 业务专网 consolidation in the department plans.

The census cases edit a copy of the bundled inventory as text and name where the error must be (file, line
found by searching the edited text, field) and that the message names both sides. The packet-level proof of
isolation is in ``tests/test_network_zones.py`` (the intranet lab beside the extranet lab).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from conftest import confirm_every_proposal
from govcloud.app import network as app_network
from govcloud.app import planning
from govcloud.audit.core import diff
from govcloud.cli import app
from govcloud.cloud.core import desired
from govcloud.core import model
from govcloud.core.settings import Settings
from govcloud.edges import inventory_files, settings_file, yamlio
from govcloud.network.core import firewall, flows
from govcloud.planning.core import consolidation, plans, stages
from govcloud.planning.core.stages import Stage, StageStatus
from govcloud.planning.edges import department_plan_files, plan_progress
from govcloud.reporting.core import labels
from govcloud.reporting.edges import render
from test_inventory_check import Copy, _problems

REPO = Path(__file__).resolve().parents[1]
GAJ = "departments/GAJ.yaml"
FGW = "departments/FGW.yaml"
NETWORK = "network.yaml"
HOSTS = "hosts.yaml"
HUB = "FGW-005"  # the intranet's shared classified service (内网公文交换系统, in NW-PUB)
CLASSIFIED = "GAJ-013"  # a classified system of GAJ that calls the hub


@pytest.fixture(scope="module")
def bundled() -> model.Inventory:
    return inventory_files.load_inventory(REPO / "inventory").inventory


@pytest.fixture(scope="module")
def bundled_progress(bundled: model.Inventory) -> dict[str, object]:
    return dict(plan_progress.load_progress(REPO / "migrations_plan", inventory=bundled))


# ---------------------------------------------------------------------------------------------------------
# The census: nothing spans the two networks


@dataclasses.dataclass(frozen=True)
class Isolation:
    mutate: Callable[[Copy], int]
    file: str
    field: str
    names: tuple[str, ...]
    """Fragments the message must hold: both sides' names, and what is wrong."""


def _classified_calls_extranet(c: Copy) -> int:
    return c.replace(GAJ, f"  - {HUB}\n", "  - GAJ-001\n", after=f"- code: {CLASSIFIED}\n")


def _extranet_calls_classified(c: Copy) -> int:
    c.insert_after(GAJ, "  - SCJ-008\n", f"  - {HUB}\n")
    return c.line(GAJ, f"  - {HUB}\n")


def _intranet_range_on_extranet(c: Copy) -> int:
    return c.replace(NETWORK, "    - 10.32.0.0/24\n", "    - 10.80.0.0/24\n", after="  - code: NW-DZ-FGW\n")


def _router_on_both_networks(c: Copy) -> int:
    c.replace(
        HOSTS, "  - zone: NW-DZ-FGW\n    address: 10.32.0.1/24\n", "  - zone: DZ-FGW\n    address: 10.80.0.254/24\n"
    )
    return c.line(HOSTS, "  - zone: DZ-FGW\n    address: 10.80.0.254/24\n")


def _cloud_on_intranet(c: Copy) -> int:
    return c.replace(FGW, "    zone: DZ-FGW\n", "    zone: NW-DZ-FGW\n", after="- code: FGW-001\n")


def _intranet_internet_access(c: Copy) -> int:
    return c.replace(NETWORK, "    kind: 公用网络区\n", "    kind: 互联网接入区\n", after="  - code: NW-PUB\n")


def _shared_management(c: Copy) -> int:
    return c.replace(NETWORK, "    - 10.15.0.0/24\n", "    - 10.63.0.0/25\n", after="intranet:\n")


def _classified_on_extranet(c: Copy) -> int:
    return c.set_value(GAJ, "  carrying_network:", "电子政务外网", after=f"- code: {CLASSIFIED}\n")


def _no_intranet_zone(c: Copy) -> int:
    text = c.read(NETWORK)
    start = text.index("  - code: NW-DZ-GAJ\n")
    end = text.index("  - code: ", start + 1)
    c.write(NETWORK, text[:start] + text[end:])
    return c.line(GAJ, "  classified: true\n", after=f"- code: {CLASSIFIED}\n")


def _private_network_of_another_department(c: Copy) -> int:
    return c.replace(GAJ, "  - GAJ-009\n", "  - FGW-002\n", after="private_networks:\n")


def _private_network_carries_an_extranet_system(c: Copy) -> int:
    return c.replace(GAJ, "  - GAJ-009\n", "  - GAJ-001\n", after="private_networks:\n")


def _private_network_on_a_zone(c: Copy) -> int:
    return c.replace(GAJ, "  - 172.16.4.0/24\n", "  - 10.80.4.0/25\n", after="private_networks:\n")


ISOLATION = [
    pytest.param(
        Isolation(_private_network_on_a_zone, GAJ, "private_networks.0.ranges.0", ("10.80.4.0/25", "zone DZ-GAJ")),
        id="private-network-range-overlaps-a-zone",
    ),
    pytest.param(
        Isolation(
            _classified_calls_extranet, GAJ, "systems.12.depends_on.0", (CLASSIFIED, "GAJ-001", "no call crosses")
        ),
        id="classified-calls-extranet",
    ),
    pytest.param(
        Isolation(_extranet_calls_classified, GAJ, "systems.0.depends_on.1", ("GAJ-001", HUB, "no call crosses")),
        id="extranet-calls-classified",
    ),
    pytest.param(
        Isolation(
            _intranet_range_on_extranet,
            NETWORK,
            "intranet.zones.1.ranges.0",
            ("intranet zone NW-DZ-FGW", "extranet zone DZ-FGW", "physically isolated"),
        ),
        id="intranet-range-overlaps-extranet-zone",
    ),
    pytest.param(
        Isolation(
            _router_on_both_networks,
            HOSTS,
            "hosts.13.addresses.1.zone",
            ("fw-nw-01", "intranet zone NW-PUB", "extranet zone DZ-FGW"),
        ),
        id="router-on-both-networks",
    ),
    pytest.param(
        Isolation(_cloud_on_intranet, FGW, "systems.0.cloud.zone", ("FGW-001", "NW-DZ-FGW", "电子政务内网")),
        id="cloud-placement-in-an-intranet-zone",
    ),
    pytest.param(
        Isolation(_intranet_internet_access, NETWORK, "intranet.zones.0.kind", ("no 互联网接入区",)),
        id="intranet-has-no-internet-access-zone",
    ),
    pytest.param(
        Isolation(
            _shared_management,
            NETWORK,
            "intranet.management.ranges.0",
            ("the intranet's management", "the extranet's management"),
        ),
        id="management-networks-share-addresses",
    ),
    pytest.param(
        Isolation(_classified_on_extranet, GAJ, "systems.12.carrying_network", ("never on the 电子政务外网",)),
        id="classified-system-on-the-extranet",
    ),
    pytest.param(
        Isolation(
            _no_intranet_zone, GAJ, "systems.12.classified", (CLASSIFIED, "GAJ has no 专用网络区 on the 电子政务内网")
        ),
        id="classified-system-without-an-intranet-zone",
    ),
    pytest.param(
        Isolation(
            _private_network_of_another_department,
            GAJ,
            "private_networks.0.systems.1",
            ("FGW-002 belongs to FGW", "not to GAJ"),
        ),
        id="private-network-lists-another-departments-system",
    ),
    pytest.param(
        Isolation(
            _private_network_carries_an_extranet_system,
            GAJ,
            "private_networks.0.systems.1",
            ("GAJ-001 is carried on the 电子政务外网",),
        ),
        id="private-network-lists-a-system-not-on-it",
    ),
]


@pytest.mark.parametrize("case", ISOLATION)
def test_check_refuses_what_spans_the_networks_with_file_line_and_both_names(
    inventory_copy: Path, case: Isolation
) -> None:
    copy = Copy(inventory_copy)
    line = case.mutate(copy)
    problems = _problems(inventory_copy)
    rendered = "\n".join(p.render() for p in problems)
    matching = [p for p in problems if all(name in p.message for name in case.names)]
    assert matching, f"no problem names {case.names}:\n{rendered}"
    assert (str(inventory_copy / case.file), line, case.field) in {(p.path, p.line, p.field) for p in matching}, (
        rendered
    )


def test_the_bundled_census_has_both_networks_and_passes(bundled: model.Inventory) -> None:
    intranet = bundled.network.intranet
    assert intranet is not None
    kinds = [z.kind for z in intranet.zones]
    assert kinds.count(model.ZoneKind.PUBLIC) == 1
    assert model.ZoneKind.INTERNET_ACCESS not in kinds
    assert {z.department for z in intranet.zones if z.department} == {d.code for d in bundled.departments}
    routers = [h for h in bundled.hosts if h.role is model.HostRole.ZONE_ROUTER]
    assert {h.name: bundled.network_of_host(h) for h in routers} == {
        "fw-core-01": model.GovNetwork.EXTRANET,
        "fw-nw-01": model.GovNetwork.INTRANET,
    }
    classified = [s for s in bundled.systems if s.classified]
    assert len(classified) >= 5
    assert all(bundled.intranet_zone_of_system(s) is not None and s.cloud is None for s in classified)
    on_private = {s.code for s in bundled.systems if s.carrying_network is model.CarryingNetwork.PRIVATE}
    listed = {code for p in bundled.private_networks for code in p.systems}
    assert listed == on_private  # every 业务专网 system is listed once, on its department's network


# ---------------------------------------------------------------------------------------------------------
# The flow matrix and the firewalls cover both networks, apart


def _flows_matrix(bundled: model.Inventory, progress: dict[str, object]) -> flows.FlowMatrix:
    return flows.compute_flow_matrix(bundled, progress)  # type: ignore[arg-type]


def test_no_flow_of_the_bundled_matrix_crosses_between_the_networks(
    bundled: model.Inventory, bundled_progress: dict[str, object]
) -> None:
    matrix = _flows_matrix(bundled, bundled_progress)
    assert flows.crossing_flows(matrix) == ()
    intranet = matrix.on_network(model.GovNetwork.INTRANET)
    reasons = {f.reason for f in intranet}
    assert f"{CLASSIFIED} declares that it calls {HUB} on the intranet" in reasons
    assert "department GAJ uses its classified system on the intranet" in reasons
    assert len(intranet) + len(matrix.on_network(model.GovNetwork.EXTRANET)) == len(matrix.flows)


def test_a_classified_system_opens_intranet_flows_only_once_its_network_stage_is_reached(
    bundled: model.Inventory,
) -> None:
    before = flows.compute_flow_matrix(bundled, {})
    after = flows.compute_flow_matrix(bundled, firewall.with_network_stage({}, CLASSIFIED))
    opened = set(after.flows) - set(before.flows)
    assert opened
    assert all(
        after.network_of(f.source) is after.network_of(f.destination) is model.GovNetwork.INTRANET for f in opened
    )
    assert not any(f.source.name == CLASSIFIED or f.destination.name == CLASSIFIED for f in before.flows)


def test_each_router_renders_only_its_own_networks_addresses(
    bundled: model.Inventory, bundled_progress: dict[str, object]
) -> None:
    matrix = _flows_matrix(bundled, bundled_progress)
    walls = firewall.build_firewalls(bundled, matrix)
    resolver = firewall.Resolver(bundled)

    def addresses(wall: firewall.RouterFirewall) -> set[ipaddress.IPv4Network]:
        sets = [*wall.sets, *(s for chain in wall.systems for s in chain.sets)]
        return {ipaddress.IPv4Network(e) for s in sets for e in s.elements}

    extranet, intranet = walls["fw-core-01"], walls["fw-nw-01"]
    inside = addresses(intranet)
    assert inside
    assert all(any(n.subnet_of(r) for r in resolver.intranet) for n in inside)
    assert not any(n.overlaps(r) for n in addresses(extranet) for r in resolver.intranet)
    assert intranet.systems
    assert {c.system for c in intranet.systems} <= {s.code for s in bundled.systems if s.classified}
    assert not {c.system for c in extranet.systems} & {s.code for s in bundled.systems if s.classified}
    management = {s.name: s.elements for s in intranet.sets}["management"]
    assert management == ("10.15.0.0/24",)  # the intranet's own management network, not the extranet's


def test_a_router_refuses_to_render_a_flow_across_the_networks(bundled: model.Inventory) -> None:
    matrix = flows.compute_flow_matrix(bundled, {})
    crossing = flows.Flow(
        flows.zone_endpoint("DZ-GAJ"),
        flows.zone_endpoint("NW-DZ-GAJ"),
        9443,
        model.Protocol.TCP,
        "https",
        Stage.NETWORK,
        "a forged flow",
    )
    forged = dataclasses.replace(matrix, flows=(*matrix.flows, crossing))
    assert flows.crossing_flows(forged) == (crossing,)
    for name, wall in firewall.build_firewalls(bundled, forged).items():
        assert any("a forged flow" in r and "crosses between" in r for r in wall.refused), name
        assert not any("a forged flow" in r.comment for r in wall.baseline)
        assert not any("a forged flow" in r.comment for c in wall.systems for r in c.rules)


def test_the_intranet_management_reaches_the_hosts_of_its_zones_and_never_a_classified_system(
    bundled: model.Inventory, bundled_progress: dict[str, object]
) -> None:
    matrix = _flows_matrix(bundled, bundled_progress)
    intranet = bundled.network.intranet
    assert intranet is not None
    assert intranet.management is not None
    ports = [p.port for p in intranet.management.ports]
    assert ports
    for zone in bundled.intranet_zones:
        hosts = flows.hosts_endpoint(zone.code)
        assert matrix.network_of(hosts) is model.GovNetwork.INTRANET
        assert all(matrix.allows(flows.INTRANET_MANAGEMENT, hosts, port) for port in ports), zone.code
        assert not any(matrix.allows(flows.MANAGEMENT, hosts, port) for port in ports), zone.code
    for zone in bundled.network.zones:
        assert matrix.network_of(flows.hosts_endpoint(zone.code)) is model.GovNetwork.EXTRANET
        assert not any(matrix.allows(flows.INTRANET_MANAGEMENT, flows.hosts_endpoint(zone.code), p) for p in ports)
    for system in (s for s in bundled.systems if s.classified):
        assert not any(matrix.allows(flows.INTRANET_MANAGEMENT, flows.system_endpoint(system.code), p) for p in ports)
    # as on the extranet: every management flow ends at hosts, and only management starts one to hosts
    for flow in matrix.flows:
        assert (flow.source.kind is flows.EndpointKind.MANAGEMENT) == (
            flow.destination.kind is flows.EndpointKind.HOSTS
        )
    # on the wire the intranet's hosts are its zones' ranges, reached from its own management network only
    resolver = firewall.Resolver(bundled, locations=matrix.locations)
    inside = str(bundled.intranet_zone_by_code["NW-DZ-GAJ"].ranges[0].network_address + 7)
    own, other = (str(m.ranges[0].network_address + 5) for m in (intranet.management, bundled.network.management))
    assert firewall.flow_reaches(matrix, resolver, source=own, destination=inside, port=ports[0])
    assert not firewall.flow_reaches(matrix, resolver, source=other, destination=inside, port=ports[0])


def test_a_classified_system_without_hosts_is_its_intranet_zone_on_the_wire(
    bundled: model.Inventory, bundled_progress: dict[str, object]
) -> None:
    matrix = _flows_matrix(bundled, bundled_progress)
    resolver = firewall.Resolver(bundled, locations=matrix.locations)
    assert not any(CLASSIFIED in h.systems for h in bundled.hosts)
    zone = bundled.intranet_zone_by_code["NW-DZ-GAJ"]
    assert matrix.locations[flows.system_endpoint(CLASSIFIED)].zone == zone.code
    assert resolver.addresses(flows.system_endpoint(CLASSIFIED)).networks == firewall.collapse(zone.ranges)
    assert resolver.zones(flows.system_endpoint(CLASSIFIED)) == {zone.code}


def test_the_intranet_router_guards_each_zone_it_terminates_against_spoofing(
    bundled: model.Inventory, bundled_progress: dict[str, object]
) -> None:
    matrix = _flows_matrix(bundled, bundled_progress)
    walls = firewall.build_firewalls(bundled, matrix)
    router = next(h for h in bundled.hosts if h.name == "fw-nw-01")
    wall = walls[router.name]
    assert {i.zone for i in wall.interfaces} == {a.zone for a in router.addresses}
    sets = {s.name: s.elements for s in wall.sets}
    for address in router.addresses:
        assert address.interface is not None
        interface = next(i for i in wall.interfaces if i.zone == address.zone)
        assert interface.interface == address.interface
        assert sets[interface.set_name] == tuple(str(r) for r in bundled.intranet_zone_by_code[address.zone].ranges)
        assert any(f'iifname "{address.interface}" ip saddr != @{interface.set_name} drop' in a for a in wall.antispoof)
    assert len(wall.antispoof) == len(router.addresses)


def test_the_ansible_inventory_groups_hosts_by_network(tmp_path: Path) -> None:
    data = app_network.ansible_inventory(REPO / "inventory", REPO / "migrations_plan")
    assert data.groups["network_intranet"] == ("fw-nw-01",)
    assert "fw-core-01" in data.groups["network_extranet"]
    assert not set(data.groups["network_intranet"]) & set(data.groups["network_extranet"])
    assert data.hostvars["fw-nw-01"]["govcloud_network"] == "电子政务内网"
    assert data.hostvars["fw-nw-01"]["govcloud_firewall"]["systems"]


def test_stage_vars_of_a_classified_system_target_the_intranet_router_only() -> None:
    found = app_network.stage_vars(REPO / "inventory", REPO / "migrations_plan", CLASSIFIED)
    assert found["routers"] == ["fw-nw-01"]
    assert found["zone"] == "NW-DZ-GAJ"


# ---------------------------------------------------------------------------------------------------------
# Classified systems' plans


@pytest.fixture(scope="module")
def planned(bundled: model.Inventory) -> planning.Planned:
    return planning.compute(bundled, settings_file.load_settings(REPO / "inventory"), today=None)


def test_a_classified_system_plan_moves_it_onto_the_intranet_and_never_onto_the_cloud(
    planned: planning.Planned,
) -> None:
    plan = next(p for p in planned.system_plans() if p.system == CLASSIFIED)
    assert plan.kind is plans.PlanKind.INTRANET
    assert (plan.intranet_zone, plan.wave) == ("NW-DZ-GAJ", None)
    assert [s.stage for s in plan.stages] == [Stage.NETWORK]
    steps = " ".join(step.do for step in plan.stages[0].steps)
    assert "onto intranet zone NW-DZ-GAJ" in steps
    assert "never onto the shared cloud" in steps
    assert not any(obj for step in plan.stages[0].steps for obj in step.objects)  # no Kubernetes object
    assert plan.stages[0].exit_gates == (
        plans.Gate(gate=plans.GateKind.STAGE_REACHED, system=HUB, stage=Stage.NETWORK),
    )
    classified = {s.code for s in planned.inventory.systems if s.classified}
    assert not classified & set(planned.wave_plan.placements)


def test_classified_systems_in_their_network_stage_get_no_kubernetes_objects(
    bundled: model.Inventory, bundled_progress: dict[str, object]
) -> None:
    reached = {code for code, p in bundled_progress.items() if p.reached is not None}  # type: ignore[attr-defined]
    started = {code for code in reached if bundled.system_by_code[code].classified}
    assert started  # the bundled plans have moved some onto the intranet
    state = desired.desired_state(bundled, bundled_progress, Settings())  # type: ignore[arg-type]
    text = json.dumps(state.all(), ensure_ascii=False, default=str)
    moving = [code for code in reached if not bundled.system_by_code[code].classified]
    assert all(code.lower() in text for code in moving)  # the extranet systems that progressed are there ...
    assert not any(code.lower() in text for code in started)  # ... classified ones never


def test_plan_check_refuses_a_cloud_stage_in_an_intranet_plan(tmp_path: Path, bundled: model.Inventory) -> None:
    plans_dir = Path(shutil.copytree(REPO / "migrations_plan", tmp_path / "plans"))
    path = plans_dir / f"{CLASSIFIED}.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("  - stage: network\n", "  - stage: data\n    status: pending\n  - stage: network\n", 1)
    path.write_text(text, encoding="utf-8")
    problems = plan_progress.check_plans(plans_dir, bundled)
    assert [(p.line, p.field) for p in problems] == [(yamlio.line_of(text, ("stages", 0, "stage")), "stages.0.stage")]
    assert "only its network stage" in problems[0].message


# ---------------------------------------------------------------------------------------------------------
# 业务专网 consolidation


def _department_plans(planned: planning.Planned, plans_dir: Path) -> tuple[consolidation.DepartmentPlan, ...]:
    return department_plan_files.plans_for(planned.inventory, planned.wave_plan, plans_dir, planned.settings)


def _network(plans_: tuple[consolidation.DepartmentPlan, ...], code: str) -> consolidation.PrivateNetworkPlan:
    return next(n for d in plans_ for n in d.private_networks if n.code == code)


def _set_status(path: Path, stage_index: int, status: str) -> None:
    data = yamlio.load_roundtrip(path.read_text(encoding="utf-8"))
    data["stages"][stage_index]["status"] = status
    path.write_text(yamlio.dump_roundtrip(data), encoding="utf-8")


def _empty_a_private_network(planned: planning.Planned, plans_dir: Path, code: str) -> None:
    """Every system of 业务专网 ``code`` has left (network stage done, as a lead records it in its plan), and the
    department plans are written again, as ``plan --write`` does: the network's decommission is in its plan."""
    for system in planned.inventory.private_network_by_code[code].systems:
        _set_status(plans_dir / f"{system}.yaml", 0, "done")
    department_plan_files.write_department_plans(plans_dir, _department_plans(planned, plans_dir))


@pytest.fixture(scope="module")
def confirmed(bundled: model.Inventory) -> planning.Planned:
    """The bundled city planned with every 下线/整合 proposal confirmed by a lead: some systems are retired."""
    settings = settings_file.load_settings(REPO / "inventory")
    _, confirmations = confirm_every_proposal(bundled, settings)
    return planning.compute(bundled, settings, today=None, confirmations=confirmations)


def test_a_private_network_gets_its_decommission_when_its_last_system_leaves(
    tmp_path: Path, planned: planning.Planned
) -> None:
    plans_dir = Path(shutil.copytree(REPO / "migrations_plan", tmp_path / "plans"))
    network = planned.inventory.private_network_by_code["ZW-GAJ-01"]
    live = _network(_department_plans(planned, plans_dir), network.code)
    assert live.decommission is None
    assert live.remaining == network.systems
    *first, last = network.systems
    for code in first:
        _set_status(plans_dir / f"{code}.yaml", 0, "done")
    almost = _network(_department_plans(planned, plans_dir), network.code)
    assert (almost.remaining, almost.decommission) == ((last,), None)  # one system still on it: no decommission
    _set_status(plans_dir / f"{last}.yaml", 0, "done")
    empty = _network(_department_plans(planned, plans_dir), network.code)
    assert empty.remaining == ()
    assert empty.decommission is not None
    assert {g.system for g in empty.decommission.entry_gates} == set(network.systems)
    assert any("terminate its lines" in s.do for s in empty.decommission.steps)
    assert any(str(network.ranges[0]) in s.do for s in empty.decommission.steps)


def test_a_retired_member_counts_as_left_through_its_decommission(confirmed: planning.Planned) -> None:
    planned = confirmed
    retiring = {
        p.code: [c for c in p.systems if c in planned.wave_plan.decommissions]
        for p in planned.inventory.private_networks
    }
    code, members = next((k, v) for k, v in retiring.items() if v)
    tracking = {m: stages.Progress({}, decommission=StageStatus.DONE) for m in members}
    for other in planned.inventory.private_network_by_code[code].systems:
        tracking.setdefault(other, stages.Progress({Stage.NETWORK: StageStatus.DONE}))
    built = consolidation.build_department_plans(planned.inventory, planned.wave_plan, tracking, planned.settings)
    network = _network(built, code)
    decommission = network.decommission
    held = [m for m in network.members if m.leaves_by == "held"]
    if held:
        assert decommission is None  # a held system never leaves: the network stays live for it
    else:
        assert decommission is not None
        gates = {g.system: g.gate for g in decommission.entry_gates}
        assert all(gates[m] is plans.GateKind.DECOMMISSIONED for m in members)


def test_department_plans_keep_statuses_comments_and_edits_and_report_conflicts(
    tmp_path: Path, planned: planning.Planned
) -> None:
    plans_dir = Path(shutil.copytree(REPO / "migrations_plan", tmp_path / "plans"))
    _empty_a_private_network(planned, plans_dir, "ZW-GXS-01")
    path = department_plan_files.department_plan_path(plans_dir, "GXS")
    text = path.read_text(encoding="utf-8")
    assert "decommission:" in text  # its only network lost its last system
    text = text.replace("      status: pending\n", "      status: in_progress  # lines cancelled, CR-7\n", 1)
    text = text.replace("    operator: 中国电信\n", "    operator: 中国电信 临江分公司\n", 1)
    text = text.replace("department: GXS\n", "department: GXS\n# owner: 网络组\n", 1)
    path.write_text(text, encoding="utf-8")
    report = department_plan_files.write_department_plans(plans_dir, _department_plans(planned, plans_dir))
    after = path.read_text(encoding="utf-8")
    assert "status: in_progress  # lines cancelled, CR-7" in after
    assert "# owner: 网络组" in after
    assert "operator: 中国电信 临江分公司" in after
    assert [c.render() for c in report.conflicts] == [
        "GXS private_networks.ZW-GXS-01.operator: kept your 中国电信 临江分公司, generated 中国电信"
    ]
    again = department_plan_files.write_department_plans(plans_dir, _department_plans(planned, plans_dir))
    assert again.written == 0
    assert path.read_text(encoding="utf-8") == after
    assert department_plan_files.check_department_plans(plans_dir, planned.inventory) == []


def test_plan_check_refuses_a_private_network_retired_while_systems_run_on_it(
    tmp_path: Path, bundled: model.Inventory
) -> None:
    plans_dir = Path(shutil.copytree(REPO / "migrations_plan", tmp_path / "plans"))
    path = department_plan_files.department_plan_path(plans_dir, "GAJ")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["private_networks"][0]["decommission"] = {"status": "done"}
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    problems = department_plan_files.check_department_plans(plans_dir, bundled)
    assert [(p.field, p.line) for p in problems] == [
        (
            "private_networks.0.decommission.status",
            yamlio.line_of(text, ("private_networks", 0, "decommission", "status")),
        )
    ]
    assert "ZW-GAJ-01 is done while GAJ-003, GAJ-009, GAJ-010 still run on it" in problems[0].message
    result = CliRunner().invoke(app, ["plan", "--check", "-i", str(REPO / "inventory"), "--plans", str(plans_dir)])
    assert result.exit_code == 1
    assert "still run on it" in result.output


def test_the_report_counts_private_networks_retired_and_still_live(tmp_path: Path, planned: planning.Planned) -> None:
    plans_dir = Path(shutil.copytree(REPO / "migrations_plan", tmp_path / "plans"))
    emptied = planning.build_report(planned, plans_dir, today=dt.date(2027, 2, 1)).totals.private_networks_empty
    _empty_a_private_network(planned, plans_dir, "ZW-GXS-01")  # GXS's only one
    before = planning.build_report(planned, plans_dir, today=dt.date(2027, 2, 1)).totals
    assert before.private_networks == len(planned.inventory.private_networks)
    assert (before.private_networks_retired, before.private_networks_empty) == (0, emptied + 1)
    path = department_plan_files.department_plan_path(plans_dir, "GXS")
    path.write_text(path.read_text(encoding="utf-8").replace("      status: pending\n", "      status: done\n", 1))
    after = planning.build_report(planned, plans_dir, today=dt.date(2027, 2, 1))
    totals = after.totals
    assert (totals.private_networks_retired, totals.private_networks_empty) == (1, emptied)
    assert totals.private_networks_live == before.private_networks_live
    gxs = next(f for f in after.departments if f.scope == "GXS")
    assert (gxs.private_networks, gxs.private_networks_retired) == (1, 1)
    rows = {name: (value, detail) for name, value, detail in labels.hidden_rows(after, labels.Lang.EN)}
    assert rows["Private networks (业务专网) retired"][0] == "1"
    assert "still live" in rows["Private networks (业务专网) retired"][1]
    assert '"private_networks_retired": 1' in render.render_json(after)


# ---------------------------------------------------------------------------------------------------------
# Auditors see the intranet and the 业务专网 change


def test_diff_grades_intranet_and_private_network_changes(bundled: model.Inventory) -> None:
    # an intranet zone's range moves and GAJ-009 leaves its 业务专网
    after = bundled.model_copy(
        update={
            "network": bundled.network.model_copy(
                update={
                    "intranet": bundled.network.intranet.model_copy(  # type: ignore[union-attr]
                        update={
                            "zones": tuple(
                                z.model_copy(update={"ranges": (ipaddress.IPv4Network("10.80.0.0/24"),)})
                                if z.code == "NW-DZ-FGW"
                                else z
                                for z in bundled.intranet_zones
                            )
                        }
                    )
                }
            ),
            "private_networks": tuple(
                p.model_copy(update={"systems": tuple(c for c in p.systems if c != "GAJ-009")})
                for p in bundled.private_networks
            ),
        }
    )
    changes = {(c.record, c.key, c.field): c for c in diff.diff_inventories(bundled, after)}
    zone = changes[("intranet_zone", "NW-DZ-FGW", "ranges")]
    assert zone.risk is diff.Risk.HIGH
    assert "isolation" in zone.why
    private = changes[("private_network", "ZW-GAJ-01", "systems")]
    assert (private.risk, private.why) == (diff.Risk.LOW, "systems left it: GAJ-009")
    assert len(changes) == 2
