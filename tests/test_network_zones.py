"""The unified networks built by the real playbooks on network-namespace test hosts, proven by packets.

A small test census (three departments with their dedicated zones, the public zone with the exchange and the
gateway, the Internet access zone with the ingress and a published system, two Kubernetes nodes) becomes a lab:
the zone router is the lab's router namespace with one bridge per zone, plus an "internet" segment outside
the extranet and a management segment. The playbooks run for real through ansible-runner; then every test host
connects to every other on every port in play, and the outcome must be exactly what the flow matrix allows,
resolved to addresses by the core (never a hand-written list).

The lab tests need root and nftables, iproute2, iputils-ping, netcat-openbsd (scripts/install.sh installs them).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from govcloud.app import network as app_network
from govcloud.cli import app
from govcloud.cloud.core import desired
from govcloud.core import model
from govcloud.edges import inventory_files
from govcloud.errors import InputError
from govcloud.network.core import firewall, flows
from govcloud.network.edges import network_runs
from govcloud.planning.core import stages
from govcloud.planning.edges import plan_progress
from support.labhosts import (
    CONNECTION_PLUGINS,
    Lab,
    LabHost,
    LabSegment,
    LabSpec,
    ProbeOutcome,
    TcpProbe,
    build_lab,
    cleanup_prefix,
    combined_ansible_inventory,
    lab_namespaces,
)

REPO = Path(__file__).resolve().parents[1]
PLAYBOOKS = REPO / "playbooks"
PREFIX = f"gcn{os.getpid()}"


@pytest.fixture(autouse=True)
def _lab_connection_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    """The lab hosts' connection plugin is test support, not in playbooks/: Ansible finds it through the env."""
    monkeypatch.setenv("ANSIBLE_CONNECTION_PLUGINS", str(CONNECTION_PLUGINS))


_ROOT = os.geteuid() == 0
_TOOLS = all(shutil.which(tool) for tool in ("ip", "nft", "nsenter", "unshare"))
_LAB_MARKS = (
    pytest.mark.netns,
    pytest.mark.skipif(not _ROOT, reason="lab hosts need root (network, mount and UTS namespaces)"),
    pytest.mark.skipif(not _TOOLS, reason="ip, nft, nsenter or unshare missing: run scripts/install.sh"),
)


def needs_lab(test: Any) -> Any:
    """Mark a test that builds network-namespace test hosts (skipped, with the reason, where it cannot)."""
    for mark in _LAB_MARKS:
        test = mark(test)
    return test


# ---------------------------------------------------------------------------------------------------------
# The test census

ROUTER = "fw"
INTERNET_HOST = ("inet-user", "internet", "203.0.113.10/24", "203.0.113.1/24")
MANAGEMENT_HOST = ("ops", "mgmt", "10.89.0.10/24", "10.89.0.1/24")
MANAGEMENT_RANGE = "10.89.0.0/24"

ZONES: list[dict[str, Any]] = [
    {"code": "PUB", "name": "公用网络区", "kind": "公用网络区", "ranges": ["10.90.0.0/24"]},
    {"code": "INET", "name": "互联网接入区", "kind": "互联网接入区", "ranges": ["10.90.1.0/24"]},
    {
        "code": "DZ-GAJ",
        "name": "公安局专用网络区",
        "kind": "专用网络区",
        "department": "GAJ",
        "ranges": ["10.91.1.0/24"],
    },
    {
        "code": "DZ-MZJ",
        "name": "民政局专用网络区",
        "kind": "专用网络区",
        "department": "MZJ",
        "ranges": ["10.91.2.0/24"],
    },
    {
        "code": "DZ-RSJ",
        "name": "人社局专用网络区",
        "kind": "专用网络区",
        "department": "RSJ",
        "ranges": ["10.91.3.0/24"],
    },
]

DEPARTMENTS = {
    "GAJ": ("测试市公安局", "11330100700001856D"),
    "MZJ": ("测试市民政局", "11330100700002226F"),
    "RSJ": ("测试市人力资源和社会保障局", "113301007000033334"),
}

# name, role, zone, address, extra fields
HOSTS: list[tuple[str, str, str, str, dict[str, Any]]] = [
    ("exchange", "service", "PUB", "10.90.0.10/24", {}),
    ("gateway", "service", "PUB", "10.90.0.20/24", {}),
    ("k8s-node-1", "k8s_node", "PUB", "10.90.0.31/24", {"node_pool": "general"}),
    ("k8s-mlps3-1", "k8s_node", "PUB", "10.90.0.32/24", {"node_pool": "mlps3", "mlps_level": 3}),
    ("ingress", "service", "INET", "10.90.1.10/24", {}),
    ("portal", "service", "INET", "10.90.1.20/24", {"systems": ["MZJ-002"]}),
    ("gaj-app", "service", "DZ-GAJ", "10.91.1.10/24", {"systems": ["GAJ-001"]}),
    ("mzj-app", "service", "DZ-MZJ", "10.91.2.10/24", {"systems": ["MZJ-001"]}),
    ("rsj-app", "service", "DZ-RSJ", "10.91.3.10/24", {"systems": ["RSJ-001"]}),
]

STAGED_SYSTEM = "RSJ-001"
"""Has not started: system_network_stage.yml opens it."""

PROGRESS: dict[str, dict[str, Any]] = {
    "GAJ-001": {"reached": "data"},
    "GAJ-002": {"reached": "network"},
    "MZJ-001": {"reached": "network"},
    "MZJ-002": {"reached": "business", "callers": ["GAJ"]},
}


