"""Census forms: the spreadsheet template, importing returned forms into the inventory, exporting it back. Edge.

A form has three sheets with the Chinese headers of the programme: ``部门``, ``系统`` and ``信息资源`` (see
:data:`SHEETS`). Forms come back as .xlsx, .xls or .ods workbooks (read by what the file is, whatever its
name) or as .csv files holding one sheet each (which sheet is decided by the header row; the text is UTF-8,
with or without a byte-order mark, or GBK; anything else is refused, never guessed). Forms come back the way
people fill them in: title rows, headers marked 【必填】, 序号 and 备注 columns, a department merged down its
rows, 合计 and signature rows under the data, optional columns deleted. Header clean-up, note rows and
merged blocks are handled by :mod:`govcloud.census.core.census_values`, which also normalises cell values;
every row or column an import skips is reported as a :class:`Notice`.

Importing is all or nothing. Every row of every file is read and checked; then the new inventory is built
in memory and put through the same cross-record checks the loader runs (``core.checks.check_inventory``),
and every rendered file is parsed back; only when all of that passes are the touched
files written (each through a temporary file and a rename). Otherwise :class:`~govcloud.errors.InputError`
lists every problem as file, sheet, row (as the spreadsheet shows it) and column header.

What an import replaces:

- Departments are named by name in the forms. A row of the ``部门`` sheet reuses the code of the existing
  department with that name (or, failing that, with that credit code); a new department gets the code
  ``D`` + the 8 organisation-code body characters of its credit code (a digit is appended on the rare
  clash), and its own 专用网络区 ``DZ-<code>``: the first free /24 of the dedicated-zone pool (the /12 that
  holds the existing dedicated zones, 10.80.0.0/12 in the example city; see :data:`DEDICATED_ZONE_POOL`),
  written to ``network.yaml``. Its router interface in ``hosts.yaml`` is left to the network team.
- The departments an import covers are those on its ``部门`` rows; when no file has ``部门`` rows, those
  that its ``系统`` and ``信息资源`` rows name. For a covered department, the systems are replaced by the
  ``系统`` rows if any file of the import has a ``系统`` sheet, and the catalogue entries by the ``信息资源``
  rows if any file has a ``信息资源`` sheet (a sheet with headers and no rows lists none, so it removes
  them all). Departments are never removed by an import.
- Fields the form does not carry are kept from the existing record with the same code: for a department
  ``admin_group``, ``freeze_windows`` and ``image_pull_secret``; for a system ``sizing``, ``ports``,
  ``consumes``, ``owner``, ``contacts``, ``cloud``, ``disposition_override``, ``licence_allows_virtualisation``
  and ``intranet_zone`` (dropped when the form says the system is not classified); a department's 业务专网
  lists (less the systems the forms removed or no longer carry on a 业务专网); for a catalogue
  entry ``classification_path``, ``system`` and the one of ``sharing.conditions``/``sharing.legal_basis``
  that the ``共享条件`` column does not hold (for 不予共享 it holds the legal basis). Two kept fields are
  dropped because the form overrules them: a system the form marks classified (涉密) loses its cloud
  placement and its consumed entries (the 电子政务内网 is physically isolated from the exchange), and an
  entry whose system is gone loses its ``system`` link. A blank ``共享条件`` of a 无条件共享 entry reads 无条件.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Set
from pathlib import Path
from typing import Any, TypeVar

import odf.namespaces
import odf.opendocument
import odf.table
import openpyxl
import openpyxl.cell
import openpyxl.cell.cell
import openpyxl.comments
import openpyxl.styles
import openpyxl.utils
import openpyxl.utils.cell
import openpyxl.worksheet.datavalidation
import pydantic
import xlrd
import xlrd.xldate

from govcloud.census.core import census_values as cv
from govcloud.census.core import checks, import_merge
from govcloud.core import model
from govcloud.core.settings import CensusFormSettings
from govcloud.edges import inventory_files, yamlio
from govcloud.errors import GovcloudError, InputError, Problem

# the sheet names, the zone pool and the merge rule live in the pure core; named here too for the edge's users
SHEET_DEPARTMENTS = import_merge.SHEET_DEPARTMENTS
SHEET_SYSTEMS = import_merge.SHEET_SYSTEMS
SHEET_CATALOGUE = import_merge.SHEET_CATALOGUE
DEDICATED_ZONE_POOL = import_merge.DEDICATED_ZONE_POOL
RowOrigin = import_merge.RowOrigin
ParsedRow = import_merge.ParsedRow
dedicated_zone_pool = import_merge.dedicated_zone_pool
new_department_code = import_merge.new_department_code
LISTS_SHEET = "选项"
"""Hidden sheet holding the drop-down lists that are too long to write inline."""

XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
XLS_SUFFIXES = frozenset({".xls"})
ODS_SUFFIXES = frozenset({".ods"})
CSV_SUFFIXES = frozenset({".csv"})
FORM_SUFFIXES = XLSX_SUFFIXES | XLS_SUFFIXES | ODS_SUFFIXES | CSV_SUFFIXES
INLINE_LIST_LIMIT = 255  # Excel refuses a list validation whose inline formula is longer than this
_VALIDATED_ROWS = 10_000
_M = TypeVar("_M", bound=pydantic.BaseModel)
_HEADER_SEARCH_ROWS = 10


# ---------------------------------------------------------------------------------------------------------
# The form's columns: one table drives the template, the importer and the exporter


@dataclasses.dataclass(frozen=True)
class Column:
    """One column of a form sheet: its header, the key its value is parsed into, how, and what it accepts."""

    header: str
    key: str
    parse: Callable[[cv.CellValue], object]
    field: tuple[str, ...] = ()
    """Where the value lands in the model (for error messages); empty when it is not a model field."""
    required: bool = False
    choices: tuple[str, ...] = ()
    width: int = 14
    note: str | None = None


@dataclasses.dataclass(frozen=True)
class SheetSpec:
    name: str
    columns: tuple[Column, ...]

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)


def _enum_choices(enum_type: type[Any]) -> tuple[str, ...]:
    return tuple(str(m.value) for m in enum_type)


_DATE_NOTE = (
    "日期，如 2015-03-01、2015/3/1、2015年3月1日；只知年月或年份时写 2015年3月、2015.03、2013年（按当月或当年1月1日计）"
)
_LIST_NOTE = "多个时用 ; 或 , 分隔（全角 ；，、 也可）"
_BOOL = ("是", "否")


def _text(header: str, key: str, *, required: bool = False, width: int = 16, note: str | None = None) -> Column:
    parse: Callable[[cv.CellValue], object] = cv.required(cv.clean_text, header) if required else cv.clean_text
    return Column(header, key, parse, (key,), required=required, width=width, note=note)


def _enum(
    header: str,
    key: str,
    enum_type: type[Any],
    aliases: Mapping[str, Any] | None = None,
    *,
    required: bool = False,
    field: tuple[str, ...] | None = None,
    width: int = 14,
    note: str | None = None,
) -> Column:
    parse = cv.enum_parser(enum_type, aliases)
    return Column(
        header,
        key,
        cv.required(parse, header) if required else parse,
        field or (key,),
        required=required,
        choices=_enum_choices(enum_type),
        width=width,
        note=note,
    )


DEPARTMENT_SHEET = SheetSpec(
    SHEET_DEPARTMENTS,
    (
        _text("部门名称", "name", required=True, width=30),
        Column(
            "统一社会信用代码",
            "uscc",
            cv.required(cv.parse_uscc, "统一社会信用代码"),
            ("uscc",),
            required=True,
            width=22,
            note="18位，校验位按 GB 32100 和 GB 11714 核对",
        ),
        _text("上级部门", "parent", width=30, note="上级部门的名称（无则留空）"),
        Column(
            "政务数据共享工作机构",
            "sharing_office_name",
            cv.clean_text,
            ("sharing_office", "name"),
            width=30,
            note="《政务数据共享条例》第十一条；与负责人一并填写",
        ),
        Column("工作机构负责人", "sharing_office_head", cv.clean_text, ("sharing_office", "head"), width=14),
    ),
)

SYSTEM_SHEET = SheetSpec(
    SHEET_SYSTEMS,
    (
        Column(
            "系统编码",
            "code",
            cv.required(cv.parse_code, "系统编码"),
            ("code",),
            required=True,
            width=14,
            note="大写字母开头，如 FGW-001；再次导入时按编码匹配已有系统",
        ),
        _text("系统名称", "name", required=True, width=28),
        _text("所属部门", "department", required=True, width=26, note="部门名称，须在“部门”表或清单中"),
        _text("系统功能", "function", required=True, width=40),
        _enum("使用范围", "scope", model.Scope, required=True),
        _enum("使用频度", "frequency", model.Frequency, cv.FREQUENCY_ALIASES, required=True),
        _text("审批部门", "approving_body", width=20),
        Column("审批时间", "approval_date", cv.parse_date, ("approval_date",), width=13, note=_DATE_NOTE),
        _enum("建设方式", "construction_mode", model.ConstructionMode, required=True, width=16),
        _text("建设经费来源", "build_funding"),
        _text("运维经费来源", "om_funding"),
        _enum("承载网络", "carrying_network", model.CarryingNetwork, required=True, width=16),
        Column(
            "是否涉密", "classified", cv.parse_bool, ("classified",), choices=_BOOL, width=10, note="是/否，空白为否"
        ),
        Column(
            "等保级别",
            "mlps_level",
            cv.parse_mlps_level,
            ("mlps_level",),
            choices=cv.MLPS_TERMS,
            width=10,
            note="一级..五级（也可写 1-5、第三级）；未定级或空白为未定级",
        ),
        _enum("部署方式", "deployment", model.Deployment, required=True, width=10),
        _text("操作系统", "os"),
        _enum("CPU架构", "cpu_arch", model.CpuArch, cv.CPU_ARCH_ALIASES, width=10, note="空白为 x86"),
        Column("数据库", "databases", cv.parse_text_list, ("databases",), width=18, note=_LIST_NOTE),
        Column("专用硬件", "special_hardware", cv.parse_text_list, ("special_hardware",), note=_LIST_NOTE),
        _enum("厂商支持", "vendor_support", model.VendorSupport, width=12, note="空白为正常"),
        Column("上线时间", "go_live", cv.parse_date, ("go_live",), width=13, note=_DATE_NOTE),
        Column("最近更新时间", "last_update", cv.parse_date, ("last_update",), width=13, note=_DATE_NOTE),
        Column(
            "CPU平均利用率",
            "avg_cpu_percent",
            cv.parse_percent,
            ("avg_cpu_percent",),
            width=13,
            note="百分比，如 35 或 35%",
        ),
        Column(
            "月活跃用户",
            "monthly_active_users",
            cv.parse_whole_number,
            ("monthly_active_users",),
            width=12,
            note="整数，如 8500、8,500 或 1.2万",
        ),
        Column(
            "依赖系统", "depends_on", cv.parse_codes, ("depends_on",), width=20, note="所依赖系统的编码；" + _LIST_NOTE
        ),
    ),
)

_GRADE_ALIASES: Mapping[str, model.DataGrade] = {f"{g.value}数据": g for g in model.DataGrade}

CATALOGUE_SHEET = SheetSpec(
    SHEET_CATALOGUE,
    (
        Column(
            "资源代码",
            "code",
            cv.required(cv.parse_code, "资源代码"),
            ("code",),
            required=True,
            width=20,
            note="前段码/后段码，如 30202601/0000697；前段码首位与资源分类一致（基础1、主题2、部门3）",
        ),
        _text("资源名称", "name", required=True, width=24),
        _enum("资源分类", "category", model.ResourceCategory, cv.CATEGORY_ALIASES, required=True, width=14),
        _text("提供方", "provider", required=True, width=26, note="提供部门的名称"),
        _text("资源摘要", "abstract", width=30),
        _enum("资源格式", "format", model.ResourceFormat, required=True, width=12),
        Column(
            "信息项",
            "data_items",
            cv.required(lambda v: cv.parse_data_items(v) or None, "信息项"),
            ("data_items",),
            required=True,
            width=36,
            note="名称:类型，多项用 ; 分隔（全角：；也可），类型 C字符 N数值 Y货币 D日期 T日期时间 L逻辑 M备注 "
            "G通用 B二进制 I图像 F文件，如 姓名:C;出生日期:D",
        ),
        _enum(
            "共享类型",
            "sharing_type",
            model.SharingType,
            cv.SHARING_TYPE_ALIASES,
            required=True,
            field=("sharing", "type"),
        ),
        Column(
            "共享条件",
            "sharing_conditions",
            cv.clean_text,
            ("sharing", "conditions"),
            width=24,
            note="无条件共享写“无条件”（空白亦按无条件）；有条件共享写明条件；不予共享写明法律、行政法规或政策依据",
        ),
        _text("共享方式", "sharing_method", width=12),
        Column("是否开放", "open", cv.parse_bool, ("open", "open"), choices=_BOOL, width=10, note="是/否，空白为否"),
        Column("开放条件", "open_conditions", cv.clean_text, ("open", "conditions"), width=16),
        _enum("更新周期", "update_cycle", model.UpdateCycle, cv.UPDATE_CYCLE_ALIASES, required=True, width=10),
        Column("发布日期", "publish_date", cv.parse_date, ("publish_date",), width=13, note=_DATE_NOTE),
        Column("关联资源代码", "related", cv.parse_codes, ("related",), width=22, note=_LIST_NOTE),
        _enum("数据分级", "grade", model.DataGrade, _GRADE_ALIASES, field=("grade",), width=10, note="一般/重要/核心"),
        Column("共享范围", "sharing_scope", cv.clean_text, ("sharing", "scope"), width=24, note="有条件共享必填"),
        Column("使用用途", "sharing_purpose", cv.clean_text, ("sharing", "purpose"), width=24, note="有条件共享必填"),
        Column(
            "保密和个人信息评估日期",
            "assessment_date",
            cv.parse_date,
            ("assessment", "date"),
            width=13,
            note="发布前完成；" + _DATE_NOTE,
        ),
        Column("评估审批人", "assessment_approver", cv.clean_text, ("assessment", "approver"), width=14),
    ),
)

SHEETS: tuple[SheetSpec, ...] = (DEPARTMENT_SHEET, SYSTEM_SHEET, CATALOGUE_SHEET)
_SHEET_BY_NAME = {spec.name: spec for spec in SHEETS}

# Model field paths that have no column of their own but that a column feeds.
_EXTRA_FIELD_HEADERS: Mapping[str, Mapping[tuple[str, ...], str]] = {
    SHEET_DEPARTMENTS: {("code",): "部门名称", ("sharing_office",): "政务数据共享工作机构"},
    SHEET_SYSTEMS: {},
    SHEET_CATALOGUE: {
        ("sharing", "legal_basis"): "共享条件",
        ("sharing",): "共享类型",
        ("open",): "是否开放",
        ("assessment",): "保密和个人信息评估日期",
    },
}

_REFERENCE_FIELDS = frozenset(
    {"depends_on", "consumes", "related", "parent", "system", "provider", "department", "cloud", "disposition_override"}
)
KEPT_DEPARTMENT_FIELDS = ("admin_group", "freeze_windows", "image_pull_secret")
KEPT_SYSTEM_FIELDS = (
    "sizing",
    "ports",
    "consumes",
    "owner",
    "contacts",
    "cloud",
    "disposition_override",
    "licence_allows_virtualisation",
    "intranet_zone",
)
KEPT_ENTRY_FIELDS = ("classification_path", "system")


def _kept_values(sheet: str, old: model.System | model.CatalogueEntry, absent: frozenset[str]) -> dict[str, Any]:
    """An existing record's values for the columns a form lacks, as its exported row reads back."""
    if isinstance(old, model.System):
        return _form_values(SYSTEM_SHEET, _system_row(old, {}), absent)
    return _form_values(CATALOGUE_SHEET, _entry_row(old, {}), absent)


