"""The ledger database the service records into, opened when it exists."""

from __future__ import annotations

import threading
import time
from typing import Any

RETRY_SECONDS = 2.0
# How long the record's writer waits for another process's write lock (a month's ingest holds
# it for many seconds) before it answers the waiting checks and writes them when the lock is free.
RECORD_BUSY_SECONDS = 0.5


class LedgerRef:
    """The service's handle on the ledger: opened on first use, once the database exists
    (serving never creates one: ``ledger upgrade``, ``users add`` or ``keys add`` do).

    ``get()`` returns None while there is no ledger database; an existing one that cannot
    be opened (unreachable, at an older schema) raises its LedgerError. Blocking: call it
    from a worker thread.
    """

    def __init__(self, db: str | None) -> None:
        self.db = db
        self._ledger: Any = None
        self._lock = threading.Lock()
        self._absent_until = 0.0

    def get(self) -> Any:
        if self._ledger is not None:
            return self._ledger
        with self._lock:
            if self._ledger is not None:
                return self._ledger
            if time.monotonic() < self._absent_until:
                return None
            try:
                from ..ledger.db import Ledger
            except ImportError:  # no ledger extra: nothing to record into
                self._absent_until = float("inf")
                return None
            ledger = Ledger.open_existing(self.db, busy_timeout=RECORD_BUSY_SECONDS)
            if ledger is None:
                self._absent_until = time.monotonic() + RETRY_SECONDS
                return None
            self._ledger = ledger
            return ledger

    def dispose(self) -> None:
        if self._ledger is not None:
            self._ledger.dispose()