def _system(code: str, department: str, **fields: Any) -> dict[str, Any]:
    return {
        "code": code,
        "name": f"{code} 测试系统",
        "department": department,
        "function": "测试用业务系统",
        "scope": "跨部门",
        "frequency": "每日",
        "construction_mode": "政府投资建设",
        "carrying_network": "电子政务外网",
        "deployment": "虚拟机",
        **fields,
    }


def _entry(code: str, provider: str, system: str, sharing: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": code,
        "name": f"{system} 数据",
        "category": "部门信息资源",
        "provider": provider,
        "system": system,
        "format": "数据库",
        "data_items": [{"name": "编号", "type": "C"}],
        "sharing": sharing,
        "update_cycle": "每日",
    }


SYSTEMS: dict[str, list[dict[str, Any]]] = {
    "GAJ": [
        _system("GAJ-001", "GAJ", ports=[{"name": "http", "port": 8080}]),
        # No host runs it: it stands for its whole zone.
        _system("GAJ-002", "GAJ", ports=[{"name": "http", "port": 8080}], depends_on=["MZJ-001"]),
    ],
    "MZJ": [
        _system("MZJ-001", "MZJ", ports=[{"name": "http", "port": 8080}], depends_on=["GAJ-001"]),
        _system(
            "MZJ-002",
            "MZJ",
            scope="面向公众",
            ports=[{"name": "web", "port": 8000}],
            depends_on=["MZJ-001"],
            cloud={"zone": "INET", "public_hostnames": ["mz.test.gov.cn"]},
        ),
    ],
    "RSJ": [
        _system("RSJ-001", "RSJ", ports=[{"name": "api", "port": 9090}], depends_on=["GAJ-001", "MZJ-001"]),
    ],
}

CATALOGUE: dict[str, list[dict[str, Any]]] = {
    "GAJ": [
        _entry("30100401/0000001", "GAJ", "GAJ-001", {"type": "无条件共享", "conditions": "无条件", "method": "接口"}),
        _entry("30100401/0000002", "GAJ", "GAJ-001", {"type": "不予共享", "legal_basis": "《测试法》第一条"}),
    ],
}


# The 电子政务内网 beside it: its own router, zones, management network and classified systems (never on the
# extranet). Its address plan shares nothing with the extranet's.
INTRANET_ROUTER = "nw"
INTRANET_MANAGEMENT_HOST = ("nw-ops", "nmgmt", "10.69.0.10/24", "10.69.0.1/24")
INTRANET_MANAGEMENT_RANGE = "10.69.0.0/24"
INTRANET_ZONES: list[dict[str, Any]] = [
    {"code": "NW-PUB", "name": "内网公用网络区", "kind": "公用网络区", "ranges": ["10.70.0.0/24"]},
    {
        "code": "NW-DZ-GAJ",
        "name": "公安局内网专用网络区",
        "kind": "专用网络区",
        "department": "GAJ",
        "ranges": ["10.71.1.0/24"],
    },
    {
        "code": "NW-DZ-MZJ",
        "name": "民政局内网专用网络区",
        "kind": "专用网络区",
        "department": "MZJ",
        "ranges": ["10.71.2.0/24"],
    },
    {
        "code": "NW-DZ-RSJ",
        "name": "人社局内网专用网络区",
        "kind": "专用网络区",
        "department": "RSJ",
        "ranges": ["10.71.3.0/24"],
    },
]
INTRANET_HOSTS: list[tuple[str, str, str, str, dict[str, Any]]] = [
    ("nw-hub", "service", "NW-PUB", "10.70.0.10/24", {"systems": ["GAJ-008"]}),
    ("gaj-secret", "service", "NW-DZ-GAJ", "10.71.1.10/24", {"systems": ["GAJ-009"]}),
    ("gaj-staff", "service", "NW-DZ-GAJ", "10.71.1.50/24", {}),
    ("mzj-secret", "service", "NW-DZ-MZJ", "10.71.2.10/24", {"systems": ["MZJ-009"]}),
    ("rsj-staff", "service", "NW-DZ-RSJ", "10.71.3.50/24", {}),
]
CLASSIFIED_SYSTEMS: dict[str, list[dict[str, Any]]] = {
    "GAJ": [
        # the intranet's shared service, in its 公用网络区
        {"code": "GAJ-008", "intranet_zone": "NW-PUB", "ports": [{"name": "docs", "port": 9443}]},
        {"code": "GAJ-009", "depends_on": ["GAJ-008"], "ports": [{"name": "case", "port": 9444}]},
    ],
    "MZJ": [{"code": "MZJ-009", "depends_on": ["GAJ-008", "GAJ-009"], "ports": [{"name": "case", "port": 9444}]}],
}
INTRANET_PROGRESS: dict[str, dict[str, Any]] = {
    code: {"reached": "network"} for code in ("GAJ-008", "GAJ-009", "MZJ-009")
}


