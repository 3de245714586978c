"""Signing in with a ledger user's token, and the session that follows.

Sessions live in the ledger database (``ledger.sessions``): every worker of `serve`
shares them and a restart keeps people signed in. The cookie holds a random id
(HttpOnly, SameSite=Strict, Secure over TLS); the user is looked up again on every
request, so a revoked user is out at once. Without the ledger extra or a ledger
database there are no users, and the pages that need one say so.

Every method here may wait on the database or on argon2: call them from a worker
thread, never from the event loop.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

log = logging.getLogger(__name__)

SESSION_COOKIE = "ff_session"
WEB_BUSY_TIMEOUT = 5.0  # seconds a page waits for the ledger's write lock before saying it is busy
# Sign-in failures: this many are free; then each further one doubles the wait before the next try.
FREE_FAILURES = 3
FIRST_DELAY = 2.0
MAX_DELAY = 900.0
FAILURE_MEMORY = 3600.0  # failures older than this are forgotten
_TRACKED = 10_000  # addresses and token ids remembered at most (the oldest go first)
_TOKEN_ID = re.compile(r"^ff_([0-9a-f]{12})_")


@dataclass(frozen=True, slots=True)
class SignIn:
    """What a sign-in came to: a session and its user, or why not (``wait`` seconds when limited)."""

    sid: str = ""
    user: Any = None
    csrf: str = ""
    wait: float = 0.0
    no_ledger: bool = False  # the service has no ledger database: nobody can sign in yet


class FailureLimit:
    """Sign-in failures per client address and per token id, with a wait that doubles.

    With a ledger database (``ledger()`` returns it) the failures are rows of it, so every
    worker of `serve` enforces one limit; without one they are kept in this process."""

    def __init__(self, ledger: Callable[[], Any] | None = None) -> None:
        self._ledger = ledger
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self._lock = threading.Lock()

    def _db(self) -> Any:
        return self._ledger() if self._ledger is not None else None

    def wait(self, keys: list[str], now: float) -> float:
        """Seconds to wait before any of ``keys`` may try again (0: now)."""
        ledger = self._db()
        if ledger is not None:
            from ..ledger.jobs import failures_of

            found = failures_of(ledger, keys)
            return max((_wait_of(found.get(k, (0, 0.0)), now) for k in keys), default=0.0)
        with self._lock:
            return max((_wait_of(self._failures.get(k, (0, 0.0)), now) for k in keys), default=0.0)

    def failed(self, keys: list[str], now: float) -> None:
        ledger = self._db()
        if ledger is not None:
            from ..ledger.jobs import add_failure

            add_failure(ledger, keys, now=now, memory=FAILURE_MEMORY)
            return
        with self._lock:
            for key in keys:
                count, last = self._failures.pop(key, (0, 0.0))
                self._failures[key] = (1 if now - last > FAILURE_MEMORY else count + 1, now)
            while len(self._failures) > _TRACKED:
                self._failures.popitem(last=False)

    def succeeded(self, keys: list[str]) -> None:
        ledger = self._db()
        if ledger is not None:
            from ..ledger.jobs import clear_failures

            clear_failures(ledger, keys)
            return
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)


def _wait_of(failures: tuple[int, float], now: float) -> float:
    count, last = failures
    if now - last > FAILURE_MEMORY or count < FREE_FAILURES:
        return 0.0
    delay = min(FIRST_DELAY * 2 ** (count - FREE_FAILURES), MAX_DELAY)
    return max(0.0, last + delay - now)


class Accounts:
    """The users (from the ledger database) and the sessions signed in with them."""

    def __init__(self, db: str | None) -> None:
        self.db = db
        self._ledger: Any = None
        self._open_lock = threading.Lock()
        self.limit = FailureLimit(self.ledger)  # in the ledger database once there is one

    def ledger(self) -> Any:
        """The open ledger, or None when there is none yet (no users can exist)."""
        if self._ledger is not None:
            return self._ledger
        try:
            from ..ledger import Ledger, resolve_url
        except ImportError:
            return None
        url = resolve_url(self.db)
        if url.startswith("sqlite:///"):
            path = url.removeprefix("sqlite:///")
            if path != ":memory:" and not Path(path).is_file():
                return None  # serving pages does not create a ledger; `users add` does
        with self._open_lock:
            if self._ledger is None:
                self._ledger = Ledger.open(self.db, create=False, busy_timeout=WEB_BUSY_TIMEOUT)
        return self._ledger

    def sign_in(self, token: str, *, client: str) -> SignIn:
        """A session for a valid token; a refusal otherwise. Refused at once, without
        checking the token, while the client's address or the token's id must wait."""
        from ..ledger import authenticate
        from ..ledger.sessions import start_session

        m = _TOKEN_ID.match((token or "").strip())
        keys = [f"addr:{client}"] + ([f"id:{m[1]}"] if m else [])
        now = time.time()
        wait = self.limit.wait(keys, now)
        if wait > 0:
            log.warning("sign-in refused: too many failures (client %s, token id %s)", client, m[1] if m else "-")
            return SignIn(wait=wait)
        ledger = self.ledger()
        if ledger is None:  # not the clerk's mistake: not a wrong token, not a failure to count
            return SignIn(no_ledger=True)
        user = authenticate(ledger, token)
        if user is None:
            self.limit.failed(keys, time.time())
            log.warning("sign-in failed (client %s, token id %s)", client, m[1] if m else "-")
            return SignIn()
        self.limit.succeeded(keys)
        sid, session = start_session(ledger, user.name)
        return SignIn(sid=sid, user=user, csrf=session.csrf)

    def sign_out(self, request: Request) -> None:
        """End the request's session on the server (whatever else the request carries)."""
        from ..ledger.sessions import end_session

        sid = request.cookies.get(SESSION_COOKIE, "")
        ledger = self.ledger() if sid else None
        if ledger is not None:
            end_session(ledger, sid)

    def user(self, request: Request) -> Any:
        """The signed-in user of the request, or None; the session's form token goes to
        ``request.state.session_csrf``."""
        from ..ledger.sessions import find_session
        from ..ledger.users import find_user

        request.state.session_csrf = ""
        sid = request.cookies.get(SESSION_COOKIE, "")
        if not sid:
            return None
        ledger = self.ledger()
        if ledger is None:
            return None
        session = find_session(ledger, sid)
        if session is None:
            return None
        user = find_user(ledger, session.user_name)
        if user is not None:
            request.state.session_csrf = session.csrf
        return user


def set_session_cookie(request: Request, response: Response, sid: str) -> None:
    response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/")


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https")


def client_address(request: Request) -> str:
    return request.client.host if request.client else "-"


def local_path(target: str) -> str:
    """``target`` if it is a path on this site, else "/" (no open redirects)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target and "\n" not in target:
        return target
    return "/"
