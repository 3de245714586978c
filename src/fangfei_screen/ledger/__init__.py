"""The ledger (台账): screening results kept from month to month, reviewers' decisions,
disposals and their history, in SQLite by default or PostgreSQL when shared.

Needs the ``ledger`` extra (SQLAlchemy, Alembic, psycopg, argon2-cffi).
"""

from .db import DEFAULT_DB, ENV_VAR, Ledger, LedgerBusy, LedgerError, resolve_url
from .users import Role, User, add_user, authenticate, list_users, revoke_user

__all__ = [
    "DEFAULT_DB",
    "ENV_VAR",
    "Ledger",
    "LedgerBusy",
    "LedgerError",
    "Role",
    "User",
    "add_user",
    "authenticate",
    "list_users",
    "resolve_url",
    "revoke_user",
]