def _classified(department: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    return _system(
        fields["code"],
        department,
        carrying_network="业务专网",
        classified=True,
        **{k: v for k, v in fields.items() if k != "code"},
    )


def write_census(root: Path, *, intranet: bool = False) -> None:
    """The test census as inventory files (validated by the real loader); ``intranet`` adds the 电子政务内网."""
    (root / "departments").mkdir(parents=True)

    def dump(path: Path, data: Any) -> None:
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    dump(root / "city.yaml", {"name": "测试市", "division_code": "330100", "census_date": "2026-06-30"})
    dump(
        root / "network.yaml",
        {
            "zones": ZONES,
            "platform": {
                "exchange": {
                    "name": "数据共享交换平台",
                    "zone": "PUB",
                    "address": "10.90.0.10",
                    "ports": [{"name": "https", "port": 443}],
                },
                "gateway": {
                    "name": "业务协同网关",
                    "zone": "PUB",
                    "address": "10.90.0.20",
                    "ports": [{"name": "https", "port": 443}],
                },
                "ingress": {
                    "name": "互联网接入区入口",
                    "zone": "INET",
                    "address": "10.90.1.10",
                    "ports": [{"name": "http", "port": 80}, {"name": "https", "port": 443}],
                },
            },
            "management": {"ranges": [MANAGEMENT_RANGE]},
            **(
                {"intranet": {"zones": INTRANET_ZONES, "management": {"ranges": [INTRANET_MANAGEMENT_RANGE]}}}
                if intranet
                else {}
            ),
        },
    )
    router_addresses = [
        {"zone": z["code"], "address": str(_router_address(z)), "interface": f"br{i}"} for i, z in enumerate(ZONES)
    ]
    hosts = [{"name": ROUTER, "role": "zone_router", "zone": "PUB", "addresses": router_addresses}]
    listed = [*HOSTS]
    if intranet:
        intranet_addresses = [
            {"zone": z["code"], "address": str(_router_address(z)), "interface": f"br{i}"}
            for i, z in enumerate(INTRANET_ZONES)
        ]
        hosts.append(
            {"name": INTRANET_ROUTER, "role": "zone_router", "zone": "NW-PUB", "addresses": intranet_addresses}
        )
        listed += INTRANET_HOSTS
    for name, role, zone, address, extra in listed:
        hosts.append(
            {"name": name, "role": role, "zone": zone, "addresses": [{"zone": zone, "address": address}], **extra}
        )
    dump(root / "hosts.yaml", {"hosts": hosts})
    for code, (name, uscc) in DEPARTMENTS.items():
        classified = [_classified(code, f) for f in CLASSIFIED_SYSTEMS.get(code, [])] if intranet else []
        dump(
            root / "departments" / f"{code}.yaml",
            {
                "department": {"code": code, "name": name, "uscc": uscc},
                "systems": [*SYSTEMS.get(code, []), *classified],
                "catalogue": CATALOGUE.get(code, []),
            },
        )


def write_plans(root: Path, progress: Mapping[str, Mapping[str, Any]]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    order = ["network", "data", "business"]
    for code, state in progress.items():
        reached = order.index(state["reached"])
        plan_stages = []
        for index, stage in enumerate(order):
            entry: dict[str, Any] = {
                "stage": stage,
                "status": "done" if index < reached else ("in_progress" if index == reached else "pending"),
            }
            if stage == "business" and state.get("callers"):
                entry["callers"] = list(state["callers"])
            plan_stages.append(entry)
        (root / f"{code}.yaml").write_text(yaml.safe_dump({"system": code, "stages": plan_stages}), encoding="utf-8")


def _router_address(zone: Mapping[str, Any]) -> ipaddress.IPv4Interface:
    network = ipaddress.IPv4Network(zone["ranges"][0])
    return ipaddress.IPv4Interface(f"{network.network_address + 1}/{network.prefixlen}")


def lab_spec(prefix: str) -> LabSpec:
    """The lab matching the census: the router's zone addresses become its bridges, in order (br0, br1, ...)."""
    segments = [LabSegment(z["code"].lower(), str(_router_address(z))) for z in ZONES]
    hosts = [LabHost(name, zone.lower(), address) for name, _role, zone, address, _extra in HOSTS]
    for name, segment, address, router in (INTERNET_HOST, MANAGEMENT_HOST):
        segments.append(LabSegment(segment, router))
        hosts.append(LabHost(name, segment, address))
    return LabSpec(prefix=prefix, router_name=ROUTER, segments=tuple(segments), hosts=tuple(hosts))


def intranet_lab_spec(prefix: str) -> LabSpec:
    """The intranet's lab: its router's zone addresses become its bridges, its own management segment."""
    segments = [LabSegment(z["code"].lower(), str(_router_address(z))) for z in INTRANET_ZONES]
    hosts = [LabHost(name, zone.lower(), address) for name, _role, zone, address, _extra in INTRANET_HOSTS]
    name, segment, address, router = INTRANET_MANAGEMENT_HOST
    segments.append(LabSegment(segment, router))
    hosts.append(LabHost(name, segment, address))
    return LabSpec(prefix=prefix, router_name=INTRANET_ROUTER, segments=tuple(segments), hosts=tuple(hosts))


@pytest.fixture
def census_with_intranet(tmp_path: Path) -> tuple[Path, Path]:
    inventory_dir, plans_dir = tmp_path / "inventory", tmp_path / "migrations_plan"
    write_census(inventory_dir, intranet=True)
    write_plans(plans_dir, {**PROGRESS, **INTRANET_PROGRESS})
    return inventory_dir, plans_dir


@pytest.fixture
def census(tmp_path: Path) -> tuple[Path, Path]:
    inventory_dir, plans_dir = tmp_path / "inventory", tmp_path / "migrations_plan"
    write_census(inventory_dir)
    write_plans(plans_dir, PROGRESS)
    return inventory_dir, plans_dir


# ---------------------------------------------------------------------------------------------------------
# Pure: the firewall model and the inventory


def _load(inventory_dir: Path, plans_dir: Path) -> tuple[model.Inventory, dict[str, stages.Progress]]:
    inventory = inventory_files.load_inventory(inventory_dir).inventory
    return inventory, plan_progress.load_progress(plans_dir, inventory=inventory)


def test_firewall_groups_the_baseline_into_one_rule_per_service(census: tuple[Path, Path]) -> None:
    inventory, progress = _load(*census)
    matrix = flows.compute_flow_matrix(inventory, progress)
    fw = firewall.build_firewalls(inventory, matrix)[ROUTER]
    statements = [r.statement for r in fw.baseline]
    assert statements == [
        "ip saddr @dedicated_zones ip daddr @platform_gateway tcp dport 443 accept comment "
        '"every department reaches the business collaboration gateway"',
        "ip saddr @dedicated_zones ip daddr @platform_exchange tcp dport 443 accept comment "
        '"every department reaches the data-sharing exchange"',
        "ip saddr != @extranet ip daddr @platform_ingress tcp dport { 80, 443 } accept comment "
        '"the Internet reaches only the Internet access zone\'s ingress"',
    ]
    assert fw.management[0].startswith("ip saddr @management ip daddr @all_zones tcp dport 22 accept")
    assert fw.management[-1].startswith("tcp dport 22 drop")
    sets = {s.name: s.elements for s in fw.sets}
    assert sets["dedicated_zones"] == ("10.91.1.0/24", "10.91.2.0/23")  # adjacent ranges merged
    assert sets["extranet"] == ("10.89.0.0/24", "10.90.0.0/23", "10.91.1.0/24", "10.91.2.0/23")
    assert [i.interface for i in fw.interfaces] == ["br2", "br3", "br4", "br1", "br0"]  # sorted by zone code
    assert fw.refused == ()


def test_each_stage_flow_belongs_to_one_system_chain(census: tuple[Path, Path]) -> None:
    inventory, progress = _load(*census)
    matrix = flows.compute_flow_matrix(inventory, progress)
    fw = firewall.build_firewalls(inventory, matrix)[ROUTER]
    assert [c.system for c in fw.systems] == ["GAJ-001", "GAJ-002", "MZJ-001", "MZJ-002"]
    rendered = sorted((r.sources, r.destinations, r.ports) for c in fw.systems for r in c.rules)
    expected = sorted(
        ((f.source.id,), (f.destination.id,), (f.port,)) for f in matrix.flows if firewall.owner_of(f) is not None
    )
    assert rendered == expected  # nothing twice, nothing lost
    mzj_002 = next(c for c in fw.systems if c.system == "MZJ-002")
    assert mzj_002.file == "mzj-002.nft"
    assert all(s.name.startswith("system_mzj_002__") for s in mzj_002.sets)


def test_stage_of_an_unstarted_system_opens_only_its_own_flows(census: tuple[Path, Path]) -> None:
    inventory, progress = _load(*census)
    before = flows.compute_flow_matrix(inventory, progress)
    after = flows.compute_flow_matrix(inventory, firewall.with_network_stage(progress, STAGED_SYSTEM))
    added = set(after.flows) - set(before.flows)
    assert added
    assert added <= set(after.opened_by(STAGED_SYSTEM))
    assert set(before.flows) <= set(after.flows)
    chains = firewall.stage_chains(inventory, after, STAGED_SYSTEM)
    assert list(chains) == [ROUTER]
    assert {r.comment for r in chains[ROUTER].rules} == {
        "RSJ-001 declares that it calls GAJ-001",
        "RSJ-001 declares that it calls MZJ-001",
        "department RSJ uses its own system",
    }


def test_business_flows_never_open_management_ports(census: tuple[Path, Path]) -> None:
    inventory_dir, plans_dir = census
    valid, progress = _load(inventory_dir, plans_dir)
    path = inventory_dir / "departments" / "RSJ.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["systems"][0]["ports"].append({"name": "ssh", "port": 22})
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    # the census check refuses a business port on a management port ...
    with pytest.raises(InputError) as refused:
        _load(inventory_dir, plans_dir)
    assert any("is a management port" in p.message for p in refused.value.problems)
    # ... and the firewall refuses it again should such an inventory reach it anyway (defence in depth)
    rsj = valid.systems_of_department["RSJ"][0]
    widened = rsj.model_copy(update={"ports": (*rsj.ports, model.ServicePort(name="ssh", port=22))})
    inventory = valid.model_copy(update={"systems": tuple(widened if s.code == rsj.code else s for s in valid.systems)})
    matrix = flows.compute_flow_matrix(inventory, firewall.with_network_stage(progress, STAGED_SYSTEM))
    fw = firewall.build_firewalls(inventory, matrix)[ROUTER]
    assert any("uses a management port" in r for r in fw.refused)
    assert all(22 not in r.ports for c in fw.systems for r in c.rules)
    resolver = firewall.Resolver(inventory, locations=matrix.locations)
    assert not firewall.flow_reaches(matrix, resolver, source="10.91.3.99", destination="10.91.3.10", port=22)
    assert firewall.flow_reaches(matrix, resolver, source="10.89.0.10", destination="10.91.3.10", port=22)


def test_comments_are_safe_for_nftables() -> None:
    text = firewall.comment_text('published to the public as "a", ' + "很长的主机名" * 20)
    assert '"' not in text
    assert len(text.encode()) <= firewall.COMMENT_MAX_BYTES
    assert text.endswith("...")


def test_inventory_groups_hosts_once_with_census_variables(census: tuple[Path, Path]) -> None:
    data = app_network.ansible_inventory(*census)
    assert data.groups["role_zone_router"] == (ROUTER,)
    assert data.groups["zone_dz_mzj"] == (ROUTER, "mzj-app")
    assert data.groups["pool_mlps3"] == ("k8s-mlps3-1",)
    assert data.groups["mlps_3"] == ("k8s-mlps3-1",)
    assert set(data.hostvars) == {ROUTER, *(h[0] for h in HOSTS)}
    portal = data.hostvars["portal"]
    assert portal["ansible_host"] == "10.90.1.20"
    assert portal["govcloud_systems"] == ["MZJ-002"]
    assert "govcloud_firewall" not in portal
    assert data.hostvars[ROUTER]["govcloud_firewall"]["table"] == "govcloud"
    json.dumps(data.to_dict())  # plain data


def test_stage_vars_refuse_an_unknown_system_clearly(census: tuple[Path, Path]) -> None:
    from govcloud.errors import InputError

    with pytest.raises(InputError) as raised:
        app_network.stage_vars(*census, "RSJ-404")
    assert "unknown system 'RSJ-404'; systems of that department: RSJ-001" in raised.value.render()


def test_ansible_inventory_graph_from_the_repository_root(census: tuple[Path, Path], tmp_path: Path) -> None:
    config = tmp_path / "inv" / "govcloud.yml"
    config.parent.mkdir()
    config.write_text(network_runs.plugin_config(*census))
    env = {**os.environ, "ANSIBLE_CONFIG": str(PLAYBOOKS / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    graph = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(config), "--graph"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert "@role_zone_router:" in graph
    assert "@zone_dz_gaj:" in graph
    assert graph.count("|--gaj-app") == 3  # zone_dz_gaj, role_service and network_extranet
    # The bundled census works with the committed configuration too.
    bundled = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-inventory"), "-i", "playbooks/inventory/govcloud.yml", "--graph"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert "@role_zone_router:" in bundled


def test_inventory_revision_is_a_content_hash_outside_git(census: tuple[Path, Path]) -> None:
    inventory_dir, _ = census
    first = network_runs.inventory_revision(inventory_dir)
    assert first.startswith("sha256:")
    assert network_runs.inventory_revision(inventory_dir) == first
    (inventory_dir / "city.yaml").write_text((inventory_dir / "city.yaml").read_text() + "# changed\n")
    assert network_runs.inventory_revision(inventory_dir) != first


def test_cli_refuses_an_unknown_system_without_a_traceback(census: tuple[Path, Path], tmp_path: Path) -> None:
    inventory_dir, plans_dir = census
    result = CliRunner().invoke(
        app,
        ["network", "check", "--system", "NOPE-1", "-i", str(inventory_dir), "--plans", str(plans_dir)],
    )
    assert result.exit_code == 1
    assert "unknown system 'NOPE-1'" in result.output
    assert "Traceback" not in result.output


def test_cli_apply_fails_clearly_when_a_host_is_unreachable(census: tuple[Path, Path], tmp_path: Path) -> None:
    # The router "runs" in a holder process that does not exist: no packet leaves, the connection fails.
    inventory_dir, plans_dir = census
    bogus = tmp_path / "bogus.json"
    bogus.write_text(
        json.dumps({"all": {"hosts": {ROUTER: {"ansible_connection": "govcloud_nsenter", "govcloud_holder_pid": 0}}}})
    )
    summary = tmp_path / "summary.json"
    result = CliRunner().invoke(
        app,
        [
            *("network", "apply", "--only", "zones", "-i", str(inventory_dir), "--plans", str(plans_dir)),
            *("--summary", str(summary), "--extra-inventory", str(bogus), "--playbooks-dir", str(PLAYBOOKS)),
        ],
    )
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "holder process 0 is not running" in result.output
    assert "network_zones.yml failed" in result.output
    data = json.loads(summary.read_text())
    assert data["ok"] is False
    assert data["hosts"][ROUTER]["unreachable"] == 1
    assert data["playbooks"] == ["network_zones.yml"]


# ---------------------------------------------------------------------------------------------------------
# The lab


def _machine_state() -> dict[str, str]:
    """What must not change on the machine itself."""
    ruleset = subprocess.run(["nft", "list", "ruleset"], capture_output=True, text=True, check=False).stdout
    state = {"hostname": socket.gethostname(), "nft": hashlib.sha256(ruleset.encode()).hexdigest()}
    for path in ("/etc/hostname", "/etc/nftables.conf", "/etc/modules-load.d/k8s.conf", "/etc/hosts"):
        file = Path(path)
        state[path] = hashlib.sha256(file.read_bytes()).hexdigest() if file.exists() else "absent"
    for directory in ("/etc/sysctl.d", "/etc/nftables.d", "/etc/containerd", "/etc/govcloud", "/etc/chrony"):
        folder = Path(directory)
        state[directory] = " ".join(sorted(p.name for p in folder.iterdir())) if folder.is_dir() else "absent"
    state["ip_forward"] = Path("/proc/sys/net/ipv4/ip_forward").read_text()
    return state


def _machine_file(path: str) -> str | None:
    """A file as the machine has it (a lab host's root starts as an overlay of the machine's)."""
    file = Path(path)
    return file.read_text() if file.exists() else None


def _sweep_stale_labs() -> None:
    """Remove the labs of earlier runs whose pytest process is gone (a crashed or killed run)."""
    for name in lab_namespaces("gcn"):
        match = re.match(r"^(gcn(\d+)[a-z]?)-", name)
        if match and not Path(f"/proc/{match.group(2)}").exists():
            cleanup_prefix(match.group(1))


@pytest.fixture
def lab() -> Iterator[Lab]:
    """A fresh lab; torn down even when the test fails (a killed run is swept by the next one, by prefix)."""
    _sweep_stale_labs()
    prefix = PREFIX + "z"
    cleanup_prefix(prefix)
    machine = _machine_state()
    built = build_lab(lab_spec(prefix))
    try:
        yield built
    finally:
        built.teardown()
        cleanup_prefix(prefix)
    assert lab_namespaces(prefix + "-") == []
    assert _machine_state() == machine


def _lab_inventory(lab: Lab, path: Path, **hostvars: Any) -> Path:
    data = lab.ansible_inventory()
    for variables in data["all"]["hosts"].values():
        variables.update(hostvars)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _run(
    playbook: str,
    census: tuple[Path, Path],
    lab_inventory: Path,
    *,
    extravars: Mapping[str, str] | None = None,
    check: bool = False,
) -> network_runs.PlaybookResult:
    inventory_dir, plans_dir = census
    result = network_runs.run_playbook(
        network_runs.PlaybookRun(
            playbook=playbook,
            inventory_dir=inventory_dir,
            plans_dir=plans_dir,
            playbooks_dir=PLAYBOOKS,
            extravars=dict(extravars or {}),
            extra_inventories=(lab_inventory,),
            check=check,
            diff=check,
        )
    )
    assert result.ok, result.failures
    return result


def _ports_in_play(inventory: model.Inventory) -> list[int]:
    ports = {p.port for s in inventory.systems for p in s.ports}
    platform = inventory.network.platform
    ports |= {p.port for service in (platform.exchange, platform.gateway, platform.ingress) for p in service.ports}
    ports |= {flows.SHARE_PORT.port, flows.RESTRICTED_PORT.port}
    ports |= {p.port for p in (inventory.network.management.ports if inventory.network.management else ())}
    return sorted(ports)


def _observe(lab: Lab, ports: list[int]) -> dict[tuple[str, str, int], bool]:
    """Every host to every other host: TCP on each port (True when it connects) and ping (port 0)."""
    probes = lab.all_pairs(ports)
    outcomes = lab.tcp_probe_many(probes, timeout=1.5)
    unexpected = {p: o for p, o in outcomes.items() if o not in (ProbeOutcome.OPEN, ProbeOutcome.TIMEOUT)}
    assert unexpected == {}  # allowed: connected; denied: silently dropped (never refused or unreachable)
    by_ip = {h.ip: h.name for h in lab.spec.hosts}
    seen = {(p.src, by_ip[p.dst_ip], p.port): o is ProbeOutcome.OPEN for p, o in outcomes.items()}
    pairs = [(src.name, dst.ip) for src in lab.spec.hosts for dst in lab.spec.hosts if src.name != dst.name]
    for (src, dst_ip), answered in lab.ping_many(pairs, timeout=1.5).items():
        seen[(src, by_ip[dst_ip], 0)] = answered
    return seen


def _expected(
    lab: Lab,
    inventory: model.Inventory,
    matrix: flows.FlowMatrix,
    ports: list[int],
    management_range: str = MANAGEMENT_RANGE,
) -> dict[Any, bool]:
    """What the flow matrix allows, resolved to the lab's addresses by the core."""
    resolver = firewall.Resolver(inventory, locations=matrix.locations)
    management = [ipaddress.IPv4Network(management_range)]
    expected: dict[tuple[str, str, int], bool] = {}
    for src in lab.spec.hosts:
        for dst in lab.spec.hosts:
            if src.name == dst.name:
                continue
            same_segment = src.segment == dst.segment  # bridged: never crosses the router
            for port in ports:
                expected[(src.name, dst.name, port)] = same_segment or firewall.flow_reaches(
                    matrix, resolver, source=src.ip, destination=dst.ip, port=port
                )
            from_management = any(ipaddress.IPv4Address(src.ip) in net for net in management)
            expected[(src.name, dst.name, 0)] = same_segment or from_management
    return expected


def _mismatches(seen: Mapping[Any, bool], expected: Mapping[Any, bool]) -> list[str]:
    return sorted(
        f"{src}->{dst}:{port or 'ping'} expected {'open' if expected[(src, dst, port)] else 'dropped'}"
        for (src, dst, port), ok in seen.items()
        if ok != expected[(src, dst, port)]
    )


@needs_lab
def test_zone_firewall_enforces_the_flow_matrix_by_packets(lab: Lab, census: tuple[Path, Path], tmp_path: Path) -> None:
    inventory, progress = _load(*census)
    ports = _ports_in_play(inventory)
    for host in lab.spec.hosts:
        lab.listen(host.name, *ports)
    lab_inventory = _lab_inventory(lab, tmp_path / "lab.json")

    # Before: no firewall, everything passes (so the matrix below can fail).
    before = _observe(lab, ports)
    assert all(before.values()), [k for k, v in before.items() if not v]

    # `govcloud network check`: check mode shows the ruleset it would write, writes the summary, changes nothing.
    summary = tmp_path / "summary.json"
    inventory_dir, plans_dir = census
    checked = CliRunner().invoke(
        app,
        [
            *("network", "check", "--only", "zones", "-i", str(inventory_dir), "--plans", str(plans_dir)),
            *("--summary", str(summary), "--extra-inventory", str(lab_inventory), "--playbooks-dir", str(PLAYBOOKS)),
        ],
    )
    assert checked.exit_code == 0, checked.output
    assert "+table inet govcloud {" in checked.output  # the diff of the ruleset it would write
    data = json.loads(summary.read_text())
    assert data["ok"] is True
    assert data["playbooks"] == ["network_zones.yml"]
    assert data["inventory_revision"].startswith("sha256:")
    assert data["hosts"][ROUTER]["changed"] > 0
    assert data["runs"][0]["check"] is True
    assert lab.read_file(ROUTER, "/etc/nftables.conf") == _machine_file("/etc/nftables.conf")
    assert all(_observe(lab, [8080]).values())

    first = _run(network_runs.NETWORK_ZONES, census, lab_inventory)
    assert first.hosts[ROUTER].changed > 0
    matrix = flows.compute_flow_matrix(inventory, progress)
    expected = _expected(lab, inventory, matrix, ports)
    assert not all(expected.values())  # the matrix denies something, or the test proves nothing
    seen = _observe(lab, ports)
    assert _mismatches(seen, expected) == []

    second = _run(network_runs.NETWORK_ZONES, census, lab_inventory)
    assert second.changed == 0, second.hosts

    # The network stage of one system opens exactly its flows.
    staged = flows.compute_flow_matrix(inventory, firewall.with_network_stage(progress, STAGED_SYSTEM))
    stage = _run(network_runs.SYSTEM_NETWORK_STAGE, census, lab_inventory, extravars={"system": STAGED_SYSTEM})
    assert stage.hosts[ROUTER].changed > 0
    after = _observe(lab, ports)
    expected_after = _expected(lab, inventory, staged, ports)
    assert _mismatches(after, expected_after) == []
    opened = {key for key in after if after[key] and not seen[key]}
    assert opened  # something opened ...
    assert not {key for key in after if seen[key] and not after[key]}  # ... nothing closed
    resolver = firewall.Resolver(inventory, locations=staged.locations)
    own = set(staged.opened_by(STAGED_SYSTEM))
    for src, dst, port in opened:  # ... and only the staged system's flows
        assert any(
            f.port == port
            and resolver.addresses(f.source).contains(lab.address(src))
            and resolver.addresses(f.destination).contains(lab.address(dst))
            for f in own
        ), (src, dst, port)
    assert lab.read_file(ROUTER, "/etc/nftables.d/govcloud/rsj-001.nft") is not None
    again = _run(network_runs.SYSTEM_NETWORK_STAGE, census, lab_inventory, extravars={"system": STAGED_SYSTEM})
    assert again.changed == 0

    # The ruleset went into the router only.
    assert "table inet govcloud" in lab.exec(ROUTER, ["nft", "list", "ruleset"], check=True).stdout
    assert "govcloud" not in lab.exec("gaj-app", ["nft", "list", "ruleset"], check=True).stdout


@needs_lab
def test_cloud_hosts_are_prepared_inside_the_hosts_only(lab: Lab, census: tuple[Path, Path], tmp_path: Path) -> None:
    # Lab hosts share the machine's kernel: modprobe there would change the machine.
    lab_inventory = _lab_inventory(lab, tmp_path / "lab.json", cloud_host_load_modules=False)
    first = _run(network_runs.CLOUD_HOSTS, census, lab_inventory)
    nodes = ["k8s-mlps3-1", "k8s-node-1"]
    assert sorted(first.hosts) == nodes
    assert all(first.hosts[n].changed > 0 for n in nodes)
    for node in nodes:
        assert lab.read_file(node, "/etc/modules-load.d/k8s.conf") is not None
        sysctl = lab.read_file(node, "/etc/sysctl.d/99-kubernetes.conf") or ""
        assert "net.ipv4.ip_forward = 1" in sysctl
        assert lab.exec(node, ["sysctl", "-n", "net.ipv4.ip_forward"], check=True).stdout.strip() == "1"
        assert "server ntp1.govcloud.internal iburst" in (lab.read_file(node, "/etc/chrony/chrony.conf") or "")
        assert "SystemdCgroup = false" in (lab.read_file(node, "/etc/containerd/config.toml") or "")
    labels = yaml.safe_load(lab.read_file("k8s-mlps3-1", "/etc/govcloud/node-labels.yaml") or "")
    # the role's keys are the very keys the rendered objects select and tolerate
    assert labels["labels"] == {
        desired.MLPS_LABEL: "3",
        desired.NODE_POOL_LABEL: "mlps3",
        desired.ZONE_LABEL: "PUB",
    }
    assert desired.NODE_POOL_LABEL == "govcloud.gov.cn/node-pool"
    # the taint the playbook records is exactly the one the rendered level-3 workloads tolerate
    assert labels["taints"] == [{"key": desired.NODE_POOL_LABEL, "value": "mlps3", "effect": "NoSchedule"}]
    general = yaml.safe_load(lab.read_file("k8s-node-1", "/etc/govcloud/node-labels.yaml") or "")
    assert general["taints"] == []
    assert lab.read_file("gaj-app", "/etc/containerd/config.toml") is None
    assert lab.exec("gaj-app", ["sysctl", "-n", "net.ipv4.ip_forward"], check=True).stdout.strip() == "0"

    second = _run(network_runs.CLOUD_HOSTS, census, lab_inventory)
    assert second.changed == 0, second.hosts


# ---------------------------------------------------------------------------------------------------------
# The intranet lab beside the extranet lab: physical isolation, by packets


def test_the_intranet_census_renders_one_router_per_network_and_no_crossing_flow(
    census_with_intranet: tuple[Path, Path],
) -> None:
    inventory, progress = _load(*census_with_intranet)
    matrix = flows.compute_flow_matrix(inventory, progress)
    assert flows.crossing_flows(matrix) == ()
    walls = firewall.build_firewalls(inventory, matrix)
    assert sorted(walls) == [ROUTER, INTRANET_ROUTER]
    assert [c.system for c in walls[INTRANET_ROUTER].systems] == ["GAJ-008", "GAJ-009", "MZJ-009"]
    assert not {"GAJ-008", "GAJ-009", "MZJ-009"} & {c.system for c in walls[ROUTER].systems}
    assert walls[INTRANET_ROUTER].refused == walls[ROUTER].refused == ()
    data = app_network.ansible_inventory(*census_with_intranet)
    assert data.groups["network_intranet"] == tuple(sorted([INTRANET_ROUTER, *(h[0] for h in INTRANET_HOSTS)]))
    assert not set(data.groups["network_intranet"]) & set(data.groups["network_extranet"])


@pytest.fixture
def labs() -> Iterator[tuple[Lab, Lab]]:
    """The extranet's lab and, beside it, the intranet's: two routers, no link between them."""
    _sweep_stale_labs()
    prefixes = (PREFIX + "x", PREFIX + "y")
    for prefix in prefixes:
        cleanup_prefix(prefix)
    machine = _machine_state()
    built: list[Lab] = []
    try:
        built.append(build_lab(lab_spec(prefixes[0])))
        built.append(build_lab(intranet_lab_spec(prefixes[1])))
        yield built[0], built[1]
    finally:
        for lab in built:
            lab.teardown()
        for prefix in prefixes:
            cleanup_prefix(prefix)
    assert all(lab_namespaces(prefix + "-") == [] for prefix in prefixes)
    assert _machine_state() == machine


def _crossing_probes(src_lab: Lab, dst_lab: Lab, ports: list[int]) -> tuple[list[str], list[str]]:
    """Every host of ``src_lab`` to every host (and the router's addresses) of ``dst_lab``: what got through."""
    targets = [h.ip for h in dst_lab.spec.hosts] + [str(s.interface.ip) for s in dst_lab.spec.segments]
    probes = [TcpProbe(src.name, ip, port) for src in src_lab.spec.hosts for ip in targets for port in ports]
    outcomes = src_lab.tcp_probe_many(probes, timeout=1.5)
    opened = sorted(f"{p.src}->{p.dst_ip}:{p.port}" for p, o in outcomes.items() if o is ProbeOutcome.OPEN)
    pings = src_lab.ping_many([(src.name, ip) for src in src_lab.spec.hosts for ip in targets], timeout=1.5)
    answered = sorted(f"{src}->{ip}:ping" for (src, ip), ok in pings.items() if ok)
    assert len(outcomes) == len(probes)  # every probe ran
    return opened, answered


@needs_lab
def test_intranet_hosts_reach_each_other_as_declared_and_nothing_crosses_the_networks(
    labs: tuple[Lab, Lab], census_with_intranet: tuple[Path, Path], tmp_path: Path
) -> None:
    extranet_lab, intranet_lab = labs
    inventory, progress = _load(*census_with_intranet)
    ports = _ports_in_play(inventory)
    ports = sorted({*ports, *(p.port for s in inventory.systems for p in s.ports)})
    for lab in labs:
        for host in lab.spec.hosts:
            lab.listen(host.name, *ports)
        # both routers answer on the management port too, so a crossing probe to a router could connect
        lab.listen(lab.spec.router_name, *ports)
    lab_inventory = tmp_path / "labs.json"
    lab_inventory.write_text(json.dumps(combined_ansible_inventory(labs)), encoding="utf-8")

    # Before any firewall: inside each lab everything passes (so the matrix below can fail) ...
    assert all(_observe(intranet_lab, ports).values())
    # ... and between the labs nothing does: there is no link, and that is the point.
    assert _crossing_probes(intranet_lab, extranet_lab, ports) == ([], [])

    # One run of network_zones.yml builds both networks' routers from the same zone_router role.
    first = _run(network_runs.NETWORK_ZONES, census_with_intranet, lab_inventory)
    assert first.hosts[ROUTER].changed > 0
    assert first.hosts[INTRANET_ROUTER].changed > 0
    intranet_rules = lab_exec_ruleset(intranet_lab, INTRANET_ROUTER)
    assert "table inet govcloud" in intranet_rules
    for zone in ZONES:  # no extranet address is in the intranet's ruleset
        assert zone["ranges"][0] not in intranet_rules
    extranet_rules = lab_exec_ruleset(extranet_lab, ROUTER)
    for zone in INTRANET_ZONES:
        assert zone["ranges"][0] not in extranet_rules

    # Inside the intranet: exactly the flows of its matrix, resolved to addresses by the core.
    matrix = flows.compute_flow_matrix(inventory, progress)
    expected = _expected(intranet_lab, inventory, matrix, ports, INTRANET_MANAGEMENT_RANGE)
    assert any(expected.values())
    assert not all(expected.values())
    seen = _observe(intranet_lab, ports)
    assert _mismatches(seen, expected) == []
    assert seen[("mzj-secret", "gaj-secret", 9444)]  # MZJ-009 declares that it calls GAJ-009
    assert seen[("gaj-secret", "nw-hub", 9443)]  # GAJ-009 calls the intranet's shared service
    assert not seen[("rsj-staff", "gaj-secret", 9444)]  # another department's intranet zone: no
    assert not seen[("gaj-secret", "mzj-secret", 9444)]  # not declared that way round

    # The extranet still enforces its own matrix with the intranet declared beside it.
    extranet_seen = _observe(extranet_lab, ports)
    assert _mismatches(extranet_seen, _expected(extranet_lab, inventory, matrix, ports)) == []

    # Between the networks: no packet, either way, on any port in play, nor ping.
    assert _crossing_probes(intranet_lab, extranet_lab, ports) == ([], [])
    assert _crossing_probes(extranet_lab, intranet_lab, ports) == ([], [])

    # A classified system's own network stage goes to the intranet router only.
    stage = _run(
        network_runs.SYSTEM_NETWORK_STAGE, census_with_intranet, lab_inventory, extravars={"system": "GAJ-009"}
    )
    assert stage.hosts[INTRANET_ROUTER].changed == 0  # already open: network_zones.yml wrote its chain
    assert ROUTER not in stage.hosts or stage.hosts[ROUTER].changed == 0
    assert intranet_lab.read_file(INTRANET_ROUTER, "/etc/nftables.d/govcloud/gaj-009.nft") is not None
    assert extranet_lab.read_file(ROUTER, "/etc/nftables.d/govcloud/gaj-009.nft") is None

    second = _run(network_runs.NETWORK_ZONES, census_with_intranet, lab_inventory)
    assert second.changed == 0, second.hosts


def lab_exec_ruleset(lab: Lab, node: str) -> str:
    return lab.exec(node, ["nft", "list", "ruleset"], check=True).stdout