def _form_rules() -> import_merge.FormRules:
    return import_merge.FormRules(
        system_keys=tuple(column.key for column in SYSTEM_SHEET.columns),
        kept_department_fields=KEPT_DEPARTMENT_FIELDS,
        kept_system_fields=KEPT_SYSTEM_FIELDS,
        kept_entry_fields=KEPT_ENTRY_FIELDS,
        kept_values=_kept_values,
        header_for=header_for,
    )


# ---------------------------------------------------------------------------------------------------------
# Results


@dataclasses.dataclass(frozen=True)
class RecordChange:
    """A record that exists before and after, and the names of the fields that changed."""

    code: str
    fields: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class DepartmentChange:
    """What an import did to one department."""

    code: str
    name: str
    new: bool
    department_fields: tuple[str, ...] = ()
    systems_added: tuple[str, ...] = ()
    systems_removed: tuple[str, ...] = ()
    systems_changed: tuple[RecordChange, ...] = ()
    entries_added: tuple[str, ...] = ()
    entries_removed: tuple[str, ...] = ()
    entries_changed: tuple[RecordChange, ...] = ()
    zone: model.Zone | None = None
    """The 专用网络区 allocated to a new department."""

    @property
    def changed(self) -> bool:
        return bool(
            self.new
            or self.department_fields
            or self.systems_added
            or self.systems_removed
            or self.systems_changed
            or self.entries_added
            or self.entries_removed
            or self.entries_changed
        )


