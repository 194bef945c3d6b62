"""``govcloud report``: the programme's figures, and what the counts hide, as markdown, JSON or one HTML file.

Edge (renders text). The figures are computed by pure functions at the top of this module from the
inventory, the dispositions, the wave plan and the statuses the plan files record; the renderings below
only format them. The HTML report is one self-contained file: inline CSS and inline SVG charts drawn here,
no script and no reference to anything on a network, so it opens from a mail attachment or a USB stick.

Headline figures (what the programme reports): systems migrated or integrated, catalogue entries published
(``publish_date`` set), data items in total, entries shareable (无条件 + 有条件), entries open to the public.
What the counts hide: declared cross-department data flows (consumer/provider system pairs whose
departments differ, from ``depends_on`` and consumed catalogue entries), published entries nobody consumes,
systems retired, and the servers and CPU cores that retiring and merging free. Servers freed: the legacy
hosts in ``hosts.yaml`` whose every system goes, plus one server per replica of a system deployed on
物理机 that no host lists; cores freed: ``sizing.cpu × replicas`` of every system that goes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import jinja2

from govcloud import collector
from govcloud.assessment.core.assessment import AssessmentCounts
from govcloud.core import model
from govcloud.orchestration.core import status
from govcloud.planning.core import consolidation, plans, waves
from govcloud.planning.core.stages import STAGE_ORDER, Stage, StageStatus

DISPOSITION_ORDER = tuple(model.Disposition)
CITY = "city"


# ---------------------------------------------------------------------------------------------------------
# Figures (pure)


@dataclasses.dataclass(frozen=True)
class Figures:
    """The figures of one scope: the whole city or one department."""

    scope: str
    name: str
    systems: int
    dispositions: Mapping[str, int]
    moving: int
    migrated: int
    """Moving systems whose business stage is done."""
    merging: int
    integrated: int
    """Merged systems whose decommission is done."""
    retiring: int
    retired: int
    catalogue_entries: int
    published: int
    data_items: int
    shareable: int
    unconditional: int
    conditional: int
    not_shared: int
    open_entries: int
    published_unused: int
    """Published entries that no system consumes."""
    flows_out: int
    """Cross-department pairs where this scope's system provides (for the city: all pairs)."""
    flows_in: int
    """Cross-department pairs where this scope's system consumes."""
    servers_freed: int
    cores_freed: float
    stage_reached: Mapping[str, int]
    stage_done: Mapping[str, int]
    private_networks: int = 0
    """业务专网 listed in the census."""
    private_networks_retired: int = 0
    """业务专网 whose decommission is done."""
    private_networks_empty: int = 0
    """业务专网 every system has left, not yet decommissioned."""

    @property
    def private_networks_live(self) -> int:
        """业务专网 still carrying systems (not retired, not emptied)."""
        return self.private_networks - self.private_networks_retired - self.private_networks_empty


@dataclasses.dataclass(frozen=True)
class WaveRow:
    number: int
    start: dt.date
    end: dt.date
    systems: int
    cpu: float
    memory_gib: float
    cumulative: int


@dataclasses.dataclass(frozen=True)
class Report:
    city: str
    generated_on: dt.date
    totals: Figures
    departments: tuple[Figures, ...]
    waves: tuple[WaveRow, ...]
    cycles: tuple[tuple[str, ...], ...]
    decommissions: int
    held: int
    department_pairs: int
    """Distinct (consumer department, provider department) pairs with a declared flow."""
    assessment: tuple[tuple[str, int, str], ...] = ()
    """The assessment's counts (figure, number, what it counts), the rows ``assess`` and ``run`` print too."""
    progress: Progress | None = None
    """Planned against actual from the migration ledger (None: the report was made without it)."""


@dataclasses.dataclass(frozen=True)
class Progress:
    """The report's progress section: planned against actual per wave, the late and blocked stages, the burn-up."""

    source: str
    ledger_backed: bool
    waves: tuple[status.Rollup, ...]
    late: tuple[status.StatusRow, ...]
    blocked: tuple[status.StatusRow, ...]
    burnup: tuple[status.BurnupPoint, ...]
    recent: tuple[status.StatusRow, ...] = ()
    """Stages the ledger moved most recently, latest first."""


