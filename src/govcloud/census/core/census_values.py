"""Normalise the messy values departments write into census forms. Pure: no I/O, no spreadsheet library.

Each normaliser takes one cell value (text, a number, a date or ``None``, as a spreadsheet or CSV reader
gives it) and returns a clean value, or raises :class:`CensusValueError` with a reason a form filler can act
on. Nothing else is ever raised. Blank cells (``None``, empty or whitespace-only text) are ``None``; whether a
column may be blank is the caller's business.

What is accepted, in short:

- text: leading/trailing whitespace (including the full-width space and no-break space) is removed; free
  text is otherwise kept as written, so ``，`` in a description stays ``，``.
- codes, numbers, dates and enumerated values are first NFKC-normalised, which turns full-width digits,
  letters and punctuation (``２０１５``, ``：``, ``；``, ``％``) into their ASCII forms.
- dates: ``2015-03-01``, ``2015/3/1``, ``2015.3.1``, ``2015年3月1日``, ``20150301``, year-month forms
  ``2015年3月``, ``2015.03``, ``2015-3``, ``201503``, years ``2013年``, ``2013``, an optional time part
  (``2014-06-30 00:00:00``), date and datetime objects, and numeric cells: a whole number from 1900 to
  2199 is a year, such a number with a fraction is year.month (``2015.03``, ``2015.12``; ``2015.1`` is
  refused as ambiguous, because a numeric cell shows ``2015.10`` as ``2015.1``), and a larger number is an
  Excel serial day number (1900 date system). **A date given to the month or the year normalises to the first
  day of that month or year** (``2015年3月`` → 2015-03-01, ``2013年`` → 2013-01-01).
- whole numbers: ``8,500``, ``8 500``, ``１２０``, ``1.2万``; percentages: ``35%``, ``35``, ``35.5 %``.
- enumerations: the census term itself or one of a few listed alternates; 等保级别 ``一级``..``五级``,
  ``1``..``5``, ``第三级``, ``三级``, ``3级``, ``等保三级``; ``未定级`` (and blank) mean ungraded (``None``).
- booleans: ``是``/``否`` and a few alternates (``Y``/``N``, ``true``/``false``, ``1``/``0``).
- 信息项: ``名称:类型`` pairs separated by ``;``, with full-width ``：`` and ``；`` too; the type is a letter
  C/N/Y/D/T/L/M/G/B/I/F or its Chinese name (``字符型``, ``日期`` ...).
- code lists: separated by ``;`` ``,`` ``；`` ``，`` ``、`` or whitespace.
"""

from __future__ import annotations

import datetime as dt
import difflib
import enum
import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from govcloud.census.core import codes
from govcloud.core import model

CellValue = str | int | float | bool | dt.date | dt.datetime | dt.time | None
"""What a spreadsheet or CSV reader hands over for one cell."""

_E = TypeVar("_E", bound=enum.Enum)
_T = TypeVar("_T")

# Whitespace that survives str.strip() in forms written with Chinese input methods is covered by str.strip
# (it strips U+3000 and U+00A0); zero-width characters are not whitespace, so remove them explicitly.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 is 1900-01-01 in the 1900 date system (with its leap-year bug)
_YEAR_RANGE = range(1900, 2200)
_MAX_EXCEL_SERIAL = 2_958_465  # 9999-12-31


class CensusValueError(ValueError):
    """A cell value that cannot be normalised; ``reason`` says why, in words for the person filling the form."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ---------------------------------------------------------------------------------------------------------
# Text


def clean_text(value: CellValue) -> str | None:
    """Free text with stray outer whitespace removed; ``None`` when blank. Inner text is kept as written."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CensusValueError(f"{value} is not text")
        text = str(int(value)) if value.is_integer() else repr(value)
    elif isinstance(value, dt.datetime):
        text = value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    elif isinstance(value, dt.date | dt.time):
        text = value.isoformat()
    else:
        text = str(value)
    text = text.translate(_INVISIBLE).strip()
    return text or None


def normalise_ascii(value: CellValue) -> str | None:
    """Text NFKC-normalised (full-width digits, letters and punctuation become ASCII), stripped; ``None`` if blank."""
    text = clean_text(value)
    if text is None:
        return None
    text = unicodedata.normalize("NFKC", text).strip()
    return text or None


def parse_code(value: CellValue) -> str | None:
    """A code (system code, resource code): NFKC, no spaces, upper case."""
    text = normalise_ascii(value)
    if text is None:
        return None
    return re.sub(r"\s+", "", text).upper()


