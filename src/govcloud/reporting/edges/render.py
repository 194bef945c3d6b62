"""``govcloud report`` rendered: JSON, Markdown, one self-contained HTML file, and the terminal's tables. Edge.

The figures come from :mod:`govcloud.reporting.core.figures` and every word from
:mod:`govcloud.reporting.core.labels` (zh-CN by default, English with ``--lang en``). The HTML report is one
file: inline CSS and inline SVG charts drawn here, no script and no reference to anything on a network, so it
opens from a mail attachment or a USB stick. It embeds a WOFF2 subset of a CJK font
(:mod:`govcloud.reporting.edges.fonts`) holding exactly the characters it uses, so it renders on a machine
without Chinese fonts, and has a print stylesheet: every table in full, a page break before each section.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import html.parser
import json
from collections.abc import Mapping, Sequence
from typing import Any

import jinja2
import rich.table

from govcloud.core import model
from govcloud.orchestration.core import status
from govcloud.planning.core.stages import STAGE_ORDER
from govcloud.reporting.core import labels
from govcloud.reporting.core.figures import Figures, Progress, Report, WaveRow
from govcloud.reporting.core.labels import Lang
from govcloud.reporting.edges import fonts

FONT_STACK = '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", system-ui, sans-serif'


def render_json(report: Report) -> str:
    return json.dumps(_plain(report), ensure_ascii=False, indent=2) + "\n"


def render_markdown(report: Report, lang: Lang = Lang.ZH) -> str:
    return _environment().get_template("report.md.j2").render(r=report, **_helpers(report, lang)).rstrip() + "\n"


def render_html(report: Report, lang: Lang = Lang.ZH, *, font: fonts.FontSource | None = None) -> str:
    """The HTML report; with ``font``, a subset of it holding exactly the characters the page draws is embedded."""
    page = _render_html(report, lang, embedded=None)
    if font is None:
        return page
    # the subset needs the page's characters and the page names the font: render, subset, render again
    # (the font's own comment and CSS add no character that is drawn)
    embedded = fonts.subset_font(font, drawn_characters(page))
    return _render_html(report, lang, embedded=embedded)


def _render_html(report: Report, lang: Lang, *, embedded: fonts.EmbeddedFont | None) -> str:
    t = labels.text(lang)
    family = f'"{embedded.family}", {FONT_STACK}' if embedded is not None else FONT_STACK
    charts = {
        "dispositions": svg_bars(
            [(d, report.totals.dispositions[d]) for d in report.totals.dispositions],
            colors=_DISPOSITION_COLORS,
            title=t["chart_dispositions"],
            family=family,
        ),
        "waves": svg_waves(report.waves, title=t["chart_waves"], t=t, family=family),
        "funnel": svg_funnel(report.totals, title=t["chart_funnel"], t=t, family=family),
    }
    if report.progress is not None:
        charts["burnup"] = svg_burnup(report.progress.burnup, title=t["chart_burnup"], t=t, family=family)
    return (
        _environment()
        .get_template("report.html.j2")
        .render(r=report, charts=charts, font=embedded, family=family, **_helpers(report, lang))
    )


class _TextCollector(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.characters: set[str] = set()
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"style", "script"}:
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in {"style", "script"}:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.characters.update(data)


def drawn_characters(page: str) -> set[str]:
    """The characters a page draws: its text, not its markup, styles or comments."""
    collector = _TextCollector()
    collector.feed(page)
    collector.close()
    return collector.characters


def render_terminal(report: Report, lang: Lang = Lang.ZH) -> list[rich.table.Table]:
    """The headline figures and what they hide as rich tables (``run`` prints these, ``report --format table``)."""
    t = labels.text(lang)
    tables = []
    for title, rows in (
        (t["headline"], labels.headline_rows(report, lang)),
        (t["hidden"], labels.hidden_rows(report, lang)),
    ):
        table = rich.table.Table(title=f"{report.city}：{title}", title_justify="left")
        table.add_column(t["figure"], overflow="fold")
        table.add_column(t["value"], justify="right", no_wrap=True)
        table.add_column(t["detail"], overflow="fold")
        for name, value, detail in rows:
            table.add_row(name, value, detail)
        tables.append(table)
    return tables


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("govcloud", "templates"),
        autoescape=jinja2.select_autoescape(["html", "html.j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def _helpers(report: Report, lang: Lang) -> dict[str, Any]:
    return {
        "lang": lang.value,
        "t": labels.text(lang),
        "status_label": lambda value: labels.status_label(value, lang),
        "assessment_label": lambda value: labels.assessment_label(value, lang),
        "assessment_unit": lambda name, unit: labels.assessment_unit(name, unit, lang),
        "progress_source": lambda progress: _progress_source(progress, lang),
        "stages": [(s.value, s.label) for s in STAGE_ORDER],
        "pct": labels.pct,
        "num": labels.num,
        "headline": labels.headline_rows(report, lang),
        "hidden": labels.hidden_rows(report, lang),
    }


def _progress_source(progress: Progress, lang: Lang) -> str:
    t = labels.text(lang)
    if not progress.ledger_backed:
        return t["progress_plans"]
    return t["progress_ledger"].format(path=progress.source.removeprefix("from the ledger "))


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


def _text(x: float, y: float, content: str, *, anchor: str = "start", extra: str = "") -> str:
    # the font family is set once on the <svg> (inherited), so the embedded font reaches every label
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {extra}>{html.escape(content)}</text>'


def svg_bars(
    items: Sequence[tuple[str, float]],
    *,
    colors: Mapping[str, str] | None = None,
    title: str,
    family: str = FONT_STACK,
) -> str:
    """A horizontal bar chart of labelled values."""
    width, label_w, bar_h, gap = 640, 110, 22, 8
    height = 30 + len(items) * (bar_h + gap)
    top = max((v for _, v in items), default=0) or 1
    parts = [_svg_open(width, height, title, family), _text(0, 16, title, extra='font-weight="600"')]
    for i, (label, value) in enumerate(items):
        y = 30 + i * (bar_h + gap)
        # a zero still shows a sliver, and every bar carries its count: few systems moved must still read
        w = max((width - label_w - 60) * value / top, 1.5)
        color = (colors or {}).get(label, "#2b7bb9")
        parts.append(_text(label_w - 8, y + 15, label, anchor="end"))
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}" rx="2"/>')
        parts.append(_text(label_w + w + 6, y + 15, labels.num(value)))
    parts.append("</svg>")
    return "".join(parts)


def svg_waves(
    rows: Sequence[WaveRow], *, title: str, t: Mapping[str, str], family: str = FONT_STACK, max_bars: int = 60
) -> str:
    """Systems per wave as columns along the calendar, with the running total as a line."""
    width, height, left, bottom, top_pad = 720, 270, 44, 40, 44  # room above the columns for their counts
    if not rows:
        return _svg_open(width, 60, title, family) + _text(0, 30, f"{title}: {t['chart_no_waves']}") + "</svg>"
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
    parts = [_svg_open(width, height, title, family), _text(0, 16, title, extra='font-weight="600"')]
    base_y = top_pad + plot_h
    parts.append(f'<line x1="{left}" y1="{base_y}" x2="{left + plot_w}" y2="{base_y}" stroke="#999"/>')
    points = []
    for i, row in enumerate(shown):
        h = plot_h * row.systems / peak
        x = left + i * step
        parts.append(
            f'<rect x="{x + step * 0.15:.1f}" y="{base_y - h:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" '
            f'fill="#2b7bb9"><title>{html.escape(_wave_label(row))}: {row.systems} {t["chart_systems_unit"]}'
            "</title></rect>"
        )
        if len(shown) <= 24:  # counts on the columns while they fit
            parts.append(_text(x + step / 2, base_y - h - 4, labels.num(row.systems), anchor="middle"))
        points.append(f"{x + step / 2:.1f},{base_y - plot_h * row.cumulative / total:.1f}")
        if len(shown) <= 12 or i % max(1, len(shown) // 8) == 0:
            parts.append(_text(x + step / 2, base_y + 16, f"W{row.number} {row.start:%m-%d}", anchor="middle"))
    parts.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="#c8553d" stroke-width="2"/>')
    parts.append(_text(left - 6, top_pad + 10, labels.num(peak), anchor="end"))
    parts.append(
        _text(left + plot_w + 6, top_pad + 10, t["chart_total"].format(total=labels.num(total)), extra='fill="#c8553d"')
    )
    parts.append(_text(left, height - 6, t["chart_waves_legend"]))
    parts.append("</svg>")
    return "".join(parts)


def _wave_label(row: WaveRow) -> str:
    return f"wave {row.number} ({row.start}..{row.end})"


def svg_funnel(figures: Figures, *, title: str, t: Mapping[str, str], family: str = FONT_STACK) -> str:
    """For each stage, how many moving systems reached it and how many finished it."""
    width, label_w, bar_h = 640, 130, 16
    height = 40 + len(STAGE_ORDER) * 50
    whole = figures.moving or 1
    parts = [_svg_open(width, height, title, family), _text(0, 16, title, extra='font-weight="600"')]
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
        reached_text = t["chart_funnel_reached"].format(n=reached) + f" ({labels.pct(reached, figures.moving)})"
        done_text = t["chart_funnel_done"].format(n=done) + f" ({labels.pct(done, figures.moving)})"
        parts.append(_text(label_w + span + 6, y + 12, reached_text))
        parts.append(_text(label_w + span + 6, y + bar_h + 16, done_text))
    parts.append(_text(label_w, height - 6, t["chart_funnel_of"].format(moving=figures.moving)))
    parts.append("</svg>")
    return "".join(parts)


def _svg_open(width: int, height: int, title: str, family: str = FONT_STACK) -> str:
    # no xmlns: inline SVG in HTML needs none, and the report must not name any network address
    return (
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{html.escape(title)}" font-family="{html.escape(family)}" font-size="12">'
    )


def svg_burnup(
    points: Sequence[status.BurnupPoint], *, title: str, t: Mapping[str, str], family: str = FONT_STACK
) -> str:
    """Cumulative stages done: the plan (dashed) against the ledger (solid), up to today."""
    width, height, left, bottom, top_pad = 720, 260, 50, 40, 30
    if not points:
        return _svg_open(width, 60, title, family) + _text(0, 30, f"{title}: {t['chart_no_dated']}") + "</svg>"
    plot_w, plot_h = width - left - 90, height - bottom - top_pad
    peak = max(1, *(p.planned for p in points), *((p.actual or 0) for p in points))
    first, last = points[0].day, points[-1].day
    span = max(1, (last - first).days)
    base_y = top_pad + plot_h

    def xy(day: dt.date, value: int) -> str:
        return f"{left + plot_w * (day - first).days / span:.1f},{base_y - plot_h * value / peak:.1f}"

    parts = [_svg_open(width, height, title, family), _text(0, 16, title, extra='font-weight="600"')]
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
    parts.append(_text(left - 6, top_pad + 10, labels.num(peak), anchor="end"))
    parts.append(
        _text(
            left + plot_w + 6,
            top_pad + 10,
            t["chart_planned"].format(n=labels.num(points[-1].planned)),
            extra='fill="#2b7bb9"',
        )
    )
    parts.append(
        _text(
            left + plot_w + 6, top_pad + 28, t["chart_done"].format(n=labels.num(done_now or 0)), extra='fill="#c8553d"'
        )
    )
    parts.append(_text(left, base_y + 16, f"{first}"))
    parts.append(_text(left + plot_w, base_y + 16, f"{last}", anchor="end"))
    parts.append(_text(left, height - 6, t["chart_burnup_legend"]))
    parts.append("</svg>")
    return "".join(parts)
