"""``govcloud plan`` (and ``plan baseline``), ``govcloud report`` and ``govcloud run`` (check → assess → plan → report).

Edge. The commands load, call the core by keyword and render; the waves come from
:mod:`govcloud.planning.core.waves`, the staged plans from :mod:`govcloud.planning.core.plans`, the plan files
from :mod:`govcloud.planning.edges.plan_files`, the frozen waves from :mod:`govcloud.planning.core.baseline`
and the report from :mod:`govcloud.reporting` (figures in its core, renderings in its edges).

Re-planning never reshuffles a wave that has started: ``plan`` (and ``plan --write``, ``run``) freeze every
wave the baseline records or the plan files show as started, and report what the freeze held back.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import pydantic
import rich.markup
import rich.table
import typer

from govcloud import collector
from govcloud.assessment.core import assess as assessing
from govcloud.assessment.core.assessment import Assessment, Confirmation, count_assessment
from govcloud.cli import common, ledger_commands
from govcloud.core import model
from govcloud.core.settings import Settings
from govcloud.edges import settings_file, yamlio
from govcloud.errors import InputError, Problem
from govcloud.orchestration.core import status, transitions
from govcloud.orchestration.edges import advance as advancing
from govcloud.orchestration.edges import confirmations, status_cache, store
from govcloud.planning.core import baseline as baselines
from govcloud.planning.core import consolidation, plans, waves
from govcloud.planning.edges import baseline_file, department_plan_files, plan_files, plan_progress
from govcloud.reporting.core import figures as reports
from govcloud.reporting.core.labels import Lang
from govcloud.reporting.edges import fonts, render

PlansOption = Annotated[Path, typer.Option("--plans", "-p", help="plan files directory", show_default=True)]
DEFAULT_PLANS = Path("migrations_plan")
DEFAULT_REPORTS = Path("reports")
TodayOption = Annotated[
    dt.datetime | None,
    typer.Option(
        "--today",
        formats=["%Y-%m-%d"],
        help="the day the assessment counts from (default: the census date) and that decides which waves have "
        "started (default: today)",
    ),
]
_LIST_LIMIT = 20

T = TypeVar("T")
P = ParamSpec("P")
R = TypeVar("R")


class PlanFormat(enum.StrEnum):
    TABLE = "table"
    JSON = "json"


class ReportFormat(enum.StrEnum):
    MARKDOWN = "markdown"
    HTML = "html"
    JSON = "json"
    TABLE = "table"


LangOption = Annotated[Lang | None, typer.Option("--lang", help="language of the labels (default: reports.language)")]


def register(app: typer.Typer) -> None:
    plan_app = typer.Typer(no_args_is_help=False)
    plan_app.callback(invoke_without_command=True)(plan_command)
    plan_app.command("baseline")(baseline_command)
    app.add_typer(plan_app, name="plan")
    app.command("report")(report_command)
    app.command("run")(run_command)


# ---------------------------------------------------------------------------------------------------------
# The pieces every command shares


def load_settings(root: Path) -> Settings:
    """``inventory/settings.yaml`` (defaults when absent); problems with their lines."""
    return settings_file.load_settings(root)


def assess(
    inventory: model.Inventory,
    settings: Settings,
    *,
    today: dt.date | None,
    confirmations: Mapping[str, Confirmation] | None = None,
) -> Assessment:
    """The assessment of every system; ``today`` None counts to the census date (reproducible).

    ``confirmations`` (system code → a lead's confirmation, e.g. read from the migration ledger) put the
    matching 下线/整合 proposals into effect; without them every proposal stays a proposal.
    """
    return assessing.assess_inventory(inventory, settings, today=today, confirmations=confirmations)


@dataclasses.dataclass(frozen=True)
class Planned:
    """Everything ``plan`` computes, for the commands that go on from it."""

    inventory: model.Inventory
    settings: Settings
    assessment: Assessment
    wave_plan: waves.WavePlan

    @property
    def dispositions(self) -> dict[str, model.Disposition]:
        return {code: a.decision.disposition for code, a in self.assessment.systems.items()}

    def system_plans(self) -> tuple[plans.SystemPlan, ...]:
        return plans.build_plans(self.inventory, self.assessment, self.wave_plan, self.settings)


def ledger_confirmations(inventory: Path, ledger: Path | None) -> dict[str, Confirmation]:
    """The leads' confirmations of 下线/整合 proposals recorded in the migration ledger (none without one)."""
    return confirmations.read_confirmations(ledger_commands.ledger_path(inventory, ledger))


def compute(
    inventory: model.Inventory,
    settings: Settings,
    *,
    today: dt.date | None,
    confirmations: Mapping[str, Confirmation] | None = None,
    freeze: waves.Freeze | None = None,
) -> Planned:
    assessment = assess(inventory, settings, today=today, confirmations=confirmations)
    wave_plan = waves.plan_waves(inventory, assessment, settings.waves, freeze=freeze)
    return Planned(inventory, settings, assessment, wave_plan)


def _day(today: dt.datetime | None) -> dt.date | None:
    return today.date() if today is not None else None


def frozen_waves(plans_dir: Path, settings: Settings, *, today: dt.date) -> waves.Freeze:
    """The waves re-planning must not touch: the baseline's, and every wave the plan files show as started.

    The plan files are read leniently (``plan --check`` reports their problems); the baseline strictly, since
    a misread baseline would un-freeze started waves.
    """
    recorded = baseline_file.load_baseline(plans_dir)
    tracking = plan_files.load_tracking(plans_dir)
    detected = baselines.detect_started_waves(tracking, today=today, settings=settings.waves)
    return baselines.freeze_of(recorded, detected)


def kept_files(wave_plan: waves.WavePlan) -> set[str]:
    """Systems of frozen waves the new plan would take out of the waves: their plan files are left as they are."""
    return {item.system for item in wave_plan.held_back if item.kept_in and item.would_be is None}


def plans_to_write(planned: Planned) -> tuple[plans.SystemPlan, ...]:
    keep = kept_files(planned.wave_plan)
    return tuple(plan for plan in planned.system_plans() if plan.system not in keep)


# ---------------------------------------------------------------------------------------------------------
# govcloud plan


@common.guarded
@collector.paused()
def plan_command(
    ctx: typer.Context,
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
    plans_dir: PlansOption = DEFAULT_PLANS,
    write: Annotated[bool, typer.Option("--write", help="write or update the plan files, keeping your edits")] = False,
    check: Annotated[
        bool, typer.Option("--check", help="validate the plan files; exit 1 with file:line errors")
    ] = False,
    output: Annotated[PlanFormat, typer.Option("--format", help="output format")] = PlanFormat.TABLE,
    today: TodayOption = None,
) -> None:
    """Dependency graph, waves and decommissions; --write writes migrations_plan/, --check validates it.

    Waves that have started stay as they are (see `govcloud plan baseline`); what that held back is listed.
    """
    if ctx.invoked_subcommand is not None:
        return
    loaded = common.load_inventory(inventory, quiet=output is PlanFormat.JSON)
    if check and not write:
        files = plan_progress.read_plan_files(plans_dir)  # parsed once for the check and the advice
        problems = plan_files.check_plans(plans_dir, loaded.inventory, files=files)
        problems += department_plan_files.check_department_plans(plans_dir, loaded.inventory)
        ledger_problems, ledger_verdict = _ledger_check(inventory, plans_dir)
        problems += ledger_problems
        if problems:
            raise InputError(problems, "the plan files have problems")
        _say(output, f"[green]ok[/]: {plans_dir}: {len(files)} plan files match the inventory")
        _say(output, ledger_verdict)
        tracking = plan_progress.tracking_map(files)
        _show_unbaselined(plans_dir, load_settings(inventory), tracking, today=_started_by(today), output=output)
        _show_unmet(plans_dir, loaded.inventory, output, files=files)
        return
    settings = load_settings(inventory)
    freeze = frozen_waves(plans_dir, settings, today=_started_by(today))
    planned = compute(
        loaded.inventory,
        settings,
        today=_day(today),
        freeze=freeze,
        confirmations=ledger_confirmations(inventory, None),
    )
    payload: dict[str, Any] = {}
    if output is PlanFormat.JSON:
        payload["plan"] = wave_plan_json(planned.wave_plan)
    else:
        show_wave_plan(planned.wave_plan, planned.inventory)
        show_freeze(planned.wave_plan, written=write)
    if write:
        report = plan_files.write_plans(
            plans_dir, plans_to_write(planned), inventory=planned.inventory, keep=kept_files(planned.wave_plan)
        )
        departments = write_department_plans(planned, plans_dir)
        if output is PlanFormat.JSON:
            payload["write"] = _plain(report)
            payload["write_departments"] = _plain(departments)
        else:
            show_write_report(report, plans_dir)
            show_department_report(departments, plans_dir)
    problems = plan_files.check_plans(plans_dir, planned.inventory) if check else []
    ledger_verdict = ""
    if check:
        problems += department_plan_files.check_department_plans(plans_dir, planned.inventory)
        ledger_problems, ledger_verdict = _ledger_check(inventory, plans_dir)
        problems += ledger_problems
    if output is PlanFormat.JSON:
        if check:
            payload["check"] = [p.render() for p in problems]
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=1))
    if problems:
        raise InputError(problems, "the plan files have problems")
    if check:
        _say(output, f"[green]ok[/]: {plans_dir}: the plan files match the inventory")
        _say(output, ledger_verdict)
        _show_unmet(plans_dir, planned.inventory, output)


