"""Running the network playbooks through ansible-runner, and the run summary. Edge (processes, files).

``govcloud network apply|check`` calls :func:`run_playbooks`; tests and benchmarks call :func:`run_playbook`
directly. Each run gets a throw-away private data directory; the playbooks, roles and plugins are used in
place from ``playbooks/`` with its ``ansible.cfg``. The inventory is the govcloud inventory plugin pointed
at the census and plan directories given, plus any extra inventory sources (connection variables, for
example, or a test lab's).

Progress is reported through ``on_event`` callbacks with small :class:`RunEvent` records taken from
ansible-runner's events, so the CLI can draw it however it likes. The summary (per host ok / changed /
failed / unreachable, durations, playbooks, the inventory's revision) is plain JSON for the migration
ledger, written atomically.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from govcloud.edges import yamlio
from govcloud.errors import GovcloudError, ToolError

NETWORK_ZONES = "network_zones.yml"
CLOUD_HOSTS = "cloud_hosts.yml"
SYSTEM_NETWORK_STAGE = "system_network_stage.yml"
PLUGIN_CONFIG_NAME = "govcloud.yml"
"""The inventory plugin only accepts configuration files whose name ends like this."""


def default_playbooks_dir() -> Path:
    """``./playbooks`` when run from the repository, else the one next to the installed package's sources."""
    here = Path.cwd() / "playbooks"
    if (here / NETWORK_ZONES).is_file():
        return here
    return Path(__file__).resolve().parents[4] / "playbooks"


@dataclasses.dataclass(frozen=True)
class PlaybookRun:
    """One ``ansible-playbook`` run to make."""

    playbook: str
    inventory_dir: Path
    plans_dir: Path
    playbooks_dir: Path = dataclasses.field(default_factory=default_playbooks_dir)
    check: bool = False
    diff: bool = False
    limit: str | None = None
    extravars: Mapping[str, str] = dataclasses.field(default_factory=dict)
    extra_inventories: tuple[Path, ...] = ()
    envvars: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """Extra ``ANSIBLE_*`` settings (``ANSIBLE_STRATEGY``, ``ANSIBLE_PIPELINING``, ``ANSIBLE_FORKS``...)."""
    timeout: int = 3600


@dataclasses.dataclass(frozen=True)
class RunEvent:
    """Something ansible did, for live progress."""

    kind: str
    """``play``, ``task``, ``ok``, ``changed``, ``skipped``, ``failed``, ``unreachable``, ``handler``."""
    playbook: str
    host: str | None = None
    task: str | None = None
    message: str | None = None
    diffs: tuple[str, ...] = ()
    """Unified diffs of what the task changed (or would change, in check mode)."""


@dataclasses.dataclass(frozen=True)
class HostCounts:
    ok: int = 0
    changed: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0


@dataclasses.dataclass(frozen=True)
class PlaybookResult:
    """What one run did: status, per-host counts, failure messages."""

    playbook: str
    status: str
    rc: int
    started: str
    duration_s: float
    check: bool
    limit: str | None
    extravars: Mapping[str, str]
    hosts: Mapping[str, HostCounts]
    failures: tuple[str, ...]
    """``host: task: message`` for every failed or unreachable task, or ansible's own error."""

    @property
    def ok(self) -> bool:
        return self.status == "successful" and self.rc == 0

    @property
    def changed(self) -> int:
        return sum(c.changed for c in self.hosts.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "playbook": self.playbook,
            "status": self.status,
            "rc": self.rc,
            "started": self.started,
            "duration_s": round(self.duration_s, 3),
            "check": self.check,
            "limit": self.limit,
            "extravars": dict(self.extravars),
            "hosts": {name: dataclasses.asdict(c) for name, c in sorted(self.hosts.items())},
            "failures": list(self.failures),
        }


