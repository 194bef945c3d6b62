"""The report: exact figures on a small census, and renderings (markdown tables, one self-contained HTML file)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
import xml.etree.ElementTree as ET

import pytest

from govcloud.assessment.core.assessment import Decision
from govcloud.core import model
from govcloud.core.settings import WaveSettings
from govcloud.planning.core import stages, waves
from govcloud.planning.core.stages import Stage, StageStatus
from govcloud.reporting.core import figures as reports
from govcloud.reporting.core import labels
from govcloud.reporting.edges import render
from test_waves import assessment, entry, inventory, system

D = model.Disposition
TODAY = dt.date(2026, 7, 1)


def _shared(
    code: str, holder: str, kind: model.SharingType, items: int, *, published: bool, open_: bool = False
) -> model.CatalogueEntry:
    base = entry(code, holder, published=published)
    sharing = {
        model.SharingType.UNCONDITIONAL: model.Sharing(type=kind, conditions="无条件"),
        model.SharingType.CONDITIONAL: model.Sharing(type=kind, conditions="仅限审批使用"),
        model.SharingType.NOT_SHARED: model.Sharing(type=kind, legal_basis="《保守国家秘密法》"),
    }[kind]
    return base.model_copy(
        update={
            "sharing": sharing,
            "data_items": tuple(model.DataItem(name=f"项{i}", type=model.DataItemType.C) for i in range(items)),
            "open": model.OpenAttributes(open=open_),
        }
    )


@pytest.fixture(scope="module")
def report() -> reports.Report:
    return small_report()


def small_report() -> reports.Report:
    """Five systems of three departments: one moved, one merged, one to retire, one deferred."""
    legacy = system("GAJ-002", cpu=4).model_copy(
        update={"deployment": model.Deployment.PHYSICAL, "sizing": model.Sizing(cpu=4, memory_gib=8, replicas=2)}
    )
    systems = [
        system("GAJ-001"),
        legacy,
        system("MZJ-001", depends_on=["GAJ-001"], consumes=["10100100/0000001"]),
        system("MZJ-002"),
        system("RSJ-001", depends_on=["GAJ-001"]),
    ]
    catalogue = [
        _shared("10100100/0000001", "GAJ-001", model.SharingType.UNCONDITIONAL, 3, published=True, open_=True),
        _shared("10100100/0000002", "GAJ-001", model.SharingType.CONDITIONAL, 2, published=True),
        _shared("30100100/0000003", "MZJ-001", model.SharingType.NOT_SHARED, 1, published=False),
        _shared("10100100/0000004", "GAJ-002", model.SharingType.UNCONDITIONAL, 2, published=True),
    ]
    inv = inventory(systems, catalogue=catalogue).model_copy(
        update={
            "hosts": (
                model.Host(
                    name="legacy-mzj-01",
                    role=model.HostRole.SERVICE,
                    zone="ZMZJ",
                    addresses=(model.HostAddress(zone="ZMZJ", address=ipaddress.IPv4Interface("10.1.1.5/24")),),
                    systems=("MZJ-002",),
                ),
            )
        }
    )
    decisions = {
        "GAJ-002": Decision(D.RETIRE, ("idle",)),
        "MZJ-002": Decision(D.MERGE, ("duplicate",), merge_into="MZJ-001"),
        "RSJ-001": Decision(D.DEFER, ("vendor",)),
    }
    assessed = assessment(inv, decisions)
    wave_plan = waves.plan_waves(inv, assessed, WaveSettings())
    done, going, pending = StageStatus.DONE, StageStatus.IN_PROGRESS, StageStatus.PENDING
    tracking = {
        "GAJ-001": stages.Progress({Stage.NETWORK: done, Stage.DATA: done, Stage.BUSINESS: done}),
        "MZJ-001": stages.Progress({Stage.NETWORK: done, Stage.DATA: going, Stage.BUSINESS: pending}),
        "MZJ-002": stages.Progress({}, decommission=done),
        "GAJ-002": stages.Progress({}, decommission=pending),
    }
    dispositions = {code: a.decision.disposition for code, a in assessed.systems.items()}
    return reports.compute_report(inv, dispositions, wave_plan, tracking, today=TODAY)


def test_headline_figures_are_exact(report: reports.Report) -> None:
    f = report.totals
    assert f.systems == 5
    assert dict(f.dispositions) == {"迁移": 2, "改造后迁移": 0, "整合": 1, "下线": 1, "暂缓": 1, "豁免": 0}
    assert (f.moving, f.migrated, f.merging, f.integrated, f.retiring, f.retired) == (2, 1, 1, 1, 1, 0)
    assert (f.catalogue_entries, f.published, f.data_items) == (4, 3, 8)
    assert (f.shareable, f.unconditional, f.conditional, f.not_shared, f.open_entries) == (3, 2, 1, 1, 1)


def test_what_the_counts_hide_is_exact(report: reports.Report) -> None:
    f = report.totals
    assert f.flows_out == 2  # MZJ-001 → GAJ-001 (call and consumed entry count once), RSJ-001 → GAJ-001
    assert report.department_pairs == 2
    assert f.published_unused == 2  # only 10100100/0000001 is consumed
    assert f.servers_freed == 3  # GAJ-002: two physical replicas; MZJ-002: its legacy host
    assert f.cores_freed == 10  # 4 × 2 + 2 × 1
    assert dict(f.stage_reached) == {"network": 2, "data": 2, "business": 1}
    assert dict(f.stage_done) == {"network": 2, "data": 1, "business": 1}


def test_figures_per_department(report: reports.Report) -> None:
    by_code = {d.scope: d for d in report.departments}
    gaj, mzj, rsj = by_code["GAJ"], by_code["MZJ"], by_code["RSJ"]
    assert (gaj.systems, gaj.catalogue_entries, gaj.published, gaj.flows_out, gaj.flows_in) == (2, 3, 3, 2, 0)
    assert (gaj.servers_freed, gaj.cores_freed, gaj.migrated) == (2, 8, 1)
    assert (mzj.systems, mzj.catalogue_entries, mzj.flows_in, mzj.servers_freed, mzj.integrated) == (2, 1, 1, 1, 1)
    assert (rsj.dispositions["暂缓"], rsj.flows_in) == (1, 1)


def test_html_is_one_self_contained_file_with_charts(report: reports.Report) -> None:
    text = render.render_html(report, labels.Lang.EN)
    assert text.startswith("<!doctype html>")
    assert not re.search(r"https?://", text)
    assert "<script" not in text
    assert not re.search(r"""(src|href)=["'](?!#)""", text)  # nothing loaded from anywhere
    svgs = re.findall(r"<svg.*?</svg>", text, re.S)
    assert len(svgs) == 3
    for svg in svgs:
        ET.fromstring(svg)  # well-formed
    assert "<style>" in text
    assert "Systems migrated or integrated" in text
    assert "临江市" in text