@dataclasses.dataclass(frozen=True)
class ImportReport:
    """What an import changed, per department it covered, and the files it wrote (none on a dry run)."""

    departments: tuple[DepartmentChange, ...]
    files_written: tuple[Path, ...]
    rows_read: int
    dry_run: bool = False
    notices: tuple[Notice, ...] = ()
    """what reading the forms skipped or assumed: notes and signature rows, ignored and absent columns"""

    @property
    def changed(self) -> bool:
        return any(d.changed for d in self.departments)


# ---------------------------------------------------------------------------------------------------------
# Template and export


def write_template(path: Path) -> None:
    """Write a blank census form: three sheets, Chinese headers, drop-downs, notes; atomically."""
    _check_xlsx_target(path)
    _save_atomic(path, {spec.name: () for spec in SHEETS})


def export_forms(inventory: model.Inventory, path: Path, department: str | None = None) -> int:
    """Write the inventory (or one department, by name or code) as a census form; returns the rows written."""
    _check_xlsx_target(path)
    departments = inventory.departments if department is None else (_find_department(inventory, department),)
    return _save_atomic(path, dict(_export_row_iterators(inventory, departments)))


def export_rows(inventory: model.Inventory, departments: Sequence[model.Department]) -> dict[str, list[list[object]]]:
    """The rows a form of ``departments`` holds, by sheet: the cells as written, before any spreadsheet."""
    return {name: list(rows) for name, rows in _export_row_iterators(inventory, departments)}


def _export_row_iterators(
    inventory: model.Inventory, departments: Sequence[model.Department]
) -> list[tuple[str, Iterator[list[object]]]]:
    """Each sheet's rows, made one at a time as the write-only workbook streams them.

    A province's form holds 220,000 rows: built whole, they and their cells would cost a gigabyte.
    """
    labels = _department_labels(inventory)
    codes_wanted = {d.code for d in departments}
    return [
        (SHEET_DEPARTMENTS, (_department_row(d, labels) for d in departments)),
        (SHEET_SYSTEMS, (_system_row(s, labels) for s in inventory.systems if s.department in codes_wanted)),
        (SHEET_CATALOGUE, (_entry_row(e, labels) for e in inventory.catalogue if e.provider in codes_wanted)),
    ]


def form_rules() -> import_merge.FormRules:
    """What the pure merge needs of these sheets' columns."""
    return _form_rules()


def _find_department(inventory: model.Inventory, wanted: str) -> model.Department:
    key = wanted.strip()
    by_code = inventory.department_by_code.get(key.upper())
    if by_code is not None:
        return by_code
    named = [d for d in inventory.departments if d.name == key]
    if len(named) == 1:
        return named[0]
    if named:
        raise GovcloudError(
            f"several departments are named {key!r} ({', '.join(d.code for d in named)}): give the code"
        )
    raise GovcloudError(f"no department named or coded {key!r} in the inventory")


def _department_labels(inventory: model.Inventory) -> dict[str | None, str]:
    """How forms name each department: its name, or its code when another department has the same name."""
    counts: dict[str, int] = {}
    for dept in inventory.departments:
        counts[dept.name] = counts.get(dept.name, 0) + 1
    return {d.code: d.name if counts[d.name] == 1 else d.code for d in inventory.departments}


def _department_row(d: model.Department, labels: Mapping[str | None, str]) -> list[object]:
    office = d.sharing_office
    return [
        d.name,
        d.uscc,
        labels.get(d.parent) if d.parent else None,
        office.name if office else None,
        office.head if office else None,
    ]


def _system_row(s: model.System, labels: Mapping[str | None, str]) -> list[object]:
    return [
        s.code,
        s.name,
        labels.get(s.department, s.department),
        s.function,
        s.scope.value,
        s.frequency.value,
        s.approving_body,
        s.approval_date,
        s.construction_mode.value,
        s.build_funding,
        s.om_funding,
        s.carrying_network.value,
        "是" if s.classified else "否",
        cv.format_mlps_level(s.mlps_level),
        s.deployment.value,
        s.os,
        s.cpu_arch.value,
        ";".join(s.databases) or None,
        ";".join(s.special_hardware) or None,
        s.vendor_support.value,
        s.go_live,
        s.last_update,
        s.avg_cpu_percent,
        s.monthly_active_users,
        ";".join(s.depends_on) or None,
    ]


def _entry_row(e: model.CatalogueEntry, labels: Mapping[str | None, str]) -> list[object]:
    not_shared = e.sharing.type is model.SharingType.NOT_SHARED
    return [
        e.code,
        e.name,
        e.category.value,
        labels.get(e.provider, e.provider),
        e.abstract,
        e.format.value,
        cv.format_data_items(e.data_items),
        e.sharing.type.value,
        e.sharing.legal_basis if not_shared else e.sharing.conditions,
        e.sharing.method,
        "是" if e.open.open else "否",
        e.open.conditions,
        e.update_cycle.value,
        e.publish_date,
        ";".join(e.related) or None,
        e.grade.value if e.grade else None,
        e.sharing.scope,
        e.sharing.purpose,
        e.assessment.date if e.assessment else None,
        e.assessment.approver if e.assessment else None,
    ]


_HEADER_FONT = openpyxl.styles.Font(bold=True)
_REQUIRED_FONT = openpyxl.styles.Font(bold=True, color="C00000")
_HEADER_FILL = openpyxl.styles.PatternFill("solid", fgColor="DDEBF7")


def _write_form(workbook: Any, rows_by_sheet: Mapping[str, Iterable[Sequence[object]]]) -> int:
    """Fill a write-only workbook: the three sheets and the hidden sheet of the long drop-down lists.

    Returns the number of data rows written (headers not counted).

    Each form sheet gets its headers (with notes and drop-downs), then its rows as the iterators give them.

    Write-only mode streams each row to the file as it is appended, so a province's export holds one row in
    memory, not its four million cells; what a sheet carries besides cells (widths, frozen header,
    validations) must be set before its first row, which is why the hidden lists are gathered first.
    """
    lists: list[tuple[str, ...]] = []
    written = 0
    validations = {
        spec.name: [
            (list_validation(column.choices, lists), index)
            for index, column in enumerate(spec.columns, start=1)
            if column.choices
        ]
        for spec in SHEETS
    }
    for spec in SHEETS:
        sheet = workbook.create_sheet(spec.name)
        sheet.freeze_panes = "A2"
        for col_index, column in enumerate(spec.columns, start=1):
            letter = openpyxl.utils.get_column_letter(col_index)
            sheet.column_dimensions[letter].width = max(column.width, _display_width(column.header) + 2)
        for validation, col_index in validations[spec.name]:
            letter = openpyxl.utils.get_column_letter(col_index)
            validation.add(f"{letter}2:{letter}{_VALIDATED_ROWS}")
            sheet.data_validations.append(validation)
        sheet.append([_header_cell(sheet, column) for column in spec.columns])
        for row_index, values in enumerate(rows_by_sheet.get(spec.name, ()), start=2):
            sheet.append(_data_row(sheet, row_index, values, spec))
            written += 1
    if lists:
        hidden = workbook.create_sheet(LISTS_SHEET)
        hidden.sheet_state = "hidden"
        for row_index in range(max(len(choices) for choices in lists)):
            hidden.append([choices[row_index] if row_index < len(choices) else None for choices in lists])
    return written


def _header_cell(sheet: Any, column: Column) -> Any:
    cell = openpyxl.cell.WriteOnlyCell(sheet, value=column.header)
    cell.font = _REQUIRED_FONT if column.required else _HEADER_FONT
    cell.fill = _HEADER_FILL
    note = column.note or ""
    if column.required:
        note = ("必填。" + note).strip()
    if note:
        comment = openpyxl.comments.Comment(note, "govcloud")
        comment.width, comment.height = 320, 120
        cell.comment = comment
    return cell


def _data_row(sheet: Any, row: int, values: Sequence[Any], spec: SheetSpec) -> list[Any]:
    """The cells to append for one row: the plain values, except text a spreadsheet would take for a formula.

    Plain values are the cheapest (openpyxl reuses one cell for them) and openpyxl formats a date as
    ``yyyy-mm-dd`` by itself; a styled cell object per value would double the export's time.
    """
    cells: list[Any] = list(values)
    for index, value in enumerate(values):
        if isinstance(value, str):
            if openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE.search(value):
                raise GovcloudError(
                    f"{spec.name} row {row} column {spec.columns[index].header}: text holds a control character "
                    "that a spreadsheet cannot store; remove it from the inventory"
                )
            if value.startswith("="):
                cell = openpyxl.cell.WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"  # text, not a formula
                cells[index] = cell
    return cells


