"""Reading the ledger: clues by month and state, one entity in full, its history."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, select

from .db import Ledger, LedgerError
from .history import entries
from .schema import batches, clue_facts, clue_months, disposals, entities, finding_months, findings, licence_reviews
from .source import normal_name

LIST_STATES = ("new", "recurring", "resolved", "missing", "closed", "licence_pending", "licensed", "other_sense", "disposed")
_IN_CHUNK = 500


def resolve_key(conn: Connection, key: str) -> str:
    """An entity's key from its key, credit code or (unique) name."""
    text = key.strip()
    for candidate in (text, text.upper()):
        if conn.execute(select(entities.c.key).where(entities.c.key == candidate)).first():
            return candidate
    named = [k for (k,) in conn.execute(select(entities.c.key).where(entities.c.name == text))]
    if not named:
        wanted = normal_name(text)
        pattern = wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        named = [k for (k,) in conn.execute(select(entities.c.key).where(entities.c.key.like(f"%/{pattern}", escape="\\")))]
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        raise LedgerError(f"「{text}」对应多个主体，请用键 / several entities match, use the key: {'、'.join(named[:5])}")
    raise LedgerError(f"台账中没有主体「{text}」/ no such entity in the ledger")


def _decisions(conn: Connection, keys: Sequence[str]) -> dict[tuple[str, str, str], dict[str, Any]]:
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    for i in range(0, len(keys), _IN_CHUNK):
        q = select(findings).where(findings.c.key.in_(keys[i : i + _IN_CHUNK]))
        for r in conn.execute(q).mappings():
            out[(r["key"], r["term"], r["field"])] = dict(r)
    return out


