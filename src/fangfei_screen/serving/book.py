"""The check record as the service and the pages use it: entries made from answers,
appended off the event loop, read back for /v1/checks/{id} and the notice."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ..ledger.checks import Caller, CheckEntry, CheckRecord, add_outcome, get_check, input_sha256, new_check_id
from ..ledger.history import now
from .ledgerref import LedgerRef
from .recorder import CheckRecorder, RecordUnavailable

__all__ = ["CheckBook", "RecordUnavailable"]


class CheckBook:
    """Makes and appends check entries; ``record_text=False`` keeps only the input's sha256."""

    def __init__(self, ledger: LedgerRef, *, record_text: bool = True) -> None:
        self.ledger = ledger
        self.record_text = record_text
        self.recorder = CheckRecorder(ledger)

    def recording(self) -> bool:
        """Whether checks are recorded now (a ledger database exists). Blocking: a worker thread.
        LedgerError when the database exists but cannot be opened."""
        return self.ledger.get() is not None

    @staticmethod
    def new_ids(n: int) -> list[str]:
        return [new_check_id() for _ in range(n)]

    def entry(
        self, *, check_id: str, channel: str, caller: Caller, application: dict[str, Any], answer: dict[str, Any],
        ref: str | None = None, at: datetime | None = None,
    ) -> CheckEntry:
        """The record of one answered check; ``answer`` is hook.answer() of its result."""
        return CheckEntry(
            id=check_id, at=at or now(), channel=channel, caller=caller, kind=str(answer.get("kind") or application.get("kind") or "new"),
            input_sha256=input_sha256(application), list_version=str(answer["list_version"]),
            list_sha256=str(answer["list_sha256"]), action=str(answer["action"]), terms=tuple(answer.get("keywords") or ()),
            ref=ref, input=application if self.record_text else None,
            result={k: v for k, v in answer.items() if k != "check_id"},
        )

    async def append(self, entries: Sequence[CheckEntry]) -> bool:
        """True once recorded; False without a ledger; RecordUnavailable when it failed."""
        return await self.recorder.append(entries)

    def get(self, check_id: str) -> CheckRecord | None:
        """Blocking: a worker thread."""
        ledger = self.ledger.get()
        return get_check(ledger, check_id) if ledger is not None else None

    def add_outcome(self, check_id: str, *, outcome: str, reason: str, by: str, unit: str = "") -> CheckRecord:
        """Blocking: a worker thread. LedgerError for a bad outcome or an unknown check."""
        from ..ledger.db import LedgerError

        ledger = self.ledger.get()
        if ledger is None:
            raise LedgerError("没有台账数据库，核查未记录 / no ledger database")
        return add_outcome(ledger, check_id, outcome=outcome, reason=reason, by=by, unit=unit)

    def close(self) -> None:
        self.recorder.stop()