@dataclasses.dataclass(frozen=True)
class RunSummary:
    """The record of one ``govcloud network`` command for the migration ledger."""

    command: str
    inventory_dir: str
    plans_dir: str
    inventory_revision: str
    started: str
    duration_s: float
    runs: tuple[PlaybookResult, ...]

    @property
    def ok(self) -> bool:
        return bool(self.runs) and all(r.ok for r in self.runs)

    def to_json(self) -> dict[str, Any]:
        hosts: dict[str, dict[str, int]] = {}
        for run in self.runs:
            for name, counts in run.hosts.items():
                total = hosts.setdefault(name, dict.fromkeys(("ok", "changed", "failed", "unreachable", "skipped"), 0))
                for key, value in dataclasses.asdict(counts).items():
                    total[key] += value
        return {
            "command": self.command,
            "ok": self.ok,
            "inventory_dir": self.inventory_dir,
            "plans_dir": self.plans_dir,
            "inventory_revision": self.inventory_revision,
            "started": self.started,
            "duration_s": round(self.duration_s, 3),
            "playbooks": [r.playbook for r in self.runs],
            "hosts": dict(sorted(hosts.items())),
            "runs": [r.to_json() for r in self.runs],
        }


EventHandler = Callable[[RunEvent], None]


def inventory_revision(inventory_dir: Path) -> str:
    """``git:<commit>`` (``+dirty`` when the directory has uncommitted changes), else ``sha256:<content hash>``."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=inventory_dir, capture_output=True, text=True, timeout=10, check=False
        )
        if head.returncode == 0 and head.stdout.strip():
            status = subprocess.run(
                ["git", "status", "--porcelain", "--", "."],
                cwd=inventory_dir,
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
            dirty = "+dirty" if status.returncode == 0 and status.stdout.strip() else ""
            return f"git:{head.stdout.strip()}{dirty}"
    except (OSError, subprocess.SubprocessError):
        pass
    digest = hashlib.sha256()
    for path in sorted(p for p in inventory_dir.rglob("*") if p.is_file()):
        digest.update(path.relative_to(inventory_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return f"sha256:{digest.hexdigest()}"


def write_summary(path: Path, summary: RunSummary) -> None:
    """Write the summary as JSON, atomically."""
    yamlio.write_atomic(path, json.dumps(summary.to_json(), indent=2, ensure_ascii=False) + "\n")


def plugin_config(inventory_dir: Path, plans_dir: Path) -> str:
    """The inventory plugin's configuration for these directories."""
    return (
        "plugin: govcloud_inventory\n"
        f"inventory_dir: {json.dumps(str(inventory_dir.resolve()))}\n"
        f"plans_dir: {json.dumps(str(plans_dir.resolve()))}\n"
    )


def run_playbook(request: PlaybookRun, *, on_event: EventHandler | None = None) -> PlaybookResult:
    """Run one playbook and return what it did (a failed run is a result, not an exception).

    Raises :class:`ToolError` only when ansible-runner cannot start at all.
    """
    import ansible_runner

    playbooks_dir = request.playbooks_dir.resolve()
    if not (playbooks_dir / request.playbook).is_file():
        raise ToolError(f"no playbook {request.playbook} in {playbooks_dir}")
    started = dt.datetime.now(dt.UTC)
    clock = time.monotonic()
    collector = _Collector(request.playbook, on_event)
    with tempfile.TemporaryDirectory(prefix="govcloud-ansible-") as private:
        config = Path(private) / "inventory" / PLUGIN_CONFIG_NAME
        config.parent.mkdir()
        config.write_text(plugin_config(request.inventory_dir, request.plans_dir), encoding="utf-8")
        inventories = [str(config), *(str(p.resolve()) for p in request.extra_inventories)]
        cmdline = " ".join(flag for flag, wanted in (("--check", request.check), ("--diff", request.diff)) if wanted)
        try:
            runner = ansible_runner.run(
                private_data_dir=private,
                project_dir=str(playbooks_dir),
                playbook=request.playbook,
                inventory=inventories,
                extravars=dict(request.extravars) or None,
                limit=request.limit,
                cmdline=cmdline or None,
                envvars=_envvars(playbooks_dir, request.envvars),
                event_handler=collector.handle,
                quiet=True,
                timeout=request.timeout,
            )
        except (OSError, RuntimeError, ValueError) as exc:
            raise ToolError(f"ansible-runner could not start {request.playbook}: {exc}") from exc
        output = _read_stdout(runner)
        status = str(runner.status)
        rc = int(runner.rc if runner.rc is not None else 1)
        stats: Mapping[str, Mapping[str, int]] = runner.stats or {}
    failures = list(collector.failures)
    if status != "successful" and not failures:
        failures.append(_ansible_error(output) or f"ansible-playbook ended {status} (rc {rc})")
    return PlaybookResult(
        playbook=request.playbook,
        status=status,
        rc=rc,
        started=started.isoformat(timespec="seconds"),
        duration_s=time.monotonic() - clock,
        check=request.check,
        limit=request.limit,
        extravars=dict(request.extravars),
        hosts=_host_counts(stats),
        failures=tuple(failures),
    )