def _ledger_check(inventory: Path, plans_dir: Path) -> tuple[list[Problem], str]:
    """Plan statuses that disagree with the migration ledger (the truth), and whether they are ledger-backed."""
    # the same ledger every other command finds: $GOVCLOUD_LEDGER, else orchestration.ledger in settings
    return advancing.ledger_backed_problems(plans_dir, ledger_commands.ledger_path(inventory, None))


def write_department_plans(planned: Planned, plans_dir: Path) -> department_plan_files.DepartmentWriteReport:
    """The department plans (业务专网 consolidation) for the statuses the system plans now record."""
    department_plans = department_plan_files.plans_for(
        planned.inventory, planned.wave_plan, plans_dir, planned.settings
    )
    return department_plan_files.write_department_plans(plans_dir, department_plans)


def show_department_report(report: department_plan_files.DepartmentWriteReport, plans_dir: Path) -> None:
    console = common.console
    console.print(
        f"[green]wrote[/] {plans_dir / department_plan_files.DEPARTMENTS_DIR}: {len(report.created)} created, "
        f"{len(report.updated)} updated, {report.unchanged} unchanged department plans (业务专网)"
    )
    for conflict in report.conflicts:
        console.print(f"  kept: {conflict.render()}", markup=False)


@common.guarded
def baseline_command(
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
    plans_dir: PlansOption = DEFAULT_PLANS,
    today: TodayOption = None,
) -> None:
    """Freeze the waves that have started: record them in migrations_plan/baseline.yaml for review.

    A wave has started when its start date has passed or any of its systems has a stage that is not pending;
    it has finished when all its systems are done or retired. `plan --write` then never moves a system into or
    out of a frozen wave, and `plan --check` reports any plan file that disagrees with the baseline. Refuses
    plan files that fail `plan --check`, and writes nothing then.
    """
    loaded = common.load_inventory(inventory)
    settings = load_settings(inventory)
    day = _started_by(today)
    tracking = plan_progress.load_tracking(plans_dir, strict=True, inventory=loaded.inventory)
    recorded = baseline_file.load_baseline(plans_dir)
    detected = baselines.detect_started_waves(tracking, today=day, settings=settings.waves)
    baseline, changes = baselines.update_baseline(recorded, detected, tracking, today=day)
    path = baseline_file.baseline_path(plans_dir)
    if not baseline.waves:
        common.console.print(f"no wave has started by {day}: nothing to freeze; {path} not written")
        return
    written = baseline_file.write_baseline(plans_dir, baseline)
    table = rich.table.Table(title=f"Frozen waves ({path})", title_justify="left")
    for name in ("wave", "dates", "state", "systems", "change", "why"):
        table.add_column(name, justify="right" if name in {"wave", "systems"} else "left")
    for change in _clip(changes):
        if change is None:
            table.add_row("…", f"{len(changes) - 2 * (_LIST_LIMIT // 2)} more")
            continue
        wave = change.wave
        table.add_row(
            str(wave.number),
            f"{wave.start}..{wave.end}",
            wave.state.value,
            str(len(wave.systems)),
            change.change,
            rich.markup.escape(wave.why),
        )
    common.console.print(table)
    counts = Counter(change.change for change in changes)
    summary = ", ".join(f"{counts[c]} {c}" for c in ("new", "finished", "unchanged") if counts[c])
    verb = "[green]wrote[/]" if written else "[green]unchanged[/]"
    common.console.print(
        f"{verb} {path}: {len(baseline.waves)} frozen wave(s) ({summary}); review it and commit it with the plans"
    )


