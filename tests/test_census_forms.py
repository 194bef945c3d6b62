"""Census forms: template, import of real .xlsx/.csv files, all-or-nothing errors, re-import, export round trip."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import io
import ipaddress
import itertools
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableCell, TableRow
from odf.text import P, S
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

import form_writers as fw
from govcloud.census.core import codes
from govcloud.census.edges import census_forms as cf
from govcloud.core import example, model
from govcloud.core.settings import CensusFormSettings
from govcloud.edges import inventory_files
from govcloud.errors import GovcloudError, InputError

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "inventory"
TODAY = dt.date(2026, 12, 31)
D = dt.date

NEW_DEPT_NAME = "临江市数据资源局"
NEW_DEPT_USCC = codes.make_uscc("1", "1", "330100", "88880001")


# ---------------------------------------------------------------------------------------------------------
# helpers


@pytest.fixture(scope="module")
def bundled() -> model.Inventory:
    return inventory_files.load_inventory(BUNDLED, today=TODAY).inventory


@pytest.fixture
def bundled_dir(tmp_path: Path) -> Path:
    """A copy of the bundled inventory (tests never touch the real one)."""
    root = tmp_path / "inventory"
    shutil.copytree(BUNDLED, root)
    return root


@pytest.fixture(scope="module")
def small_source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, model.Inventory]:
    """A small example city (45 departments, 60 systems): the same shapes as the bundled one, loads 5x faster."""
    root = tmp_path_factory.mktemp("small") / "inventory"
    inventory_files.write_inventory(root, example.generate_city(systems=60, seed=3).inventory)
    return root, inventory_files.load_inventory(root, today=TODAY).inventory


@pytest.fixture
def small(tmp_path: Path, small_source: tuple[Path, model.Inventory]) -> tuple[Path, model.Inventory]:
    """A fresh copy of the small city: (its directory, its inventory)."""
    root = tmp_path / "inventory"
    shutil.copytree(small_source[0], root)
    return root, small_source[1]


def file_digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*.yaml"))}


def sheet_rows(spec: cf.SheetSpec, rows: list[Mapping[str, object]]) -> list[list[object]]:
    for row in rows:
        unknown = set(row) - set(spec.headers)
        assert not unknown, unknown
    return [list(spec.headers), *([row.get(h) for h in spec.headers] for row in rows)]


def write_xlsx(path: Path, sheets: Mapping[str, list[list[object]]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def read_xlsx_rows(path: Path) -> dict[str, list[list[Any]]]:
    workbook = openpyxl.load_workbook(path)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in workbook.worksheets}


def system_row(code: str, department: str, **overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "系统编码": code,
        "系统名称": "数据资源目录管理系统",
        "所属部门": department,
        "系统功能": "管理全市政务数据资源目录，支撑编目、审核和发布",
        "使用范围": "跨部门",
        "使用频度": "每日",
        "审批部门": "市大数据中心",
        "审批时间": "2019-01-01",
        "建设方式": "政府投资建设",
        "建设经费来源": "市级财政资金",
        "运维经费来源": "部门预算",
        "承载网络": "电子政务外网",
        "是否涉密": "否",
        "等保级别": "二级",
        "部署方式": "虚拟机",
        "操作系统": "UOS 20",
        "CPU架构": "x86",
        "数据库": "DM8",
        "厂商支持": "正常",
        "上线时间": "2020-01-01",
        "最近更新时间": "2025-01-01",
        "CPU平均利用率": "30",
        "月活跃用户": "500",
    }
    row.update(overrides)
    return row


def entry_row(code: str, provider: str, **overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "资源代码": code,
        "资源名称": "数据资源目录信息",
        "资源分类": "部门信息资源",
        "提供方": provider,
        "资源摘要": "目录数据",
        "资源格式": "数据库",
        "信息项": "资源名称:C;发布日期:D",
        "共享类型": "无条件共享",
        "共享条件": "无条件",
        "共享方式": "接口",
        "是否开放": "否",
        "更新周期": "每月",
        "发布日期": "2024-01-01",
    }
    row.update(overrides)
    return row


def problem_keys(exc: InputError) -> set[tuple[str, str | None, int | None, str]]:
    return {(Path(p.path).name, p.sheet, p.line, p.field) for p in exc.problems}


def removable_system(inv: model.Inventory, department: str) -> model.System:
    """A system of ``department`` that nothing else refers to (so a form may drop it)."""
    depended = {d for s in inv.systems for d in s.depends_on}
    consumed = {c for s in inv.systems for c in s.consumes}
    related = {r for e in inv.catalogue for r in e.related}
    merged_into = {s.disposition_override.merge_into for s in inv.systems if s.disposition_override}
    hosted = {code for h in inv.hosts for code in h.systems}
    for system in inv.systems_of_department[department]:
        entries = {e.code for e in inv.entries_of_system.get(system.code, ())}
        if (
            system.code not in depended | merged_into | hosted
            and not entries & (consumed | related)
            and not system.classified
        ):
            return system
    raise AssertionError(f"{department} has no removable system")


def busiest_department(inv: model.Inventory) -> str:
    return max(inv.departments, key=lambda d: (len(inv.systems_of_department.get(d.code, ())), d.code)).code


# ---------------------------------------------------------------------------------------------------------
# template

SYSTEM_HEADERS = [
    *("系统编码", "系统名称", "所属部门", "系统功能", "使用范围", "使用频度", "审批部门", "审批时间", "建设方式"),
    *("建设经费来源", "运维经费来源", "承载网络", "是否涉密", "等保级别", "部署方式", "操作系统", "CPU架构"),
    *("数据库", "专用硬件", "厂商支持", "上线时间", "最近更新时间", "CPU平均利用率", "月活跃用户", "依赖系统"),
]
CATALOGUE_HEADERS = [
    *("资源代码", "资源名称", "资源分类", "提供方", "资源摘要", "资源格式", "信息项", "共享类型", "共享条件"),
    *("共享方式", "是否开放", "开放条件", "更新周期", "发布日期", "关联资源代码"),
    *("数据分级", "共享范围", "使用用途", "保密和个人信息评估日期", "评估审批人"),  # 条例 Art. 13, 15
]


def test_template_has_three_sheets_with_the_issue_headers(tmp_path: Path) -> None:
    path = tmp_path / "form.xlsx"
    cf.write_template(path)
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames[:3] == ["部门", "系统", "信息资源"]
    headers = {ws.title: [c.value for c in ws[1]] for ws in workbook.worksheets[:3]}
    assert headers["部门"] == ["部门名称", "统一社会信用代码", "上级部门", "政务数据共享工作机构", "工作机构负责人"]
    assert headers["系统"] == SYSTEM_HEADERS
    assert headers["信息资源"] == CATALOGUE_HEADERS
    for ws in workbook.worksheets[:3]:
        assert ws.freeze_panes == "A2"
        assert ws.max_row == 1  # blank form


EXPECTED_DROPDOWNS = {
    "系统": {
        "使用范围": ["部门内部", "跨部门", "面向公众"],
        "使用频度": ["每日", "每周", "每月", "每季度", "每年", "极少"],
        "建设方式": ["政府投资建设", "政企合作建设", "购买服务"],
        "承载网络": ["电子政务外网", "电子政务内网", "业务专网", "互联网", "局域网"],
        "是否涉密": ["是", "否"],
        "等保级别": ["一级", "二级", "三级", "四级", "五级", "未定级"],
        "部署方式": ["物理机", "虚拟机", "容器"],
        "CPU架构": ["x86", "ARM", "小型机", "大型机"],
        "厂商支持": ["正常", "停止支持", "厂商不存在"],
    },
    "信息资源": {
        "资源分类": ["基础信息资源", "主题信息资源", "部门信息资源"],
        "资源格式": ["电子文件", "电子表格", "数据库", "图形图像", "流媒体", "自描述格式", "服务接口"],
        "共享类型": ["无条件共享", "有条件共享", "不予共享"],
        "是否开放": ["是", "否"],
        "更新周期": ["实时", "每日", "每周", "每月", "每季度", "每半年", "每年"],
        "数据分级": ["一般", "重要", "核心"],
    },
    "部门": {},
}


def test_template_has_a_dropdown_on_every_enumerated_column(tmp_path: Path) -> None:
    path = tmp_path / "form.xlsx"
    cf.write_template(path)
    workbook = openpyxl.load_workbook(path)
    for sheet_name, expected in EXPECTED_DROPDOWNS.items():
        ws = workbook[sheet_name]
        found: dict[str, list[str]] = {}
        for validation in ws.data_validations.dataValidation:
            assert validation.type == "list"
            assert validation.allow_blank
            formula = validation.formula1
            assert formula[0] == formula[-1] == '"'
            for cell_range in validation.sqref.ranges:
                assert cell_range.min_row == 2
                assert cell_range.max_row >= 1000
                assert cell_range.min_col == cell_range.max_col
                header = ws.cell(row=1, column=cell_range.min_col).value
                found[header] = formula.strip('"').split(",")
        assert found == expected, sheet_name


def test_template_notes_explain_dates_and_data_items(tmp_path: Path) -> None:
    path = tmp_path / "form.xlsx"
    cf.write_template(path)
    workbook = openpyxl.load_workbook(path)
    notes = {c.value: c.comment.text for ws in workbook.worksheets for c in ws[1] if c.comment}
    assert "2015年3月" in notes["审批时间"]
    assert "名称:类型" in notes["信息项"]
    assert "未定级" in notes["等保级别"]


def test_long_dropdown_lists_go_to_the_hidden_lists_sheet() -> None:
    hidden: list[tuple[str, ...]] = []
    short = cf.list_validation(("是", "否"), hidden)
    assert short.formula1 == '"是,否"'
    assert hidden == []
    choices = tuple(f"第{i}号很长的选项名称" for i in range(40))
    long = cf.list_validation(choices, hidden)
    assert long.formula1 == "'选项'!$A$1:$A$40"
    assert hidden == [choices]


def test_template_refuses_a_non_xlsx_name(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="invalid input") as caught:
        cf.write_template(tmp_path / "form.csv")
    assert caught.value.problems[0].path.endswith("form.csv")
    assert not (tmp_path / "form.csv").exists()


# ---------------------------------------------------------------------------------------------------------
# import: messy values in a real workbook


def messy_workbook(path: Path, inv: model.Inventory) -> Path:
    related, related_2 = inv.catalogue[0].code, inv.catalogue[1].code
    dependency, dependency_2 = inv.systems[0].code, inv.systems[1].code
    dsj = inv.department_by_code["DSJ"].name
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    title_sheet = workbook.create_sheet("说明")
    title_sheet.append(["本表由各部门填写后交回"])
    departments = workbook.create_sheet("部门")
    departments.append(["临江市政务信息系统普查表（部门）"])  # a title row above the headers
    for row in sheet_rows(
        cf.DEPARTMENT_SHEET, [{"部门名称": f" {NEW_DEPT_NAME} ", "统一社会信用代码": NEW_DEPT_USCC, "上级部门": dsj}]
    ):
        departments.append(row)
    systems = workbook.create_sheet("系统")
    for row in sheet_rows(
        cf.SYSTEM_SHEET,
        [
            system_row(
                "SJZY-001",
                NEW_DEPT_NAME,
                审批时间="2013年",
                上线时间="2015年3月",
                最近更新时间=dt.datetime(2024, 5, 6),
                月活跃用户="８，５００",
                CPU平均利用率="35%",
                等保级别="第三级",
                是否涉密=" 否 ",
                部署方式=" 虚拟机 ",
                CPU架构="X86_64",
                依赖系统=f"{dependency}，{dependency_2.lower()}",
                数据库="MySQL 5.7；DM8",
            ),
            {},  # a blank row
            system_row(
                " sjzy-002 ",
                NEW_DEPT_NAME,
                审批时间=41061,  # a date cell typed as a plain number: an Excel serial
                上线时间="２０１４年",
                最近更新时间="2014-06-30 ",
                月活跃用户=1200,
                CPU平均利用率=None,
                等保级别="未定级",
                使用范围="部门内部",
                依赖系统="SJZY-001",
            ),
            system_row(
                "SJZY-003",
                NEW_DEPT_NAME,
                审批时间="2015/3/1",
                上线时间="2015.03",
                最近更新时间=dt.date(2025, 2, 1),
                等保级别=3,
                CPU平均利用率=None,
                月活跃用户="1.2万",
            ),
        ],
    ):
        systems.append(row)
    systems["W5"].value = 0.355  # CPU平均利用率 of SJZY-003, as a percent-formatted cell
    systems["W5"].number_format = "0.0%"
    entries = workbook.create_sheet("信息资源")
    for row in sheet_rows(
        cf.CATALOGUE_SHEET,
        [
            entry_row(
                "39999901/9000001",
                NEW_DEPT_NAME,
                信息项="资源名称：C；出生日期：Ｄ；",
                共享条件=None,
                是否开放="是",
                开放条件="无",
                发布日期="2020年5月",
                关联资源代码=f"{related}，{related_2}",
            ),
            entry_row(
                "39999901/9000002",
                NEW_DEPT_NAME,
                共享类型="不予共享",
                共享条件="《中华人民共和国保守国家秘密法》",
                共享方式=None,
                资源分类=" 部门信息资源 ",
            ),
        ],
    ):
        entries.append(row)
    workbook.save(path)
    return path


def test_import_normalises_every_messy_value_of_a_real_workbook(bundled_dir: Path, tmp_path: Path) -> None:
    before = inventory_files.load_inventory(bundled_dir, today=TODAY).inventory
    form = messy_workbook(tmp_path / "数据资源局.xlsx", before)

    report = cf.import_forms([form], bundled_dir, today=TODAY)

    after = inventory_files.load_inventory(bundled_dir, today=TODAY).inventory
    code = "D88880001"
    dept = after.department_by_code[code]
    assert (dept.name, dept.uscc, dept.parent) == (NEW_DEPT_NAME, NEW_DEPT_USCC, "DSJ")
    s1, s2, s3 = after.systems_of_department[code]
    assert (s1.approval_date, s1.go_live, s1.last_update) == (D(2013, 1, 1), D(2015, 3, 1), D(2024, 5, 6))
    assert (s1.monthly_active_users, s1.avg_cpu_percent, s1.mlps_level) == (8500, 35.0, 3)
    assert (s1.classified, s1.deployment, s1.cpu_arch) == (False, model.Deployment.VM, model.CpuArch.X86)
    assert s1.depends_on == (before.systems[0].code, before.systems[1].code)
    assert s1.databases == ("MySQL 5.7", "DM8")
    assert s2.code == "SJZY-002"
    assert (s2.approval_date, s2.go_live, s2.last_update) == (D(2012, 6, 1), D(2014, 1, 1), D(2014, 6, 30))
    assert (s2.monthly_active_users, s2.avg_cpu_percent, s2.mlps_level) == (1200, None, None)
    assert (s3.approval_date, s3.go_live, s3.mlps_level) == (D(2015, 3, 1), D(2015, 3, 1), 3)
    assert s3.avg_cpu_percent == pytest.approx(35.5)
    assert s3.monthly_active_users == 12000
    e1, e2 = (after.entry_by_code[c] for c in ("39999901/9000001", "39999901/9000002"))
    assert [(i.name, i.type.value) for i in e1.data_items] == [("资源名称", "C"), ("出生日期", "D")]
    assert e1.sharing.conditions == "无条件"  # blank condition of 无条件共享
    assert (e1.open.open, e1.open.conditions, e1.publish_date) == (True, "无", D(2020, 5, 1))
    assert e1.related == (before.catalogue[0].code, before.catalogue[1].code)
    assert e2.sharing.type is model.SharingType.NOT_SHARED
    assert (e2.sharing.legal_basis, e2.sharing.conditions) == ("《中华人民共和国保守国家秘密法》", None)
    # a new department gets its dedicated zone: the first free /24 of the pool
    zone = after.zone_of_department[code]
    assert (zone.code, zone.kind) == (f"DZ-{code}", model.ZoneKind.DEDICATED)
    assert zone.ranges == (ipaddress.IPv4Network("10.80.45.0/24"),)
    (change,) = report.departments
    assert (change.new, change.code, change.zone) == (True, code, zone)
    assert change.systems_added == ("SJZY-001", "SJZY-002", "SJZY-003")
    assert change.entries_added == ("39999901/9000001", "39999901/9000002")
    assert {p.name for p in report.files_written} == {f"{code}.yaml", "network.yaml"}
    # nothing else moved
    assert [s for s in after.systems if s.department != code] == list(before.systems)
    assert [d for d in after.departments if d.code != code] == list(before.departments)


def test_importing_the_same_form_twice_changes_nothing_the_second_time(
    small: tuple[Path, model.Inventory], tmp_path: Path
) -> None:
    root, inv = small
    form = messy_workbook(tmp_path / "form.xlsx", inv)
    cf.import_forms([form], root, today=TODAY)
    digests = file_digests(root)
    report = cf.import_forms([form], root, today=TODAY)
    assert not report.changed
    assert report.files_written == ()
    assert file_digests(root) == digests


def test_dry_run_reports_and_writes_nothing(small: tuple[Path, model.Inventory], tmp_path: Path) -> None:
    root, inv = small
    form = messy_workbook(tmp_path / "form.xlsx", inv)
    digests = file_digests(root)
    report = cf.import_forms([form], root, today=TODAY, dry_run=True)
    assert (report.dry_run, report.changed, report.files_written) == (True, True, ())
    assert file_digests(root) == digests


def test_the_dedicated_zone_pool_is_the_12_holding_the_existing_dedicated_zones(bundled: model.Inventory) -> None:
    assert cf.dedicated_zone_pool(bundled.network) == ipaddress.IPv4Network("10.80.0.0/12")
    elsewhere = bundled.network.model_copy(
        update={
            "zones": tuple(
                z.model_copy(update={"ranges": (ipaddress.IPv4Network(f"172.20.{i}.0/24"),)})
                if z.kind is model.ZoneKind.DEDICATED
                else z
                for i, z in enumerate(bundled.network.zones)
            )
        }
    )
    assert cf.dedicated_zone_pool(elsewhere) == ipaddress.IPv4Network("172.16.0.0/12")
    none = bundled.network.model_copy(
        update={"zones": tuple(z for z in bundled.network.zones if z.kind is not model.ZoneKind.DEDICATED)}
    )
    assert cf.dedicated_zone_pool(none) == cf.DEDICATED_ZONE_POOL


def test_new_department_codes_come_from_the_organisation_code() -> None:
    uscc = codes.make_uscc("1", "1", "330100", "12345678")
    assert cf.new_department_code(uscc, set()) == "D12345678"
    assert cf.new_department_code(uscc, {"D12345678"}) == "D123456782"
    assert cf.new_department_code(uscc, {"D12345678", "D123456782"}) == "D123456783"


# ---------------------------------------------------------------------------------------------------------
# import: CSV files and encodings


def systems_csv_rows(tmp_path: Path, inv: model.Inventory, department: str) -> list[list[str]]:
    """A department's 系统 sheet as text (from an export), its first system renamed and its users written 8,500."""
    exported = tmp_path / "export.xlsx"
    cf.export_forms(inv, exported, department=department)
    rows = read_xlsx_rows(exported)["系统"]
    header = rows[0]
    text_rows = [[str(v) for v in header]]
    for row in rows[1:]:
        cells = []
        for value in row:
            if isinstance(value, dt.datetime):
                cells.append(f"{value.year}/{value.month}/{value.day}")  # as a CSV export shows a date
            else:
                cells.append("" if value is None else str(value))
        text_rows.append(cells)
    first = text_rows[1]
    first[header.index("系统名称")] = " 新版业务管理系统（２０２６） "
    first[header.index("月活跃用户")] = "8,500"
    return text_rows


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8"])
def test_import_csv_in_gbk_or_utf8(encoding: str, small: tuple[Path, model.Inventory], tmp_path: Path) -> None:
    root, inv = small
    department = busiest_department(inv)
    old = inv.systems_of_department[department][0]
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(systems_csv_rows(tmp_path, inv, department))
    data = buffer.getvalue().encode(encoding)
    if encoding == "gbk":
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")  # really GBK, not UTF-8 by accident
    if encoding == "utf-8-sig":
        assert data.startswith(b"\xef\xbb\xbf")
    path = tmp_path / f"系统-{encoding}.csv"
    path.write_bytes(data)

    report = cf.import_forms([path], root, today=TODAY)

    (change,) = report.departments
    assert change.code == department
    assert change.systems_changed == (cf.RecordChange(old.code, ("name", "monthly_active_users")),)
    assert (change.systems_added, change.systems_removed) == ((), ())
    # no 信息资源 sheet in the import: the department's catalogue is kept
    assert (change.entries_changed, change.entries_removed) == ((), ())
    after = inventory_files.load_inventory(root, today=TODAY).inventory
    renamed = after.system_by_code[old.code]
    assert renamed.name == "新版业务管理系统（２０２６）"  # free text is kept as written (full-width stays)
    assert renamed.monthly_active_users == 8500
    assert renamed.model_copy(update={"name": old.name, "monthly_active_users": old.monthly_active_users}) == old


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(b"\xff\xfe\x00\x00", "UTF-16", id="utf-16"),
        pytest.param("系统编码,系统名称\n".encode() + b"\x80\xff\xfe\n", "neither UTF-8", id="garbage"),
    ],
)
def test_csv_in_an_unknown_encoding_is_refused_naming_the_file(
    data: bytes, reason: str, small: tuple[Path, model.Inventory], tmp_path: Path
) -> None:
    path = tmp_path / "form.csv"
    path.write_bytes(data)
    with pytest.raises(InputError) as caught:
        cf.import_forms([path], small[0], today=TODAY)
    (problem,) = caught.value.problems
    assert problem.path.endswith("form.csv")
    assert reason in problem.message


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        pytest.param("form.xls", b"\xd0\xcf\x11\xe0", "not a readable .xls workbook", id="truncated-xls"),
        pytest.param("form.ods", b"PK\x03\x04broken", "not a readable .ods workbook", id="broken-ods"),
        pytest.param("form.xls", b"<html><table><tr><td>1</td></tr></table>", "web page", id="html-as-xls"),
        pytest.param("form.txt", b"hello", "unsupported file type", id="wrong-extension"),
        pytest.param("form.xlsx", b"not a zip file", "not a readable .xlsx", id="broken-xlsx"),
        pytest.param("missing.xlsx", None, "does not exist", id="missing"),
        pytest.param("notes.csv", "说明,备注\n随便写写,\n".encode(), "no census sheet", id="not-a-census-csv"),
    ],
)
def test_unreadable_files_are_input_errors_naming_the_file(
    name: str, content: bytes | None, reason: str, small: tuple[Path, model.Inventory], tmp_path: Path
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        cf.import_forms([path], small[0], today=TODAY)
    assert any(p.path.endswith(name) and reason in p.message for p in caught.value.problems), caught.value.render()


# ---------------------------------------------------------------------------------------------------------
# import: all or nothing, every bad row listed


def test_a_form_with_bad_rows_imports_nothing_and_lists_every_bad_row(
    small: tuple[Path, model.Inventory], tmp_path: Path
) -> None:
    root, inv = small
    fgw = inv.department_by_code["FGW"]
    form = write_xlsx(
        tmp_path / "bad.xlsx",
        {
            "部门": sheet_rows(
                cf.DEPARTMENT_SHEET,
                [
                    {"部门名称": fgw.name, "统一社会信用代码": fgw.uscc},
                    {"部门名称": "临江市某某局", "统一社会信用代码": "113301007000003783"},  # bad check character
                ],
            ),
            "系统": sheet_rows(
                cf.SYSTEM_SHEET,
                [
                    system_row("FGW-901", fgw.name),  # a good row
                    system_row("FGW-902", fgw.name, 审批时间="2015-02-30"),
                    system_row("FGW-903", fgw.name, 使用范围="全市"),
                    system_row("FGW-904", fgw.name, 等保级别="六级", 月活跃用户="很多"),
                    system_row("FGW-905", "不存在的局"),
                    system_row("FGW-906", fgw.name, 系统名称="  "),
                    system_row("FGW-907", "临江市某某局"),  # names the department whose row is bad: not repeated
                    system_row("FGW-908", fgw.name, 审批时间="2099-01-01", 上线时间=None, 最近更新时间=None),
                    system_row("FGW-909", fgw.name, 依赖系统="FGW-902"),  # FGW-902 is left out: not reported
                ],
            ),
            "信息资源": sheet_rows(cf.CATALOGUE_SHEET, [entry_row("39999901/9000009", fgw.name, 信息项="姓名")]),
        },
    )
    digests = file_digests(root)

    with pytest.raises(InputError) as caught:
        cf.import_forms([form], root, today=TODAY)

    assert file_digests(root) == digests
    assert problem_keys(caught.value) == {
        ("bad.xlsx", "部门", 3, "统一社会信用代码"),
        ("bad.xlsx", "系统", 3, "审批时间"),
        ("bad.xlsx", "系统", 4, "使用范围"),
        ("bad.xlsx", "系统", 5, "等保级别"),
        ("bad.xlsx", "系统", 5, "月活跃用户"),
        ("bad.xlsx", "系统", 6, "所属部门"),
        ("bad.xlsx", "系统", 7, "系统名称"),
        ("bad.xlsx", "系统", 9, "审批时间"),  # a rule on a row that reads, reported in the same run
        ("bad.xlsx", "信息资源", 2, "信息项"),
    }
    rendered = caught.value.render()
    assert "bad.xlsx [系统] row 4: 使用范围: '全市' is not one of 部门内部/跨部门/面向公众" in rendered


def test_rows_that_break_inventory_rules_are_reported_at_their_row_and_column(
    small: tuple[Path, model.Inventory], tmp_path: Path
) -> None:
    root, inv = small
    fgw = inv.department_by_code["FGW"]
    form = tmp_path / "rules.xlsx"
    cf.export_forms(inv, form, department="FGW")  # FGW's records as they are, then bad rows below them
    exported = read_xlsx_rows(form)
    systems, entries = exported["系统"], exported["信息资源"]
    first_system_row, first_entry_row = len(systems) + 1, len(entries) + 1
    other = next(s for s in inv.systems if s.department != "FGW")
    other_departments_system = other.code
    bad_systems = sheet_rows(
        cf.SYSTEM_SHEET,
        [
            system_row("FGW-901", fgw.name, 依赖系统="NOPE-001"),
            system_row("FGW-902", fgw.name, 上线时间="2020-01-01", 最近更新时间="2019-12-31"),
            # a code another department already uses (its databases as they are, so that only the code is wrong)
            system_row(other_departments_system, fgw.name, 数据库=";".join(other.databases) or None),
        ],
    )[1:]
    bad_entries = sheet_rows(
        cf.CATALOGUE_SHEET,
        [
            entry_row("39999901/9000001", fgw.name, 共享类型="有条件共享", 共享条件=None),
            entry_row("19999901/9000002", fgw.name),  # 1… is a base-resource code, not 部门信息资源
            entry_row("39999901/9000003", fgw.name, 共享类型="不予共享", 共享条件=None),
        ],
    )[1:]
    malformed = sheet_rows(cf.SYSTEM_SHEET, [system_row("fgw 903!", fgw.name)])[1:]
    digests = file_digests(root)
    rule_problems = {
        ("rules.xlsx", "系统", first_system_row + 1, "最近更新时间"),
        ("rules.xlsx", "系统", first_system_row + 2, "系统编码"),
        ("rules.xlsx", "信息资源", first_entry_row, "共享条件"),
        ("rules.xlsx", "信息资源", first_entry_row + 1, "资源代码"),
        ("rules.xlsx", "信息资源", first_entry_row + 2, "共享条件"),
    }
    # a malformed code is found while the record is built; the rules run on the rows that were read, but
    # references are not reported while a row is left out (they might point at it)
    write_xlsx(form, {**exported, "系统": [*systems, *bad_systems, *malformed], "信息资源": [*entries, *bad_entries]})
    with pytest.raises(InputError) as caught:
        cf.import_forms([form], root, today=TODAY)
    assert problem_keys(caught.value) == {("rules.xlsx", "系统", first_system_row + 3, "系统编码"), *rule_problems}
    # with that row gone, the references are checked too, each problem at its row and column
    write_xlsx(form, {**exported, "系统": [*systems, *bad_systems], "信息资源": [*entries, *bad_entries]})
    with pytest.raises(InputError) as caught:
        cf.import_forms([form], root, today=TODAY)
    assert file_digests(root) == digests
    assert problem_keys(caught.value) == {("rules.xlsx", "系统", first_system_row, "依赖系统"), *rule_problems}
    assert "would not pass `govcloud check`" in caught.value.summary


def test_system_rows_must_name_a_department_of_the_import(small: tuple[Path, model.Inventory], tmp_path: Path) -> None:
    root, inv = small
    fgw, gaj = inv.department_by_code["FGW"], inv.department_by_code["GAJ"]
    form = write_xlsx(
        tmp_path / "mixed.xlsx",
        {
            "部门": sheet_rows(cf.DEPARTMENT_SHEET, [{"部门名称": fgw.name, "统一社会信用代码": fgw.uscc}]),
            "系统": sheet_rows(cf.SYSTEM_SHEET, [system_row("GAJ-901", gaj.name)]),
        },
    )
    with pytest.raises(InputError) as caught:
        cf.import_forms([form], root, today=TODAY)
    (problem,) = caught.value.problems
    assert (problem.sheet, problem.line, problem.field) == ("系统", 2, "所属部门")
    assert "not on the 部门 sheet" in problem.message


def test_a_missing_required_column_and_an_unknown_one_are_reported_once_on_the_header_row(
    small: tuple[Path, model.Inventory], tmp_path: Path
) -> None:
    headers = [h for h in cf.SYSTEM_SHEET.headers if h not in {"系统编码", "使用频度"}] + ["系统编号", "联系人手机"]
    rows = [headers, *(["X-1"] * len(headers) for _ in range(5))]
    form = write_xlsx(tmp_path / "cols.xlsx", {"系统": rows})
    with pytest.raises(InputError) as caught:
        cf.import_forms([form], small[0], today=TODAY)
    about_headers = {(p.field, p.message) for p in caught.value.problems if p.line == 1}
    assert about_headers == {
        (
            "系统编号",
            f"unknown column (in {openpyxl.utils.get_column_letter(len(headers) - 1)}): did you mean 系统编码?",
        ),
        (
            "联系人手机",
            f"unknown column (in {openpyxl.utils.get_column_letter(len(headers))}): not a column of the 系统 sheet",
        ),
        ("系统编码", "required column is missing (is '系统编号' meant to be it?)"),
        ("使用频度", "required column is missing"),
    }
    # the five values under each unknown header are not reported one by one
    assert not [p for p in caught.value.problems if p.field in {"系统编号", "联系人手机"} and p.line != 1]


# ---------------------------------------------------------------------------------------------------------
# re-import of a corrected department form


def department_with_removable_system(inv: model.Inventory) -> tuple[str, model.System, model.System]:
    """A department, a system of it nothing refers to, and another of its systems with a cloud placement."""
    for dept in inv.departments:
        systems = inv.systems_of_department.get(dept.code, ())
        try:
            dropped = removable_system(inv, dept.code)
        except AssertionError:
            continue
        kept = next((s for s in systems if s.code != dropped.code and s.cloud is not None), None)
        if kept is not None and dropped.cloud is not None:
            return dept.code, dropped, kept
    raise AssertionError("no suitable department")


def test_reimporting_a_corrected_department_form_replaces_its_records_and_reports_changes(
    small: tuple[Path, model.Inventory], tmp_path: Path
) -> None:
    root, inv = small
    department, dropped, kept = department_with_removable_system(inv)
    form = tmp_path / "corrected.xlsx"
    cf.export_forms(inv, form, department=department)
    rows = read_xlsx_rows(form)
    header = rows["系统"][0]
    dropped_entries = {e.code for e in inv.entries_of_system.get(dropped.code, ())}
    new_systems = [header]
    for row in rows["系统"][1:]:
        if row[0] == dropped.code:
            continue
        if row[0] == kept.code:
            row[header.index("系统名称")] = kept.name + "（升级）"
            row[header.index("等保级别")] = "四级"
        new_systems.append(row)
    new_systems.append([system_row("NEW-901", inv.department_by_code[department].name).get(h) for h in header])
    rows["系统"] = new_systems
    rows["信息资源"] = [r for r in rows["信息资源"] if r[0] not in dropped_entries]
    write_xlsx(form, rows)

    report = cf.import_forms([form], root, today=TODAY)

    (change,) = report.departments
    assert (change.code, change.new) == (department, False)
    assert change.systems_added == ("NEW-901",)
    assert change.systems_removed == (dropped.code,)
    assert change.systems_changed == (cf.RecordChange(kept.code, ("name", "mlps_level")),)
    assert set(change.entries_removed) == dropped_entries
    assert (change.entries_added, change.entries_changed) == ((), ())
    after = inventory_files.load_inventory(root, today=TODAY).inventory
    assert dropped.code not in after.system_by_code
    upgraded = after.system_by_code[kept.code]
    assert (upgraded.name, upgraded.mlps_level) == (kept.name + "（升级）", 4)
    # fields the form does not carry are kept from the existing record
    for field in cf.KEPT_SYSTEM_FIELDS:
        assert getattr(upgraded, field) == getattr(kept, field), field
    assert report.files_written == (inventory_files.department_file_path(root, department),)


def test_removing_a_system_others_depend_on_is_refused_with_the_dependent_named(
    small: tuple[Path, model.Inventory], tmp_path: Path
) -> None:
    root, inv = small
    dependents = {d: s for s in inv.systems for d in s.depends_on}
    target = next(s for s in inv.systems if s.code in dependents and dependents[s.code].department != s.department)
    dependent = dependents[target.code]
    form = tmp_path / "form.xlsx"
    cf.export_forms(inv, form, department=target.department)
    rows = read_xlsx_rows(form)
    rows["系统"] = [r for r in rows["系统"] if r[0] != target.code]
    write_xlsx(form, rows)
    digests = file_digests(root)
    with pytest.raises(InputError) as caught:
        cf.import_forms([form], root, today=TODAY)
    assert file_digests(root) == digests
    about_target = [p for p in caught.value.problems if f"unknown system {target.code!r}" in p.message]
    assert about_target, caught.value.render()
    assert any(p.path.endswith(f"{dependent.department}.yaml") and p.line for p in about_target)
    assert all(p.message.startswith("after this import") for p in about_target)


def test_marking_a_system_classified_drops_its_cloud_placement(
    small: tuple[Path, model.Inventory], tmp_path: Path
) -> None:
    root, inv = small
    department, system, _ = department_with_removable_system(inv)
    form = tmp_path / "form.xlsx"
    cf.export_forms(inv, form, department=department)
    rows = read_xlsx_rows(form)
    header = rows["系统"][0]
    for row in rows["系统"][1:]:
        if row[0] == system.code:
            row[header.index("是否涉密")] = "是"
            row[header.index("承载网络")] = "电子政务内网"
            row[header.index("依赖系统")] = None  # a classified system calls nothing on the extranet
    write_xlsx(form, rows)
    report = cf.import_forms([form], root, today=TODAY)
    after = inventory_files.load_inventory(root, today=TODAY).inventory
    assert after.system_by_code[system.code].classified
    assert after.system_by_code[system.code].cloud is None
    assert after.system_by_code[system.code].consumes == ()
    (change,) = report.departments
    (changed,) = [c for c in change.systems_changed if c.code == system.code]
    assert {"carrying_network", "classified", "cloud"} <= set(changed.fields)


# ---------------------------------------------------------------------------------------------------------
# export → import round trip


def test_export_then_import_gives_the_same_bundled_inventory(
    bundled_dir: Path, tmp_path: Path, bundled: model.Inventory
) -> None:
    form = tmp_path / "all.xlsx"
    rows = cf.export_forms(bundled, form)
    assert rows == len(bundled.departments) + len(bundled.systems) + len(bundled.catalogue)
    digests = file_digests(bundled_dir)
    report = cf.import_forms([form], bundled_dir, today=TODAY)
    assert not report.changed
    assert inventory_files.load_inventory(bundled_dir, today=TODAY).inventory == bundled
    assert file_digests(bundled_dir) == digests


def test_export_of_one_department_then_import_restores_it(
    bundled_dir: Path, tmp_path: Path, bundled: model.Inventory
) -> None:
    """Export one department by name, scramble everything the form carries in a copy, import: equal again."""
    dept = bundled.department_by_code["CZJ"]  # has freeze windows, which the form does not carry
    form = tmp_path / "czj.xlsx"
    cf.export_forms(bundled, form, department=dept.name)
    exported = read_xlsx_rows(form)
    assert [r[0] for r in exported["部门"][1:]] == [dept.name]
    assert len(exported["系统"]) - 1 == len(bundled.systems_of_department["CZJ"])

    scrambled = model.DepartmentFile(
        department=dept.model_copy(update={"name": "旧名称局"}),
        systems=tuple(
            # databases only where no decision names them: a cloud placement's database decisions must name
            # listed databases, or the inventory does not load (census check)
            s.model_copy(
                update={"name": "旧名称", "mlps_level": None, **({"databases": ()} if s.cloud is None else {})}
            )
            for s in bundled.systems_of_department["CZJ"]
        ),
        catalogue=tuple(e.model_copy(update={"name": "旧名称"}) for e in bundled.catalogue if e.provider == "CZJ"),
        private_networks=bundled.private_networks_of_department.get("CZJ", ()),  # not on the form: kept
    )
    path = inventory_files.department_file_path(bundled_dir, "CZJ")
    path.write_text(inventory_files.render_department_file(scrambled), encoding="utf-8")
    report = cf.import_forms([form], bundled_dir, today=TODAY)
    (change,) = report.departments
    assert change.department_fields == ("name",)  # matched by credit code, renamed back
    assert inventory_files.load_inventory(bundled_dir, today=TODAY).inventory == bundled


def test_export_by_code_and_unknown_department(tmp_path: Path, bundled: model.Inventory) -> None:
    assert cf.export_forms(bundled, tmp_path / "a.xlsx", department="fgw") > 0
    with pytest.raises(GovcloudError, match="no department"):
        cf.export_forms(bundled, tmp_path / "b.xlsx", department="不存在的局")
    assert not (tmp_path / "b.xlsx").exists()


# ---------------------------------------------------------------------------------------------------------
# fuzz: random cells and mutated valid rows either import or are reported, never crash

_fuzz_counter = itertools.count()

_cell_values = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.sampled_from(["是", "否", "三级", "未定级", "2015年3月", "2015.1", "35%", "8,500", "姓名:C", "；", " ", "=1+1"]),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(min_value=D(1900, 1, 1)),
    st.datetimes(min_value=dt.datetime(1900, 1, 1)),
    st.booleans(),
)