_LIST_SEPARATORS = re.compile(r"[;,、\s]+")  # after NFKC, ；and ，are ; and ,
_TEXT_LIST_SEPARATORS = re.compile(r"[;；,，、\n]+")


def parse_codes(value: CellValue) -> tuple[str, ...]:
    """Codes separated by ``;`` ``,`` ``；`` ``，`` ``、`` or whitespace, in the order written; blank is empty."""
    text = normalise_ascii(value)
    if text is None:
        return ()
    return tuple(part.upper() for part in _LIST_SEPARATORS.split(text) if part)


def parse_text_list(value: CellValue) -> tuple[str, ...]:
    """Names (databases, special hardware) separated by ``;`` ``,`` ``、`` or new lines, half- or full-width."""
    text = clean_text(value)
    if text is None:
        return ()
    return tuple(part.strip() for part in _TEXT_LIST_SEPARATORS.split(text) if part.strip())


def parse_uscc(value: CellValue) -> str | None:
    """A unified social credit code: NFKC, upper case, spaces removed, both check characters verified."""
    if isinstance(value, float):
        raise CensusValueError(
            "the credit code was typed as a number, which keeps only 15 digits: format the cell as text and retype it"
        )
    code = parse_code(value)
    if code is None:
        return None
    problems = codes.uscc_problems(code)
    if problems:
        raise CensusValueError(f"unified social credit code {code!r}: " + "; ".join(problems))
    return code


# ---------------------------------------------------------------------------------------------------------
# Numbers


def _decimal(text: str) -> Decimal:
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CensusValueError(f"{text!r} is not a number") from None
    if not number.is_finite():
        raise CensusValueError(f"{text!r} is not a number")
    return number


def _number_text(value: CellValue, what: str) -> str | float | None:
    if value is None:
        return None
    if isinstance(value, bool | dt.date | dt.time):
        raise CensusValueError(f"{clean_text(value)!r} is not {what}")
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise CensusValueError(f"{value} is not {what}")
        return float(value)
    text = normalise_ascii(value)
    if text is None:
        return None
    # thousands separators and spaces: 8,500 / 8 500 / 8，500
    return re.sub(r"[,\s]", "", text)


_LARGEST_COUNT_DIGITS = 12  # no census count reaches a trillion
_UNIT_SUFFIXES: Mapping[str, int] = {"万": 10_000, "千": 1_000, "亿": 100_000_000}


def parse_whole_number(value: CellValue) -> int | None:
    """A whole number: ``8,500``, ``８５００``, ``1.2万``, a numeric cell; ``None`` when blank."""
    raw = _number_text(value, "a whole number")
    if raw is None:
        return None
    if isinstance(raw, float):
        if not raw.is_integer():
            raise CensusValueError(f"{raw} is not a whole number")
        if abs(raw) >= 10**_LARGEST_COUNT_DIGITS:
            raise CensusValueError(f"{raw:g} is implausibly large")
        return int(raw)
    factor = 1
    for suffix, multiplier in _UNIT_SUFFIXES.items():
        if raw.endswith(suffix):
            raw, factor = raw[: -len(suffix)], multiplier
            break
    if not raw:
        raise CensusValueError("a unit without a number")
    number = _decimal(raw)
    if number and number.adjusted() >= _LARGEST_COUNT_DIGITS:  # before any arithmetic, which could overflow
        raise CensusValueError(f"{raw} is implausibly large")
    number *= factor
    if number != number.to_integral_value():
        raise CensusValueError(f"{number} is not a whole number")
    return int(number)


def parse_percent(value: CellValue) -> float | None:
    """A percentage as a number from 0 to 100: ``35%``, ``35``, ``35.5 %``, ``３５％``; ``None`` when blank.

    A numeric cell is read as the percentage itself (35 means 35 %); the spreadsheet reader turns a cell
    formatted as a percentage (which stores 0.35) into ``"35%"`` before it gets here.
    """
    raw = _number_text(value, "a percentage")
    if raw is None:
        return None
    number = raw if isinstance(raw, float) else float(_decimal(raw.removesuffix("%")))
    if not 0 <= number <= 100:
        raise CensusValueError(f"{number:g}% is outside 0-100%")
    return number


# ---------------------------------------------------------------------------------------------------------
# Dates

