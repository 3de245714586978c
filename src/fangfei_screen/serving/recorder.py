"""Appending checks to the record from one writer thread, many checks per transaction.

Requests hand their entries to ``CheckRecorder.append`` and await its future; the writer
takes whatever has queued up (up to ``MAX_BATCH`` entries) and appends it in one
transaction, so that a busy service pays one commit for many checks and the event loop
never waits on the database.

While another process holds the ledger's write lock (``ledger ingest`` of a month's file
does, for many seconds), the waiting checks are answered after the writer's short lock
wait, and their entries stay queued and are written as soon as the lock is free: the
registration desk is never kept waiting on a batch import. The trade: a check answered
during such a lock is lost from the record if this process dies before the lock is free
(logged as it is held). A write the database refuses outright still fails the request.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass

from ..ledger.checks import CheckEntry, append_checks
from ..ledger.db import LedgerBusy
from .ledgerref import LedgerRef

MAX_BATCH = 500
RETRY_MAX_SECONDS = 5.0  # the longest pause between tries while the ledger is locked
QUEUE_LIMIT = 10_000  # entries waiting at most; more are refused (the request gets 503)
log = logging.getLogger("fangfei_screen.serve")


class RecordUnavailable(Exception):
    """The check could not be recorded (no room in the queue, or the database failed)."""


@dataclass(frozen=True, slots=True)
class _Work:
    entries: Sequence[CheckEntry]
    done: Future[bool]


class CheckRecorder:
    """One writer thread appending checks to the ledger's record."""

    def __init__(self, ledger: LedgerRef) -> None:
        self.ledger = ledger
        self._queue: queue.Queue[_Work | None] = queue.Queue(maxsize=QUEUE_LIMIT)
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._stopping = False  # stop() was asked while a write waited for the ledger's lock

    def start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="fangfei-check-record", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        """Write what is queued, then end the writer thread."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=30)
            self._thread = None

    async def append(self, entries: Sequence[CheckEntry]) -> bool:
        """Append ``entries``; True once committed, False when there is no ledger to record
        into. RecordUnavailable when they could not be recorded."""
        self.start()
        done: Future[bool] = Future()
        try:
            self._queue.put_nowait(_Work(entries, done))
        except queue.Full:
            raise RecordUnavailable("核查记录队列已满 / the record's queue is full") from None
        return await asyncio.wrap_future(done)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch, stop = [first], False
            size = len(first.entries)
            while size < MAX_BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
                size += len(more.entries)
            self._write(batch)
            if stop or self._stopping:
                return

    def _write(self, batch: list[_Work]) -> None:
        entries = [e for w in batch for e in w.entries]
        pause = 0.2
        while True:
            try:
                ledger = self.ledger.get()
                if ledger is not None:
                    append_checks(ledger, entries)
                break
            except LedgerBusy:
                # another writer holds the lock: answer now, keep the entries, try again; the
                # checks that arrive meanwhile are answered at once and join the held ones
                for w in batch:
                    _settle(w.done, value=True)
                log.warning("check record waits for the ledger's write lock: %d check(s) held", len(entries))
                deadline = time.monotonic() + pause
                while (left := deadline - time.monotonic()) > 0:
                    try:
                        more = self._queue.get(timeout=left)
                    except queue.Empty:
                        break
                    if more is None:
                        self._stopping = True
                        continue
                    batch.append(more)
                    entries.extend(more.entries)
                    _settle(more.done, value=True)
                pause = min(pause * 2, RETRY_MAX_SECONDS)
                continue
            except Exception as exc:  # noqa: BLE001 - every waiting request gets the failure, the writer lives on
                first_line = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__])[0]
                failure = RecordUnavailable(f"核查记录写入失败 / the record could not be written: {first_line}")
                log.error("check record failed: %s", first_line)
                for w in batch:
                    _settle(w.done, error=failure)
                return
        for w in batch:
            _settle(w.done, value=ledger is not None)
            if ledger is not None:
                for e in w.entries:
                    log.info("decision", extra={"json": {
                        "event": "decision", "check_id": e.id, "channel": e.channel, "caller": e.caller.name,
                        "caller_kind": e.caller.kind, "unit": e.caller.unit, "kind": e.kind, "action": e.action,
                        "keywords": list(e.terms), "list_version": e.list_version, "input_sha256": e.input_sha256,
                    }})


def _settle(done: Future[bool], *, value: bool = False, error: BaseException | None = None) -> None:
    if done.done():
        return
    if error is not None:
        done.set_exception(error)
    else:
        done.set_result(value)