def compute_progress(
    rows: Sequence[status.StatusRow], *, today: dt.date, ledger_backed: bool, source: str, limit: int = 200
) -> Progress:
    """The progress section from status rows (late ones most overdue first). Pure."""
    late = sorted((r for r in rows if r.late), key=lambda r: (-r.days_late, r.system, r.stage.order))
    blocked = [r for r in rows if r.status.value == "blocked"]
    return Progress(
        source=source,
        ledger_backed=ledger_backed,
        waves=tuple(status.rollups(rows, by="wave", today=today)),
        late=tuple(late[:limit]),
        blocked=tuple(blocked[:limit]),
        burnup=tuple(status.burnup(rows, today=today)),
        recent=tuple(
            sorted(
                (r for r in rows if r.ledger_backed and (r.actual_end or r.actual_start)),
                key=lambda r: str(r.actual_end or r.actual_start),
                reverse=True,
            )[:20]
        ),
    )


def compute_report(
    inventory: model.Inventory,
    dispositions: Mapping[str, model.Disposition],
    wave_plan: waves.WavePlan,
    tracking: plans.TrackingMap,
    *,
    today: dt.date,
    assessment_counts: AssessmentCounts | None = None,
    networks: consolidation.Consolidation | None = None,
) -> Report:
    """Every figure, city-wide and per department. Pure. ``networks``: the 业务专网 states (none: not counted)."""
    with collector.paused():
        report = _compute_report(inventory, dispositions, wave_plan, tracking, today=today, networks=networks)
    if assessment_counts is None:
        return report
    return dataclasses.replace(report, assessment=tuple(assessment_counts.rows()))


