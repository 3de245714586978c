"""报送本月: a unit sends its month's Attachments 2 and 3 to the county finance bureau.

The tables are kept as sent (the XLSX bytes, their sha256, who and when). What was
sent is also fingerprinted by its rows, so that a later change to the month (a new
clue, a disposal, a review) shows as 报送后有修改 until the unit sends again.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from fangfei_screen.report import ReportHeader, write_report

from .db import Ledger, LedgerError
from .history import now, record
from .months import parse_month
from .reports import attachment2_rows, attachment3_rows, write_attachment3
from .schema import batches, entities, submissions, users

DEADLINE_DAY = 25  # plan 三(四): 每月25号前定期报送


class SendState(str, Enum):
    SENT = "sent"
    CHANGED = "changed"
    NOT_SENT = "not_sent"
    OVERDUE = "overdue"

    @property
    def label(self) -> str:
        return {"sent": "已报送", "changed": "报送后有修改", "not_sent": "未报送", "overdue": "逾期"}[self.value]


@dataclass(frozen=True)
class Sent:
    """One sending of a unit's month."""

    id: int
    unit: str
    month: str
    by: str
    at: Any
    rows2: int
    rows3: int
    attachment2_sha: str
    attachment3_sha: str
    content_sha: str


@dataclass(frozen=True)
class UnitMonth:
    unit: str
    month: str
    state: SendState
    sent: Sent | None


def content_sha(rows2: list[list[Any]], rows3: list[list[Any]]) -> str:
    """The fingerprint of a month's two tables, by their rows (XLSX bytes carry a timestamp)."""
    return hashlib.sha256(json.dumps([rows2, rows3], ensure_ascii=False, default=str).encode()).hexdigest()


def send_month(ledger: Ledger, *, unit: str, month: str, by: str, filler: str = "") -> Sent:
    """Send ``unit``'s ``month``: both tables as they stand, kept as sent."""
    month = parse_month(month)
    unit, by = unit.strip(), by.strip()
    if not unit or not by:
        raise LedgerError("报送单位和报送人不能为空")
    rows2 = attachment2_rows(ledger, month=month, unit=unit)
    rows3 = attachment3_rows(ledger, month=month, unit=unit)
    with tempfile.TemporaryDirectory(prefix="fangfei-send-") as tmp:
        p2, p3 = Path(tmp) / "a2.xlsx", Path(tmp) / "a3.xlsx"
        write_report(rows2, ReportHeader(month=month, unit=unit, filler=filler or by), p2)
        write_attachment3(rows3, month=month, unit=unit, output=p3, filler=filler or by)
        b2, b3 = p2.read_bytes(), p3.read_bytes()
    values = {
        "unit": unit, "month": month, "content_sha": content_sha(rows2, rows3), "attachment2": b2,
        "attachment2_sha": hashlib.sha256(b2).hexdigest(), "attachment3": b3, "attachment3_sha": hashlib.sha256(b3).hexdigest(),
        "rows2": len(rows2), "rows3": len(rows3), "by": by, "at": now(),
    }

    def work(conn: Any) -> Sent:
        new_id = conn.execute(insert(submissions).values(**values)).inserted_primary_key[0]
        record(conn, by=by, subject="batch", action="sent", at=values["at"],
               after={"unit": unit, "month": month, "rows2": len(rows2), "rows3": len(rows3),
                      "attachment2_sha256": values["attachment2_sha"], "attachment3_sha256": values["attachment3_sha"]})
        return _sent({**values, "id": new_id})

    return ledger.write(work)


def _sent(r: Any) -> Sent:
    return Sent(id=r["id"], unit=r["unit"], month=r["month"], by=r["by"], at=r["at"], rows2=r["rows2"], rows3=r["rows3"],
                attachment2_sha=r["attachment2_sha"], attachment3_sha=r["attachment3_sha"], content_sha=r["content_sha"])


def last_sent(ledger: Ledger, *, unit: str, month: str) -> Sent | None:
    with ledger.reading() as conn:
        r = conn.execute(select(submissions).where(submissions.c.unit == unit, submissions.c.month == parse_month(month))
                         .order_by(submissions.c.id.desc()).limit(1)).mappings().first()
    return _sent(r) if r else None


def sent_file(ledger: Ledger, *, sent_id: int, which: int) -> tuple[Sent, bytes]:
    """The bytes of Attachment ``which`` (2 or 3) as sent."""
    with ledger.reading() as conn:
        r = conn.execute(select(submissions).where(submissions.c.id == sent_id)).mappings().first()
    if r is None or which not in (2, 3):
        raise LedgerError("没有这次报送")
    return _sent(r), r[f"attachment{which}"]


def reporting_units(ledger: Ledger) -> list[str]:
    """The units that send tables: every clerk's unit and every unit with clues in the ledger."""
    with ledger.reading() as conn:
        clerks = {u for (u,) in conn.execute(select(users.c.unit).where(users.c.role == "clerk", users.c.active.is_(True)))}
        with_clues = {u for (u,) in conn.execute(select(entities.c.unit).distinct())}
        with_files = {u for (u,) in conn.execute(select(batches.c.unit).distinct())}
    return sorted(clerks | with_clues | with_files)


def month_state(ledger: Ledger, *, unit: str, month: str, today: date | None = None) -> UnitMonth:
    """Whether ``unit`` has sent ``month``: 已报送, 报送后有修改, 未报送 or 逾期 (after the 25th)."""
    month = parse_month(month)
    sent = last_sent(ledger, unit=unit, month=month)
    if sent is not None:
        now_sha = content_sha(attachment2_rows(ledger, month=month, unit=unit), attachment3_rows(ledger, month=month, unit=unit))
        return UnitMonth(unit, month, SendState.SENT if now_sha == sent.content_sha else SendState.CHANGED, sent)
    today = today or date.today()
    year, mon = (int(x) for x in month.split("-"))
    overdue = today > date(year, mon, DEADLINE_DAY)
    return UnitMonth(unit, month, SendState.OVERDUE if overdue else SendState.NOT_SENT, None)
