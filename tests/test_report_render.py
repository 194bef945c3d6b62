"""The report in Chinese, rendered anywhere: labels, the embedded font subset, print layout, headless Chromium.

The screenshot tests run Debian's ``chromium`` (installed by ``scripts/install.sh``) with ``FONTCONFIG_FILE``
pointing at a fontconfig that lists only a folder holding DejaVu Sans, so the machine's Noto CJK is invisible
to it, as on a fresh machine without Chinese fonts.
"""

from __future__ import annotations

import dataclasses
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pypdf
import pytest
from fontTools.ttLib import TTFont
from PIL import Image, ImageChops

from govcloud.reporting.core import figures, labels
from govcloud.reporting.core.labels import Lang
from govcloud.reporting.edges import fonts, render
from test_report import small_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (scripts/install.sh installs Debian's chromium)"
)
LATIN_ONLY_FONT = next(
    (
        p
        for p in (
            Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
            Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
        )
        if p.is_file()
    ),
    None,
)


@pytest.fixture(scope="module")
def report() -> figures.Report:
    return small_report()


@pytest.fixture(scope="module")
def cjk_font() -> fonts.FontSource:
    found = fonts.find_cjk_font(None)
    assert found is not None, "no CJK font on this machine: scripts/install.sh installs fonts-noto-cjk"
    return found


# ---------------------------------------------------------------------------------------------------------
# Labels and the font subset (no browser)


def test_labels_are_chinese_by_default_and_english_on_request(report: figures.Report) -> None:
    chinese = render.render_markdown(report)
    english = render.render_markdown(report, Lang.EN)
    assert chinese.startswith("# 临江市：政务云迁移报告")
    assert "| 已迁移或整合的系统 | 2 | 1 / 2 个迁移系统完成业务通；1 / 1 个整合完成 |" in chinese.splitlines()
    assert "## 数字背后" in chinese
    assert "What the counts hide" not in chinese
    assert "## What the counts hide" in english
    assert "数字背后" not in english
    assert '<html lang="zh-CN">' in render.render_html(report)
    assert '<html lang="en">' in render.render_html(report, Lang.EN)


def test_every_label_has_both_languages_and_the_same_placeholders() -> None:
    chinese, english = labels.text(Lang.ZH), labels.text(Lang.EN)
    assert chinese.keys() == english.keys()
    for key in chinese:
        assert chinese[key], key
        assert english[key], key
        assert set(re.findall(r"\{(\w+)\}", chinese[key])) == set(re.findall(r"\{(\w+)\}", english[key])), key


def test_terminal_tables_fold_instead_of_truncating(report: figures.Report) -> None:
    from rich.console import Console

    console = Console(width=80, record=True, color_system=None)
    for table in render.render_terminal(report):
        console.print(table)
    shown = console.export_text()
    assert "…" not in shown
    assert "已声明的跨部门数据流" in shown
    assert "已迁移或整合的系统" in shown


def test_html_embeds_a_subset_with_exactly_the_characters_it_draws(
    report: figures.Report, cjk_font: fonts.FontSource
) -> None:
    page = render.render_html(report, font=cjk_font)
    assert "SIL Open Font License" in page
    found = re.search(r'src: url\(data:font/woff2;base64,([A-Za-z0-9+/=]+)\) format\("woff2"\)', page)
    assert found is not None
    import base64

    font = TTFont(io.BytesIO(base64.b64decode(found.group(1))))
    assert font.flavor == "woff2"
    covered = {chr(c) for c in font.getBestCmap()}
    drawn = {c for c in render.drawn_characters(page) if not c.isspace()}
    assert drawn <= covered | {"\u2060"}
    assert "临" in covered
    assert "迁" in covered
    assert "鬱" not in covered  # a character the report does not draw is not in the subset
    assert len(base64.b64decode(found.group(1))) < 200_000
    assert not re.search(r"https?://", page)
    assert "<script" not in page


def test_a_configured_font_path_that_is_missing_is_an_error_naming_the_setting(tmp_path: Path) -> None:
    from govcloud.errors import InputError

    with pytest.raises(InputError) as raised:
        fonts.find_cjk_font(str(tmp_path / "none.otf"))
    assert "reports.cjk_font" in raised.value.problems[0].render()