def _started_by(today: dt.datetime | None) -> dt.date:
    """The day that decides which waves have started: ``--today``, else the real today."""
    return today.date() if today is not None else dt.date.today()


def _show_unbaselined(
    plans_dir: Path, settings: Settings, tracking: plans.TrackingMap, *, today: dt.date, output: PlanFormat
) -> None:
    """Waves that have started since the last baseline: frozen anyway, shown so the baseline gets updated."""
    recorded = baseline_file.load_baseline(plans_dir)
    detected = baselines.detect_started_waves(tracking, today=today, settings=settings.waves)
    new = [wave for number, wave in detected.items() if recorded is None or number not in recorded.waves]
    if not new:
        return
    _say(
        output,
        f"[yellow]{len(new)} wave(s) started since the last baseline[/] (frozen anyway; `govcloud plan baseline` "
        "records them for review):",
    )
    console = common.err_console if output is PlanFormat.JSON else common.console
    for wave in new[:_LIST_LIMIT]:
        console.print(f"  wave {wave.number} ({wave.start}..{wave.end}): {wave.why}", markup=False, soft_wrap=True)
    if len(new) > _LIST_LIMIT:
        console.print(f"  … {len(new) - _LIST_LIMIT} more")


def show_freeze(wave_plan: waves.WavePlan, *, written: bool) -> None:
    """The frozen waves, and every system the freeze held back with what the free plan would have done."""
    freeze = wave_plan.freeze
    if not freeze:
        return
    console = common.console
    numbers = sorted(freeze.waves)
    shown = ", ".join(str(n) for n in numbers[:_LIST_LIMIT]) + (" …" if len(numbers) > _LIST_LIMIT else "")
    console.print(
        f"[bold]Frozen waves[/] ({len(numbers)}: {shown}): their systems stay, no other system joins them, "
        "their dates stay."
    )
    for number in numbers[:_LIST_LIMIT]:
        console.print(f"  wave {number}: {freeze.why.get(number, '')}", markup=False, soft_wrap=True)
    if wave_plan.held_back:
        verb = "held back" if written else "would be held back by --write"
        console.print(f"[yellow]{len(wave_plan.held_back)} system(s) {verb}[/] (the plan without the freeze differs):")
        for item in wave_plan.held_back[:_LIST_LIMIT]:
            console.print(f"  {item.render()}", markup=False, soft_wrap=True)
        if len(wave_plan.held_back) > _LIST_LIMIT:
            console.print(f"  … {len(wave_plan.held_back) - _LIST_LIMIT} more (--format json lists all)")
    for message in wave_plan.frozen_order[:_LIST_LIMIT]:
        console.print(f"  [yellow]order[/]: {message}", soft_wrap=True)


