"""Cell values as registries and clerks spell them → the core's types: dates, 登记状态,
企业类型, yes/no, 统一社会信用代码. One parser each, shared by ``scan`` (every row),
``report``, the ledger and ``check`` (one application), so that all accept the same
spellings; and the unwrapping of cells that exports protect from Excel."""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, timedelta
from enum import StrEnum
from operator import mul
from typing import Any

from .models import EntityType, Status

# 登记状态 values as registries spell them → the core's status. A plain dict, so that
# spellings can be added; values not here state no dormancy, and none is guessed.
STATUS_VALUES: dict[str, Status] = {
    "未开业": Status.NOT_OPENED,
    "停业": Status.SUSPENDED,
    "歇业": Status.SUSPENSION_FILED,
    "存续": Status.OPERATING,
    "在业": Status.OPERATING,
    "开业": Status.OPERATING,
    "在营": Status.OPERATING,
    "正常": Status.OPERATING,
    "存续（在营、开业、在册）": Status.OPERATING,
    "在营（开业）": Status.OPERATING,
    "在营（开业）企业": Status.OPERATING,
    "开业企业": Status.OPERATING,
    "存续企业": Status.OPERATING,
    # in liquidation: still registered and not closed; liquidation is not dormancy either
    "清算": Status.OPERATING,
    "清算中": Status.OPERATING,
    # closed: reported, nothing ordered (action closed)
    "注销": Status.DEREGISTERED,
    "已注销": Status.DEREGISTERED,
    "注销企业": Status.DEREGISTERED,
    "吊销，已注销": Status.DEREGISTERED,  # revoked, then deregistered: gone
    "吊销后注销": Status.DEREGISTERED,
    "吊销": Status.REVOKED,
    "已吊销": Status.REVOKED,
    "吊销，未注销": Status.REVOKED,
    "吊销营业执照": Status.REVOKED,
    "被吊销营业执照": Status.REVOKED,
    "吊销企业": Status.REVOKED,
    "撤销": Status.CANCELLED,
    "撤销企业": Status.CANCELLED,
    "撤销登记": Status.CANCELLED,
    "已撤销": Status.CANCELLED,
    "迁出企业": Status.MOVED_OUT,
    "迁出": Status.MOVED_OUT,
    "已迁出": Status.MOVED_OUT,
    "迁往外地": Status.MOVED_OUT,
    "迁出本辖区": Status.MOVED_OUT,
}
# Spellings differ in commas, brackets and spaces (吊销，未注销 / 吊销,未注销 / 吊销未注销 /
# 吊销（未注销）): those are dropped on both sides before a value is looked up.
_STATUS_NOISE = re.compile(r"[\s,，、;；:：()（）\[\]【】]")

# What exports write for "nothing here" (企查查 and 天眼查 write "-"; database dumps NULL):
# an empty date, status or type, not an unreadable one.
EMPTY_MARKERS = frozenset({"-", "--", "—", "——", "/", "N/A", "n/a", "NA", "无", "暂无", "NULL", "null"})

TRUE_VALUES = frozenset({"1", "true", "yes", "y", "是", "持牌", "已批准"})

_DATE = re.compile(r"^\s*(\d{4})\s*(?:[-/.年])\s*(\d{1,2})\s*(?:[-/.月])\s*(\d{1,2})\s*日?(?:[ T].*)?$")
_COMPACT_DATE = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")
# An Excel serial day number (43497 is 2019-02-01) as a text export writes it: whole
# days, optionally with a time fraction. Five digits (1927-05-18 to 2173-10-14): a
# shorter number is more likely a year or a code than a registration date.
_SERIAL = re.compile(r"^\s*(\d{5})(?:\.\d+)?\s*$")
_EXCEL_EPOCH = date(1899, 12, 30)  # day 0 as Excel counts, past its 1900-02-29


_CN_DIGITS = {ch: i for i, ch in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0, "Ｏ": 0, "O": 0, "o": 0}
_CN_DATE = re.compile(r"^([〇零○ＯOo一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日$")


def _cn_number(text: str) -> int:
    """一 … 三十一 as written in dates (十, 十一, 二十, 二十一)."""
    if "十" not in text:
        return _CN_DIGITS[text] if len(text) == 1 else -1
    tens, _, units = text.partition("十")
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[units] if units else 0)


