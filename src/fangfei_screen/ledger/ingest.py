"""Recording a month's ``scan`` results: clues new, recurring, resolved, missing or closed.

The whole ingest is one transaction under the ledger's write lock: a killed or failed
ingest leaves the ledger as it was. The same file for the same month changes nothing;
another file for a unit and month already recorded needs ``replace``.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from fangfei_screen.readers import Chunk
from fangfei_screen.values import CodeState, code_key, code_notes, code_state

from .db import Ledger, LedgerError, bulk_insert
from .history import now, record, record_many
from .months import parse_month
from .schema import batches, clue_facts, clue_months, entities, finding_months, findings, licence_reviews, unit_months
from .source import CLOSED_ACTION, FLAGGED, VERIFY_ACTION, ScreenedRow, file_sha256, screened_chunks

OPEN_STATES = frozenset({"new", "recurring", "missing"})
# A name of a licensed kind of institution (verify_licence) waits in licence_pending until a
# reviewer records its licence (then licensed, not a clue) or its absence (then a clue).
PENDING_STATE, LICENSED_STATE = "licence_pending", "licensed"
STATES = ("new", "recurring", "resolved", "missing", "closed", PENDING_STATE, LICENSED_STATE)
# the strict action of an existing entity found without a licence
UNLICENSED_ACTION = "order_rename"
_CONTEXT = 6  # characters kept either side of a match
_IN_CHUNK = 500


class IngestConflict(LedgerError):
    """Another file is recorded for the unit and month: replacing it needs ``replace``."""

    def __init__(self, message: str, *, batch_id: int, file_name: str, by: str, at: Any) -> None:
        super().__init__(message)
        self.batch_id, self.file_name, self.by, self.at = batch_id, file_name, by, at


@dataclass
class IngestSummary:
    batch_id: int | None
    unit: str
    month: str
    rows: int = 0
    flagged: int = 0
    states: Counter[str] = field(default_factory=Counter)
    reopened: int = 0
    unchanged: bool = False
    replaced: int | None = None
    skipped: int = 0
    codes: Counter[CodeState] = field(default_factory=Counter)  # rows by what their credit code cell holds
    selection: str = ""  # which rows were the unit's, when the file holds other units' too
    left_out: int = 0  # rows of other units, not recorded

    def lines(self) -> list[str]:
        if self.unchanged:
            return [f"该文件已于此前录入 {self.unit} {self.month}（批次 {self.batch_id}），台账未变 / already ingested, nothing changed"]
        out = [f"录入 {self.unit} {self.month}（批次 {self.batch_id}）：读取 {self.rows} 行，命中 {self.flagged} 个主体"]
        if self.selection:
            out.append(f"  只录入{self.selection}；其他单位的 {self.left_out} 行未录入 / rows of other units left out: {self.left_out}")
        if self.replaced is not None:
            out.append(f"  已替换此前的批次 {self.replaced} / replaced batch {self.replaced}")
        labels = {"new": "新发", "recurring": "持续", "resolved": "已消除", "missing": "本月缺失待核", "closed": "已注销/吊销/撤销/迁出",
                  PENDING_STATE: "待核实牌照", LICENSED_STATE: "已核实持牌"}
        out += [f"  {labels[s]} {s}: {self.states.get(s, 0)}" for s in STATES if s in self.states or s in STATES[:5]]
        if self.skipped:
            out.append(f"  本月已由其他单位录入、未重复记录的主体 already recorded this month by another unit: {self.skipped}")
        if self.reopened:
            out.append(f"  文字已变、重新打开的复核结论 reopened decisions: {self.reopened}")
        out += [f"  {n}" for n in code_notes(self.codes[CodeState.INVALID], self.codes[CodeState.BAD_CHECK])]
        return out


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), _IN_CHUNK):
        yield items[i : i + _IN_CHUNK]


def latest_states(conn: Connection, before_month: str) -> dict[str, str]:
    """Each entity's clue state in the latest month before ``before_month``."""
    latest = (
        select(clue_months.c.key, func.max(clue_months.c.month).label("month"))
        .where(clue_months.c.month < before_month)
        .group_by(clue_months.c.key)
        .subquery()
    )
    q = select(clue_months.c.key, clue_months.c.state).join(
        latest, (clue_months.c.key == latest.c.key) & (clue_months.c.month == latest.c.month)
    )
    return {k: s for k, s in conn.execute(q)}


