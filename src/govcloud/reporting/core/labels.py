"""The report's words in zh-CN (the default: the programme's own language) and English. Pure.

Every label a rendering prints comes from :func:`text`, so the HTML, Markdown and terminal reports say the
same thing in the same language. The headline rows carry their figures in a sentence of that language
(:func:`headline_rows`, :func:`hidden_rows`). Codes, names from the census and the dispositions (迁移, 下线…)
stay as the census writes them in both languages: they are values, not labels.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from govcloud.reporting.core.figures import Report


class Lang(enum.StrEnum):
    ZH = "zh-CN"
    EN = "en"


_TEXT: dict[str, tuple[str, str]] = {
    # key: (zh-CN, en)
    "title": ("政务云迁移报告", "e-government cloud migration report"),
    "generated": (
        "生成日期 {day}，由 govcloud report 根据普查清单、评估结果和迁移计划文件生成。",
        "Generated {day} by govcloud report from the inventory, the assessment and the plan files.",
    ),
    "headline": ("主要指标", "Headline figures"),
    "hidden": ("数字背后", "What the counts hide"),
    "assessment": ("评估结果", "Assessment findings"),
    "charts": ("图表", "Charts"),
    "dispositions": ("处置方式", "Dispositions"),
    "funnel": ("阶段漏斗", "Stage funnel"),
    "waves": ("迁移批次", "Waves"),
    "progress": ("进度：计划与实际", "Progress: planned against actual"),
    "recent": ("最近推进（据台账）", "Recently moved (from the ledger)"),
    "progress_ledger": ("据迁移台账 {path}", "from the ledger {path}"),
    "progress_plans": ("据迁移计划文件：尚未由台账记录", "from the plan files: not yet ledger-backed"),
    "blocked": ("受阻", "Blocked"),
    "late": ("逾期", "Late"),
    "none": ("无", "None"),
    "none_yet": ("尚无", "None yet"),
    "departments": ("各部门", "Per department"),
    "figure": ("指标", "Figure"),
    "value": ("数值", "Value"),
    "detail": ("说明", "Detail"),
    "number": ("数量", "Number"),
    "counts": ("计数对象", "Counts"),
    "disposition": ("处置", "Disposition"),
    "systems": ("系统数", "Systems"),
    "share": ("占比", "Share"),
    "total": ("合计", "total"),
    "stage": ("阶段", "Stage"),
    "reached": ("已开始", "Reached"),
    "done": ("已完成", "Done"),
    "wave": ("批次", "Wave"),
    "start": ("开始", "Start"),
    "end": ("结束", "End"),
    "cores": ("CPU 核", "Cores"),
    "memory": ("内存 (GiB)", "Memory (GiB)"),
    "running_total": ("累计", "Running total"),
    "systems_done": ("完成系统", "Systems done"),
    "stages": ("阶段数", "Stages"),
    "planned_done": ("计划应完成", "Planned done by now"),
    "in_progress": ("进行中", "In progress"),
    "pending": ("未开始", "Pending"),
    "system": ("系统", "System"),
    "status": ("状态", "Status"),
    "started": ("开始于", "Started"),
    "by": ("操作人", "By"),
    "signed_off": ("签核", "Signed off"),
    "overrides": ("门禁豁免", "Overrides"),
    "since": ("起始", "Since"),
    "reason": ("原因", "Reason"),
    "target_end": ("计划完成", "Target end"),
    "days_late": ("逾期天数", "Days late"),
    "owner": ("负责人", "Owner"),
    "department": ("部门", "Department"),
    "name": ("名称", "Name"),
    "held_short": ("暂缓/豁免", "暂缓/豁免"),
    "migrated": ("已迁移", "Migrated"),
    "entries": ("目录条目", "Entries"),
    "published": ("已发布", "Published"),
    "data_items": ("信息项", "Data items"),
    "shareable": ("可共享", "Shareable"),
    "open": ("开放", "Open"),
    "flows_out": ("被调用", "Flows out"),
    "flows_in": ("调用他部门", "Flows in"),
    "cores_freed": ("释放 CPU 核", "Cores freed"),
    "department_note": (
        "被调用：其他部门的系统使用本部门系统或数据的系统对数；调用他部门：反之。已迁移：业务通阶段已完成。",
        "Flows out: pairs in which another department's system uses this department's system or data; flows in: "
        "the reverse. Migrated: the business stage (业务通) is done.",
    ),
    "decommissions": (
        "{decommissions} 个下线/整合计划；{held} 个系统暂缓或豁免。",
        "{decommissions} decommission plans (整合, 下线); {held} systems held (暂缓, 豁免).",
    ),
    "cycles": ("依赖环（各在同一批次迁移）：", "Dependency cycles, each moving in one wave: "),
    "funnel_of": ("在 {moving} 个需迁移的系统中：", "Of the {moving} systems that move:"),
    "chart_dispositions": ("各处置方式的系统数", "Systems by disposition"),
    "chart_waves": ("各批次系统数（按时间）", "Systems per wave over time"),
    "chart_funnel": (
        "阶段漏斗：已开始 / 已完成各阶段的系统数",
        "Stage funnel: systems that reached / finished each stage",
    ),
    "chart_burnup": ("已完成阶段累计：计划与实际", "Stages done over time: burn-up, planned and actual"),
    "chart_no_waves": ("尚未安排批次", "no waves planned"),
    "chart_no_dated": ("没有带日期的阶段", "no dated stages"),
    "chart_systems_unit": ("个系统", "systems"),
    "chart_total": ("合计 {total}", "{total} total"),
    "chart_waves_legend": ("柱：每批系统数；线：累计", "columns: systems per wave; line: running total"),
    "chart_funnel_of": ("共 {moving} 个需迁移的系统", "of {moving} systems that move"),
    "chart_funnel_reached": ("已开始 {n}", "reached {n}"),
    "chart_funnel_done": ("已完成 {n}", "done {n}"),
    "chart_planned": ("计划 {n}", "{n} planned"),
    "chart_done": ("完成 {n}", "{n} done"),
    "chart_burnup_legend": (
        "虚线：计划（目标完成日）；实线：台账记录的完成数，截至今日",
        "dashed: planned (target ends); solid: done per the ledger, up to today",
    ),
    # headline rows
    "h_migrated": ("已迁移或整合的系统", "Systems migrated or integrated"),
    "h_migrated_detail": (
        "{migrated} / {moving} 个迁移系统完成业务通；{integrated} / {merging} 个整合完成",
        "{migrated} of {moving} moving systems finished 业务通; {integrated} of {merging} merges done",
    ),
    "h_published": ("已发布的目录条目", "Catalogue entries published"),
    "h_published_detail": ("占 {entries} 条的 {pct}", "{pct} of {entries}"),
    "h_items": ("信息项总数", "Data items in total"),
    "h_items_detail": ("分布于 {entries} 条目录条目", "in {entries} catalogue entries"),
    "h_shareable": ("可共享的条目", "Entries shareable"),
    "h_shareable_detail": (
        "无条件共享 {unconditional}，有条件共享 {conditional}；不予共享 {not_shared}",
        "{unconditional} 无条件共享, {conditional} 有条件共享; {not_shared} 不予共享",
    ),
    "h_open": ("向社会开放的条目", "Entries open to the public"),
    "h_open_detail": ("占条目的 {pct}", "{pct} of entries"),
    # hidden rows
    "x_flows": ("已声明的跨部门数据流", "Declared cross-department data flows"),
    "x_flows_detail": (
        "调用方/提供方系统对，涉及 {pairs} 个部门对",
        "consumer/provider system pairs across {pairs} department pairs",
    ),
    "x_unused": ("已发布但无人使用的条目", "Published entries nobody consumes"),
    "x_unused_detail": ("占已发布条目的 {pct}", "{pct} of published entries"),
    "x_retired": ("已下线的系统", "Systems retired"),
    "x_retired_detail": ("计划下线 {retiring} 个", "{retiring} planned (下线)"),
    "x_merged": ("已整合的系统", "Systems merged away"),
    "x_merged_detail": ("计划整合 {merging} 个", "{merging} planned (整合)"),
    "x_servers": ("下线/整合释放的服务器", "Servers freed by retire/merge"),
    "x_servers_detail": ("原有主机与物理服务器", "legacy hosts and physical servers"),
    "x_cores": ("下线/整合释放的 CPU 核", "CPU cores freed by retire/merge"),
    "x_cores_detail": ("下线系统的规格 × 副本数", "sizing × replicas of the systems that go"),
    "x_networks": ("已撤销的业务专网", "Private networks (业务专网) retired"),
    "x_networks_detail": (
        "共 {total} 个：{live} 个仍在使用，{empty} 个已清空待撤销",
        "{live} still live, {empty} emptied awaiting decommission, of {total}",
    ),
}

_STATUS_VIEW: dict[str, tuple[str, str]] = {
    # govcloud status: its tables and Markdown (the JSON keeps English keys: it is for programs)
    "st_heading": ("迁移状态 {today}", "Migration status, {today}"),
    "st_summary": (
        "{chosen} 个阶段，共 {total} 个；{source}；今天 {today}",
        "{chosen} stage(s) of {total}; {source}; today {today}",
    ),
    "st_total": ("{total} 个阶段；{source}。", "{total} stage(s); {source}."),
    "st_source_ledger": ("据迁移台账 {path}", "ledger {path}"),
    "st_source_plans": (
        "仅据迁移计划文件：尚未由台账记录（govcloud ledger adopt）",
        "plan files only: not yet ledger-backed (govcloud ledger adopt)",
    ),
    "st_by_wave": ("按批次", "by wave"),
    "st_by_department": ("按部门", "by department"),
    "st_stages": ("各阶段", "stages"),
    "st_wave": ("批次", "wave"),
    "st_department": ("部门", "department"),
    "st_systems": ("系统数", "systems"),
    "st_done_systems": ("已完成系统", "done systems"),
    "st_stage_count": ("阶段数", "stages"),
    "st_pending": ("未开始", "pending"),
    "st_in_progress": ("进行中", "in progress"),
    "st_blocked": ("受阻", "blocked"),
    "st_done": ("已完成", "done"),
    "st_planned_done": ("计划应完成", "planned done"),
    "st_late": ("逾期", "late"),
    "st_system": ("系统", "system"),
    "st_stage": ("阶段", "stage"),
    "st_status": ("状态", "status"),
    "st_planned": ("计划", "planned"),
    "st_actual": ("实际", "actual"),
    "st_owner": ("负责人", "owner"),
    "st_by": ("操作/签核", "by"),
    "st_gates": ("门禁", "gates"),
    "st_days": ("{days} 天", "{days} d"),
    "st_more_waves": (
        "… 另有 {count} 个批次（--wave N，或 --format json）",
        "… {count} more waves (--wave N, or --format json)",
    ),
    "st_more_departments": (
        "… 另有 {count} 个部门（--department，或 --format json）",
        "… {count} more departments (--department, or --format json)",
    ),
    "st_more_rows": (
        "… 另有 {count} 行（--limit，或 --format json 列出全部）",
        "… {count} more rows (--limit, or --format json for all)",
    ),
    "st_more_rows_md": ("… 另有 {count} 行。", "… {count} more rows."),
    "st_wave_key": ("第 {number} 批", "wave {number}"),
    "st_no_wave": ("未分批", "no wave"),
    "st_gates_hold": ("{held}/{total} 满足", "{held}/{total} hold"),
    "st_overridden": ("已豁免", "overridden"),
    "st_failing": ("未满足", "failing"),
    "st_signed_off": ("签核", "signed off"),
}

_STATUS: dict[str, tuple[str, str]] = {
    "pending": ("未开始", "pending"),
    "in_progress": ("进行中", "in progress"),
    "blocked": ("受阻", "blocked"),
    "done": ("已完成", "done"),
}

_ASSESSMENT: dict[str, tuple[str, str]] = {
    # the assessment's figure (English, from count_assessment) → (zh-CN figure, zh-CN unit)
    "systems assessed": ("已评估系统", "个系统"),
    "zombie candidates": ("僵尸系统候选", "至少符合一项僵尸判定的系统"),
    "zombie findings": ("僵尸判定依据", "条：每个系统符合的每项判定一条"),
    "proposed 下线": ("建议下线", "个系统：证据充分，无反向信号"),
    "to review 复核": ("待复核", "个系统：有反向信号或证据不足"),
    "replaceable": ("功能可被替代", "个系统：功能由重复系统覆盖（整合）"),
    "duplicate pairs": ("重复建设系统对", "对，每对计一次"),
    "duplicate pairs within a department": ("部门内重复系统对", "对（部门内部整合候选）"),
    "systems in duplicate pairs": ("涉及重复的系统", "个系统"),
    "not cloud-ready": ("不具备上云条件", "个系统：至少一项障碍"),
    "proposals awaiting confirmation": ("待确认的提议", "个系统（提议：下线或整合）"),
}


def text(lang: Lang) -> Mapping[str, str]:
    """Every label in ``lang``."""
    index = 0 if lang is Lang.ZH else 1
    return {key: pair[index] for key, pair in _TEXT.items()}


def status_view_text(lang: Lang) -> Mapping[str, str]:
    """Every label of ``govcloud status`` in ``lang``."""
    index = 0 if lang is Lang.ZH else 1
    return {key: pair[index] for key, pair in _STATUS_VIEW.items()}


def rollup_key(key: str, lang: Lang) -> str:
    """A status roll-up's key in ``lang``: ``wave 3`` → 第 3 批, ``no wave`` → 未分批; a department code as it is."""
    words = status_view_text(lang)
    if key == "no wave":
        return words["st_no_wave"]
    number = key.removeprefix("wave ")
    if number != key and number.isdigit():
        return words["st_wave_key"].format(number=number)
    return key