def _show_unmet(
    plans_dir: Path,
    inventory: model.Inventory,
    output: PlanFormat,
    *,
    files: Sequence[plan_progress.PlanFile] | None = None,
) -> None:
    """Gates of started stages that do not hold yet: shown as advice, they do not fail the check."""
    unmet = plan_files.unmet_gates(plans_dir, inventory, files=files)
    if not unmet:
        return
    _say(output, f"[yellow]{len(unmet)} gate(s) of started stages do not hold yet[/] (advice, not errors):")
    console = common.err_console if output is PlanFormat.JSON else common.console
    for item in unmet[:_LIST_LIMIT]:
        console.print(f"  {item.file}: {item.render()}", markup=False, soft_wrap=True)
    if len(unmet) > _LIST_LIMIT:
        console.print(f"  … {len(unmet) - _LIST_LIMIT} more")


def _say(output: PlanFormat, message: str) -> None:
    (common.err_console if output is PlanFormat.JSON else common.console).print(message, soft_wrap=True)


def wave_plan_json(wave_plan: waves.WavePlan) -> dict[str, Any]:
    return {
        "settings": wave_plan.settings.model_dump(mode="json"),
        "edges": wave_plan.edges,
        "waves": [
            {
                "number": w.number,
                "start": w.start.isoformat(),
                "end": w.end.isoformat(),
                "systems": list(w.systems),
                "cpu": w.cpu,
                "memory_gib": w.memory_gib,
            }
            for w in wave_plan.waves
        ],
        "placements": {
            code: {"wave": p.wave, "reasons": list(p.reasons), "providers": list(p.providers), "cycle": list(p.cycle)}
            for code, p in wave_plan.placements.items()
        },
        "cycles": [{"systems": list(c.systems), "path": list(c.path), "wave": c.wave} for c in wave_plan.cycles],
        "oversized": [_plain(o) for o in wave_plan.oversized],
        "freeze_deferrals": [_plain(d) for d in wave_plan.deferrals],
        "capacity_pushed": wave_plan.capacity_pushed,
        "decommissions": {code: _plain(d) for code, d in wave_plan.decommissions.items()},
        "held": [_plain(h) for h in wave_plan.held],
        "frozen_waves": {
            str(n): {"start": s.isoformat(), "end": e.isoformat(), "why": wave_plan.freeze.why.get(n, "")}
            for n, (s, e) in sorted(wave_plan.freeze.waves.items())
        }
        if wave_plan.freeze
        else {},
        "held_back": [{**_plain(h), "message": h.render()} for h in wave_plan.held_back],
        "frozen_order": list(wave_plan.frozen_order),
        "intranet_moves": {code: _plain(m) for code, m in wave_plan.intranet_moves.items()},
    }


