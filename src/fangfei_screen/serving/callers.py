"""Who calls /v1/check: the keys of calling systems, checked once and remembered a short
while, and a rate limit per key (the ``limits`` library's moving window)."""

from __future__ import annotations

import hashlib
import math
import threading
import time
from dataclasses import dataclass

from ..ledger.checks import Caller
from .ledgerref import LedgerRef

# A verified key is trusted this long before its row is read again (a revoked key stops
# within this time); whether any key exists is read again as often.
KEY_CACHE_SECONDS = 10.0
DEFAULT_RATE = "600/minute"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer for one request: a caller, or a refusal (status, code, message, Retry-After)."""

    caller: Caller | None = None
    status: int = 200
    error: str = ""
    message: str = ""
    retry_after: int = 0
    key_id: str = ""  # the key refused by the rate limit


class KeyGate:
    """Keys are needed once any key exists in the ledger (or always with ``require``)."""

    def __init__(
        self, ledger: LedgerRef, *, require: bool = False, rate: str = DEFAULT_RATE, cache_seconds: float = KEY_CACHE_SECONDS
    ) -> None:
        from limits import parse
        from limits.storage import MemoryStorage
        from limits.strategies import MovingWindowRateLimiter

        self.ledger = ledger
        self.require = require
        self.rate = parse(rate)
        self.cache_seconds = cache_seconds
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._lock = threading.Lock()
        self._verified: dict[str, tuple[float, Caller | None]] = {}
        self._any_key: tuple[float, bool] = (0.0, False)

    def _keys_exist(self, ledger: object) -> bool:
        from ..ledger.keys import active_key_count

        seen, exists = self._any_key
        if time.monotonic() - seen < self.cache_seconds:
            return exists
        exists = ledger is not None and active_key_count(ledger) > 0  # type: ignore[arg-type]
        self._any_key = (time.monotonic(), exists)
        return exists

    def _verify(self, ledger: object, token: str) -> Caller | None:
        from ..ledger.keys import verify_key

        digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
        with self._lock:
            cached = self._verified.get(digest)
        if cached is not None and time.monotonic() - cached[0] < self.cache_seconds:
            return cached[1]
        key = verify_key(ledger, token) if ledger is not None else None  # type: ignore[arg-type]
        caller = Caller(kind="key", name=key.key_id, unit=key.unit, system=key.system) if key else None
        with self._lock:
            if len(self._verified) > 10_000:
                self._verified.clear()  # bounded: wrong keys sent in bulk cannot grow it without end
            self._verified[digest] = (time.monotonic(), caller)
        return caller

    def check(self, authorization: str | None) -> Verdict:
        """Blocking (database, argon2): call it from a worker thread."""
        ledger = self.ledger.get()
        given = (authorization or "").strip()
        if not given:
            if self.require or self._keys_exist(ledger):
                return _unauthorized("需要密钥：请求头 Authorization: Bearer <密钥> / a key is required")
            return Verdict(caller=Caller())
        scheme, _, token = given.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _unauthorized("密钥格式应为 Authorization: Bearer <密钥> / use Authorization: Bearer KEY")
        caller = self._verify(ledger, token.strip())
        if caller is None:
            return _unauthorized("密钥无效或已停用 / the key is unknown or revoked")
        if not self._limiter.hit(self.rate, caller.name):
            reset, _ = self._limiter.get_window_stats(self.rate, caller.name)
            wait = max(1, math.ceil(reset - time.time()))
            return Verdict(status=429, error="rate_limited", retry_after=wait, key_id=caller.name,
                           message=f"请求过于频繁（每个密钥 {self.rate}），请 {wait} 秒后重试 / too many requests for this key")
        return Verdict(caller=caller)


def _unauthorized(message: str) -> Verdict:
    return Verdict(status=401, error="unauthorized", message=message)