def test_markdown_has_tables(report: reports.Report) -> None:
    text = render.render_markdown(report, labels.Lang.EN)
    lines = text.splitlines()
    assert "| Figure | Value | Detail |" in lines
    assert "| Systems migrated or integrated | 2 | 1 of 2 moving systems finished 业务通; 1 of 1 merges done |" in lines
    assert (
        "| Declared cross-department data flows | 2 | consumer/provider system pairs across 2 department pairs |"
        in lines
    )
    assert "| CPU cores freed by retire/merge | 10 | sizing × replicas of the systems that go |" in lines
    assert any(line.startswith("| GAJ | GAJ局 | 2 | 1 | 0 | 0 | 1 | 0 | 1 | 3 | 3 | 7 |") for line in lines)
    headers = [i for i, line in enumerate(lines) if line.startswith("| ") and lines[i + 1].startswith("|---")]
    assert len(headers) >= 6
    for index in headers:
        width = lines[index].count("|")
        row = index + 2
        while row < len(lines) and lines[row].startswith("|"):
            assert lines[row].count("|") == width, lines[row]
            row += 1


def test_json_carries_every_figure(report: reports.Report) -> None:
    data = json.loads(render.render_json(report))
    assert data["totals"]["published"] == 3
    assert data["totals"]["cores_freed"] == 10
    assert [d["scope"] for d in data["departments"]] == ["GAJ", "MZJ", "RSJ"]
    assert data["generated_on"] == "2026-07-01"


def test_wave_chart_groups_many_waves() -> None:
    rows = [
        reports.WaveRow(
            n, dt.date(2027, 1, 4) + dt.timedelta(days=28 * (n - 1)), dt.date(2030, 1, 1), 40, 200, 800, 40 * n
        )
        for n in range(1, 450)
    ]
    svg = render.svg_waves(rows, title="Systems per wave over time", t=labels.text(labels.Lang.EN))
    ET.fromstring(svg)
    assert svg.count("<rect") <= 60
