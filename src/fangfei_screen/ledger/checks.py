"""The check record: every pre-registration check the service or the page answered, and
what the desk did with its advice (采纳 / 不采纳 and why).

Both tables are append-only (triggers from migration 0004 refuse UPDATE and DELETE); an
outcome recorded again is a new row, the newest in force and every one kept as history.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select

from .db import Ledger, LedgerError, bulk_insert
from .history import now, record
from .months import parse_month
from .schema import check_outcomes, checks

# Dates on the record, the notice and the monthly lists are China Standard Time (no DST).
CST = timezone(timedelta(hours=8), "CST")


class Outcome(StrEnum):
    ADOPTED = "adopted"  # 采纳：the desk followed the advice
    OVERRIDDEN = "overridden"  # 不采纳：the desk did otherwise, with a reason

    @property
    def label(self) -> str:
        return {"adopted": "采纳", "overridden": "不采纳"}[self.value]


def parse_outcome(text: str) -> Outcome:
    value = (text or "").strip()
    for o in Outcome:
        if value in (o.value, o.label):
            return o
    raise LedgerError(f"处理结果应为 adopted（采纳）或 overridden（不采纳），而非 '{text}'")


CHECK_ID_PATTERN = r"^C[0-9]{8}-[0-9a-f]{10}$"


def new_check_id(at: datetime | None = None) -> str:
    """``C20250603-5f0c9a2e17``: the day (CST) and 40 random bits, to read out over the phone."""
    day = (at or now()).astimezone(CST).strftime("%Y%m%d")
    return f"C{day}-{secrets.token_hex(5)}"


def input_sha256(application: dict[str, Any]) -> str:
    """sha256 of the application as canonical JSON (sorted keys, no spaces, UTF-8), fields left
    empty (None, "", false) dropped: the same application has the same sha256 whether it came
    through the API (every field present) or the page (only those filled)."""
    given = {k: v for k, v in application.items() if v is not None and v != "" and v is not False}
    text = json.dumps(given, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class Caller:
    """Who asked: an API key (its id and system), a signed-in user, or nobody known."""

    kind: str = "anonymous"  # key | user | anonymous
    name: str = ""  # key id or user name
    unit: str = ""
    system: str = ""


@dataclass(frozen=True, slots=True)
class CheckEntry:
    """One check, as it is appended to the record."""

    id: str
    at: datetime
    channel: str  # api | batch | page
    caller: Caller
    kind: str
    input_sha256: str
    list_version: str
    list_sha256: str
    action: str
    terms: tuple[str, ...]
    ref: str | None = None
    input: dict[str, Any] | None = None  # None under --no-record-text
    result: dict[str, Any] | None = None

    def row(self) -> dict[str, Any]:
        return {
            "id": self.id, "at": self.at, "channel": self.channel, "caller_kind": self.caller.kind,
            "caller": self.caller.name, "system": self.caller.system, "unit": self.caller.unit, "ref": self.ref,
            "kind": self.kind, "input_sha256": self.input_sha256,
            "input": _dump(self.input) if self.input is not None else None,
            "list_version": self.list_version, "list_sha256": self.list_sha256, "action": self.action,
            "terms": _dump(list(self.terms)), "result": _dump(self.result) if self.result is not None else None,
        }


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _load(text: str | None) -> Any:
    return json.loads(text) if text else None


def append_checks(ledger: Ledger, entries: Sequence[CheckEntry]) -> int:
    """Append the checks in one transaction (one INSERT for all; COPY on PostgreSQL)."""
    if not entries:
        return 0
    rows = [{**e.row(), "at": e.at.astimezone(timezone.utc)} for e in entries]
    return ledger.write(lambda conn: bulk_insert(conn, checks, rows))


@dataclass(frozen=True, slots=True)
class OutcomeEntry:
    outcome: Outcome
    reason: str
    by: str
    unit: str
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome.value, "label": self.outcome.label, "reason": self.reason, "by": self.by,
                "unit": self.unit, "at": self.at.isoformat()}


@dataclass(frozen=True, slots=True)
class CheckRecord:
    """A check read back from the record, with its outcomes oldest first."""

    id: str
    at: datetime
    channel: str
    caller_kind: str
    caller: str
    system: str
    unit: str
    ref: str | None
    kind: str
    input_sha256: str
    input: dict[str, Any] | None
    list_version: str
    list_sha256: str
    action: str
    terms: tuple[str, ...]
    result: dict[str, Any] | None
    outcomes: tuple[OutcomeEntry, ...] = field(default=())

    @property
    def outcome(self) -> OutcomeEntry | None:
        """The outcome in force: the newest recorded."""
        return self.outcomes[-1] if self.outcomes else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "at": self.at.isoformat(), "channel": self.channel,
            "caller": {"kind": self.caller_kind, "id": self.caller, "system": self.system, "unit": self.unit},
            "ref": self.ref, "kind": self.kind, "input_sha256": self.input_sha256, "input": self.input,
            "list_version": self.list_version, "list_sha256": self.list_sha256, "action": self.action,
            "keywords": list(self.terms), "result": self.result,
            "outcome": self.outcome.to_dict() if self.outcome else None,
            "outcomes": [o.to_dict() for o in self.outcomes],
        }


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)  # SQLite gives naive UTC back


def _record(row: Any, outcomes: list[OutcomeEntry]) -> CheckRecord:
    return CheckRecord(
        id=row["id"], at=_aware(row["at"]), channel=row["channel"], caller_kind=row["caller_kind"], caller=row["caller"],
        system=row["system"], unit=row["unit"], ref=row["ref"], kind=row["kind"], input_sha256=row["input_sha256"],
        input=_load(row["input"]), list_version=row["list_version"], list_sha256=row["list_sha256"], action=row["action"],
        terms=tuple(_load(row["terms"]) or ()), result=_load(row["result"]), outcomes=tuple(outcomes),
    )


def _outcomes(conn: Connection, ids: list[str]) -> dict[str, list[OutcomeEntry]]:
    found: dict[str, list[OutcomeEntry]] = {}
    if not ids:
        return found
    for start in range(0, len(ids), 500):
        rows = conn.execute(
            select(check_outcomes).where(check_outcomes.c.check_id.in_(ids[start : start + 500])).order_by(check_outcomes.c.id)
        ).mappings()
        for r in rows:
            found.setdefault(r["check_id"], []).append(
                OutcomeEntry(outcome=Outcome(r["outcome"]), reason=r["reason"], by=r["by"], unit=r["unit"], at=_aware(r["at"]))
            )
    return found


def get_check(ledger: Ledger, check_id: str) -> CheckRecord | None:
    with ledger.reading() as conn:
        row = conn.execute(select(checks).where(checks.c.id == (check_id or "").strip())).mappings().first()
        if row is None:
            return None
        return _record(row, _outcomes(conn, [row["id"]]).get(row["id"], []))


def add_outcome(ledger: Ledger, check_id: str, *, outcome: Outcome | str, reason: str = "", by: str, unit: str = "") -> CheckRecord:
    """Record what the desk did with a check's advice (a new row; earlier ones are kept)."""
    outcome = outcome if isinstance(outcome, Outcome) else parse_outcome(outcome)
    reason, by = (reason or "").strip(), (by or "").strip()
    if not by:
        raise LedgerError("请写明记录人 / who records the outcome is missing")
    if outcome is Outcome.OVERRIDDEN and not reason:
        raise LedgerError("不采纳时须写明理由 / a reason is required when the advice is not followed")
    if len(reason) > 2000:
        raise LedgerError("理由不超过 2000 字 / the reason is over 2,000 characters")

    def work(conn: Connection) -> None:
        row = conn.execute(select(checks.c.id, checks.c.unit).where(checks.c.id == check_id)).first()
        if row is None:
            raise LedgerError(f"没有核查记录「{check_id}」/ no such check")
        before = conn.execute(
            select(check_outcomes.c.outcome).where(check_outcomes.c.check_id == check_id).order_by(check_outcomes.c.id.desc())
        ).scalar()
        conn.execute(insert(check_outcomes).values(check_id=check_id, outcome=outcome.value, reason=reason, by=by,
                                                   unit=unit or row.unit, at=now()))
        record(conn, by=by, subject="check", action="check_outcome", key=check_id,
               before={"outcome": before} if before else None, after={"outcome": outcome.value, "reason": reason})

    ledger.write(work)
    found = get_check(ledger, check_id)
    assert found is not None
    return found


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The first instant of ``month`` and of the next, in CST."""
    month = parse_month(month)
    year, mon = int(month[:4]), int(month[5:])
    start = datetime(year, mon, 1, tzinfo=CST)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=CST)
    return start, end


def list_checks(
    ledger: Ledger, *, month: str, outcome: str | None = None, unit: str | None = None, limit: int | None = None
) -> list[CheckRecord]:
    """The month's checks (CST), oldest first; ``outcome``: adopted, overridden or none
    (no outcome recorded yet), matched on the outcome in force."""
    # in UTC, as the rows are written: SQLite keeps the wall-clock time of what it is given
    start, end = (t.astimezone(timezone.utc) for t in month_bounds(month))
    wanted = None if outcome is None else ("none" if outcome.strip() in ("none", "未记录") else parse_outcome(outcome).value)
    query = select(checks).where(and_(checks.c.at >= start, checks.c.at < end)).order_by(checks.c.seq)
    if unit:
        query = query.where(checks.c.unit == unit)
    with ledger.reading() as conn:
        rows = list(conn.execute(query).mappings())
        outs = _outcomes(conn, [r["id"] for r in rows])
    found = []
    for r in rows:
        rec = _record(r, outs.get(r["id"], []))
        current = rec.outcome.outcome.value if rec.outcome else "none"
        if wanted is None or current == wanted:
            found.append(rec)
            if limit is not None and len(found) >= limit:
                break
    return found


def count_checks(ledger: Ledger) -> int:
    with ledger.reading() as conn:
        return int(conn.execute(select(func.count()).select_from(checks)).scalar_one())


def action_label(action: str) -> str:
    """The action in the words of the pages and the CLI (models.Action.label)."""
    from fangfei_screen.models import Action

    try:
        return Action(action).label
    except ValueError:
        return action


CHANNEL_LABELS = {"api": "接口", "batch": "接口（批量）", "page": "页面"}
EXPORT_HEADERS = (
    "核查编号", "核查时间", "渠道", "调用方", "调用系统", "单位", "调用方编号", "登记类型", "名称", "经营范围",
    "输入sha256", "清单版本", "清单sha256", "检查结论", "计入字样", "处理结果", "理由", "记录人", "记录时间", "记录次数",
)
KIND_LABELS = {"new": "设立登记", "change": "变更登记", "existing": "存量主体"}


def record_cells(rec: CheckRecord) -> list[str]:
    """One row of the export (and of ``checks list``), in the order of EXPORT_HEADERS."""
    o = rec.outcome
    text = rec.input or {}
    return [
        rec.id, rec.at.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S"), CHANNEL_LABELS.get(rec.channel, rec.channel),
        rec.caller or "（匿名）", rec.system, rec.unit, rec.ref or "", KIND_LABELS.get(rec.kind, rec.kind),
        str(text.get("name") or ""), str(text.get("scope") or ""), rec.input_sha256, rec.list_version, rec.list_sha256,
        action_label(rec.action), "、".join(rec.terms),
        o.outcome.label if o else "未记录", o.reason if o else "", o.by if o else "",
        o.at.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S") if o else "", str(len(rec.outcomes)),
    ]


def export_checks(ledger: Ledger, *, month: str, output: str | Path, outcome: str | None = None, unit: str | None = None) -> int:
    """The month's checks as an .xlsx sheet 核查记录 with Chinese headers; returns the count."""
    import xlsxwriter

    from fangfei_screen.atomic import atomic_output
    from fangfei_screen.tables import neutralise_formula, xlsx_safe

    output = Path(output)
    if output.suffix.lower() != ".xlsx":
        raise LedgerError("核查记录应导出为 .xlsx 文件 / the export is written as .xlsx")
    if not output.parent.exists():
        raise LedgerError(f"输出目录不存在 / no such directory: {output.parent}")
    records = list_checks(ledger, month=month, outcome=outcome, unit=unit)
    with atomic_output(output) as tmp:  # complete or absent
        book = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
        sheet = book.add_worksheet("核查记录")
        bold = book.add_format({"bold": True})
        sheet.write_row(0, 0, EXPORT_HEADERS, bold)
        for i, rec in enumerate(records, start=1):
            sheet.write_row(i, 0, [xlsx_safe(neutralise_formula(v)) for v in record_cells(rec)])
        for col, header in enumerate(EXPORT_HEADERS):
            sheet.set_column(col, col, 40 if header in ("名称", "经营范围") else max(12, len(header) * 2 + 2))
        sheet.freeze_panes(1, 1)
        sheet.autofilter(0, 0, max(len(records), 1), len(EXPORT_HEADERS) - 1)
        book.close()
    return len(records)