def _compute_report(
    inventory: model.Inventory,
    dispositions: Mapping[str, model.Disposition],
    wave_plan: waves.WavePlan,
    tracking: plans.TrackingMap,
    *,
    today: dt.date,
    networks: consolidation.Consolidation | None = None,
) -> Report:
    systems = inventory.system_by_code
    goes = {code for code, d in dispositions.items() if d in waves.DECOMMISSIONED}
    pairs = _cross_department_pairs(inventory)
    consumed = {code for s in inventory.systems for code in s.consumes}
    freed_servers = _servers_freed(inventory, goes)
    entry_counts: dict[str, Counter[str]] = {}
    for entry in inventory.catalogue:
        tally = entry_counts.get(entry.provider)
        if tally is None:
            tally = entry_counts[entry.provider] = Counter()
        published = entry.publish_date is not None
        tally["entries"] += 1
        tally["published"] += published
        tally["data_items"] += len(entry.data_items)
        tally[entry.sharing.type.name] += 1
        tally["open"] += entry.open.open
        tally["published_unused"] += published and entry.code not in consumed
    city_counts: Counter[str] = Counter()
    for tally in entry_counts.values():
        city_counts.update(tally)
    provides = Counter(provider for _, provider in pairs)
    calls = Counter(consumer for consumer, _ in pairs)

    def figures(scope: str, name: str, chosen: Sequence[model.System]) -> Figures:
        codes = {s.code for s in chosen}
        tally = city_counts if scope == CITY else entry_counts.get(scope, Counter())
        counts = Counter(dispositions[c].value for c in codes if c in dispositions)
        moving = [c for c in codes if dispositions.get(c) in waves.MOVING]
        reached: Counter[str] = Counter()
        done: Counter[str] = Counter()
        for code in moving:
            found = tracking.get(code)
            for stage in STAGE_ORDER:
                status = found.status(stage) if found is not None else StageStatus.PENDING
                if status is not StageStatus.PENDING:
                    reached[stage.value] += 1
                if status is StageStatus.DONE:
                    done[stage.value] += 1

        def decommissioned(disposition: model.Disposition) -> tuple[int, int]:
            chosen_codes = [c for c in codes if dispositions.get(c) is disposition]
            finished = 0
            for c in chosen_codes:
                found = tracking.get(c)
                finished += found is not None and found.decommission is StageStatus.DONE
            return len(chosen_codes), finished

        merging, integrated = decommissioned(model.Disposition.MERGE)
        retiring, retired = decommissioned(model.Disposition.RETIRE)
        return Figures(
            scope=scope,
            name=name,
            systems=len(codes),
            dispositions={d.value: counts.get(d.value, 0) for d in DISPOSITION_ORDER},
            moving=len(moving),
            migrated=done[Stage.BUSINESS.value],
            merging=merging,
            integrated=integrated,
            retiring=retiring,
            retired=retired,
            catalogue_entries=tally["entries"],
            published=tally["published"],
            data_items=tally["data_items"],
            shareable=tally["UNCONDITIONAL"] + tally["CONDITIONAL"],
            unconditional=tally["UNCONDITIONAL"],
            conditional=tally["CONDITIONAL"],
            not_shared=tally["NOT_SHARED"],
            open_entries=tally["open"],
            published_unused=tally["published_unused"],
            flows_out=len(pairs) if scope == CITY else sum(provides[c] for c in codes),
            flows_in=len(pairs) if scope == CITY else sum(calls[c] for c in codes),
            servers_freed=sum(freed_servers.get(c, 0) for c in codes),
            cores_freed=round(sum(systems[c].sizing.cpu * systems[c].sizing.replicas for c in codes & goes), 3),
            stage_reached={s.value: reached[s.value] for s in STAGE_ORDER},
            stage_done={s.value: done[s.value] for s in STAGE_ORDER},
            **_network_counts(networks, None if scope == CITY else scope),
        )

    totals = figures(CITY, inventory.city.name, inventory.systems)
    per_department = tuple(
        figures(d.code, d.name, inventory.systems_of_department.get(d.code, ()))
        for d in sorted(inventory.departments, key=lambda d: d.code)
    )
    rows: list[WaveRow] = []
    cumulative = 0
    for wave in wave_plan.waves:
        cumulative += len(wave.systems)
        rows.append(
            WaveRow(wave.number, wave.start, wave.end, len(wave.systems), wave.cpu, wave.memory_gib, cumulative)
        )
    department_pairs = {(systems[c].department, systems[p].department) for c, p in pairs}
    return Report(
        city=inventory.city.name,
        generated_on=today,
        totals=totals,
        departments=per_department,
        waves=tuple(rows),
        cycles=tuple(c.systems for c in wave_plan.cycles),
        decommissions=len(wave_plan.decommissions),
        held=len(wave_plan.held),
        department_pairs=len(department_pairs),
    )


def _network_counts(networks: consolidation.Consolidation | None, department: str | None) -> dict[str, int]:
    if networks is None:
        return {}
    total = sum(1 for code in networks.states if department is None or networks.departments[code] == department)
    return {
        "private_networks": total,
        "private_networks_retired": networks.count(consolidation.NetworkState.RETIRED, department),
        "private_networks_empty": networks.count(consolidation.NetworkState.EMPTY, department),
    }


def _cross_department_pairs(inventory: model.Inventory) -> set[tuple[str, str]]:
    """(consumer system, provider system) pairs whose departments differ, from calls and consumed entries."""
    systems = inventory.system_by_code
    entries = inventory.entry_by_code
    pairs: set[tuple[str, str]] = set()
    for system in inventory.systems:
        providers = set(system.depends_on)
        for code in system.consumes:
            entry = entries.get(code)
            if entry is not None and entry.system is not None:
                providers.add(entry.system)
        for provider in providers:
            target = systems.get(provider)
            if target is not None and provider != system.code and target.department != system.department:
                pairs.add((system.code, provider))
    return pairs


def _servers_freed(inventory: model.Inventory, goes: set[str]) -> dict[str, int]:
    """System → servers freed when it goes; a shared legacy host counts once, for its first system."""
    freed: dict[str, int] = {}
    listed: set[str] = set()
    for host in inventory.hosts:
        if not host.systems:
            continue
        listed.update(host.systems)
        if all(code in goes for code in host.systems):
            first = sorted(host.systems)[0]
            freed[first] = freed.get(first, 0) + 1
    for code in goes:
        system = inventory.system_by_code.get(code)
        if system is not None and code not in listed and system.deployment is model.Deployment.PHYSICAL:
            freed[code] = freed.get(code, 0) + system.sizing.replicas
    return freed


