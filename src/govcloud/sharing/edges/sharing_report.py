"""The data-sharing report (数据共享情况) as Markdown, JSON and one self-contained HTML page.

Edge: renders :class:`govcloud.sharing.core.grants.SharingReport`; the figures come from the core.
"""

from __future__ import annotations

import dataclasses
import html
import json
from collections.abc import Sequence
from typing import Any

from govcloud.sharing.core.consistency import CatalogueFinding
from govcloud.sharing.core.grants import DepartmentFigures, SharingReport
from govcloud.sharing.core.requests import RequestState

COLUMNS = (
    "department",
    "name",
    *(s.value for s in RequestState),
    "answered",
    "answered late",
    "median answer (working days)",
    "grants delivered",
    "shareable entries",
    "never requested",
)


def row_cells(row: DepartmentFigures) -> list[str]:
    median = "" if row.median_answer_workdays is None else f"{row.median_answer_workdays:g}"
    return [
        row.department,
        row.name,
        *(str(row.requests_by_state.get(s.value, 0)) for s in RequestState),
        str(row.answered),
        str(row.answered_late),
        median,
        str(row.grants_delivered),
        str(row.entries),
        str(row.entries_never_requested),
    ]


def rows(report: SharingReport) -> list[DepartmentFigures]:
    """Departments with any request or shareable entry, then the city-wide row."""
    busy = [r for r in report.departments if r.requests_by_state or r.entries]
    return [*busy, report.city]


FINDING_COLUMNS = ("department", "subject", "rule", "finding")


def finding_cells(finding: CatalogueFinding) -> list[str]:
    return [finding.department, finding.subject, finding.rule, finding.message]


def to_json(report: SharingReport, findings: Sequence[CatalogueFinding] = ()) -> str:
    data: dict[str, Any] = {
        "on": report.on.isoformat(),
        "city": dataclasses.asdict(report.city),
        "departments": [dataclasses.asdict(r) for r in report.departments],
        "never_requested": list(report.never_requested),
        "findings": [dataclasses.asdict(f) for f in findings],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def to_markdown(report: SharingReport, findings: Sequence[CatalogueFinding] = ()) -> str:
    lines = [
        f"# 数据共享情况 (data sharing) as of {report.on.isoformat()}",
        "",
        "Deadlines in working days of the official calendar (政务数据共享条例 Art. 21-22); answered late counts",
        "answers given after their deadline (with any extension).",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    for row in rows(report):
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in row_cells(row)) + " |")
    lines.append("")
    if findings:
        lines += [f"## Catalogue findings ({len(findings)})", "", "| " + " | ".join(FINDING_COLUMNS) + " |"]
        lines.append("|" + "---|" * len(FINDING_COLUMNS))
        for finding in findings:
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in finding_cells(finding)) + " |")
        lines.append("")
    return "\n".join(lines)


def to_html(report: SharingReport, findings: Sequence[CatalogueFinding] = ()) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row_cells(row)) + "</tr>" for row in rows(report)
    )
    listed = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in finding_cells(f)) + "</tr>" for f in findings
    )
    findings_html = (
        f'<h2>Catalogue findings ({len(findings)})</h2><table class="findings"><thead><tr>'
        + "".join(f"<th>{html.escape(c)}</th>" for c in FINDING_COLUMNS)
        + f"</tr></thead><tbody>{listed}</tbody></table>"
        if findings
        else ""
    )
    return (
        '<!doctype html>\n<html lang="zh"><head><meta charset="utf-8">'
        f"<title>数据共享情况 {report.on.isoformat()}</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #bbb;padding:.3em .6em;text-align:right}td:nth-child(2),th:nth-child(2)"
        "{text-align:left}table:not(.findings) tr:last-child{font-weight:bold;background:#f3f3f3}"
        "table.findings td{text-align:left}</style></head><body>"
        f"<h1>数据共享情况 as of {report.on.isoformat()}</h1>"
        "<p>Deadlines in working days of the official calendar (政务数据共享条例 Art. 21-22).</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{findings_html}</body></html>\n"
    )
