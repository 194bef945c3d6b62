"""The one reading of a plan document: a typed view with source lines, and the problems found. Pure: no I/O.

A plan file (``migrations_plan/<CODE>.yaml``) is edited by hand, so anything can be in it. :func:`parse_plan`
turns one parsed document (plain data from the YAML edge, plus a way to find a node's line) into a
:class:`PlanView` (system, kind, disposition, wave, owner; per stage its status, dates, gates and steps,
each with the key path it came from, so its line can be shown) and a list of :class:`PlanProblem` records
(path, line, field, message and a :class:`ProblemKind`). The view takes what can be read; the problems say
what could not, or what breaks a rule of :mod:`govcloud.planning.core.plan_checks` (given the inventory).

What a caller does with the problems is a *policy*, not another walk of the files
(:class:`govcloud.planning.edges.plan_progress.PlanSet`): provisioning refuses on any problem (strict),
reports skip the files that name no readable system and count them (lenient), ``plan --check`` lists them
all (check). :class:`~govcloud.planning.core.Progress` is the view's projection
(:meth:`PlanView.progress`), and :func:`unmet_gates` walks the views' started stages, reporting a gate it
cannot read as a problem rather than skipping it.

Line numbers are looked up lazily (``lines``, injected by the edge): only for the problems found and the
items a caller shows, so a clean province costs no line lookups.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pydantic

from govcloud.core import model
from govcloud.errors import Problem
from govcloud.planning.core import plan_checks, plans
from govcloud.planning.core.stages import Progress, ProgressMap, Stage, StageStatus

Where = plan_checks.Where
LineLookup = Callable[[Where], int | None]
"""The 1-based line of the node at a key path of the document (the nearest parent's when absent)."""


def no_lines(where: Where) -> int | None:
    """A line lookup for documents that have no text (built in memory)."""
    return None


class ProblemKind(enum.StrEnum):
    """What kind of problem a plan file has; the policies decide by it."""

    UNREADABLE = "unreadable"
    """The file is not UTF-8 text or not YAML: nothing of it can be read."""
    NOT_A_PLAN = "not-a-plan"
    """The document is not a mapping naming its system: it is no system's plan."""
    RULE = "rule"
    """A rule of the plan files is broken (unknown key, bad value, census reference, order)."""
    BASELINE = "baseline"
    """The file (or the baseline) disagrees with ``baseline.yaml``'s frozen waves."""
    GATE = "gate"
    """A gate of a started stage cannot be read, so whether it holds is unknown."""


SKIPPED_KINDS = frozenset({ProblemKind.UNREADABLE, ProblemKind.NOT_A_PLAN})
"""Problems that leave no view: the lenient policy skips these files (and counts them)."""


@dataclasses.dataclass(frozen=True)
class PlanProblem:
    """One thing wrong in a plan file: where (path as shown, line, dotted field), what, and its kind."""

    kind: ProblemKind
    path: str
    line: int | None
    field: str
    message: str

    def problem(self) -> Problem:
        """As the :class:`~govcloud.errors.Problem` every input error carries (``path:line: field: message``)."""
        return Problem(self.path, self.line, self.field, self.message)


def field_of(where: Where) -> str:
    """A key path as a dotted field name (``stages.0.status``)."""
    return ".".join(str(part) for part in where)


# ---------------------------------------------------------------------------------------------------------
# The view


@dataclasses.dataclass(frozen=True)
class GateView:
    """A gate as written and where it is; :attr:`gate` is it read (None when it cannot be).

    Read on first use: reading every gate of a province costs more than the rest of the view (provisioning
    and reports never look at them).
    """

    where: Where
    raw: Any = dataclasses.field(repr=False, compare=False)

    @functools.cached_property
    def gate(self) -> plans.Gate | None:
        try:
            return plans.Gate.model_validate(self.raw)
        except (pydantic.ValidationError, ValueError, TypeError):
            return None


@dataclasses.dataclass(frozen=True)
class StepView:
    """A step as written (``do``, ``run``, ``objects``): what could be read of it, and where it is."""

    where: Where
    do: str | None
    run: str | None
    objects: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class BlockView:
    """A stage of a migration (or intranet) plan, or a decommission: its status, dates, gates and steps.

    ``status`` is None when it cannot be trusted to read as it does (an invalid value, or no ``status`` key
    beside a key govcloud does not know: likely a misspelt ``status``); the stage then counts as pending for
    gates and provisioning but as started for re-planning, so a typo can never un-freeze a wave.
    """

    where: Where
    stage: Stage | None
    """The stage; None for the decommission block."""
    status: StageStatus | None
    target_start: dt.date | None
    target_end: dt.date | None
    """The stage's target dates (a decommission's ``target_date`` is its ``target_end``)."""
    callers: tuple[str, ...] | None
    """The business stage's ``callers`` (None when absent or not a list)."""
    raw: Mapping[Any, Any] = dataclasses.field(repr=False, compare=False)
    """The block as parsed: its gates and steps are read from it on first use."""

    @functools.cached_property
    def entry_gates(self) -> tuple[GateView, ...]:
        return _gates(self.raw.get("entry_gates"), (*self.where, "entry_gates"))

    @functools.cached_property
    def exit_gates(self) -> tuple[GateView, ...]:
        return _gates(self.raw.get("exit_gates"), (*self.where, "exit_gates"))

    @functools.cached_property
    def steps(self) -> tuple[StepView, ...]:
        return _steps(self.raw.get("steps"), (*self.where, "steps"))

    @property
    def name(self) -> str:
        return self.stage.value if self.stage is not None else "decommission"


@dataclasses.dataclass(frozen=True)
class PlanView:
    """What one plan file says, typed, with the key path of each part (:meth:`line` finds its line)."""

    path: str
    """The file as problems show it."""
    system: str
    kind: plans.PlanKind | None
    """None when the file names a kind govcloud does not know."""
    name: str | None
    department: str | None
    disposition: model.Disposition | None
    wave: int | None
    wave_start: dt.date | None
    wave_end: dt.date | None
    owner: plans.Owner | None
    stages: tuple[BlockView, ...]
    """The stages whose name can be read, in file order (a repeated stage: the first one)."""
    decommission: BlockView | None
    unnamed: tuple[BlockView, ...] = ()
    """Stage blocks that count for nothing (an unknown stage name, or a stage repeated): only their statuses."""
    lines: LineLookup = dataclasses.field(default=no_lines, compare=False, repr=False)

    def line(self, where: Where) -> int | None:
        """The line of a part of the file (a block's or gate's ``where``)."""
        return self.lines(where)

    def stage(self, stage: Stage) -> BlockView | None:
        return next((block for block in self.stages if block.stage is stage), None)

    def blocks(self) -> tuple[BlockView, ...]:
        """The stages, then the decommission block."""
        return self.stages + ((self.decommission,) if self.decommission is not None else ())

    @property
    def unreadable_status(self) -> bool:
        """Some status cannot be read (or belongs to a stage that cannot): the system may have started."""
        return any(block.status is None for block in self.blocks()) or any(
            block.status is not StageStatus.PENDING for block in self.unnamed
        )

    def progress(self) -> Progress:
        """The projection every reader of progress uses: statuses, business callers, decommission, wave, dates."""
        business = self.stage(Stage.BUSINESS)
        decommission = self.decommission
        return Progress(
            statuses={b.stage: b.status for b in self.stages if b.stage is not None and b.status is not None},
            business_callers=business.callers or () if business is not None else (),
            decommission=(decommission.status or StageStatus.PENDING) if decommission is not None else None,
            wave=self.wave,
            wave_start=self.wave_start,
            wave_end=self.wave_end,
            unreadable=self.unreadable_status,
        )


@dataclasses.dataclass(frozen=True)
class ParsedPlan:
    """One plan document read: its view (None when it names no system) and its problems."""

    view: PlanView | None
    problems: tuple[PlanProblem, ...]


def parse_plan(
    data: Any,
    *,
    path: str,
    file_name: str,
    lines: LineLookup = no_lines,
    inventory: model.Inventory | None = None,
) -> ParsedPlan:
    """Read one plan document (``data`` as the YAML edge parsed it) into its view and problems.

    ``path`` is the file as problems show it, ``file_name`` its name (``MZJ-001.yaml``, checked against
    ``system``), ``lines`` finds a key path's line in the file's text. With ``inventory`` every rule of
    :mod:`~govcloud.planning.core.plan_checks` is checked too (what ``plan --check`` and provisioning need);
    without it only what stops the reading is reported (reports and re-planning take what they can).
    """

    def problem(kind: ProblemKind, where: Where, message: str) -> PlanProblem:
        return PlanProblem(kind, path, lines(where), field_of(where), message)

    view = _view(data, path=path, lines=lines)
    found: list[PlanProblem] = []
    if inventory is not None:
        kind = ProblemKind.RULE if view is not None else ProblemKind.NOT_A_PLAN
        for finding in plan_checks.check_plan(data, file_name=file_name, inventory=inventory):
            found.append(problem(kind, finding.where, finding.message))
    elif view is None:
        where: Where = () if not isinstance(data, dict) else ("system",)
        message = (
            "a plan file is a mapping with system: CODE"
            if not isinstance(data, dict)
            else "a plan file names its system (system: CODE)"
        )
        found.append(problem(ProblemKind.NOT_A_PLAN, where, message))
    return ParsedPlan(view, tuple(found))


def unreadable(path: str, line: int | None, message: str) -> ParsedPlan:
    """A file that could not be read at all (not UTF-8, not YAML): no view, one problem."""
    return ParsedPlan(None, (PlanProblem(ProblemKind.UNREADABLE, path, line, "", message),))


def _view(data: Any, *, path: str, lines: LineLookup) -> PlanView | None:
    if not isinstance(data, dict) or not isinstance(data.get("system"), str):
        return None
    raw_stages = data.get("stages")
    blocks: list[BlockView] = []
    unnamed: list[BlockView] = []
    seen: set[Stage] = set()
    for index, raw in enumerate(raw_stages if isinstance(raw_stages, list) else ()):
        if not isinstance(raw, dict):
            continue
        stage = _enum(Stage, raw.get("stage"))
        if stage is None or stage in seen:
            unnamed.append(_block(raw, ("stages", index), None, plan_checks.STAGE_KEYS, end_key="target_end"))
            continue
        seen.add(stage)
        blocks.append(_block(raw, ("stages", index), stage, plan_checks.STAGE_KEYS, end_key="target_end"))
    decommission = data.get("decommission")
    wave = data.get("wave")
    disposition = data.get("disposition")
    kind = data.get("kind", plan_checks.kind_of(data))
    return PlanView(
        path=path,
        system=data["system"],
        kind=_enum(plans.PlanKind, kind),
        name=data["name"] if isinstance(data.get("name"), str) else None,
        department=data["department"] if isinstance(data.get("department"), str) else None,
        disposition=_enum(model.Disposition, disposition) if disposition is not None else None,
        wave=wave if isinstance(wave, int) and not isinstance(wave, bool) else None,
        wave_start=_date(data.get("wave_start")),
        wave_end=_date(data.get("wave_end")),
        owner=_owner(data.get("owner")),
        stages=tuple(blocks),
        decommission=(
            _block(decommission, ("decommission",), None, plan_checks.DECOMMISSION_KEYS, end_key="target_date")
            if isinstance(decommission, dict)
            else None
        ),
        unnamed=tuple(unnamed),
        lines=lines,
    )


def _block(
    raw: Mapping[Any, Any], where: Where, stage: Stage | None, known: Sequence[str], *, end_key: str
) -> BlockView:
    callers = raw.get("callers")
    return BlockView(
        where=where,
        stage=stage,
        status=_status(raw, known),
        target_start=_date(raw.get("target_start")),
        target_end=_date(raw.get(end_key)),
        callers=tuple(str(c) for c in callers) if stage is Stage.BUSINESS and isinstance(callers, list) else None,
        raw=raw,
    )


def _status(block: Mapping[Any, Any], known: Sequence[str]) -> StageStatus | None:
    """The block's status, or None when it cannot be trusted to read as it does (invalid, or likely misspelt)."""
    if "status" in block:
        status: StageStatus | None = _enum(StageStatus, block["status"])
        return status
    if any(key not in known for key in block):
        return None
    return StageStatus.PENDING


def _gates(value: Any, where: Where) -> tuple[GateView, ...]:
    return tuple(GateView((*where, index), raw) for index, raw in enumerate(value if isinstance(value, list) else ()))


def _steps(value: Any, where: Where) -> tuple[StepView, ...]:
    found = []
    for index, raw in enumerate(value if isinstance(value, list) else ()):
        if not isinstance(raw, dict):
            continue
        objects = raw.get("objects")
        found.append(
            StepView(
                (*where, index),
                raw["do"] if isinstance(raw.get("do"), str) else None,
                raw["run"] if isinstance(raw.get("run"), str) else None,
                tuple(o for o in objects if isinstance(o, str)) if isinstance(objects, list) else (),
            )
        )
    return tuple(found)


def _owner(value: Any) -> plans.Owner | None:
    if not isinstance(value, dict):
        return None
    # what can be read of it: its text fields (a phone written as a bare number is not text; plan --check says so)
    fields = {k: v for k, v in value.items() if k in plan_checks.OWNER_KEYS and isinstance(v, str)}
    try:
        return plans.Owner.model_validate(fields)
    except (pydantic.ValidationError, ValueError, TypeError):
        return None


def _enum(cls: Any, value: Any) -> Any:
    try:
        return cls(str(value))
    except ValueError:
        return None


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def progress_of(views: Mapping[str, PlanView]) -> dict[str, Progress]:
    """System code → its progress, the views' projection."""
    return {code: view.progress() for code, view in views.items()}


# ---------------------------------------------------------------------------------------------------------
# Gates of started stages


@dataclasses.dataclass(frozen=True)
class UnmetGate:
    """A gate that does not hold although its stage has started (entry gate) or finished (exit gate)."""

    system: str
    file: str
    field: str
    stage: str
    status: str
    gate: plans.Gate
    evidence: str

    def render(self) -> str:
        which = "entry" if ".entry_gates." in self.field else "exit"
        return (
            f"{self.system} {self.stage} is {self.status} but its {which} gate "
            f"'{self.gate.describe()}' does not hold: {self.evidence}"
        )


@dataclasses.dataclass(frozen=True)
class GateAdvice:
    """Gates of started stages that do not hold (advice), and gates that could not be read (problems)."""

    unmet: tuple[UnmetGate, ...]
    problems: tuple[PlanProblem, ...]


def unmet_gates(
    views: Sequence[PlanView], inventory: model.Inventory, progress: ProgressMap | None = None
) -> GateAdvice:
    """Entry gates of stages in progress or done (and of started decommissions), exit gates of stages done.

    ``progress`` is what the gates read (the views' projection when not given). A gate that cannot be read is
    a :attr:`ProblemKind.GATE` problem, never skipped: whether it holds is unknown.
    """
    tracking = progress if progress is not None else progress_of({v.system: v for v in views})
    dependents = plans.Dependents.of_inventory(inventory)
    unmet: list[UnmetGate] = []
    problems: list[PlanProblem] = []
    for view in views:
        for block in view.blocks():
            if block.status is None or block.status is StageStatus.PENDING:
                continue
            gates = block.entry_gates + (block.exit_gates if block.status is StageStatus.DONE else ())
            for item in gates:
                field = field_of(item.where)
                if item.gate is None:
                    problems.append(
                        PlanProblem(
                            ProblemKind.GATE,
                            view.path,
                            view.line(item.where),
                            field,
                            f"{view.system} {block.name} is {block.status.value} but this gate cannot be read: "
                            "whether it holds is unknown (govcloud plan --check says why)",
                        )
                    )
                    continue
                passed, evidence = plans.evaluate_gate(item.gate, inventory, tracking, dependents=dependents)
                if not passed:
                    unmet.append(
                        UnmetGate(view.system, view.path, field, block.name, block.status.value, item.gate, evidence)
                    )
    return GateAdvice(tuple(unmet), tuple(problems))
