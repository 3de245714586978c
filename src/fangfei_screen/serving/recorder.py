"""Appending checks to the record from one writer thread, many checks per transaction.

Requests hand their entries to ``CheckRecorder.append`` and await its future; the writer
takes whatever has queued up (up to ``MAX_BATCH`` entries) and appends it in one
transaction, so that a busy service pays one commit for many checks and the event loop
never waits on the database.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass

from ..ledger.checks import CheckEntry, append_checks
from .ledgerref import LedgerRef

MAX_BATCH = 500
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
            if stop:
                return

    def _write(self, batch: list[_Work]) -> None:
        try:
            ledger = self.ledger.get()
            if ledger is not None:
                append_checks(ledger, [e for w in batch for e in w.entries])
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
