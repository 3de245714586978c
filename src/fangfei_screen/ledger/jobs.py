"""Bulk jobs of the pages and their queue, and sign-in failures, in the ledger database
(issue 19): every worker of `serve`, and every `serve` on the same ledger, sees the same
jobs and one limit of sign-in tries; a restart keeps the queue.

A job is a row; the input file stays in the jobs folder (checked against the size and
sha256 kept here). A worker takes the oldest queued job in one transaction: with
``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, and with an ``UPDATE … WHERE state =
'queued'`` that only one writer can win on SQLite (whose write lock is the database's).
A running job carries the id of its worker and a lease the worker renews; only a job
whose worker is gone (a process of this machine that no longer exists; another
machine's worker whose lease ran out) is called interrupted.

Every function here waits on the database: call it from a worker thread.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, delete, func, insert, select, update

from .db import Ledger
from .schema import bulk_jobs, sign_in_failures

T = TypeVar("T")
COLUMNS = ("id", "owner", "unit", "original_name", "suffix", "size", "sha256", "state", "created", "queued", "worker",
           "lease")
_JOBS_LOCK = 0x66666A62  # pg_advisory_xact_lock key of the job queue (not the ledger-wide one)


def worker_id() -> str:
    """This process, as other workers can tell whether it still lives: host, boot, pid, and a
    random part (a later process that gets the same pid is another worker)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()[:36]
    except OSError:
        boot = "-"
    return f"{socket.gethostname()[:80]}|{boot}|{os.getpid()}|{secrets.token_hex(4)}"


def worker_gone(worker: str | None, *, me: str) -> bool:
    """Whether the worker named ``worker`` is known to be dead: a process of this machine
    (same host and boot) that no longer exists. Another machine's worker is never known
    dead here: its lease tells."""
    if not worker:
        return False
    parts, mine = worker.split("|"), me.split("|")
    if len(parts) != 4 or parts[:2] != mine[:2]:
        return False
    if worker == me:
        return False
    try:
        pid = int(parts[2])
    except ValueError:
        return False
    if pid == os.getpid():
        return True  # an earlier process with this pid: this one is not it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # exists (not ours to signal)
    return False


def _write(ledger: Ledger, work: Callable[[Connection], T]) -> T:
    """A short transaction on the jobs: SQLite's is the database's write lock (ledger.write);
    on PostgreSQL row locks do, so a month's ingest (the ledger-wide lock) does not hold it up."""
    if ledger.is_sqlite:
        return ledger.write(work)
    with ledger.engine.begin() as conn:
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(ledger.busy_timeout * 1000)}")
        return work(conn)


def _row_to_state(row: Any) -> dict[str, Any]:
    state = {k: row[k] for k in COLUMNS}
    try:
        extra = json.loads(row["data"] or "{}")
    except ValueError:
        extra = {}
    return {**extra, **state}


def _split(changes: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    cols = {k: v for k, v in changes.items() if k in COLUMNS and k != "id"}
    extra = {k: v for k, v in changes.items() if k not in COLUMNS}
    return cols, extra


def add_job(ledger: Ledger, state: dict[str, Any]) -> None:
    """A new job (``state`` as the folder's state.json had it)."""
    cols, extra = _split(state)
    _write(ledger, lambda conn: conn.execute(insert(bulk_jobs).values(id=state["id"], data=json.dumps(extra, ensure_ascii=False), **cols)))


def get_job(ledger: Ledger, job_id: str) -> dict[str, Any] | None:
    with ledger.reading() as conn:
        row = conn.execute(select(bulk_jobs).where(bulk_jobs.c.id == job_id)).mappings().first()
    return None if row is None else _row_to_state(row)


def recent_jobs(ledger: Ledger, *, unit: str | None, limit: int) -> list[dict[str, Any]]:
    """The newest jobs (of ``unit``, or every unit's), newest first."""
    q = select(bulk_jobs).order_by(bulk_jobs.c.created.desc()).limit(limit)
    if unit is not None:
        q = q.where(bulk_jobs.c.unit == unit)
    with ledger.reading() as conn:
        return [_row_to_state(r) for r in conn.execute(q).mappings()]


def update_job(ledger: Ledger, job_id: str, changes: dict[str, Any], *, only_if: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """Apply ``changes`` to a job; the job as it is then, or None (no such job, or it no
    longer matches ``only_if``, e.g. ``{"state": "uploaded"}``)."""
    cols, extra = _split(changes)

    def work(conn: Connection) -> dict[str, Any] | None:
        q = select(bulk_jobs).where(bulk_jobs.c.id == job_id)
        if not ledger.is_sqlite:
            q = q.with_for_update()
        row = conn.execute(q).mappings().first()
        if row is None or any(row[k] != v for k, v in (only_if or {}).items()):
            return None
        data = {**json.loads(row["data"] or "{}"), **extra}
        conn.execute(update(bulk_jobs).where(bulk_jobs.c.id == job_id).values(data=json.dumps(data, ensure_ascii=False), **cols))
        return {**data, **{k: row[k] for k in COLUMNS}, **cols}

    return _write(ledger, work)


def claim_next(ledger: Ledger, *, worker: str, now: float, at_once: int, lease_seconds: float) -> dict[str, Any] | None:
    """Take the oldest queued job for ``worker``, unless ``at_once`` jobs already run (with a
    live lease) on this ledger; the job, now running, or None."""

    def work(conn: Connection) -> dict[str, Any] | None:
        if not ledger.is_sqlite:
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_JOBS_LOCK})")  # one claimer at a time counts
        running = conn.execute(select(func.count()).select_from(bulk_jobs).where(
            bulk_jobs.c.state == "running", bulk_jobs.c.lease > now - lease_seconds)).scalar_one()
        if running >= at_once:
            return None
        q = select(bulk_jobs.c.id).where(bulk_jobs.c.state == "queued").order_by(bulk_jobs.c.queued, bulk_jobs.c.created).limit(1)
        if not ledger.is_sqlite:
            q = q.with_for_update(skip_locked=True)
        job_id = conn.execute(q).scalar()
        if job_id is None:
            return None
        taken = conn.execute(update(bulk_jobs).where(bulk_jobs.c.id == job_id, bulk_jobs.c.state == "queued").values(
            state="running", worker=worker, lease=now))
        if taken.rowcount != 1:
            return None
        row = conn.execute(select(bulk_jobs).where(bulk_jobs.c.id == job_id)).mappings().one()
        return _row_to_state(row)

    return _write(ledger, work)