def is_empty(text: str) -> bool:
    """An empty cell, or one holding only a marker of emptiness (-, /, 无, N/A …)."""
    text = text.strip()
    return not text or text in EMPTY_MARKERS


def parse_date(text: Any) -> date | None:
    """A date as registries write it: 2019-04-01, 2019-04-01 00:00:00, 2019/4/1,
    2019.4.1, 2019年4月1日, 二〇一九年四月一日, 20190401, an Excel serial (43497) or a
    date/datetime object; None when empty or an empty marker (-, /, 无 …). ValueError
    for anything else (including impossible dates such as 2019-02-30)."""
    if text is None or isinstance(text, float) and math.isnan(text):
        return None
    if isinstance(text, date):
        return text if type(text) is date else date(text.year, text.month, text.day)
    text = str(text).strip()
    if is_empty(text):
        return None
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)  # full-width digits
        m = _CN_DATE.match(text.replace(" ", ""))
        if m:
            year = int("".join(str(_CN_DIGITS[ch]) for ch in m[1]))
            return date(year, _cn_number(m[2]), _cn_number(m[3]))
    m = _DATE.match(text) or _COMPACT_DATE.match(text)
    if m:
        return date(int(m[1]), int(m[2]), int(m[3]))
    m = _SERIAL.match(text)
    if m:
        return _EXCEL_EPOCH + timedelta(days=int(m[1]))
    raise ValueError(text)


def entity_type_of(text: str) -> EntityType | None:
    """企业类型 text (or an English value) → entity type; None when empty or an empty
    marker (then the name decides)."""
    text = text.strip()
    if is_empty(text):
        return None
    if "个体" in text:
        return EntityType.INDIVIDUAL
    if "合作社" in text:
        return EntityType.COOPERATIVE
    if "合伙" in text:
        return EntityType.PARTNERSHIP
    if "公司" in text:
        return EntityType.COMPANY
    try:
        return EntityType(text.lower())
    except ValueError:
        return EntityType.OTHER


def status_of(text: str) -> Status | None:
    """登记状态 text (or an English value) → status; None when empty, an empty marker or
    not understood."""
    text = text.strip()
    if is_empty(text):
        return None
    if text in STATUS_VALUES:
        return STATUS_VALUES[text]
    key = _STATUS_NOISE.sub("", text)
    for spelling, status in STATUS_VALUES.items():
        if _STATUS_NOISE.sub("", spelling) == key:
            return status
    try:
        return Status(text.lower())
    except ValueError:
        return None


def is_true(text: str) -> bool:
    """持牌 and similar yes/no cells."""
    return text.strip().lower() in TRUE_VALUES


# --- 个体工商户 without a 字号 ------------------------------------------------------
# A 个体工商户 may register without a 字号 (个体工商户名称登记管理办法 art. 5); registries
# then leave 名称 empty or write * (or 无字号) and name the operator in a column of its own.
NO_NAME = frozenset({"*", "**", "***", "＊", "无字号", "（无字号）", "(无字号)", "无"})


def entity_name(name: str, operator: str = "") -> str:
    """The name an entity is screened, listed and keyed by: its 名称, or for a
    个体工商户 without a 字号 (名称 empty, * or 无字号) its operator's:
    张三（个体工商户）. An empty name stays empty when no operator is known."""
    bare = name.strip()
    if bare and bare not in NO_NAME:
        return name
    operator = operator.strip()
    if operator and operator not in EMPTY_MARKERS:
        return f"{operator}（个体工商户）"
    return ""


# --- cells as exports protect them from Excel -------------------------------------
# Systems write ="…" (a formula Excel shows as text), a leading tab or a leading
# apostrophe so that Excel keeps a code's digits; scan's own outputs prefix an
# apostrophe to a cell that would run as a formula. All of these are taken off when a
# cell is read, so that the value is the same however it was protected, and reading a
# results file gives back exactly the cells scan screened.
WRAP_START = ("'", "=", "\t", "\r")
_FORMULA_TEXT = re.compile(r'^="((?:[^"]|"")*)"$', re.DOTALL)


