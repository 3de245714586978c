"""Keys of the systems that call the check (名称自主申报系统, 登记系统 …): a system, a unit
and an argon2 hash of a key shown once, hashed like users' tokens (``users.new_token``).

A key reads ``ffk_<id>_<secret>``; the id finds the row and goes into each check record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, insert, select, update

from .db import Ledger, LedgerError
from .history import now, record
from .schema import api_keys
from .users import new_token, secret_matches, split_token

KEY_PREFIX = "ffk"


@dataclass(frozen=True, slots=True)
class ApiKey:
    key_id: str
    system: str
    unit: str
    active: bool
    created_at: datetime | None = None
    revoked_at: datetime | None = None


def _key(row: dict) -> ApiKey:  # type: ignore[type-arg]
    return ApiKey(key_id=row["key_id"], system=row["system"], unit=row["unit"], active=bool(row["active"]),
                  created_at=row["created_at"], revoked_at=row["revoked_at"])


def add_key(ledger: Ledger, *, system: str, unit: str, by: str = "") -> tuple[ApiKey, str]:
    """Store a new key; returns it and the key text (shown once, only its hash is kept)."""
    system, unit = system.strip(), unit.strip()
    if not system:
        raise LedgerError("--system 不能为空 / the calling system is empty")
    if not unit:
        raise LedgerError("--unit 不能为空 / the unit is empty")
    key_id, token, digest = new_token(KEY_PREFIX)
    at = now()

    def work(conn: Connection) -> None:
        conn.execute(insert(api_keys).values(key_id=key_id, system=system, unit=unit, key_hash=digest, active=True, created_at=at))
        record(conn, by=by or system, subject="api_key", action="key_added", key=key_id,
               after={"key_id": key_id, "system": system, "unit": unit})

    ledger.write(work)
    return ApiKey(key_id=key_id, system=system, unit=unit, active=True, created_at=at), token


def list_keys(ledger: Ledger, *, all_keys: bool = False) -> list[ApiKey]:
    """The active keys (every key, revoked too, with ``all_keys``), oldest first."""
    query = select(api_keys).order_by(api_keys.c.id)
    if not all_keys:
        query = query.where(api_keys.c.active.is_(True))
    with ledger.reading() as conn:
        return [_key(dict(r)) for r in conn.execute(query).mappings()]


def active_key_count(ledger: Ledger) -> int:
    with ledger.reading() as conn:
        return int(conn.execute(select(func.count()).select_from(api_keys).where(api_keys.c.active.is_(True))).scalar_one())


def revoke_key(ledger: Ledger, key_id: str, *, by: str = "") -> ApiKey:
    """Deactivate a key (by its id, or the whole key text): it stops working; the row stays."""
    parts = split_token(KEY_PREFIX, key_id)
    wanted = parts[0] if parts else key_id.strip()

    def work(conn: Connection) -> ApiKey:
        row = conn.execute(select(api_keys).where(api_keys.c.key_id == wanted)).mappings().first()
        if row is None or not row["active"]:
            raise LedgerError(f"没有有效的密钥「{wanted}」/ no such active key")
        at = now()
        conn.execute(update(api_keys).where(api_keys.c.key_id == wanted).values(active=False, revoked_at=at))
        record(conn, by=by or row["system"], subject="api_key", action="key_revoked", key=wanted,
               before={"active": True}, after={"active": False})
        return _key({**dict(row), "active": False, "revoked_at": at})

    return ledger.write(work)


def verify_key(ledger: Ledger, token: str) -> ApiKey | None:
    """The active key ``token`` is, or None (unknown, malformed or revoked). argon2: call it
    off the event loop."""
    parts = split_token(KEY_PREFIX, token)
    if parts is None:
        return None
    with ledger.reading() as conn:
        row = conn.execute(select(api_keys).where(api_keys.c.key_id == parts[0])).mappings().first()
    if row is None or not row["active"] or not secret_matches(row["key_hash"], parts[1]):
        return None
    return _key(dict(row))


def key_is_active(ledger: Ledger, key_id: str) -> bool:
    with ledger.reading() as conn:
        return bool(conn.execute(select(api_keys.c.active).where(api_keys.c.key_id == key_id)).scalar())