def list_validation(
    choices: Sequence[str], hidden_lists: list[tuple[str, ...]]
) -> openpyxl.worksheet.datavalidation.DataValidation:
    """A drop-down of ``choices``: inline when it fits Excel's limit, else a range of the hidden lists sheet.

    Lists that go to the hidden sheet are appended to ``hidden_lists`` (one column each); the caller writes
    them. Values outside the list only warn, because the importer accepts alternates (``3`` for ``三级``).
    """
    inline = ",".join(choices)
    if len(inline) + 2 <= INLINE_LIST_LIMIT and not any("," in c or '"' in c for c in choices):
        formula = f'"{inline}"'
    else:
        hidden_lists.append(tuple(choices))
        letter = openpyxl.utils.get_column_letter(len(hidden_lists))
        formula = f"'{LISTS_SHEET}'!${letter}$1:${letter}${len(choices)}"
    return openpyxl.worksheet.datavalidation.DataValidation(
        type="list",
        formula1=formula,
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle="不在可选值中",
        error="请从下拉列表中选择；如确需其他写法，导入时会校验。",
    )


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _check_xlsx_target(path: Path) -> None:
    if path.suffix.lower() != ".xlsx":
        raise InputError([Problem(str(path), None, "", "the form is written as an .xlsx file; name it *.xlsx")])


def _save_atomic(path: Path, rows_by_sheet: Mapping[str, Iterable[Sequence[object]]]) -> int:
    """Stream the form into a temporary file beside ``path`` and rename it over ``path``: all or nothing.

    Returns the number of data rows written.
    """
    written = 0

    def write(target: Path) -> None:
        nonlocal written
        workbook = openpyxl.Workbook(write_only=True)
        try:
            written = _write_form(workbook, rows_by_sheet)
        except BaseException:
            # a refused row: close the sheets' open streams into the temporary file, which the atomic
            # replace then deletes (left open, they fail noisily when collected); the refusal is the error
            with contextlib.suppress(Exception):
                workbook.save(target)
            raise
        workbook.save(target)

    try:
        yamlio.replace_atomically(path, write)
    except OSError as exc:
        raise InputError([Problem(str(path), None, "", f"cannot write: {exc.strerror or exc}")]) from exc
    return written


# ---------------------------------------------------------------------------------------------------------
# Reading files
#
# Four formats, each read by the library made for it, into one shape (RawSheet: rows of plain cell values
# and the sheet's merged blocks), so that everything after reading is the same for all of them:
#
# - .xlsx: openpyxl in read-only mode, which streams cells and is several times faster on big forms than
#   the full mode, but never reads the sheet's <mergeCells> (they follow the cells in the sheet's XML);
#   those few elements are read from the same part of the archive (see _xlsx_merged_ranges).
# - .xls: xlrd with formatting_info=True, the only way it reports merged cells (Sheet.merged_cells) and the
#   number formats that tell a percentage or a date from a plain number.
# - .ods: odfpy, the OpenDocument reference library. Compared for this (December 2026): pandas' "odf"
#   engine is odfpy underneath, adds pandas and numpy (~60 MB) and drops spans and covered cells;
#   pyexcel-ods3 rests on ezodf (no release since 2017) and lxml (12 MB) and also drops spans; python-calamine
#   (maintained, Rust, ~50x faster) reports no merged ranges for .ods and reads a percentage as a bare
#   0.355. odfpy (1.3 MB, pure Python, no dependencies; releases are rare but the format is stable) gives
#   the document itself: number-rows-spanned and covered cells, office:value-type (float, percentage,
#   currency, date, time, boolean, string) and the typed values. benchmarks/bench_forms.py measures it.
# - .csv: the standard library; UTF-8 (with or without a byte-order mark) or GBK.


@dataclasses.dataclass(frozen=True)
class Notice:
    """Something an import skipped or assumed, shown as one line to the person importing; not a problem."""

    path: str
    sheet: str | None
    row: int | None
    message: str

    def render(self) -> str:
        return Problem(self.path, self.row, "", self.message, sheet=self.sheet).render()


class FormsRejected(InputError):
    """An import refused: every problem, and the notices about what reading the forms skipped or assumed."""

    def __init__(self, problems: Iterable[Problem], summary: str, notices: Sequence[Notice]) -> None:
        super().__init__(problems, summary)
        self.notices = tuple(notices)


@dataclasses.dataclass
class RawSheet:
    """One sheet as a reader gives it: its name (``None`` for CSV), its rows, its merged blocks."""

    name: str | None
    rows: list[list[cv.CellValue]]
    merges: Sequence[cv.MergedRange] = ()


@dataclasses.dataclass(frozen=True)
class SheetData:
    """The raw rows of one sheet of one file, with the header row found and mapped to columns."""

    display: str
    spec: SheetSpec
    header_row: int
    columns: Mapping[str, int]
    """header → 0-based cell index"""
    rows: tuple[tuple[int, tuple[cv.CellValue, ...]], ...]
    """(row number as the spreadsheet shows it, cells): the records; blank, note and signature rows left out"""
    absent: frozenset[str] = frozenset()
    """keys of the optional columns the sheet does not have"""
    notices: tuple[Notice, ...] = ()


def read_form(path: Path, *, ignored_columns: Iterable[str] = ()) -> list[SheetData]:
    """Every census sheet of one file; raises :class:`InputError` naming the file when it cannot be read.

    ``ignored_columns`` are headers skipped (with a notice) besides 序号 and 备注.
    """
    suffix = path.suffix.lower()
    display = _display(path)
    if not path.exists():
        raise InputError([Problem(display, None, "", "file does not exist")], "cannot read the form")
    if not path.is_file():
        raise InputError([Problem(display, None, "", "not a file")], "cannot read the form")
    if suffix not in FORM_SUFFIXES:
        raise InputError(
            [
                Problem(
                    display, None, "", f"unsupported file type {suffix or '(none)'!r}; use .xlsx, .xls, .ods or .csv"
                )
            ],
            "cannot read the form",
        )
    file_notices: list[Notice] = []
    if suffix in CSV_SUFFIXES:
        raw_sheets = [RawSheet(None, _read_csv(path, display))]
    else:
        kind = _spreadsheet_kind(path, display) or _KIND_BY_SUFFIX[suffix]
        if kind != _KIND_BY_SUFFIX[suffix]:
            file_notices.append(
                Notice(display, None, None, f"the file is a .{kind} workbook despite its name: read as one")
            )
        raw_sheets = _READERS[kind](path, display)
    problems: list[Problem] = []
    sheets: list[SheetData] = []
    ignored = frozenset(cv.normalise_header(h) for h in (*cv.ALWAYS_IGNORED_HEADERS, *ignored_columns)) - {""}
    for raw in raw_sheets:
        found = _sheet_from_rows(display, raw, ignored, problems)
        if found is not None:
            sheets.append(found)
    if not sheets and not problems:
        names = "、".join(spec.name for spec in SHEETS)
        problems.append(Problem(display, None, "", f"no census sheet found: expected a sheet {names} with its headers"))
    if problems:
        notices = [*file_notices, *(n for sheet in sheets for n in sheet.notices)]
        raise FormsRejected(problems, "the form cannot be read", notices)
    if file_notices:
        sheets[0] = dataclasses.replace(sheets[0], notices=(*file_notices, *sheets[0].notices))
    return sheets


_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound-file container of .xls (BIFF8)
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_KIND_BY_SUFFIX = {**dict.fromkeys(XLSX_SUFFIXES, "xlsx"), **dict.fromkeys(XLS_SUFFIXES, "xls"), ".ods": "ods"}


def _spreadsheet_kind(path: Path, display: str) -> str | None:
    """What the file really is (``xlsx``, ``xls``, ``ods``), from its first bytes; ``None`` when unknown.

    Forms are renamed on the way back (an .xlsx saved as ``表.xls`` by a mail client or a colleague), and
    the name is only a claim; a file of an unknown kind goes to the reader its name asks for, which reports it.
    """
    try:
        with path.open("rb") as stream:
            head = stream.read(8)
    except OSError as exc:
        raise InputError([Problem(display, None, "", f"cannot read: {exc.strerror or exc}")], "cannot read") from exc
    if head.startswith(_OLE2_MAGIC):
        return "xls"
    if head.startswith(_ZIP_MAGIC):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
                if "mimetype" in names and archive.read("mimetype").startswith(_ODS_MIMETYPE):
                    return "ods"
                if "[Content_Types].xml" in names:
                    return "xlsx"
        except (zipfile.BadZipFile, OSError, KeyError):
            return None
    if head.lstrip().startswith(b"<"):
        raise InputError(
            [
                Problem(
                    display,
                    None,
                    "",
                    "the file is a web page (HTML or XML), not a workbook: open it in the office program and "
                    "save it as .xlsx",
                )
            ],
            "cannot read the form",
        )
    return None


def _unreadable(display: str, kind: str, exc: Exception) -> InputError:
    return InputError(
        [Problem(display, None, "", f"not a readable .{kind} workbook ({type(exc).__name__}: {exc})")],
        "cannot read the form",
    )


