"""Cell values as registries and clerks spell them → the core's types: dates, 登记状态,
企业类型, yes/no. One parser each, shared by ``scan`` (every row) and ``check`` (one
application), so that both accept the same spellings."""

from __future__ import annotations

import math
import re
from datetime import date, timedelta
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
    "迁出": Status.MOVED_OUT,
    "已迁出": Status.MOVED_OUT,
    "迁往外地": Status.MOVED_OUT,
    "迁出本辖区": Status.MOVED_OUT,
}
# Spellings differ in commas, brackets and spaces (吊销，未注销 / 吊销,未注销 / 吊销未注销 /
# 吊销（未注销）): those are dropped on both sides before a value is looked up.
_STATUS_NOISE = re.compile(r"[\s,，、;；:：()（）\[\]【】]")

TRUE_VALUES = frozenset({"1", "true", "yes", "y", "是", "持牌", "已批准"})

_DATE = re.compile(r"^\s*(\d{4})\s*(?:[-/.年])\s*(\d{1,2})\s*(?:[-/.月])\s*(\d{1,2})\s*日?(?:[ T].*)?$")
_COMPACT_DATE = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")
# An Excel serial day number (43497 is 2019-02-01) as a text export writes it: whole
# days, optionally with a time fraction. Five digits (1927-05-18 to 2173-10-14): a
# shorter number is more likely a year or a code than a registration date.
_SERIAL = re.compile(r"^\s*(\d{5})(?:\.\d+)?\s*$")
_EXCEL_EPOCH = date(1899, 12, 30)  # day 0 as Excel counts, past its 1900-02-29


def parse_date(text: Any) -> date | None:
    """A date as registries write it: 2019-04-01, 2019/4/1, 2019.4.1, 2019年4月1日,
    20190401, an Excel serial (43497) or a date/datetime object; None when empty.
    ValueError for anything else (including impossible dates such as 2019-02-30)."""
    if text is None or isinstance(text, float) and math.isnan(text):
        return None
    if isinstance(text, date):
        return text if type(text) is date else date(text.year, text.month, text.day)
    text = str(text).strip()
    if not text:
        return None
    m = _DATE.match(text) or _COMPACT_DATE.match(text)
    if m:
        return date(int(m[1]), int(m[2]), int(m[3]))
    m = _SERIAL.match(text)
    if m:
        return _EXCEL_EPOCH + timedelta(days=int(m[1]))
    raise ValueError(text)


def entity_type_of(text: str) -> EntityType | None:
    """企业类型 text (or an English value) → entity type; None when empty (then the name decides)."""
    text = text.strip()
    if not text:
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
    """登记状态 text (or an English value) → status; None when empty or not understood."""
    text = text.strip()
    if not text:
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