@dataclass
class _Seen:
    row: ScreenedRow
    hits: list[dict[str, Any]]
    seq: int


def _findings_of(row: ScreenedRow, hits: Iterable[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """One finding per term and field: the first occurrence, with context."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for h in hits:
        term, fld = str(h["keyword"]), str(h["field"])
        if (term, fld) in out:
            continue
        known = fld == "name" or row.has_scope  # rescreen's output has no scope: its text is unknown
        text = row.text_of(h)
        start, end = int(h.get("start", 0)), int(h.get("end", 0))
        out[(term, fld)] = {
            "text": str(h.get("text", "")),
            "context": text[max(0, start - _CONTEXT) : end + _CONTEXT] if known else str(h.get("text", "")),
            # the whole field (every scope column together): a change anywhere in it reopens a decision
            "text_sha": _sha(row.name if fld == "name" else row.scope) if known else "",
            "category": int(h.get("category", 6)),
            "list_name": str(h.get("list", "")),
            "list_version": str(h.get("list_version", "")),
            "hit": h,
        }
    return out


def ingest(
    ledger: Ledger,
    path: str | Path,
    *,
    month: str,
    unit: str,
    by: str,
    complete: bool = False,
    replace: bool = False,
    sheet: str | None = None,
    source: str = "",
    file_name: str | None = None,
    chunk_rows: int = 10_000,  # rows read at a time: what bounds the memory an ingest needs
    reader: Callable[..., Iterator[Chunk]] | None = None,  # how the file is read (source.screened_chunks)
) -> IngestSummary:
    """Record a results file of ``scan`` (or ``rescreen``-style output with hits) for a unit and month.

    Only the unit's rows are recorded (ledger.units: the sheet named after it, or the rows
    whose 所属乡镇/单位 column names it; ``sheet`` maps a sheet to the unit explicitly).
    ``source`` is the 线索来源 the unit gives its screening (ledger.clues.SCREENING_ORIGINS)."""
    from .clues import screening_origin
    from .units import select_rows

    month = parse_month(month)
    unit, by = unit.strip(), by.strip()
    if not unit:
        raise LedgerError("--unit 不能为空 / the unit is empty")
    if not by:
        raise LedgerError("--by 不能为空：台账的每一处改动都记录由谁做出 / --by is required")
    origin = screening_origin(source)
    unit = ledger_unit(ledger, unit)
    sha = file_sha256(path)
    selection = select_rows(path, unit, sheet=sheet)
    return ledger.write(lambda conn: _ingest(conn, Path(path), sha=sha, month=month, unit=unit, by=by, complete=complete,
                                             replace=replace, chunk_rows=chunk_rows, selection=selection, origin=origin,
                                             file_name=file_name, reader=reader))


def ledger_unit(ledger: Ledger, unit: str) -> str:
    """The unit as the ledger already writes it, when the typed one names exactly one
    (新马桥 and 固镇县新马桥镇 name 新马桥镇): one township is never recorded as two units."""
    from .sending import reporting_units
    from .units import names_unit

    known = reporting_units(ledger)
    if unit in known:
        return unit
    named = [u for u in known if names_unit(unit, u)]
    return named[0] if len(named) == 1 else unit


def _by_name(conn: Connection, unit: str) -> dict[str, str]:
    """The unit's entities keyed by 统一社会信用代码, by normalised name (names held by one
    entity only): a month whose codes Excel mangled (9.13403E+17) finds them again by name."""
    from .source import normal_name

    found: dict[str, str | None] = {}
    prefix = f"{unit}/"
    rows = conn.execute(select(entities.c.key, entities.c.name).where(entities.c.unit == unit)).all()
    renamed = conn.execute(select(clue_months.c.key, clue_months.c.name).distinct()
                           .join(entities, entities.c.key == clue_months.c.key).where(entities.c.unit == unit)).all()
    for key, name in [*rows, *renamed]:
        if key.startswith(prefix) or not name:
            continue
        plain = normal_name(name)
        found[plain] = key if found.get(plain, key) == key else None  # two entities, one name: no guess
    return {f"{prefix}{n}": k for n, k in found.items() if k is not None}


def _ingest(
    conn: Connection, path: Path, *, sha: str, month: str, unit: str, by: str, complete: bool, replace: bool, chunk_rows: int,
    selection: Any, origin: str, file_name: str | None, reader: Callable[..., Iterator[Chunk]] | None = None,
) -> IngestSummary:
    summary = IngestSummary(batch_id=None, unit=unit, month=month, selection=selection.describe, left_out=selection.left_out)
    current = conn.execute(
        select(unit_months.c.batch_id, batches.c.sha256, batches.c.selection, batches.c.file_name, batches.c.by, batches.c.at)
        .join(batches, batches.c.id == unit_months.c.batch_id)
        .where(unit_months.c.unit == unit, unit_months.c.month == month)
    ).first()
    if current is not None and current.sha256 == sha and current.selection == selection.describe:
        summary.batch_id, summary.unchanged = current.batch_id, True
        return summary
    other = conn.execute(
        select(unit_months.c.unit)
        .join(batches, batches.c.id == unit_months.c.batch_id)
        .where(unit_months.c.month == month, batches.c.sha256 == sha, batches.c.selection == selection.describe)
    ).first()
    if other is not None:
        raise LedgerError(f"同一文件已作为「{other.unit}」{month} 录入，不能再记为「{unit}」/ this file is already recorded for another unit")
    if current is not None and not replace:
        raise IngestConflict(
            f"{unit} {month} 已录入另一文件（批次 {current.batch_id}）；如要替换，请加 --replace / another file is recorded for this unit and month",
            batch_id=current.batch_id, file_name=current.file_name, by=current.by, at=current.at,
        )
    at = now()
    if current is not None:
        summary.replaced = current.batch_id
        _withdraw(conn, current.batch_id, by=by, at=at)

    previous = latest_states(conn, month)
    # a hand-recorded clue (群众举报 …) is not resolved by a screening that does not flag its entity
    manual = {k for (k,) in conn.execute(select(clue_facts.c.key).distinct())}
    open_keys = {k for k, s in previous.items() if (s in OPEN_STATES or s == PENDING_STATE) and k not in manual}
    batch_id = conn.execute(
        insert(batches).values(
            unit=unit, month=month, sha256=sha, file_name=(file_name or path.name)[:500], rows=0, flagged=0,
            complete=complete, list_versions="", by=by, at=at, selection=selection.describe, source=origin, kind="screening",
        )
    ).inserted_primary_key[0]
    summary.batch_id = batch_id
    conn.execute(insert(unit_months).values(unit=unit, month=month, batch_id=batch_id))
    if current is not None:
        conn.execute(update(batches).where(batches.c.id == current.batch_id).values(replaced_by=batch_id))

    # Flagged rows are written chunk by chunk (memory stays flat whatever the file's size);
    # clearances wait for the end, since a later row of the same entity may be flagged.
    # Entities other units' files recorded this month, read once (this ingest holds the
    # write lock, and its own rows are told apart by run.done): a query per chunk over the
    # month's growing rows cost more than the inserts on PostgreSQL.
    others = {k for (k,) in conn.execute(select(clue_months.c.key).where(clue_months.c.month == month))}
    run = _Run(conn, unit=unit, month=month, batch_id=batch_id, by=by, at=at, previous=previous, summary=summary,
               others=others)
    cleared: dict[str, tuple[ScreenedRow, int]] = {}  # open clues seen without counted terms, or closed
    present: set[str] = set()
    watch_unflagged = bool(open_keys) or complete
    every_row = selection.sheet is None and selection.column is None  # a plain file: Selection.takes is always true
    by_name = _by_name(conn, unit)
    name_key = f"{unit}/"
    for chunk in screened_chunks(path, chunk_rows=chunk_rows, **({"reader": reader} if reader else {})):
        flagged: dict[str, _Seen] = {}
        if every_row:
            summary.codes.update(map(code_state, chunk.credit_code))
        for i, action in enumerate(chunk.action):
            if not every_row:
                if not chunk.takes(i, selection):
                    continue  # another unit's row: never recorded as this unit's (nor counted)
                summary.codes[code_state(chunk.credit_code[i])] += 1
            summary.rows += 1
            if action in FLAGGED or action == CLOSED_ACTION:
                row = chunk.row(i)
                key = chunk.key(i, unit)
                if key.startswith(name_key):
                    key = by_name.get(key, key)
            elif watch_unflagged:
                key = chunk.key(i, unit)
                if key.startswith(name_key):
                    key = by_name.get(key, key)
                if key not in open_keys:
                    if complete:
                        present.add(key)
                    continue
                row = chunk.row(i)
            else:
                continue  # the fast path: a clean row of an entity without an open clue
            if complete:
                present.add(key)
            if row.flagged:
                seen = flagged.get(key)
                if seen is None:
                    flagged[key] = _Seen(row, list(row.hits), summary.rows)
                else:
                    seen.hits.extend(row.hits)  # the same entity twice in one file: one clue
                cleared.pop(key, None)
            elif key in open_keys and key not in flagged and key not in run.done:
                if row.closed or key not in cleared:
                    cleared[key] = (row, summary.rows)
        run.flagged(flagged)
    for key in run.taken(list(cleared)):
        cleared.pop(key)
    month_rows, events = [], []
    for key, (row, seq) in cleared.items():
        if key in run.done:
            continue
        state = "closed" if row.closed else "resolved"
        summary.states[state] += 1
        month_rows.append(_month_row(key, month, batch_id, state, row, seq))
        events.append(_event(run, key, state, row, []))
    if complete:
        unit_open = _unit_keys(conn, unit, open_keys)
        for key in sorted(unit_open - present):
            summary.states["missing"] += 1
            month_rows.append({"key": key, "month": month, "batch_id": batch_id, "state": "missing", "action": "",
                               "name": "", "scope": "", "address": "", "status": "", "screened_on": "", "seq": summary.rows + 1})
            events.append(_event(run, key, "missing", None, []))
    bulk_insert(conn, clue_months, month_rows)
    record_many(conn, events, at=at)
    summary.flagged = len(run.done)
    conn.execute(update(batches).where(batches.c.id == batch_id).values(
        rows=summary.rows, flagged=summary.flagged, list_versions="; ".join(sorted(run.versions))[:500]))
    record(conn, by=by, subject="batch", action="ingest", batch_id=batch_id, at=at,
           after={"unit": unit, "month": month, "sha256": sha, "file": path.name, "rows": summary.rows,
                  "states": dict(summary.states), "replaced": summary.replaced, "complete": complete,
                  "selection": selection.describe, "left_out": selection.left_out, "source": origin})
    return summary


def _event(run: _Run, key: str, state: str, row: ScreenedRow | None, terms: list[str]) -> dict[str, Any]:
    after: dict[str, Any] = {"state": state, "month": run.month, "terms": terms}
    if row is not None:
        after.update(name=row.name, scope=row.scope, status=row.status)
    return {"by": run.by, "subject": "entity", "action": state, "key": key, "batch_id": run.batch_id,
            "before": {"state": run.previous.get(key)}, "after": after}


@dataclass
class _Run:
    """One ingest's writing state across the file's chunks."""

    conn: Connection
    unit: str
    month: str
    batch_id: int
    by: str
    at: Any
    previous: dict[str, str]
    summary: IngestSummary
    others: set[str] = field(default_factory=set)  # recorded this month before this ingest began
    done: set[str] = field(default_factory=set)  # entities recorded this month by this file
    pairs: set[tuple[str, str, str]] = field(default_factory=set)  # (key, term, field) sighted this month
    versions: set[str] = field(default_factory=set)

    def taken(self, keys: Sequence[str]) -> set[str]:
        """Keys recorded this month by another unit's file (same credit code): theirs stand."""
        out = {k for k in keys if k in self.others and k not in self.done}
        self.summary.skipped += len(out)
        return out

    def flagged(self, flagged: dict[str, _Seen]) -> None:
        """Record one chunk's flagged entities."""
        again = {k: s for k, s in flagged.items() if k in self.done}  # seen in an earlier chunk: more findings only
        fresh = {k: s for k, s in flagged.items() if k not in self.done}
        for key in self.taken(list(fresh)):
            del fresh[key]
        conn, month = self.conn, self.month
        known = _existing_entities(conn, list(fresh))
        reviewed = licence_findings(conn, [k for k, s in fresh.items() if s.row.action == VERIFY_ACTION])
        new_entities, changed_entities, month_rows, events = [], [], [], []
        for key, seen in fresh.items():
            row = seen.row
            state = "recurring" if self.previous.get(key) in OPEN_STATES else "new"
            if row.action == VERIFY_ACTION:
                licensed = reviewed.get(key)
                if licensed is None:
                    state = PENDING_STATE
                elif licensed:
                    state = LICENSED_STATE
                else:  # found without a licence: a clue like any other
                    row = replace(row, action=UNLICENSED_ACTION)
            self.summary.states[state] += 1
            facts = {"name": row.name, "scope": row.scope, "address": row.address}
            if key in known and not row.has_scope:
                facts = {**facts, "scope": known[key]["scope"], "address": known[key]["address"]}
            if key not in known:
                new_entities.append({"key": key, "unit": self.unit, "credit_code": code_key(row.credit_code) or None,
                                     "first_month": month, **facts})
            elif known[key] != facts:
                changed_entities.append({"k": key, **facts})
            month_rows.append(_month_row(key, month, self.batch_id, state, row, seen.seq))
            events.append(_event(self, key, state, row, sorted({str(h["keyword"]) for h in seen.hits})))
        for s in flagged.values():
            self.versions.update(f"{h.get('list', '')} {h.get('list_version', '')}".strip() for h in s.hits)
        bulk_insert(conn, entities, new_entities)
        if changed_entities:
            from sqlalchemy import bindparam

            conn.execute(
                update(entities).where(entities.c.key == bindparam("k")).values(
                    name=bindparam("name"), scope=bindparam("scope"), address=bindparam("address")
                ),
                changed_entities,
            )
        bulk_insert(conn, clue_months, month_rows)
        self.done.update(fresh)
        self.summary.reopened += _record_findings(conn, {**fresh, **again}, month=month, batch_id=self.batch_id,
                                                  by=self.by, at=self.at, pairs=self.pairs)
        record_many(conn, events, at=self.at)


