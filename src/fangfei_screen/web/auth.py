"""Signing in with a ledger user's token, and the session that follows.

Sessions live in this process (a random id in an HttpOnly, SameSite=Strict cookie,
Secure over TLS); the user is looked up again on every request, so a revoked user
is out at once. Without the ledger extra or a ledger database there are no users,
and the pages that need one say so.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

SESSION_COOKIE = "ff_session"
SESSION_IDLE = 8 * 3600.0


@dataclass(frozen=True, slots=True)
class Session:
    name: str
    seen: float


class Accounts:
    """The users (from the ledger database) and the sessions signed in with them."""

    def __init__(self, db: str | None) -> None:
        self.db = db
        self._ledger: Any = None
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

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
        self._ledger = Ledger.open(self.db, create=False)
        return self._ledger

    def sign_in(self, token: str) -> tuple[str, Any]:
        """(session id, user) for a valid token; ("", None) otherwise."""
        from ..ledger import authenticate

        ledger = self.ledger()
        if ledger is None:
            return "", None
        user = authenticate(ledger, token)
        if user is None:
            return "", None
        sid = secrets.token_urlsafe(32)
        with self._lock:
            self._sessions[sid] = Session(user.name, time.time())
        return sid, user

    def sign_out(self, request: Request) -> None:
        with self._lock:
            self._sessions.pop(request.cookies.get(SESSION_COOKIE, ""), None)

    def user(self, request: Request) -> Any:
        """The signed-in user of the request, or None."""
        sid = request.cookies.get(SESSION_COOKIE, "")
        now = time.time()
        with self._lock:
            session = self._sessions.get(sid)
            if session is None:
                return None
            if now - session.seen > SESSION_IDLE:
                del self._sessions[sid]
                return None
            self._sessions[sid] = Session(session.name, now)
        from ..ledger import list_users

        ledger = self.ledger()
        user = next((u for u in list_users(ledger) if u.name == session.name), None) if ledger is not None else None
        if user is None:
            with self._lock:
                self._sessions.pop(sid, None)
        return user


def set_session_cookie(request: Request, response: Response, sid: str) -> None:
    response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/")


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https")


def local_path(target: str) -> str:
    """``target`` if it is a path on this site, else "/" (no open redirects)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target and "\n" not in target:
        return target
    return "/"