def renew_leases(ledger: Ledger, *, worker: str, now: float) -> int:
    """Renew the lease of every job ``worker`` runs; how many."""
    return _write(ledger, lambda conn: conn.execute(update(bulk_jobs).where(
        bulk_jobs.c.worker == worker, bulk_jobs.c.state == "running").values(lease=now)).rowcount)


def interrupted(state: dict[str, Any], *, me: str, now: float, lease_seconds: float) -> bool:
    """Whether a job's worker died under it. A worker of this machine died when its process
    is gone (a lease held up by another process's long write lock does not make it dead);
    another machine's, when its lease ran out."""
    if state.get("state") != "running":
        return False
    worker = str(state.get("worker") or "")
    if worker.split("|")[:2] == me.split("|")[:2] and len(worker.split("|")) == 4:
        return worker_gone(worker, me=me)
    return now - float(state.get("lease") or 0) > lease_seconds


def mark_interrupted(ledger: Ledger, *, me: str, now: float, lease_seconds: float, message: str) -> list[str]:
    """Record as failed (interrupted) every running job whose worker died; their ids."""
    with ledger.reading() as conn:
        rows = [_row_to_state(r) for r in conn.execute(select(bulk_jobs).where(bulk_jobs.c.state == "running")).mappings()]
    done = []
    for state in rows:
        if interrupted(state, me=me, now=now, lease_seconds=lease_seconds):
            # only if it is still the same run (its worker did not renew meanwhile)
            if update_job(ledger, state["id"], {"state": "failed", "interrupted": True, "message": message, "finished": now},
                          only_if={"state": "running", "worker": state["worker"], "lease": state["lease"]}) is not None:
                done.append(state["id"])
    return done


def delete_jobs(ledger: Ledger, job_ids: Iterable[str]) -> None:
    ids = list(job_ids)
    if ids:
        _write(ledger, lambda conn: conn.execute(delete(bulk_jobs).where(bulk_jobs.c.id.in_(ids))))


# -- sign-in failures ------------------------------------------------------------------


def failures_of(ledger: Ledger, keys: list[str]) -> dict[str, tuple[int, float]]:
    """(count, time of the last) per key that has failures."""
    with ledger.reading() as conn:
        rows = conn.execute(select(sign_in_failures).where(sign_in_failures.c.key.in_(keys))).mappings()
        return {r["key"]: (int(r["count"]), float(r["last"])) for r in rows}


def add_failure(ledger: Ledger, keys: list[str], *, now: float, memory: float) -> None:
    """One more failure for each key (counting from one again after ``memory`` seconds
    without any); failures older than ``memory`` are forgotten."""

    def work(conn: Connection) -> None:
        conn.execute(delete(sign_in_failures).where(sign_in_failures.c.last < now - memory))
        have = {r["key"]: r for r in conn.execute(select(sign_in_failures).where(sign_in_failures.c.key.in_(keys))).mappings()}
        for key in keys:
            if key in have:
                conn.execute(update(sign_in_failures).where(sign_in_failures.c.key == key).values(
                    count=sign_in_failures.c.count + 1, last=now))
            else:
                conn.execute(insert(sign_in_failures).values(key=key, count=1, last=now))

    ledger.write(work)


def clear_failures(ledger: Ledger, keys: list[str]) -> None:
    ledger.write(lambda conn: conn.execute(delete(sign_in_failures).where(sign_in_failures.c.key.in_(keys))))