def show_wave_plan(wave_plan: waves.WavePlan, inventory: model.Inventory) -> None:
    console = common.console
    settings = wave_plan.settings
    moving = len(wave_plan.placements)
    span = f", {wave_plan.waves[0].start} to {wave_plan.waves[-1].end}" if wave_plan.waves else ""
    console.print(
        f"[bold]{len(inventory.systems)} systems[/]: {moving} move in {len(wave_plan.waves)} waves{span}; "
        f"{len(wave_plan.decommissions)} decommissions; {len(wave_plan.held)} held. "
        f"Dependency graph: {wave_plan.edges} dependencies."
    )
    table = rich.table.Table(title="Waves", title_justify="left")
    for name in ("wave", "starts", "systems", "cores", "memory GiB", "most systems from"):
        table.add_column(name, justify="left" if name in {"starts", "most systems from"} else "right")
    systems = inventory.system_by_code
    for wave in _clip(wave_plan.waves):
        if wave is None:
            table.add_row("…", f"{len(wave_plan.waves) - 2 * (_LIST_LIMIT // 2)} more (--format json lists all)")
            continue
        departments = Counter(systems[c].department for c in wave.systems)
        table.add_row(
            str(wave.number),
            str(wave.start),
            f"{len(wave.systems)}/{settings.max_systems}",
            f"{wave.cpu:g} ({_percent(wave.cpu, settings.cpu)})",
            f"{wave.memory_gib:g} ({_percent(wave.memory_gib, settings.memory_gib)})",
            " ".join(f"{d}:{n}" for d, n in departments.most_common(3)),
        )
    console.print(table)
    console.print(
        f"A wave lasts {settings.length_days} days and holds {settings.max_systems} systems, {settings.cpu:g} cores, "
        f"{settings.memory_gib:g} GiB (settings.yaml: waves)."
    )
    if wave_plan.capacity_pushed:
        console.print(f"{wave_plan.capacity_pushed} systems went later than their providers allowed: waves were full.")
    if wave_plan.cycles:
        console.print("[bold]Dependency cycles[/] (each moves together, in one wave):")
        for cycle in wave_plan.cycles:
            console.print(f"  wave {cycle.wave}: {' → '.join(cycle.path)}")
    for oversized in wave_plan.oversized:
        console.print(
            f"[yellow]larger than a wave[/]: {', '.join(oversized.systems)} (wave {oversized.wave}): {oversized.reason}"
        )
    if wave_plan.deferrals:
        console.print("[bold]Freeze deferrals[/]:")
        for deferral in wave_plan.deferrals:
            window = deferral.window
            console.print(
                f"  {deferral.department} frozen {window.start}..{window.end} ({window.reason}): "
                f"{len(deferral.systems)} system(s) kept out of wave(s) {', '.join(map(str, deferral.skipped_waves))}"
            )
    if wave_plan.decommissions:
        console.print(
            f"[bold]Decommissions[/] ({len(wave_plan.decommissions)}): dependents re-pointed first, then shutdown"
        )
        items = list(wave_plan.decommissions.values())
        for item in items[:_LIST_LIMIT]:
            target = f"data to {item.merge_into}" if item.hands_over else "data archived"
            dependents = ", ".join(f"{d.system}→{d.target or 'dropped'}" for d in item.dependents[:4])
            more = f" and {len(item.dependents) - 4} more" if len(item.dependents) > 4 else ""
            console.print(
                f"  {item.system} {item.disposition.value}, {target}, shutdown {item.shutdown}: {item.reasons[0]}"
                + (f"; re-point {dependents}{more}" if dependents else ""),
                markup=False,
            )
        if len(items) > _LIST_LIMIT:
            console.print(f"  … {len(items) - _LIST_LIMIT} more (--format json lists all)")
    if wave_plan.intranet_moves:
        console.print(
            f"[bold]Onto the 电子政务内网[/] ({len(wave_plan.intranet_moves)} classified systems, never the cloud):"
        )
        for move in list(wave_plan.intranet_moves.values())[:_LIST_LIMIT]:
            console.print(
                f"  {move.system} leaves {move.leaves} for {move.zone or 'no intranet zone'}: {move.start}..{move.end}",
                markup=False,
            )
    if wave_plan.held:
        counts = Counter(h.disposition.value for h in wave_plan.held)
        console.print("[bold]Held[/] (no wave, no decommission): " + ", ".join(f"{d} {n}" for d, n in counts.items()))
        for held in wave_plan.held[:_LIST_LIMIT]:
            console.print(f"  {held.system} {held.disposition.value}: {'; '.join(held.reasons) or 'no reason given'}")
        if len(wave_plan.held) > _LIST_LIMIT:
            console.print(f"  … {len(wave_plan.held) - _LIST_LIMIT} more")


