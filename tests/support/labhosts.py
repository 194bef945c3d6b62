"""Test hosts as Linux network namespaces: an edge with I/O (root, processes, mounts, packets).

A *lab* is a set of throw-away hosts on this machine that real Ansible playbooks can be run against
and that real packets can be sent between, without touching the machine itself:

* one router namespace ``<prefix>-<router>`` holding one Linux bridge per segment, with the router's
  address on each bridge, IPv4 forwarding on and ``net.bridge.bridge-nf-call-*`` off (otherwise two
  hosts on the same bridge would cross the router's forward chain);
* one namespace ``<prefix>-<host>`` per host, attached by a veth (``eth0`` inside the host) to its
  segment's bridge, with its address and a default route via the segment's router address.

Every node (the router too) has a long-lived *holder* process that owns a private mount and UTS
namespace. The holder mounts a writable overlay over the machine's whole root file system (upper
layer on a tmpfs that only the holder's mount namespace sees), fresh ``/proc``, a read-only ``/sys``
and ``/proc/sys`` (``/proc/sys/net`` stays writable: it belongs to the host's network namespace),
private tmpfs on ``/tmp``, ``/run``, ``/dev/shm`` and ``/root/.ansible/tmp``, sets the hostname and
``127.0.1.1 <name>`` in ``/etc/hosts``, then pivots its root into the overlay. Entering the holder
with ``nsenter -t PID -n -m -u`` therefore lands in the host's own root: a write to ``/etc``,
``/usr`` or anywhere else changes only that host, and it all vanishes when the holder dies.

Packets only ever travel between namespaces the lab made: the router has no uplink.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import ipaddress
import os
import random
import re
import resource
import selectors
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any, Self, cast

__all__ = [
    "DEFAULT_ROOT",
    "NSENTER_CONNECTION",
    "ExecResult",
    "Lab",
    "LabError",
    "LabHost",
    "LabSegment",
    "LabSpec",
    "MissingToolError",
    "ProbeOutcome",
    "TcpProbe",
    "build_lab",
    "cleanup_prefix",
    "combined_ansible_inventory",
    "ensure_tools",
    "lab_namespaces",
    "lab_session",
    "system_python",
]

DEFAULT_ROOT = Path("/run/govcloud-labhosts")
"""Where each node's (empty, on the machine) mount-point directory lives."""

NSENTER_CONNECTION = "govcloud_nsenter"
"""Name of the Ansible connection plugin in ``tests/support/ansible/connection_plugins`` (test support only)."""
CONNECTION_PLUGINS = Path(__file__).resolve().parent / "ansible" / "connection_plugins"
"""Where that plugin is: runs through the product's runner get it from ``ANSIBLE_CONNECTION_PLUGINS``."""
ANSIBLE_CONFIG = Path(__file__).resolve().parent / "ansible" / "ansible.cfg"
"""The tests' ansible.cfg: the production settings plus the connection plugin."""

# A clean, login-like environment for everything run inside a node: the controller's environment
# (VIRTUAL_ENV, PYTHONPATH, a venv's PATH) must not leak into the host's system python.
NODE_ENV: Mapping[str, str] = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": "/root",
    "USER": "root",
    "LOGNAME": "root",
    "SHELL": "/bin/sh",
    "LANG": "C.UTF-8",
}

_TOOLS: Mapping[str, str] = {
    "ip": "iproute2",
    "nsenter": "util-linux",
    "unshare": "util-linux",
    "pivot_root": "util-linux",
    "nft": "nftables",
    "ping": "iputils-ping",
    "nc": "netcat-openbsd",
}

_PREFIX_RE = re.compile(r"^[a-z][a-z0-9]{0,15}$")
_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$|^[a-z]$")
_CLONE_NEWNET = 0x40000000
_SBIN_PATHS = (
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
)

