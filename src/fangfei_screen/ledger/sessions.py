"""Sessions of the pages, kept in the ledger database so that every worker of `serve`
sees them and a restart keeps people signed in (issue 19).

The cookie carries a random id; only its sha256 is stored. Each session has its own
form token (``csrf``), so a token taken from one session is refused in another.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select, update

from .db import Ledger, LedgerError
from .schema import lists_in_use, web_sessions

SESSION_IDLE = 8 * 3600.0  # a session unused this long is over
_TOUCH_EVERY = 60.0  # how stale ``seen`` may get before a request writes it again


@dataclass(frozen=True, slots=True)
class WebSession:
    """A live session: whose it is and its form token."""

    user_name: str
    csrf: str


@dataclass(frozen=True, slots=True)
class ListInUse:
    """The list every worker should serve: the newest load recorded."""

    list_version: str
    list_sha256: str
    at: float
    by: str


def _key(sid: str) -> str:
    return hashlib.sha256(sid.encode("utf-8", "surrogatepass")).hexdigest()


def start_session(ledger: Ledger, user_name: str) -> tuple[str, WebSession]:
    """A new session for ``user_name``: (the cookie's value, the session)."""
    sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    t = time.time()

    def work(conn: Connection) -> None:
        # sessions over their idle time go as new ones come
        conn.execute(delete(web_sessions).where(web_sessions.c.seen < t - SESSION_IDLE))
        conn.execute(insert(web_sessions).values(id=_key(sid), user_name=user_name, csrf=csrf, created=t, seen=t))

    ledger.write(work)
    return sid, WebSession(user_name=user_name, csrf=csrf)


def find_session(ledger: Ledger, sid: str, *, idle: float = SESSION_IDLE) -> WebSession | None:
    """The live session of a cookie value, or None (unknown, ended or idle too long).
    Marks it used; when the ledger is busy the mark waits for a later request."""
    if not sid or len(sid) > 100:
        return None
    key, t = _key(sid), time.time()
    with ledger.reading() as conn:
        row = conn.execute(select(web_sessions).where(web_sessions.c.id == key)).mappings().first()
    if row is None or row["ended"] is not None or t - row["seen"] > idle:
        return None
    if t - row["seen"] > _TOUCH_EVERY:
        try:
            ledger.write(lambda conn: conn.execute(update(web_sessions).where(web_sessions.c.id == key).values(seen=t)))
        except LedgerError:
            pass  # busy: the session stays valid, its mark is at most a minute late
    return WebSession(user_name=row["user_name"], csrf=row["csrf"])


def end_session(ledger: Ledger, sid: str) -> bool:
    """End the session of a cookie value; whether there was a live one."""
    if not sid or len(sid) > 100:
        return False
    key = _key(sid)

    def work(conn: Connection) -> bool:
        done = conn.execute(
            update(web_sessions).where(web_sessions.c.id == key, web_sessions.c.ended.is_(None)).values(ended=time.time())
        )
        return bool(done.rowcount)

    return ledger.write(work)


def record_list(ledger: Ledger, *, list_version: str, list_sha256: str, by: str) -> ListInUse:
    """Record that the service now serves this list (a reload, or the first start on a ledger)."""
    entry = ListInUse(list_version=list_version, list_sha256=list_sha256, at=time.time(), by=by)
    ledger.write(lambda conn: conn.execute(insert(lists_in_use).values(
        list_version=entry.list_version, list_sha256=entry.list_sha256, at=entry.at, by=entry.by)))
    return entry


def list_in_use(ledger: Ledger) -> ListInUse | None:
    """The newest list load recorded, or None."""
    with ledger.reading() as conn:
        row = conn.execute(select(lists_in_use).order_by(lists_in_use.c.id.desc()).limit(1)).mappings().first()
    if row is None:
        return None
    return ListInUse(list_version=row["list_version"], list_sha256=row["list_sha256"], at=row["at"], by=row["by"])
