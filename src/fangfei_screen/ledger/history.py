"""The append-only history: one row per change, written in the change's own transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from .db import bulk_insert

from .schema import history


def now() -> datetime:
    return datetime.now(UTC)


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def record(
    conn: Connection,
    *,
    by: str,
    subject: str,
    action: str,
    key: str | None = None,
    before: Any = None,
    after: Any = None,
    batch_id: int | None = None,
    at: datetime | None = None,
) -> None:
    record_many(conn, [dict(by=by, subject=subject, action=action, key=key, before=before, after=after, batch_id=batch_id)], at=at)


def record_many(conn: Connection, rows: Iterable[Mapping[str, Any]], *, at: datetime | None = None) -> int:
    """Insert history rows (dicts with by, subject, action, key, before, after, batch_id)."""
    at = at or now()
    values = [
        {
            "at": at,
            "by": r["by"],
            "subject": r["subject"],
            "action": r["action"],
            "key": r.get("key"),
            "before": _json(r.get("before")),
            "after": _json(r.get("after")),
            "batch_id": r.get("batch_id"),
        }
        for r in rows
    ]
    return bulk_insert(conn, history, values)


def entries(conn: Connection, key: str) -> list[dict[str, Any]]:
    """The history of one entity (its clue, findings and disposals), oldest first."""
    rows = conn.execute(select(history).where(history.c.key == key).order_by(history.c.id)).mappings()
    return [
        {
            "at": r["at"].isoformat() if r["at"] else None,
            "by": r["by"],
            "subject": r["subject"],
            "action": r["action"],
            "before": json.loads(r["before"]) if r["before"] else None,
            "after": json.loads(r["after"]) if r["after"] else None,
            "batch_id": r["batch_id"],
        }
        for r in rows
    ]