def test_a_latin_only_font_is_not_taken_for_a_cjk_font() -> None:
    if LATIN_ONLY_FONT is None:
        pytest.skip("DejaVu Sans is not installed (fonts-dejavu-core)")
    assert fonts._choose_face(LATIN_ONLY_FONT) is None


def test_print_stylesheet_shows_every_row_and_breaks_pages_between_sections(report: figures.Report) -> None:
    page = render.render_html(report)
    printing = page[page.index("@media print") :]
    printing = printing[: printing.index("@page")]
    assert re.search(r"\.scroll \{ max-height: none; overflow: visible; \}", printing)
    assert "h2 { break-before: page; }" in printing
    assert page.count('<div class="scroll">') >= 2  # on screen the long tables scroll


def test_charts_carry_counts_when_few_systems_moved(report: figures.Report) -> None:
    page = render.render_html(report)
    funnel = re.search(r'<svg[^>]*aria-label="阶段漏斗[^"]*".*?</svg>', page, re.S)
    assert funnel is not None
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", funnel.group(0))
    assert "已开始 2 (100.0%)" in texts
    assert "已完成 1 (50.0%)" in texts
    waves = re.search(r'<svg[^>]*aria-label="各批次系统数[^"]*".*?</svg>', page, re.S)
    assert waves is not None
    wave_counts = [r.systems for r in report.waves]
    columns = re.findall(r'<text[^>]*text-anchor="middle"[^>]*>(\d+)</text>', waves.group(0))
    assert [int(c) for c in columns] == wave_counts


# ---------------------------------------------------------------------------------------------------------
# Headless Chromium on a machine without CJK fonts


