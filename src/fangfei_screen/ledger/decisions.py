"""Reviewers' decisions on findings and the disposal of clues, each with its history row."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy import Connection, insert, select, update

from .db import Ledger, LedgerError
from .forms import Disposal
from .history import now, record
from .months import month_of
from .queries import resolve_key
from .schema import disposals, finding_months, findings

DECISIONS = ("other_sense", "confirmed")


def review(ledger: Ledger, key: str, *, term: str, decision: str, by: str, reason: str = "", field: str | None = None) -> list[dict[str, Any]]:
    """Decide the findings of ``term`` (in ``field``, or both fields) of one entity."""
    if decision not in DECISIONS:
        raise LedgerError(f"结论应为 {' 或 '.join(DECISIONS)}")
    if not by.strip():
        raise LedgerError("--by 不能为空 / --by is required")
    if decision == "other_sense" and not reason.strip():
        raise LedgerError("认定为其他含义时须写明 --reason / a reason is required")

    def work(conn: Connection) -> list[dict[str, Any]]:
        k = resolve_key(conn, key)
        q = select(findings).where(findings.c.key == k, findings.c.term == term.strip())
        if field:
            q = q.where(findings.c.field == field)
        rows = conn.execute(q).mappings().all()
        if not rows:
            raise LedgerError(f"主体 {k} 没有字样「{term}」的发现 / no such finding")
        at, changed = now(), []
        for r in rows:
            last = conn.execute(
                select(finding_months.c.text_sha, finding_months.c.month)
                .where(finding_months.c.key == k, finding_months.c.term == r["term"], finding_months.c.field == r["field"],
                       finding_months.c.text_sha != "")  # a rescreen sighting does not know the text
                .order_by(finding_months.c.month.desc()).limit(1)
            ).first()
            after = {"term": r["term"], "field": r["field"], "decision": decision, "reason": reason.strip(),
                     "month": last.month if last else None}
            conn.execute(
                update(findings)
                .where(findings.c.key == k, findings.c.term == r["term"], findings.c.field == r["field"])
                .values(decision=decision, reason=reason.strip(), decided_by=by.strip(), decided_at=at,
                        decided_text_sha=last.text_sha if last else None)
            )
            record(conn, by=by.strip(), subject="finding", action=f"review_{decision}", key=k, at=at,
                   before={"term": r["term"], "field": r["field"], "decision": r["decision"], "reason": r["reason"]}, after=after)
            changed.append(after)
        return changed

    return ledger.write(work)


def dispose(ledger: Ledger, key: str, form: Disposal, *, by: str) -> tuple[str, bool]:
    """Record a disposal; returns (key, recorded) — False when the same disposal is already there."""
    if not by.strip():
        raise LedgerError("--by 不能为空 / --by is required")
    form = form.cleaned()
    if not form.date:
        form = Disposal(**{**asdict(form), "date": date.today().isoformat()})
    problems = form.problems()
    if problems:
        raise LedgerError("；".join(problems.values()))

    def work(conn: Connection) -> tuple[str, bool]:
        k = resolve_key(conn, key)
        return k, add_disposal(conn, k, form, by=by.strip())

    return ledger.write(work)


def add_disposal(conn: Connection, key: str, form: Disposal, *, by: str) -> bool:
    """Insert a validated disposal unless the same one is recorded (same fingerprint)."""
    fp = form.fingerprint()
    if conn.execute(select(disposals.c.id).where(disposals.c.key == key, disposals.c.fingerprint == fp)).first():
        return False
    day = date.fromisoformat(form.date)
    values = {**asdict(form), "key": key, "date": day, "month": month_of(day), "fingerprint": fp, "by": by, "at": now()}
    conn.execute(insert(disposals).values(**values))
    record(conn, by=by, subject="disposal", action="disposed", key=key, after=asdict(form))
    return True