def _read_xlsx(path: Path, display: str) -> list[RawSheet]:
    try:
        # a stream, not the path: openpyxl refuses a path by its suffix, and a workbook may be misnamed
        stream = path.open("rb")
    except OSError as exc:
        raise InputError([Problem(display, None, "", f"cannot read: {exc.strerror or exc}")], "cannot read") from exc
    try:
        workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
        try:
            sheets: list[RawSheet] = []
            for sheet in workbook.worksheets:
                name = unicodedata.normalize("NFKC", sheet.title).strip()
                if name == LISTS_SHEET or not hasattr(sheet, "iter_rows"):
                    continue
                # Some writers record a wrong <dimension> (often A1), which read-only mode trusts; forget it.
                sheet.reset_dimensions()
                rows = [[_cell_value(c) for c in row] for row in sheet.iter_rows()]
                sheets.append(RawSheet(name, rows, _xlsx_merged_ranges(workbook, sheet)))
            return sheets
        finally:
            workbook.close()
    except InputError:
        raise
    except Exception as exc:  # openpyxl raises many kinds on a damaged or foreign file; all mean "unreadable"
        raise _unreadable(display, "xlsx", exc) from exc
    finally:
        stream.close()


_SHEET_DATA_END = re.compile(rb"</(?:[\w.-]+:)?sheetData\s*>|<(?:[\w.-]+:)?sheetData\s*/>")
_MERGE_CELL = re.compile(
    rb"<(?:[\w.-]+:)?mergeCell\b[^>]*?\bref\s*=\s*[\"']([A-Za-z]{1,3}\d+(?::[A-Za-z]{1,3}\d+)?)[\"']"
)


def _xlsx_merged_ranges(workbook: Any, sheet: Any) -> list[cv.MergedRange]:
    """The merged blocks of a sheet opened in read-only mode, which openpyxl does not read.

    A sheet's XML holds ``<sheetData>`` (every cell) and then ``<mergeCells>``. The part is inflated once
    more, in chunks, and only what follows the cells is searched: text cannot hide a ``<mergeCell`` there,
    since cell text is escaped and lives inside ``<sheetData>``. On a 5,000-row form that costs 6% of the
    read-only read, where openpyxl's normal mode (which has ``merged_cells``) takes 1.25x the read-only
    time and several times its memory, every cell an object with its style (benchmarks/bench_forms.py).
    The part's name
    and the open archive are read-only mode's own attributes (openpyxl 3.1:
    ``ReadOnlyWorksheet._worksheet_path``, ``Workbook._archive``); the tests read merged cells from real
    workbooks, so a change there fails them.
    """
    tail = _after_sheet_data(workbook._archive, sheet._worksheet_path)
    merges: list[cv.MergedRange] = []
    for match in _MERGE_CELL.finditer(tail):
        try:
            min_col, min_row, max_col, max_row = openpyxl.utils.cell.range_boundaries(match.group(1).decode("ascii"))
        except ValueError:
            continue
        if None not in (min_col, min_row, max_col, max_row):
            merges.append((min_row - 1, min_col - 1, max_row - 1, max_col - 1))  # type: ignore[operator]
    return merges


_CHUNK = 1 << 20
_TAG_OVERLAP = 64  # longer than any spelling of </sheetData>, so a tag split between two chunks is still found


def _after_sheet_data(archive: zipfile.ZipFile, part: str) -> bytes:
    """What follows ``</sheetData>`` in a sheet part, inflated in chunks: the cells are never held in memory."""
    pending = b""
    tail: list[bytes] = []
    with archive.open(part) as member:
        while chunk := member.read(_CHUNK):
            if tail:
                tail.append(chunk)
                continue
            window = pending + chunk
            end = _SHEET_DATA_END.search(window)
            if end is not None:
                tail.append(window[end.end() :])
            else:
                pending = window[-_TAG_OVERLAP:]
    return b"".join(tail)


def _cell_value(cell: Any) -> cv.CellValue:
    value = getattr(cell, "value", None)
    if value is None or isinstance(value, str | bool | dt.date | dt.time):
        return value
    if isinstance(value, int | float):
        if "%" in str(getattr(cell, "number_format", "") or ""):
            return _percent_text(value)
        return value
    return str(value)


def _percent_text(value: float) -> str:
    return f"{round(value * 100, 9)!r}%"  # a percent-formatted cell stores 0.35 for 35 %


def _read_xls(path: Path, display: str) -> list[RawSheet]:
    try:
        book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True)
    except Exception as exc:  # xlrd raises XLRDError, struct.error, IndexError... on a damaged file
        raise _unreadable(display, "xls", exc) from exc
    try:
        percent_styles: dict[int, bool] = {}
        sheets: list[RawSheet] = []
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            name = unicodedata.normalize("NFKC", sheet.name).strip()
            if name != LISTS_SHEET:
                rows = [
                    [
                        _xls_value(book, sheet, r, c, kind, value, percent_styles)
                        for c, (kind, value) in enumerate(zip(sheet.row_types(r), sheet.row_values(r), strict=True))
                    ]
                    for r in range(sheet.nrows)
                ]
                # xlrd's ranges are half-open (rlo, rhi, clo, chi)
                merges = [(rlo, clo, rhi - 1, chi - 1) for rlo, rhi, clo, chi in sheet.merged_cells]
                sheets.append(RawSheet(name, rows, merges))
            book.unload_sheet(index)
        return sheets
    except Exception as exc:
        raise _unreadable(display, "xls", exc) from exc
    finally:
        book.release_resources()


def _xls_value(
    book: Any, sheet: Any, row: int, col: int, kind: int, value: Any, percent_styles: dict[int, bool]
) -> cv.CellValue:
    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if kind == xlrd.XL_CELL_TEXT:
        return str(value)
    if kind == xlrd.XL_CELL_BOOLEAN:
        return bool(value)
    if kind == xlrd.XL_CELL_ERROR:
        return str(xlrd.error_text_from_code.get(value, "#ERROR"))
    if kind == xlrd.XL_CELL_DATE:
        try:
            moment: dt.datetime = xlrd.xldate.xldate_as_datetime(value, book.datemode)
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return float(value)
        return moment.time() if value < 1 else moment
    number = float(value)
    xf_index: int = sheet.cell_xf_index(row, col)
    if xf_index not in percent_styles:
        style = book.format_map.get(book.xf_list[xf_index].format_key)
        percent_styles[xf_index] = style is not None and "%" in str(style.format_str)
    if percent_styles[xf_index]:
        return _percent_text(number)
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


_MAX_ROWS = 1_048_576  # the row limit of Excel and LibreOffice: a bound on what a hostile file can make us build
_MAX_COLUMNS = 16_384
_TABLE_ROW = (odf.namespaces.TABLENS, "table-row")
_TABLE_CELL = (odf.namespaces.TABLENS, "table-cell")
_COVERED_CELL = (odf.namespaces.TABLENS, "covered-table-cell")
_ROW_CONTAINERS = frozenset(
    (odf.namespaces.TABLENS, name) for name in ("table-header-rows", "table-row-group", "table-rows")
)
_ROWS_REPEATED = (odf.namespaces.TABLENS, "number-rows-repeated")
_COLUMNS_REPEATED = (odf.namespaces.TABLENS, "number-columns-repeated")
_ROWS_SPANNED = (odf.namespaces.TABLENS, "number-rows-spanned")
_COLUMNS_SPANNED = (odf.namespaces.TABLENS, "number-columns-spanned")
_VALUE_TYPE = (odf.namespaces.OFFICENS, "value-type")
_PARAGRAPHS = frozenset({(odf.namespaces.TEXTNS, "p"), (odf.namespaces.TEXTNS, "h")})


def _read_ods(path: Path, display: str) -> list[RawSheet]:
    try:
        document = odf.opendocument.load(str(path))
        sheets: list[RawSheet] = []
        for table in document.spreadsheet.getElementsByType(odf.table.Table):
            name = unicodedata.normalize("NFKC", str(table.getAttribute("name") or "")).strip()
            if name != LISTS_SHEET:
                rows, merges = _ods_rows(table)
                sheets.append(RawSheet(name, rows, merges))
        return sheets
    except Exception as exc:  # odfpy raises zip, XML and attribute errors on damaged or foreign files
        raise _unreadable(display, "ods", exc) from exc


def _ods_row_elements(parent: Any) -> Iterator[Any]:
    for node in parent.childNodes:
        qname = getattr(node, "qname", None)
        if qname == _TABLE_ROW:
            yield node
        elif qname in _ROW_CONTAINERS:
            yield from _ods_row_elements(node)