def month_findings(conn: Connection, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """The findings seen for each (key, month), with their current decision."""
    keys = sorted({k for k, _ in pairs})
    months = sorted({m for _, m in pairs})
    wanted = set(pairs)
    decided = _decisions(conn, keys)
    out: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for i in range(0, len(keys), _IN_CHUNK):
        q = (
            select(finding_months)
            .where(finding_months.c.key.in_(keys[i : i + _IN_CHUNK]), finding_months.c.month.in_(months))
            .order_by(finding_months.c.key, finding_months.c.field, finding_months.c.term)
        )
        for r in conn.execute(q).mappings():
            if (r["key"], r["month"]) not in wanted:
                continue
            d = decided.get((r["key"], r["term"], r["field"]), {})
            out[(r["key"], r["month"])].append(
                {
                    "term": r["term"], "field": r["field"], "text": r["text"], "context": r["context"],
                    "list": r["list_name"], "list_version": r["list_version"], "hit": json.loads(r["hit"]),
                    "category": d.get("category"), "decision": d.get("decision"), "reason": d.get("reason"),
                    "decided_by": d.get("decided_by"),
                }
            )
    for found in out.values():  # in the order the scan reported them: name first, then by position
        found.sort(key=lambda f: (f["field"] != "name", int(f["hit"].get("start", 0))))
    return out


def list_clues(
    ledger: Ledger, *, month: str | None = None, unit: str | None = None, state: str | None = None, upto: str | None = None
) -> list[dict[str, Any]]:
    """Each clue with its state in ``month``, or else in its latest month (up to ``upto``)."""
    if state is not None and state not in LIST_STATES:
        raise LedgerError(f"--state 应为 {'|'.join(LIST_STATES)} 之一，而非 '{state}'")
    with ledger.reading() as conn:
        q = select(clue_months, entities.c.unit, entities.c.credit_code, entities.c.name.label("entity_name"),
                   batches.c.source, batches.c.kind).join(
            entities, entities.c.key == clue_months.c.key
        ).join(batches, batches.c.id == clue_months.c.batch_id)
        if month is not None:
            q = q.where(clue_months.c.month == month)
        else:
            latest_q = select(clue_months.c.key, func.max(clue_months.c.month).label("m")).group_by(clue_months.c.key)
            if upto is not None:
                latest_q = latest_q.where(clue_months.c.month <= upto)
            latest = latest_q.subquery()
            q = q.join(latest, (latest.c.key == clue_months.c.key) & (latest.c.m == clue_months.c.month))
        if unit:
            q = q.where(entities.c.unit == unit)
        rows = [dict(r) for r in conn.execute(q.order_by(clue_months.c.month, entities.c.unit, clue_months.c.seq, clue_months.c.key)).mappings()]
        found = month_findings(conn, [(r["key"], r["month"]) for r in rows])
        disposed = _disposed(conn, [r["key"] for r in rows])
        licences = licence_of(conn, [r["key"] for r in rows])
        facts = _facts(conn, [r["key"] for r in rows if r["kind"] == "manual"])
    out = []
    for r in rows:
        fs = found.get((r["key"], r["month"]), [])
        other = bool(fs) and all(f["decision"] == "other_sense" for f in fs)
        done = any(m <= r["month"] for m in disposed.get(r["key"], ()))
        item = {
            "key": r["key"], "unit": r["unit"], "credit_code": r["credit_code"], "month": r["month"], "state": r["state"],
            "other_sense": other, "disposed": done, "name": r["name"] or r["entity_name"], "scope": r["scope"],
            "status": r["status"], "action": r["action"], "address": r["address"], "screened_on": r["screened_on"],
            "terms": list(dict.fromkeys(f["term"] for f in fs if f["decision"] != "other_sense")),
            "findings": fs, "source": r["source"], "kind": r["kind"], "facts": facts.get((r["key"], r["month"])),
            "licence": licences.get(r["key"]),
        }
        if state is None or state == r["state"] or (state == "other_sense" and other) or (state == "disposed" and done):
            out.append(item)
    return out


def licence_of(conn: Connection, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The recorded licence finding of each entity that has one (licensed, licence_no, issuer, by, at)."""
    out: dict[str, dict[str, Any]] = {}
    uniq = sorted(set(keys))
    for i in range(0, len(uniq), _IN_CHUNK):
        for r in conn.execute(select(licence_reviews).where(licence_reviews.c.key.in_(uniq[i : i + _IN_CHUNK]))).mappings():
            out[r["key"]] = {"licensed": bool(r["licensed"]), "licence_no": r["licence_no"], "issuer": r["issuer"],
                             "by": r["by"], "at": r["at"].isoformat() if r["at"] else None}
    return out


def _facts(conn: Connection, keys: Sequence[str]) -> dict[tuple[str, str], dict[str, Any]]:
    """The Attachment 2 facts of hand-recorded clues, by (key, month)."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    uniq = sorted(set(keys))
    for i in range(0, len(uniq), _IN_CHUNK):
        for r in conn.execute(select(clue_facts).where(clue_facts.c.key.in_(uniq[i : i + _IN_CHUNK]))).mappings():
            out[(r["key"], r["month"])] = dict(r)
    return out


def _disposed(conn: Connection, keys: Sequence[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    uniq = sorted(set(keys))
    for i in range(0, len(uniq), _IN_CHUNK):
        for k, m in conn.execute(select(disposals.c.key, disposals.c.month).where(disposals.c.key.in_(uniq[i : i + _IN_CHUNK]))):
            out[k].append(m)
    return out


def show(ledger: Ledger, key: str) -> dict[str, Any]:
    """One entity: its facts, its clue month by month, its findings and disposals."""
    with ledger.reading() as conn:
        key = resolve_key(conn, key)
        ent = dict(conn.execute(select(entities).where(entities.c.key == key)).mappings().one())
        months = [dict(r) for r in conn.execute(select(clue_months).where(clue_months.c.key == key).order_by(clue_months.c.month)).mappings()]
        fs = [dict(r) for r in conn.execute(select(findings).where(findings.c.key == key).order_by(findings.c.field, findings.c.term)).mappings()]
        seen = month_findings(conn, [(key, m["month"]) for m in months])
        ds = [dict(r) for r in conn.execute(select(disposals).where(disposals.c.key == key).order_by(disposals.c.date, disposals.c.id)).mappings()]
        licence = licence_of(conn, [key]).get(key)
    for f in fs:
        f["decided_at"] = f["decided_at"].isoformat() if f["decided_at"] else None
        f["months"] = [m["month"] for m in months if any(x["term"] == f["term"] and x["field"] == f["field"] for x in seen.get((key, m["month"]), []))]
        last = next((x for m in reversed(months) for x in seen.get((key, m["month"]), []) if x["term"] == f["term"] and x["field"] == f["field"]), None)
        f["text"], f["context"], f["list_version"] = (last["text"], last["context"], last["list_version"]) if last else ("", "", "")
        # a finding the latest month no longer holds (renamed, scope changed): not waiting for review
        f["current"] = bool(months and f["months"] and f["months"][-1] == months[-1]["month"])
    latest = months[-1] if months else None
    if latest is not None and latest["name"]:
        # the entity as it stands: the latest month's name and scope (a rename shows at once)
        ent["name"] = latest["name"]
        ent["scope"] = latest["scope"] or ent["scope"]  # a hand-recorded clue's month holds no scope
    for d in ds:
        d["date"] = d["date"].isoformat()
        d["at"] = d["at"].isoformat() if d["at"] else None
        d.pop("fingerprint", None)
    return {
        **ent,
        "months": [{k: m[k] for k in ("month", "state", "action", "name", "scope", "status", "batch_id")} for m in months],
        "findings": fs,
        "disposals": ds,
        "licence": licence,
    }


def history_of(ledger: Ledger, key: str) -> tuple[str, list[dict[str, Any]]]:
    with ledger.reading() as conn:
        key = resolve_key(conn, key)
        return key, entries(conn, key)
