"""Benchmark: full converge of N network-namespace test hosts with the real playbooks, then the no-change run.

For each size N (default 5, 10, 20) and each combination of strategy (``linear``, ``free``) and pipelining
(on, off), builds a fresh lab (a zone router and N Kubernetes nodes as namespaces with their own /etc),
runs ``network_zones.yml`` then ``cloud_hosts.yml`` through ansible-runner (the first, converging run),
runs them again (the second run, which must change nothing), tears the lab down and prints a table.
Needs root and the system packages of scripts/install.sh. Leaves no namespace behind (cleans by prefix,
also after a crash of an earlier run).

    .venv/bin/python benchmarks/bench_network.py [--sizes 5 10 20] [--strategies linear free] [--forks 20]
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

from govcloud.network.edges import network_runs

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the lab is test support
from support.labhosts import (
    CONNECTION_PLUGINS,
    LabHost,
    LabSegment,
    LabSpec,
    build_lab,
    cleanup_prefix,
    lab_namespaces,
)

REPO = Path(__file__).resolve().parents[1]
PLAYBOOKS = REPO / "playbooks"
PREFIX = f"gcb{os.getpid()}"
DEPARTMENTS = {
    "GAJ": ("测试市公安局", "11330100700001856D"),
    "MZJ": ("测试市民政局", "11330100700002226F"),
    "RSJ": ("测试市人力资源和社会保障局", "113301007000033334"),
}


def write_census(root: Path, nodes: int) -> None:
    """A census with a zone router, three departments and ``nodes`` Kubernetes nodes in the public zone."""
    (root / "departments").mkdir(parents=True)
    zones: list[dict[str, Any]] = [
        {"code": "PUB", "name": "公用网络区", "kind": "公用网络区", "ranges": ["10.90.0.0/24"]},
        {"code": "INET", "name": "互联网接入区", "kind": "互联网接入区", "ranges": ["10.90.1.0/24"]},
    ]
    for i, code in enumerate(DEPARTMENTS):
        zones.append(
            {"code": f"DZ-{code}", "name": f"{code}专用网络区", "kind": "专用网络区", "department": code,
             "ranges": [f"10.91.{i + 1}.0/24"]}
        )  # fmt: skip
    platform = {
        "exchange": {"name": "交换", "zone": "PUB", "address": "10.90.0.10", "ports": [{"name": "https", "port": 443}]},
        "gateway": {"name": "网关", "zone": "PUB", "address": "10.90.0.20", "ports": [{"name": "https", "port": 443}]},
        "ingress": {"name": "入口", "zone": "INET", "address": "10.90.1.10", "ports": [{"name": "https", "port": 443}]},
    }
    network = {"zones": zones, "platform": platform, "management": {"ranges": ["10.89.0.0/24"]}}
    router = [
        {"zone": z["code"], "address": _first(z["ranges"][0]), "interface": f"br{i}"} for i, z in enumerate(zones)
    ]
    hosts: list[dict[str, Any]] = [{"name": "fw", "role": "zone_router", "zone": "PUB", "addresses": router}]
    for n in range(nodes):
        mlps = n % 3 == 2
        hosts.append(
            {
                "name": f"node-{n + 1:02d}",
                "role": "k8s_node",
                "zone": "PUB",
                "addresses": [{"zone": "PUB", "address": f"10.90.0.{100 + n}/24"}],
                "node_pool": "mlps3" if mlps else "general",
                **({"mlps_level": 3} if mlps else {}),
            }
        )
    _dump(root / "city.yaml", {"name": "测试市", "division_code": "330100", "census_date": "2026-06-30"})
    _dump(root / "network.yaml", network)
    _dump(root / "hosts.yaml", {"hosts": hosts})
    for code, (name, uscc) in DEPARTMENTS.items():
        system = {
            "code": f"{code}-001", "name": f"{code} 系统", "department": code, "function": "测试",
            "scope": "跨部门", "frequency": "每日", "construction_mode": "政府投资建设",
            "carrying_network": "电子政务外网", "deployment": "虚拟机", "ports": [{"name": "http", "port": 8080}],
        }  # fmt: skip
        _dump(root / "departments" / f"{code}.yaml", {"department": {"code": code, "name": name, "uscc": uscc},
                                                      "systems": [system]})  # fmt: skip


def write_plans(root: Path) -> None:
    root.mkdir(parents=True)
    for code in DEPARTMENTS:
        _dump(root / f"{code}-001.yaml", {"system": f"{code}-001", "stages": [{"stage": "network", "status": "done"}]})


def lab_spec(prefix: str, nodes: int) -> LabSpec:
    ranges = ["10.90.0.0/24", "10.90.1.0/24", *(f"10.91.{i + 1}.0/24" for i in range(len(DEPARTMENTS)))]
    segments = tuple(LabSegment(f"s{i}", _first(r)) for i, r in enumerate(ranges))
    hosts = tuple(LabHost(f"node-{n + 1:02d}", "s0", f"10.90.0.{100 + n}/24") for n in range(nodes))
    return LabSpec(prefix=prefix, router_name="fw", segments=segments, hosts=hosts)


def _first(cidr: str) -> str:
    net = ipaddress.IPv4Network(cidr)
    return f"{net.network_address + 1}/{net.prefixlen}"


def _dump(path: Path, data: Any) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _lab_inventory(lab: Any, path: Path) -> Path:
    data = lab.ansible_inventory()
    for variables in data["all"]["hosts"].values():
        variables["cloud_host_load_modules"] = False  # the lab shares the machine's kernel
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def converge(
    work: Path, lab_inventory: Path, census: tuple[Path, Path], envvars: dict[str, str]
) -> tuple[float, int, bool]:
    """Both playbooks once: seconds, changed tasks, success."""
    seconds, changed, ok = 0.0, 0, True
    for playbook in (network_runs.NETWORK_ZONES, network_runs.CLOUD_HOSTS):
        result = network_runs.run_playbook(
            network_runs.PlaybookRun(
                playbook=playbook,
                inventory_dir=census[0],
                plans_dir=census[1],
                playbooks_dir=PLAYBOOKS,
                extra_inventories=(lab_inventory,),
                envvars=envvars,
            )
        )
        seconds += result.duration_s
        changed += result.changed
        ok = ok and result.ok
        if not result.ok:
            print(f"{playbook} failed in {work}: {result.failures}", file=sys.stderr)
    return seconds, changed, ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 10, 20])
    parser.add_argument("--strategies", nargs="+", default=["linear", "free"], choices=["linear", "free"])
    parser.add_argument("--pipelining", nargs="+", default=["on", "off"], choices=["on", "off"])
    parser.add_argument("--forks", type=int, default=20)
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("needs root: the test hosts are network, mount and UTS namespaces")
    for name in lab_namespaces("gcb"):  # labs of earlier runs that crashed
        match = re.match(r"^(gcb(\d+)n[a-z0-9]*)-", name)
        if match and not Path(f"/proc/{match.group(2)}").exists():
            cleanup_prefix(match.group(1))

    console = Console()
    table = Table(title=f"converge of N test hosts + 1 zone router (forks {args.forks}, {os.cpu_count()} CPUs)")
    for column in ("N", "strategy", "pipelining", "lab build s", "first run s", "changed", "second run s", "changed"):
        table.add_column(column, justify="right")
    for size in args.sizes:
        for strategy in args.strategies:
            for pipelining in args.pipelining:
                envvars = {
                    "ANSIBLE_STRATEGY": strategy,
                    "ANSIBLE_PIPELINING": "True" if pipelining == "on" else "False",
                    "ANSIBLE_FORKS": str(args.forks),
                    "ANSIBLE_CONNECTION_PLUGINS": str(CONNECTION_PLUGINS),
                }
                prefix = f"{PREFIX}n{size}{strategy[0]}{pipelining[1]}"
                cleanup_prefix(prefix)
                with tempfile.TemporaryDirectory(prefix="govcloud-bench-") as tmp:
                    work = Path(tmp)
                    census = (work / "inventory", work / "plans")
                    write_census(census[0], size)
                    write_plans(census[1])
                    started = time.monotonic()
                    lab = build_lab(lab_spec(prefix, size))
                    built = time.monotonic() - started
                    try:
                        lab_inventory = _lab_inventory(lab, work / "lab.yml")
                        first, first_changed, ok1 = converge(work, lab_inventory, census, envvars)
                        second, second_changed, ok2 = converge(work, lab_inventory, census, envvars)
                    finally:
                        lab.teardown()
                        cleanup_prefix(prefix)
                mark = "" if ok1 and ok2 else " FAILED"
                table.add_row(
                    str(size),
                    strategy,
                    pipelining,
                    f"{built:.1f}",
                    f"{first:.1f}{mark}",
                    str(first_changed),
                    f"{second:.1f}",
                    str(second_changed),
                )
                console.print(
                    f"N={size} {strategy} pipelining {pipelining}: first {first:.1f} s, second {second:.1f} s",
                    highlight=False,
                )
    console.print(table)
    left = lab_namespaces(PREFIX)
    if left:
        raise SystemExit(f"namespaces left behind: {left}")


if __name__ == "__main__":
    main()