def status_label(status: str, lang: Lang) -> str:
    """A stage status (``done``, ``in_progress``…) in ``lang``; unknown values as they are."""
    pair = _STATUS.get(status)
    return status if pair is None else pair[0 if lang is Lang.ZH else 1]


def assessment_label(name: str, lang: Lang) -> str:
    """An assessment figure's name in ``lang`` (the assessment names its figures in English)."""
    pair = _ASSESSMENT.get(name)
    return name if pair is None or lang is Lang.EN else pair[0]


def assessment_unit(name: str, unit: str, lang: Lang) -> str:
    """What an assessment figure counts, in ``lang``."""
    pair = _ASSESSMENT.get(name)
    return unit if pair is None or lang is Lang.EN else pair[1]


def pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def num(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def headline_rows(report: Report, lang: Lang = Lang.ZH) -> list[tuple[str, str, str]]:
    """(figure, value, detail) rows of the programme's headline figures, city-wide."""
    f = report.totals
    t = text(lang)
    return [
        (
            t["h_migrated"],
            num(f.migrated + f.integrated),
            t["h_migrated_detail"].format(
                migrated=f.migrated, moving=f.moving, integrated=f.integrated, merging=f.merging
            ),
        ),
        (
            t["h_published"],
            num(f.published),
            t["h_published_detail"].format(pct=pct(f.published, f.catalogue_entries), entries=num(f.catalogue_entries)),
        ),
        (t["h_items"], num(f.data_items), t["h_items_detail"].format(entries=num(f.catalogue_entries))),
        (
            t["h_shareable"],
            num(f.shareable),
            t["h_shareable_detail"].format(
                unconditional=f.unconditional, conditional=f.conditional, not_shared=f.not_shared
            ),
        ),
        (
            t["h_open"],
            num(f.open_entries),
            t["h_open_detail"].format(pct=pct(f.open_entries, f.catalogue_entries)),
        ),
    ]


def hidden_rows(report: Report, lang: Lang = Lang.ZH) -> list[tuple[str, str, str]]:
    """(figure, value, detail) rows of what the headline counts hide, city-wide."""
    f = report.totals
    t = text(lang)
    return [
        (t["x_flows"], num(f.flows_out), t["x_flows_detail"].format(pairs=report.department_pairs)),
        (t["x_unused"], num(f.published_unused), t["x_unused_detail"].format(pct=pct(f.published_unused, f.published))),
        (t["x_retired"], num(f.retired), t["x_retired_detail"].format(retiring=f.retiring)),
        (t["x_merged"], num(f.integrated), t["x_merged_detail"].format(merging=f.merging)),
        (t["x_servers"], num(f.servers_freed), t["x_servers_detail"]),
        (t["x_cores"], num(f.cores_freed), t["x_cores_detail"]),
        (
            t["x_networks"],
            num(f.private_networks_retired),
            t["x_networks_detail"].format(
                live=f.private_networks_live, empty=f.private_networks_empty, total=f.private_networks
            ),
        ),
    ]
