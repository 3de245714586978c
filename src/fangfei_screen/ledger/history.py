"""The append-only history: one row per change, written in the change's own transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from ..models import FIELD_LABELS
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


_STATES = {"new": "新发", "recurring": "持续", "resolved": "已消除", "missing": "本月缺失待核", "closed": "已注销/吊销/撤销/迁出"}
# Disposal fields as a sentence names them (Attachment 3's words), in the form's order
_DISPOSAL_WORDS = (
    ("authority", "负责机关"), ("description", "风险情况"), ("region", "涉及地区"), ("channel", "集资渠道"),
    ("amount", "集资金额（万元）"), ("unrefunded_amount", "未清退金额（万元）"), ("participants", "参与人数"),
    ("unrefunded_people", "未清退人数"), ("police", "移送公安"), ("case_date", "立案时间"), ("admin_finding", "行政认定"),
    ("penalty_date", "处罚时间"), ("penalty_type", "处罚类型"), ("refunded_amount", "已清退（万元）"), ("remark", "备注"),
)


def sentence(entry: Mapping[str, Any]) -> str:
    """One history row as a clerk reads it: 2025-06-20 王城关 记录处置：约谈，负责机关 固镇县市场监督管理局."""
    day = str(entry.get("at") or "")[:10]
    who = entry.get("by") or ""
    action = entry.get("action") or ""
    before = entry.get("before") if isinstance(entry.get("before"), Mapping) else {}
    after = entry.get("after") if isinstance(entry.get("after"), Mapping) else {}
    if action in _STATES:
        terms = "、".join(after.get("terms") or [])
        was = _STATES.get(str(before.get("state")), "")
        what = f"{after.get('month', '')} 筛查：{_STATES[action]}" + (f"（此前{was}）" if was else "")
        return f"{day} {who} {what}" + (f"，字样 {terms}" if terms else "")
    if action == "withdrawn":
        return f"{day} {who} 撤回 {before.get('month', '')} 的记录（该月文件被替换）"
    if action.startswith("review_"):
        verdict = "认定为其他含义" if action == "review_other_sense" else "确认涉金融"
        text = f"{day} {who} {verdict}：{FIELD_LABELS.get(str(after.get('field')), '')}中的“{after.get('term', '')}”"
        return text + (f"，理由 {after['reason']}" if after.get("reason") else "")
    if action == "reopened":
        return f"{day} {who} 重新打开复核：“{before.get('term', '')}”所在文字已变"
    if action == "disposed":
        parts = [f"{label} {after[k]}" for k, label in _DISPOSAL_WORDS if after.get(k)]
        return f"{day} {who} 记录处置：{after.get('measure', '')}" + (f"，{'，'.join(parts)}" if parts else "") + \
            (f"（处置日期 {after['date']}）" if after.get("date") and after.get("date") != day else "")
    if action == "clue_added":
        return (f"{day} {who} 录入线索：{after.get('origin', '')}，发现时间 {after.get('found_on', '')}，"
                f"记入 {after.get('month', '')}" + (f"，{after['remark']}" if after.get("remark") else ""))
    if action == "key_case":
        return (f"{day} {who} 标记为重点案件：{after.get('reason', '')}，包案领导 {after.get('leader', '')}"
                + ("，挂牌督办" if after.get("supervised") else ""))
    return f"{day} {who} {action}"