# ---------------------------------------------------------------------------------------------------------
# Renderings


def render_json(report: Report) -> str:
    return json.dumps(_plain(report), ensure_ascii=False, indent=2) + "\n"


def render_markdown(report: Report) -> str:
    return _environment().get_template("report.md.j2").render(r=report, **_helpers(report)).rstrip() + "\n"


def render_html(report: Report) -> str:
    charts = {
        "dispositions": svg_bars(
            [(d, report.totals.dispositions[d]) for d in report.totals.dispositions],
            colors=_DISPOSITION_COLORS,
            title="Systems by disposition",
        ),
        "waves": svg_waves(report.waves, title="Systems per wave over time"),
        "funnel": svg_funnel(report.totals, title="Stage funnel: systems that reached / finished each stage"),
    }
    if report.progress is not None:
        charts["burnup"] = svg_burnup(
            report.progress.burnup, title="Stages done over time: burn-up, planned and actual"
        )
    return _environment().get_template("report.html.j2").render(r=report, charts=charts, **_helpers(report))


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("govcloud", "templates"),
        autoescape=jinja2.select_autoescape(["html", "html.j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def _helpers(report: Report) -> dict[str, Any]:
    return {
        "stages": [(s.value, s.label) for s in STAGE_ORDER],
        "pct": _pct,
        "num": _num,
        "headline": headline_rows(report),
        "hidden": hidden_rows(report),
    }


def headline_rows(report: Report) -> list[tuple[str, str, str]]:
    """(figure, value, detail) rows of the programme's headline figures, city-wide."""
    f = report.totals
    return [
        (
            "Systems migrated or integrated",
            _num(f.migrated + f.integrated),
            f"{f.migrated} of {f.moving} moving systems finished 业务通; {f.integrated} of {f.merging} merges done",
        ),
        (
            "Catalogue entries published",
            _num(f.published),
            f"{_pct(f.published, f.catalogue_entries)} of {_num(f.catalogue_entries)}",
        ),
        ("Data items in total", _num(f.data_items), f"in {_num(f.catalogue_entries)} catalogue entries"),
        (
            "Entries shareable",
            _num(f.shareable),
            f"{f.unconditional} 无条件共享, {f.conditional} 有条件共享; {f.not_shared} 不予共享",
        ),
        ("Entries open to the public", _num(f.open_entries), _pct(f.open_entries, f.catalogue_entries) + " of entries"),
    ]


def hidden_rows(report: Report) -> list[tuple[str, str, str]]:
    """(figure, value, detail) rows of what the headline counts hide, city-wide."""
    f = report.totals
    return [
        (
            "Declared cross-department data flows",
            _num(f.flows_out),
            f"consumer/provider system pairs across {report.department_pairs} department pairs",
        ),
        (
            "Published entries nobody consumes",
            _num(f.published_unused),
            f"{_pct(f.published_unused, f.published)} of published entries",
        ),
        ("Systems retired", _num(f.retired), f"{f.retiring} planned (下线)"),
        ("Systems merged away", _num(f.integrated), f"{f.merging} planned (整合)"),
        ("Servers freed by retire/merge", _num(f.servers_freed), "legacy hosts and physical servers"),
        ("CPU cores freed by retire/merge", _num(f.cores_freed), "sizing × replicas of the systems that go"),
        (
            "Private networks (业务专网) retired",
            _num(f.private_networks_retired),
            f"{f.private_networks_live} still live, {f.private_networks_empty} emptied awaiting decommission, "
            f"of {f.private_networks}",
        ),
    ]


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def _num(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# ---------------------------------------------------------------------------------------------------------
# Charts: inline SVG, drawn here (no script, no network)

_DISPOSITION_COLORS = {
    model.Disposition.REHOST.value: "#2b7bb9",
    model.Disposition.REPLATFORM.value: "#5aa0d6",
    model.Disposition.MERGE.value: "#e0a030",
    model.Disposition.RETIRE.value: "#c8553d",
    model.Disposition.DEFER.value: "#8e8e8e",
    model.Disposition.EXEMPT.value: "#b5b5b5",
}
_FONT = 'font-family="system-ui, PingFang SC, Microsoft YaHei, Noto Sans CJK SC, sans-serif" font-size="12"'


def _text(x: float, y: float, content: str, *, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {_FONT} {extra}>{html.escape(content)}</text>'


def svg_bars(items: Sequence[tuple[str, float]], *, colors: Mapping[str, str] | None = None, title: str) -> str:
    """A horizontal bar chart of labelled values."""
    width, label_w, bar_h, gap = 640, 110, 22, 8
    height = 30 + len(items) * (bar_h + gap)
    top = max((v for _, v in items), default=0) or 1
    parts = [_svg_open(width, height, title), _text(0, 16, title, extra='font-weight="600"')]
    for i, (label, value) in enumerate(items):
        y = 30 + i * (bar_h + gap)
        w = (width - label_w - 60) * value / top
        color = (colors or {}).get(label, "#2b7bb9")
        parts.append(_text(label_w - 8, y + 15, label, anchor="end"))
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}" rx="2"/>')
        parts.append(_text(label_w + w + 6, y + 15, _num(value)))
    parts.append("</svg>")
    return "".join(parts)


def svg_waves(rows: Sequence[WaveRow], *, title: str, max_bars: int = 60) -> str:
    """Systems per wave as columns along the calendar, with the running total as a line."""
    width, height, left, bottom, top_pad = 720, 260, 44, 40, 30
    if not rows:
        return _svg_open(width, 60, title) + _text(0, 30, f"{title}: no waves planned") + "</svg>"
    shown = list(rows)
    if len(shown) > max_bars:  # a province: group waves so the chart stays readable
        size = -(-len(shown) // max_bars)
        grouped = []
        for i in range(0, len(shown), size):
            chunk = shown[i : i + size]
            grouped.append(
                WaveRow(
                    chunk[0].number,
                    chunk[0].start,
                    chunk[-1].end,
                    sum(r.systems for r in chunk),
                    sum(r.cpu for r in chunk),
                    sum(r.memory_gib for r in chunk),
                    chunk[-1].cumulative,
                )
            )
        shown = grouped
    plot_w, plot_h = width - left - 80, height - bottom - top_pad  # room on the right for the total
    peak = max(r.systems for r in shown) or 1
    total = shown[-1].cumulative or 1
    step = plot_w / len(shown)
    parts = [_svg_open(width, height, title), _text(0, 16, title, extra='font-weight="600"')]
    base_y = top_pad + plot_h
    parts.append(f'<line x1="{left}" y1="{base_y}" x2="{left + plot_w}" y2="{base_y}" stroke="#999"/>')
    points = []
    for i, row in enumerate(shown):
        h = plot_h * row.systems / peak
        x = left + i * step
        parts.append(
            f'<rect x="{x + step * 0.15:.1f}" y="{base_y - h:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" '
            f'fill="#2b7bb9"><title>{html.escape(_wave_label(row))}: {row.systems} systems</title></rect>'
        )
        points.append(f"{x + step / 2:.1f},{base_y - plot_h * row.cumulative / total:.1f}")
        if len(shown) <= 12 or i % max(1, len(shown) // 8) == 0:
            parts.append(_text(x + step / 2, base_y + 16, f"W{row.number} {row.start:%m-%d}", anchor="middle"))
    parts.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="#c8553d" stroke-width="2"/>')
    parts.append(_text(left - 6, top_pad + 10, _num(peak), anchor="end"))
    parts.append(_text(left + plot_w + 6, top_pad + 10, f"{_num(total)} total", extra='fill="#c8553d"'))
    parts.append(_text(left, height - 6, "columns: systems per wave; line: running total"))
    parts.append("</svg>")
    return "".join(parts)


def _wave_label(row: WaveRow) -> str:
    return f"wave {row.number} ({row.start}..{row.end})"


def svg_funnel(figures: Figures, *, title: str) -> str:
    """For each stage, how many moving systems reached it and how many finished it."""
    width, label_w, bar_h = 640, 130, 16
    height = 40 + len(STAGE_ORDER) * 50
    whole = figures.moving or 1
    parts = [_svg_open(width, height, title), _text(0, 16, title, extra='font-weight="600"')]
    for i, stage in enumerate(STAGE_ORDER):
        y = 30 + i * 50
        reached = figures.stage_reached[stage.value]
        done = figures.stage_done[stage.value]
        span = width - label_w - 120
        parts.append(_text(label_w - 8, y + 20, f"{stage.label} {stage.value}", anchor="end"))
        parts.append(f'<rect x="{label_w}" y="{y}" width="{span}" height="{bar_h * 2 + 4}" fill="#eef2f6"/>')
        parts.append(
            f'<rect x="{label_w}" y="{y}" width="{span * reached / whole:.1f}" height="{bar_h}" fill="#5aa0d6"/>'
        )
        parts.append(
            f'<rect x="{label_w}" y="{y + bar_h + 4}" width="{span * done / whole:.1f}" height="{bar_h}" '
            'fill="#2b7bb9"/>'
        )
        parts.append(_text(label_w + span + 6, y + 12, f"reached {reached}"))
        parts.append(_text(label_w + span + 6, y + bar_h + 16, f"done {done}"))
    parts.append(_text(label_w, height - 6, f"of {figures.moving} systems that move"))
    parts.append("</svg>")
    return "".join(parts)


def _svg_open(width: int, height: int, title: str) -> str:
    # no xmlns: inline SVG in HTML needs none, and the report must not name any network address
    return (
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{html.escape(title)}">'
    )


def svg_burnup(points: Sequence[status.BurnupPoint], *, title: str) -> str:
    """Cumulative stages done: the plan (dashed) against the ledger (solid), up to today."""
    width, height, left, bottom, top_pad = 720, 260, 50, 40, 30
    if not points:
        return _svg_open(width, 60, title) + _text(0, 30, f"{title}: no dated stages") + "</svg>"
    plot_w, plot_h = width - left - 90, height - bottom - top_pad
    peak = max(1, *(p.planned for p in points), *((p.actual or 0) for p in points))
    first, last = points[0].day, points[-1].day
    span = max(1, (last - first).days)
    base_y = top_pad + plot_h

    def xy(day: dt.date, value: int) -> str:
        return f"{left + plot_w * (day - first).days / span:.1f},{base_y - plot_h * value / peak:.1f}"

    parts = [_svg_open(width, height, title), _text(0, 16, title, extra='font-weight="600"')]
    parts.append(f'<line x1="{left}" y1="{base_y}" x2="{left + plot_w}" y2="{base_y}" stroke="#999"/>')
    planned = " ".join(xy(p.day, p.planned) for p in points)
    actual = " ".join(xy(p.day, p.actual) for p in points if p.actual is not None)
    parts.append(
        f'<polyline points="{planned}" fill="none" stroke="#2b7bb9" stroke-width="2" stroke-dasharray="6 4">'
        "<title>planned: stages whose target end has passed</title></polyline>"
    )
    if actual:
        parts.append(
            f'<polyline points="{actual}" fill="none" stroke="#c8553d" stroke-width="2.5">'
            "<title>actual: stages the ledger records done</title></polyline>"
        )
    done_now = next((p.actual for p in reversed(points) if p.actual is not None), 0)
    parts.append(_text(left - 6, top_pad + 10, _num(peak), anchor="end"))
    parts.append(_text(left + plot_w + 6, top_pad + 10, f"{_num(points[-1].planned)} planned", extra='fill="#2b7bb9"'))
    parts.append(_text(left + plot_w + 6, top_pad + 28, f"{_num(done_now or 0)} done", extra='fill="#c8553d"'))
    parts.append(_text(left, base_y + 16, f"{first}"))
    parts.append(_text(left + plot_w, base_y + 16, f"{last}", anchor="end"))
    parts.append(_text(left, height - 6, "dashed: planned (target ends); solid: done per the ledger, up to today"))
    parts.append("</svg>")
    return "".join(parts)
