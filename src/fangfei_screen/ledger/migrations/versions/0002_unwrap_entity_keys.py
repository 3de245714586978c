"""Entity keys as ingest makes them now: codes unwrapped (="…", a leading tab or
apostrophe, which older versions kept, so that next month's clean export became new +
missing), and a code that is no 统一社会信用代码 (9.13403E+17, a number, a truncated
code) replaced by the unit and the normalised name. An entity whose new key another
one already holds is merged into it: its months, findings, decisions, disposals and
history move over, and each re-keyed entity gets a history row.

Revision ID: 0002
Revises: 0006
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from alembic import op

from fangfei_screen.ledger.source import entity_key
from fangfei_screen.values import code_key, unwrap

revision = '0002'
down_revision = '0006'
branch_labels = None
depends_on = None

OPEN_STATES = ("new", "recurring", "missing")
BY = "ledger upgrade"


# Tables keyed by (key, …) besides those handled one by one below: moved row by row, the
# new key's row kept where both keys have one. Those not in the database are passed over.
OTHER_KEYED = ("clue_facts", "key_cases", "licence_reviews")


def _tables(bind: sa.Connection) -> dict[str, sa.Table]:
    meta = sa.MetaData()
    present = set(sa.inspect(bind).get_table_names())
    names = ("entities", "clue_months", "findings", "finding_months", "disposals", "history", *OTHER_KEYED)
    return {n: sa.Table(n, meta, autoload_with=bind) for n in names if n in present}


def new_keys(rows: list[Any]) -> dict[str, str]:
    """old key → new key, for the entities whose key changes."""
    out = {}
    for r in rows:
        key = entity_key(r.unit, unwrap(r.credit_code or ""), unwrap(r.name))
        if key != r.key:
            out[r.key] = key
    return out


def upgrade() -> None:
    bind = op.get_bind()
    t = _tables(bind)
    ent, cm, fi, fm, di, hi = (t[n] for n in ("entities", "clue_months", "findings", "finding_months", "disposals", "history"))
    rows = bind.execute(sa.select(ent)).all()
    moves = new_keys(rows)
    if not moves:
        return
    at = datetime.now(timezone.utc)
    by_key = {r.key: r for r in rows}
    for old, new in moves.items():
        row = by_key[old]
        code = unwrap(row.credit_code or "")
        target = bind.execute(sa.select(ent).where(ent.c.key == new)).first()
        if target is None:
            values = {c: getattr(row, c) for c in ent.c.keys()}
            bind.execute(sa.insert(ent).values({**values, "key": new, "credit_code": code_key(code) or None}))
        elif row.first_month < target.first_month:
            bind.execute(sa.update(ent).where(ent.c.key == new).values(first_month=row.first_month))
        _move_findings(bind, fi, fm, old, new)
        _move_months(bind, cm, old, new)
        for d in bind.execute(sa.select(di.c.id, di.c.fingerprint).where(di.c.key == old)).all():
            clash = bind.execute(sa.select(di.c.id).where(di.c.key == new, di.c.fingerprint == d.fingerprint)).first()
            if clash is None:
                bind.execute(sa.update(di).where(di.c.id == d.id).values(key=new))
            else:
                bind.execute(sa.delete(di).where(di.c.id == d.id))
        for name in OTHER_KEYED:
            if name in t:
                _move_keyed(bind, t[name], old, new)
        bind.execute(sa.update(hi).where(hi.c.key == old).values(key=new))
        bind.execute(sa.delete(ent).where(ent.c.key == old))
        bind.execute(sa.insert(hi).values(
            at=at, by=BY, key=new, subject="entity", action="rekeyed", batch_id=None,
            before=json.dumps({"key": old}, ensure_ascii=False),
            after=json.dumps({"key": new, "merged": target is not None,
                              "why": "统一社会信用代码去除导出时的包裹（=\"…\"、制表符、撇号），或无效代码改按名称对应"},
                             ensure_ascii=False),
        ))
    for new in set(moves.values()):
        _recount_states(bind, cm, new)


def _move_findings(bind: sa.Connection, fi: sa.Table, fm: sa.Table, old: str, new: str) -> None:
    """Findings (with their decisions) and their monthly sightings to the new key."""
    for f in bind.execute(sa.select(fi).where(fi.c.key == old)).all():
        where = (fi.c.key == new, fi.c.term == f.term, fi.c.field == f.field)
        target = bind.execute(sa.select(fi).where(*where)).first()
        if target is None:
            bind.execute(sa.insert(fi).values({**{c: getattr(f, c) for c in fi.c.keys()}, "key": new}))
        else:
            change: dict[str, Any] = {}
            if f.first_month < target.first_month:
                change["first_month"] = f.first_month
            if f.decision and not target.decision:  # a reviewer's decision is never lost
                change.update(decision=f.decision, reason=f.reason, decided_by=f.decided_by, decided_at=f.decided_at,
                              decided_text_sha=f.decided_text_sha)
            if change:
                bind.execute(sa.update(fi).where(*where).values(change))
        for m in bind.execute(sa.select(fm.c.month).where(fm.c.key == old, fm.c.term == f.term, fm.c.field == f.field)).all():
            mine = (fm.c.key == old, fm.c.term == f.term, fm.c.field == f.field, fm.c.month == m.month)
            clash = bind.execute(sa.select(fm.c.month).where(fm.c.key == new, fm.c.term == f.term, fm.c.field == f.field,
                                                             fm.c.month == m.month)).first()
            if clash is None:
                bind.execute(sa.update(fm).where(*mine).values(key=new))
            else:
                bind.execute(sa.delete(fm).where(*mine))
        bind.execute(sa.delete(fi).where(fi.c.key == old, fi.c.term == f.term, fi.c.field == f.field))


def _move_keyed(bind: sa.Connection, table: sa.Table, old: str, new: str) -> None:
    """Rows of a table whose primary key holds ``key`` to the new key (the new key's kept on a clash)."""
    others = [c for c in table.primary_key.columns if c.name != "key"]
    for r in bind.execute(sa.select(table.c.key, *others).where(table.c.key == old)).all():
        same = [c == r._mapping[c.name] for c in others]
        if bind.execute(sa.select(table.c.key).where(table.c.key == new, *same)).first() is None:
            bind.execute(sa.update(table).where(table.c.key == old, *same).values(key=new))
        else:
            bind.execute(sa.delete(table).where(table.c.key == old, *same))


def _move_months(bind: sa.Connection, cm: sa.Table, old: str, new: str) -> None:
    """The clue's months to the new key; where both keys have a month, the sighting
    wins over "missing" (the entity was there, under its other key)."""
    for r in bind.execute(sa.select(cm.c.month, cm.c.state).where(cm.c.key == old)).all():
        clash = bind.execute(sa.select(cm.c.state).where(cm.c.key == new, cm.c.month == r.month)).first()
        mine = (cm.c.key == old, cm.c.month == r.month)
        if clash is not None:
            if clash.state == "missing" and r.state != "missing":
                bind.execute(sa.delete(cm).where(cm.c.key == new, cm.c.month == r.month))
            else:
                bind.execute(sa.delete(cm).where(*mine))
                continue
        bind.execute(sa.update(cm).where(*mine).values(key=new))


def _recount_states(bind: sa.Connection, cm: sa.Table, key: str) -> None:
    """A merged clue "new" in a month after an open one is recurring."""
    before = None
    for r in bind.execute(sa.select(cm.c.month, cm.c.state).where(cm.c.key == key).order_by(cm.c.month)).all():
        if r.state == "new" and before in OPEN_STATES:
            bind.execute(sa.update(cm).where(cm.c.key == key, cm.c.month == r.month).values(state="recurring"))
            before = "recurring"
        else:
            before = r.state


def downgrade() -> None:
    """Keys are not wrapped again: the old keys were the defect."""