@pytest.fixture(scope="module")
def fontless(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment whose fontconfig knows one folder with DejaVu Sans only: no CJK font is visible."""
    if LATIN_ONLY_FONT is None:
        pytest.skip("DejaVu Sans is not installed (fonts-dejavu-core): no Latin-only font to build the machine from")
    root = tmp_path_factory.mktemp("fontless")
    (root / "fonts").mkdir()
    shutil.copy(LATIN_ONLY_FONT, root / "fonts")
    config = root / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
        f"<fontconfig><dir>{root / 'fonts'}</dir><cachedir>{root / 'cache'}</cachedir></fontconfig>\n",
        encoding="utf-8",
    )
    env = {**os.environ, "FONTCONFIG_FILE": str(config), "HOME": str(root)}
    listed = subprocess.run(["fc-list"], env=env, capture_output=True, text=True, check=True).stdout
    assert "CJK" not in listed
    assert "DejaVu" in listed
    return env


def _screenshot(html_text: str, directory: Path, name: str, env: dict[str, str], *, height: int = 900) -> Image.Image:
    assert CHROMIUM is not None
    page = directory / f"{name}.html"
    page.write_text(html_text, encoding="utf-8")
    shot = directory / f"{name}.png"
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={directory / ('profile-' + name)}",
            f"--window-size=1280,{height}",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        env=env,
        capture_output=True,
        check=True,
        timeout=120,
    )
    return Image.open(shot).convert("L")


def _glyph_cells(band: Image.Image) -> list[Image.Image]:
    """Crops of the dark runs of columns in a band of one line of text (a glyph, or a glyph's parts)."""
    width, height = band.size
    pixels = band.load()
    assert pixels is not None
    inked = [any(pixels[x, y] < 128 for y in range(height)) for x in range(width)]
    cells, start = [], None
    for x, ink in enumerate([*inked, False]):
        if ink and start is None:
            start = x
        elif not ink and start is not None:
            cells.append(band.crop((start, 0, x, height)))
            start = None
    return cells


def _title_band(shot: Image.Image) -> Image.Image:
    """The h1 line (the city and the report's title, all CJK): the first rows with ink, to the first blank row."""
    width, height = shot.size
    pixels = shot.load()
    assert pixels is not None
    rows = [any(pixels[x, y] < 128 for x in range(width)) for y in range(height)]
    top = rows.index(True)
    bottom = rows.index(False, top)
    return shot.crop((0, top, width, bottom))


@needs_chromium
def test_report_renders_its_chinese_with_the_embedded_font_where_no_cjk_font_is_installed(
    report: figures.Report, cjk_font: fonts.FontSource, fontless: dict[str, str], tmp_path: Path
) -> None:
    with_font = _screenshot(render.render_html(report, font=cjk_font), tmp_path, "embedded", fontless)
    without_font = _screenshot(render.render_html(report), tmp_path, "system-fonts-only", fontless)
    title_with, title_without = _title_band(with_font), _title_band(without_font)
    # the same text, drawn differently: the CJK title region is not the same picture
    assert ImageChops.difference(with_font, without_font).getbbox() is not None
    cells_without = _glyph_cells(title_without)
    cells_with = _glyph_cells(title_with)
    # without the font every character of 临江市：政务云迁移报告 is the same box (tofu): identical crops
    assert len(cells_without) >= 8
    first = cells_without[0].tobytes()
    assert all(c.tobytes() == first for c in cells_without), "the font-less render should draw tofu boxes"
    # with it the characters are real glyphs: different shapes, and none of them a tofu box
    distinct = {c.tobytes() for c in cells_with}
    assert len(distinct) >= 8
    assert first not in distinct


@needs_chromium
def test_print_layout_puts_every_department_on_paper(
    report: figures.Report, fontless: dict[str, str], tmp_path: Path
) -> None:
    # 60 departments: far more than the department table's scroll box shows on screen (the issue saw 16 of 45)
    template = report.departments[0]
    many = dataclasses.replace(
        report,
        departments=tuple(dataclasses.replace(template, scope=f"D{i:02d}", name=f"部门{i:02d}") for i in range(60)),
    )
    page = render.render_html(many, Lang.ZH)
    source = tmp_path / "print.html"
    source.write_text(page, encoding="utf-8")
    pdf = tmp_path / "print.pdf"
    assert CHROMIUM is not None
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile-print'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            source.as_uri(),
        ],
        env=fontless,
        capture_output=True,
        check=True,
        timeout=120,
    )
    reader = pypdf.PdfReader(pdf)
    pages = [p.extract_text() for p in reader.pages]
    printed = "\n".join(pages)
    # every department's row is on paper: its code, its name (matched by its digits: the PDF's text layer does not
    # map every glyph of the embedded CJK subset back to its character) and its system count
    rows = {m[1] for m in re.finditer(r"^(D\d\d) \S+?(\d\d) 2 ", printed, flags=re.MULTILINE) if m[1][1:] == m[2]}
    assert rows == {d.scope for d in many.departments}
    # a page break before every section after the first
    assert len(pages) >= page.count("<h2")


# ---------------------------------------------------------------------------------------------------------
# The command


def test_report_command_prints_tables_in_chinese_or_english(bundled_inventory: Path) -> None:
    from typer.testing import CliRunner

    from govcloud.cli import app

    plans = bundled_inventory.parent / "migrations_plan"
    args = ["report", "--format", "table", "--inventory", str(bundled_inventory), "--plans", str(plans)]
    chinese = CliRunner().invoke(app, [*args, "--today", "2027-03-01"])
    assert chinese.exit_code == 0, chinese.output
    assert "临江市：主要指标" in chinese.stdout
    english = CliRunner().invoke(app, [*args, "--today", "2027-03-01", "--lang", "en"])
    assert "临江市：Headline figures" in english.stdout
    assert "主要指标" not in english.stdout


def test_html_without_a_cjk_font_warns_and_still_writes(
    bundled_inventory: Path, fontless: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from govcloud.cli import app

    monkeypatch.setenv("FONTCONFIG_FILE", fontless["FONTCONFIG_FILE"])
    monkeypatch.setattr(fonts, "KNOWN_PATHS", ())
    out = tmp_path / "report.html"
    plans = bundled_inventory.parent / "migrations_plan"
    args = [
        "report",
        "--format",
        "html",
        "--out",
        str(out),
        "--inventory",
        str(bundled_inventory),
        "--plans",
        str(plans),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "no CJK font found to embed" in result.output
    page = out.read_text(encoding="utf-8")
    assert "@font-face" not in page
    assert "临江市" in page