def run_playbooks(
    *,
    command: str,
    playbooks: Sequence[str],
    inventory_dir: Path,
    plans_dir: Path,
    check: bool = False,
    limit: str | None = None,
    extravars: Mapping[str, str] | None = None,
    extra_inventories: Iterable[Path] = (),
    playbooks_dir: Path | None = None,
    on_event: EventHandler | None = None,
) -> RunSummary:
    """Run ``playbooks`` in order (stopping at the first failure) and summarise them."""
    if not inventory_dir.is_dir():
        raise GovcloudError(f"{inventory_dir}: inventory directory does not exist")
    started = dt.datetime.now(dt.UTC)
    clock = time.monotonic()
    revision = inventory_revision(inventory_dir)
    results: list[PlaybookResult] = []
    for playbook in playbooks:
        request = PlaybookRun(
            playbook=playbook,
            inventory_dir=inventory_dir,
            plans_dir=plans_dir,
            playbooks_dir=playbooks_dir or default_playbooks_dir(),
            check=check,
            diff=check,
            limit=limit,
            extravars=dict(extravars or {}),
            extra_inventories=tuple(extra_inventories),
        )
        result = run_playbook(request, on_event=on_event)
        results.append(result)
        if not result.ok:
            break
    return RunSummary(
        command=command,
        inventory_dir=str(inventory_dir.resolve()),
        plans_dir=str(plans_dir.resolve()),
        inventory_revision=revision,
        started=started.isoformat(timespec="seconds"),
        duration_s=time.monotonic() - clock,
        runs=tuple(results),
    )


# ---------------------------------------------------------------------------------------------------------