# Runs as: ip netns exec NS unshare --mount --uts --propagation private sh -c HOLDER_SCRIPT
#   holder MOUNTDIR HOSTNAME ROLE ADDRESS GATEWAY
# and ends as `sleep infinity` (same PID) inside the pivoted overlay root.
_HOLDER_SCRIPT = r"""set -eu
R=$1; H=$2; ROLE=$3; ADDR=$4; GW=$5
# Copies of other namespaces' /run/netns bind mounts would keep those namespaces alive.
umount -l /run/netns 2>/dev/null || true
ip link set lo up
if [ "$ROLE" = router ]; then
  echo 1 > /proc/sys/net/ipv4/ip_forward
  for f in iptables ip6tables arptables; do
    B=/proc/sys/net/bridge/bridge-nf-call-$f
    if [ -e "$B" ]; then echo 0 > "$B"; fi
  done
else
  ip addr add "$ADDR" dev eth0
  ip link set eth0 up
  ip route add default via "$GW" dev eth0
fi
mount -t tmpfs -o mode=0700 govcloud-lab "$R"
mkdir "$R/upper" "$R/work" "$R/root"
mount -t overlay govcloud-root -o "lowerdir=/,upperdir=$R/upper,workdir=$R/work" "$R/root"
N=$R/root
mount -t proc proc "$N/proc"
mount --bind "$N/proc/sys" "$N/proc/sys"
mount -o remount,bind,ro "$N/proc/sys"
mount --bind /proc/sys/net "$N/proc/sys/net"
mount -t sysfs -o ro sysfs "$N/sys"
mount --rbind /dev "$N/dev"
mount -t tmpfs -o mode=1777 govcloud-shm "$N/dev/shm"
mount -t tmpfs -o mode=1777 govcloud-tmp "$N/tmp"
mount -t tmpfs -o mode=0755 govcloud-run "$N/run"
mkdir -p "$N/run/lock" "$N/run/govcloud-oldroot" "$N/root/.ansible/tmp"
mount -t tmpfs -o mode=0700 govcloud-ansible-tmp "$N/root/.ansible/tmp"
echo "$H" > /proc/sys/kernel/hostname
echo "$H" > "$N/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n' "$H" > "$N/etc/hosts"
printf '::1\tlocalhost ip6-localhost ip6-loopback\n' >> "$N/etc/hosts"
cd "$N"
pivot_root . run/govcloud-oldroot
cd /
umount -l /run/govcloud-oldroot
rmdir /run/govcloud-oldroot
echo ready
exec sleep infinity
"""

# A TCP listener accepting (and closing) connections on every port given; run with the system
# python3 inside a node.
_LISTENER_SCRIPT = r"""
import selectors, socket, sys
sel = selectors.DefaultSelector()
for port in sys.argv[1:]:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(port)))
    s.listen(1024)
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
print("ready", flush=True)
while True:
    for key, _ in sel.select():
        try:
            conn, _ = key.fileobj.accept()
            conn.close()
        except OSError:
            pass
"""


class LabError(RuntimeError):
    """A lab could not be built, used or torn down."""


class MissingToolError(LabError):
    """A command the lab needs is not installed."""


@dataclass(frozen=True)
class LabSegment:
    """A network segment: one bridge in the router, ``router_address`` (CIDR) on it."""

    name: str
    router_address: str

    @property
    def interface(self) -> ipaddress.IPv4Interface:
        return ipaddress.IPv4Interface(self.router_address)


@dataclass(frozen=True)
class LabHost:
    """A test host on ``segment`` with ``address`` (CIDR, in the segment's network)."""

    name: str
    segment: str
    address: str

    @property
    def interface(self) -> ipaddress.IPv4Interface:
        return ipaddress.IPv4Interface(self.address)

    @property
    def ip(self) -> str:
        return str(self.interface.ip)


