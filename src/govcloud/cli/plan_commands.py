"""``govcloud plan`` (and ``plan baseline``), ``govcloud report`` and ``govcloud run`` (check → assess → plan → report).

Entry point (CLI). The commands parse options, call the use cases of :mod:`govcloud.app.planning` on a
:class:`~govcloud.app.workspace.Workspace` and print what they return; the JSON documents come from
:mod:`govcloud.app.documents`, the report's renderings from
:mod:`govcloud.reporting.edges`. ``run`` chains the same use cases as ``assess``, ``plan --write`` and ``report``.

Re-planning never reshuffles a wave that has started: ``plan`` (and ``plan --write``, ``run``) freeze every
wave the baseline records or the plan files show as started, and report what the freeze held back.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import rich.markup
import rich.table
import typer

from govcloud import collector
from govcloud.app import documents, planning
from govcloud.app import reports as reports_app
from govcloud.app.workspace import Workspace
from govcloud.cli import common
from govcloud.core.settings import Settings
from govcloud.errors import InputError
from govcloud.planning.core import plan_view, waves
from govcloud.planning.edges import department_plan_files, plan_files
from govcloud.reporting.core.labels import Lang
from govcloud.reporting.edges import fonts

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


def _day(today: dt.datetime | None) -> dt.date | None:
    return today.date() if today is not None else None


def _workspace(inventory: Path, plans_dir: Path, *, quiet: bool, ledger: Path | None = None) -> Workspace:
    return Workspace(
        inventory_dir=inventory,
        plans_dir=plans_dir,
        ledger=ledger,
        loader=lambda root: common.load_inventory(root, quiet=quiet),
    )


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
    workspace = _workspace(inventory, plans_dir, quiet=output is PlanFormat.JSON)
    workspace.load_inventory()  # every census problem first, before the plan files are read
    if check and not write:
        outcome = planning.check_shown(workspace, started_by=_started_by(today))
        if outcome.problems:
            raise InputError(list(outcome.problems), "the plan files have problems")
        _say(output, f"[green]ok[/]: {plans_dir}: {outcome.files} plan files match the inventory")
        _say(output, outcome.ledger_verdict)
        _show_unbaselined(outcome.unbaselined, output=output)
        _show_unmet(outcome.advice, output)
        return
    if write:
        planned, written = planning.plan_and_write_shown(workspace, today=_day(today), started_by=_started_by(today))
    else:
        planned = planning.plan_shown(workspace, today=_day(today), started_by=_started_by(today))
    payload: dict[str, Any] = {}
    if output is PlanFormat.JSON:
        payload["plan"] = documents.wave_plan_json(planned.wave_plan)
    else:
        show_wave_plan(planned)
        show_freeze(planned.wave_plan, written=write)
    if write:
        if output is PlanFormat.JSON:
            payload.update(documents.write_documents(written.systems, written.departments))
        else:
            show_write_report(written.systems, plans_dir)
            show_department_report(written.departments, plans_dir)
    checked = planning.check_plans(workspace, reread=True) if check else planning.PlanCheck((), "")
    if output is PlanFormat.JSON:
        if check:
            payload["check"] = [p.render() for p in checked.problems]
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=1))
    if checked.problems:
        raise InputError(list(checked.problems), "the plan files have problems")
    if check:
        _say(output, f"[green]ok[/]: {plans_dir}: the plan files match the inventory")
        _say(output, checked.ledger_verdict)
        _show_unmet(planning.unmet_gates(workspace), output)


def show_department_report(report: department_plan_files.DepartmentWriteReport, plans_dir: Path) -> None:
    console = common.console
    console.print(
        f"[green]wrote[/] {planning.departments_dir(plans_dir)}: {len(report.created)} created, "
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
    day = _started_by(today)
    frozen = planning.record_baseline(_workspace(inventory, plans_dir, quiet=False), today=day)
    baseline, changes, path, written = frozen.baseline, frozen.changes, frozen.path, frozen.written
    if not baseline.waves:
        common.console.print(f"no wave has started by {day}: nothing to freeze; {path} not written")
        return
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


def _show_unbaselined(unbaselined: planning.UnbaselinedWaves, *, output: PlanFormat) -> None:
    """Waves that have started since the last baseline: frozen anyway, shown so the baseline gets updated."""
    new = unbaselined.waves
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


def _show_unmet(advice: plan_view.GateAdvice, output: PlanFormat) -> None:
    """Gates of started stages that do not hold yet (advice, they do not fail the check), and unreadable gates."""
    console = common.err_console if output is PlanFormat.JSON else common.console
    unmet = advice.unmet
    if unmet:
        _say(output, f"[yellow]{len(unmet)} gate(s) of started stages do not hold yet[/] (advice, not errors):")
        for item in unmet[:_LIST_LIMIT]:
            console.print(f"  {item.file}: {item.render()}", markup=False, soft_wrap=True)
        if len(unmet) > _LIST_LIMIT:
            console.print(f"  … {len(unmet) - _LIST_LIMIT} more")
    if advice.problems:
        _say(output, f"[yellow]{len(advice.problems)} gate(s) of started stages cannot be read[/]:")
        for problem in advice.problems[:_LIST_LIMIT]:
            console.print(f"  {problem.problem().render()}", markup=False, soft_wrap=True)
        if len(advice.problems) > _LIST_LIMIT:
            console.print(f"  … {len(advice.problems) - _LIST_LIMIT} more")


def _say(output: PlanFormat, message: str) -> None:
    (common.err_console if output is PlanFormat.JSON else common.console).print(message, soft_wrap=True)


def show_wave_plan(planned: planning.PlanShown) -> None:
    console = common.console
    wave_plan = planned.wave_plan
    settings = wave_plan.settings
    moving = len(wave_plan.placements)
    span = f", {wave_plan.waves[0].start} to {wave_plan.waves[-1].end}" if wave_plan.waves else ""
    console.print(
        f"[bold]{planned.systems} systems[/]: {moving} move in {len(wave_plan.waves)} waves{span}; "
        f"{len(wave_plan.decommissions)} decommissions; {len(wave_plan.held)} held. "
        f"Dependency graph: {wave_plan.edges} dependencies."
    )
    table = rich.table.Table(title="Waves", title_justify="left")
    for name in ("wave", "starts", "systems", "cores", "memory GiB", "most systems from"):
        table.add_column(name, justify="left" if name in {"starts", "most systems from"} else "right")
    for wave in _clip(wave_plan.waves):
        if wave is None:
            table.add_row("…", f"{len(wave_plan.waves) - 2 * (_LIST_LIMIT // 2)} more (--format json lists all)")
            continue
        departments = Counter(planned.departments[c] for c in wave.systems)
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


# ---------------------------------------------------------------------------------------------------------
# govcloud report


def report_font(settings: Settings) -> fonts.FontSource | None:
    """The CJK font to embed in HTML, with a warning on stderr when the machine has none."""
    choice = reports_app.font_for_html(settings)
    if choice.warning is not None:
        common.err_console.print(f"[yellow]warning[/]: {choice.warning}", highlight=False)
    return choice.font


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
    workspace = _workspace(inventory, plans_dir, quiet=out is None, ledger=ledger)
    settings = workspace.settings
    language = reports_app.language(lang, settings)
    report = planning.report(workspace, today=_day(today))
    if output is ReportFormat.TABLE:
        for table in reports_app.terminal_tables(report, language):
            common.console.print(table)
        return
    font = report_font(settings) if output is ReportFormat.HTML else None
    text = reports_app.render_text(report, reports_app.TextFormat(output.value), lang=language, font=font)
    if out is None:
        typer.echo(text, nl=False)
        return
    reports_app.write_text(out, text)
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
    workspace = _workspace(inventory, plans_dir, quiet=False)
    inv = workspace.inventory
    step(
        "check",
        began,
        f"{inventory}: {len(inv.departments)} departments, {len(inv.systems)} systems, "
        f"{len(inv.catalogue)} catalogue entries, no problems",
    )

    began = time.perf_counter()
    with common.err_console.status("assessing"):
        assessment = planning.assess(workspace, today=day)
    totals = planning.counts(assessment)
    step(
        "assess",
        began,
        f"{totals.systems} systems: {totals.summary()}; in effect: "
        + ", ".join(f"{d.value} {n}" for d, n in totals.dispositions.items() if n)
        + f"; {totals.proposals_summary()}",
    )

    began = time.perf_counter()
    with common.err_console.status("planning waves and writing plans"):
        freeze = planning.frozen_waves(plans_dir, workspace.settings, today=_started_by(today))
        planned = planning.plan_assessed(inv, workspace.settings, assessment, freeze=freeze)
        wave_plan = planned.wave_plan
        written_plans = planning.write_plans(planned, plans_dir)
        written, department_written = written_plans.systems, written_plans.departments
        problems = planning.check_plan_files(workspace)
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
    report = planning.build_report(planned, plans_dir, today=day)
    settings = workspace.settings
    language = reports_app.language(lang, settings)
    files = reports_app.write_reports(report, reports_dir, lang=language, font=report_font(settings))
    step("report", began, f"{files.html}, {files.markdown}")

    for table in reports_app.terminal_tables(report, language):
        console.print(table)
    console.print(f"done in {time.perf_counter() - started:.1f} s")