def _envvars(playbooks_dir: Path, extra: Mapping[str, str]) -> dict[str, str]:
    venv_bin = str(Path(sys.executable).parent)
    return {
        # ansible-runner finds ansible-playbook on PATH: this interpreter's, so the plugins import govcloud.
        "PATH": venv_bin + os.pathsep + os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "ANSIBLE_CONFIG": str(playbooks_dir / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        **extra,
    }


def _read_stdout(runner: Any) -> str:
    try:
        return str(runner.stdout.read())
    except (OSError, AttributeError, ValueError):
        return ""


def _ansible_error(output: str) -> str | None:
    """Ansible's own error (bad inventory, syntax error) from its output, without the noise around it."""
    lines = [line.rstrip() for line in output.splitlines()]
    for index, line in enumerate(lines):
        if line.startswith(("ERROR!", "[ERROR]")):
            block = [line]
            for follow in lines[index + 1 : index + 12]:
                if not follow.strip():
                    break
                block.append(follow)
            return "\n".join(block)
    tail = [line for line in lines if line.strip()][-8:]
    return "\n".join(tail) or None


def _host_counts(stats: Mapping[str, Mapping[str, int]]) -> dict[str, HostCounts]:
    hosts: set[str] = set()
    for key in ("ok", "changed", "failures", "dark", "skipped", "processed"):
        hosts.update((stats.get(key) or {}).keys())
    return {
        host: HostCounts(
            ok=int((stats.get("ok") or {}).get(host, 0)),
            changed=int((stats.get("changed") or {}).get(host, 0)),
            failed=int((stats.get("failures") or {}).get(host, 0)),
            unreachable=int((stats.get("dark") or {}).get(host, 0)),
            skipped=int((stats.get("skipped") or {}).get(host, 0)),
        )
        for host in sorted(hosts)
    }


class _Collector:
    """Turns ansible-runner events into :class:`RunEvent` records and remembers the failures."""

    def __init__(self, playbook: str, on_event: EventHandler | None) -> None:
        self.playbook = playbook
        self.on_event = on_event
        self.failures: list[str] = []

    def handle(self, event: Mapping[str, Any]) -> bool:
        name = str(event.get("event", ""))
        data: Mapping[str, Any] = event.get("event_data") or {}
        host = data.get("host")
        task = data.get("task")
        res: Mapping[str, Any] = data.get("res") or {}
        record: RunEvent | None = None
        if name == "playbook_on_play_start":
            record = RunEvent("play", self.playbook, task=str(data.get("play", "")))
        elif name in ("playbook_on_task_start", "playbook_on_handler_task_start"):
            kind = "handler" if "handler" in name else "task"
            record = RunEvent(kind, self.playbook, task=str(task or data.get("name", "")))
        elif name == "runner_on_ok":
            kind = "changed" if res.get("changed") else "ok"
            record = RunEvent(kind, self.playbook, host=host, task=task, diffs=tuple(_diffs(res)))
        elif name == "runner_on_skipped":
            record = RunEvent("skipped", self.playbook, host=host, task=task)
        elif name == "runner_on_failed" and not data.get("ignore_errors"):
            message = _failure_message(res)
            self.failures.append(f"{host}: {task}: {message}")
            record = RunEvent("failed", self.playbook, host=host, task=task, message=message)
        elif name == "runner_on_unreachable":
            message = _failure_message(res)
            self.failures.append(f"{host}: {task}: unreachable: {message}")
            record = RunEvent("unreachable", self.playbook, host=host, task=task, message=message)
        if record is not None and self.on_event is not None:
            self.on_event(record)
        return True


def _failure_message(res: Mapping[str, Any]) -> str:
    parts = [str(res.get("msg") or "").strip()]
    for key in ("stderr", "module_stderr"):
        text = str(res.get(key) or "").strip()
        if text and text not in parts[0]:
            parts.append(text)
    results = res.get("results")
    if isinstance(results, list):
        parts.extend(
            str(item.get("msg") or item.get("stderr") or "").strip()
            for item in results
            if isinstance(item, dict) and item.get("failed")
        )
    return "; ".join(p for p in parts if p) or "failed"


def _diffs(res: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    items: list[Any] = [res.get("diff")]
    results = res.get("results")
    if isinstance(results, list):
        items.extend(item.get("diff") for item in results if isinstance(item, dict))
    for item in items:
        for diff in item if isinstance(item, list) else [item]:
            if isinstance(diff, dict):
                text = _unified(diff)
                if text:
                    found.append(text)
    return found


def _unified(diff: Mapping[str, Any]) -> str:
    if "prepared" in diff:
        return str(diff["prepared"])
    before, after = diff.get("before"), diff.get("after")
    if not isinstance(before, str) or not isinstance(after, str) or before == after:
        if isinstance(before, dict) and isinstance(after, dict) and before != after:
            return f"--- {diff.get('before_header', 'before')}\n+++ {diff.get('after_header', 'after')}\n" + "".join(
                f"-{k}: {before.get(k)}\n+{k}: {after.get(k)}\n" for k in sorted(set(before) | set(after))
            )
        return ""
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=str(diff.get("before_header", "before")),
            tofile=str(diff.get("after_header", "after")),
        )
    )
