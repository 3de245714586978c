"""The ledger (台账): screening results kept from month to month, reviewers' decisions,
disposals and their history, in SQLite by default or PostgreSQL when shared.

Needs the ``ledger`` extra (SQLAlchemy, Alembic, psycopg, argon2-cffi).

The names below are loaded on first use (PEP 562), so that importing a submodule
(the CLI's ``ledger.cli`` for its parser) does not import SQLAlchemy: ``scan`` and
``check`` start without it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .db import DEFAULT_DB, ENV_VAR, Ledger, LedgerBusy, LedgerError, resolve_url
    from .users import Role, User, add_user, authenticate, list_users, revoke_user

_WHERE = {
    "DEFAULT_DB": ".db",
    "ENV_VAR": ".db",
    "Ledger": ".db",
    "LedgerBusy": ".db",
    "LedgerError": ".db",
    "resolve_url": ".db",
    "Role": ".users",
    "User": ".users",
    "add_user": ".users",
    "authenticate": ".users",
    "list_users": ".users",
    "revoke_user": ".users",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(where, __name__), name)
    globals()[name] = value  # once loaded, a plain module attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})
