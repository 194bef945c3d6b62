"""The report's renderings and files: what ``govcloud report`` and ``govcloud run`` write. Application layer.

The CLI picks a format and prints or writes what these return; the renderings themselves are
:mod:`govcloud.reporting.edges.render` (templates, charts, rich tables) and the embedded font
:mod:`govcloud.reporting.edges.fonts`.
"""

from __future__ import annotations

import dataclasses
import enum
from pathlib import Path

import rich.table

from govcloud.core.settings import Settings
from govcloud.edges import settings_file, yamlio
from govcloud.reporting.core import figures
from govcloud.reporting.core.labels import Lang
from govcloud.reporting.edges import fonts, render


class TextFormat(enum.StrEnum):
    """The report's text renderings (the terminal tables are :func:`terminal_tables`)."""

    MARKDOWN = "markdown"
    HTML = "html"
    JSON = "json"


def language(lang: Lang | None, settings: Settings) -> Lang:
    """``--lang``, else the settings' ``reports.language``."""
    return lang if lang is not None else Lang(settings.reports.language)


def language_of(lang: Lang | None, inventory_dir: Path) -> Lang:
    """``--lang``, else the ``reports.language`` of the inventory's settings (commands without a workspace)."""
    return lang if lang is not None else language(None, settings_file.load_settings(inventory_dir))


@dataclasses.dataclass(frozen=True)
class FontChoice:
    """The CJK font to embed in HTML, and the warning to show when the settings want one and there is none."""

    font: fonts.FontSource | None
    warning: str | None


def font_for_html(settings: Settings) -> FontChoice:
    font = fonts.font_to_embed(settings.reports)
    warning = fonts.NO_FONT_WARNING if font is None and settings.reports.embed_font else None
    return FontChoice(font, warning)


def render_text(
    report: figures.Report, output: TextFormat, *, lang: Lang = Lang.ZH, font: fonts.FontSource | None = None
) -> str:
    """The report as Markdown, HTML (with ``font`` embedded as a subset) or JSON."""
    if output is TextFormat.HTML:
        return render.render_html(report, lang, font=font)
    if output is TextFormat.JSON:
        return render.render_json(report)
    return render.render_markdown(report, lang)


def terminal_tables(report: figures.Report, lang: Lang) -> list[rich.table.Table]:
    """The report as rich tables for a terminal."""
    return render.render_terminal(report, lang)


def write_text(out: Path, text: str) -> None:
    """Write one rendering to ``out`` (atomically: a failed run leaves the old file)."""
    yamlio.write_atomic(out, text)


@dataclasses.dataclass(frozen=True)
class WrittenReports:
    html: Path
    markdown: Path


def write_reports(
    report: figures.Report, reports_dir: Path, *, lang: Lang, font: fonts.FontSource | None
) -> WrittenReports:
    """``run``'s reports: ``report.html`` and ``report.md`` in ``reports_dir``, both or neither."""
    written = WrittenReports(reports_dir / "report.html", reports_dir / "report.md")
    with yamlio.staged_writes() as pending:
        pending[written.html] = render.render_html(report, lang, font=font)
        pending[written.markdown] = render.render_markdown(report, lang)
    return written