def _mutations(rows: dict[str, list[list[Any]]]) -> st.SearchStrategy[list[tuple[str, int, int, Any]]]:
    cells = [(sheet, r, c) for sheet, table in rows.items() for r in range(len(table)) for c in range(len(table[r]))]
    return st.lists(
        st.tuples(st.sampled_from(cells), _cell_values).map(lambda t: (*t[0], t[1])), min_size=1, max_size=6
    )


def _xlsx_safe(value: Any) -> Any:
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _import_outcome(paths: list[Path], root: Path) -> str:
    """'ok' or 'reported'; any other exception fails the test."""
    try:
        cf.import_forms(paths, root, today=TODAY, dry_run=True)
    except InputError as exc:
        problems = exc.problems
    else:
        return "ok"
    assert problems
    assert all(p.path and p.message for p in problems)
    return "reported"


@pytest.mark.parametrize("mode", ["xlsx", "xls", "ods", "csv"])
def test_fuzzed_forms_import_or_report_never_crash(
    mode: str, small_source: tuple[Path, model.Inventory], tmp_path_factory: pytest.TempPathFactory
) -> None:
    root, inv = small_source
    workdir = tmp_path_factory.mktemp("fuzz")
    template = workdir / "valid.xlsx"
    cf.export_forms(inv, template, department=busiest_department(inv))
    valid = read_xlsx_rows(template)
    assert _import_outcome([template], root) == "ok"

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        rows = {sheet: [list(r) for r in table] for sheet, table in valid.items()}
        for sheet, r, c, value in data.draw(_mutations(rows)):
            rows[sheet][r][c] = value
        number = next(_fuzz_counter)
        paths = []
        if mode in fw.WRITERS:
            safe = {k: [[_xlsx_safe(v) for v in r] for r in table] for k, table in rows.items()}
            paths.append(fw.WRITERS[mode](workdir / f"f{number}.{mode}", safe))
        else:
            for sheet, table in rows.items():
                path = workdir / f"f{number}-{sheet}.csv"
                buffer = io.StringIO(newline="")
                csv.writer(buffer).writerows([["" if v is None else str(v) for v in r] for r in table])
                encoding = data.draw(st.sampled_from(["utf-8", "utf-8-sig", "gbk"]))
                path.write_bytes(buffer.getvalue().encode(encoding, errors="replace"))
                paths.append(path)
        _import_outcome(paths, root)

    run()


