"""Normalising messy census form values: every accepted form, every refusal, and no other exception."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govcloud.census.core import census_values as cv
from govcloud.core import model

D = dt.date

DATES_ACCEPTED = [
    pytest.param("2015年3月", D(2015, 3, 1), id="year-month-chinese"),
    pytest.param("2015.03", D(2015, 3, 1), id="year-dot-month"),
    pytest.param("2015.3", D(2015, 3, 1), id="year-dot-month-short"),
    pytest.param("2013年", D(2013, 1, 1), id="year-chinese"),
    pytest.param("2013年度", D(2013, 1, 1), id="year-chinese-du"),
    pytest.param("2013", D(2013, 1, 1), id="year-text"),
    pytest.param("2015/3/1", D(2015, 3, 1), id="slashes"),
    pytest.param("2014-06-30 ", D(2014, 6, 30), id="iso-trailing-space"),
    pytest.param(" 2014-06-30", D(2014, 6, 30), id="iso-leading-space"),
    pytest.param("2014-06-30 00:00:00", D(2014, 6, 30), id="iso-with-time"),
    pytest.param("2014-06-30T08:30", D(2014, 6, 30), id="iso-t-time"),
    pytest.param("2015.3.1", D(2015, 3, 1), id="dots"),
    pytest.param("2015年3月1日", D(2015, 3, 1), id="chinese-full"),
    pytest.param("2015年03月01号", D(2015, 3, 1), id="chinese-hao"),
    pytest.param("２０１５年３月", D(2015, 3, 1), id="full-width-digits"),
    pytest.param("２０１５－０３－０１", D(2015, 3, 1), id="full-width-dashes"),
    pytest.param("2015 年 3 月", D(2015, 3, 1), id="spaces-inside"),
    pytest.param("20150301", D(2015, 3, 1), id="compact-day"),
    pytest.param("201503", D(2015, 3, 1), id="compact-month"),
    pytest.param("2015-3", D(2015, 3, 1), id="dash-month"),
    pytest.param("\u30002015年3月\u3000", D(2015, 3, 1), id="ideographic-spaces"),
    pytest.param(dt.datetime(2015, 3, 1, 14, 5), D(2015, 3, 1), id="datetime-cell"),
    pytest.param(D(2015, 3, 1), D(2015, 3, 1), id="date-cell"),
    pytest.param(42064, D(2015, 3, 1), id="excel-serial"),
    pytest.param(42064.75, D(2015, 3, 1), id="excel-serial-with-time"),
    pytest.param(2013, D(2013, 1, 1), id="numeric-year"),
    pytest.param(2015.03, D(2015, 3, 1), id="numeric-year-month"),
    pytest.param(2015.12, D(2015, 12, 1), id="numeric-december"),
    pytest.param(None, None, id="none"),
    pytest.param("  ", None, id="blank"),
]

DATES_REFUSED = [
    pytest.param("2015-02-30", "not a real date", id="no-such-day"),
    pytest.param("2015年13月", "not a real date", id="month-13"),
    pytest.param("三月", "not a date", id="words"),
    pytest.param("1850年", "outside", id="too-early"),
    pytest.param("15/3/1", "not a date", id="two-digit-year"),
    pytest.param(2015.1, "January or October", id="numeric-ambiguous-month"),
    pytest.param(500, "neither a year nor", id="small-number"),
    pytest.param(True, "not a date", id="boolean"),
    pytest.param(float("nan"), "not a date", id="nan"),
    pytest.param(10**9, "neither a year nor", id="huge-serial"),
]


@pytest.mark.parametrize(("raw", "expected"), DATES_ACCEPTED)
def test_parse_date_accepts_messy_forms(raw: cv.CellValue, expected: dt.date | None) -> None:
    assert cv.parse_date(raw) == expected


@pytest.mark.parametrize(("raw", "reason"), DATES_REFUSED)
def test_parse_date_refuses_with_reason(raw: cv.CellValue, reason: str) -> None:
    with pytest.raises(cv.CensusValueError, match=reason):
        cv.parse_date(raw)


def test_month_and_year_precision_dates_are_the_first_day() -> None:
    assert cv.parse_date("2019年11月") == D(2019, 11, 1)
    assert cv.parse_date("2019年") == D(2019, 1, 1)


WHOLE_NUMBERS = [
    pytest.param("8,500", 8500, id="thousands-comma"),
    pytest.param("8，500", 8500, id="full-width-comma"),
    pytest.param("8 500", 8500, id="thousands-space"),
    pytest.param("８５００", 8500, id="full-width-digits"),
    pytest.param(" 120 ", 120, id="stray-spaces"),
    pytest.param("1.2万", 12000, id="wan"),
    pytest.param(8500, 8500, id="int-cell"),
    pytest.param(8500.0, 8500, id="float-cell"),
    pytest.param("", None, id="blank"),
    pytest.param(None, None, id="none"),
]


@pytest.mark.parametrize(("raw", "expected"), WHOLE_NUMBERS)
def test_parse_whole_number(raw: cv.CellValue, expected: int | None) -> None:
    assert cv.parse_whole_number(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        pytest.param("8.5", "not a whole number", id="fraction"),
        pytest.param(8.5, "not a whole number", id="fraction-cell"),
        pytest.param("很多", "not a number", id="words"),
        pytest.param("万", "without a number", id="unit-only"),
        pytest.param("1e999999999万", "implausibly large", id="overflow"),
        pytest.param(D(2020, 1, 1), "not a whole number", id="date-cell"),
    ],
)
def test_parse_whole_number_refuses(raw: cv.CellValue, reason: str) -> None:
    with pytest.raises(cv.CensusValueError, match=reason):
        cv.parse_whole_number(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("35%", 35.0, id="percent-sign"),
        pytest.param("35", 35.0, id="bare"),
        pytest.param("35.5 %", 35.5, id="space-before-sign"),
        pytest.param("３５％", 35.0, id="full-width"),
        pytest.param(35, 35.0, id="number-cell"),
        pytest.param(None, None, id="none"),
    ],
)
def test_parse_percent(raw: cv.CellValue, expected: float | None) -> None:
    assert cv.parse_percent(raw) == expected


@pytest.mark.parametrize("raw", ["135%", "-1", "abc%", "35%%"])
def test_parse_percent_refuses(raw: str) -> None:
    with pytest.raises(cv.CensusValueError):
        cv.parse_percent(raw)


MLPS = [
    *(pytest.param(term, level, id=term) for term, level in zip(("一级", "二级", "三级", "四级", "五级"), range(1, 6))),
    *(pytest.param(str(level), level, id=f"digit-{level}") for level in range(1, 6)),
    pytest.param("第三级", 3, id="di-san-ji"),
    pytest.param("3级", 3, id="digit-ji"),
    pytest.param("等保三级", 3, id="dengbao"),
    pytest.param("３", 3, id="full-width-digit"),
    pytest.param(" 三级 ", 3, id="stray-spaces"),
    pytest.param(2, 2, id="int-cell"),
    pytest.param(4.0, 4, id="float-cell"),
    pytest.param("未定级", None, id="ungraded"),
    pytest.param("", None, id="blank"),
    pytest.param(None, None, id="none"),
]


@pytest.mark.parametrize(("raw", "expected"), MLPS)
def test_parse_mlps_level(raw: cv.CellValue, expected: int | None) -> None:
    assert cv.parse_mlps_level(raw) == expected


@pytest.mark.parametrize("raw", ["六级", "0", 6, "高", "三级半", True])
def test_parse_mlps_level_refuses(raw: cv.CellValue) -> None:
    with pytest.raises(cv.CensusValueError):
        cv.parse_mlps_level(raw)


def test_format_mlps_level_round_trips() -> None:
    for level in (1, 2, 3, 4, 5, None):
        assert cv.parse_mlps_level(cv.format_mlps_level(level)) == level


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        *[("是", True), ("否", False), (" 是 ", True), ("Y", True), ("no", False), ("TRUE", True)],
        *[(True, True), (0, False), (None, None), ("", None)],
    ],
)
def test_parse_bool(raw: cv.CellValue, expected: bool | None) -> None:
    assert cv.parse_bool(raw) == expected


def test_parse_bool_refuses_other_words() -> None:
    with pytest.raises(cv.CensusValueError, match="是 or 否"):
        cv.parse_bool("也许")


ENUMS = [
    pytest.param("部门内部", model.Scope, None, model.Scope.INTERNAL, id="scope"),
    pytest.param(" 跨部门 ", model.Scope, None, model.Scope.CROSS_DEPARTMENT, id="scope-spaces"),
    pytest.param("X86", model.CpuArch, cv.CPU_ARCH_ALIASES, model.CpuArch.X86, id="cpu-upper"),
    pytest.param("ｘ８６", model.CpuArch, cv.CPU_ARCH_ALIASES, model.CpuArch.X86, id="cpu-full-width"),
    pytest.param("aarch64", model.CpuArch, cv.CPU_ARCH_ALIASES, model.CpuArch.ARM, id="cpu-alias"),
    pytest.param("有条件", model.SharingType, cv.SHARING_TYPE_ALIASES, model.SharingType.CONDITIONAL, id="sharing"),
    pytest.param("每半年", model.UpdateCycle, None, model.UpdateCycle.HALF_YEARLY, id="cycle"),
    pytest.param("服务接口", model.ResourceFormat, None, model.ResourceFormat.SERVICE, id="format"),
    pytest.param("", model.Scope, None, None, id="blank"),
]


@pytest.mark.parametrize(("raw", "enum_type", "aliases", "expected"), ENUMS)
def test_parse_enum(raw: str, enum_type: type, aliases: dict[str, object] | None, expected: object) -> None:
    assert cv.parse_enum(raw, enum_type, aliases) == expected  # type: ignore[arg-type]


def test_parse_enum_lists_the_allowed_values() -> None:
    with pytest.raises(cv.CensusValueError, match="物理机/虚拟机/容器"):
        cv.parse_enum("云主机", model.Deployment)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("姓名:C;年龄:N", (("姓名", "C"), ("年龄", "N")), id="ascii-separators"),
        pytest.param("姓名：C；年龄：N", (("姓名", "C"), ("年龄", "N")), id="full-width-separators"),
        pytest.param(" 姓名 : c ; 出生日期:Ｄ ;", (("姓名", "C"), ("出生日期", "D")), id="spaces-case-trailing"),
        pytest.param("金额:货币;照片:图像", (("金额", "Y"), ("照片", "I")), id="chinese-type-names"),
        pytest.param("时间:点:T", (("时间:点", "T"),), id="colon-in-name"),
        pytest.param("", (), id="blank"),
    ],
)
def test_parse_data_items(raw: str, expected: tuple[tuple[str, str], ...]) -> None:
    assert tuple((i.name, i.type.value) for i in cv.parse_data_items(raw)) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [("姓名", "名称:类型"), (":C", "名称:类型"), ("姓名:X", "not one of"), ("姓名:CC", "not one of")],
)
def test_parse_data_items_refuses(raw: str, reason: str) -> None:
    with pytest.raises(cv.CensusValueError, match=reason):
        cv.parse_data_items(raw)


def test_format_data_items_round_trips() -> None:
    items = cv.parse_data_items("姓名:C;出生日期:D")
    assert cv.parse_data_items(cv.format_data_items(items)) == items


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("FGW-001;FGW-002", ("FGW-001", "FGW-002"), id="semicolon"),
        pytest.param("FGW-001,FGW-002", ("FGW-001", "FGW-002"), id="comma"),
        pytest.param("FGW-001；FGW-002，FGW-003、FGW-004", ("FGW-001", "FGW-002", "FGW-003", "FGW-004"), id="cjk"),
        pytest.param(" fgw-001 ; ", ("FGW-001",), id="lower-case-and-spaces"),
        pytest.param("30202601/0000697", ("30202601/0000697",), id="resource-code"),
        pytest.param(None, (), id="none"),
    ],
)
def test_parse_codes(raw: cv.CellValue, expected: tuple[str, ...]) -> None:
    assert cv.parse_codes(raw) == expected


def test_parse_text_list_keeps_spaces_inside_names() -> None:
    assert cv.parse_text_list("MySQL 5.7；KingbaseES V8、 DM8") == ("MySQL 5.7", "KingbaseES V8", "DM8")


def test_clean_text_keeps_inner_text_and_full_width_punctuation() -> None:
    assert cv.clean_text("  实现采集、录入，查询  ") == "实现采集、录入，查询"
    assert cv.clean_text("\u200b") is None
    assert cv.clean_text(12.0) == "12"


def test_parse_uscc_checks_both_check_characters() -> None:
    assert cv.parse_uscc(" 113301007000003782 ") == "113301007000003782"
    assert cv.parse_uscc("１１３３０１００７０００００３７８２") == "113301007000003782"
    with pytest.raises(cv.CensusValueError, match="GB 32100"):
        cv.parse_uscc("113301007000003783")


def test_parse_uscc_typed_as_a_number_says_to_format_the_cell_as_text() -> None:
    with pytest.raises(cv.CensusValueError, match="format the cell as text"):
        cv.parse_uscc(1.13301007000004e17)


def test_required_refuses_blank() -> None:
    parse = cv.required(cv.clean_text, "系统名称")
    with pytest.raises(cv.CensusValueError, match="系统名称 is required"):
        parse("  ")


NORMALISERS = [
    cv.clean_text,
    cv.normalise_ascii,
    cv.parse_code,
    cv.parse_codes,
    cv.parse_text_list,
    cv.parse_uscc,
    cv.parse_whole_number,
    cv.parse_percent,
    cv.parse_date,
    cv.parse_bool,
    cv.parse_mlps_level,
    cv.parse_data_items,
    cv.enum_parser(model.CpuArch, cv.CPU_ARCH_ALIASES),
    cv.enum_parser(model.SharingType),
]

_messy_text = st.one_of(
    st.text(),
    st.text(alphabet="0123456789０１２３４５６７８９年月日号.-/:：;；,，、%％万 \u3000CNDXxy三级第是否"),
)
_cells = st.one_of(
    _messy_text,
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(),
    st.datetimes(),
)


@settings(max_examples=300, deadline=None)
@given(value=_cells)
def test_normalisers_raise_only_their_own_error(value: cv.CellValue) -> None:
    for normalise in NORMALISERS:
        reason = "ok"
        try:
            normalise(value)
        except cv.CensusValueError as exc:
            reason = exc.reason
        assert reason


# ---------------------------------------------------------------------------------------------------------
# headers, note rows, merged blocks


@pytest.mark.parametrize(
    ("written", "header"),
    [
        pytest.param("系统编码【必填】", "系统编码", id="lenticular-brackets"),
        pytest.param("系统编码[必填]", "系统编码", id="square-brackets"),
        pytest.param("系统编码［必填］", "系统编码", id="full-width-square-brackets"),
        pytest.param("系统名称（选填）", "系统名称", id="full-width-parentheses"),
        pytest.param("系统名称(选填)", "系统名称", id="parentheses"),
        pytest.param("【必填】系统编码", "系统编码", id="marker-first"),
        pytest.param("*系统编码", "系统编码", id="asterisk"),
        pytest.param("系统编码 必填", "系统编码", id="bare-marker"),
        pytest.param("系统编码\n（必填）", "系统编码", id="line-break"),
        pytest.param("CPU平均利用率(%)", "CPU平均利用率", id="unit-suffix"),
        pytest.param("所属部门（单位）【必填】", "所属部门", id="two-suffixes"),
        pytest.param("【备注】", "备注", id="bracketed-word"),
        pytest.param("系统编码", "系统编码", id="clean"),
        pytest.param(None, "", id="blank"),
    ],
)
def test_headers_lose_markers_and_bracketed_suffixes(written: str | None, header: str) -> None:
    assert cv.normalise_header(written) == header


def test_an_unknown_header_is_paired_with_the_closest_template_header() -> None:
    assert cv.suggest_header("系统编号", ["系统编码", "使用频度"]) == "系统编码"
    # the columns the form lacks come first; then any header of the sheet
    assert cv.suggest_header("单位名称", [], fallback=["部门名称", "统一社会信用代码"]) == "部门名称"
    assert cv.suggest_header("联系人手机", ["系统编码"], fallback=["系统名称", "所属部门"]) is None


@pytest.mark.parametrize(
    ("text", "prefix"),
    [
        ("合计", "合计"),
        ("合　计", "合计"),
        ("合计 12", "合计"),
        ("总计：", "总计"),
        ("填表说明：1. 带*为必填", "填表说明"),
        ("一、填表说明", "填表说明"),
        ("注：日期写到月", "注"),
        ("注1：", "注"),
        ("填表人：张三", "填表人"),
        ("负责人签字：", "负责人签字"),
        ("（盖章）", "盖章"),
        ("日期：2026年11月30日", "日期"),
        ("注册登记系统", None),
        ("说明书管理系统", None),
        ("合同管理系统", None),
        ("日常办公系统", None),
        ("以上信息属实", None),
    ],
)
def test_note_rows_are_known_by_a_whole_word_prefix(text: str, prefix: str | None) -> None:
    assert cv.note_prefix(text) == prefix


def test_a_note_has_the_shape_of_lone_text_in_the_first_column() -> None:
    assert cv.lone_text(["以上信息属实", None, " "], 0) == "以上信息属实"
    assert cv.lone_text([None, "以上信息属实", None], 1) == "以上信息属实"
    assert cv.lone_text(["以上信息属实", "x"], 0) is None  # a second value: not a note's shape
    assert cv.lone_text([None, "以上信息属实"], 0) is None  # not in the table's first column
    assert cv.lone_text([12, None], 0) is None  # a number is no note


def test_vertically_merged_blocks_are_filled_down_and_one_row_blocks_are_left_alone() -> None:
    rows: list[list[cv.CellValue]] = [
        ["title", None, None],
        ["民政局", "A-1", "x"],
        [None, "A-2"],
        [None, "A-3", None],
        ["notes", None, None],
    ]
    filled = cv.fill_merged_down(rows, [(0, 0, 0, 2), (1, 0, 3, 0), (4, 0, 4, 2), (2, 2, 3, 2)])
    assert filled == 1  # the department block; the empty block (2,2)-(3,2) and one-row blocks change nothing
    assert [r[0] for r in rows] == ["title", "民政局", "民政局", "民政局", "notes"]
    assert rows[0] == ["title", None, None]
    assert rows[4] == ["notes", None, None]
    assert rows[2] == ["民政局", "A-2"]


def test_a_block_merged_far_past_the_data_never_widens_the_rows() -> None:
    rows: list[list[cv.CellValue]] = [["民政局", "A-1"], [None, "A-2"]]
    assert cv.fill_merged_down(rows, [(0, 0, 1, 16_383)]) == 1  # A1:XFD2, as a careless merge can make
    assert rows == [["民政局", "A-1"], ["民政局", "A-1"]]
