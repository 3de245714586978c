"""Users of the ledger and the web pages: a name, a unit, a role, and an argon2 hash of
a token that is shown once when the user is added.

A token reads ``ff_<id>_<secret>``: the id finds the row, argon2 verifies the secret
(argon2 hashes are salted, so they cannot be looked up directly).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from .db import Ledger, LedgerError
from .history import now, record
from .schema import users

class Role(StrEnum):
    CLERK = "clerk"  # sees and changes the ledger of their own unit
    REVIEWER = "reviewer"  # decides findings (other sense / confirmed)
    ADMIN = "admin"  # manages users and reloads lists


@dataclass(frozen=True)
class User:
    name: str
    unit: str
    role: Role


def _hasher() -> PasswordHasher:
    return PasswordHasher()


def new_token(prefix: str) -> tuple[str, str, str]:
    """(token id, the token as shown once ``<prefix>_<id>_<secret>``, argon2 hash of the secret)."""
    token_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    return token_id, f"{prefix}_{token_id}_{secret}", _hasher().hash(secret)


def split_token(prefix: str, token: str) -> tuple[str, str] | None:
    """(token id, secret) of a well-formed ``<prefix>_<id>_<secret>``, else None."""
    m = re.match(rf"^{re.escape(prefix)}_([0-9a-f]{{12}})_([A-Za-z0-9_-]{{20,}})$", (token or "").strip())
    return (m[1], m[2]) if m else None


def secret_matches(digest: str, secret: str) -> bool:
    """argon2 verification of a token's secret against its stored hash."""
    try:
        return bool(_hasher().verify(digest, secret))
    except (VerificationError, InvalidHashError):
        return False


def add_user(ledger: Ledger, *, name: str, unit: str, role: Role | str, by: str = "") -> tuple[User, str]:
    """Store a new user; returns the user and the token (shown once, only its hash is kept)."""
    name, unit = name.strip(), unit.strip()
    if not name:
        raise LedgerError("用户名不能为空 / the name is empty")
    if not unit:
        raise LedgerError("--unit 不能为空 / the unit is empty")
    try:
        role = Role(role)
    except ValueError:
        raise LedgerError(f"角色应为 clerk、reviewer 或 admin，而非 '{role}'") from None
    token_id, token, digest = new_token("ff")
    user = User(name=name, unit=unit, role=role)

    def work(conn: Connection) -> None:
        if conn.execute(select(users.c.id).where(users.c.name == name)).first():
            raise LedgerError(f"用户「{name}」已存在 / the user exists")
        conn.execute(
            insert(users).values(
                name=name, unit=unit, role=role.value, token_id=token_id, token_hash=digest, active=True, created_at=now()
            )
        )
        record(conn, by=by or name, subject="user", action="user_added", after={"name": name, "unit": unit, "role": role.value})

    try:
        ledger.write(work)
    except IntegrityError:
        raise LedgerError(f"用户「{name}」已存在 / the user exists") from None
    return user, token


def authenticate(ledger: Ledger, token: str) -> User | None:
    """The active user the token belongs to, or None (unknown, malformed or revoked)."""
    parts = split_token("ff", token)
    if parts is None:
        return None
    with ledger.reading() as conn:
        row = conn.execute(select(users).where(users.c.token_id == parts[0])).mappings().first()
    if row is None or not row["active"] or not secret_matches(row["token_hash"], parts[1]):
        return None
    return User(name=row["name"], unit=row["unit"], role=Role(row["role"]))


def list_users(ledger: Ledger) -> list[User]:
    with ledger.reading() as conn:
        rows = conn.execute(select(users).where(users.c.active.is_(True)).order_by(users.c.id)).mappings()
        return [User(name=r["name"], unit=r["unit"], role=Role(r["role"])) for r in rows]


def revoke_user(ledger: Ledger, name: str, *, by: str = "") -> None:
    """Deactivate a user: their token stops working; the row and its history stay."""

    def work(conn: Connection) -> None:
        row = conn.execute(select(users).where(users.c.name == name)).mappings().first()
        if row is None or not row["active"]:
            raise LedgerError(f"没有有效用户「{name}」/ no such active user")
        conn.execute(update(users).where(users.c.name == name).values(active=False))
        record(conn, by=by or name, subject="user", action="user_revoked", before={"name": name, "active": True}, after={"active": False})

    ledger.write(work)


def find_user(ledger: Ledger, name: str) -> User | None:
    """The active user called ``name``, or None."""
    with ledger.reading() as conn:
        row = conn.execute(select(users).where(users.c.name == name, users.c.active.is_(True))).mappings().first()
    return None if row is None else User(name=row["name"], unit=row["unit"], role=Role(row["role"]))