def _ods_rows(table: Any) -> tuple[list[list[cv.CellValue]], list[cv.MergedRange]]:
    """A table's rows and spans, repeats expanded, except blank ones with nothing after them.

    LibreOffice writes the rest of the sheet as one blank row repeated a million times, and blank cells up
    to column 1024; those are never built.
    """
    rows: list[list[cv.CellValue]] = []
    merges: list[cv.MergedRange] = []
    blank_rows = 0
    for element in _ods_row_elements(table):
        repeat = int(element.attributes.get(_ROWS_REPEATED) or 1)
        cells, spans = _ods_cells(element)
        if not cells:
            blank_rows += repeat
            continue
        if blank_rows:
            rows.extend([] for _ in range(min(blank_rows, _MAX_ROWS - len(rows))))
            blank_rows = 0
        for _ in range(min(repeat, _MAX_ROWS - len(rows))):
            index = len(rows)
            rows.append(list(cells))
            merges.extend((index, col, index + down - 1, col + across - 1) for col, down, across in spans)
    return rows, merges


def _ods_cells(row: Any) -> tuple[list[cv.CellValue], list[tuple[int, int, int]]]:
    cells: list[cv.CellValue] = []
    spans: list[tuple[int, int, int]] = []  # (column, rows spanned, columns spanned)
    blank = 0
    for cell in row.childNodes:
        qname = getattr(cell, "qname", None)
        if qname not in (_TABLE_CELL, _COVERED_CELL):
            continue
        repeat = int(cell.attributes.get(_COLUMNS_REPEATED) or 1)
        value = _ods_value(cell) if qname == _TABLE_CELL else None  # a covered cell shows the block's value
        if cv.is_blank(value):
            blank += repeat
            continue
        if blank:
            cells.extend([None] * min(blank, _MAX_COLUMNS - len(cells)))
            blank = 0
        down = int(cell.attributes.get(_ROWS_SPANNED) or 1)
        across = int(cell.attributes.get(_COLUMNS_SPANNED) or 1)
        for _ in range(min(repeat, _MAX_COLUMNS - len(cells))):
            if down > 1 or across > 1:
                spans.append((len(cells), down, across))
            cells.append(value)
    return cells, spans


def _ods_value(cell: Any) -> cv.CellValue:
    """A cell's typed value (office:value-type and its value attribute), else its text."""
    attributes = cell.attributes
    kind = attributes.get(_VALUE_TYPE)
    try:
        if kind in ("float", "currency"):
            number = float(attributes[(odf.namespaces.OFFICENS, "value")])
            return int(number) if number.is_integer() and abs(number) < 2**53 else number
        if kind == "percentage":
            return _percent_text(float(attributes[(odf.namespaces.OFFICENS, "value")]))
        if kind == "date":
            text = str(attributes[(odf.namespaces.OFFICENS, "date-value")])
            moment = dt.datetime.fromisoformat(text)
            return moment if "T" in text else moment.date()
        if kind == "boolean":
            return str(attributes[(odf.namespaces.OFFICENS, "boolean-value")]).strip().lower() == "true"
    except (KeyError, ValueError):
        pass  # a value attribute that does not parse: the text the cell shows is all there is
    if kind == "string" and (odf.namespaces.OFFICENS, "string-value") in attributes:
        return str(attributes[(odf.namespaces.OFFICENS, "string-value")])
    paragraphs = [_ods_text(node) for node in cell.childNodes if getattr(node, "qname", None) in _PARAGRAPHS]
    return "\n".join(paragraphs) if paragraphs else None


_TEXT_SPACE = (odf.namespaces.TEXTNS, "s")
_TEXT_TAB = (odf.namespaces.TEXTNS, "tab")
_TEXT_BREAK = (odf.namespaces.TEXTNS, "line-break")
_ANNOTATION = (odf.namespaces.OFFICENS, "annotation")


def _ods_text(node: Any) -> str:
    parts: list[str] = []
    for child in node.childNodes:
        if child.nodeType == child.TEXT_NODE:
            parts.append(str(child.data))
            continue
        qname = getattr(child, "qname", None)
        if qname == _TEXT_SPACE:
            parts.append(" " * int(child.attributes.get((odf.namespaces.TEXTNS, "c")) or 1))
        elif qname == _TEXT_TAB:
            parts.append("\t")
        elif qname == _TEXT_BREAK:
            parts.append("\n")
        elif qname != _ANNOTATION:  # a comment on the cell is not its value
            parts.append(_ods_text(child))
    return "".join(parts)


_READERS: Mapping[str, Callable[[Path, str], list[RawSheet]]] = {"xlsx": _read_xlsx, "xls": _read_xls, "ods": _read_ods}