_DATE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # (pattern, precision) — the time part of a datetime is ignored
    (re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?$"), "day"),
    (re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"), "day"),
    (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), "day"),
    (re.compile(r"^(\d{4})年(\d{1,2})月(?:份)?$"), "month"),
    (re.compile(r"^(\d{4})[-/.](\d{1,2})$"), "month"),
    (re.compile(r"^(\d{4})(\d{2})$"), "month"),
    (re.compile(r"^(\d{4})年?(?:度)?$"), "year"),
)


def parse_date(value: CellValue) -> dt.date | None:
    """A date from any of the forms listed in the module docstring; month or year precision → the first day."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool | dt.time):
        raise CensusValueError(f"{clean_text(value)!r} is not a date")
    if isinstance(value, int | float):
        return _date_from_number(float(value))
    text = normalise_ascii(value)
    if text is None:
        return None
    text = re.sub(r"\s*([年月日号./-])\s*", r"\1", re.sub(r"\s+", " ", text))
    for pattern, precision in _DATE_PATTERNS:
        match = pattern.match(text)
        if match is None:
            continue
        parts = [int(p) for p in match.groups()]
        year, month, day = parts[0], parts[1] if precision != "year" else 1, parts[2] if precision == "day" else 1
        return _make_date(year, month, day, text)
    raise CensusValueError(
        f"{text!r} is not a date; write e.g. 2015-03-01, 2015/3/1, 2015年3月1日, 2015年3月, 2015.03 or 2013年"
    )


def _make_date(year: int, month: int, day: int, text: str) -> dt.date:
    if year not in _YEAR_RANGE:
        raise CensusValueError(f"{text!r}: year {year} is outside {_YEAR_RANGE.start}-{_YEAR_RANGE.stop - 1}")
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise CensusValueError(f"{text!r} is not a real date ({exc})") from None


def _date_from_number(number: float) -> dt.date:
    if not math.isfinite(number):
        raise CensusValueError(f"{number} is not a date")
    whole = math.floor(number)
    if whole in _YEAR_RANGE:
        if number == whole:
            return dt.date(whole, 1, 1)
        # the number as the spreadsheet shows it: 2015.03 → "2015.03", 2015.10 → "2015.1"
        _, _, month_text = repr(number).partition(".")
        if month_text == "1":
            raise CensusValueError(
                f"{number!r} may be January or October (a numeric cell drops the 0 of 2015.10); "
                "write 2015-01 or 2015-10, or format the cell as text"
            )
        if len(month_text) > 2:
            raise CensusValueError(f"{number!r} is not a year.month date")
        return _make_date(whole, int(month_text), 1, repr(number))
    if number < _YEAR_RANGE.stop or number > _MAX_EXCEL_SERIAL:
        raise CensusValueError(f"{number:g} is neither a year nor a spreadsheet date")
    return _EXCEL_EPOCH + dt.timedelta(days=whole)


# ---------------------------------------------------------------------------------------------------------
# Enumerations and booleans


def _lookup_key(value: CellValue) -> str | None:
    text = normalise_ascii(value)
    return None if text is None else re.sub(r"\s+", "", text).casefold()


def parse_enum(value: CellValue, enum_type: type[_E], aliases: Mapping[str, _E] | None = None) -> _E | None:
    """A member of ``enum_type`` from its census term (or an alias), ignoring case, width and spaces."""
    return enum_parser(enum_type, aliases)(value)


def enum_parser(enum_type: type[_E], aliases: Mapping[str, _E] | None = None) -> Callable[[CellValue], _E | None]:
    """A one-argument normaliser for ``enum_type`` (for column tables); the lookup table is built once."""
    table: dict[str, _E] = {_lookup_key(m.value) or "": m for m in enum_type}
    for alias, member in (aliases or {}).items():
        table[_lookup_key(alias) or ""] = member
    allowed = "/".join(str(m.value) for m in enum_type)

    def parse(value: CellValue) -> _E | None:
        if isinstance(value, str) and value in table:  # the common case: the census term as the drop-down wrote it
            return table[value]
        key = _lookup_key(value)
        if key is None:
            return None
        found = table.get(key)
        if found is None:
            raise CensusValueError(f"{clean_text(value)!r} is not one of {allowed}")
        return found

    parse.__name__ = f"parse_{enum_type.__name__}"
    return parse


CPU_ARCH_ALIASES: Mapping[str, model.CpuArch] = {
    "x86_64": model.CpuArch.X86,
    "x86-64": model.CpuArch.X86,
    "x64": model.CpuArch.X86,
    "amd64": model.CpuArch.X86,
    "arm64": model.CpuArch.ARM,
    "aarch64": model.CpuArch.ARM,
}
FREQUENCY_ALIASES: Mapping[str, model.Frequency] = {
    "每天": model.Frequency.DAILY,
    "偶尔": model.Frequency.RARELY,
    "很少": model.Frequency.RARELY,
}
UPDATE_CYCLE_ALIASES: Mapping[str, model.UpdateCycle] = {
    "每天": model.UpdateCycle.DAILY,
    "半年": model.UpdateCycle.HALF_YEARLY,
}
SHARING_TYPE_ALIASES: Mapping[str, model.SharingType] = {
    "无条件": model.SharingType.UNCONDITIONAL,
    "有条件": model.SharingType.CONDITIONAL,
    "不共享": model.SharingType.NOT_SHARED,
}
CATEGORY_ALIASES: Mapping[str, model.ResourceCategory] = {
    "基础": model.ResourceCategory.BASE,
    "主题": model.ResourceCategory.THEMATIC,
    "部门": model.ResourceCategory.DEPARTMENTAL,
}

_BOOLEANS: Mapping[str, bool] = {
    "是": True,
    "否": False,
    "y": True,
    "n": False,
    "yes": True,
    "no": False,
    "true": True,
    "false": False,
    "1": True,
    "0": False,
}


def parse_bool(value: CellValue) -> bool | None:
    """是/否 (or Y/N, yes/no, true/false, 1/0, a boolean cell); ``None`` when blank."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    key = _lookup_key(value)
    if key is None:
        return None
    if key not in _BOOLEANS:
        raise CensusValueError(f"{clean_text(value)!r} is not 是 or 否")
    return _BOOLEANS[key]