def unwrap(value: str) -> str:
    """A cell without its protection: ``="…"`` → ``…``, leading tabs, carriage returns
    and apostrophes dropped, repeatedly (so that unwrapping twice changes nothing).
    Any other cell, a real formula such as ``=A1+B1`` included, is returned as it is."""
    while value.startswith(WRAP_START):
        if value[0] == "=":
            m = _FORMULA_TEXT.match(value)
            if m is None:
                return value
            value = m[1].replace('""', '"')
        else:
            value = value.lstrip("'\t\r")
    return value


def unwrap_cells(cells: list[Any]) -> list[Any]:
    """The cells of a row, each unwrapped (the list itself when none needs it)."""
    if not any(isinstance(c, str) and c.startswith(WRAP_START) for c in cells):
        return cells
    return [unwrap(c) if isinstance(c, str) else c for c in cells]


def unwrap_frame(frame: Any) -> None:
    """Unwrap every text cell of a DataFrame of object columns, in place."""
    for i in range(frame.shape[1]):
        values = frame.iloc[:, i].tolist()
        if any(isinstance(v, str) and v.startswith(WRAP_START) for v in values):
            frame.isetitem(i, [unwrap(v) if isinstance(v, str) else v for v in values])


# --- 统一社会信用代码 (GB 32100-2015) ------------------------------------------------
CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
_CODE_VALUE = {ch: i for i, ch in enumerate(CODE_ALPHABET)}
_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CODE_FORM = re.compile(f"^[{CODE_ALPHABET}]{{18}}$")


class CodeState(StrEnum):
    """What a 统一社会信用代码 cell holds."""

    EMPTY = "empty"
    VALID = "valid"
    BAD_CHECK = "bad_check"  # 18 characters of the alphabet, but the check digit does not agree
    INVALID = "invalid"  # not a code at all: 9.13403E+17, a number, a truncated code …

    @property
    def is_key(self) -> bool:
        """Whether the code may identify an entity (a wrong check digit still does)."""
        return self in (CodeState.VALID, CodeState.BAD_CHECK)


def normal_code(text: str) -> str:
    """A code as compared: unwrapped, NFKC (full-width letters and digits), no spaces, upper case."""
    text = unwrap(text.strip()).strip()
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return "".join(text.split()).upper()


# The weights are 3**i mod 31, so the weighted sum mod 31 is the code's characters read
# as digits of a number in base 34 (34 ≡ 3 mod 31), lowest first: int() does it in C.
# _BASE34 writes each character as the int() digit of its value (A=10 … Y=30).
_BASE34 = str.maketrans(CODE_ALPHABET, "0123456789ABCDEFGHIJKLMNOPQRSTU")


def check_digit(code17: str) -> str:
    """The 18th character of a code whose first 17 are ``code17`` (GB 32100-2015, 4.2)."""
    total = sum(map(mul, map(_CODE_VALUE.__getitem__, code17), _CODE_WEIGHTS))
    return CODE_ALPHABET[(31 - total % 31) % 31]


def _check_digit_fast(code17: str) -> str:
    """check_digit of 17 characters of the alphabet, by int() in base 34 (the same digit)."""
    return CODE_ALPHABET[-int(code17[::-1].translate(_BASE34), 34) % 31]


def code_state(text: str) -> CodeState:
    """Whether a cell holds a 统一社会信用代码 that can be a key (see CodeState)."""
    if len(text) == 18 and not text.strip(CODE_ALPHABET):  # 18 characters of the alphabet, as _CODE_FORM
        code = text  # the usual cell: nothing to fold (scan asks this of every row)
    else:
        code = normal_code(text)
        if not code or code in EMPTY_MARKERS:
            return CodeState.EMPTY
        if not _CODE_FORM.match(code):
            return CodeState.INVALID
    return CodeState.VALID if _check_digit_fast(code[:17]) == code[17] else CodeState.BAD_CHECK


def code_key(text: str) -> str:
    """The code as an entity's key, or "" when the cell holds none that can be one."""
    code = normal_code(text)
    return code if _CODE_FORM.match(code) else ""


def code_notes(invalid: int, bad_check: int) -> list[str]:
    """The summary's lines about codes, in Chinese (none when all were good)."""
    out = []
    if invalid:
        out.append(f"！注意：{invalid} 行统一社会信用代码无效（可能被 Excel 改成了数字），已按名称对应")
    if bad_check:
        out.append(f"！警告：{bad_check} 行统一社会信用代码校验位不符（GB 32100-2015），仍按代码对应，请核对")
    return out