@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=400))
def test_random_bytes_as_csv_are_reported_never_crash(data: bytes, tmp_path_factory: pytest.TempPathFactory) -> None:
    path = tmp_path_factory.getbasetemp() / "random.csv"
    path.write_bytes(data)
    problems: tuple[object, ...] = ()
    try:
        cf.read_form(path)
    except InputError as exc:
        problems = tuple(exc.problems)
    assert all(getattr(p, "path", "").endswith("random.csv") for p in problems)


# ---------------------------------------------------------------------------------------------------------
# forms as departments return them: .xls and .ods, title and 填报单位 rows, 序号 and 备注 columns, marked
# headers, a dropped optional column, a department merged down its rows, 合计, 填表说明 and signature rows

MARKED_HEADERS = {
    "部门名称": "部门名称【必填】",
    "统一社会信用代码": "统一社会信用代码(必填)",
    "系统编码": "系统编码【必填】",
    "系统名称": "系统名称[必填]",
    "所属部门": "*所属部门",
    "使用范围": "使用范围\n（必填）",
    "审批部门": "审批部门（选填）",
    "上线时间": "上线时间(年月)",
    "资源代码": "【必填】资源代码",
    "共享条件": "共享条件［选填］",
}
DROPPED_COLUMNS = {"系统": "专用硬件", "信息资源": "关联资源代码"}
Merge = tuple[int, int, int, int]