@dataclass(frozen=True)
class LabSpec:
    """What to build. Namespaces are named ``<prefix>-<name>``; ``prefix`` holds no ``-``."""

    prefix: str
    router_name: str
    segments: tuple[LabSegment, ...]
    hosts: tuple[LabHost, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "segments", tuple(self.segments))
        object.__setattr__(self, "hosts", tuple(self.hosts))
        if not _PREFIX_RE.match(self.prefix):
            raise LabError(f"lab prefix {self.prefix!r} must match {_PREFIX_RE.pattern}")
        names = [self.router_name, *(h.name for h in self.hosts)]
        for name in names:
            if not _NAME_RE.match(name):
                raise LabError(f"node name {name!r} must match {_NAME_RE.pattern}")
        if len(set(names)) != len(names):
            raise LabError(f"node names are not unique: {names}")
        seg_names = [s.name for s in self.segments]
        if len(set(seg_names)) != len(seg_names):
            raise LabError(f"segment names are not unique: {seg_names}")
        if not self.segments:
            raise LabError("a lab needs at least one segment")
        networks = [s.interface.network for s in self.segments]
        for i, net in enumerate(networks):
            for other in networks[i + 1 :]:
                if net.overlaps(other):
                    raise LabError(f"segments overlap: {net} and {other}")
        by_name = {s.name: s for s in self.segments}
        used: set[ipaddress.IPv4Address] = {s.interface.ip for s in self.segments}
        for host in self.hosts:
            segment = by_name.get(host.segment)
            if segment is None:
                raise LabError(f"host {host.name!r} is on unknown segment {host.segment!r}")
            if host.interface.network != segment.interface.network:
                raise LabError(f"host {host.name!r} address {host.address} is not in {segment.interface.network}")
            if host.interface.ip in used:
                raise LabError(f"address {host.interface.ip} is used twice")
            used.add(host.interface.ip)

    def namespace(self, node: str) -> str:
        return f"{self.prefix}-{node}"

    @property
    def node_names(self) -> tuple[str, ...]:
        return (self.router_name, *(h.name for h in self.hosts))

    def segment(self, name: str) -> LabSegment:
        for seg in self.segments:
            if seg.name == name:
                return seg
        raise LabError(f"no segment {name!r}")

    def host(self, name: str) -> LabHost:
        for host in self.hosts:
            if host.name == name:
                return host
        raise LabError(f"no host {name!r}")


@dataclass(frozen=True)
class ExecResult:
    """What a command run inside a node did."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def check(self) -> ExecResult:
        if self.returncode != 0:
            raise LabError(
                f"{' '.join(self.argv)} exited {self.returncode}: {self.stderr.strip() or self.stdout.strip()}"
            )
        return self


@dataclass(frozen=True)
class TcpProbe:
    """One TCP connect attempt from node ``src`` to ``dst_ip:port``."""

    src: str
    dst_ip: str
    port: int


class ProbeOutcome(StrEnum):
    OPEN = "open"
    """The three-way handshake completed."""
    REFUSED = "refused"
    """A RST (or ICMP port unreachable/reject) came back."""
    TIMEOUT = "timeout"
    """Nothing came back in time: dropped."""
    UNREACHABLE = "unreachable"
    """No route, or an ICMP host/net unreachable (or admin-prohibited) came back."""


def _which(tool: str) -> str | None:
    found = shutil.which(tool)
    if found:
        return found
    for directory in _SBIN_PATHS:
        candidate = Path(directory) / tool
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def ensure_tools() -> None:
    """Raise :class:`MissingToolError` naming the apt packages to install if a tool is missing."""
    missing = {tool: pkg for tool, pkg in _TOOLS.items() if _which(tool) is None}
    if missing:
        pkgs = " ".join(sorted(set(missing.values())))
        raise MissingToolError(
            f"missing commands {', '.join(sorted(missing))}: run `apt-get install -y {pkgs}` as root"
        )
    if os.geteuid() != 0:
        raise LabError("building a lab needs root (network, mount and UTS namespaces)")


def system_python() -> str:
    """The machine's own python3 (no venv), to run Ansible modules inside the hosts."""
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3", "/bin/python3"):
        path = Path(candidate)
        if path.is_file() and os.access(path, os.X_OK) and not (path.parent.parent / "pyvenv.cfg").exists():
            return candidate
    raise MissingToolError("no system python3 found: run `apt-get install -y python3`")