_CHINESE_DIGITS: Mapping[str, int] = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
_UNGRADED = frozenset({"未定级", "未定", "未定级别", "无", "未评级", "-", "/"})
_MLPS = re.compile(r"^(?:等保)?(?:第)?([1-5一二三四五])(?:级)?$")
MLPS_TERMS: tuple[str, ...] = ("一级", "二级", "三级", "四级", "五级", "未定级")


def parse_mlps_level(value: CellValue) -> int | None:
    """等保级别 1-5 from ``三级``, ``第三级``, ``3``, ``3级``, ``等保三级``; ``None`` for 未定级 or blank."""
    if isinstance(value, bool):
        raise CensusValueError(f"{clean_text(value)!r} is not an MLPS level")
    if isinstance(value, int | float):
        if value in range(1, 6):
            return int(value)
        raise CensusValueError(f"{value:g} is not an MLPS level 1-5")
    text = normalise_ascii(value)
    if text is None:
        return None
    text = re.sub(r"\s+", "", text)
    if text in _UNGRADED:
        return None
    match = _MLPS.match(text)
    if match is None:
        raise CensusValueError(f"{text!r} is not an MLPS level: write 一级..五级 (or 1-5, 第三级) or 未定级")
    digit = match.group(1)
    return _CHINESE_DIGITS.get(digit) or int(digit)


def format_mlps_level(level: int | None) -> str:
    """The form's term for an MLPS level (``三级``), or ``未定级``."""
    return MLPS_TERMS[-1] if level is None else MLPS_TERMS[level - 1]


# ---------------------------------------------------------------------------------------------------------
# 信息项 (data items)

_DATA_ITEM_TYPE_NAMES: Mapping[str, model.DataItemType] = {
    "字符": model.DataItemType.C,
    "字符型": model.DataItemType.C,
    "数值": model.DataItemType.N,
    "数值型": model.DataItemType.N,
    "数字": model.DataItemType.N,
    "货币": model.DataItemType.Y,
    "货币型": model.DataItemType.Y,
    "日期": model.DataItemType.D,
    "日期型": model.DataItemType.D,
    "日期时间": model.DataItemType.T,
    "日期时间型": model.DataItemType.T,
    "逻辑": model.DataItemType.L,
    "逻辑型": model.DataItemType.L,
    "备注": model.DataItemType.M,
    "备注型": model.DataItemType.M,
    "通用": model.DataItemType.G,
    "通用型": model.DataItemType.G,
    "二进制": model.DataItemType.B,
    "图像": model.DataItemType.I,
    "文件": model.DataItemType.F,
}