@dataclasses.dataclass
class ReturnedSheet:
    rows: list[list[object]]
    merges: list[Merge]
    first_record: int
    """0-based index of the first record row"""
    header: list[str]


def reshape_as_returned(name: str, exported: list[list[object]], department_name: str) -> ReturnedSheet:
    """One exported sheet the way a department sends it back (see the section comment)."""
    header, records = [str(h) for h in exported[0]], exported[1:]
    keep = [i for i, h in enumerate(header) if h != DROPPED_COLUMNS.get(name)]
    new_header = ["序号", *(MARKED_HEADERS.get(header[i], header[i]) for i in keep), "备注"]
    width = len(new_header)
    rows: list[list[object]] = [[f"临江市政务信息系统普查表（{name}）"], [f"填报单位：{department_name}"], new_header]
    merges: list[Merge] = [(0, 0, 0, width - 1)]  # the title, merged across the table
    first = len(rows)
    for number, record in enumerate(records, start=1):
        rows.append([number, *(record[i] for i in keep), "已核实" if number == 1 else None])
    if name == "系统" and len(records) > 1:
        column = new_header.index("*所属部门")
        for row in rows[first + 1 :]:
            row[column] = None  # the department's name once, merged down its systems' rows
        merges.append((first, column, first + len(records) - 1, column))
    rows.extend([[len(records) + 1], [len(records) + 2]])  # 序号 pre-numbered on unused rows
    rows.append(["合计", f"{len(records)}条"])
    rows.append(["填表说明：1. 带【必填】的列必须填写；2. 日期只知年月时写到月。"])
    merges.append((len(rows) - 1, 0, len(rows) - 1, width - 1))
    rows.append(["填表人：张三", None, "审核人：李四", None, "负责人签字："][:width])
    rows.append([*([None] * (min(width, 5) - 1)), "2026年11月30日"])
    return ReturnedSheet(rows, merges, first, new_header)