def _read_csv(path: Path, display: str) -> list[list[cv.CellValue]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError([Problem(display, None, "", f"cannot read: {exc.strerror or exc}")], "cannot read") from exc
    text = decode_csv_bytes(data, display)
    try:
        return [list(row) for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as exc:
        raise InputError([Problem(display, None, "", f"not a CSV file: {exc}")], "cannot read the form") from exc


def decode_csv_bytes(data: bytes, display: str) -> str:
    """CSV text: UTF-8 with a byte-order mark, else UTF-8, else GBK; anything else is an error naming the file."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _encoding_error(display, f"starts with a UTF-8 mark but is not UTF-8 (byte {exc.start + 3})") from exc
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _encoding_error(display, "is UTF-16 text; save it as CSV UTF-8 (or GBK)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("gbk")
        except UnicodeDecodeError:
            raise _encoding_error(
                display, f"is neither UTF-8 (bad byte at {utf8_error.start}) nor GBK text; save it as CSV UTF-8"
            ) from utf8_error


def _encoding_error(display: str, message: str) -> InputError:
    return InputError([Problem(display, None, "", message)], "cannot read the form")


def _shown(value: cv.CellValue) -> str:
    try:
        return cv.clean_text(value) or ""
    except cv.CensusValueError:
        return repr(value)


def _is_blank(row: Iterable[cv.CellValue]) -> bool:
    return all(cv.is_blank(v) for v in row)


_NORMALISED_HEADERS = {spec.name: {cv.normalise_header(h): h for h in spec.headers} for spec in SHEETS}
_CODE_COLUMNS = frozenset({"系统编码", "资源代码"})
_SPARSE_CELLS = 2
"""Under a note, a row with at most this many filled cells is part of the notes (a date under a signature)."""
_NOTE_SHOWN = 40


def _find_header(rows: Sequence[Sequence[cv.CellValue]], spec: SheetSpec | None) -> tuple[int, SheetSpec] | None:
    """The header row among the first few non-blank rows: the one naming most known columns (at least 2).

    Ties go to the upper row. Choosing the best rather than the first row matters for grouped headers,
    where a group row above names a few columns merged down into the row of the full header.
    """
    best: tuple[int, int, SheetSpec] | None = None
    seen = 0
    for index, row in enumerate(rows):
        if _is_blank(row):
            continue
        seen += 1
        if seen > _HEADER_SEARCH_ROWS:
            break
        candidates = {cv.normalise_header(v) for v in row}
        for candidate in [spec] if spec is not None else SHEETS:
            score = len(candidates & _NORMALISED_HEADERS[candidate.name].keys())
            if score >= 2 and (best is None or score > best[0]):
                best = (score, index, candidate)
    return None if best is None else (best[1], best[2])


def _sheet_from_rows(display: str, raw: RawSheet, ignored: frozenset[str], problems: list[Problem]) -> SheetData | None:
    """Find the header row, map the columns, keep the record rows; notes, totals and signatures are skipped."""
    rows = raw.rows
    filled = cv.fill_merged_down(rows, raw.merges)
    spec = _SHEET_BY_NAME.get(raw.name) if raw.name is not None else None
    found = _find_header(rows, spec)
    if found is None:
        if spec is not None and any(not _is_blank(r) for r in rows):
            problems.append(
                Problem(display, None, "", f"no header row with the {spec.name} columns found", sheet=spec.name)
            )
        # an empty census sheet, or a sheet of something else (notes, instructions): nothing to read
        return None
    header_index, spec = found
    sheet_name = spec.name
    header_row = header_index + 1
    notices: list[Notice] = []

    def notice(row: int | None, message: str) -> None:
        notices.append(Notice(display, sheet_name, row, message))

    if filled:
        notice(None, f"{filled} merged cell block(s) filled down: each row of a block reads the value it shows")
    known = _NORMALISED_HEADERS[spec.name]
    columns: dict[str, int] = {}
    headed: set[int] = set()
    ignored_cells: set[int] = set()
    unknown: list[tuple[int, str, str]] = []
    for cell_index, value in enumerate(rows[header_index]):
        normalised = cv.normalise_header(value)
        if not normalised:
            continue
        headed.add(cell_index)
        header = known.get(normalised)
        if header is None and normalised in ignored:
            ignored_cells.add(cell_index)
            notice(header_row, f"column {_shown(value)} ({_column_letter(cell_index)}) ignored: it is no census field")
        elif header is None:
            unknown.append((cell_index, _shown(value), normalised))
        elif header in columns:
            problems.append(Problem(display, header_row, header, "column appears twice", sheet=spec.name))
        else:
            columns[header] = cell_index
    missing = [c for c in spec.columns if c.header not in columns]
    meant: dict[str, str] = {}
    for cell_index, shown, normalised in unknown:
        guess = cv.suggest_header(normalised, [c.header for c in missing], fallback=spec.headers)
        if guess is None:
            message = f"unknown column (in {_column_letter(cell_index)}): not a column of the {spec.name} sheet"
        else:
            message = f"unknown column (in {_column_letter(cell_index)}): did you mean {guess}?"
            meant.setdefault(guess, shown)
        problems.append(Problem(display, header_row, shown, message, sheet=spec.name))
    absent = [c for c in missing if not c.required]
    for column in missing:
        if column.required:
            hint = f" (is {meant[column.header]!r} meant to be it?)" if column.header in meant else ""
            problems.append(
                Problem(display, header_row, column.header, "required column is missing" + hint, sheet=spec.name)
            )
    if absent:
        notice(
            header_row,
            f"optional column(s) absent: {'、'.join(c.header for c in absent)}; existing records keep what the "
            "inventory says there, new ones leave it blank",
        )
    first_column = min(headed)
    code_first = any(columns.get(h) == first_column for h in _CODE_COLUMNS)
    data_rows: list[tuple[int, tuple[cv.CellValue, ...]]] = []
    held: list[tuple[int, list[cv.CellValue], str]] = []  # what looks like notes under the data, until data follows
    in_notes = False  # a note row was seen and no record since
    only_ignored = 0

    def keep(index: int, row: list[cv.CellValue]) -> None:
        for cell_index, value in enumerate(row):
            if cell_index not in headed and not cv.is_blank(value):
                problems.append(
                    Problem(
                        display,
                        index + 1,
                        _column_letter(cell_index),
                        f"a value in a column without a header: {_shown(value)!r}",
                        sheet=sheet_name,
                    )
                )
        data_rows.append((index + 1, tuple(row)))

    for index in range(header_index + 1, len(rows)):
        row = rows[index]
        filled_cells = [i for i, v in enumerate(row) if not cv.is_blank(v)]
        if not filled_cells:
            continue
        first_value = row[filled_cells[0]]
        prefix = cv.note_prefix(first_value)
        if prefix is not None:  # 合计, 填表说明, 填表人: never a record, wherever it stands
            notice(index + 1, f"row ignored: a {prefix} row, not a record ({_quoted(first_value)})")
            in_notes = True
            continue
        only_in_ignored = all(i in ignored_cells for i in filled_cells)
        if only_in_ignored and all(_is_numbering(row[i]) for i in filled_cells):
            only_ignored += 1  # a pre-numbered 序号 on an unused row
            continue
        lone = cv.lone_text(row, first_column)
        if lone is not None and not (code_first and _looks_like_code(lone)):
            held.append((index, row, f"row ignored: a note under the data ({_quoted(lone)})"))
            in_notes = True
            continue
        if only_in_ignored:
            only_ignored += 1  # a remark with no record
            continue
        if in_notes and len(filled_cells) <= _SPARSE_CELLS:
            held.append((index, row, f"row ignored: part of the notes under the data ({_quoted(first_value)})"))
            continue
        for held_index, held_row, _ in held:  # a record follows: what looked like notes are records after all
            keep(held_index, held_row)
        held.clear()
        in_notes = False
        keep(index, row)
    for held_index, _, message in held:
        notice(held_index + 1, message)
    if only_ignored:
        notice(None, f"{only_ignored} row(s) with values only in ignored columns skipped as blank")
    notices.sort(key=lambda n: n.row or 0)
    return SheetData(
        display,
        spec,
        header_row,
        columns,
        tuple(data_rows),
        absent=frozenset(c.key for c in absent),
        notices=tuple(notices),
    )


def _column_letter(cell_index: int) -> str:
    return str(openpyxl.utils.get_column_letter(cell_index + 1))


def _quoted(value: cv.CellValue) -> str:
    text = " ".join(_shown(value).split())
    return repr(text if len(text) <= _NOTE_SHOWN else text[: _NOTE_SHOWN - 1] + "…")


def _is_numbering(value: cv.CellValue) -> bool:
    return isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit())


_CODE_SHAPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.-]*$")


def _looks_like_code(text: str) -> bool:
    """Whether a lone first cell could be a system or resource code (a record missing the rest, not a note)."""
    return bool(_CODE_SHAPE.match(cv.parse_code(text) or ""))


# ---------------------------------------------------------------------------------------------------------
# Importing


def parse_rows(sheet: SheetData, problems: list[Problem], failed: list[ParsedRow] | None = None) -> list[ParsedRow]:
    """Normalise every cell of every row; a bad cell adds a problem and puts its row in ``failed`` instead."""
    parsed: list[ParsedRow] = []
    for row_number, cells in sheet.rows:
        origin = RowOrigin(sheet.display, sheet.spec.name, row_number)
        values: dict[str, Any] = {}
        ok = True
        for column in sheet.spec.columns:
            index = sheet.columns.get(column.header)
            raw = cells[index] if index is not None and index < len(cells) else None
            try:
                values[column.key] = column.parse(raw)
            except cv.CensusValueError as exc:
                problems.append(origin.problem(column.header, exc.reason))
                ok = False
        if ok:
            parsed.append(ParsedRow(origin, values, sheet.absent))
        elif failed is not None:
            failed.append(ParsedRow(origin, values, sheet.absent))
    return parsed


def import_forms(
    paths: Sequence[Path],
    inventory_root: Path,
    *,
    today: dt.date | None = None,
    dry_run: bool = False,
    form_settings: CensusFormSettings | None = None,
) -> ImportReport:
    """Import census forms into the inventory at ``inventory_root``: all of them, or nothing.

    Raises :class:`FormsRejected` (an :class:`InputError`) listing every problem (unreadable files, bad
    cells, unknown departments, and whatever the inventory checks find in the result); on success writes the
    touched department files (and ``network.yaml`` when a new department got its zone) unless ``dry_run``.
    Either way the report (or the error) carries a notice for every row and column the import skipped.
    """
    today = today or dt.date.today()
    ignored_columns = (form_settings or CensusFormSettings()).ignored_columns
    if not paths:
        raise InputError([Problem(str(inventory_root), None, "", "no form files given")], "nothing to import")
    loaded = inventory_files.load_inventory(inventory_root, today=today)

    problems: list[Problem] = []
    sheets: list[SheetData] = []
    unreadable_notices: list[Notice] = []
    seen: set[Path] = set()
    for path in paths:
        key = path.resolve()
        if key in seen:
            continue
        seen.add(key)
        try:
            sheets.extend(read_form(path, ignored_columns=ignored_columns))
        except InputError as exc:
            problems.extend(exc.problems)
            if isinstance(exc, FormsRejected):
                unreadable_notices.extend(exc.notices)
    rows: dict[str, list[ParsedRow]] = {spec.name: [] for spec in SHEETS}
    failed: list[ParsedRow] = []
    for sheet in sheets:
        rows[sheet.spec.name].extend(parse_rows(sheet, problems, failed))
    notices = [*unreadable_notices, *(n for sheet in sheets for n in sheet.notices)]
    present = {sheet.spec.name for sheet in sheets}
    rows_read = sum(len(sheet.rows) for sheet in sheets)
    if not problems and rows_read == 0:
        problems.extend(
            Problem(s.display, s.header_row, "", "the sheet has no rows", sheet=s.spec.name) for s in sheets
        )
    if any(p.sheet is None for p in problems):
        raise FormsRejected(problems, "the forms cannot be read; nothing was imported", notices)  # whole files
    if not problems:
        covered = _import_covered(loaded, rows, present)
        if covered is not None:  # nothing changes: known from the covered departments' files alone
            return ImportReport(covered, (), rows_read, dry_run=dry_run, notices=tuple(notices))

    # Resolve and build what did parse even when some cells did not, so that every bad row is listed at once
    # (an unknown department on one row, a bad date on another); rows that failed are left out.
    merge = import_merge.Merge(loaded.inventory, _form_rules())
    merge.failed_names.update(
        row.values["name"] for row in failed if row.origin.sheet == SHEET_DEPARTMENTS and row.values.get("name")
    )
    merged = merge.run(rows, present)
    problems.extend(merge.problems)
    # a row left out (problems) may be a covered department's own: its changes are not reported then
    changes = () if problems else tuple(_report(merged, loaded.inventory))
    # The loaded inventory passed these very checks (the loader refuses any finding, with the same ``today``).
    # An import that changes no record of any department leaves the same records (the covered ones only
    # listed later), so the checks of the whole census would find nothing again: a province's 3 s skipped.
    unchanged = not problems and not merged.new_zones and not any(change.changed for change in changes)
    findings = [] if unchanged else checks.check_inventory(merged.parts, today=today)
    if problems:
        # Some rows were left out; still report what the rules find on the rows that were read, except
        # references (which may point at a row left out) and records outside the forms.
        findings = [f for f in findings if not _is_reference(f) and merge.from_row(f, merged)]
        problems.extend(_problem_for(f, merged, loaded) for f in findings)
        raise FormsRejected(problems, "the forms have problems; nothing was imported", notices)
    if findings:
        check_problems = [_problem_for(f, merged, loaded) for f in findings]
        raise FormsRejected(
            check_problems, "the imported inventory would not pass `govcloud check`; nothing was imported", notices
        )

    pending = _render_changes(inventory_root, loaded.inventory, merged)
    if not dry_run:
        with yamlio.staged_writes() as staged:
            staged.update(pending)
    return ImportReport(
        departments=changes,
        files_written=() if dry_run else tuple(pending),
        rows_read=rows_read,
        dry_run=dry_run,
        notices=tuple(notices),
    )


def _import_covered(
    loaded: inventory_files.LoadedInventory, rows: Mapping[str, Sequence[ParsedRow]], present: Set[str]
) -> tuple[DepartmentChange, ...] | None:
    """The report of an import that changes nothing, worked out from the covered departments' files alone.

    A warm load knows every department and which department holds each code from its cache entries' heads
    (:meth:`~govcloud.edges.inventory_files.LoadedInventory.census_index`), so resolving the form's
    departments and merging its rows over those departments' records reads no other department file: one
    department's form costs one body instead of the whole census. None, and the caller merges over the whole
    census as before, whenever that could give another answer: no index (the cache off, or the load ran the
    checks), a problem of any kind, a department unknown to the census, a row naming a record of a
    department the import does not cover, or any record or file that would change (the cross-record checks
    then need the whole census). What it returns is then what the whole merge reports: the same departments
    in the same order, each unchanged, and no file to write.
    """
    index = loaded.census_index()
    if index is None:
        return None
    rules = _form_rules()
    probe = import_merge.Merge(import_merge.covering_inventory(index.departments, ()), rules)
    covered = probe.covered(rows)
    known = {d.code for d in index.departments}
    if probe.problems or not covered or any(code not in known for code in covered):
        return None
    covered_set = set(covered)
    for sheet, holders in ((SHEET_SYSTEMS, index.system_department), (SHEET_CATALOGUE, index.entry_department)):
        for row in rows[sheet]:
            holder = holders.get(row.values["code"])
            if holder is not None and holder not in covered_set:
                return None  # the row moves a record out of another department
    files = [loaded.department_file(code) for code in covered]
    if any(file is None for file in files):
        return None
    before = import_merge.covering_inventory(index.departments, [file for file in files if file is not None])
    merge = import_merge.Merge(before, rules)
    merged = merge.run(rows, present)
    if merge.problems or merged.new_zones:
        return None
    changes = tuple(_report(merged, before))
    if any(change.changed for change in changes) or _render_changes(loaded.root, before, merged):
        return None
    return changes


def _report(merged: import_merge.Merged, before: model.Inventory) -> Iterator[DepartmentChange]:
    """What the import changes in each department it covers."""
    covered = set(merged.covered)
    entries_before: dict[str, list[model.CatalogueEntry]] = {}
    for entry in before.catalogue:
        if entry.provider in covered:
            entries_before.setdefault(entry.provider, []).append(entry)
    for code in merged.covered:
        after = merged.department_file(code)
        old_dept = before.department_by_code.get(code)
        old_systems = before.systems_of_department.get(code, ())
        old_entries = entries_before.get(code, [])
        sys_added, sys_removed, sys_changed = _diff_records(old_systems, after.systems)
        ent_added, ent_removed, ent_changed = _diff_records(old_entries, after.catalogue)
        yield DepartmentChange(
            code=code,
            name=after.department.name,
            new=old_dept is None,
            department_fields=() if old_dept is None else _changed_fields(old_dept, after.department),
            systems_added=sys_added,
            systems_removed=sys_removed,
            systems_changed=sys_changed,
            entries_added=ent_added,
            entries_removed=ent_removed,
            entries_changed=ent_changed,
            zone=merged.new_zones.get(code),
        )


def _problem_for(
    finding: checks.Finding, merged: import_merge.Merged, loaded: inventory_files.LoadedInventory
) -> Problem:
    """Where a check's finding points: the form row that made the record, or the record's inventory file."""
    places = merged.origins.get((finding.kind, finding.key), [])
    origin = places[min(finding.occurrence, len(places) - 1)] if places else None
    if origin is not None:
        header = header_for(origin.sheet, tuple(str(p) for p in finding.field))
        kept = header == ".".join(map(str, finding.field))
        suffix = " (a field kept from the inventory)" if kept and finding.field else ""
        return origin.problem(header, finding.message + suffix)
    problem = loaded.sources.problem_for(dataclasses.replace(finding, occurrence=0), loaded.root)
    if (finding.kind, finding.key) not in loaded.sources.places:
        # a record the import creates without a row of its own (a new department's zone)
        return dataclasses.replace(problem, message=f"{finding.kind} {finding.key}: {finding.message}")
    return dataclasses.replace(problem, message=f"after this import: {finding.message}")


def _is_reference(finding: checks.Finding) -> bool:
    return bool(finding.field) and str(finding.field[0]) in _REFERENCE_FIELDS


def header_for(sheet: str, field: Sequence[str | int]) -> str:
    """The column header behind a model field path, or the dotted path when no column carries it."""
    spec = _SHEET_BY_NAME[sheet]
    path = tuple(str(p) for p in field)
    by_field = {c.field: c.header for c in spec.columns if c.field}
    extra = _EXTRA_FIELD_HEADERS[sheet]
    for length in range(len(path), 0, -1):
        prefix = path[:length]
        if prefix in by_field:
            return by_field[prefix]
        if prefix in extra:
            return extra[prefix]
    return ".".join(path)


def _form_values(spec: SheetSpec, cells: Sequence[object], keys: frozenset[str]) -> dict[str, Any]:
    """An existing record's exported row as the import reads it, for the columns ``keys`` only.

    These are the values a form lacking those columns keeps; export and import are each other's inverse
    (the round-trip tests hold them to it).
    """
    values: dict[str, Any] = {}
    for column, cell in zip(spec.columns, cells, strict=True):
        if column.key in keys:
            values[column.key] = column.parse(cell)  # type: ignore[arg-type]
    return values


def _changed_fields(old: pydantic.BaseModel, new: pydantic.BaseModel) -> tuple[str, ...]:
    return tuple(name for name in type(old).model_fields if getattr(old, name) != getattr(new, name))


def _diff_records(
    old: Sequence[model.System] | Sequence[model.CatalogueEntry],
    new: Sequence[model.System] | Sequence[model.CatalogueEntry],
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[RecordChange, ...]]:
    before: dict[str, pydantic.BaseModel] = {r.code: r for r in old}
    after: dict[str, pydantic.BaseModel] = {r.code: r for r in new}
    added = tuple(code for code in after if code not in before)
    removed = tuple(code for code in before if code not in after)
    changed = tuple(
        RecordChange(code, fields)
        for code in after
        if code in before and (fields := _changed_fields(before[code], after[code]))
    )
    return added, removed, changed


def _render_changes(root: Path, before: model.Inventory, merged: import_merge.Merged) -> dict[Path, str | None]:
    """The text of every file the import changes, each checked by parsing it back."""
    pending: dict[Path, str | None] = {}
    old_entries: dict[str, list[model.CatalogueEntry]] = {}
    for entry in before.catalogue:
        old_entries.setdefault(entry.provider, []).append(entry)
    for code in merged.covered:
        after = merged.department_file(code)
        old_dept = before.department_by_code.get(code)
        if old_dept is not None:
            old_file = model.DepartmentFile(
                department=old_dept,
                systems=before.systems_of_department.get(code, ()),
                catalogue=tuple(old_entries.get(code, ())),
                private_networks=before.private_networks_of_department.get(code, ()),
            )
            if old_file == after:
                continue
        text = inventory_files.render_department_file(after)
        _check_parses_back(text, after, model.DepartmentFile)
        pending[inventory_files.department_file_path(root, code)] = text
    # Entries of other departments never change; a covered department's kept entries were already handled.
    if merged.new_zones:
        network = merged.parts.network
        text = inventory_files.render_document(network, "extranet zones and platform services; the intranet's zones")
        _check_parses_back(text, network, model.Network)
        pending[root / inventory_files.NETWORK_FILE] = text
    return pending


def _check_parses_back(text: str, expected: _M, cls: type[_M]) -> None:
    if cls.model_validate(yamlio.read_fast(text)) != expected:  # pragma: no cover - a bug, not bad input
        raise GovcloudError(f"internal error: the rendered {cls.__name__} does not read back the same")


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
