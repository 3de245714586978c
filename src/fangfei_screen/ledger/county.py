"""The county finance bureau's view of a month: who has sent, the merged tables with
报送单位, counts by unit and category, twelve months of new / resolved / disposed clues,
and the key old cases (plan §17-18)."""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, update

from ..report import REPORT_COLUMNS, code_in_remark, form_rows

from .db import Ledger, LedgerError
from .history import now, record
from .months import parse_month
from .queries import resolve_key
from .reports import ATT3_COLUMNS
from .schema import clue_months, disposals, entities, key_cases
from .sending import UnitMonth, month_state, reporting_units, sent_file
from .source import normal_name

ATT2_HEADER_ROWS = 3  # title, unit line, column header
ATT3_HEADER_ROWS = 4  # title, unit line, the grouped header in two rows
KEY_CASE_YEARS = 5
KEY_CASE_AMOUNT = 10_000  # 万元: 1亿元


@dataclass(frozen=True)
class CountyMonth:
    month: str
    units: tuple[UnitMonth, ...]
    attachment2: tuple[tuple[Any, ...], ...]  # merged, one row per entity, 报送单位 in 备注 (without 序号)
    attachment3: tuple[tuple[Any, ...], ...]
    by_unit: dict[str, int]
    by_category: dict[str, int]


def county_month(ledger: Ledger, *, month: str, today: date | None = None) -> CountyMonth:
    """The county's roll-up of ``month`` from the tables each unit sent, as sent (the plan:
    units send Attachments 2 and 3 before the 25th; the county merges what it received). A
    unit that has not sent is not in the tables; one whose ledger changed after sending is in
    them as sent, and its state says 报送后有修改 until it sends again."""
    month = parse_month(month)
    units = tuple(month_state(ledger, unit=u, month=month, today=today) for u in reporting_units(ledger))
    merged: dict[str, list[Any]] = {}
    reporters: dict[str, list[str]] = defaultdict(list)
    by_unit: Counter[str] = Counter()
    by_category: Counter[str] = Counter()
    rows3 = []
    for u in units:
        if u.sent is None:
            continue
        _, sent2 = sent_file(ledger, sent_id=u.sent.id, which=2)
        for row in form_rows(io.BytesIO(sent2), header_rows=ATT2_HEADER_ROWS, width=len(REPORT_COLUMNS) - 1):
            ident = code_in_remark(row[-1]) or normal_name(str(row[0]))
            by_unit[u.unit] += 1
            if ident not in merged:
                merged[ident] = list(row)
                for c in filter(None, str(row[1]).split("；")):
                    by_category[c] += 1
            if u.unit not in reporters[ident]:
                reporters[ident].append(u.unit)
        _, sent3 = sent_file(ledger, sent_id=u.sent.id, which=3)
        for row in form_rows(io.BytesIO(sent3), header_rows=ATT3_HEADER_ROWS, width=len(ATT3_COLUMNS) - 1):
            row[-1] = "；".join(x for x in (str(row[-1] or ""), f"报送单位：{u.unit}") if x)
            rows3.append(tuple(row))
    rows2 = []
    for ident, row in merged.items():
        row[-1] = "；".join(x for x in (str(row[-1] or ""), f"报送单位：{'、'.join(reporters[ident])}") if x)
        rows2.append(tuple(row))
    return CountyMonth(month, units, tuple(rows2), tuple(rows3), dict(by_unit), dict(by_category))


def write_county_form(county: CountyMonth, *, attachment: int, unit: str, filler: str, output: str | Path) -> int:
    """The county's merged Attachment 2 or 3 (``attachment``) of ``county`` as one form, filled
    in by ``unit``; returns the number of rows. The page's download and ``report --county``."""
    from ..report import ReportHeader, write_report
    from .reports import write_attachment3

    if attachment == 3:
        return write_attachment3([list(r) for r in county.attachment3], month=county.month, unit=unit, output=output,
                                 filler=filler)
    return write_report([list(r) for r in county.attachment2], ReportHeader(month=county.month, unit=unit, filler=filler),
                        output)


def months_back(month: str, n: int) -> list[str]:
    """The ``n`` months ending with ``month``, oldest first."""
    year, mon = (int(x) for x in parse_month(month).split("-"))
    out = []
    for _ in range(n):
        out.append(f"{year:04d}-{mon:02d}")
        year, mon = (year, mon - 1) if mon > 1 else (year - 1, 12)
    return out[::-1]