def show_write_report(report: plan_files.WriteReport, plans_dir: Path) -> None:
    console = common.console
    console.print(
        f"[green]wrote[/] {plans_dir}: {len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.replaced)} rewritten (kind changed), {report.unchanged} unchanged"
    )
    if report.conflicts:
        console.print(
            f"[yellow]{len(report.conflicts)} value(s) you changed were kept[/] (the generated value differs):"
        )
        for conflict in report.conflicts:
            console.print(f"  {conflict.render()}", markup=False)
    for orphan in report.orphans:
        console.print(f"[yellow]no plan[/]: {orphan.file}: {orphan.reason}", soft_wrap=True)


def _clip(items: Sequence[T]) -> Iterator[T | None]:
    """The first and last few of a long list, with None where the middle is left out."""
    if len(items) <= _LIST_LIMIT:
        yield from items
        return
    half = _LIST_LIMIT // 2
    yield from items[:half]
    yield None
    yield from items[-half:]


def _percent(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# ---------------------------------------------------------------------------------------------------------
# govcloud report


def build_report(
    planned: Planned, plans_dir: Path, *, today: dt.date | None, ledger: Path | None = None
) -> reports.Report:
    tracking = plan_files.load_tracking(plans_dir)
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
    return dataclasses.replace(report, progress=_progress(plans_dir, ledger, day))


def _progress(plans_dir: Path, ledger: Path | None, today: dt.date) -> reports.Progress:
    """The report's progress section: the ledger's states over the plan files (the plan files alone without one)."""
    path = ledger if ledger is not None else Path(Settings().orchestration.ledger)
    states: dict[transitions.StageKey, transitions.StageState] = {}
    if path.exists():
        with store.open_ledger(path, create=False) as opened:
            states = opened.states()
    rows = status.build_rows(status_cache.read_plan_facts(plans_dir), states, today=today)
    source = f"from the ledger {path}" if path.exists() else "from the plan files: not yet ledger-backed"
    return reports.compute_progress(rows, today=today, ledger_backed=path.exists(), source=source)


def render_report(
    report: reports.Report, output: ReportFormat, *, lang: Lang = Lang.ZH, font: fonts.FontSource | None = None
) -> str:
    """The report as text (the table format prints rich tables instead: see :func:`print_report_tables`)."""
    if output is ReportFormat.HTML:
        return render.render_html(report, lang, font=font)
    if output is ReportFormat.JSON:
        return render.render_json(report)
    return render.render_markdown(report, lang)


def report_language(lang: Lang | None, settings: Settings) -> Lang:
    return lang if lang is not None else Lang(settings.reports.language)


def report_font(settings: Settings) -> fonts.FontSource | None:
    """The CJK font to embed in HTML, with a warning on stderr when the machine has none."""
    font = fonts.font_to_embed(settings.reports)
    if font is None and settings.reports.embed_font:
        common.err_console.print(f"[yellow]warning[/]: {fonts.NO_FONT_WARNING}", highlight=False)
    return font


@common.guarded
@collector.paused()
def report_command(
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
    plans_dir: PlansOption = DEFAULT_PLANS,
    output: Annotated[ReportFormat, typer.Option("--format", help="output format")] = ReportFormat.MARKDOWN,
    out: Annotated[Path | None, typer.Option("--out", help="write to this file instead of the terminal")] = None,
    today: TodayOption = None,
    ledger: Annotated[
        Path | None, typer.Option("--ledger", help="the migration ledger (default: orchestration.ledger in settings)")
    ] = None,
    lang: LangOption = None,
) -> None:
    """The programme's figures and what the counts hide, city-wide and per department (zh-CN; --lang en)."""
    day = _day(today)
    loaded = common.load_inventory(inventory, quiet=out is None)
    settings = load_settings(inventory)
    language = report_language(lang, settings)
    planned = compute(loaded.inventory, settings, today=day, confirmations=ledger_confirmations(inventory, ledger))
    ledger_path = ledger_commands.ledger_path(inventory, ledger)
    report = build_report(planned, plans_dir, today=day, ledger=ledger_path)
    if output is ReportFormat.TABLE:
        for table in render.render_terminal(report, language):
            common.console.print(table)
        return
    font = report_font(settings) if output is ReportFormat.HTML else None
    text = render_report(report, output, lang=language, font=font)
    if out is None:
        typer.echo(text, nl=False)
        return
    yamlio.write_atomic(out, text)
    common.err_console.print(f"[green]wrote[/] {out}")


# ---------------------------------------------------------------------------------------------------------
# govcloud run


@common.guarded
@collector.paused()
def run_command(
    inventory: common.InventoryOption = common.DEFAULT_INVENTORY,
    plans_dir: PlansOption = DEFAULT_PLANS,
    reports_dir: Annotated[Path, typer.Option("--reports", help="where the reports go")] = DEFAULT_REPORTS,
    today: TodayOption = None,
    lang: LangOption = None,
) -> None:
    """The main job: check the inventory, assess it, write and check the plans, write the reports."""
    console = common.console
    day = _day(today)
    started = time.perf_counter()

    def step(name: str, began: float, summary: str) -> None:
        console.print(f"[green]✓[/] [bold]{name:<7}[/] {summary} [dim]({time.perf_counter() - began:.1f} s)[/]")

    began = time.perf_counter()
    loaded = common.load_inventory(inventory)
    inv = loaded.inventory
    step(
        "check",
        began,
        f"{inventory}: {len(inv.departments)} departments, {len(inv.systems)} systems, "
        f"{len(inv.catalogue)} catalogue entries, no problems",
    )

    began = time.perf_counter()
    with common.err_console.status("assessing"):
        settings = load_settings(inventory)
        assessment = assess(inv, settings, today=day, confirmations=ledger_confirmations(inventory, None))
    totals = count_assessment(assessment)
    step(
        "assess",
        began,
        f"{totals.systems} systems: {totals.summary()}; in effect: "
        + ", ".join(f"{d.value} {n}" for d, n in totals.dispositions.items() if n)
        + f"; {totals.proposals_summary()}",
    )

    began = time.perf_counter()
    with common.err_console.status("planning waves and writing plans"):
        freeze = frozen_waves(plans_dir, settings, today=_started_by(today))
        wave_plan = waves.plan_waves(inv, assessment, settings.waves, freeze=freeze)
        planned = Planned(inv, settings, assessment, wave_plan)
        written = plan_files.write_plans(plans_dir, plans_to_write(planned), inventory=inv, keep=kept_files(wave_plan))
        department_written = write_department_plans(planned, plans_dir)
        problems = plan_files.check_plans(plans_dir, inv)
        problems += department_plan_files.check_department_plans(plans_dir, inv)
    span = f" ({wave_plan.waves[0].start}..{wave_plan.waves[-1].end})" if wave_plan.waves else ""
    step(
        "plan",
        began,
        f"{len(wave_plan.placements)} systems in {len(wave_plan.waves)} waves{span}, "
        f"{len(wave_plan.decommissions)} decommissions, {len(wave_plan.cycles)} cycle(s); {plans_dir}: "
        f"{len(written.created)} created, {len(written.updated)} updated, {written.unchanged} unchanged; "
        f"{department_written.written} department plan(s) written",
    )
    for conflict in written.conflicts[:_LIST_LIMIT]:
        console.print(f"  kept: {conflict.render()}", markup=False)
    if len(written.conflicts) > _LIST_LIMIT:
        console.print(f"  … {len(written.conflicts) - _LIST_LIMIT} more kept edits (govcloud plan --write lists all)")
    for orphan in written.orphans:
        console.print(f"  [yellow]no plan[/]: {orphan.file}: {orphan.reason}", soft_wrap=True)
    for held in wave_plan.held_back[:_LIST_LIMIT]:
        console.print(f"  [yellow]frozen[/]: {rich.markup.escape(held.render())}", soft_wrap=True)
    if len(wave_plan.held_back) > _LIST_LIMIT:
        more = len(wave_plan.held_back) - _LIST_LIMIT
        console.print(f"  … {more} more held back by frozen waves (govcloud plan lists all)")
    if problems:
        raise InputError(problems, "the plan files have problems")

    began = time.perf_counter()
    report = build_report(planned, plans_dir, today=day)
    with yamlio.staged_writes() as pending:
        language = report_language(lang, settings)
        pending[reports_dir / "report.html"] = render.render_html(report, language, font=report_font(settings))
        pending[reports_dir / "report.md"] = render.render_markdown(report, language)
    step("report", began, f"{reports_dir / 'report.html'}, {reports_dir / 'report.md'}")

    for table in render.render_terminal(report, language):
        console.print(table)
    console.print(f"done in {time.perf_counter() - started:.1f} s")
