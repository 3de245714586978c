"""Months as the ledger writes them (YYYY-MM) and dates as people type them."""

from __future__ import annotations

import re
from datetime import date

from .db import LedgerError

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def parse_month(text: str) -> str:
    """'2025-6' or '2025-06' → '2025-06'; LedgerError otherwise."""
    m = _MONTH.match((text or "").strip())
    if not m or not 1 <= int(m[2]) <= 12:
        raise LedgerError(f"--month 应为 YYYY-MM，如 2025-06，而非 '{text}'")
    return f"{int(m[1]):04d}-{int(m[2]):02d}"


def parse_day(text: str, *, what: str = "日期") -> date:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        raise LedgerError(f"{what}应为 YYYY-MM-DD，而非 '{text}'") from None


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"
