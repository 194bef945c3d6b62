"""The use cases of assessing and planning: assess, plan, write plans, check plans, report. Application layer.

Each takes a :class:`~govcloud.app.workspace.Workspace` (what to read) and returns a typed result (what was
computed or written); the CLI prints it, ``run`` chains them. Re-planning never reshuffles a wave that has
started: :func:`plan` freezes every wave the baseline records or the plan files show as started.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

from govcloud import collector
from govcloud.app.workspace import Workspace
from govcloud.assessment.core import assess as assessing
from govcloud.assessment.core.assessment import Assessment, AssessmentCounts, Confirmation, count_assessment
from govcloud.core import model
from govcloud.core.settings import Settings
from govcloud.edges import inventory_files
from govcloud.errors import Problem
from govcloud.orchestration.core import status, transitions
from govcloud.orchestration.edges import advance as advancing
from govcloud.orchestration.edges import status_cache, store
from govcloud.planning.core import baseline as baselines
from govcloud.planning.core import consolidation, plan_view, plans, stages, waves
from govcloud.planning.edges import baseline_file, department_plan_files, plan_files, plan_progress, result_cache
from govcloud.reporting.core import figures as reports

# ---------------------------------------------------------------------------------------------------------
# whole results, cached

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class _Slot:
    """Where one command's result is cached, and the key of this run's inputs."""

    cache: result_cache.ResultCache
    command: str
    key: str

    def get(self) -> object | None:
        return self.cache.get(self.command, self.key)

    def put(self, value: object) -> None:
        self.cache.put(self.command, self.key, value)


def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day is not None else "-"


def _inputs_key(workspace: Workspace, command: str, options: Sequence[str]) -> str | None:
    """The key of ``command``'s result on this workspace's inputs (None: do not cache).

    Reads the digests only (the inventory's ``inputs_digest``, the plan files, settings and ledger), never the
    inventory's records.
    """
    parts = [
        command,
        *options,
        f"today={dt.date.today().isoformat()}",  # what "today" defaults to in every command below
        # problems show paths as given, relative to the working directory when below it
        f"shown={workspace.inventory_dir}\0{workspace.plans_dir}\0{os.getcwd()}",
        f"plans={result_cache.directory_digest(workspace.plans_dir)}",
        f"settings={result_cache.file_digest(workspace.inventory_dir / inventory_files.SETTINGS_FILE)}",
        f"ledger={result_cache.ledger_digest(workspace.ledger_path)}",
    ]
    return result_cache.result_key(workspace.loaded.inputs_digest, parts)


def _slot(workspace: Workspace, command: str, options: Sequence[str]) -> _Slot | None:
    cache = result_cache.ResultCache.open(workspace.inventory_dir, workspace.plans_dir)
    if cache is None:
        return None
    key = _inputs_key(workspace, command, options)
    return _Slot(cache, command, key) if key is not None else None


def strict_progress(workspace: Workspace) -> dict[str, stages.Progress]:
    """:attr:`Workspace.progress` (the strict read), from the result cache when no input changed since.

    Plans failing ``plan --check`` are an InputError, as the strict read makes them. Only a clean read is
    cached: plans with problems are read, and refused, every time.
    """
    slot = _slot(workspace, "progress", [])
    held = slot.get() if slot is not None else None
    if isinstance(held, dict):
        return held
    progress = plan_progress.load_progress(
        workspace.plans_dir, inventory=workspace.inventory, inventory_digest=workspace.loaded.inputs_digest
    )
    if slot is not None:
        slot.put(progress)
    return progress


# ---------------------------------------------------------------------------------------------------------
# assess


def assess_inventory(
    inventory: model.Inventory,
    settings: Settings,
    *,
    today: dt.date | None,
    confirmations: Mapping[str, Confirmation] | None = None,
) -> Assessment:
    """The assessment of every system; ``today`` None counts to the census date (reproducible).

    ``confirmations`` (system code → a lead's confirmation, e.g. read from the migration ledger) put the
    matching 下线/整合 proposals into effect; without them every proposal stays a proposal. The cyclic
    collector waits until it is done: the assessment builds no cycles, and a full collection in the middle
    of a province costs seconds.
    """
    with collector.paused():
        return assessing.assess_inventory(inventory, settings, today=today, confirmations=confirmations)


def counts(assessment: Assessment) -> AssessmentCounts:
    """The counts ``assess``, ``run`` and the report show (the one source: ``count_assessment``)."""
    return count_assessment(assessment)


def assess(workspace: Workspace, *, today: dt.date | None) -> Assessment:
    """``govcloud assess``: the workspace's inventory assessed with its settings and the ledger's confirmations."""
    return assess_inventory(workspace.inventory, workspace.settings, today=today, confirmations=workspace.confirmations)


def _assess_key(workspace: Workspace, command: str, options: Sequence[str]) -> str | None:
    """The key of what ``assess`` shows: everything it reads (not the plan files: it reads none)."""
    parts = [
        command,
        *options,
        f"today={result_cache.today().isoformat()}",
        f"shown={workspace.inventory_dir}\0{os.getcwd()}",
        f"settings={result_cache.file_digest(workspace.inventory_dir / inventory_files.SETTINGS_FILE)}",
        f"ledger={result_cache.ledger_digest(workspace.ledger_path)}",  # the leads' confirmations
    ]
    return result_cache.result_key(workspace.loaded.inputs_digest, parts)


def assess_shown(
    workspace: Workspace,
    *,
    today: dt.date | None,
    command: str,
    options: Sequence[str],
    kind: type[T],
    show: Callable[[Assessment], T],
) -> T:
    """``govcloud assess`` as ``show`` presents :func:`assess` (a text, a table's rows), from the result cache.

    ``command`` names the entry (one per output format), ``options`` are what else ``show`` depends on. The
    cache holds what ``show`` returned, so a hit prints byte for byte what the miss printed and reads no census
    record; an error ``show`` raises (an unknown ``--system``) is raised again on every run, never cached.
    """
    cache = result_cache.ResultCache.open(workspace.inventory_dir, workspace.plans_dir)
    key = _assess_key(workspace, command, [_iso(today), *options]) if cache is not None else None
    return result_cache.cached(cache, command, key, kind, lambda: show(assess(workspace, today=today)))


# ---------------------------------------------------------------------------------------------------------
# plan


@dataclasses.dataclass(frozen=True)
class Planned:
    """Everything ``plan`` computes, for the use cases that go on from it."""

    inventory: model.Inventory
    settings: Settings
    assessment: Assessment
    wave_plan: waves.WavePlan

    @property
    def dispositions(self) -> dict[str, model.Disposition]:
        return {code: a.decision.disposition for code, a in self.assessment.systems.items()}

    def system_plans(self) -> tuple[plans.SystemPlan, ...]:
        return plans.build_plans(self.inventory, self.assessment, self.wave_plan, self.settings)


def compute(
    inventory: model.Inventory,
    settings: Settings,
    *,
    today: dt.date | None,
    confirmations: Mapping[str, Confirmation] | None = None,
    freeze: waves.Freeze | None = None,
) -> Planned:
    """The assessment and the wave plan of ``inventory`` (waves in ``freeze`` kept as they are)."""
    assessment = assess_inventory(inventory, settings, today=today, confirmations=confirmations)
    return plan_assessed(inventory, settings, assessment, freeze=freeze)


def plan_assessed(
    inventory: model.Inventory, settings: Settings, assessment: Assessment, *, freeze: waves.Freeze | None
) -> Planned:
    """The wave plan of an assessment already made (``run`` shows the assessment before planning)."""
    return Planned(
        inventory, settings, assessment, waves.plan_waves(inventory, assessment, settings.waves, freeze=freeze)
    )


def frozen_waves(
    plans_dir: Path,
    settings: Settings,
    *,
    today: dt.date,
    files: Sequence[plan_progress.PlanFile] | None = None,
) -> waves.Freeze:
    """The waves re-planning must not touch: the baseline's, and every wave the plan files show as started.

    The plan files are read leniently (``plan --check`` reports their problems); the baseline strictly, since
    a misread baseline would un-freeze started waves. ``files``: the plan files already read.
    """
    recorded = baseline_file.load_baseline(plans_dir)
    tracking = plan_progress.read_plans(plans_dir, files=files).lenient().progress
    detected = baselines.detect_started_waves(tracking, today=today, settings=settings.waves)
    return baselines.freeze_of(recorded, detected)


def plan(
    workspace: Workspace,
    *,
    today: dt.date | None,
    started_by: dt.date,
    files: Sequence[plan_progress.PlanFile] | None = None,
) -> Planned:
    """``govcloud plan``: assess, then plan the waves with every started wave (by ``started_by``) frozen.

    ``files``: the plan files already read (:func:`plan_and_write` reads them once for both steps).
    """
    freeze = frozen_waves(workspace.plans_dir, workspace.settings, today=started_by, files=files)
    return compute(
        workspace.inventory,
        workspace.settings,
        today=today,
        freeze=freeze,
        confirmations=workspace.confirmations,
    )


def kept_files(wave_plan: waves.WavePlan) -> set[str]:
    """Systems of frozen waves the new plan would take out of the waves: their plan files are left as they are."""
    return {item.system for item in wave_plan.held_back if item.kept_in and item.would_be is None}


def plans_to_write(planned: Planned) -> tuple[plans.SystemPlan, ...]:
    keep = kept_files(planned.wave_plan)
    return tuple(plan for plan in planned.system_plans() if plan.system not in keep)


@dataclasses.dataclass(frozen=True)
class BaselineRecord:
    """``plan baseline``: the baseline after freezing every started wave, what changed, and whether it was written.

    Nothing is written when no wave has started (``baseline.waves`` empty).
    """

    baseline: baselines.Baseline
    changes: tuple[baselines.BaselineChange, ...]
    path: Path
    written: bool


def record_baseline(workspace: Workspace, *, today: dt.date) -> BaselineRecord:
    """Freeze the waves started by ``today`` into ``baseline.yaml``; plans failing ``plan --check`` are refused."""
    workspace.load_inventory()  # every census problem first
    settings = workspace.settings
    tracking = plan_progress.load_progress(workspace.plans_dir, inventory=workspace.inventory)
    recorded = baseline_file.load_baseline(workspace.plans_dir)
    detected = baselines.detect_started_waves(tracking, today=today, settings=settings.waves)
    baseline, changes = baselines.update_baseline(recorded, detected, tracking, today=today)
    path = baseline_file.baseline_path(workspace.plans_dir)
    written = bool(baseline.waves) and baseline_file.write_baseline(workspace.plans_dir, baseline)
    return BaselineRecord(baseline, changes, path, written)


# ---------------------------------------------------------------------------------------------------------
# write plans


@dataclasses.dataclass(frozen=True)
class WrittenPlans:
    """What ``plan --write`` (and ``run``) wrote: the system plans and the department plans."""

    systems: plan_files.WriteReport
    departments: department_plan_files.DepartmentWriteReport


def departments_dir(plans_dir: Path) -> Path:
    """Where the department plans (业务专网 consolidation) are written."""
    return plans_dir / department_plan_files.DEPARTMENTS_DIR


def write_department_plans(
    planned: Planned, plans_dir: Path, *, tracking: stages.ProgressMap | None = None
) -> department_plan_files.DepartmentWriteReport:
    """The department plans (业务专网 consolidation) for the statuses the system plans now record.

    ``tracking``: those statuses, when the system plans were just written (read from the files otherwise).
    """
    department_plans = department_plan_files.plans_for(
        planned.inventory, planned.wave_plan, plans_dir, planned.settings, tracking=tracking
    )
    return department_plan_files.write_department_plans(plans_dir, department_plans)


def write_plans(
    planned: Planned, plans_dir: Path, *, files: dict[Path, plan_progress.PlanFile] | None = None
) -> WrittenPlans:
    """Write or update every plan file, keeping human edits, then the department plans that follow from them.

    ``files``: the plan files by path as read before planning (so the write does not parse them again);
    consumed by the write.
    """
    systems = plan_files.write_plans(
        plans_dir,
        plans_to_write(planned),
        inventory=planned.inventory,
        keep=kept_files(planned.wave_plan),
        files=files,
    )
    return WrittenPlans(systems, write_department_plans(planned, plans_dir, tracking=systems.tracking))


def plan_and_write(workspace: Workspace, *, today: dt.date | None, started_by: dt.date) -> tuple[Planned, WrittenPlans]:
    """``plan --write``: plan, then write, parsing every plan file once for both (a province has 20,000).

    The parsed files are dropped once written: they are stale from then on.
    """
    files = plan_progress.read_plan_files(workspace.plans_dir)
    planned = plan(workspace, today=today, started_by=started_by, files=files)
    by_path = {plan_file.path: plan_file for plan_file in files}
    del files  # the write consumes by_path, freeing each file's data once it is handled
    written = write_plans(planned, workspace.plans_dir, files=by_path)
    return planned, written


@dataclasses.dataclass(frozen=True)
class PlanShown:
    """What ``plan`` shows of a plan: the wave plan, how many systems the census has, each waved system's department.

    Small enough to cache whole (no inventory in it), so a repeated ``plan`` reads no census record.
    """

    wave_plan: waves.WavePlan
    systems: int
    departments: Mapping[str, str]
    """Code of every system in a wave → its department."""


def shown(planned: Planned) -> PlanShown:
    by_code = planned.inventory.system_by_code
    departments = {code: by_code[code].department for wave in planned.wave_plan.waves for code in wave.systems}
    return PlanShown(planned.wave_plan, len(planned.inventory.systems), departments)


def plan_shown(workspace: Workspace, *, today: dt.date | None, started_by: dt.date) -> PlanShown:
    """``govcloud plan``: :func:`plan` as shown, from the result cache when no input changed since it was made."""
    slot = _slot(workspace, "plan", [_iso(today), started_by.isoformat()])
    held = slot.get() if slot is not None else None
    if isinstance(held, PlanShown):
        return held
    result = shown(plan(workspace, today=today, started_by=started_by))
    if slot is not None:
        slot.put(result)
    return result


def plan_and_write_shown(
    workspace: Workspace, *, today: dt.date | None, started_by: dt.date
) -> tuple[PlanShown, WrittenPlans]:
    """``plan --write`` as shown: an unchanged write (nothing to write) is answered from the result cache.

    A write is cached only when it changed no file (the plan directory's digest the same before and after):
    the next run on the same inputs would change none either, and report the same.
    """
    slot = _slot(workspace, "plan --write", [_iso(today), started_by.isoformat()])
    held = slot.get() if slot is not None else None
    if isinstance(held, tuple) and len(held) == 2 and isinstance(held[0], PlanShown):
        return held[0], held[1]
    planned, written = plan_and_write(workspace, today=today, started_by=started_by)
    written = WrittenPlans(dataclasses.replace(written.systems, tracking={}), written.departments)
    result = (shown(planned), written)
    del planned
    if slot is not None and _inputs_key(workspace, slot.command, [_iso(today), started_by.isoformat()]) == slot.key:
        slot.put(result)
    return result


# ---------------------------------------------------------------------------------------------------------
# plan check


@dataclasses.dataclass(frozen=True)
class PlanCheck:
    """``plan --check``: every problem of the plan files (system and department plans, against the ledger).

    ``ledger_verdict`` says whether the statuses are ledger-backed; ``plans`` are the plan files as read for
    the check (their views give the progress and the gate advice without reading them again).
    """

    problems: tuple[Problem, ...]
    ledger_verdict: str
    plans: plan_progress.PlanSet | None = None

    @property
    def files(self) -> tuple[plan_progress.PlanFile, ...]:
        return self.plans.files if self.plans is not None else ()


def check_plans(workspace: Workspace, *, reread: bool = False) -> PlanCheck:
    """Every problem of the plan files; ``reread`` after a write (the workspace's parsed files are stale then)."""
    del reread  # the plan files are read here, through the plan cache: never stale
    plan_set = plan_progress.read_plans(
        workspace.plans_dir, inventory=workspace.inventory, inventory_digest=workspace.loaded.inputs_digest
    )
    problems = plan_set.check()
    problems += department_plan_files.check_department_plans(workspace.plans_dir, workspace.inventory)
    # the same ledger every other command finds: $GOVCLOUD_LEDGER, else orchestration.ledger in settings
    ledger_problems, verdict = advancing.ledger_backed_problems(workspace.plans_dir, workspace.ledger_path)
    return PlanCheck(tuple(problems) + tuple(ledger_problems), verdict, plan_set)


def check_plan_files(workspace: Workspace) -> list[Problem]:
    """The plan files' own problems, as ``run`` checks them after writing (the ledger is not consulted)."""
    problems = plan_progress.check_plans(workspace.plans_dir, workspace.inventory)
    return problems + department_plan_files.check_department_plans(workspace.plans_dir, workspace.inventory)


@dataclasses.dataclass(frozen=True)
class UnbaselinedWaves:
    """Waves that have started since the last baseline: frozen anyway, shown so the baseline gets updated."""

    waves: tuple[baselines.FrozenWave, ...]


def unbaselined_waves(workspace: Workspace, progress: stages.ProgressMap, *, today: dt.date) -> UnbaselinedWaves:
    recorded = baseline_file.load_baseline(workspace.plans_dir)
    detected = baselines.detect_started_waves(progress, today=today, settings=workspace.settings.waves)
    return UnbaselinedWaves(
        tuple(wave for number, wave in detected.items() if recorded is None or number not in recorded.waves)
    )


def unmet_gates(workspace: Workspace, *, plans: plan_progress.PlanSet | None = None) -> plan_view.GateAdvice:
    """Gates of started stages that do not hold yet (advice, they do not fail the check), and unreadable gates.

    ``plans``: the plan files already read for the check (read again when not given, e.g. after a write).
    """
    plan_set = plans if plans is not None else plan_progress.read_plans(workspace.plans_dir)
    return plan_set.unmet_gates(workspace.inventory)


@dataclasses.dataclass(frozen=True)
class CheckShown:
    """What ``plan --check`` shows: the problems, the ledger verdict and how many plan files were read.

    When there is no problem, also the waves started since the baseline and the gates of started stages that
    do not hold yet (advice).
    """

    problems: tuple[Problem, ...]
    ledger_verdict: str
    files: int
    unbaselined: UnbaselinedWaves
    advice: plan_view.GateAdvice


def check_shown(workspace: Workspace, *, started_by: dt.date) -> CheckShown:
    """``govcloud plan --check``, from the result cache when no input changed since it was made."""
    slot = _slot(workspace, "plan --check", [started_by.isoformat()])
    held = slot.get() if slot is not None else None
    if isinstance(held, CheckShown):
        return held
    checked = check_plans(workspace)  # the plan files parsed once for the check and the advice
    if checked.problems:
        result = CheckShown(
            checked.problems,
            checked.ledger_verdict,
            len(checked.files),
            UnbaselinedWaves(()),
            plan_view.GateAdvice((), ()),
        )
    else:
        progress = checked.plans.lenient().progress if checked.plans is not None else {}
        result = CheckShown(
            (),
            checked.ledger_verdict,
            len(checked.files),
            unbaselined_waves(workspace, progress, today=started_by),
            unmet_gates(workspace, plans=checked.plans),
        )
    if slot is not None:
        slot.put(result)
    return result


# ---------------------------------------------------------------------------------------------------------
# report


def build_report(
    planned: Planned, plans_dir: Path, *, today: dt.date | None, ledger: Path | None = None
) -> reports.Report:
    """The programme's figures and what the counts hide, with the progress section from the ledger."""
    tracking = plan_progress.load_progress_leniently(plans_dir)
    day = today or dt.date.today()
    networks = consolidation.consolidation(
        planned.inventory, planned.wave_plan, tracking, department_plan_files.load_network_statuses(plans_dir)
    )
    report = reports.compute_report(
        planned.inventory,
        planned.dispositions,
        planned.wave_plan,
        tracking,
        today=day,
        assessment_counts=count_assessment(planned.assessment),
        networks=networks,
    )
    return dataclasses.replace(report, progress=report_progress(plans_dir, ledger, day))


def report_progress(plans_dir: Path, ledger: Path | None, today: dt.date) -> reports.Progress:
    """The report's progress section: the ledger's states over the plan files (the plan files alone without one)."""
    path = ledger if ledger is not None else Path(Settings().orchestration.ledger)
    states: dict[transitions.StageKey, transitions.StageState] = {}
    if path.exists():
        with store.open_ledger(path, create=False) as opened:
            states = opened.states()
    rows = status.build_rows(status_cache.read_plan_facts(plans_dir), states, today=today)
    source = f"from the ledger {path}" if path.exists() else "from the plan files: not yet ledger-backed"
    return reports.compute_progress(rows, today=today, ledger_backed=path.exists(), source=source)


def report(workspace: Workspace, *, today: dt.date | None) -> reports.Report:
    """``govcloud report``: plan (nothing frozen: a report shows the plan as computed) and report it.

    From the result cache when no input changed since it was made.
    """
    slot = _slot(workspace, "report", [_iso(today)])
    held = slot.get() if slot is not None else None
    if isinstance(held, reports.Report):
        return held
    planned = compute(workspace.inventory, workspace.settings, today=today, confirmations=workspace.confirmations)
    result = build_report(planned, workspace.plans_dir, today=today, ledger=workspace.ledger_path)
    if slot is not None:
        slot.put(result)
    return result