def _run(argv: Sequence[str], *, input_text: str | None = None, timeout: float = 30.0) -> str:
    proc = subprocess.run(
        list(argv),
        input=input_text,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise LabError(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.strip()}")
    return proc.stdout


def lab_namespaces(prefix: str = "") -> list[str]:
    """Named network namespaces (``ip netns list``) starting with ``prefix``."""
    out = _run(["ip", "netns", "list"])
    names = [line.split()[0] for line in out.splitlines() if line.strip()]
    return sorted(n for n in names if n.startswith(prefix))


def _netns_pids(namespace: str) -> list[int]:
    proc = subprocess.run(
        ["ip", "netns", "pids", namespace],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return [int(p) for p in proc.stdout.split() if p.isdigit()]


def _kill(pids: Iterable[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _wait_gone(pids: Iterable[int], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    pending = set(pids)
    while pending and time.monotonic() < deadline:
        for pid in list(pending):
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, os.WNOHANG)
            if not _alive(pid):
                pending.discard(pid)
        if pending:
            time.sleep(0.02)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def _remove_mount_dir(path: Path) -> None:
    # The node's tmpfs is mounted on this directory only inside the holder's mount namespace; on
    # the machine it is an empty directory. Never recurse into something that is a mount point here.
    if not path.exists() or os.path.ismount(path):
        return
    with contextlib.suppress(OSError):
        path.rmdir()


def cleanup_prefix(prefix: str, root: Path = DEFAULT_ROOT) -> list[str]:
    """Remove every namespace named ``<prefix>-*`` (kill its processes first) and its mount dirs.

    For runs that crashed before their teardown. Returns the namespaces removed. The ``-`` boundary
    keeps ``lab1`` from matching ``lab10``'s namespaces.
    """
    if not _PREFIX_RE.match(prefix):
        raise LabError(f"lab prefix {prefix!r} must match {_PREFIX_RE.pattern}")
    names = lab_namespaces(prefix + "-")
    pids = [pid for name in names for pid in _netns_pids(name)]
    _kill(pids)
    _wait_gone(pids)
    for name in names:
        subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10, check=False)
    if root.is_dir():
        for child in root.iterdir():
            if child.name.startswith(prefix + "-"):
                _remove_mount_dir(child)
        with contextlib.suppress(OSError):
            root.rmdir()
    return names


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _setns(fd: int, nstype: int) -> None:
    if _libc().setns(fd, nstype) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def _sockets_in_netns(pid: int, count: int, kind: int = socket.SOCK_STREAM, proto: int = 0) -> list[socket.socket]:
    """Create ``count`` non-blocking IPv4 sockets in the network namespace of ``pid``.

    A throw-away thread joins the namespace (setns affects only the calling thread), creates the
    sockets (a socket belongs to the namespace it was created in) and ends: the process's other
    threads never change namespace.
    """
    made: list[socket.socket] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            with open(f"/proc/{pid}/ns/net", "rb") as fh:
                _setns(fh.fileno(), _CLONE_NEWNET)
            for _ in range(count):
                sock = socket.socket(socket.AF_INET, kind, proto)
                sock.setblocking(False)
                made.append(sock)
        except OSError as exc:  # re-raised in the caller's thread
            failure.append(exc)

    worker = threading.Thread(target=work, name=f"labhosts-netns-{pid}")
    worker.start()
    worker.join()
    if failure:
        for sock in made:
            sock.close()
        raise LabError(f"cannot create sockets in the namespace of pid {pid}: {failure[0]}")
    return made


def _fd_budget() -> int:
    """How many sockets one probe batch may open (raises the soft RLIMIT_NOFILE to the hard one)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 65536 if hard == resource.RLIM_INFINITY else min(hard, 65536)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
    limit = 65536 if soft == resource.RLIM_INFINITY else soft
    return max(64, limit - 512)


def _icmp_checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return int(~total & 0xFFFF)


def _echo_request(ident: int, seq: int) -> bytes:
    payload = b"govcloud-labhosts"
    header = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    return struct.pack("!BBHHH", 8, 0, _icmp_checksum(header + payload), ident, seq) + payload


def _classify(err: int) -> ProbeOutcome | None:
    if err == 0:
        return ProbeOutcome.OPEN
    if err in (errno.EINPROGRESS, errno.EALREADY, errno.EAGAIN):
        return None
    if err == errno.ECONNREFUSED:
        return ProbeOutcome.REFUSED
    if err == errno.ETIMEDOUT:
        return ProbeOutcome.TIMEOUT
    return ProbeOutcome.UNREACHABLE


@dataclass
class Lab:
    """A built lab. Use :func:`build_lab`; ``with build_lab(spec) as lab:`` tears it down."""

    spec: LabSpec
    root: Path = DEFAULT_ROOT
    holder_pids: dict[str, int] = field(default_factory=dict)
    build_seconds: float = 0.0
    _holders: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict, repr=False)
    _listeners: list[subprocess.Popen[bytes]] = field(default_factory=list, repr=False)
    _created: list[str] = field(default_factory=list, repr=False)
    _torn_down: bool = field(default=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # ----------------------------------------------------------------- context manager
    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.teardown()

    # ----------------------------------------------------------------- names
    @property
    def prefix(self) -> str:
        return self.spec.prefix

    @property
    def nodes(self) -> tuple[str, ...]:
        """The router's name, then the hosts' names."""
        return self.spec.node_names

    def namespace(self, node: str) -> str:
        self._check_node(node)
        return self.spec.namespace(node)

    def address(self, host: str) -> str:
        """A host's IPv4 address (no prefix length)."""
        return self.spec.host(host).ip

    def holder_pid(self, node: str) -> int:
        self._check_node(node)
        pid = self.holder_pids.get(node)
        if pid is None or self._torn_down:
            raise LabError(f"node {node!r} has no running holder")
        return pid

    def _check_node(self, node: str) -> None:
        if node not in self.spec.node_names:
            raise LabError(f"no node {node!r} in lab {self.prefix!r}")

    def _mount_dir(self, node: str) -> Path:
        return self.root / self.spec.namespace(node)

    # ----------------------------------------------------------------- build
    def _build(self, ready_timeout: float) -> None:
        started = time.monotonic()
        spec = self.spec
        existing = set(lab_namespaces(spec.prefix + "-"))
        clash = sorted(existing & {spec.namespace(n) for n in spec.node_names})
        if clash:
            raise LabError(f"namespaces already exist: {clash}; run cleanup_prefix({spec.prefix!r})")
        router_ns = spec.namespace(spec.router_name)
        names = [spec.namespace(n) for n in spec.node_names]
        self._created = list(names)
        _run(["ip", "-batch", "-"], input_text="".join(f"netns add {n}\n" for n in names))

        seg_index = {seg.name: i for i, seg in enumerate(spec.segments)}
        lines: list[str] = []
        for i, seg in enumerate(spec.segments):
            lines += [
                f"link add br{i} type bridge",
                f"addr add {seg.router_address} dev br{i}",
                f"link set br{i} up",
            ]
        for j, host in enumerate(spec.hosts):
            lines += [
                f"link add v{j} type veth peer name eth0 netns {spec.namespace(host.name)}",
                f"link set v{j} master br{seg_index[host.segment]}",
                f"link set v{j} up",
            ]
        _run(
            ["ip", "-n", router_ns, "-batch", "-"],
            input_text="".join(line + "\n" for line in lines),
        )

        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        for node in spec.node_names:
            mount_dir = self._mount_dir(node)
            mount_dir.mkdir(mode=0o700, exist_ok=True)
            if node == spec.router_name:
                args = [str(mount_dir), node, "router", "-", "-"]
            else:
                host = spec.host(node)
                gateway = str(spec.segment(host.segment).interface.ip)
                args = [str(mount_dir), node, "host", host.address, gateway]
            self._holders[node] = subprocess.Popen(
                [
                    "ip",
                    "netns",
                    "exec",
                    spec.namespace(node),
                    "unshare",
                    "--mount",
                    "--uts",
                    "--propagation",
                    "private",
                    "sh",
                    "-c",
                    _HOLDER_SCRIPT,
                    "holder",
                    *args,
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=dict(NODE_ENV),
            )
        for node, proc in self._holders.items():
            self._await_ready(node, proc, ready_timeout, "holder")
            self.holder_pids[node] = proc.pid
        self.build_seconds = time.monotonic() - started

    @staticmethod
    def _await_ready(node: str, proc: subprocess.Popen[bytes], timeout: float, what: str) -> None:
        assert proc.stdout is not None
        assert proc.stderr is not None
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            ready = sel.select(timeout)
        line = proc.stdout.readline() if ready else b""
        if line.strip() != b"ready":
            proc.kill()
            _, err = proc.communicate(timeout=5)
            raise LabError(f"{what} for {node!r} did not start: {err.decode(errors='replace').strip()}")
        proc.stdout.close()
        proc.stderr.close()

    # ----------------------------------------------------------------- commands
    def nsenter_argv(self, node: str) -> list[str]:
        """The command prefix that enters a node (network, mount and UTS namespaces)."""
        return ["nsenter", "-t", str(self.holder_pid(node)), "-n", "-m", "-u", "--"]

    def exec(
        self,
        node: str,
        argv: Sequence[str],
        timeout: float = 30.0,
        *,
        input_text: str | None = None,
        check: bool = False,
    ) -> ExecResult:
        """Run ``argv`` inside ``node`` with a clean environment; bounded by ``timeout`` seconds."""
        full = [*self.nsenter_argv(node), *argv]
        try:
            proc = subprocess.run(
                full,
                input=input_text,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout,
                env=dict(NODE_ENV),
                check=False,
                stdin=None if input_text is not None else subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as exc:
            raise LabError(f"{' '.join(argv)} in {node!r} took longer than {timeout} s") from exc
        result = ExecResult(tuple(argv), proc.returncode, proc.stdout, proc.stderr)
        return result.check() if check else result

    def load_nft(self, node: str, ruleset: str) -> None:
        """Load an nftables ruleset (``nft -f -``) into ``node`` only."""
        self.exec(node, ["nft", "-f", "-"], input_text=ruleset, check=True)

    def read_file(self, node: str, path: str) -> str | None:
        """A file's text as ``node`` sees it, or None if it does not exist there."""
        result = self.exec(node, ["cat", "--", path])
        return result.stdout if result.returncode == 0 else None

    # ----------------------------------------------------------------- traffic
    def listen(self, node: str, port: int, *more_ports: int, timeout: float = 10.0) -> None:
        """Start one TCP listener process inside ``node`` on all ports given; waits until bound."""
        ports = [str(p) for p in (port, *more_ports)]
        proc = subprocess.Popen(
            [
                *self.nsenter_argv(node),
                system_python(),
                "-I",
                "-S",
                "-c",
                _LISTENER_SCRIPT,
                *ports,
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(NODE_ENV),
        )
        with self._lock:
            self._listeners.append(proc)
        self._await_ready(node, proc, timeout, f"listener on ports {','.join(ports)}")

    def ping(self, src: str, dst_ip: str, timeout: float = 1.0) -> bool:
        """One ICMP echo from ``src`` to ``dst_ip``, answered within ``timeout`` seconds."""
        return self.ping_many([(src, dst_ip)], timeout)[(src, dst_ip)]

    def ping_many(self, pairs: Iterable[tuple[str, str]], timeout: float = 1.0) -> dict[tuple[str, str], bool]:
        """ICMP echo for every ``(src, dst_ip)`` pair at once; takes at most about ``timeout``.

        One raw ICMP socket per source node, made inside its network namespace, sends every echo
        request at once; a pair is True when the matching echo reply (same id and sequence, from
        ``dst_ip``) comes back before the deadline.
        """
        unique = list(dict.fromkeys(pairs))
        by_src: dict[str, list[str]] = {}
        for src, dst in unique:
            by_src.setdefault(src, []).append(dst)
        answered: set[tuple[str, str]] = set()
        base = random.getrandbits(16)
        socks: dict[socket.socket, tuple[str, int, list[str]]] = {}
        try:
            for n, (src, dsts) in enumerate(by_src.items()):
                if len(dsts) > 0xFFFF:
                    raise LabError("at most 65535 destinations per source in one ping_many call")
                (sock,) = _sockets_in_netns(self.holder_pid(src), 1, socket.SOCK_RAW, socket.IPPROTO_ICMP)
                ident = (base + n) & 0xFFFF
                socks[sock] = (src, ident, dsts)
                for seq, dst in enumerate(dsts):
                    with contextlib.suppress(OSError):  # no route: stays unanswered
                        sock.sendto(_echo_request(ident, seq), (dst, 0))
            deadline = time.monotonic() + timeout
            with selectors.DefaultSelector() as sel:
                for sock in socks:
                    sel.register(sock, selectors.EVENT_READ)
                while len(answered) < len(unique):
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    for key, _ in sel.select(remaining):
                        sock = cast(socket.socket, key.fileobj)
                        src, ident, dsts = socks[sock]
                        while True:
                            try:
                                data, (addr, _port) = sock.recvfrom(65535)
                            except (BlockingIOError, InterruptedError):
                                break
                            icmp = data[(data[0] & 0x0F) * 4 :]
                            if len(icmp) < 8 or icmp[0] != 0:  # echo replies only
                                continue
                            r_ident, r_seq = struct.unpack("!HH", icmp[4:8])
                            if r_ident == ident and r_seq < len(dsts) and dsts[r_seq] == addr:
                                answered.add((src, addr))
        finally:
            for sock in socks:
                sock.close()
        return {pair: pair in answered for pair in unique}

    def tcp_probe(self, src: str, dst_ip: str, port: int, timeout: float = 1.0) -> bool:
        """True if a TCP connection from ``src`` to ``dst_ip:port`` completes within ``timeout``."""
        probe = TcpProbe(src, dst_ip, port)
        return self.tcp_probe_many([probe], timeout)[probe] is ProbeOutcome.OPEN

    def tcp_probe_many(
        self, probes: Iterable[TcpProbe], timeout: float = 1.0, batch: int = 16384
    ) -> dict[TcpProbe, ProbeOutcome]:
        """Run TCP connect probes all at once; the whole batch takes at most about ``timeout``.

        Sockets are created inside each source node's network namespace and connected
        non-blockingly, so a full matrix costs one timeout, not one per dropped probe.
        """
        unique = list(dict.fromkeys(probes))
        outcomes: dict[TcpProbe, ProbeOutcome] = {}
        batch = max(1, min(batch, _fd_budget()))
        for start in range(0, len(unique), batch):
            outcomes.update(self._probe_batch(unique[start : start + batch], timeout))
        return outcomes

    def _probe_batch(self, probes: list[TcpProbe], timeout: float) -> dict[TcpProbe, ProbeOutcome]:
        by_src: dict[str, list[TcpProbe]] = {}
        for probe in probes:
            by_src.setdefault(probe.src, []).append(probe)
        outcomes: dict[TcpProbe, ProbeOutcome] = {}
        pending: dict[socket.socket, TcpProbe] = {}
        try:
            for src, items in by_src.items():
                socks = _sockets_in_netns(self.holder_pid(src), len(items))
                pending.update(zip(socks, items, strict=True))
            with selectors.DefaultSelector() as sel:
                for sock, probe in list(pending.items()):
                    outcome = _classify(sock.connect_ex((probe.dst_ip, probe.port)))
                    if outcome is None:
                        sel.register(sock, selectors.EVENT_WRITE)
                    else:
                        outcomes[probe] = outcome
                deadline = time.monotonic() + timeout
                while sel.get_map():
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    for key, _ in sel.select(remaining):
                        sock = cast(socket.socket, key.fileobj)
                        sel.unregister(sock)
                        err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                        outcomes[pending[sock]] = _classify(err) or ProbeOutcome.TIMEOUT
        finally:
            for sock in pending:
                sock.close()
        for probe in probes:
            outcomes.setdefault(probe, ProbeOutcome.TIMEOUT)
        return outcomes

    def all_pairs(self, ports: Iterable[int], include_router: bool = False) -> list[TcpProbe]:
        """Probes from every host to every other host (optionally the router too) on ``ports``."""
        ports = list(ports)
        sources = [h.name for h in self.spec.hosts]
        if include_router:
            sources.insert(0, self.spec.router_name)
        return [
            TcpProbe(src, dst.ip, port)
            for src in sources
            for dst in self.spec.hosts
            if dst.name != src
            for port in ports
        ]

    # ----------------------------------------------------------------- ansible
    def ansible_inventory(self) -> dict[str, Any]:
        """An Ansible inventory (YAML/JSON dict form) reaching each node through the holder.

        Groups: ``lab_router``, ``lab_hosts`` and ``segment_<name>`` (``-`` becomes ``_``).
        """
        python = system_python()
        hostvars: dict[str, Any] = {}
        for node in self.spec.node_names:
            if node == self.spec.router_name:
                address = str(self.spec.segments[0].interface.ip)
            else:
                address = self.spec.host(node).ip
            hostvars[node] = {
                "ansible_connection": NSENTER_CONNECTION,
                "govcloud_holder_pid": self.holder_pid(node),
                "ansible_python_interpreter": python,
                "ansible_host": address,
                "govcloud_namespace": self.spec.namespace(node),
            }
        children: dict[str, Any] = {
            "lab_router": {"hosts": {self.spec.router_name: {}}},
            "lab_hosts": {"hosts": {h.name: {} for h in self.spec.hosts}},
        }
        for seg in self.spec.segments:
            group = "segment_" + re.sub(r"[^a-z0-9_]", "_", seg.name)
            children[group] = {"hosts": {h.name: {} for h in self.spec.hosts if h.segment == seg.name}}
        return {"all": {"hosts": hostvars, "children": children}}

    # ----------------------------------------------------------------- teardown
    def teardown(self) -> None:
        """Kill the lab's processes, delete its namespaces and mount dirs. Safe to call twice."""
        with self._lock:
            if self._torn_down:
                return
            self._torn_down = True
            listeners, self._listeners = self._listeners, []
        children = [*listeners, *self._holders.values()]
        for proc in children:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        stray = [pid for name in self._created for pid in _netns_pids(name)]
        _kill(stray)
        for proc in children:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
        _wait_gone(stray)
        existing = set(lab_namespaces(self.prefix + "-"))
        for name in self._created:
            if name in existing:
                subprocess.run(
                    ["ip", "netns", "del", name],
                    capture_output=True,
                    timeout=10,
                    check=False,
                )
        for node in self.spec.node_names:
            _remove_mount_dir(self._mount_dir(node))
        with contextlib.suppress(OSError):
            self.root.rmdir()
        self.holder_pids.clear()
        left = sorted(set(lab_namespaces(self.prefix + "-")) & set(self._created))
        if left:
            raise LabError(f"namespaces left after teardown: {left}")


def build_lab(spec: LabSpec, *, root: Path = DEFAULT_ROOT, ready_timeout: float = 15.0) -> Lab:
    """Build ``spec`` (needs root); on any failure, whatever was built is torn down again."""
    ensure_tools()
    lab = Lab(spec=spec, root=root)
    try:
        lab._build(ready_timeout)
    except BaseException:
        with contextlib.suppress(Exception):
            lab.teardown()
        raise
    return lab


def combined_ansible_inventory(labs: Sequence[Lab]) -> dict[str, Any]:
    """One Ansible inventory reaching the nodes of several labs (each lab's groups, all hosts once).

    Labs stand for networks that are physically apart (the extranet and the intranet): they share no
    segment, bridge or route, so only this inventory (the control plane, over nsenter) spans them. Node
    names must be unique across the labs, and so must their ``ansible_host`` addresses.
    """
    hosts: dict[str, Any] = {}
    children: dict[str, Any] = {}
    for lab in labs:
        data = lab.ansible_inventory()["all"]
        clash = sorted(set(hosts) & set(data["hosts"]))
        if clash:
            raise LabError(f"nodes {clash} are in more than one lab")
        hosts.update(data["hosts"])
        for group, members in data["children"].items():
            children.setdefault(group, {"hosts": {}})["hosts"].update(members["hosts"])
    addresses = [v["ansible_host"] for v in hosts.values()]
    if len(set(addresses)) != len(addresses):
        raise LabError("two lab nodes share an ansible_host: they would share one connection")
    return {"all": {"hosts": hosts, "children": children}}


@contextlib.contextmanager
def lab_session(spec: LabSpec, *, root: Path = DEFAULT_ROOT) -> Iterator[Lab]:
    """Clear stale ``<prefix>-*`` namespaces, build the lab, and always tear it down afterwards."""
    cleanup_prefix(spec.prefix, root)
    lab = build_lab(spec, root=root)
    try:
        yield lab
    finally:
        lab.teardown()