def parse_data_items(value: CellValue) -> tuple[model.DataItem, ...]:
    """信息项 ``名称:类型;名称:类型``, full-width ``：``/``；`` too; empty when blank."""
    text = clean_text(value)
    if text is None:
        return ()
    items: list[model.DataItem] = []
    for raw_pair in re.split(r"[;；\n]", text):
        pair = raw_pair.strip()
        if not pair:
            continue
        name, sep, raw_type = re.sub(r"[：]", ":", pair).rpartition(":")
        name = name.strip()
        if not sep or not name:
            raise CensusValueError(f"信息项 {pair!r} must be 名称:类型, e.g. 姓名:C")
        type_key = unicodedata.normalize("NFKC", raw_type).strip()
        item_type = _DATA_ITEM_TYPE_NAMES.get(type_key) or _data_item_letter(type_key.upper())
        if item_type is None:
            letters = "/".join(m.value for m in model.DataItemType)
            raise CensusValueError(f"信息项 {pair!r}: type {raw_type.strip()!r} is not one of {letters}")
        items.append(model.DataItem(name=name, type=item_type))
    return tuple(items)


def _data_item_letter(letter: str) -> model.DataItemType | None:
    return model.DataItemType.__members__.get(letter) if len(letter) == 1 else None


def format_data_items(items: tuple[model.DataItem, ...]) -> str:
    """信息项 as the form writes them: ``名称:类型;名称:类型``."""
    return ";".join(f"{item.name}:{item.type.value}" for item in items)


def required(parse: Callable[[CellValue], _T | None], what: str = "this column") -> Callable[[CellValue], _T]:
    """Wrap a normaliser so that a blank cell is an error."""

    def parse_required(value: CellValue) -> _T:
        result = parse(value)
        if result is None:
            raise CensusValueError(f"{what} is required")
        return result

    return parse_required


# ---------------------------------------------------------------------------------------------------------
# Headers: what a department's office program and habits do to the template's column names

ALWAYS_IGNORED_HEADERS: tuple[str, ...] = ("序号", "备注")
"""Columns nearly every Chinese form carries that hold no census field; skipped with a notice."""

_OPENERS = "([【〔{"  # after NFKC, （ ［ ｛ are ( [ {; 【 and 〔 have no ASCII form
_CLOSERS = ")]】〕}"
_GROUP = f"[{re.escape(_OPENERS)}][^{re.escape(_OPENERS + _CLOSERS)}]*[{re.escape(_CLOSERS)}]"
_TRAILING_GROUP = re.compile(f"{_GROUP}$")
_LEADING_GROUP = re.compile(f"^{_GROUP}")
_WHOLE_GROUP = re.compile(f"^[{re.escape(_OPENERS)}]([^{re.escape(_OPENERS + _CLOSERS)}]*)[{re.escape(_CLOSERS)}]$")
_MARKER_WORDS = "必填项|必填|选填项|选填|非必填|可选|必选|可不填"
_MARKER = re.compile(f"^(?:{_MARKER_WORDS})[:：-]?|[:：-]?(?:{_MARKER_WORDS})$")
_DECORATIONS = dict.fromkeys(map(ord, "*★☆※▲△●◆"))


def normalise_header(value: CellValue) -> str:
    """A form's header as the template names it; ``""`` for a blank or unreadable cell.

    NFKC, all whitespace (line breaks too) and ``*``/``★`` marks removed, then bracketed groups and
    必填/选填 markers stripped from either end until none is left: ``系统编码【必填】``, ``系统编码[必填]``,
    ``*系统编码``, ``【必填】系统编码``, ``系统名称（选填）``, ``CPU平均利用率(%)``, ``系统编码 必填`` all
    give the template's header. A header that is only a bracketed word (``【备注】``) gives the word.
    """
    try:
        text = normalise_ascii(value) or ""
    except CensusValueError:
        return ""
    text = "".join(text.split()).translate(_DECORATIONS)
    whole = _WHOLE_GROUP.match(text)
    if whole is not None and whole.group(1):
        text = whole.group(1)
    previous = None
    while text and text != previous:
        previous = text
        for pattern in (_TRAILING_GROUP, _LEADING_GROUP, _MARKER):
            stripped = pattern.sub("", text)
            if stripped:  # never strip a header down to nothing: "(必填)" alone stays as written
                text = stripped
    return text