def returned_forms(inv: model.Inventory, department: str, tmp_path: Path) -> dict[str, ReturnedSheet]:
    exported = tmp_path / "exported.xlsx"
    cf.export_forms(inv, exported, department=department)
    name = inv.department_by_code[department].name
    return {sheet: reshape_as_returned(sheet, rows, name) for sheet, rows in read_xlsx_rows(exported).items()}


def write_returned(fmt: str, sheets: dict[str, ReturnedSheet], directory: Path) -> list[Path]:
    """The forms in one format: a workbook, or (CSV, GBK) one file per sheet with merged blocks shown filled."""
    if fmt == "csv-gbk":
        paths = []
        for name, sheet in sheets.items():
            rows = [list(r) for r in sheet.rows]
            for r0, c0, r1, _ in sheet.merges:
                for r in range(r0 + 1, r1 + 1):
                    rows[r][c0] = rows[r0][c0]  # a CSV has no merged cells: the department is on every row
            paths.append(fw.write_csv(directory / f"{name}.csv", rows, encoding="gbk"))
        return paths
    path = directory / f"returned.{fmt}"
    fw.WRITERS[fmt](path, {n: s.rows for n, s in sheets.items()}, {n: s.merges for n, s in sheets.items()})
    return [path]


FORMATS = ["xlsx", "xls", "ods", "csv-gbk"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_form_as_departments_return_it_imports_exactly_what_it_holds(
    fmt: str, small: tuple[Path, model.Inventory], tmp_path: Path
) -> None:
    root, inv = small
    department = busiest_department(inv)
    sheets = returned_forms(inv, department, tmp_path)
    paths = write_returned(fmt, sheets, tmp_path)
    digests = file_digests(root)

    report = cf.import_forms(paths, root, today=TODAY)

    # every record read, nothing from the notes, the dropped columns kept from the inventory: no change at all
    (change,) = report.departments
    assert change.code == department
    assert not report.changed, report.departments
    assert report.files_written == ()
    assert file_digests(root) == digests
    assert report.rows_read == sum(len(s.rows) - s.first_record - 6 for s in sheets.values())
    notices = {(Path(n.path).name, n.sheet, n.row, n.message.split(" (")[0].split(":")[0]) for n in report.notices}
    systems = sheets["系统"]
    file = "系统.csv" if fmt == "csv-gbk" else f"returned.{fmt}"
    last = len(systems.rows)
    expected_system_notices = {
        (file, "系统", 3, "column 序号"),
        (file, "系统", 3, "column 备注"),
        (file, "系统", 3, "optional column(s) absent"),
        (file, "系统", None, "2 row(s) with values only in ignored columns skipped as blank"),
        (file, "系统", last - 3, "row ignored"),
        (file, "系统", last - 2, "row ignored"),
        (file, "系统", last - 1, "row ignored"),
        (file, "系统", last, "row ignored"),
    }
    if fmt != "csv-gbk":
        expected_system_notices.add((file, "系统", None, "1 merged cell block(s) filled down"))
    assert {n for n in notices if n[1] == "系统"} == expected_system_notices
    messages = [n.render() for n in report.notices if n.sheet == "系统"]
    assert any(f"row {last - 3}: row ignored: a 合计 row" in m for m in messages), messages
    assert any(f"row {last - 2}: row ignored: a 填表说明 row" in m for m in messages), messages
    assert any(f"row {last - 1}: row ignored: a 填表人 row" in m for m in messages), messages
    assert any(f"row {last}: row ignored: part of the notes under the data ('2026年11月30日')" in m for m in messages)
    assert any("optional column(s) absent: 专用硬件;" in m for m in messages), messages


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_returned_form_with_one_bad_row_imports_nothing_and_names_its_row(
    fmt: str, small: tuple[Path, model.Inventory], tmp_path: Path
) -> None:
    root, inv = small
    department = busiest_department(inv)
    sheets = returned_forms(inv, department, tmp_path)
    systems = sheets["系统"]
    second = systems.first_record + 1
    systems.rows[second][systems.header.index("使用范围\n（必填）")] = "全市"
    systems.rows[second][systems.header.index("系统名称[必填]")] = "新名称"  # a change that must not land either
    paths = write_returned(fmt, sheets, tmp_path)
    digests = file_digests(root)

    with pytest.raises(cf.FormsRejected) as caught:
        cf.import_forms(paths, root, today=TODAY)

    assert file_digests(root) == digests
    file = "系统.csv" if fmt == "csv-gbk" else f"returned.{fmt}"
    assert problem_keys(caught.value) == {(file, "系统", second + 1, "使用范围")}
    assert any("a 合计 row" in n.message for n in caught.value.notices)  # the notices still say what was skipped


def test_a_note_between_records_is_read_as_a_record_so_nothing_is_dropped_silently(
    small: tuple[Path, model.Inventory], tmp_path: Path
) -> None:
    root, inv = small
    fgw = inv.department_by_code["FGW"]
    rows = sheet_rows(cf.SYSTEM_SHEET, [system_row("FGW-901", fgw.name)])
    rows += [["以下为新增系统"], sheet_rows(cf.SYSTEM_SHEET, [system_row("FGW-902", fgw.name)])[1], ["FGW-903"]]
    form = write_xlsx(tmp_path / "form.xlsx", {"系统": rows})
    with pytest.raises(InputError) as caught:
        cf.import_forms([form], root, today=TODAY)
    rows_with_problems = {p.line for p in caught.value.problems}
    # row 3 looked like a note but a record follows it; row 5 is a lone system code: a record missing the rest
    assert rows_with_problems == {3, 5}, caught.value.render()


def new_department_form(*systems: dict[str, object]) -> dict[str, list[list[object]]]:
    """A form of a department new to the inventory, with these 系统 rows (so it replaces nobody's systems)."""
    return {
        "部门": sheet_rows(cf.DEPARTMENT_SHEET, [{"部门名称": NEW_DEPT_NAME, "统一社会信用代码": NEW_DEPT_USCC}]),
        "系统": sheet_rows(cf.SYSTEM_SHEET, list(systems)),
    }


def test_columns_listed_as_ignorable_in_the_settings_are_skipped_with_a_notice(
    small: tuple[Path, model.Inventory], tmp_path: Path
) -> None:
    root, _ = small
    sheets = new_department_form(system_row("SJZY-001", NEW_DEPT_NAME))
    sheets["系统"][0].append("联系人（电话）")
    sheets["系统"][1].append("王五 0571-88888888")
    form = write_xlsx(tmp_path / "form.xlsx", sheets)
    with pytest.raises(InputError) as caught:
        cf.import_forms([form], root, today=TODAY, dry_run=True)
    assert problem_keys(caught.value) == {("form.xlsx", "系统", 1, "联系人（电话）")}

    report = cf.import_forms(
        [form], root, today=TODAY, dry_run=True, form_settings=CensusFormSettings(ignored_columns=("联系人",))
    )
    assert report.departments[0].systems_added == ("SJZY-001",)
    (notice,) = [n for n in report.notices if "ignored" in n.message]
    assert notice.render().endswith("form.xlsx [系统] row 1: column 联系人（电话） (Z) ignored: it is no census field")


def test_a_workbook_named_for_another_format_is_read_as_what_it_is(
    small: tuple[Path, model.Inventory], tmp_path: Path
) -> None:
    root, _ = small
    xlsx = write_xlsx(tmp_path / "real.xlsx", new_department_form(system_row("SJZY-001", NEW_DEPT_NAME)))
    renamed = xlsx.rename(tmp_path / "数据资源局.xls")
    report = cf.import_forms([renamed], root, today=TODAY, dry_run=True)
    assert report.departments[0].systems_added == ("SJZY-001",)
    assert [n.message for n in report.notices if n.sheet is None] == [
        "the file is a .xlsx workbook despite its name: read as one"
    ]


def test_ods_repeated_cells_are_expanded_and_the_blank_rest_of_the_sheet_is_not_built(tmp_path: Path) -> None:
    table = Table(name="系统")
    header = TableRow()
    for text in cf.SYSTEM_SHEET.headers:
        cell = TableCell(valuetype="string")
        cell.addElement(P(text=text))
        header.addElement(cell)
    table.addElement(header)
    record = TableRow()
    first = TableCell(valuetype="string")
    first.addElement(P(text="FGW-901"))
    record.addElement(first)
    twice = TableCell(valuetype="string", numbercolumnsrepeated=2)  # LibreOffice's way to store 否 否
    twice.addElement(P(text="否"))
    record.addElement(twice)
    record.addElement(TableCell(numbercolumnsrepeated=2))
    spaced = TableCell(valuetype="string")
    spaced.addElement(P(text="A"))
    spaced.lastChild.addElement(S(c=3))
    spaced.lastChild.addText("B")
    record.addElement(spaced)
    record.addElement(TableCell(numbercolumnsrepeated=16000))
    table.addElement(record)
    blank = TableRow(numberrowsrepeated=1_048_000)
    blank.addElement(TableCell(numbercolumnsrepeated=1024))
    table.addElement(blank)
    document = OpenDocumentSpreadsheet()
    document.spreadsheet.addElement(table)
    path = tmp_path / "repeated.ods"
    document.save(str(path))

    (sheet,) = cf.read_form(path)

    assert sheet.header_row == 1
    ((number, cells),) = sheet.rows
    assert number == 2
    assert cells == ("FGW-901", "否", "否", None, None, "A   B")


@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_typed_cells_of_xls_and_ods_read_as_their_values(
    fmt: str, small: tuple[Path, model.Inventory], tmp_path: Path
) -> None:
    root, _ = small
    row = system_row(
        "SJZY-001",
        NEW_DEPT_NAME,
        审批时间=dt.date(2013, 5, 6),
        上线时间=dt.datetime(2015, 3, 1),
        CPU平均利用率=fw.Percent(0.355),
        月活跃用户=8500,
        等保级别=3,
    )
    path = fw.WRITERS[fmt](tmp_path / f"typed.{fmt}", new_department_form(row))
    cf.import_forms([path], root, today=TODAY)
    system = inventory_files.load_inventory(root, today=TODAY).inventory.system_by_code["SJZY-001"]
    assert (system.approval_date, system.go_live) == (D(2013, 5, 6), D(2015, 3, 1))
    assert system.avg_cpu_percent == pytest.approx(35.5)
    assert (system.monthly_active_users, system.mlps_level) == (8500, 3)


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
def test_a_grouped_header_with_cells_merged_down_into_the_header_row_is_read(
    fmt: str, small: tuple[Path, model.Inventory], tmp_path: Path
) -> None:
    root, _ = small
    sheets = new_department_form(system_row("SJZY-001", NEW_DEPT_NAME), system_row("SJZY-002", NEW_DEPT_NAME))
    headers, *records = sheets["系统"]
    group = [headers[0], headers[1], "基本情况", *([None] * (len(headers) - 3))]
    sub = [None, None, *headers[2:]]
    sheets["系统"] = [group, sub, *records]
    merges = {"系统": [(0, 0, 1, 0), (0, 1, 1, 1), (0, 2, 0, len(headers) - 1)]}
    path = fw.WRITERS[fmt](tmp_path / f"grouped.{fmt}", sheets, merges)
    report = cf.import_forms([path], root, today=TODAY, dry_run=True)
    assert report.departments[0].systems_added == ("SJZY-001", "SJZY-002")


@pytest.mark.parametrize("chunk", [5, 64, 1 << 20])
def test_xlsx_merged_ranges_are_found_whatever_chunks_the_sheet_is_inflated_in(
    chunk: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [["部门名称", "统一社会信用代码", "上级部门"], ["民政局", "x"], [None, "y"], [None, "z"], ["说明", None]]
    merges = [(1, 0, 3, 0), (4, 0, 4, 2)]
    path = fw.write_xlsx(tmp_path / "merged.xlsx", {"部门": rows}, {"部门": merges})
    monkeypatch.setattr(cf, "_CHUNK", chunk)  # a tag split between two chunks must still be found
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        (found,) = [cf._xlsx_merged_ranges(workbook, sheet) for sheet in workbook.worksheets]
    finally:
        workbook.close()
    assert sorted(found) == sorted(merges)


# ---------------------------------------------------------------------------------------------------------
# The 条例's fields on the form (政务数据共享工作机构, 数据分级, 共享范围/使用用途, the assessment)

SHARING_COLUMNS = {
    "部门": ("政务数据共享工作机构", "工作机构负责人"),
    "信息资源": ("数据分级", "共享范围", "使用用途", "保密和个人信息评估日期", "评估审批人"),
}


def _rows_without(rows: list[list[Any]], drop: Sequence[str]) -> list[list[Any]]:
    keep = [i for i, header in enumerate(rows[0]) if header not in drop]
    return [[row[i] for i in keep] for row in rows]


def _one_department_form(inventory: model.Inventory, tmp_path: Path, code: str) -> dict[str, list[list[Any]]]:
    form = tmp_path / "export.xlsx"
    cf.export_forms(inventory, form, department=inventory.department_by_code[code].name)
    return {name: rows for name, rows in read_xlsx_rows(form).items() if name in {"部门", "系统", "信息资源"}}


def test_a_form_without_the_sharing_columns_keeps_what_the_inventory_records(
    bundled_dir: Path, tmp_path: Path, bundled: model.Inventory
) -> None:
    sheets = _one_department_form(bundled, tmp_path, "CGJ")
    older = {name: _rows_without(rows, SHARING_COLUMNS.get(name, ())) for name, rows in sheets.items()}
    path = fw.write_xlsx(tmp_path / "older.xlsx", older)
    report = cf.import_forms([path], bundled_dir, today=TODAY)
    assert not report.changed, report.departments
    assert any("optional column(s) absent: 政务数据共享工作机构" in n.render() for n in report.notices)
    assert inventory_files.load_inventory(bundled_dir, today=TODAY).inventory == bundled


def test_the_sharing_columns_are_imported_and_a_half_filled_office_is_refused(
    bundled_dir: Path, tmp_path: Path, bundled: model.Inventory
) -> None:
    sheets = _one_department_form(bundled, tmp_path, "CGJ")
    catalogue = sheets["信息资源"]
    header = catalogue[0]
    row = next(r for r in catalogue[1:] if r[header.index("资源代码")] == "10502704/0000145")
    row[header.index("共享范围")] = "本市承担城市管理职责的部门"
    row[header.index("数据分级")] = "重要数据"  # the alias of 重要
    path = fw.write_xlsx(tmp_path / "changed.xlsx", sheets)
    cf.import_forms([path], bundled_dir, today=TODAY)
    entry = inventory_files.load_inventory(bundled_dir, today=TODAY).inventory.entry_by_code["10502704/0000145"]
    assert entry.sharing.scope == "本市承担城市管理职责的部门"
    assert entry.grade is model.DataGrade.IMPORTANT

    departments = sheets["部门"]
    departments[1][departments[0].index("工作机构负责人")] = None
    digests = file_digests(bundled_dir)
    path = fw.write_xlsx(tmp_path / "half.xlsx", sheets)
    with pytest.raises(InputError) as refused:
        cf.import_forms([path], bundled_dir, today=TODAY)
    rendered = refused.value.render()
    assert "[部门] row 2: 工作机构负责人" in rendered
    assert file_digests(bundled_dir) == digests


def test_an_export_is_a_whole_form_notes_dropdowns_dates_and_text_that_looks_like_a_formula(
    tmp_path: Path, bundled: model.Inventory
) -> None:
    """The export is streamed (write-only mode); it must still be the form a department fills in."""
    code = busiest_department(bundled)
    first = bundled.systems_of_department[code][0]
    formula_like = "=SUM(A1:A9)"
    inventory = bundled.model_copy(
        update={
            "systems": tuple(
                s.model_copy(update={"function": formula_like, "approval_date": D(2019, 5, 6)}) if s is first else s
                for s in bundled.systems
            )
        }
    )
    form = tmp_path / "dept.xlsx"
    cf.export_forms(inventory, form, department=code)
    workbook = openpyxl.load_workbook(form)
    systems = workbook["系统"]
    assert systems.freeze_panes == "A2"
    assert [c.value for c in systems[1]] == SYSTEM_HEADERS
    assert "2015年3月" in systems.cell(row=1, column=SYSTEM_HEADERS.index("审批时间") + 1).comment.text
    assert {v.formula1 for v in systems.data_validations.dataValidation} >= {'"是,否"'}
    row = next(r for r in systems.iter_rows(min_row=2) if r[0].value == first.code)
    function_cell = row[SYSTEM_HEADERS.index("系统功能")]
    assert (function_cell.value, function_cell.data_type) == (formula_like, "s")
    date_cell = row[SYSTEM_HEADERS.index("审批时间")]
    assert date_cell.value == dt.datetime(2019, 5, 6)
    assert date_cell.number_format == "yyyy-mm-dd"


def test_an_export_refuses_text_a_spreadsheet_cannot_hold_and_writes_nothing(
    tmp_path: Path, bundled: model.Inventory
) -> None:
    code = busiest_department(bundled)
    first = bundled.systems_of_department[code][0]
    inventory = bundled.model_copy(
        update={
            "systems": tuple(
                s.model_copy(update={"function": "出入境\x07管理"}) if s is first else s for s in bundled.systems
            )
        }
    )
    form = tmp_path / "dept.xlsx"
    form.write_bytes(b"the previous export")
    with pytest.raises(GovcloudError, match=r"系统 row \d+ column 系统功能: text holds a control character"):
        cf.export_forms(inventory, form, department=code)
    assert form.read_bytes() == b"the previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dept.xlsx"]
