"""The one reader of the plan files, ``migrations_plan/<CODE>.yaml``: one walk, three policies over its problems.

Edge (reads files). :func:`read_plans` reads every file once (PyYAML's C parser) and hands each document to
the pure :func:`govcloud.planning.core.plan_view.parse_plan`, which yields a typed view and structured
problems; with the inventory, every rule of :mod:`govcloud.planning.core.plan_checks` and the baseline
(``baseline.yaml``, :mod:`govcloud.planning.core.baseline`) are among them. What happens next is a policy of
the :class:`PlanSet`, not another reader:

- **strict** (everything that provisions: ``govcloud render``, both Pulumi programs, the policy pack's inputs,
  the playbooks' inventory plugin and lookup, ``govcloud network``, ``ledger adopt``, ``plan baseline``): any
  problem raises one :class:`~govcloud.errors.InputError` with every problem as ``file:line: field: message``,
  so nothing is provisioned from a plan a person mistyped (:func:`load_progress`);
- **lenient** (reports, re-planning, gate advice): files naming no readable system are skipped and counted,
  the rest taken as they read (:func:`load_progress_leniently`);
- **check** (``govcloud plan --check``): every problem listed.

Line numbers are looked up only for the problems found (:func:`govcloud.edges.yamlio.line_of`), so a clean
province costs one fast parse per file plus the checks on plain data.

A plan file holds at least::

    system: MZJ-001
    stages:
      - stage: network          # network, data, business: in this order
        status: done            # pending, in_progress, done
      - stage: data
        status: in_progress
      - stage: business
        status: pending
        callers: [GAJ, RSJ]     # departments whose systems may call it once the business stage is reached
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from govcloud import collector
from govcloud.census.edges import inventory_cache
from govcloud.core import model
from govcloud.edges import yamlio
from govcloud.errors import InputError, Problem
from govcloud.planning.core import baseline as baselines
from govcloud.planning.core import plan_view, stages
from govcloud.planning.edges import baseline_file, plan_cache

REFUSAL = "the plan files fail `govcloud plan --check`: nothing is provisioned from them"


def plan_paths(plans_dir: Path) -> list[Path]:
    """The plan files of ``plans_dir``, sorted: every ``*.yaml`` except the baseline."""
    if not plans_dir.is_dir():
        return []
    return sorted(p for p in plans_dir.glob("*.yaml") if p.name != baseline_file.BASELINE_FILE)


@dataclasses.dataclass(frozen=True)
class PlanFile:
    """One plan file as read: its text and parsed data, or the problem that stopped reading it."""

    path: Path
    shown: str
    """The path as problems show it."""
    text: str
    data: Any
    unreadable: Problem | None = None


def read_plan_files(plans_dir: Path) -> list[PlanFile]:
    """Every plan file of ``plans_dir``, each parsed once (PyYAML's C parser)."""
    with collector.paused():
        return [read_plan_file(path) for path in plan_paths(plans_dir)]


def read_plan_text(path: Path) -> tuple[str, Problem | None]:
    """A plan file's text, or ``""`` and the problem when it is not UTF-8 (the one decoding rule for plan files)."""
    return decode_plan_text(path, path.read_bytes())


def decode_plan_text(path: Path, raw: bytes) -> tuple[str, Problem | None]:
    """The text of ``raw`` (``path``'s bytes) as ``read_text`` gives it (universal newlines), or the problem."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        shown = baseline_file.display(path)
        return "", Problem(shown, None, "", f"not UTF-8 text: {exc.reason} at byte {exc.start}")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, None


def read_plan_file(path: Path, raw: bytes | None = None) -> PlanFile:
    """One plan file (``raw``: its bytes, already read), parsed; what stopped reading it is in ``unreadable``."""
    shown = baseline_file.display(path)
    text, problem = decode_plan_text(path, path.read_bytes() if raw is None else raw)
    if problem is not None:
        return PlanFile(path, shown, "", None, problem)
    try:
        data = yamlio.read_fast(text)
    except yamlio.YamlSyntaxError as exc:
        return PlanFile(path, shown, text, None, Problem(shown, exc.line, "", str(exc)))
    return PlanFile(path, shown, text, data)


@dataclasses.dataclass(frozen=True)
class LenientRead:
    """What reports and re-planning read: the progress of every file naming a system, and how many were skipped."""

    progress: dict[str, stages.Progress]
    skipped: int
    """Files that name no readable system (not UTF-8, not YAML, not a plan): ``plan --check`` says why."""


@dataclasses.dataclass(frozen=True)
class PlanSet:
    """Every plan file of a directory read once: the views and every problem, with the three policies over them.

    ``checked`` says whether the rules (and the baseline) were checked against an inventory; without one,
    only what stops a file from being read is among the problems.
    """

    files: tuple[PlanFile, ...]
    parsed: tuple[plan_view.ParsedPlan, ...]
    baseline_problems: tuple[plan_view.PlanProblem, ...] = ()
    checked: bool = False

    @functools.cached_property
    def views(self) -> dict[str, plan_view.PlanView]:
        """System code → the view of its plan file (files naming no system are left out)."""
        return {p.view.system: p.view for p in self.parsed if p.view is not None}

    @functools.cached_property
    def problems(self) -> tuple[plan_view.PlanProblem, ...]:
        return tuple(problem for p in self.parsed for problem in p.problems) + self.baseline_problems

    @functools.cached_property
    def progress(self) -> dict[str, stages.Progress]:
        """Every view's progress, whatever its problems (the policies below decide whether to trust it)."""
        return plan_view.progress_of(self.views)

    # -- the policies ------------------------------------------------------------------------------------
    def check(self) -> list[Problem]:
        """``plan --check``: every problem, as ``file:line: field: message``."""
        if not self.checked:
            raise TypeError("the check reads the plans against the inventory: read_plans(..., inventory=)")
        return [problem.problem() for problem in self.problems]

    def strict(self) -> dict[str, stages.Progress]:
        """Provisioning: the progress only if there is no problem at all, else one InputError with every one."""
        problems = self.check()
        if problems:
            raise InputError(problems, REFUSAL)
        return self.progress

    def lenient(self) -> LenientRead:
        """Reports and re-planning: skip the files naming no readable system, count them, take the rest."""
        skipped = sum(1 for p in self.parsed if p.view is None)
        return LenientRead(self.progress, skipped)

    def unmet_gates(self, inventory: model.Inventory) -> plan_view.GateAdvice:
        """Gates of started stages that do not hold (advice), and gates that cannot be read (problems)."""
        return plan_view.unmet_gates(list(self.views.values()), inventory, self.progress)


def read_plans(
    plans_dir: Path,
    *,
    inventory: model.Inventory | None = None,
    files: Sequence[PlanFile] | None = None,
    inventory_digest: str = "",
) -> PlanSet:
    """Every plan file of ``plans_dir`` (or ``files``, already read) parsed once into views and problems.

    With ``inventory`` every rule of ``plan --check`` is checked, and the baseline too (a plan file that
    disagrees with a frozen wave); without it only what stops the reading is a problem. Reading the directory
    (``files`` None), each file's result comes from :mod:`~govcloud.planning.edges.plan_cache` while its bytes
    are unchanged (a checked read only with ``inventory_digest``, the inventory's ``inputs_digest``), and the
    files of the set carry no text and data (:attr:`PlanFile.text` empty): each is dropped once parsed.
    """
    mode = plan_cache.mode_of(checked=inventory is not None, inventory_digest=inventory_digest)
    cache = plan_cache.PlanCache.open(plans_dir, mode, shown=baseline_file.display(plans_dir))
    if files is None:
        files, parsed = _read_through(plans_dir, cache, inventory)
    else:
        files = tuple(read_plan_files(plans_dir) if files is None else files)
        with collector.paused():
            parsed = tuple(_parse(plan_file, inventory) for plan_file in files)
    if inventory is None:
        return PlanSet(files, parsed)
    views = {p.view.system: p.view for p in parsed if p.view is not None}
    return PlanSet(files, parsed, _baseline_problems(plans_dir, views, inventory), checked=True)


def _read_through(
    plans_dir: Path, cache: plan_cache.PlanCache | None, inventory: model.Inventory | None
) -> tuple[tuple[PlanFile, ...], tuple[plan_view.ParsedPlan, ...]]:
    """Every plan file's result, from the cache while its bytes are unchanged; the entry rewritten after a change.

    File by file: each file's text and data are dropped once it is parsed (a province's parsed plan files
    are a gigabyte), and its view finds lines by reading the file again if one is asked for later.
    """
    held = cache.read() if cache is not None else {}
    fresh: dict[str, tuple[str, plan_view.ParsedPlan]] = {}
    files: list[PlanFile] = []
    parsed: list[plan_view.ParsedPlan] = []
    changed = False
    with collector.paused():
        for path in plan_paths(plans_dir):
            raw = path.read_bytes()
            digest = inventory_cache.content_digest(raw)
            entry = held.get(path.name)
            if entry is not None and entry[0] == digest:
                result = entry[1]
                files.append(PlanFile(path, baseline_file.display(path), "", None))
            else:
                changed = True
                plan_file = read_plan_file(path, raw)
                result = _parse(plan_file, inventory)
                files.append(dataclasses.replace(plan_file, text="", data=None))
                del plan_file
                if result.view is not None and isinstance(result.view.lines, _Lines):
                    result.view.lines.text = None  # read again from the file if a line is asked for
            fresh[path.name] = (digest, result)
            parsed.append(result)
    if cache is not None and (changed or len(fresh) != len(held)):
        cache.write(fresh)
    return tuple(files), tuple(parsed)


class _Lines:
    """A plan file's line lookup, over the text it was read from.

    Made again from the cache, over the file's text read when a line is first asked for (its bytes are those
    the view was made from: their digest was checked on this read).
    """

    def __init__(self, path: Path, text: str | None) -> None:
        self.path = path
        self.text = text

    def __call__(self, where: plan_view.Where) -> int | None:
        if self.text is None:
            self.text = read_plan_text(self.path)[0]
        return yamlio.line_of(self.text, where)

    def __reduce__(self) -> tuple[type[_Lines], tuple[Path, None]]:
        return _Lines, (self.path, None)  # the text is not cached: the file holds it


def parse_plan_file(plan_file: PlanFile, inventory: model.Inventory | None = None) -> plan_view.ParsedPlan:
    """One file read by :func:`read_plan_file`, parsed into its view and problems (the rules too with ``inventory``)."""
    return _parse(plan_file, inventory)


def _parse(plan_file: PlanFile, inventory: model.Inventory | None) -> plan_view.ParsedPlan:
    if plan_file.unreadable is not None:
        problem = plan_file.unreadable
        return plan_view.unreadable(problem.path, problem.line, problem.message)
    return plan_view.parse_plan(
        plan_file.data,
        path=plan_file.shown,
        file_name=plan_file.path.name,
        lines=_Lines(plan_file.path, plan_file.text),
        inventory=inventory,
    )


def _baseline_problems(
    plans_dir: Path, views: dict[str, plan_view.PlanView], inventory: model.Inventory
) -> tuple[plan_view.PlanProblem, ...]:
    baseline, text, problems = baseline_file.read_baseline(plans_dir)
    kind = plan_view.ProblemKind.BASELINE
    found = [plan_view.PlanProblem(kind, p.path, p.line, p.field, p.message) for p in problems]
    if baseline is None:
        return tuple(found)
    shown = baseline_file.display(baseline_file.baseline_path(plans_dir))
    progress = plan_view.progress_of(views)
    for item in baselines.disagreements(baseline, progress, inventory=inventory, baseline_name=shown):
        field = plan_view.field_of(item.where)
        if item.system is None:
            found.append(plan_view.PlanProblem(kind, shown, yamlio.line_of(text, item.where), field, item.message))
        else:
            view = views[item.system]
            found.append(plan_view.PlanProblem(kind, view.path, view.line(item.where), field, item.message))
    return tuple(found)


def load_progress(
    plans_dir: Path, *, inventory: model.Inventory, inventory_digest: str = ""
) -> dict[str, stages.Progress]:
    """System code → progress, for every plan file in ``plans_dir`` (an absent directory means no progress).

    The strict read: plans that fail ``govcloud plan --check`` are an :class:`InputError` naming file, line and
    problem, because provisioning from a misread plan would open or close the wrong flows. ``inventory_digest``
    (the inventory's ``inputs_digest``) lets unchanged files' results come from the plan cache.
    """
    return read_plans(plans_dir, inventory=inventory, inventory_digest=inventory_digest).strict()


def load_progress_leniently(plans_dir: Path) -> dict[str, stages.Progress]:
    """System code → progress, taking what can be read (reports, re-planning): ``plan --check`` reports the rest."""
    return read_plans(plans_dir).lenient().progress


def check_plans(
    plans_dir: Path, inventory: model.Inventory, *, files: Sequence[PlanFile] | None = None
) -> list[Problem]:
    """``govcloud plan --check`` of ``plans_dir`` (or of ``files``, already read): every problem, all at once."""
    return read_plans(plans_dir, inventory=inventory, files=files).check()