def suggest_header(header: str, candidates: Sequence[str], *, fallback: Sequence[str] = ()) -> str | None:
    """The template header an unknown ``header`` most probably means (``系统编号`` → ``系统编码``), or ``None``.

    difflib's ratio over characters, at least 0.5 (half the characters in common, in order). ``candidates``
    are tried first (the columns the form lacks), then ``fallback`` (every header of the sheet).
    """
    for pool in (candidates, fallback):
        found = difflib.get_close_matches(header, list(pool), n=1, cutoff=0.5)
        if found:
            return found[0]
    return None


# ---------------------------------------------------------------------------------------------------------
# Rows that are not data: 合计, 填表说明, signatures, notes under the table

NOTE_ROW_PREFIXES: tuple[str, ...] = (
    *("合计", "总计", "小计", "填表说明", "填报说明", "说明", "注", "备注", "附注"),
    *("填表人", "填报人", "审核人", "审批人", "负责人签字", "负责人", "签字", "签名", "单位盖章", "盖章"),
    *("填表日期", "填报日期", "日期", "联系人", "联系电话", "电话"),
)
"""How a row under the data starts when it is a total, an instruction or a signature line, not a record.

A prefix counts only as a whole word: followed by nothing, a space, a digit or punctuation (``注：``,
``合计 12``, ``填表人：张三``), so ``注册登记系统`` is not a note.
"""
_ENUMERATOR = re.compile(r"^(?:[一二三四五六七八九十]+|\d+)[、.)]\s*")
_NOTE_PREFIX = re.compile(
    "^(?:"
    + "|".join(r"\s*".join(map(re.escape, p)) for p in sorted(NOTE_ROW_PREFIXES, key=len, reverse=True))
    + r")(?=$|[\s\d:;,.、。()\[\]【】〔〕\-—_/])"
)


def note_prefix(value: CellValue) -> str | None:
    """The known note prefix a cell starts with (``合计``, ``填表人`` ...), or ``None``."""
    if not isinstance(value, str):
        return None
    text = normalise_ascii(value)
    if text is None:
        return None
    text = _ENUMERATOR.sub("", text.lstrip("([【〔*★※·•-—_ "))
    match = _NOTE_PREFIX.match(text)
    return None if match is None else re.sub(r"\s+", "", match.group(0))


def first_filled(cells: Sequence[CellValue]) -> tuple[int, CellValue] | None:
    """The index and value of the first non-blank cell, or ``None`` for a blank row."""
    for index, value in enumerate(cells):
        if not is_blank(value):
            return index, value
    return None


def is_blank(value: CellValue) -> bool:
    """Whether a cell holds nothing: ``None``, or text of whitespace only (zero-width characters included)."""
    return value is None or (isinstance(value, str) and not value.translate(_INVISIBLE).strip())


def lone_text(cells: Sequence[CellValue], first_column: int) -> str | None:
    """The text of a row whose only filled cell is text in ``first_column`` (a note's shape), else ``None``."""
    found = first_filled(cells)
    if found is None or found[0] != first_column or not isinstance(found[1], str):
        return None
    if any(not is_blank(v) for v in cells[first_column + 1 :]):
        return None
    return clean_text(found[1])


# ---------------------------------------------------------------------------------------------------------
# Merged cells

MergedRange = tuple[int, int, int, int]
"""A merged block of cells: (first row, first column, last row, last column), 0-based and inclusive."""


def fill_merged_down(rows: list[list[CellValue]], merges: Sequence[MergedRange]) -> int:
    """Give every cell of a vertically merged block the value its top row shows; returns the blocks filled.

    A spreadsheet stores a merged block's value in its top-left cell only, and shows it across the block:
    a department name merged down its systems' rows reads as that name on every row. Each column of a block
    takes the value of the block's top row in that column; blocks of one row (a title or a note merged
    across the table) are left alone, so a merged note row keeps its shape. ``rows`` is changed in place.
    """
    filled = 0
    width = max((len(r) for r in rows), default=0)
    for first_row, first_col, last_row, block_last_col in merges:
        last_col = min(block_last_col, width - 1)  # past the widest row every cell is blank: never widen rows
        if last_row <= first_row or first_row >= len(rows) or last_col < first_col:
            continue
        top = rows[first_row]
        values = [top[c] if c < len(top) else None for c in range(first_col, last_col + 1)]
        if all(is_blank(v) for v in values):
            continue
        filled += 1
        for row_index in range(first_row + 1, min(last_row, len(rows) - 1) + 1):
            row = rows[row_index]
            if len(row) <= last_col:
                row.extend([None] * (last_col + 1 - len(row)))
            row[first_col : last_col + 1] = values
    return filled
