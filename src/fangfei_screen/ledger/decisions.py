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


UNLICENSED_BASIS = "经核实无金融牌照：名称显示为持牌机构类型而未持牌，属疑似非法金融机构，作为风险线索处置。"


def review_licence(
    ledger: Ledger, key: str, *, licensed: bool, by: str, licence_no: str = "", issuer: str = ""
) -> dict[str, Any]:
    """Record the licence of an entity waiting in licence_pending (待核实牌照): licensed, with
    the licence's number and issuer (then it is exempt), or without one (then its latest
    month becomes a new clue of Attachment 2, the basis saying 经核实无金融牌照)."""
    from .ingest import LICENSED_STATE, PENDING_STATE, UNLICENSED_ACTION
    from .schema import clue_months, licence_reviews

    by, licence_no, issuer = by.strip(), licence_no.strip(), issuer.strip()
    if not by:
        raise LedgerError("--by 不能为空 / --by is required")
    if licensed and (not licence_no or not issuer):
        raise LedgerError("核实持牌须写明许可证编号（--licence-no）和发证机关（--issuer）/ the licence number and issuer are required")

    def work(conn: Connection) -> dict[str, Any]:
        k = resolve_key(conn, key)
        months = conn.execute(
            select(clue_months.c.month, clue_months.c.state, clue_months.c.action)
            .where(clue_months.c.key == k).order_by(clue_months.c.month.desc())
        ).all()
        old = conn.execute(select(licence_reviews).where(licence_reviews.c.key == k)).mappings().first()
        if not months or old is None and not any(m.state in (PENDING_STATE, LICENSED_STATE) or m.action == "verify_licence" for m in months):
            raise LedgerError(f"主体 {k} 不是待核实牌照的主体 / the entity has no licence to verify")
        at = now()
        values = {"licensed": licensed, "licence_no": licence_no, "issuer": issuer, "by": by, "at": at}
        if old is None:
            conn.execute(insert(licence_reviews).values(key=k, **values))
        else:
            conn.execute(update(licence_reviews).where(licence_reviews.c.key == k).values(**values))
        latest = months[0]
        after: dict[str, Any] = {"licensed": licensed, "licence_no": licence_no, "issuer": issuer}
        if latest.state in (PENDING_STATE, LICENSED_STATE) or (old is not None and not old["licensed"] and licensed):
            state = LICENSED_STATE if licensed else "new"
            action = "verify_licence" if licensed else UNLICENSED_ACTION
            conn.execute(update(clue_months).where(clue_months.c.key == k, clue_months.c.month == latest.month)
                         .values(state=state, action=action))
            after.update(month=latest.month, state=state)
        after["basis"] = "经核实持有金融牌照，免于限制" if licensed else UNLICENSED_BASIS
        before = {"licensed": old["licensed"], "licence_no": old["licence_no"], "issuer": old["issuer"]} if old else {"state": latest.state}
        record(conn, by=by, subject="entity", action="licence_verified" if licensed else "licence_missing", key=k, at=at,
               before=before, after=after)
        return {"key": k, **after}

    return ledger.write(work)
