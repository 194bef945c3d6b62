"""Real test hosts as network namespaces: reachability, isolation by packets, real playbooks.

Needs root and the system packages nftables, iproute2, iputils-ping, netcat-openbsd, util-linux.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

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
    lab_namespaces,
)

REPO = Path(__file__).resolve().parents[1]
PREFIX = f"gct{os.getpid()}"

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="lab hosts need root (network/mount/UTS namespaces)"),
    pytest.mark.skipif(
        shutil.which("nft") is None or shutil.which("ip") is None,
        reason="nft or ip missing: apt-get install -y nftables iproute2",
    ),
]

DROP_FORWARD = """
table inet govcloud_test {
  chain forward {
    type filter hook forward priority filter; policy drop;
  }
}
"""


def _spec(prefix: str) -> LabSpec:
    return LabSpec(
        prefix=prefix,
        router_name="fw",
        segments=(LabSegment("dmz", "10.77.1.1/24"), LabSegment("app", "10.77.2.1/24")),
        hosts=(
            LabHost("web1", "dmz", "10.77.1.10/24"),
            LabHost("web2", "dmz", "10.77.1.11/24"),
            LabHost("app1", "app", "10.77.2.10/24"),
        ),
    )


def _machine_ruleset() -> str:
    return subprocess.run(["nft", "list", "ruleset"], capture_output=True, text=True, check=True).stdout


def _sweep_stale_labs() -> None:
    """Remove labs of earlier test runs whose pytest process is gone (crashed runs)."""
    for name in lab_namespaces("gct"):
        match = re.match(r"^(gct(\d+)[a-z]?)-", name)
        if match and not Path(f"/proc/{match.group(2)}").exists():
            cleanup_prefix(match.group(1))


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    _sweep_stale_labs()
    cleanup_prefix(PREFIX)
    built = build_lab(_spec(PREFIX))
    try:
        for host in built.spec.hosts:
            built.listen(host.name, 8080)
        yield built
    finally:
        built.teardown()
        assert lab_namespaces(PREFIX + "-") == []


def test_hosts_reach_each_other_through_the_router(lab: Lab) -> None:
    web1, web2, app1 = (lab.address(h) for h in ("web1", "web2", "app1"))
    assert lab.ping("web1", app1)  # across segments, routed by fw
    assert lab.ping("app1", web2)
    assert lab.ping("web1", web2)  # same segment, bridged
    assert lab.tcp_probe("web1", app1, 8080)
    assert lab.tcp_probe("app1", web1, 8080)
    outcomes = lab.tcp_probe_many(lab.all_pairs([8080, 9]))
    assert {p: o for p, o in outcomes.items() if p.port == 8080} == {
        p: ProbeOutcome.OPEN for p in outcomes if p.port == 8080
    }
    # No listener on port 9: refused, not open (the probe tells the two apart).
    assert all(o is ProbeOutcome.REFUSED for p, o in outcomes.items() if p.port == 9)


def test_forward_drop_in_router_blocks_the_same_probe(lab: Lab) -> None:
    machine_before = _machine_ruleset()
    app1, web2 = lab.address("app1"), lab.address("web2")
    assert lab.tcp_probe("web1", app1, 8080)
    lab.load_nft("fw", DROP_FORWARD)
    try:
        assert "govcloud_test" in lab.exec("fw", ["nft", "list", "ruleset"], check=True).stdout
        probe = TcpProbe("web1", app1, 8080)
        assert lab.tcp_probe_many([probe], timeout=1.0)[probe] is ProbeOutcome.TIMEOUT
        assert not lab.tcp_probe("app1", lab.address("web1"), 8080)
        assert not lab.ping("web1", app1)
        # Same segment does not cross the router's forward chain (bridge-nf-call-* = 0).
        assert lab.tcp_probe("web1", web2, 8080)
        assert _machine_ruleset() == machine_before
        assert "govcloud_test" not in lab.exec("web1", ["nft", "list", "ruleset"], check=True).stdout
    finally:
        lab.exec("fw", ["nft", "delete", "table", "inet", "govcloud_test"], check=True)
    assert lab.tcp_probe("web1", app1, 8080)


def test_host_hostname_and_files_do_not_touch_the_machine(lab: Lab) -> None:
    machine_hostname = socket.gethostname()
    machine_ruleset = _machine_ruleset()
    marker = f"/etc/govcloud-isolation-{PREFIX}"
    assert lab.exec("web1", ["hostname"], check=True).stdout.strip() == "web1"
    assert lab.exec("fw", ["hostname"], check=True).stdout.strip() == "fw"
    assert "127.0.1.1\tweb1" in (lab.read_file("web1", "/etc/hosts") or "")
    lab.exec(
        "web1",
        ["sh", "-c", f"echo inside > {marker} && hostname renamed-web1"],
        check=True,
    )
    lab.exec("web1", ["sh", "-c", "echo 'flush ruleset' > /etc/nftables.conf"], check=True)
    lab.exec("web1", ["sh", "-c", "echo x > /usr/local/govcloud-isolation"], check=True)
    try:
        lab.load_nft(
            "web1",
            "table ip only_web1 {\n chain c { type filter hook input priority 0; }\n}\n",
        )
        assert lab.read_file("web1", marker) == "inside\n"
        assert lab.exec("web1", ["hostname"], check=True).stdout.strip() == "renamed-web1"
        assert lab.read_file("web2", marker) is None
        assert not Path(marker).exists()
        assert not Path("/usr/local/govcloud-isolation").exists()
        assert socket.gethostname() == machine_hostname
        assert _machine_ruleset() == machine_ruleset
    finally:
        lab.exec("web1", ["hostname", "web1"], check=True)
        lab.exec("web1", ["nft", "delete", "table", "ip", "only_web1"])


def test_teardown_leaves_nothing_and_is_idempotent(tmp_path: Path) -> None:
    prefix = PREFIX + "t"
    root = tmp_path / "mounts"
    spec = LabSpec(
        prefix,
        "r",
        (LabSegment("s", "10.78.0.1/24"),),
        (LabHost("h", "s", "10.78.0.2/24"),),
    )
    cleanup_prefix(prefix, root)
    lab = build_lab(spec, root=root)
    pids = dict(lab.holder_pids)
    try:
        assert set(lab_namespaces(prefix + "-")) == {f"{prefix}-r", f"{prefix}-h"}
        lab.listen("h", 8080)
        assert lab.tcp_probe("r", "10.78.0.2", 8080)
    finally:
        lab.teardown()
    lab.teardown()
    assert lab_namespaces(prefix + "-") == []
    assert not root.exists()
    assert all(not Path(f"/proc/{pid}").exists() for pid in pids.values())


def test_cleanup_prefix_removes_a_crashed_lab(tmp_path: Path) -> None:
    prefix = PREFIX + "c"
    root = tmp_path / "mounts"
    spec = LabSpec(
        prefix,
        "r",
        (LabSegment("s", "10.79.0.1/24"),),
        (LabHost("h", "s", "10.79.0.2/24"),),
    )
    lab = build_lab(spec, root=root)
    try:
        # Simulate a crash: forget the lab object, only the prefix is known.
        removed = cleanup_prefix(prefix, root)
        assert sorted(removed) == [f"{prefix}-h", f"{prefix}-r"]
        assert lab_namespaces(prefix + "-") == []
        assert not root.exists()
    finally:
        lab.teardown()


PLAYBOOK = textwrap.dedent(
    """\
    - name: Configure lab hosts
      hosts: lab_hosts
      gather_facts: true
      tasks:
        - name: Hostname seen by facts is the host's own
          ansible.builtin.assert:
            that:
              - ansible_facts['hostname'] == inventory_hostname
        - name: Write a file into /etc
          ansible.builtin.copy:
            dest: /etc/govcloud-test
            content: "managed for {{ inventory_hostname }}\\n"
            mode: "0644"
        - name: Read the hostname
          ansible.builtin.command: hostname
          register: hostname_out
          changed_when: false
        - name: Hostname is the host's own
          ansible.builtin.assert:
            that:
              - hostname_out.stdout == inventory_hostname
        - name: Raw commands run inside the host too
          ansible.builtin.raw: cat /etc/govcloud-test
          register: raw_out
          changed_when: false
          failed_when: (raw_out.stdout | trim) != "managed for " ~ inventory_hostname
        - name: Fetch the file back to the controller
          ansible.builtin.fetch:
            src: /etc/govcloud-test
            dest: "{{ fetch_dir }}"
    """
)


def _run_playbook(lab: Lab, workdir: Path, fetch_dir: Path) -> object:
    import ansible_runner

    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "project").mkdir(exist_ok=True)
    (workdir / "project" / "site.yml").write_text(PLAYBOOK)
    return ansible_runner.run(
        private_data_dir=str(workdir),
        playbook="site.yml",
        inventory=lab.ansible_inventory(),
        extravars={"fetch_dir": str(fetch_dir) + "/"},
        envvars={
            # ansible-runner finds ansible-playbook in PATH: this venv's, even if not activated.
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "ANSIBLE_CONNECTION_PLUGINS": str(CONNECTION_PLUGINS),
            "ANSIBLE_PIPELINING": "True",
            "ANSIBLE_HOST_KEY_CHECKING": "False",
            "ANSIBLE_NOCOLOR": "1",
        },
        quiet=True,
        timeout=300,
    )


def test_real_playbook_runs_inside_the_hosts_only(lab: Lab, tmp_path: Path) -> None:
    assert not Path("/etc/govcloud-test").exists()
    hosts = [h.name for h in lab.spec.hosts]

    fetched = tmp_path / "fetched"
    first = _run_playbook(lab, tmp_path / "run1", fetched)
    assert first.status == "successful", first.stdout.read()  # type: ignore[attr-defined]
    stats = first.stats  # type: ignore[attr-defined]
    assert stats["failures"] == {}
    assert stats["dark"] == {}
    assert stats["changed"] == dict.fromkeys(hosts, 2)  # copy, fetch
    # gather facts, assert, copy, command, assert, raw, fetch
    assert stats["ok"] == dict.fromkeys(hosts, 7)

    for host in hosts:
        assert lab.read_file(host, "/etc/govcloud-test") == f"managed for {host}\n"
    assert lab.read_file("fw", "/etc/govcloud-test") is None
    assert not Path("/etc/govcloud-test").exists()
    for host in hosts:  # fetch_file copied it out of the host
        assert (fetched / host / "etc" / "govcloud-test").read_text() == f"managed for {host}\n"

    second = _run_playbook(lab, tmp_path / "run2", fetched)
    assert second.status == "successful"  # type: ignore[attr-defined]
    stats2 = second.stats  # type: ignore[attr-defined]
    assert stats2["changed"] == {}
    assert stats2["ok"] == dict.fromkeys(hosts, 7)