def licence_findings(conn: Connection, keys: Sequence[str]) -> dict[str, bool]:
    """Each entity's recorded licence finding: True licensed, False without a licence."""
    out: dict[str, bool] = {}
    for part in _chunks(keys):
        for k, licensed in conn.execute(select(licence_reviews.c.key, licence_reviews.c.licensed).where(licence_reviews.c.key.in_(part))):
            out[k] = bool(licensed)
    return out


def _month_row(key: str, month: str, batch_id: int, state: str, row: ScreenedRow, seq: int) -> dict[str, Any]:
    return {"key": key, "seq": seq, "month": month, "batch_id": batch_id, "state": state, "action": row.action, "name": row.name,
            "scope": row.scope, "address": row.address, "status": row.status, "screened_on": row.screened_on}


def _existing_entities(conn: Connection, keys: Sequence[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for part in _chunks(keys):
        q = select(entities.c.key, entities.c.name, entities.c.scope, entities.c.address).where(entities.c.key.in_(part))
        for r in conn.execute(q):
            out[r.key] = {"name": r.name, "scope": r.scope, "address": r.address}
    return out


def _unit_keys(conn: Connection, unit: str, keys: set[str]) -> set[str]:
    if not keys:
        return set()
    return {k for (k,) in conn.execute(select(entities.c.key).where(entities.c.unit == unit))} & keys


def _record_findings(
    conn: Connection, flagged: dict[str, _Seen], *, month: str, batch_id: int, by: str, at: Any, pairs: set[tuple[str, str, str]]
) -> int:
    """Insert new findings and this month's sightings; reopen decisions whose text changed."""
    existing: dict[tuple[str, str, str], Any] = {}
    keys = list(flagged)
    for part in _chunks(keys):
        q = select(findings.c.key, findings.c.term, findings.c.field, findings.c.decision, findings.c.decided_text_sha,
                   findings.c.reason).where(findings.c.key.in_(part))
        for r in conn.execute(q):
            existing[(r.key, r.term, r.field)] = r
    new_rows, month_rows, reopen, events = [], [], [], []
    for key, seen in flagged.items():
        for (term, fld), f in _findings_of(seen.row, seen.hits).items():
            if (key, term, fld) in pairs:
                continue  # already sighted this month by an earlier row of the same entity
            pairs.add((key, term, fld))
            old = existing.get((key, term, fld))
            if old is None:
                new_rows.append({"key": key, "term": term, "field": fld, "category": f["category"], "first_month": month})
            elif old.decision and f["text_sha"] and old.decided_text_sha != f["text_sha"]:
                reopen.append({"k": key, "t": term, "f": fld})
                events.append({"by": by, "subject": "finding", "action": "reopened", "key": key, "batch_id": batch_id,
                               "before": {"term": term, "field": fld, "decision": old.decision, "reason": old.reason},
                               "after": {"term": term, "field": fld, "decision": None, "why": "该处文字已变 / the text changed"}})
            month_rows.append({"key": key, "term": term, "field": fld, "month": month, "batch_id": batch_id,
                               "text": f["text"], "context": f["context"], "text_sha": f["text_sha"],
                               "list_name": f["list_name"], "list_version": f["list_version"],
                               "hit": _json(f["hit"])})
    bulk_insert(conn, findings, new_rows)
    if reopen:
        from sqlalchemy import bindparam

        conn.execute(
            update(findings)
            .where(findings.c.key == bindparam("k"), findings.c.term == bindparam("t"), findings.c.field == bindparam("f"))
            .values(decision=None, reason=None, decided_by=None, decided_at=None, decided_text_sha=None),
            reopen,
        )
    bulk_insert(conn, finding_months, month_rows)
    record_many(conn, events, at=at)
    return len(reopen)


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def _withdraw(conn: Connection, batch_id: int, *, by: str, at: Any) -> None:
    """Take back what a replaced file recorded for its month (with history rows)."""
    rows = conn.execute(select(clue_months).where(clue_months.c.batch_id == batch_id)).mappings().all()
    record_many(
        conn,
        ({"by": by, "subject": "entity", "action": "withdrawn", "key": r["key"], "batch_id": batch_id,
          "before": {"state": r["state"], "month": r["month"]}, "after": None} for r in rows),
        at=at,
    )
    conn.execute(delete(finding_months).where(finding_months.c.batch_id == batch_id))
    conn.execute(delete(clue_months).where(clue_months.c.batch_id == batch_id))
    conn.execute(delete(unit_months).where(unit_months.c.batch_id == batch_id))
