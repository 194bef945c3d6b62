"""The audit of a revision range: census and plans at each commit, each change with the commit that made it. Edge.

Runs git (``git log`` for the commits that touched the inventory or the plans, with author, date, subject and
``%G?`` signature status; ``git archive`` for the files at a revision), reads the files with the same readers
as every command (:mod:`govcloud.edges.inventory_files`, :func:`govcloud.planning.edges.plan_progress.read_plan_files`)
and the migration ledger (:mod:`govcloud.orchestration.edges.store`), then calls the pure
:mod:`govcloud.audit.core.attribution`. Each revision is loaded once (cached by commit id), so a range of
``n`` commits costs ``n + 1`` loads.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from govcloud.audit.core import attribution, diff, plan_diff
from govcloud.audit.core.attribution import Commit, Snapshot
from govcloud.audit.edges import git_revisions
from govcloud.core import model
from govcloud.core.settings import Settings
from govcloud.edges import inventory_files, yamlio
from govcloud.errors import ToolError
from govcloud.orchestration.core import transitions
from govcloud.orchestration.edges import store
from govcloud.planning.edges import plan_progress

_FIELD = "\x1f"
_RECORD = "\x1e"
_FORMAT = _FIELD.join(["%H", "%an", "%ae", "%aI", "%G?", "%s"]) + _RECORD


@dataclasses.dataclass(frozen=True)
class Audit:
    """The changes of ``base..target`` (target None: the working tree), each with its commit."""

    base: str
    target: str | None
    commits: tuple[Commit, ...]
    changes: tuple[attribution.Attributed, ...]
    ledger: Path | None
    """The ledger the plan statuses were checked against (None: none found)."""
    each_commit: bool = False

    def at_least(self, risk: diff.Risk) -> list[attribution.Attributed]:
        return [a for a in self.changes if a.change.risk >= risk]


def audit_range(
    inventory_dir: Path,
    plans_dir: Path,
    base: str,
    target: str | None,
    *,
    settings: Settings,
    ledger: Path | None,
    each_commit: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Audit:
    """Diff ``base`` against ``target`` (None: the working tree) and attribute every change to its commit.

    With ``each_commit``, the changes are those of each commit against its parent, in commit order, rather
    than the net change of the range (a value edited twice then shows twice).
    """
    inventory_dir = inventory_dir.resolve()
    top = git_revisions.repository_root(inventory_dir)
    paths = [inventory_dir, *([plans_dir.resolve()] if plans_dir.exists() else [])]
    history = ledger_history(ledger)
    commits = commits_between(top, base, target or "HEAD", paths)
    snapshots: dict[str, Snapshot] = {}
    inventories: dict[str, model.Inventory] = {}
    plan_sets: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}

    def at(revision: str | None) -> Snapshot:
        """The snapshot at ``revision``; census and plans are each loaded once per distinct git tree."""
        key = git_revisions.revision_id(top, revision) if revision is not None else ""
        if key in snapshots:
            return snapshots[key]
        if not key:
            snapshots[key] = load_snapshot(inventory_dir, plans_dir, None)
            return snapshots[key]
        tree = _tree_id(top, key, inventory_dir)
        if tree not in inventories:
            inventories[tree] = git_revisions.load_at(inventory_dir, key).inventory
        plans_tree = _tree_id(top, key, plans_dir.resolve()) if plans_dir.exists() else ""
        if plans_tree not in plan_sets:
            with _plans_at(plans_dir, key) as folder:
                plan_sets[plans_tree] = read_plans(folder) if folder is not None else ({}, {})
        plans, departments = plan_sets[plans_tree]
        snapshots[key] = Snapshot(inventories[tree], plans, departments)
        return snapshots[key]

    steps: list[tuple[Commit, list[diff.Change]]] = []
    total = len(commits) + (target is None)
    for done, commit in enumerate(commits):
        parent = f"{commit.hash}^"
        steps.append(
            (commit, attribution.diff_snapshots(at(parent), at(commit.hash), settings=settings, ledger=history))
        )
        if progress is not None:
            progress(done + 1, total)
    if target is None:
        head = commits[-1].hash if commits else base
        steps.append(
            (
                attribution.WORKING_TREE,
                attribution.diff_snapshots(at(head), at(None), settings=settings, ledger=history),
            )
        )
        if progress is not None:
            progress(total, total)
    if each_commit:
        changes = [attribution.Attributed(c, commit) for commit, made in steps for c in made]
    else:
        overall = attribution.diff_snapshots(at(base), at(target), settings=settings, ledger=history)
        changes = attribution.attribute(overall, steps)
    return Audit(
        base=base,
        target=target,
        commits=tuple(c for c, made in steps if c is not attribution.WORKING_TREE or made),
        changes=tuple(changes),
        ledger=ledger if history is not None else None,
        each_commit=each_commit,
    )


def _tree_id(top: Path, commit: str, path: Path) -> str:
    """The git object id of ``path`` at ``commit`` (empty when the path is not there)."""
    result = subprocess.run(
        ["git", "-C", str(top), "rev-parse", "--verify", "--quiet", f"{commit}:{path.relative_to(top)}"],
        check=False,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip()


def commits_between(top: Path, base: str, target: str, paths: Sequence[Path]) -> list[Commit]:
    """The non-merge commits of ``base..target`` that touched ``paths``, oldest first."""
    git_revisions.revision_id(top, base)  # a clear error for an unknown revision
    git_revisions.revision_id(top, target)
    relative = [str(p.relative_to(top)) for p in paths]
    try:
        out = subprocess.run(
            [
                "git",
                "-C",
                str(top),
                "log",
                "--reverse",
                "--no-merges",
                f"--format={_FORMAT}",
                f"{base}..{target}",
                "--",
                *relative,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    except subprocess.CalledProcessError as exc:
        raise ToolError(f"git log {base}..{target} failed: {exc.stderr.strip()}", returncode=exc.returncode) from exc
    commits = []
    for record in out.split(_RECORD):
        fields = record.strip("\n").split(_FIELD)
        if len(fields) == 6:
            full, author, email, date, signature, subject = fields
            commits.append(Commit(full, author, email, date, subject, signature))
    return commits


def load_snapshot(inventory_dir: Path, plans_dir: Path, revision: str | None) -> Snapshot:
    """The census and plans at ``revision`` (None: the working tree); plans absent at a revision are empty."""
    if revision is None:
        inventory = inventory_files.load_inventory(inventory_dir).inventory
        plans, departments = read_plans(plans_dir)
        return Snapshot(inventory, plans, departments)
    inventory = git_revisions.load_at(inventory_dir, revision).inventory
    with _plans_at(plans_dir, revision) as tree:
        plans, departments = read_plans(tree) if tree is not None else ({}, {})
    return Snapshot(inventory, plans, departments)


def read_plans(plans_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """System plans (code → parsed) through the one plan-file reader, and department plans (code → parsed)."""
    plans: dict[str, Any] = {}
    for found in plan_progress.read_plan_files(plans_dir):
        code = found.data.get("system") if isinstance(found.data, dict) else None
        plans[str(code or found.path.stem)] = found.data if found.unreadable is None else None
    departments: dict[str, Any] = {}
    folder = plans_dir / "departments"
    if folder.is_dir():
        for path in sorted(folder.glob("*.yaml")):
            try:
                departments[path.stem] = yamlio.read_fast(path.read_text(encoding="utf-8"))
            except (yamlio.YamlSyntaxError, UnicodeDecodeError):
                departments[path.stem] = None
    return plans, departments


@contextlib.contextmanager
def _plans_at(plans_dir: Path, revision: str) -> Iterator[Path | None]:
    if not plans_dir.exists():
        yield None
        return
    plans_dir = plans_dir.resolve()
    top = git_revisions.repository_root(plans_dir)
    relative = plans_dir.relative_to(top)
    result = subprocess.run(
        ["git", "-C", str(top), "archive", "--format=tar", revision, "--", str(relative)],
        check=False,
        capture_output=True,
    )
    if result.returncode != 0:  # no plans at that revision yet
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="govcloud-plans-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(result.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        yield Path(tmp) / relative


def ledger_history(path: Path | None) -> plan_diff.LedgerHistory | None:
    """Every plan status the ledger at ``path`` has required of each stage (None: no ledger there)."""
    if path is None or not path.exists():
        return None
    events: list[tuple[int, str, str, str]] = []
    states: dict[transitions.StageKey, transitions.StageState] = {}
    with store.open_ledger(path, create=False) as opened:
        for entry in opened.entries():
            for key in transitions.apply(states, entry):
                state = states.get(key)
                if state is not None:
                    events.append((entry.seq, key[0], key[1], state.plan_status.value))
    return plan_diff.statuses_from_history(events)