def twelve_months(ledger: Ledger, *, month: str) -> list[dict[str, Any]]:
    """New, resolved (or closed) and disposed clues in each of the twelve months to ``month``."""
    months = months_back(month, 12)
    with ledger.reading() as conn:
        states = conn.execute(
            select(clue_months.c.month, clue_months.c.state, func.count())
            .where(clue_months.c.month.in_(months)).group_by(clue_months.c.month, clue_months.c.state)
        ).all()
        done = conn.execute(
            select(disposals.c.month, func.count(func.distinct(disposals.c.key)))
            .where(disposals.c.month.in_(months)).group_by(disposals.c.month)
        ).all()
    counts: dict[str, Counter[str]] = {m: Counter() for m in months}
    for m, state, n in states:
        counts[m]["new" if state == "new" else "resolved" if state in ("resolved", "closed") else "other"] += n
    for m, n in done:
        counts[m]["disposed"] += n
    return [{"month": m, "new": counts[m]["new"], "resolved": counts[m]["resolved"], "disposed": counts[m]["disposed"]}
            for m in months]


# -- key old cases ---------------------------------------------------------------


@dataclass(frozen=True)
class KeyCase:
    key: str
    name: str
    unit: str
    reason: str
    since: str
    amount: str
    leader: str
    supervised: bool
    age_years: float
    last_disposal: str  # 2025-06-20 约谈（王城关）, or ""


def key_case_reason(*, since: str, amount: str, today: date | None = None) -> str:
    """Why a case is a key old case (plan §18): over five years, or over 1亿元; "" if neither."""
    today = today or date.today()
    reasons = []
    try:
        begun = date.fromisoformat(since)
    except ValueError:
        raise LedgerError(f"案发时间「{since}」应为“年-月-日”") from None
    if (today - begun).days > KEY_CASE_YEARS * 365.25:
        reasons.append("案发超过5年")
    if amount:
        try:
            if float(amount) > KEY_CASE_AMOUNT:
                reasons.append("涉案金额超过1亿元")
        except ValueError:
            raise LedgerError(f"涉案金额「{amount}」应为数字（万元）") from None
    return "、".join(reasons)


def mark_key_case(ledger: Ledger, key: str, *, since: str, amount: str, leader: str, supervised: bool, by: str,
                  today: date | None = None) -> KeyCase:
    """Mark a clue 重点案件 with its 包案领导 and 挂牌督办; refused when it is neither old nor large."""
    leader, by = leader.strip(), by.strip()
    if not leader:
        raise LedgerError("重点案件须写明包案领导")
    reason = key_case_reason(since=since, amount=amount.strip(), today=today)
    if not reason:
        raise LedgerError("重点案件指案发超过5年或涉案金额超过1亿元（10000万元）的案件；本案两者都不是")

    def work(conn: Any) -> str:
        k = resolve_key(conn, key)
        values = {"reason": reason, "since": since, "amount": amount.strip(), "leader": leader, "supervised": supervised,
                  "by": by, "at": now()}
        old = conn.execute(select(key_cases).where(key_cases.c.key == k)).mappings().first()
        if old is None:
            conn.execute(insert(key_cases).values(key=k, **values))
        else:
            conn.execute(update(key_cases).where(key_cases.c.key == k).values(**values))
        record(conn, by=by, subject="entity", action="key_case", key=k,
               before={n: old[n] for n in ("reason", "leader", "supervised")} if old else None,
               after={n: values[n] for n in ("reason", "since", "amount", "leader", "supervised")})
        return k

    marked = ledger.write(work)
    return next(c for c in list_key_cases(ledger, today=today) if c.key == marked)


def list_key_cases(ledger: Ledger, *, today: date | None = None) -> list[KeyCase]:
    today = today or date.today()
    with ledger.reading() as conn:
        rows = conn.execute(select(key_cases, entities.c.name, entities.c.unit)
                            .join(entities, entities.c.key == key_cases.c.key).order_by(key_cases.c.since)).mappings().all()
        last: dict[str, str] = {}
        for r in conn.execute(select(disposals.c.key, disposals.c.date, disposals.c.measure, disposals.c.by)
                              .where(disposals.c.key.in_([r["key"] for r in rows])).order_by(disposals.c.date, disposals.c.id)):
            last[r.key] = f"{r.date.isoformat()} {r.measure}（{r.by}）"
    return [KeyCase(key=r["key"], name=r["name"], unit=r["unit"], reason=r["reason"], since=r["since"], amount=r["amount"],
                    leader=r["leader"], supervised=bool(r["supervised"]),
                    age_years=round((today - date.fromisoformat(r["since"])).days / 365.25, 1), last_disposal=last.get(r["key"], ""))
            for r in rows]
